#include "apps/daemon_config.hpp"

#include <algorithm>
#include <cstdint>

#include "apps/daemon_channels.hpp"
#include "core/config.hpp"
#include "gateway/auth.hpp"
#include "http/http_client.hpp"
#include "http/url.hpp"

namespace oncepay::apps {

namespace {

using caf::timespan;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// The embedded default (kept equal to conf/oncepay.conf by a test).
struct Defaults {
  static constexpr const char* kHost = "127.0.0.1";
  static constexpr uint16_t kPort = 8080;
  static constexpr const char* kDataDir = "./var";
  static constexpr const char* kAdminToken = "admin-dev-token";
  static constexpr const char* kDemoId = "demo";
  static constexpr const char* kDemoKey = "sk_test_demo";
  static constexpr const char* kDemoWebhookSecret = "whsec_test_demo";
};

int64_t to_ms(timespan t) { return duration_cast<milliseconds>(t).count(); }

std::vector<int64_t> to_ms(const std::vector<timespan>& ts) {
  std::vector<int64_t> out;
  for (auto t : ts) out.push_back(to_ms(t));
  return out;
}

std::vector<timespan> spans(std::initializer_list<int64_t> ms) {
  std::vector<timespan> out;
  for (auto m : ms) out.push_back(duration_cast<timespan>(milliseconds(m)));
  return out;
}

timespan ms(int64_t n) { return duration_cast<timespan>(milliseconds(n)); }

}  // namespace

DaemonConfig::DaemonConfig() {
  opt_group{custom_options_, "global"}.add<std::string>("data-dir",
                                                        "directory of the WAL and snapshots");
  opt_group{custom_options_, "http"}
      .add<std::string>("host", "address to listen on")
      .add<uint16_t>("port", "port to listen on (0: pick a free one and print it)")
      .add<size_t>("threads", "gateway I/O threads")
      .add<size_t>("max-connections", "open connections at most")
      .add<size_t>("header-limit", "request header bytes at most")
      .add<size_t>("body-limit", "request body bytes at most")
      .add<timespan>("read-timeout", "time to read one request")
      .add<timespan>("idle-timeout", "keep-alive idle time")
      .add<timespan>("drain-timeout", "time in-flight requests get at shutdown")
      .add<std::string>("tls-cert", "PEM certificate chain: serve HTTPS (with http.tls-key)")
      .add<std::string>("tls-key", "PEM private key of http.tls-cert")
      .add<std::string>("public-url",
                        "the daemon's URL as channels reach it (their notify_url); default "
                        "http://HOST:PORT of http.host and http.port");
  opt_group{custom_options_, "payment"}
      .add<timespan>("in-flight-window", "a repeat within this time returns the live attempt")
      .add<size_t>("max-attempts", "payment attempts per merchant order")
      .add<std::vector<timespan>>("query-ladder", "query offsets of a pending attempt")
      .add<std::vector<timespan>>("fast-expiry-ladder",
                                  "checks of an attempt that stopped counting")
      .add<std::vector<timespan>>("auto-refund-retry", "retries of an automatic refund")
      .add<timespan>("retry-after", "Retry-After of payment_status_unknown")
      .add<int64_t>("max-amount",
                    "largest pay amount in minor units (0: only the API's bound, 2^53-1)")
      .add<bool>("confirm-notified-success",
                 "keep a notified success only once a query of the channel confirms it");
  opt_group{custom_options_, "notify"}
      .add<std::vector<timespan>>("retry-ladder", "merchant webhook retry ladder")
      .add<std::string>("tls-ca-file",
                        "PEM CA certificates trusted for https:// webhooks besides the system "
                        "trust store (empty: the system trust store alone)");
  opt_group{custom_options_, "channel"}.add<timespan>("timeout", "bound on one channel call");
  opt_group{custom_options_, "engine"}
      .add<size_t>("shards", "shard actors")
      .add<timespan>("request-timeout", "bound on one request's whole flow");
  opt_group{custom_options_, "recon"}
      .add<std::string>("timezone", "the channels' business day: an IANA time zone")
      .add<std::string>("daily-at",
                        "HH:MM in recon.timezone: fetch and reconcile yesterday's statements "
                        "(empty: no schedule)")
      .add<size_t>("hold-days", "days a platform-only success waits before channel_missing")
      .add<size_t>("max-statement-bytes", "largest statement upload")
      .add<std::vector<timespan>>("retry-ladder",
                                  "the schedule asks again for a statement not ready yet")
      .add<timespan>("fetch-timeout", "bound on one statement download request");
  for (const auto* channel : daemon_channels()) channel->declare(custom_options_);
  opt_group{custom_options_, "admin"}
      .add<std::string>("token", "bearer token of /admin: the operator \"admin\", role admin")
      .add<std::string>("tokens-file",
                        "operators, one `name role sha256hex-of-token` line each (viewer | "
                        "operator | admin); mode 0600 (docs/CONSOLE.md)")
      .add<timespan>("session-ttl", "lifetime of a console session (its cookie's Max-Age)");
  opt_group{custom_options_, "log"}.add<bool>("state-changes",
                                              "one JSON line on stderr per order state change");
  opt_group{custom_options_, "demo"}
      .add<std::string>("merchant-id", "the demo merchant (none: no demo merchant)")
      .add<std::string>("api-key", "the demo merchant's API key")
      .add<std::string>("webhook-secret", "the demo merchant's webhook secret")
      .add<std::string>("policy", "strict | refund_duplicates");
}

namespace {

// The options before the channels' (in --help order).
std::vector<OptionDefault> core_options() {
  return {
      {"config", ""},
      {"data-dir", Defaults::kDataDir},
      {"http.host", Defaults::kHost},
      {"http.port", "8080"},
      {"http.threads", "2"},
      {"http.max-connections", "1024"},
      {"http.header-limit", "8192"},
      {"http.body-limit", "65536"},
      {"http.read-timeout", "10s"},
      {"http.idle-timeout", "60s"},
      {"http.drain-timeout", "10s"},
      {"http.tls-cert", ""},
      {"http.tls-key", ""},
      {"http.public-url", ""},
      {"payment.in-flight-window", "10s"},
      {"payment.max-attempts", "3"},
      {"payment.query-ladder", "5min,10min,20min,1h,3h,8h,24h"},
      {"payment.fast-expiry-ladder", "10s,1min,5min,15min"},
      {"payment.auto-refund-retry", "10s,1min,5min,30min,2h"},
      {"payment.retry-after", "5s"},
      {"payment.max-amount", "0"},
      {"payment.confirm-notified-success", "false"},
      {"notify.retry-ladder",
       "15s,15s,30s,3min,10min,20min,30min,30min,30min,60min,3h,3h,3h,6h,6h"},
      {"notify.tls-ca-file", ""},
      {"channel.timeout", "5s"},
      {"engine.shards", "64"},
      {"engine.request-timeout", "30s"},
      {"recon.timezone", "Asia/Shanghai"},
      {"recon.daily-at", "10:00"},
      {"recon.hold-days", "3"},
      {"recon.max-statement-bytes", "268435456"},
      {"recon.retry-ladder", "30min,1h,2h,4h,8h"},
      {"recon.fetch-timeout", "30s"},
  };
}

// ... and after them.
std::vector<OptionDefault> late_options() {
  return {
      {"admin.token", Defaults::kAdminToken},
      {"admin.tokens-file", ""},
      {"admin.session-ttl", "8h"},
      {"log.state-changes", "true"},
      {"demo.merchant-id", Defaults::kDemoId},
      {"demo.api-key", Defaults::kDemoKey},
      {"demo.webhook-secret", Defaults::kDemoWebhookSecret},
      {"demo.policy", "strict"},
  };
}

}  // namespace

const std::vector<OptionDefault>& engine_options() {
  static const std::vector<OptionDefault> kOptions = [] {
    std::vector<OptionDefault> out = core_options();
    for (const auto* channel : daemon_channels()) {
      out.insert(out.end(), channel->defaults.begin(), channel->defaults.end());
    }
    auto late = late_options();
    out.insert(out.end(), late.begin(), late.end());
    return out;
  }();
  return kOptions;
}

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-?") return true;
  }
  return false;
}

