// End to end over the alipay channel: oncepayd with alipay.enabled, a
// merchant whose Alipay account (PUT /admin/merchants/{id}/channels/alipay)
// points at `oncepay-channel-sim --protocol=alipay`, which plays Alipay's
// gateway with the vector keys and notifies the daemon back at the
// merchant's notify URL. Covers: pay (qr_code), the payer paying at the
// simulator and its notification, a lost notification found by the query
// ladder, a retry after the in-flight window (query, close, attempt 2), the
// reversal of a prepay whose answer was lost, a partial refund and its
// notification, and forged, stale, replayed and misrouted notifications.
// Short ladders keep the file within seconds; waits poll (poll_until).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "codec/json.hpp"
#include "core/wall_clock.hpp"
#include "daemon_process.hpp"
#include "oncepay.pb.h"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
namespace ali = channels::alipay;

constexpr const char* kAdmin = "Bearer admin-dev-token";
constexpr const char* kAppId = "2021000000000001";
constexpr const char* kOtherAppId = "2021000000000002";
constexpr const char* kMerchant = "ali-m";
constexpr const char* kOtherMerchant = "ali-m2";
constexpr const char* kPayBody = R"({"amount":1999,"currency":"CNY","channel":"alipay"})";
constexpr const char* kForm = "application/x-www-form-urlencoded; charset=utf-8";

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

