// Black box: channel results bound to their attempt (issue #10). The real
// oncepayd with the built-in sandbox and a configured `sim` channel, short
// ladders; every input of the issue is one named test. Waits are bounded
// polls on the daemon's answers.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "codec/json.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "daemon_process.hpp"
#include "http/http_client.hpp"
#include "oncepay.pb.h"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kKey = "Bearer sk_test_demo";
constexpr const char* kAdmin = "Bearer admin-dev-token";
constexpr const char* kPayBody =
    R"({"amount":1999,"currency":"CNY","channel":"sandbox","notify_url":"http://127.0.0.1:9/hook"})";
constexpr const char* kSimSecret = "chsec_sim_integrity";

class IntegrityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    start();
  }
  // Starts oncepayd on dir_ (again, after a stop).
  static void start() {
    // The sim channel points at a port nobody listens on: its calls fail,
    // which does not matter here; what matters is that its notify route and
    // secret exist.
    daemon_ = new testing::DaemonProcess(
        ONCEPAYD_PATH,
        {"--http.port=0", "--data-dir=" + dir_->path(), "--payment.in-flight-window=400ms",
         "--payment.query-ladder=600ms,1200ms,2400ms", "--payment.fast-expiry-ladder=300ms,600ms",
         "--payment.auto-refund-retry=200ms,400ms", "--channel.timeout=1s",
         "--sandbox.notify-retry=100ms,200ms,400ms", "--notify.retry-ladder=100ms",
         "--channel-sim.url=http://127.0.0.1:9", std::string("--channel-sim.secret=") + kSimSecret,
         "--channel-sim.timeout=300ms", "--log.state-changes=false"},
        20s);
    if (!daemon_->wait_ready()) throw std::runtime_error("oncepayd did not become ready");
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete dir_;
  }

  static http::HttpClientResult call(const std::string& method, const std::string& path,
                                     const std::string& body = {}, std::string auth = kKey) {
    Headers headers{{"Content-Type", "application/json"}};
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    auto r = daemon_->request(method, path, headers, body, 5s);
    EXPECT_TRUE(r.ok) << method << " " << path << ": " << r.error;
    return r;
  }

  // A correctly signed notification on `channel`'s route.
  // With `merchant_id`: on that merchant's notify URL.
  static http::HttpClientResult notify(const std::string& channel, const std::string& secret,
                                       const std::string& body,
                                       const std::string& merchant_id = "") {
    Headers headers{{"Content-Type", "application/json"},
                    {"X-Channel-Signature", core::sign_header(secret, core::unix_seconds(), body)}};
    const std::string path =
        "/v1/channels/" + channel + "/notify" + (merchant_id.empty() ? "" : "/" + merchant_id);
    auto r = daemon_->request("POST", path, headers, body, 5s);
    EXPECT_TRUE(r.ok) << r.error;
    return r;
  }

  static std::string success(const std::string& payment_no, int64_t amount,
                             const std::string& extra = {}) {
    return R"({"notify_id":"n-)" + payment_no + std::to_string(amount) + R"(","payment_no":")" +
           payment_no + R"(","status":"SUCCESS","channel_trade_no":"T-)" + payment_no +
           R"(","amount":)" + std::to_string(amount) + extra + "}";
  }

  template <class Message>
  static Message parse(const http::HttpClientResult& r) {
    Message m;
    std::string error;
    EXPECT_TRUE(codec::parse_json(r.body, &m, &error)) << error << " in " << r.body;
    return m;
  }

  static v1::OrderView order(const std::string& name) {
    return parse<v1::OrderView>(call("GET", "/v1/orders/" + name));
  }

  static std::string error_code(const http::HttpClientResult& r) {
    return parse<v1::ErrorResponse>(r).error().code();
  }

  // Pays `name` (201) and returns its first payment_no.
  static std::string paying(const std::string& name) {
    auto r = call("POST", "/v1/orders/" + name + "/pay", kPayBody);
    EXPECT_EQ(r.status, 201) << r.body;
    return parse<v1::OrderView>(r).attempt().payment_no();
  }

  template <class Pred>
  static v1::OrderView wait_for(const std::string& name, Pred done,
                                std::chrono::milliseconds limit = 8s) {
    auto view = testing::poll_until([&] { return order(name); }, done, limit);
    if (!done(view)) {
      ADD_FAILURE() << "condition not reached for " << name << ": " << codec::to_json(view);
    }
    return view;
  }

  static bool has_event(const v1::OrderView& view, const std::string& type,
                        const std::string& detail_part = {}) {
    for (const auto& e : view.events()) {
      if (e.type() == type && e.detail().find(detail_part) != std::string::npos) return true;
    }
    return false;
  }

  // Every review item (all pages).
  static std::vector<v1::ReviewItemView> review(const std::string& query = {}) {
    std::vector<v1::ReviewItemView> out;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      std::string path = "/admin/review?limit=2" + query;
      if (!cursor.empty()) path += "&cursor=" + cursor;
      auto r = call("GET", path, {}, kAdmin);
      EXPECT_EQ(r.status, 200) << r.body;
      auto view = parse<v1::ReviewListView>(r);
      for (const auto& item : view.items()) out.push_back(item);
      if (view.next().empty()) break;
      cursor = view.next();
    }
    return out;
  }

  static const v1::ReviewItemView* find_item(const std::vector<v1::ReviewItemView>& items,
                                             const std::string& payment_no,
                                             const std::string& reason) {
    for (const auto& item : items) {
      if (item.payment_no() == payment_no && item.reason() == reason) return &item;
    }
    return nullptr;
  }

  static void expect_mismatch_handled(const std::string& name, const std::string& payment_no,
                                      int64_t reported) {
    auto acked = notify("sandbox", "chsec_sandbox", success(payment_no, reported));
    EXPECT_EQ(acked.status, 200) << "acknowledged once durable: " << acked.body;
    auto view = order(name);
    EXPECT_EQ(view.status(), v1::Order::PAYING) << "not PAID for a success of another amount";
    EXPECT_FALSE(view.has_paid_payment_no());
    ASSERT_GE(view.attempts_size(), 1);
    // The sandbox's own record (asked right after) has no payment: nothing
    // moved, so nothing is refunded and the payer may still pay.
    EXPECT_EQ(view.attempts(0).status(), v1::Attempt::PAYING) << codec::to_json(view);
    EXPECT_TRUE(
        has_event(view, "channel.mismatch", std::to_string(reported) + " CNY, expected 1999 CNY"))
        << "the timeline shows the reported and the expected amount: " << codec::to_json(view);
    EXPECT_FALSE(has_event(view, "webhook.queued")) << "no order.paid webhook";
    const auto items = review();
    const auto* item = find_item(items, payment_no, "amount_mismatch");
    ASSERT_NE(item, nullptr) << "the order is on the review list";
    EXPECT_EQ(item->merchant_id(), "demo");
    EXPECT_EQ(item->merchant_order_no(), name);
    EXPECT_NE(item->detail().find("expected 1999 CNY"), std::string::npos) << item->detail();
    EXPECT_FALSE(item->since().empty());
  }

  static testing::TempDir* dir_;
  static testing::DaemonProcess* daemon_;
};