std::string help_text(const DaemonConfig& cfg) {
  std::string out =
      "Usage: oncepayd [--config=FILE] [--group.key=value ...]\n"
      "Options (durations take ms, s, min, h; lists are comma "
      "separated):\n";
  for (const auto& option : engine_options()) {
    std::string key(option.key);
    // Top-level keys are CAF's "global" category; --config is --config-file.
    std::string qualified = key.find('.') == std::string::npos ? "global." + key : key;
    if (key == "config") qualified = "global.config-file";
    const auto* described = cfg.options().qualified_name_lookup(qualified);
    std::string meaning;
    if (described != nullptr) {
      meaning.assign(described->description().data(), described->description().size());
    }
    if (key == "config") meaning = "configuration file (conf/oncepay.conf holds the defaults)";
    const std::string value =
        option.default_value.empty() ? "none" : std::string(option.default_value);
    out += "  --" + key + "  (default: " + value + ")\n      " + meaning + "\n";
  }
  out += "CAF's own options (scheduler, logger, middleman, ...): --long-help\n";
  return out;
}

std::vector<std::string> normalize_args(int argc, char** argv,
                                        std::vector<std::pair<std::string, bool>>* booleans) {
  std::vector<std::string_view> boolean_options = {"log.state-changes",
                                                   "payment.confirm-notified-success"};
  for (const auto* channel : daemon_channels()) {
    boolean_options.insert(boolean_options.end(), channel->boolean_options.begin(),
                           channel->boolean_options.end());
  }
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) arg = "--config-file=" + arg.substr(9);
    bool taken = false;
    for (auto key : boolean_options) {
      const std::string prefix = "--" + std::string(key) + "=";
      if (arg.rfind(prefix, 0) != 0) continue;
      const std::string value = arg.substr(prefix.size());
      if (value == "true" || value == "false") {
        booleans->emplace_back(std::string(key), value == "true");
        taken = true;
      }
    }
    if (!taken) out.push_back(std::move(arg));
  }
  return out;
}