class AlipayE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string app_public = write("app_public.pem", vector_key("alipay_app_rsa_public_key"));
    const std::string platform =
        write("platform.pem", vector_key("alipay_platform_rsa_private_key_pkcs8"));
    sim_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAY_CHANNEL_SIM_PATH,
        std::vector<std::string>{"--listen=127.0.0.1:0", "--protocol=alipay",
                                 std::string("--alipay.app-id=") + kAppId,
                                 "--alipay.app-public-key-file=" + app_public,
                                 "--alipay.platform-private-key-file=" + platform,
                                 "--notify-retry=200ms,200ms,400ms,800ms"});
    daemon_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAYD_PATH,
        std::vector<std::string>{
            "--http.port=" + std::to_string(free_port()), "--data-dir=" + dir_.path(),
            "--alipay.enabled=true", "--alipay.timeout=700ms", "--payment.in-flight-window=300ms",
            "--payment.query-ladder=500ms,1s,2s", "--payment.fast-expiry-ladder=300ms,600ms",
            "--log.state-changes=false"});
    ASSERT_TRUE(daemon_->wait_ready());
    api_key_ = "Bearer " + create_merchant(kMerchant);
    put_account(kMerchant, kAppId);
  }

  void TearDown() override {
    daemon_.reset();
    sim_.reset();
    std::error_code ec;
    std::filesystem::remove_all(keys_dir_, ec);
  }

  std::string write(const std::string& name, const std::string& content) {
    std::filesystem::create_directories(keys_dir_);
    const std::string path = (keys_dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  http::HttpClientResult call(const std::string& method, const std::string& path,
                              const std::string& body = {}, std::string auth = {}) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    headers.emplace_back("Authorization", auth.empty() ? api_key_ : auth);
    return daemon_->request(method, path, headers, body, 5s);
  }

  std::string create_merchant(const std::string& id) {
    auto r = call("POST", "/admin/merchants", R"({"merchant_id":")" + id + R"("})", kAdmin);
    EXPECT_EQ(r.status, 201) << r.body;
    v1::MerchantView m;
    EXPECT_TRUE(codec::parse_json(r.body, &m, nullptr)) << r.body;
    return m.api_key();
  }

  void put_account(const std::string& merchant, std::string_view app_id) {
    boost::json::object o;
    o["app_id"] = app_id;
    o["app_private_key_pem"] = vector_key("alipay_app_rsa_private_key_pkcs8");
    o["alipay_public_key_pem"] = vector_key("alipay_platform_rsa_public_key");
    o["base_url"] = sim_->base_url() + "/gateway.do";
    auto r = call("PUT", "/admin/merchants/" + merchant + "/channels/alipay",
                  boost::json::serialize(o), kAdmin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.find("PRIVATE KEY"), std::string::npos) << "the private key is never shown";
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

  // Waits until `delivered` notifications were acknowledged and none is
  // pending: the event that proves a notification has been answered.
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

  v1::OrderView pay(const std::string& no, int expected_status = 201) {
    auto r = call("POST", "/v1/orders/" + no + "/pay", kPayBody);
    EXPECT_EQ(r.status, expected_status) << r.body;
    v1::OrderView v;
    EXPECT_TRUE(codec::parse_json(r.body, &v, nullptr)) << r.body;
    return v;
  }

  v1::OrderView pay_and_settle(const std::string& no) {
    const std::string p = pay(no).attempt().payment_no();
    EXPECT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
    return wait_for(no, [](auto& o) { return o.status() == v1::Order::PAID; });
  }

  static int count_events(const v1::OrderView& v, std::string_view type) {
    int n = 0;
    for (const auto& e : v.events()) n += e.type() == type;
    return n;
  }

  // A trade_status_sync notification as Alipay sends it, signed (V1).
  ali::Params notification(const std::string& payment_no, std::string_view total, int64_t sent_ms,
                           std::string_view app_id = kAppId) {
    ali::Params f;
    f["notify_time"] = ali::format_timestamp(sent_ms);
    f["notify_type"] = "trade_status_sync";
    f["notify_id"] = "bb-" + payment_no;
    f["app_id"] = std::string(app_id);
    f["charset"] = "utf-8";
    f["version"] = "1.0";
    f["trade_no"] = "2026113022009999999";
    f["out_trade_no"] = payment_no;
    f["trade_status"] = "TRADE_SUCCESS";
    f["total_amount"] = std::string(total);
    return f;
  }

  std::string sign(ali::Params fields) {
    std::string error;
    auto key = ali::load_private_key(vector_key("alipay_platform_rsa_private_key_pkcs8"), &error);
    EXPECT_TRUE(key.has_value()) << error;
    return ali::build_notification_body(std::move(fields), *key);
  }

  http::HttpClientResult notify(const std::string& path, std::string body) {
    return daemon_->request("POST", path, {{"Content-Type", kForm}}, std::move(body), 5s);
  }

  testing::TempDir dir_;
  std::filesystem::path keys_dir_ = std::filesystem::path(dir_.path() + "-keys");
  std::unique_ptr<testing::DaemonProcess> sim_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
  std::string api_key_;
};

TEST_F(AlipayE2ETest, PayAnswersAQrCodeAndThePayersNotificationPaysTheOrder) {
  auto paying = pay("ali-pay");
  EXPECT_EQ(paying.attempt().channel(), "alipay");
  EXPECT_EQ(paying.attempt().prepay().qr_code().rfind("https://qr.alipay.com/", 0), 0u)
      << codec::to_json(paying);
  const std::string p = paying.attempt().payment_no();
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  auto v = wait_for("ali-pay", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(v.paid_payment_no(), p);
  wait_deliveries_done(1);  // answered `success`: no re-send pending
  auto ready = call("GET", "/readyz");
  EXPECT_NE(ready.body.find("channel alipay: breaker closed"), std::string::npos) << ready.body;
}

TEST_F(AlipayE2ETest, PagePayAnswersTheSignedGatewayUrl) {
  auto r = call("POST", "/v1/orders/ali-page/pay",
                R"({"amount":1999,"currency":"CNY","channel":"alipay","trade_type":"page"})");
  ASSERT_EQ(r.status, 201) << r.body;
  v1::OrderView v;
  ASSERT_TRUE(codec::parse_json(r.body, &v, nullptr));
  EXPECT_EQ(v.attempt().prepay().pay_url().rfind(sim_->base_url() + "/gateway.do?", 0), 0u)
      << r.body;
}

TEST_F(AlipayE2ETest, LostNotificationIsFoundByTheQueryLadder) {
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"notify_drop":1.0})").status, 200);
  const std::string p = pay("ali-lost").attempt().payment_no();
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  auto v = wait_for("ali-lost", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(v.events(v.events_size() - 1).detail(), "via query");
}

TEST_F(AlipayE2ETest, RetryAfterTheWindowClosesTheFirstAttempt) {
  const std::string first = pay("ali-retry").attempt().payment_no();
  // The in-flight window (300 ms) must pass before a repeat makes attempt 2.
  std::this_thread::sleep_for(400ms);
  auto second = pay("ali-retry");
  EXPECT_NE(second.attempt().payment_no(), first);
  auto v = order("ali-retry");
  ASSERT_EQ(v.attempts_size(), 2) << codec::to_json(v);
  EXPECT_EQ(v.attempts(0).status(), v1::Attempt::CLOSED);
  // Closed at Alipay too: a late scan of the first QR code cannot pay it.
  EXPECT_EQ(sim("POST", "/sandbox/payments/" + first + "/pay").status, 409);
}

TEST_F(AlipayE2ETest, PrepayWhoseAnswerWasLostIsReversed) {
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"prepay_timeout":1.0})").status, 200);
  auto r = call("POST", "/v1/orders/ali-unknown/pay", kPayBody);
  EXPECT_EQ(r.status, 503) << r.body;
  ASSERT_EQ(sim("PUT", "/sandbox/faults", "{}").status, 200);
  auto v = wait_for("ali-unknown", [](auto& o) {
    return o.attempts_size() > 0 && o.attempts(0).status() == v1::Attempt::CLOSED;
  });
  const auto& events = v.events();
  bool reversed = false;
  for (const auto& e : events) reversed |= e.detail().find("reversed") != std::string::npos;
  EXPECT_TRUE(reversed) << codec::to_json(v);
  // The payer can no longer pay the reversed prepay at the channel.
  EXPECT_EQ(sim("POST", "/sandbox/payments/" + v.attempts(0).payment_no() + "/pay").status, 409);
}