testing::TempDir* IntegrityTest::dir_ = nullptr;
testing::DaemonProcess* IntegrityTest::daemon_ = nullptr;

TEST_F(IntegrityTest, SuccessOfASmallerAmountIsNotPaidButReviewed) {
  const std::string payment_no = paying("bi-amount-1");
  expect_mismatch_handled("bi-amount-1", payment_no, 1);
  // The duplicate changes nothing.
  const auto before = order("bi-amount-1");
  EXPECT_EQ(notify("sandbox", "chsec_sandbox", success(payment_no, 1)).status, 200);
  EXPECT_EQ(order("bi-amount-1").events_size(), before.events_size());
}

TEST_F(IntegrityTest, SuccessOfALargerAmountIsNotPaidButReviewed) {
  const std::string payment_no = paying("bi-amount-2");
  expect_mismatch_handled("bi-amount-2", payment_no, 999999);
}

TEST_F(IntegrityTest, SuccessOfAnotherCurrencyIsAMismatch) {
  const std::string payment_no = paying("bi-currency");
  auto acked =
      notify("sandbox", "chsec_sandbox", success(payment_no, 1999, R"(,"currency":"USD")"));
  EXPECT_EQ(acked.status, 200);
  auto view = order("bi-currency");
  EXPECT_EQ(view.status(), v1::Order::PAYING);
  EXPECT_TRUE(has_event(view, "channel.mismatch", "1999 USD, expected 1999 CNY"));
  EXPECT_NE(find_item(review(), payment_no, "amount_mismatch"), nullptr);
}

