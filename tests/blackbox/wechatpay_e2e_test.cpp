// End to end over the wechatpay channel: oncepayd with wechatpay enabled,
// a merchant whose wechatpay account (PUT /admin/merchants/{id}/channels/
// wechatpay) points at a running `oncepay-channel-sim --protocol=wechatpay-v3`,
// which notifies the daemon back at the merchant's notify URL. Covers
// paying (NATIVE and JSAPI), the notification, a lost notification found by
// the query ladder, a retry after the in-flight window (close, attempt 2),
// the reversal of an UNKNOWN prepay, a partial refund and its notification,
// and notifications that are forged, stale, misrouted or replayed.
// Keys: generated_locally.json (the Go SDK test key is both the merchant's
// and the platform's, as the simulator's tests use it).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/notification.hpp"
#include "channels/wechatpay/signature.hpp"
#include "codec/json.hpp"
#include "core/wall_clock.hpp"
#include "daemon_process.hpp"
#include "oncepay.pb.h"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
namespace wx = channels::wechatpay;

constexpr const char* kAdmin = "Bearer admin-dev-token";
constexpr const char* kMchid = "1230000109";
constexpr const char* kAppid = "wxd678efh567hg6787";
constexpr const char* kKeyId = "PUB_KEY_ID_0112300001092026113000000000000001";
constexpr const char* kPayBody = R"({"amount":1999,"currency":"CNY","channel":"wechatpay"})";

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string vector_key(std::string_view name) {
  std::ifstream in(std::string(ONCEPAY_VECTORS_DIR) + "/generated_locally.json");
  std::stringstream text;
  text << in.rdbuf();
  const boost::json::value all = boost::json::parse(text.str());
  const auto& entry = all.as_object()
                          .at("keys")
                          .as_object()
                          .at(boost::json::string_view(name.data(), name.size()))
                          .as_object();
  if (const auto* pem = entry.if_contains("pem")) return std::string(pem->get_string());
  return std::string(entry.at("value").get_string());
}