TEST_F(AlipayE2ETest, PartialRefundAndItsNotification) {
  pay_and_settle("ali-refund");
  wait_deliveries_done(1);
  auto r = call("POST", "/v1/orders/ali-refund/refunds", R"({"refund_no":"R1","amount":500})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto v = wait_for("ali-refund", [](auto& o) {
    return o.refunds_size() == 1 && o.refunds(0).status() == v1::Refund::SUCCEEDED;
  });
  EXPECT_EQ(v.status(), v1::Order::PARTIALLY_REFUNDED);
  wait_deliveries_done(2);  // the refund's notification, answered `success`
  // A second partial refund: Alipay's notification carries the cumulative
  // refund_fee (10.00), which is not this refund's amount.
  r = call("POST", "/v1/orders/ali-refund/refunds", R"({"refund_no":"R2","amount":500})");
  ASSERT_EQ(r.status, 202) << r.body;
  wait_for("ali-refund", [](auto& o) {
    return o.refunds_size() == 2 && o.refunds(1).status() == v1::Refund::SUCCEEDED;
  });
  wait_deliveries_done(3);
  v = order("ali-refund");
  EXPECT_EQ(v.status(), v1::Order::PARTIALLY_REFUNDED);
  for (const auto& e : v.events()) {
    EXPECT_EQ(e.type().find("mismatch"), std::string::npos) << codec::to_json(v);
    EXPECT_EQ(e.type().find("review"), std::string::npos) << codec::to_json(v);
  }
}

TEST_F(AlipayE2ETest, ForgedStaleAndMisroutedNotificationsChangeNothing) {
  create_merchant(kOtherMerchant);
  put_account(kOtherMerchant, kOtherAppId);
  const std::string p = pay("ali-forged").attempt().payment_no();
  const std::string path = std::string("/v1/channels/alipay/notify/") + kMerchant;
  const int64_t now_ms = core::unix_ms();

  std::string forged = sign(notification(p, "19.99", now_ms));
  forged.replace(forged.find("notify_type="), 12, "notify_typo=");
  auto r = notify(path, forged);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "fail");

  r = notify(path, sign(notification(p, "19.99", now_ms - 3'600'000)));
  EXPECT_EQ(r.status, 401) << "stale notify_time";
  EXPECT_EQ(r.body, "fail");

  r = notify(std::string("/v1/channels/alipay/notify/") + kOtherMerchant,
             sign(notification(p, "19.99", now_ms)));
  EXPECT_EQ(r.status, 401) << "signed for ali-m's app, posted to ali-m2's URL";
  EXPECT_EQ(r.body, "fail");

  r = notify("/v1/channels/alipay/notify/nobody", sign(notification(p, "19.99", now_ms)));
  EXPECT_EQ(r.status, 404);
  r = notify("/v1/channels/alipay/notify", sign(notification(p, "19.99", now_ms)));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "fail");

  auto v = order("ali-forged");
  EXPECT_EQ(v.status(), v1::Order::PAYING) << codec::to_json(v);
}

TEST_F(AlipayE2ETest, ReplayedNotificationGetsTheSameAnswerAndPaysOnce) {
  const std::string p = pay("ali-replay").attempt().payment_no();
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"notify_drop":1.0})").status, 200);
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  // The channel holds the payment; the notification is ours, signed as
  // Alipay signs it, and posted twice.
  const std::string body = sign(notification(p, "19.99", core::unix_ms()));
  const std::string path = std::string("/v1/channels/alipay/notify/") + kMerchant;
  auto first = notify(path, body);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, "success");
  auto again = notify(path, body);
  EXPECT_EQ(again.status, first.status);
  EXPECT_EQ(again.body, first.body);
  auto v = order("ali-replay");
  EXPECT_EQ(v.status(), v1::Order::PAID);
  EXPECT_EQ(count_events(v, "order.paid"), 1);
}

TEST_F(AlipayE2ETest, NotificationOfAnotherAmountDoesNotPay) {
  const std::string p = pay("ali-amount").attempt().payment_no();
  auto r = notify(std::string("/v1/channels/alipay/notify/") + kMerchant,
                  sign(notification(p, "0.01", core::unix_ms())));
  // The engine binds it to the attempt's amount: acknowledged or not, the
  // order is not paid by it.
  EXPECT_TRUE(r.status == 200 || r.body == "fail") << r.status << " " << r.body;
  EXPECT_NE(order("ali-amount").status(), v1::Order::PAID);
}

}  // namespace
}  // namespace oncepay