TEST_F(IntegrityTest, PayerCanStillPayAfterAWrongNotification) {
  const std::string first = paying("bi-again");
  ASSERT_EQ(notify("sandbox", "chsec_sandbox", success(first, 1)).status, 200);
  ASSERT_EQ(call("POST", "/sandbox/payments/" + first + "/pay", {}, "").status, 200);
  auto paid =
      wait_for("bi-again", [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; });
  EXPECT_EQ(paid.paid_payment_no(), first) << "the real notification of 1999 pays the order";
}

TEST_F(IntegrityTest, UndeliverableWebhookJoinsTheReviewList) {
  // notify_url points at a closed port; notify.retry-ladder has one retry.
  const std::string payment_no = paying("bi-webhook");
  ASSERT_EQ(call("POST", "/sandbox/payments/" + payment_no + "/pay", {}, "").status, 200);
  wait_for("bi-webhook", [](const v1::OrderView& v) { return has_event(v, "review.opened"); });
  const auto items = review("&reason=webhook_exhausted");
  const auto* item = find_item(items, payment_no, "webhook_exhausted");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->item_id(), "webhook_exhausted:evt_" + payment_no + "_paid");
  EXPECT_NE(item->detail().find("connect"), std::string::npos) << item->detail();
}

TEST_F(IntegrityTest, MismatchesAreCountedInMetrics) {
  const std::string payment_no = paying("bi-metrics");
  ASSERT_EQ(notify("sandbox", "chsec_sandbox", success(payment_no, 5)).status, 200);
  auto metrics = daemon_->request("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string line = "oncepay_channel_mismatches_total ";
  const size_t at = metrics.body.find("\n" + line);
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_GE(std::stod(metrics.body.substr(at + 1 + line.size())), 1.0);
  EXPECT_NE(metrics.body.find(R"(oncepay_review_items{reason="amount_mismatch"})"),
            std::string::npos);
}

TEST_F(IntegrityTest, AnotherChannelsNotificationIsPaymentNotFound) {
  const std::string payment_no = paying("bi-misrouted");
  auto r = notify("sim", kSimSecret, success(payment_no, 1999));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(error_code(r), "payment_not_found");
  auto view = order("bi-misrouted");
  EXPECT_EQ(view.status(), v1::Order::PAYING) << "nothing changes";
  EXPECT_EQ(view.attempts(0).status(), v1::Attempt::PAYING);
  auto channel = call("GET", "/sandbox/payments/" + payment_no, {}, "");
  EXPECT_EQ(parse<v1::ChannelPaymentView>(channel).status(), v1::ChannelPaymentView::NOTPAY);
}

// The merchant-scoped notify URL finds only that merchant's payments, on
// every channel: another merchant's (or an unknown merchant's) URL changes
// nothing; the payment's own merchant's URL works.
TEST_F(IntegrityTest, NotificationOnAnotherMerchantsUrlIsPaymentNotFound) {
  const std::string payment_no = paying("bi-other-merchant");
  for (const char* merchant : {"m2", "nosuchmerchant"}) {
    auto r = notify("sandbox", "chsec_sandbox", success(payment_no, 1999), merchant);
    EXPECT_EQ(r.status, 404) << merchant << ": " << r.body;
    EXPECT_EQ(error_code(r), "payment_not_found");
  }
  EXPECT_EQ(order("bi-other-merchant").status(), v1::Order::PAYING) << "nothing changes";
  auto r = notify("sandbox", "chsec_sandbox", success(payment_no, 1999), "demo");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(order("bi-other-merchant").status(), v1::Order::PAID);
}

TEST_F(IntegrityTest, NotificationForAPaymentNeverCreatedIsPaymentNotFound) {
  auto r = notify("sandbox", "chsec_sandbox", success("P0000000000000none00000009", 1999));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "payment_not_found");
}