std::string parse_config(DaemonConfig& cfg, int argc, char** argv) {
  std::vector<std::pair<std::string, bool>> booleans;
  auto args = normalize_args(argc, argv, &booleans);
  if (auto err = cfg.parse(std::move(args))) return caf::to_string(err);
  for (const auto& [key, value] : booleans) caf::put(cfg.content, key, value);
  return {};
}

namespace {

// Every channel's options, in daemon_channels() order.
bool load_channels(const caf::actor_system_config& cfg, DaemonSettings* s, std::string* error) {
  s->channels.clear();
  for (const auto* channel : daemon_channels()) {
    channels::ChannelSetup setup;
    if (!channel->load(cfg, &setup, error)) return false;
    s->channels.push_back(std::move(setup));
  }
  return true;
}

// Is a channel that allows the embedded default's test secrets on?
bool test_mode(const std::vector<channels::ChannelSetup>& setups) {
  return std::any_of(setups.begin(), setups.end(), [](const channels::ChannelSetup& setup) {
    return setup.enabled && setup.allows_test_secrets;
  });
}

// The options that turn test mode on ("sandbox.enabled"), for the refusal.
std::string test_mode_options() {
  std::string out;
  for (const auto* channel : daemon_channels()) {
    if (channel->test_mode_option.empty()) continue;
    if (!out.empty()) out += " or ";
    out += channel->test_mode_option;
  }
  return out;
}

// admin.tokens-file and admin.session-ttl (gateway/auth.hpp).
bool load_admin(const caf::actor_system_config& cfg, DaemonSettings* s, std::string* error) {
  auto& admin = s->api.admin;
  const std::string tokens_file = caf::get_or(cfg, "admin.tokens-file", std::string());
  if (!tokens_file.empty() && !gateway::load_operators_file(tokens_file, &admin.operators, error)) {
    *error = "admin.tokens-file: " + *error;
    return false;
  }
  for (const auto& op : admin.operators) {
    if (op.name == gateway::kAdminTokenOperator) {
      *error = "admin.tokens-file: the name \"admin\" is admin.token's operator";
      return false;
    }
  }
  admin.session_ttl_ms = to_ms(caf::get_or(cfg, "admin.session-ttl", ms(8 * 3600 * 1000)));
  if (admin.session_ttl_ms < 60'000 || admin.session_ttl_ms > 30LL * 24 * 3600 * 1000) {
    *error = "admin.session-ttl must be between 1min and 30 days";
    return false;
  }
  admin.secure_cookies = !s->http.tls_cert_file.empty();
  return true;
}

}  // namespace