class WechatpayE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string wx_private =
        write("wx_private.pem", vector_key("wechatpay_test_rsa_private_key_pkcs8"));
    const std::string wx_public =
        write("wx_public.pem", vector_key("wechatpay_test_rsa_public_key"));
    const std::string apiv3 = write("apiv3.key", vector_key("wechatpay_apiv3_key"));
    sim_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAY_CHANNEL_SIM_PATH,
        std::vector<std::string>{"--listen=127.0.0.1:0", "--protocol=wechatpay-v3",
                                 std::string("--wechatpay.mchid=") + kMchid,
                                 "--wechatpay.merchant-public-key-file=" + wx_public,
                                 "--wechatpay.platform-private-key-file=" + wx_private,
                                 std::string("--wechatpay.platform-public-key-id=") + kKeyId,
                                 "--wechatpay.apiv3-key-file=" + apiv3,
                                 "--notify-retry=200ms,200ms,400ms,800ms,1s"});
    const uint16_t port = free_port();
    daemon_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAYD_PATH,
        std::vector<std::string>{
            "--http.port=" + std::to_string(port), "--data-dir=" + dir_.path(),
            "--http.public-url=http://127.0.0.1:" + std::to_string(port),
            "--wechatpay.enabled=true", "--wechatpay.timeout=700ms",
            "--payment.in-flight-window=300ms", "--payment.query-ladder=1s,2s,4s",
            "--payment.fast-expiry-ladder=300ms,600ms", "--log.state-changes=false"});
    ASSERT_TRUE(daemon_->wait_ready());
    key_ = create_merchant("wx-m1", kMchid);
    create_merchant("wx-m2", "1900000001");  // another merchant, same keys
  }

  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (std::filesystem::path(dir_.path()) / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Creates the merchant with a wechatpay account at the simulator; its API key.
  std::string create_merchant(const std::string& merchant_id, const std::string& mchid) {
    auto created =
        call("POST", "/admin/merchants", R"({"merchant_id":")" + merchant_id + "\"}", kAdmin);
    EXPECT_EQ(created.status, 201) << created.body;
    v1::MerchantView view;
    EXPECT_TRUE(codec::parse_json(created.body, &view, nullptr)) << created.body;
    boost::json::object account;
    account["mchid"] = mchid;
    account["appid"] = kAppid;
    account["merchant_serial_no"] = "F5765756002FDD77";
    account["merchant_private_key_pem"] = vector_key("wechatpay_test_rsa_private_key_pkcs8");
    account["platform_public_key_id"] = kKeyId;
    account["platform_public_key_pem"] = vector_key("wechatpay_test_rsa_public_key");
    account["apiv3_key"] = vector_key("wechatpay_apiv3_key");
    account["base_url"] = sim_->base_url();
    auto put = call("PUT", "/admin/merchants/" + merchant_id + "/channels/wechatpay",
                    boost::json::serialize(account), kAdmin);
    EXPECT_EQ(put.status, 200) << put.body;
    return "Bearer " + view.api_key();
  }

  http::HttpClientResult call(const std::string& method, const std::string& path,
                              const std::string& body, const std::string& auth) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return daemon_->request(method, path, headers, body, 5s);
  }

  http::HttpClientResult call(const std::string& method, const std::string& path,
                              const std::string& body = {}) {
    return call(method, path, body, key_);
  }

  http::HttpClientResult sim(const std::string& method, const std::string& path,
                             const std::string& body = {}) {
    return sim_->request(method, path, {}, body, 5s);
  }

  uint64_t sim_stat(const std::string& name) {
    auto r = sim("GET", "/sim/stats");
    const std::string key = "\"" + name + "\":";
    const size_t at = r.body.find(key);
    if (at == std::string::npos) return 0;
    return std::stoull(r.body.substr(at + key.size()));
  }

  void wait_deliveries_done(uint64_t delivered) {
    const bool done = testing::poll_until(
        [&] {
          return sim_stat("notifications_delivered") >= delivered &&
                 sim_stat("notifications_pending") == 0;
        },
        [](bool finished) { return finished; }, 8s);
    if (!done) ADD_FAILURE() << "the simulator did not finish delivering " << delivered;
  }

  v1::OrderView order(const std::string& no) {
    v1::OrderView v;
    auto r = call("GET", "/v1/orders/" + no);
    EXPECT_TRUE(codec::parse_json(r.body, &v, nullptr)) << r.body;
    return v;
  }

  template <class Pred>
  v1::OrderView wait_for(const std::string& no, Pred done, std::chrono::milliseconds limit = 10s) {
    auto v = testing::poll_until([&] { return order(no); }, done, limit);
    if (!done(v)) ADD_FAILURE() << "not reached for " << no << ": " << codec::to_json(v);
    return v;
  }

  v1::OrderView pay(const std::string& no, const std::string& body = kPayBody) {
    auto r = call("POST", "/v1/orders/" + no + "/pay", body);
    EXPECT_EQ(r.status, 201) << r.body;
    v1::OrderView v;
    EXPECT_TRUE(codec::parse_json(r.body, &v, nullptr)) << r.body;
    return v;
  }

  static int events_of(const v1::OrderView& v, const std::string& type) {
    int n = 0;
    for (const auto& e : v.events()) n += e.type() == type;
    return n;
  }

  // A notification signed with the platform key at `signed_at`, POSTed to
  // the merchant's notify URL (`merchant_path` "" = the bare channel URL).
  http::HttpClientResult notify(const std::string& merchant_path, const std::string& plaintext,
                                int64_t signed_at, bool forge = false) {
    wx::NotificationSpec spec;
    spec.id = "EV-e2e-1";
    spec.create_time = "2026-11-30T08:00:01+08:00";
    spec.event_type = "TRANSACTION.SUCCESS";
    spec.original_type = "transaction";
    spec.associated_data = "transaction";
    spec.nonce = "a1b2c3d4e5f6";
    spec.plaintext = plaintext;
    std::string body;
    EXPECT_EQ(wx::encode_notification(spec, vector_key("wechatpay_apiv3_key"), &body),
              wx::Error::kOk);
    wx::PrivateKey platform;
    EXPECT_EQ(wx::load_private_key(vector_key("wechatpay_test_rsa_private_key_pkcs8"), &platform),
              wx::Error::kOk);
    wx::SignedHeaders h;
    EXPECT_EQ(wx::sign_response(platform, kKeyId, signed_at, "nonce-e2e", body, &h),
              wx::Error::kOk);
    if (forge) body.back() = ' ';
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"},
                                                             {"Wechatpay-Timestamp", h.timestamp},
                                                             {"Wechatpay-Nonce", h.nonce},
                                                             {"Wechatpay-Signature", h.signature},
                                                             {"Wechatpay-Serial", h.serial}};
    return daemon_->request("POST", "/v1/channels/wechatpay/notify" + merchant_path, headers, body,
                            5s);
  }

  static std::string paid_plaintext(const std::string& payment_no) {
    wx::Transaction t;
    t.appid = kAppid;
    t.mchid = kMchid;
    t.out_trade_no = payment_no;
    t.transaction_id = "4200000000202611300000000099";
    t.trade_type = "NATIVE";
    t.trade_state = "SUCCESS";
    t.success_time = "2026-11-30T08:00:00+08:00";
    t.has_amount = true;
    t.total_fen = 1999;
    t.currency = "CNY";
    return wx::transaction_json(t);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::DaemonProcess> sim_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
  std::string key_;
};