TEST_F(IntegrityTest, ReversedUnknownPrepayKeepsTheOrderPayable) {
  ASSERT_EQ(call("PUT", "/sandbox/faults", R"({"prepay_timeout":1.0})", "").status, 200);
  auto unknown = call("POST", "/v1/orders/bi-unknown/pay", kPayBody);
  ASSERT_EQ(call("PUT", "/sandbox/faults", "{}", "").status, 200);
  ASSERT_EQ(unknown.status, 503) << unknown.body;
  EXPECT_EQ(error_code(unknown), "payment_status_unknown");
  bool retry_after = false;
  for (const auto& [name, value] : unknown.headers) retry_after |= name == "retry-after";
  EXPECT_TRUE(retry_after) << "Retry-After tells the payer when to retry";
  // The first ladder step (600 ms) resolves the attempt: reversed (closed)
  // when the channel has it, failed when it never saw it.
  auto resolved = wait_for("bi-unknown", [](const v1::OrderView& v) {
    return v.attempts_size() == 1 && (v.attempts(0).status() == v1::Attempt::CLOSED ||
                                      v.attempts(0).status() == v1::Attempt::FAILED);
  });
  EXPECT_EQ(resolved.status(), v1::Order::PAYING) << "the order lives until its deadline";
  auto retry = call("POST", "/v1/orders/bi-unknown/pay", kPayBody);
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(parse<v1::OrderView>(retry).attempts_size(), 2);
}

TEST_F(IntegrityTest, ReviewListNeedsTheAdminTokenAndValidatesItsQuery) {
  EXPECT_EQ(call("GET", "/admin/review", {}, "").status, 401);
  EXPECT_EQ(call("GET", "/admin/review", {}, kKey).status, 401);
  for (const char* bad : {"?limit=0", "?limit=1001", "?limit=x", "?cursor=nope", "?reason=other",
                          "?limit=1&limit=2", "?color=red"}) {
    auto r = call("GET", std::string("/admin/review") + bad, {}, kAdmin);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(error_code(r), "invalid_request") << bad;
  }
  EXPECT_EQ(call("POST", "/admin/review", "{}", kAdmin).status, 405);
}

TEST_F(IntegrityTest, ReviewListIsOldestFirstAcrossPages) {
  const std::string a = paying("bi-page-a");
  ASSERT_EQ(notify("sandbox", "chsec_sandbox", success(a, 3)).status, 200);
  const std::string b = paying("bi-page-b");
  ASSERT_EQ(notify("sandbox", "chsec_sandbox", success(b, 4)).status, 200);
  const auto items = review("&reason=amount_mismatch");
  size_t at_a = items.size();
  size_t at_b = items.size();
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].reason(), "amount_mismatch");
    if (i > 0) {
      EXPECT_LE(items[i - 1].since(), items[i].since()) << "oldest first";
    }
    if (items[i].payment_no() == a) at_a = i;
    if (items[i].payment_no() == b) at_b = i;
  }
  ASSERT_LT(at_a, items.size());
  ASSERT_LT(at_b, items.size());
  EXPECT_LT(at_a, at_b);
}

