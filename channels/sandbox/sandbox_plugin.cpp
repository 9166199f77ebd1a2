#include "channels/sandbox/sandbox_plugin.hpp"

#include <chrono>
#include <memory>

#include "channels/api_answer.hpp"
#include "channels/sim/sim_notify.hpp"
#include "channels/wechatpay/statements.hpp"
#include "codec/json.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::channels::sandbox {

namespace {

using core::Code;
using http::HttpRequest;
using http::HttpResponse;
using Parts = std::vector<std::string_view>;

HttpResponse invalid(std::string_view message) { return api_error(Code::kInvalidRequest, message); }

// A body that may be empty (optional JSON object).
bool parse_optional(const std::string& body, google::protobuf::Message* out, std::string* error) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  return codec::parse_json(body, out, error);
}

// ---------------------------------------------------------------- routes

HttpResponse record(const SandboxChannel& channel, const std::string& payment_no) {
  auto view = channel.get(payment_no);
  if (!view) return api_error(Code::kPaymentNotFound, "the channel never saw that payment_no");
  return json_answer(200, *view);
}

HttpResponse set_faults(SandboxChannel& channel, const HttpRequest& req) {
  v1::SandboxFaults faults;
  std::string why;
  if (!codec::parse_json(req.body, &faults, &why)) return invalid(why);
  if (!validate_faults(faults, &why)) return invalid(why);
  channel.set_faults(faults_from_proto(faults));
  return json_answer(200, faults);
}

HttpResponse settle_outcome(const SandboxChannel& channel, const std::string& payment_no,
                            CallOutcome outcome) {
  switch (outcome) {
    case CallOutcome::kOk:
      return record(channel, payment_no);
    case CallOutcome::kNotFound:
      return api_error(Code::kPaymentNotFound, "the channel never saw that payment_no");
    case CallOutcome::kClosed:
      return api_error(Code::kChannelConflict,
                       "the payment was closed at the channel (use after_close to race it)");
    case CallOutcome::kAlreadyPaid:
      return api_error(Code::kChannelConflict, "the payment already succeeded");
    default:
      return api_error(Code::kChannelConflict,
                       "the channel refused: " + std::string(to_string(outcome)));
  }
}

// POST /sandbox/payments/{payment_no}/pay and .../fail.
HttpResponse settle(SandboxChannel& channel, const HttpRequest& req, const Parts& parts, bool pay) {
  v1::SandboxPayRequest body;
  std::string why;
  if (!parse_optional(req.body, &body, &why)) return invalid(why);
  if (!pay && body.after_close()) return invalid("after_close applies to pay only");
  const std::string payment_no(parts.at(2));
  auto outcome = pay ? channel.pay(payment_no, body.after_close()) : channel.fail(payment_no);
  return settle_outcome(channel, payment_no, outcome);
}

// ---------------------------------------------------------------- loopback

// The sandbox reaches the engine exactly like a network channel: a signed
// notification through the gateway's /v1/channels/{name}/notify handler.
NotifySink loopback(const SandboxOptions& options, http::Handler handler) {
  if (!handler) return nullptr;
  return [handler = std::move(handler), name = options.name, secret = options.secret](
             const v1::ChannelNotification& body, std::function<void(bool)> acked) {
    HttpRequest request;
    request.method = "POST";
    request.target = request.path = notify_path(name);
    request.body = codec::to_json(body);
    request.headers.emplace_back("content-type", "application/json");
    request.headers.emplace_back("x-channel-signature",
                                 core::sign_header(secret, core::unix_seconds(), request.body));
    request.remote_address = name;
    handler(std::move(request), [acked = std::move(acked)](HttpResponse response) {
      acked(response.status / 100 == 2);
    });
  };
}

// ---------------------------------------------------------------- options

using caf::timespan;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::vector<timespan> spans(std::initializer_list<int64_t> ms) {
  std::vector<timespan> out;
  for (auto m : ms) out.push_back(duration_cast<timespan>(milliseconds(m)));
  return out;
}

