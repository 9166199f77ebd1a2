#include "channels/wechatpay/wechatpay_plugin.hpp"

#include <chrono>

#include "channels/wechatpay/account.hpp"
#include "channels/wechatpay/json_fields.hpp"
#include "channels/wechatpay/notification.hpp"
#include "channels/wechatpay/statements.hpp"

namespace oncepay::channels::wechatpay {

namespace {

using caf::timespan;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

http::HttpResponse to_http(const NotifyAnswer& answer) {
  http::HttpResponse r;
  r.status = answer.http_status;
  r.body = answer.body;
  r.content_type = answer.body.empty() ? "text/plain" : "application/json";
  return r;
}

NoticeDecision refuse(const NotifyAnswer& answer) {
  NoticeDecision d;
  d.refusal = to_http(answer);
  return d;
}

SignedHeaders signed_headers(const http::HttpRequest& request) {
  SignedHeaders h;
  h.timestamp = std::string(request.header("wechatpay-timestamp"));
  h.nonce = std::string(request.header("wechatpay-nonce"));
  h.signature = std::string(request.header("wechatpay-signature"));
  h.serial = std::string(request.header("wechatpay-serial"));
  return h;
}

// Step 3: the decrypted resource names the account's merchant (and app).
bool belongs_to(const Notification& n, const Account& account) {
  if (n.kind == Notification::Kind::kTransaction) {
    return n.transaction.mchid == account.mchid &&
           (n.transaction.appid.empty() || n.transaction.appid == account.appid);
  }
  boost::json::value v;
  if (json_fields::parse_object(n.plaintext, &v) != Error::kOk) return false;
  std::string mchid;
  if (json_fields::read_optional_string(v.as_object(), "mchid", &mchid) != Error::kOk) {
    return false;
  }
  return mchid.empty() || mchid == account.mchid;
}

}  // namespace

NoticeDecision decode_wechatpay_notice(const ChannelAccounts& accounts,
                                       const http::HttpRequest& request, int64_t now_s) {
  const auto parts = http::split_path(request.path);
  // v1 channels wechatpay notify {merchant_id}
  if (parts.size() != 5) {
    return refuse(notify_failure_answer(404, "the notify URL names no merchant"));
  }
  auto account = accounts.get_as<Account>(parts[4], kChannelName);
  if (account == nullptr) {
    return refuse(notify_failure_answer(404, "no wechatpay account for this merchant"));
  }
  Notification n;
  const Error e = decode_notification(signed_headers(request), request.body, account->platform_keys,
                                      account->apiv3_key, now_s, &n);
  if (e != Error::kOk) return refuse(notify_answer_for(e));
  if (!belongs_to(n, *account)) {
    return refuse(notify_failure_answer(401, "the notification is for another merchant"));
  }
  NoticeDecision d;
  core::ChannelNotice notice;
  if (to_channel_notice(n, &notice) != Error::kOk) {
    d.refusal = to_http(notify_success_answer());  // taken, nothing to apply
    return d;
  }
  notice.channel = std::string(kChannelName);
  d.notice = std::move(notice);
  return d;
}

http::HttpResponse answer_wechatpay_notice(const NoticeOutcome& outcome) {
  if (core::is_success(outcome.code)) return to_http(notify_success_answer());
  // The statuses the notify route documents (docs/openapi.yaml); WeChat only
  // tells 2xx from the rest.
  int32_t status = outcome.api_answer.status;
  if (status >= 500) {
    status = status == 503 ? 503 : 500;
  } else if (status != 400 && status != 401 && status != 404) {
    status = 400;
  }
  return to_http(notify_failure_answer(status, core::to_string(outcome.code)));
}

WechatPayChannel* register_wechatpay(ChannelRegistry& registry, const InstallContext& context,
                                     WechatPayChannelOptions options, std::string* error) {
  context.accounts->add_parser(std::string(kChannelName), &parse_account);
  const std::string tls_ca_file = options.tls_ca_file;
  auto channel = std::make_shared<WechatPayChannel>(context.system, std::move(options),
                                                    context.accounts, context.public_url);
  WechatPayChannel* raw = channel.get();
  ChannelEntry entry;
  entry.name = std::string(kChannelName);
  entry.actor = channel->actor();
  entry.decode_notice = [accounts = context.accounts](const http::HttpRequest& request,
                                                      int64_t now_s) {
    return decode_wechatpay_notice(*accounts, request, now_s);
  };
  entry.answer_notice = &answer_wechatpay_notice;
  // The adapter refuses the same (kRejected); checked here so that a typo
  // is a 400 before an attempt is made.
  entry.check_pay = [](std::string_view trade_type, std::string_view openid) -> std::string {
    if (trade_type.empty() || trade_type == "native") {
      return openid.empty() ? "" : "payer_openid goes with trade_type \"jsapi\" only";
    }
    if (trade_type == "jsapi") {
      return openid.empty() ? "trade_type \"jsapi\" needs payer_openid" : "";
    }
    return "trade_type must be \"native\" or \"jsapi\" for channel wechatpay";
  };
  entry.health = [raw] {
    return ChannelHealth{std::string(kChannelName), raw->breaker_state(),
                         raw->breaker_opened_total()};
  };
  entry.statements = statement_source(context.accounts, std::string(kChannelName), tls_ca_file);
  entry.owner = channel;
  if (!registry.add(std::move(entry), error)) return nullptr;
  return raw;
}

namespace {

void declare(caf::config_option_set& options) {
  caf::config_option_adder{options, "wechatpay"}
      .add<bool>("enabled", "run the wechatpay channel (merchants' accounts via the admin API)")
      .add<timespan>("timeout", "bound on one call to WeChat Pay")
      .add<int>("breaker-failures", "calls in a row without an answer that open the breaker")
      .add<timespan>("breaker-open", "how long an open breaker fails calls fast")
      .add<std::string>("tls-ca-file", "further CA certificates (PEM) for https base URLs");
}

milliseconds millis(const caf::actor_system_config& cfg, const char* key, int64_t fallback_ms) {
  return duration_cast<milliseconds>(
      caf::get_or(cfg, key, duration_cast<timespan>(milliseconds(fallback_ms))));
}

bool load(const caf::actor_system_config& cfg, ChannelSetup* out, std::string* error) {
  WechatPayChannelOptions options;
  out->enabled = caf::get_or(cfg, "wechatpay.enabled", false);
  options.timeout = millis(cfg, "wechatpay.timeout", 5'000);
  options.breaker_failures = caf::get_or(cfg, "wechatpay.breaker-failures", 5);
  options.breaker_open = millis(cfg, "wechatpay.breaker-open", 5'000);
  options.tls_ca_file = caf::get_or(cfg, "wechatpay.tls-ca-file", std::string());
  out->values = {{"wechatpay.enabled", out->enabled ? "true" : "false"},
                 {"wechatpay.timeout", std::to_string(options.timeout.count()) + " ms"},
                 {"wechatpay.breaker-failures", std::to_string(options.breaker_failures)},
                 {"wechatpay.breaker-open", std::to_string(options.breaker_open.count()) + " ms"},
                 {"wechatpay.tls-ca-file", options.tls_ca_file}};
  if (!out->enabled) return true;
  if (auto problem = validate(options); !problem.empty()) {
    *error = "wechatpay: " + problem;
    return false;
  }
  out->install = [options](ChannelRegistry& registry, const InstallContext& context,
                           std::string* install_error) {
    return register_wechatpay(registry, context, options, install_error) != nullptr;
  };
  return true;
}

}  // namespace

const ChannelPlugin& plugin() {
  static const ChannelPlugin kPlugin{
      .defaults = {{"wechatpay.enabled", "false"},
                   {"wechatpay.timeout", "5s"},
                   {"wechatpay.breaker-failures", "5"},
                   {"wechatpay.breaker-open", "5s"},
                   {"wechatpay.tls-ca-file", ""}},
      .boolean_options = {"wechatpay.enabled"},
      .test_mode_option = {},
      .declare = &declare,
      .load = &load,
  };
  return kPlugin;
}

}  // namespace oncepay::channels::wechatpay