TEST_F(IntegrityTest, ReviewItemsSurviveARestart) {
  const std::string payment_no = paying("bi-restart");
  ASSERT_EQ(notify("sandbox", "chsec_sandbox", success(payment_no, 2)).status, 200);
  ASSERT_NE(find_item(review(), payment_no, "amount_mismatch"), nullptr);
  // A checkpoint-free kill: the item comes back from the WAL tail.
  ASSERT_EQ(daemon_->stop(SIGKILL), -SIGKILL);
  delete daemon_;
  daemon_ = nullptr;
  start();
  EXPECT_NE(find_item(review(), payment_no, "amount_mismatch"), nullptr);
  // And after a clean stop (the final checkpoint stores it in `reviews`).
  ASSERT_EQ(daemon_->stop(SIGTERM), 0);
  delete daemon_;
  daemon_ = nullptr;
  start();
  EXPECT_NE(find_item(review(), payment_no, "amount_mismatch"), nullptr);
  EXPECT_EQ(order("bi-restart").status(), v1::Order::PAYING);
}

// With payment.confirm-notified-success a correctly signed success that the
// channel's own record does not have (a forger holding the secret) is
// acknowledged and not applied; the real one is applied once confirmed.
TEST(ConfirmNotifiedSuccessTest, ASignedSuccessTheChannelDoesNotHaveIsNotKept) {
  testing::TempDir dir;
  testing::DaemonProcess daemon(
      ONCEPAYD_PATH,
      {"--http.port=0", "--data-dir=" + dir.path(), "--payment.confirm-notified-success=true",
       "--sandbox.notify-retry=100ms,200ms,400ms", "--log.state-changes=false"},
      20s);
  ASSERT_TRUE(daemon.wait_ready());
  Headers auth{{"Content-Type", "application/json"}, {"Authorization", kKey}};
  auto paid = daemon.request("POST", "/v1/orders/bc-1/pay", auth,
                             R"({"amount":1999,"currency":"CNY","channel":"sandbox"})");
  ASSERT_EQ(paid.status, 201) << paid.body;
  v1::OrderView view;
  ASSERT_TRUE(codec::parse_json(paid.body, &view, nullptr));
  const std::string payment_no = view.attempt().payment_no();
  const std::string forged = R"({"notify_id":"forged-1","payment_no":")" + payment_no +
                             R"(","status":"SUCCESS","channel_trade_no":"T-forged","amount":1999})";
  Headers signed_headers{
      {"Content-Type", "application/json"},
      {"X-Channel-Signature", core::sign_header("chsec_sandbox", core::unix_seconds(), forged)}};
  auto r = daemon.request("POST", "/v1/channels/sandbox/notify", signed_headers, forged);
  EXPECT_EQ(r.status, 200) << r.body;
  auto after = daemon.request("GET", "/v1/orders/bc-1", auth);
  ASSERT_TRUE(codec::parse_json(after.body, &view, nullptr));
  EXPECT_EQ(view.status(), v1::Order::PAYING) << "the channel's record has no success";
  // The payer really pays: the sandbox's notification is confirmed and kept.
  ASSERT_EQ(daemon.request("POST", "/sandbox/payments/" + payment_no + "/pay").status, 200);
  view = testing::poll_until(
      [&] {
        v1::OrderView now;
        EXPECT_TRUE(
            codec::parse_json(daemon.request("GET", "/v1/orders/bc-1", auth).body, &now, nullptr));
        return now;
      },
      [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; }, 8s);
  EXPECT_EQ(view.status(), v1::Order::PAID);
  EXPECT_EQ(view.paid_payment_no(), payment_no);
}

}  // namespace
}  // namespace oncepay
