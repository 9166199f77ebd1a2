// Black box: a payer appeal against the real oncepayd and its sandbox
// (docs/API.md "Payer appeals"). The payer retried after the in-flight
// window, paid the second attempt, and then also paid the first, closed one,
// whose notifications the sandbox's faults drop: only the channel knows.
// The appeal finds the second charge, refunds it automatically, and the
// appeal with its findings, and its review item with the summary, survive a
// restart. Every exchange goes to the OpenAPI check.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <thread>

#include "codec/json.hpp"
#include "core/signature.hpp"
#include "daemon_process.hpp"
#include "oncepay.pb.h"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kOperatorToken[] = "operator-token-for-the-appeal-blackbox";
constexpr char kPayBody[] = R"({"amount":1999,"currency":"CNY","channel":"sandbox"})";

class AppealE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = dir_.path() + "/tokens";
    {
      std::FILE* f = std::fopen(tokens_.c_str(), "w");
      ASSERT_NE(f, nullptr);
      const std::string line = "otto operator " + core::sha256_hex(kOperatorToken) + "\n";
      std::fputs(line.c_str(), f);
      std::fclose(f);
      ASSERT_EQ(chmod(tokens_.c_str(), 0600), 0);
    }
    start();
  }

  void start() {
    daemon_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAYD_PATH,
        std::vector<std::string>{"--http.port=0", "--data-dir=" + dir_.path() + "/data",
                                 "--admin.tokens-file=" + tokens_, "--log.state-changes=false",
                                 "--payment.in-flight-window=200ms",
                                 "--payment.auto-refund-retry=100ms,200ms",
                                 "--sandbox.notify-retry=50ms"});
    ASSERT_TRUE(daemon_->wait_ready());
  }

  http::HttpClientResult call(const std::string& method, const std::string& path,
                              const std::string& token, const std::string& body = {}) {
    Headers headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = daemon_->request(method, path, std::move(headers), body, 10s);
    EXPECT_TRUE(r.ok) << method << " " << path << ": " << r.error;
    return r;
  }

  template <class T>
  static T parse(const http::HttpClientResult& r) {
    T out;
    EXPECT_TRUE(codec::parse_json(r.body, &out, nullptr)) << r.body;
    return out;
  }

  v1::AdminOrderView order_page() {
    return parse<v1::AdminOrderView>(call("GET", "/admin/orders/demo/ap-1", kOperatorToken));
  }

  testing::TempDir dir_;
  std::string tokens_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
};

TEST_F(AppealE2ETest, ASecondChargeOnlyTheChannelKnewIsFoundRefundedAndSurvivesARestart) {
  auto first = call("POST", "/v1/orders/ap-1/pay", "sk_test_demo", kPayBody);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string p1 = parse<v1::OrderView>(first).attempt().payment_no();
  std::this_thread::sleep_for(300ms);  // past the in-flight window: the payer's retry is attempt 2
  auto second = call("POST", "/v1/orders/ap-1/pay", "sk_test_demo", kPayBody);
  ASSERT_EQ(second.status, 201) << second.body;
  const std::string p2 = parse<v1::OrderView>(second).attempt().payment_no();
  ASSERT_NE(p1, p2);
  ASSERT_EQ(call("POST", "/sandbox/payments/" + p2 + "/pay", "").status, 200);
  auto paid = testing::poll_until(
      [&] { return order_page(); },
      [](const v1::AdminOrderView& v) { return v.order().status() == v1::Order::PAID; }, 10s);
  ASSERT_EQ(paid.order().status(), v1::Order::PAID);
  ASSERT_EQ(call("PUT", "/sandbox/faults", "", R"({"notify_drop":1.0})").status, 200);
  ASSERT_EQ(call("POST", "/sandbox/payments/" + p1 + "/pay", "", R"({"after_close":true})").status,
            200);
  ASSERT_EQ(call("PUT", "/sandbox/faults", "", "{}").status, 200);

  auto r = call("POST", "/admin/orders/demo/ap-1/appeals", kOperatorToken,
                R"({"kind":"charged_twice","detail":"two debits on the payer's card"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto view = parse<v1::AdminOrderView>(r);
  ASSERT_EQ(view.appeals_size(), 1);
  const v1::AppealView& appeal = view.appeals(0);
  const std::string appeal_id = "appeal:" + p1 + ":1";
  EXPECT_EQ(appeal.appeal_id(), appeal_id);
  ASSERT_EQ(appeal.findings_size(), 2);
  EXPECT_EQ(appeal.findings(0).payment_no(), p1);
  EXPECT_TRUE(appeal.findings(0).charged());
  EXPECT_NE(appeal.findings(0).finding().find("was also paid"), std::string::npos)
      << appeal.findings(0).finding();
  EXPECT_TRUE(appeal.findings(1).charged());
  EXPECT_NE(appeal.findings(1).finding().find("is the order's payment"), std::string::npos);
  EXPECT_EQ(appeal.summary().rfind("2 charges at the channel: attempt 1", 0), 0u)
      << appeal.summary();
  EXPECT_EQ(appeal.status(), "open");

  // The second charge goes back to the payer.
  auto refunded =
      testing::poll_until([&] { return order_page(); },
                          [](const v1::AdminOrderView& v) {
                            return v.order().attempts(0).status() == v1::Attempt::AUTO_REFUNDED;
                          },
                          10s);
  EXPECT_EQ(refunded.order().attempts(0).status(), v1::Attempt::AUTO_REFUNDED);
  EXPECT_EQ(refunded.order().status(), v1::Order::PAID);

  // A restart keeps the appeal, and the review list shows what was found.
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
  start();
  auto list = call("GET", "/admin/review?reason=appeal", kOperatorToken);
  ASSERT_EQ(list.status, 200) << list.body;
  const auto items = parse<v1::ReviewListView>(list);
  ASSERT_EQ(items.items_size(), 1);
  EXPECT_EQ(items.items(0).item_id(), appeal_id);
  EXPECT_EQ(items.items(0).detail(), "charged_twice: " + appeal.summary());
  const auto after = order_page();
  ASSERT_EQ(after.appeals_size(), 1);
  EXPECT_EQ(after.appeals(0).findings_size(), 2);
  EXPECT_EQ(after.appeals(0).status(), "open");
  // Closed with how it was settled.
  auto closed = call("POST", "/admin/review/" + appeal_id + "/resolve", kOperatorToken,
                     R"({"resolution":"dismiss","reason":"refunded; told the payer"})");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(order_page().appeals(0).status(), "closed");
}

TEST_F(AppealE2ETest, BadAppealsAre400AndRecordNothing) {
  ASSERT_EQ(call("POST", "/v1/orders/ap-1/pay", "sk_test_demo", kPayBody).status, 201);
  EXPECT_EQ(call("POST", "/admin/orders/demo/ap-1/appeals", kOperatorToken,
                 R"({"kind":"refund_me","detail":"x"})")
                .status,
            400);
  EXPECT_EQ(call("POST", "/admin/orders/demo/ap-1/appeals", kOperatorToken, "{").status, 400);
  EXPECT_EQ(call("POST", "/admin/orders/demo/ap-1/appeals", "", R"({"kind":"other","detail":"x"})")
                .status,
            401);
  EXPECT_EQ(call("GET", "/admin/orders/demo/ap-1/appeals", kOperatorToken).status, 405);
  EXPECT_EQ(order_page().appeals_size(), 0);
}

}  // namespace
}  // namespace oncepay