void declare(caf::config_option_set& options) {
  caf::config_option_adder{options, "sandbox"}
      .add<bool>("enabled", "run the built-in sandbox channel and its /sandbox endpoints")
      .add<std::string>("secret", "the sandbox channel's callback signing secret")
      .add<std::vector<timespan>>("notify-retry", "redelivery of unacknowledged notifications");
}

bool load(const caf::actor_system_config& cfg, ChannelSetup* out, std::string* /*error*/) {
  SandboxOptions options;
  options.notify_retry_ms.clear();
  for (auto t :
       caf::get_or(cfg, "sandbox.notify-retry", spans({1'000, 5'000, 30'000, 180'000, 600'000}))) {
    options.notify_retry_ms.push_back(duration_cast<milliseconds>(t).count());
  }
  options.secret = caf::get_or(cfg, "sandbox.secret", options.secret);
  out->enabled = caf::get_or(cfg, "sandbox.enabled", true);
  out->allows_test_secrets = out->enabled;
  std::string retry;
  for (auto ms : options.notify_retry_ms) {
    if (!retry.empty()) retry += ',';
    retry += std::to_string(ms);
  }
  out->values = {{"sandbox.enabled", out->enabled ? "true" : "false"},
                 {"sandbox.secret", options.secret},
                 {"sandbox.notify-retry", retry + " ms"}};
  out->install = [options](ChannelRegistry& registry, const InstallContext& context,
                           std::string* error) {
    return register_sandbox(registry, context.system, options, error) != nullptr;
  };
  return true;
}

}  // namespace

std::vector<ChannelRoute> routes(SandboxChannel& channel) {
  SandboxChannel* c = &channel;
  return {
      {"PUT", "/sandbox/faults",
       [c](const HttpRequest& req, const Parts&) { return set_faults(*c, req); }},
      {"GET", "/sandbox/payments/{payment_no}",
       [c](const HttpRequest&, const Parts& parts) {
         return record(*c, std::string(parts.at(2)));
       }},
      {"POST", "/sandbox/payments/{payment_no}/pay",
       [c](const HttpRequest& req, const Parts& parts) { return settle(*c, req, parts, true); }},
      {"POST", "/sandbox/payments/{payment_no}/fail",
       [c](const HttpRequest& req, const Parts& parts) { return settle(*c, req, parts, false); }},
  };
}

StatementSource statement_source(const SandboxChannel& channel) {
  const SandboxChannel* c = &channel;
  StatementSource s;
  s.media = StatementMedia::kCsv;
  s.parse = &wechatpay::parse_tradebill_file;
  s.fetch = [c](const StatementFetch& fetch) { return c->fetch_statement(fetch); };
  s.account_id = [](const std::string& merchant_id) { return merchant_id; };
  return s;
}

SandboxChannel* register_sandbox(ChannelRegistry& registry, caf::actor_system& system,
                                 SandboxOptions options, std::string* error) {
  auto channel = std::make_shared<SandboxChannel>(system, options);
  ChannelEntry entry;
  entry.name = options.name;
  entry.actor = channel->actor();
  entry.decode_notice = [secret = options.secret, tolerance = options.signature_tolerance_s](
                            const HttpRequest& request, int64_t now_s) {
    return sim::decode_notification(secret, tolerance, request, now_s);
  };
  entry.answer_notice = &sim::answer_notification;
  entry.routes = routes(*channel);
  SandboxChannel* raw = channel.get();
  entry.connect = [raw, options](http::Handler handler) {
    raw->set_sink(loopback(options, std::move(handler)));
  };
  entry.statements = statement_source(*channel);
  entry.owner = channel;
  if (!registry.add(std::move(entry), error)) return nullptr;
  return raw;
}

const ChannelPlugin& plugin() {
  static const ChannelPlugin kPlugin{
      .defaults = {{"sandbox.enabled", "true"},
                   {"sandbox.secret", "chsec_sandbox"},
                   {"sandbox.notify-retry", "1s,5s,30s,3min,10min"}},
      .boolean_options = {"sandbox.enabled"},
      .test_mode_option = "sandbox.enabled",
      .declare = &declare,
      .load = &load,
  };
  return kPlugin;
}

}  // namespace oncepay::channels::sandbox