TEST_F(WechatpayE2ETest, NativePayThenTheNotificationMakesItPaid) {
  auto v = pay("wx-pay");
  ASSERT_EQ(v.attempts_size(), 1);
  const auto& attempt = v.attempt();
  EXPECT_EQ(attempt.prepay().code_url().rfind("weixin://wxpay/bizpayurl?pr=", 0), 0u)
      << codec::to_json(v);
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + attempt.payment_no() + "/pay").status, 200);
  auto paid = wait_for("wx-pay", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(paid.paid_payment_no(), attempt.payment_no());
  wait_deliveries_done(1);
  EXPECT_EQ(events_of(order("wx-pay"), "order.paid"), 1);
  auto ready = call("GET", "/readyz", "", "");
  EXPECT_NE(ready.body.find("channel wechatpay: breaker closed"), std::string::npos) << ready.body;
}

TEST_F(WechatpayE2ETest, JsapiPrepayCarriesTheClientPayParameters) {
  auto v = pay("wx-jsapi",
               R"({"amount":1999,"currency":"CNY","channel":"wechatpay","trade_type":"jsapi",)"
               R"("payer_openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})");
  const auto& prepay = v.attempt().prepay();
  EXPECT_FALSE(prepay.prepay_id().empty());
  ASSERT_EQ(prepay.pay_params_size(), 6) << codec::to_json(v);
  EXPECT_EQ(prepay.pay_params(0).name(), "appId");
  EXPECT_EQ(prepay.pay_params(3).value(), "prepay_id=" + prepay.prepay_id());
}

TEST_F(WechatpayE2ETest, LostNotificationIsFoundByTheQueryLadder) {
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"notify_drop":1.0})").status, 200);
  const std::string p = pay("wx-lost").attempt().payment_no();
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  auto v = wait_for("wx-lost", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(v.events(v.events_size() - 1).detail(), "via query") << codec::to_json(v);
}

