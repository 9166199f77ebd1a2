#include "channels/alipay/alipay_plugin.hpp"

#include <chrono>
#include <memory>

#include "channels/alipay/account.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "channels/alipay/statements.hpp"
#include "core/statement.hpp"

namespace oncepay::channels::alipay {

namespace {

using caf::timespan;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

http::HttpResponse plain(int status, std::string_view body) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::string(body);
  return r;
}

NoticeDecision refuse(int status, std::string_view body = kNotifyAnswerFail) {
  NoticeDecision d;
  d.refusal = plain(status, body);
  return d;
}

int status_of(Verdict verdict) {
  switch (verdict) {
    case Verdict::kMalformed:
    case Verdict::kBadField:
      return 400;
    case Verdict::kNoSignature:
    case Verdict::kUnsupportedSignType:
    case Verdict::kBadSignature:
    case Verdict::kWrongAppId:
      return 401;
    case Verdict::kOk:
      break;
  }
  return 200;
}

bool fresh(const Params& params, int64_t tolerance_s, int64_t now_s) {
  const auto it = params.find("notify_time");
  if (it == params.end()) return false;
  std::optional<int64_t> sent_ms = core::parse_china_time_ms(it->second);
  if (!sent_ms) return false;
  const int64_t skew_s = *sent_ms / 1000 - now_s;
  return skew_s <= tolerance_s && -skew_s <= tolerance_s;
}

void declare(caf::config_option_set& options) {
  caf::config_option_adder{options, "alipay"}
      .add<bool>("enabled", "run the alipay channel (merchants' accounts via the admin API)")
      .add<timespan>("timeout", "bound on one call to Alipay's gateway")
      .add<int>("breaker-failures", "calls in a row without an answer that open the breaker")
      .add<timespan>("breaker-open", "how long an open breaker fails calls fast")
      .add<timespan>("notify-tolerance", "largest notify_time distance from now accepted");
}

milliseconds duration_option(const caf::actor_system_config& cfg, const char* key,
                             milliseconds fallback) {
  return duration_cast<milliseconds>(caf::get_or(cfg, key, duration_cast<timespan>(fallback)));
}

bool load(const caf::actor_system_config& cfg, ChannelSetup* out, std::string* error) {
  AlipayChannelOptions options;
  out->enabled = caf::get_or(cfg, "alipay.enabled", false);
  options.timeout = duration_option(cfg, "alipay.timeout", milliseconds(5'000));
  options.breaker_failures = caf::get_or(cfg, "alipay.breaker-failures", 5);
  options.breaker_open = duration_option(cfg, "alipay.breaker-open", milliseconds(5'000));
  const milliseconds tolerance =
      duration_option(cfg, "alipay.notify-tolerance", milliseconds(kNotifyToleranceS * 1000));
  out->values = {{"alipay.enabled", out->enabled ? "true" : "false"},
                 {"alipay.timeout", std::to_string(options.timeout.count()) + " ms"},
                 {"alipay.breaker-failures", std::to_string(options.breaker_failures)},
                 {"alipay.breaker-open", std::to_string(options.breaker_open.count()) + " ms"},
                 {"alipay.notify-tolerance", std::to_string(tolerance.count()) + " ms"}};
  if (!out->enabled) return true;
  options.accounts = std::make_shared<ChannelAccounts>();  // placeholder for validate()
  if (auto problem = validate(options); !problem.empty()) {
    *error = "alipay: " + problem;
    return false;
  }
  if (tolerance < milliseconds(1'000)) {
    *error = "alipay: notify-tolerance must be at least 1s";
    return false;
  }
  out->install = [options, tolerance](ChannelRegistry& registry, const InstallContext& context,
                                      std::string* install_error) mutable {
    options.accounts = context.accounts;
    options.public_url = context.public_url;
    return register_alipay(registry, context.system, options, tolerance.count() / 1000,
                           install_error) != nullptr;
  };
  return true;
}

}  // namespace

NoticeDecision decode_alipay_notice(const ChannelAccounts& accounts, std::string_view channel,
                                    int64_t tolerance_s, const http::HttpRequest& request,
                                    int64_t now_s) {
  // /v1/channels/<channel>/notify/<merchant_id>: the merchant picks the keys.
  const std::vector<std::string_view> parts = http::split_path(request.path);
  if (parts.size() != 5) return refuse(404);
  auto account = accounts.get_as<Account>(parts[4], channel);
  if (!account || !account->alipay_key) return refuse(404);
  Notification n = parse_notification(request.body, account->app_id, *account->alipay_key);
  if (n.verdict != Verdict::kOk) return refuse(status_of(n.verdict));
  if (!fresh(n.params, tolerance_s, now_s)) return refuse(401);
  if (!n.notice) return refuse(200, kNotifyAnswerSuccess);  // verified, nothing to record
  // A refund's refund_fee is the trade's cumulative refunded total (B.4), not
  // this refund's amount, which the engine binds a refund result to: the
  // refund call's own answer (fund_change, the refund query) decides it.
  if (n.notice->kind == core::ChannelNotice::Kind::kRefundSuccess) {
    return refuse(200, kNotifyAnswerSuccess);
  }
  n.notice->channel = std::string(channel);
  NoticeDecision d;
  d.notice = std::move(n.notice);
  return d;
}

http::HttpResponse answer_alipay_notice(const NoticeOutcome& outcome) {
  if (core::is_success(outcome.code)) return plain(200, kNotifyAnswerSuccess);
  const int status = outcome.api_answer.status;
  if (status == 404) return plain(404, kNotifyAnswerFail);
  if (status >= 500) return plain(503, kNotifyAnswerFail);
  return plain(400, kNotifyAnswerFail);
}

AlipayChannel* register_alipay(ChannelRegistry& registry, caf::actor_system& system,
                               AlipayChannelOptions options, int64_t notify_tolerance_s,
                               std::string* error) {
  options.accounts->add_parser(options.name, &parse_account);
  auto channel = std::make_shared<AlipayChannel>(system, options);
  AlipayChannel* raw = channel.get();
  ChannelEntry entry;
  entry.name = options.name;
  entry.actor = channel->actor();
  entry.decode_notice = [accounts = options.accounts, name = options.name, notify_tolerance_s](
                            const http::HttpRequest& request, int64_t now_s) {
    return decode_alipay_notice(*accounts, name, notify_tolerance_s, request, now_s);
  };
  entry.answer_notice = &answer_alipay_notice;
  entry.statements = statement_source(options.accounts, options.name, options.tls_ca_file);
  // The adapter refuses the same (kRejected); checked here so that a typo
  // is a 400 before an attempt is made.
  entry.check_pay = [](std::string_view trade_type, std::string_view openid) -> std::string {
    if (!openid.empty()) return "payer_openid is not taken by channel alipay";
    if (trade_type.empty() || trade_type == "precreate" || trade_type == "page" ||
        trade_type == "wap") {
      return "";
    }
    return "trade_type must be \"precreate\", \"page\" or \"wap\" for channel alipay";
  };
  entry.health = [raw, name = options.name] {
    return ChannelHealth{name, raw->breaker_state(), raw->breaker_opened_total()};
  };
  entry.owner = channel;
  if (!registry.add(std::move(entry), error)) return nullptr;
  return raw;
}

const ChannelPlugin& plugin() {
  static const ChannelPlugin kPlugin{
      .defaults = {{"alipay.enabled", "false"},
                   {"alipay.timeout", "5s"},
                   {"alipay.breaker-failures", "5"},
                   {"alipay.breaker-open", "5s"},
                   {"alipay.notify-tolerance", "10min"}},
      .boolean_options = {"alipay.enabled"},
      .test_mode_option = {},
      .declare = &declare,
      .load = &load,
  };
  return kPlugin;
}

}  // namespace oncepay::channels::alipay
