// The daemon's configuration: conf/oncepay.conf must say exactly what the
// embedded default says, overrides work as API.md documents, and bad values
// are refused with a message naming the key.
#include "apps/daemon_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "gateway/role.hpp"
#include "tests/support/throwaway_pki.hpp"

namespace oncepay::apps {
namespace {

struct Parsed {
  DaemonSettings settings;
  std::string error;
};

Parsed load(std::vector<std::string> args) {
  std::vector<char*> argv{const_cast<char*>("oncepayd")};
  for (auto& a : args) argv.push_back(a.data());
  DaemonConfig cfg;
  Parsed out;
  out.error = parse_config(cfg, static_cast<int>(argv.size()), argv.data());
  if (out.error.empty()) load_settings(cfg, &out.settings, &out.error);
  return out;
}

// The channels' settings are theirs (channels::ChannelSetup::values): equal
// when every channel is on or off alike with the same option values.
bool same_channels(const DaemonSettings& a, const DaemonSettings& b) {
  if (a.channels.size() != b.channels.size()) return false;
  for (size_t i = 0; i < a.channels.size(); ++i) {
    if (a.channels[i].enabled != b.channels[i].enabled) return false;
    if (a.channels[i].values != b.channels[i].values) return false;
  }
  return true;
}

std::string channel_value(const DaemonSettings& s, const std::string& key) {
  for (const auto& setup : s.channels) {
    if (auto it = setup.values.find(key); it != setup.values.end()) return it->second;
  }
  return "(none)";
}

TEST(DaemonConfigTest, ConfFileEqualsEmbeddedDefault) {
  Parsed builtin = load({});
  Parsed file = load({"--config=" ONCEPAY_SOURCE_DIR "/conf/oncepay.conf"});
  ASSERT_EQ(builtin.error, "");
  ASSERT_EQ(file.error, "");
  const auto& a = builtin.settings;
  const auto& b = file.settings;
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.http.host, b.http.host);
  EXPECT_EQ(a.http.port, b.http.port);
  EXPECT_EQ(a.http.body_limit_bytes, b.http.body_limit_bytes);
  EXPECT_EQ(a.http.read_timeout, b.http.read_timeout);
  EXPECT_EQ(a.engine.payment.in_flight_window_ms, b.engine.payment.in_flight_window_ms);
  EXPECT_EQ(a.engine.payment.max_attempts, b.engine.payment.max_attempts);
  EXPECT_EQ(a.engine.payment.query_ladder_ms, b.engine.payment.query_ladder_ms);
  EXPECT_EQ(a.engine.payment.fast_expiry_ladder_ms, b.engine.payment.fast_expiry_ladder_ms);
  EXPECT_EQ(a.engine.payment.auto_refund_retry_ms, b.engine.payment.auto_refund_retry_ms);
  EXPECT_EQ(a.engine.payment.max_amount_minor, b.engine.payment.max_amount_minor);
  EXPECT_EQ(a.notify_retry_ladder_ms, b.notify_retry_ladder_ms);
  EXPECT_EQ(a.engine.webhook_client.tls_ca_file, b.engine.webhook_client.tls_ca_file);
  EXPECT_EQ(a.engine.channel_timeout, b.engine.channel_timeout);
  EXPECT_EQ(a.engine.shards, b.engine.shards);
  EXPECT_TRUE(same_channels(a, b));
  EXPECT_EQ(a.api.admin_token, b.api.admin_token);
  EXPECT_EQ(a.demo_api_key, b.demo_api_key);
  EXPECT_EQ(a.log_state_changes, b.log_state_changes);
}

TEST(DaemonConfigTest, EmbeddedDefaultMatchesApiMd) {
  const auto s = load({}).settings;
  EXPECT_EQ(s.http.host, "127.0.0.1");
  EXPECT_EQ(s.http.port, 8080);
  EXPECT_EQ(s.data_dir, "./var");
  EXPECT_EQ(s.engine.payment.in_flight_window_ms, 10'000);
  EXPECT_EQ(s.engine.payment.max_attempts, 3);
  EXPECT_EQ(s.engine.payment.query_ladder_ms,
            (std::vector<int64_t>{300'000, 600'000, 1'200'000, 3'600'000, 10'800'000, 28'800'000,
                                  86'400'000}));
  EXPECT_EQ(s.notify_retry_ladder_ms.size(), 15u);
  EXPECT_EQ(s.api.admin_token, "admin-dev-token");
  EXPECT_EQ(channel_value(s, "sandbox.secret"), "chsec_sandbox");
  EXPECT_EQ(channel_value(s, "sandbox.enabled"), "true");
  EXPECT_EQ(s.demo_merchant_id, "demo");
}

TEST(DaemonConfigTest, CommandLineOverrides) {
  auto p = load({"--http.port=0", "--data-dir=/tmp/x", "--payment.in-flight-window=250ms",
                 "--payment.max-attempts=5", "--payment.query-ladder=1s,2min,1h",
                 "--notify.retry-ladder=15s,30s"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.settings.http.port, 0);
  EXPECT_EQ(p.settings.data_dir, "/tmp/x");
  EXPECT_EQ(p.settings.engine.payment.in_flight_window_ms, 250);
  EXPECT_EQ(p.settings.engine.payment.max_attempts, 5);
  EXPECT_EQ(p.settings.engine.payment.query_ladder_ms,
            (std::vector<int64_t>{1'000, 120'000, 3'600'000}));
  EXPECT_EQ(p.settings.notify_retry_ladder_ms, (std::vector<int64_t>{15'000, 30'000}));
}

TEST(DaemonConfigTest, TlsNeedsCertificateAndKey) {
  EXPECT_NE(load({"--http.tls-cert=/tmp/c.pem"}).error.find("http.tls-key"), std::string::npos);
  auto both = load({"--http.tls-cert=/tmp/c.pem", "--http.tls-key=/tmp/k.pem"});
  EXPECT_EQ(both.error, "");
  EXPECT_EQ(both.settings.http.tls_cert_file, "/tmp/c.pem");
}

TEST(DaemonConfigTest, StateChangeLogCanBeTurnedOff) {
  EXPECT_TRUE(load({}).settings.log_state_changes);
  auto off = load({"--log.state-changes=false"});
  ASSERT_EQ(off.error, "");
  EXPECT_FALSE(off.settings.log_state_changes);
}

TEST(DaemonConfigTest, WebhookCaFileDefaultsToTheSystemTrustStore) {
  auto p = load({});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.settings.engine.webhook_client.tls_ca_file, "");
}

TEST(DaemonConfigTest, WebhookCaFileReachesTheWebhookClient) {
  const std::string ca_file =
      (std::filesystem::temp_directory_path() /
       std::string("oncepay_config_test_ca_").append(std::to_string(getpid())))
          .string();
  tls_testing::TestCa ca;
  ASSERT_TRUE(ca.ok());
  ASSERT_TRUE(ca.write(ca_file));
  auto p = load({"--notify.tls-ca-file=" + ca_file});
  std::filesystem::remove(ca_file);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.settings.engine.webhook_client.tls_ca_file, ca_file);
}

TEST(DaemonConfigTest, UnusableWebhookCaFileIsRefusedNamingIt) {
  auto p = load({"--notify.tls-ca-file=/nonexistent/ca.pem"});
  EXPECT_NE(p.error.find("notify.tls-ca-file"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("/nonexistent/ca.pem"), std::string::npos) << p.error;
}

// A tokens file in the temp dir with `mode`, removed at destruction.
struct TokensFile {
  TokensFile(const std::string& text, std::filesystem::perms mode)
      : path((std::filesystem::temp_directory_path() /
              ("oncepay_tokens_" + std::to_string(getpid())))
                 .string()) {
    std::ofstream(path) << text;
    std::filesystem::permissions(path, mode, std::filesystem::perm_options::replace);
  }
  ~TokensFile() { std::filesystem::remove(path); }
  std::string path;
};

constexpr char kViewerLine[] =
    "vera viewer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";

TEST(DaemonConfigTest, TokensFileOperatorsReachTheApi) {
  TokensFile file(std::string("# ops\n") + kViewerLine,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto p = load({"--admin.tokens-file=" + file.path, "--admin.session-ttl=30min"});
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.settings.api.admin.operators.size(), 1u);
  EXPECT_EQ(p.settings.api.admin.operators[0].name, "vera");
  EXPECT_EQ(p.settings.api.admin.operators[0].role, gateway::Role::kViewer);
  EXPECT_EQ(p.settings.api.admin.session_ttl_ms, 1'800'000);
  EXPECT_FALSE(p.settings.api.admin.secure_cookies);
}

TEST(DaemonConfigTest, SessionsLastEightHoursByDefaultAndAreSecureWithTls) {
  auto p = load({"--http.tls-cert=/tmp/c.pem", "--http.tls-key=/tmp/k.pem"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.settings.api.admin.session_ttl_ms, 8 * 3'600'000);
  EXPECT_TRUE(p.settings.api.admin.secure_cookies);
  EXPECT_TRUE(p.settings.api.admin.operators.empty());
  EXPECT_NE(load({"--admin.session-ttl=10s"}).error.find("admin.session-ttl"), std::string::npos);
}

TEST(DaemonConfigTest, ATokensFileOthersMayReadIsRefused) {
  TokensFile file(kViewerLine, std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_write |
                                   std::filesystem::perms::group_read);
  auto p = load({"--admin.tokens-file=" + file.path});
  EXPECT_NE(p.error.find("admin.tokens-file: " + file.path), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("chmod 600"), std::string::npos) << p.error;
}

TEST(DaemonConfigTest, ABadTokensFileLineIsNamed) {
  TokensFile file(std::string(kViewerLine) + "otto boss abc\n",
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto p = load({"--admin.tokens-file=" + file.path});
  EXPECT_NE(p.error.find(": line 2: the role must be"), std::string::npos) << p.error;
}

TEST(DaemonConfigTest, TheNameAdminIsAdminTokensOperator) {
  TokensFile file("admin viewer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NE(load({"--admin.tokens-file=" + file.path}).error.find("admin.token's operator"),
            std::string::npos);
}

TEST(DaemonConfigTest, UnknownOptionIsRefused) {
  EXPECT_NE(load({"--payment.max-attempt=3"}).error, "");
}

TEST(DaemonConfigTest, BadValuesNameTheKey) {
  EXPECT_NE(load({"--payment.query-ladder=2s,1s"}).error.find("payment.query-ladder"),
            std::string::npos);
  EXPECT_NE(load({"--payment.max-attempts=0"}).error.find("payment.max-attempts"),
            std::string::npos);
  EXPECT_NE(load({"--http.port=http"}).error, "");
}

TEST(DaemonConfigTest, TestSecretsNeedTheSandbox) {
  EXPECT_NE(load({"--sandbox.enabled=false"}).error.find("sandbox.enabled"), std::string::npos);
  auto ok = load(
      {"--sandbox.enabled=false", "--admin.token=0123456789abcdef", "--demo.merchant-id=none"});
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(channel_value(ok.settings, "sandbox.enabled"), "false");
  for (const auto& setup : ok.settings.channels) EXPECT_FALSE(setup.enabled);
}

TEST(DaemonConfigTest, MaxAmountDefaultsToNoLimitAndIsOverridable) {
  EXPECT_EQ(load({}).settings.engine.payment.max_amount_minor, 0);
  EXPECT_EQ(load({"--payment.max-amount=500000"}).settings.engine.payment.max_amount_minor, 500000);
  EXPECT_NE(load({"--payment.max-amount=-1"}).error.find("payment.max-amount"), std::string::npos);
}

TEST(DaemonConfigTest, MaxAmountAboveTheApisBoundIsRefused) {
  EXPECT_NE(load({"--payment.max-amount=9007199254740992"}).error.find("2^53"), std::string::npos);
  EXPECT_EQ(load({"--payment.max-amount=9007199254740991"}).error, "");
}

TEST(DaemonConfigTest, GatewayLimitsThatServeNothingAreRefused) {
  EXPECT_NE(load({"--http.threads=0"}).error.find("http.threads"), std::string::npos);
  EXPECT_NE(load({"--http.body-limit=0"}).error.find("http.body-limit"), std::string::npos);
  EXPECT_NE(load({"--http.header-limit=10"}).error.find("http.header-limit"), std::string::npos);
  EXPECT_NE(load({"--http.max-connections=0"}).error.find("http.max-connections"),
            std::string::npos);
  EXPECT_EQ(load({"--http.threads=1", "--http.body-limit=1024"}).error, "");
}

// Counts are read as size_t and narrowed to int: a value that would wrap into
// the valid range (2^32 + 2 -> 2) must be refused, not accepted as the wrapped one.
TEST(DaemonConfigTest, CountsThatWouldWrapAreRefused) {
  EXPECT_NE(load({"--http.threads=4294967298"}).error.find("http.threads"), std::string::npos);
  EXPECT_NE(load({"--payment.max-attempts=4294967299"}).error.find("payment.max-attempts"),
            std::string::npos);
  EXPECT_NE(load({"--http.header-limit=4294967296"}).error.find("http.header-limit"),
            std::string::npos);
  EXPECT_EQ(load({"--http.header-limit=4294967295"}).error, "");
}

std::string help() {
  DaemonConfig cfg;
  return help_text(cfg);
}

TEST(DaemonHelpTest, ListsEngineOptionsWithDefaults) {
  const std::string text = help();
  EXPECT_NE(text.find("--payment.query-ladder  (default: 5min,10min,20min,1h,3h,8h,24h)\n      "
                      "query offsets of a pending attempt"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("--payment.max-amount  (default: 0)"), std::string::npos) << text;
  EXPECT_NE(text.find("--http.port  (default: 8080)\n      port to listen on"), std::string::npos)
      << text;
  EXPECT_NE(text.find("--data-dir  (default: ./var)"), std::string::npos) << text;
  EXPECT_NE(text.find("--long-help"), std::string::npos) << text;
}

// Every option DaemonConfig adds (all of the groups below, and data-dir) is
// in the help with a meaning.
TEST(DaemonHelpTest, ListsEveryOptionDaemonConfigAdds) {
  const std::set<std::string, std::less<>> ours = {
      "http", "payment", "notify",      "channel",   "engine", "sandbox", "admin",
      "log",  "demo",    "channel-sim", "wechatpay", "alipay", "recon"};
  DaemonConfig cfg;
  const std::string text = help_text(cfg);
  size_t checked = 0;
  for (const auto& option : cfg.options()) {
    std::string category(option.category().data(), option.category().size());
    if (ours.count(category) == 0) continue;
    const std::string key =
        category + "." + std::string(option.long_name().data(), option.long_name().size());
    EXPECT_NE(text.find("  --" + key + "  (default: "), std::string::npos) << key;
    ++checked;
  }
  EXPECT_GT(checked, 30u);
  size_t listed = 0;
  for (const auto& option : engine_options()) {
    if (option.key != "config" && option.key != "data-dir") ++listed;
  }
  EXPECT_EQ(listed, checked) << "engine_options() lists an option DaemonConfig does not add";
}

// The help's defaults, given back as arguments, change nothing.
TEST(DaemonHelpTest, HelpDefaultsAreTheEmbeddedDefaults) {
  std::vector<std::string> args;
  for (const auto& option : engine_options()) {
    if (option.default_value.empty()) continue;
    args.push_back("--" + std::string(option.key) + "=" + std::string(option.default_value));
  }
  Parsed builtin = load({});
  Parsed given = load(args);
  ASSERT_EQ(given.error, "");
  const auto& a = builtin.settings;
  const auto& b = given.settings;
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.http.host, b.http.host);
  EXPECT_EQ(a.http.port, b.http.port);
  EXPECT_EQ(a.http.threads, b.http.threads);
  EXPECT_EQ(a.http.max_connections, b.http.max_connections);
  EXPECT_EQ(a.http.header_limit_bytes, b.http.header_limit_bytes);
  EXPECT_EQ(a.http.body_limit_bytes, b.http.body_limit_bytes);
  EXPECT_EQ(a.http.read_timeout, b.http.read_timeout);
  EXPECT_EQ(a.http.idle_timeout, b.http.idle_timeout);
  EXPECT_EQ(a.http.drain_timeout, b.http.drain_timeout);
  EXPECT_EQ(a.engine.payment.in_flight_window_ms, b.engine.payment.in_flight_window_ms);
  EXPECT_EQ(a.engine.payment.max_attempts, b.engine.payment.max_attempts);
  EXPECT_EQ(a.engine.payment.query_ladder_ms, b.engine.payment.query_ladder_ms);
  EXPECT_EQ(a.engine.payment.fast_expiry_ladder_ms, b.engine.payment.fast_expiry_ladder_ms);
  EXPECT_EQ(a.engine.payment.auto_refund_retry_ms, b.engine.payment.auto_refund_retry_ms);
  EXPECT_EQ(a.engine.payment.retry_after_s, b.engine.payment.retry_after_s);
  EXPECT_EQ(a.engine.payment.max_amount_minor, b.engine.payment.max_amount_minor);
  EXPECT_EQ(a.notify_retry_ladder_ms, b.notify_retry_ladder_ms);
  EXPECT_EQ(a.engine.channel_timeout, b.engine.channel_timeout);
  EXPECT_EQ(a.engine.shards, b.engine.shards);
  EXPECT_EQ(a.engine.request_timeout, b.engine.request_timeout);
  EXPECT_TRUE(same_channels(a, b));
  EXPECT_EQ(a.api.admin_token, b.api.admin_token);
  EXPECT_EQ(a.log_state_changes, b.log_state_changes);
  EXPECT_EQ(a.demo_merchant_id, b.demo_merchant_id);
  EXPECT_EQ(a.demo_api_key, b.demo_api_key);
  EXPECT_EQ(a.demo_webhook_secret, b.demo_webhook_secret);
  EXPECT_EQ(a.demo_policy, b.demo_policy);
}

}  // namespace
}  // namespace oncepay::apps