bool load_settings(const caf::actor_system_config& cfg, DaemonSettings* s, std::string* error) {
  using caf::get_or;
  s->data_dir = get_or(cfg, "data-dir", std::string(Defaults::kDataDir));

  auto& http = s->http;
  http.host = get_or(cfg, "http.host", std::string(Defaults::kHost));
  http.port = get_or(cfg, "http.port", Defaults::kPort);
  // Range-checked before it narrows to int: 2^32 + 2 must not pass as 2.
  const size_t threads = get_or(cfg, "http.threads", size_t{2});
  http.threads = threads <= 64 ? static_cast<int>(threads) : 0;  // 0 is refused below
  http.max_connections = get_or(cfg, "http.max-connections", size_t{1024});
  http.header_limit_bytes = get_or(cfg, "http.header-limit", size_t{8 * 1024});
  http.body_limit_bytes = get_or(cfg, "http.body-limit", size_t{64 * 1024});
  http.read_timeout = milliseconds(to_ms(get_or(cfg, "http.read-timeout", ms(10'000))));
  http.idle_timeout = milliseconds(to_ms(get_or(cfg, "http.idle-timeout", ms(60'000))));
  http.drain_timeout = milliseconds(to_ms(get_or(cfg, "http.drain-timeout", ms(10'000))));
  http.tls_cert_file = get_or(cfg, "http.tls-cert", std::string());
  http.tls_key_file = get_or(cfg, "http.tls-key", std::string());
  s->public_url = get_or(cfg, "http.public-url", std::string());
  while (!s->public_url.empty() && s->public_url.back() == '/') s->public_url.pop_back();
  if (s->public_url.empty()) {
    s->public_url = std::string(http.tls_cert_file.empty() ? "http://" : "https://") + http.host +
                    ":" + std::to_string(http.port);
  } else if (!http::is_http_url(s->public_url)) {
    *error = "http.public-url must be an http:// or https:// URL";
    return false;
  }
  // Bounds that keep the gateway able to answer at all: no I/O thread, or
  // limits no request fits in, would start a daemon that serves nothing.
  if (http.threads < 1 || http.threads > 64) {
    *error = "http.threads must be between 1 and 64";
    return false;
  }
  if (http.max_connections < 1) {
    *error = "http.max-connections must be at least 1";
    return false;
  }
  if (http.header_limit_bytes < 1024 || http.header_limit_bytes > UINT32_MAX) {
    // Beast takes a 32-bit header limit (HttpServer checks it as an invariant).
    *error = "http.header-limit must be between 1024 bytes and 4 GiB";
    return false;
  }
  if (http.body_limit_bytes < 1024) {
    *error = "http.body-limit must be at least 1024 bytes";
    return false;
  }
  if (http.read_timeout.count() <= 0 || http.idle_timeout.count() <= 0) {
    *error = "http.read-timeout and http.idle-timeout must be positive";
    return false;
  }
  if (http.tls_cert_file.empty() != http.tls_key_file.empty()) {
    *error = "http.tls-cert and http.tls-key go together";
    return false;
  }

  auto& recon = s->recon;
  recon.timezone = get_or(cfg, "recon.timezone", std::string("Asia/Shanghai"));
  recon.daily_at = get_or(cfg, "recon.daily-at", std::string("10:00"));
  const size_t hold_days = get_or(cfg, "recon.hold-days", size_t{3});
  if (hold_days < 1 || hold_days > 90) {
    *error = "recon.hold-days must be between 1 and 90";
    return false;
  }
  recon.hold_days = static_cast<int32_t>(hold_days);
  recon.max_statement_bytes = get_or(cfg, "recon.max-statement-bytes", size_t{256} << 20);
  if (recon.max_statement_bytes < 1024) {
    *error = "recon.max-statement-bytes must be at least 1024";
    return false;
  }
  recon.retry_ladder.clear();
  for (int64_t at :
       to_ms(get_or(cfg, "recon.retry-ladder",
                    spans({1'800'000, 3'600'000, 7'200'000, 14'400'000, 28'800'000})))) {
    recon.retry_ladder.push_back(milliseconds(at));
  }
  recon.fetch_timeout = milliseconds(to_ms(get_or(cfg, "recon.fetch-timeout", ms(30'000))));
  {
    actors::ReconCalendar calendar;
    if (!actors::ReconCalendar::load(recon.timezone, recon.daily_at, &calendar, error))
      return false;
  }
  if (recon.fetch_timeout.count() <= 0) {
    *error = "recon.fetch-timeout must be positive";
    return false;
  }

  core::PaymentConfig defaults;
  auto& p = s->engine.payment;
  p.in_flight_window_ms = to_ms(get_or(cfg, "payment.in-flight-window", ms(10'000)));
  // Range-checked before it narrows to int32: 2^32 + 3 must not pass as 3.
  const size_t max_attempts = get_or(cfg, "payment.max-attempts", size_t{3});
  p.max_attempts = max_attempts <= static_cast<size_t>(core::kMaxAttemptsLimit)
                       ? static_cast<int32_t>(max_attempts)
                       : core::kMaxAttemptsLimit + 1;  // refused by core::validate below
  p.query_ladder_ms = to_ms(
      get_or(cfg, "payment.query-ladder",
             spans({300'000, 600'000, 1'200'000, 3'600'000, 10'800'000, 28'800'000, 86'400'000})));
  p.fast_expiry_ladder_ms =
      to_ms(get_or(cfg, "payment.fast-expiry-ladder", spans({10'000, 60'000, 300'000, 900'000})));
  p.auto_refund_retry_ms = to_ms(get_or(cfg, "payment.auto-refund-retry",
                                        spans({10'000, 60'000, 300'000, 1'800'000, 7'200'000})));
  p.retry_after_s = to_ms(get_or(cfg, "payment.retry-after", ms(5'000))) / 1000;
  p.max_amount_minor = get_or(cfg, "payment.max-amount", int64_t{0});
  p.confirm_notified_success = get_or(cfg, "payment.confirm-notified-success", false);
  if (auto e = core::validate(p); !e.empty()) {
    *error = e;
    return false;
  }
  s->notify_retry_ladder_ms = to_ms(get_or(
      cfg, "notify.retry-ladder",
      spans({15'000, 15'000, 30'000, 180'000, 600'000, 1'200'000, 1'800'000, 1'800'000, 1'800'000,
             3'600'000, 10'800'000, 10'800'000, 10'800'000, 21'600'000, 21'600'000})));
  if (s->notify_retry_ladder_ms.empty()) {
    *error = "notify.retry-ladder must have at least one step";
    return false;
  }
  // Checked now so that a bad file stops startup instead of failing every
  // https:// delivery later.
  s->engine.webhook_client.tls_ca_file = get_or(cfg, "notify.tls-ca-file", std::string());
  if (!s->engine.webhook_client.tls_ca_file.empty()) {
    if (auto problem = http::check_tls_client_options(s->engine.webhook_client); !problem.empty()) {
      *error = "notify.tls-ca-file: " + problem;
      return false;
    }
  }

  auto& e = s->engine;
  e.channel_timeout = milliseconds(to_ms(get_or(cfg, "channel.timeout", ms(5'000))));
  e.shards = get_or(cfg, "engine.shards", size_t{64});
  e.request_timeout = milliseconds(to_ms(get_or(cfg, "engine.request-timeout", ms(30'000))));
  if (e.shards == 0 || e.shards > 4096) {
    *error = "engine.shards must be between 1 and 4096";
    return false;
  }
  if (e.channel_timeout.count() <= 0) {
    *error = "channel.timeout must be positive";
    return false;
  }

  s->api.admin_token = get_or(cfg, "admin.token", std::string(Defaults::kAdminToken));
  if (!load_admin(cfg, s, error)) return false;
  s->log_state_changes = get_or(cfg, "log.state-changes", true);
  s->demo_merchant_id = get_or(cfg, "demo.merchant-id", std::string(Defaults::kDemoId));
  if (s->demo_merchant_id == "none") s->demo_merchant_id.clear();
  s->demo_api_key = get_or(cfg, "demo.api-key", std::string(Defaults::kDemoKey));
  s->demo_webhook_secret =
      get_or(cfg, "demo.webhook-secret", std::string(Defaults::kDemoWebhookSecret));
  s->demo_policy = get_or(cfg, "demo.policy", std::string("strict"));
  core::Policy policy;
  if (!core::parse_policy(s->demo_policy, &policy)) {
    *error = "demo.policy must be strict or refund_duplicates";
    return false;
  }
  if (!load_channels(cfg, s, error)) return false;
  if (s->api.admin_token.size() < 8) {
    *error = "admin.token must be at least 8 characters";
    return false;
  }
  if (!test_mode(s->channels)) {
    const bool test_secrets =
        s->api.admin_token == Defaults::kAdminToken ||
        (!s->demo_merchant_id.empty() && (s->demo_api_key == Defaults::kDemoKey ||
                                          s->demo_webhook_secret == Defaults::kDemoWebhookSecret));
    if (test_secrets) {
      *error =
          "the test secrets of the embedded default (admin-dev-token, sk_test_demo, "
          "whsec_test_demo) are only allowed with " +
          test_mode_options() + "; set admin.token and demo.* (or demo.merchant-id=none)";
      return false;
    }
  }
  return true;
}

}  // namespace oncepay::apps