TEST_F(WechatpayE2ETest, RetryAfterTheWindowClosesTheFirstAttempt) {
  const std::string first = pay("wx-retry").attempt().payment_no();
  // Within the in-flight window a second pay returns the same attempt; after
  // it, attempt 2 starts and the first is queried and closed at the channel.
  auto v = testing::poll_until(
      [&] {
        v1::OrderView o;
        auto r = call("POST", "/v1/orders/wx-retry/pay", kPayBody);
        codec::parse_json(r.body, &o, nullptr);
        return o;
      },
      [](const v1::OrderView& o) { return o.attempts_size() == 2; }, 5s);
  ASSERT_EQ(v.attempts_size(), 2) << codec::to_json(v);
  auto closed =
      wait_for("wx-retry", [](auto& o) { return o.attempts(0).status() == v1::Attempt::CLOSED; });
  EXPECT_EQ(closed.attempts(0).payment_no(), first);
  auto at_channel = sim("GET", "/sandbox/payments/" + first);
  EXPECT_NE(at_channel.body.find("CLOSED"), std::string::npos) << at_channel.body;
}

TEST_F(WechatpayE2ETest, UnknownPrepayIsReversedByClosingIt) {
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"prepay_timeout":1.0})").status, 200);
  auto r = call("POST", "/v1/orders/wx-unknown/pay", kPayBody);
  EXPECT_EQ(r.status, 503) << r.body;
  ASSERT_EQ(sim("PUT", "/sandbox/faults", "{}").status, 200);
  auto v = wait_for("wx-unknown", [](auto& o) {
    return o.attempts_size() > 0 && o.attempts(0).status() == v1::Attempt::CLOSED;
  });
  auto at_channel = sim("GET", "/sandbox/payments/" + v.attempts(0).payment_no());
  EXPECT_NE(at_channel.body.find("CLOSED"), std::string::npos) << at_channel.body;
}

TEST_F(WechatpayE2ETest, PartialRefundAndItsNotification) {
  const std::string p = pay("wx-refund").attempt().payment_no();
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  wait_for("wx-refund", [](auto& o) { return o.status() == v1::Order::PAID; });
  auto r = call("POST", "/v1/orders/wx-refund/refunds", R"({"refund_no":"wxr1","amount":500})");
  EXPECT_TRUE(r.status == 200 || r.status == 201 || r.status == 202) << r.body;
  auto v = wait_for("wx-refund", [](auto& o) {
    return o.refunds_size() == 1 && o.refunds(0).status() == v1::Refund::SUCCEEDED;
  });
  EXPECT_EQ(v.refunded_amount(), 500);
  wait_deliveries_done(2);  // the payment's and the refund's notifications
  EXPECT_EQ(order("wx-refund").refunds_size(), 1);
}

TEST_F(WechatpayE2ETest, ForgedStaleMisroutedAndReplayedNotificationsChangeNothing) {
  const std::string p = pay("wx-notify").attempt().payment_no();
  const int64_t now = core::unix_seconds();
  EXPECT_EQ(notify("/wx-m1", paid_plaintext(p), now, true).status, 401) << "forged";
  EXPECT_EQ(notify("/wx-m1", paid_plaintext(p), now - 600).status, 401) << "stale";
  EXPECT_EQ(notify("/wx-m2", paid_plaintext(p), now).status, 401) << "another merchant's";
  EXPECT_EQ(notify("/wx-none", paid_plaintext(p), now).status, 404) << "unknown merchant";
  EXPECT_EQ(notify("", paid_plaintext(p), now).status, 404) << "no merchant";
  EXPECT_EQ(order("wx-notify").status(), v1::Order::PAYING);
  // A genuine one pays it; its replay is acknowledged alike and changes nothing.
  EXPECT_EQ(notify("/wx-m1", paid_plaintext(p), now).status, 204);
  EXPECT_EQ(order("wx-notify").status(), v1::Order::PAID);
  EXPECT_EQ(notify("/wx-m1", paid_plaintext(p), now).status, 204);
  auto v = order("wx-notify");
  EXPECT_EQ(events_of(v, "order.paid"), 1);
}

}  // namespace
}  // namespace oncepay
