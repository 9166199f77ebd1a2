// The alipay adapter (channels/alipay/alipay_actor.hpp) against the
// simulator's Alipay front (apps/sim_alipay) served in-process on loopback:
// real sockets, real signatures with the vector keys, every wait bounded.
#include "channels/alipay/alipay_actor.hpp"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>
#include <caf/all.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "actors/message_types.hpp"
#include "alipay_adapter_support.hpp"
#include "apps/sim_alipay.hpp"
#include "channels/alipay/alipay_params.hpp"
#include "channels/registry.hpp"
#include "http/http_server.hpp"

namespace oncepay::channels::alipay {
namespace {

using namespace std::chrono_literals;
using apps::testing::ServedSim;
using core::ChannelOp;
using core::ChannelOutcome;
using core::ChannelPayState;
using testing::kAppId;

constexpr const char* kMerchant = "m-ali";

class AlipayChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    system_ = std::make_unique<caf::actor_system>(actors::add_message_types(cfg_));
    apps::AlipayKeyFiles files;
    files.app_public_key_file =
        dir_.write("app.pem", testing::vector_key("alipay_app_rsa_public_key"));
    files.platform_private_key_file =
        dir_.write("platform.pem", testing::vector_key("alipay_platform_rsa_private_key_pkcs8"));
    apps::AlipayFrontOptions front;
    front.app_id = kAppId;
    std::string error;
    ASSERT_TRUE(apps::load_alipay_keys(files, &front, &error)) << error;
    sim_ = std::make_unique<ServedSim>(std::make_unique<apps::AlipayFront>(std::move(front)));
    accounts_ = std::make_shared<ChannelAccounts>();
    testing::put_account(*accounts_, kMerchant, kAppId, sim_->url("/gateway.do"));
    AlipayChannelOptions o;
    o.accounts = accounts_;
    o.public_url = "http://127.0.0.1:9";  // nobody listens: notifications are dropped
    o.timeout = 2000ms;
    o.breaker_failures = 2;
    o.breaker_open = 60s;
    channel_ = std::make_unique<AlipayChannel>(*system_, o);
  }

  void TearDown() override {
    channel_.reset();
    sim_.reset();
  }

  core::ChannelCall make(ChannelOp op, std::string payment_no, int64_t amount = 1999) {
    core::ChannelCall c;
    c.op = op;
    c.channel = "alipay";
    c.merchant_id = kMerchant;
    c.payment_no = std::move(payment_no);
    c.total_minor = amount;
    c.currency = "CNY";
    if (op == ChannelOp::kPrepay || op == ChannelOp::kRefund) c.amount_minor = amount;
    c.subject = "coffee";
    return c;
  }

  // One call as an order actor makes it, bounded well above the timeout.
  core::ChannelReply call(core::ChannelCall c) {
    caf::scoped_actor self{*system_};
    core::ChannelReply out;
    out.detail = "no reply";
    self->request(channel_->actor(), 10s, std::move(c))
        .receive([&](core::ChannelReply& reply) { out = std::move(reply); },
                 [&](caf::error& e) { ADD_FAILURE() << "request failed: " << to_string(e); });
    return out;
  }

  void faults(std::string json) {
    EXPECT_EQ(sim_->call("PUT", "/sandbox/faults", {{"Content-Type", "application/json"}},
                         std::move(json))
                  .status,
              200);
  }

  apps::testing::TempDir dir_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<ServedSim> sim_;
  std::shared_ptr<ChannelAccounts> accounts_;
  std::unique_ptr<AlipayChannel> channel_;
};

TEST_F(AlipayChannelTest, PrecreateAnswersAQrCode) {
  auto r = call(make(ChannelOp::kPrepay, "P1001"));
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(r.qr_code.rfind("https://qr.alipay.com/", 0), 0u) << r.qr_code;
  EXPECT_TRUE(r.pay_url.empty());
}

TEST_F(AlipayChannelTest, QueryBeforeTheScanIsNotPaidYet) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1002")).outcome, ChannelOutcome::kOk);
  auto q = call(make(ChannelOp::kQuery, "P1002"));
  EXPECT_EQ(q.outcome, ChannelOutcome::kOk) << q.detail;
  EXPECT_EQ(q.state, ChannelPayState::kNotPay);
}

TEST_F(AlipayChannelTest, QueryAfterThePayerPaidShowsTheAmount) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1003")).outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P1003"), 200);
  auto q = call(make(ChannelOp::kQuery, "P1003"));
  ASSERT_EQ(q.outcome, ChannelOutcome::kOk) << q.detail;
  EXPECT_EQ(q.state, ChannelPayState::kSuccess);
  EXPECT_EQ(q.paid_amount_minor, 1999);
  EXPECT_EQ(q.paid_currency, "CNY");
  EXPECT_FALSE(q.channel_trade_no.empty());
}

TEST_F(AlipayChannelTest, CloseOfATradeNeverCreatedIsOk) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1004")).outcome, ChannelOutcome::kOk);
  auto c = call(make(ChannelOp::kClose, "P1004"));
  EXPECT_EQ(c.outcome, ChannelOutcome::kOk) << c.detail;
  EXPECT_EQ(sim_->sandbox("P1004"), 409);  // a late scan cannot pay it
}

TEST_F(AlipayChannelTest, CloseOfAPaidTradeIsAlreadyPaid) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1005")).outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P1005"), 200);
  EXPECT_EQ(call(make(ChannelOp::kClose, "P1005")).outcome, ChannelOutcome::kAlreadyPaid);
}

TEST_F(AlipayChannelTest, ReverseOfAPaidTradeRefundsIt) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1006")).outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P1006"), 200);
  auto r = call(make(ChannelOp::kReverse, "P1006"));
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(r.state, ChannelPayState::kRefund);
}

TEST_F(AlipayChannelTest, ReverseOfAnUnpaidTradeClosesIt) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1007")).outcome, ChannelOutcome::kOk);
  auto r = call(make(ChannelOp::kReverse, "P1007"));
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(r.state, ChannelPayState::kClosed);
}

TEST_F(AlipayChannelTest, PartialRefundThenItsRepeatConfirmedByTheRefundQuery) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1008")).outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P1008"), 200);
  auto refund = make(ChannelOp::kRefund, "P1008", 500);
  refund.total_minor = 1999;
  refund.refund_no = "R1008a";
  auto first = call(refund);
  EXPECT_EQ(first.outcome, ChannelOutcome::kOk) << first.detail;
  // The repeat answers fund_change N: the refund query confirms it.
  auto again = call(refund);
  EXPECT_EQ(again.outcome, ChannelOutcome::kOk) << again.detail;
  EXPECT_NE(again.detail.find("REFUND_SUCCESS"), std::string::npos) << again.detail;
}

TEST_F(AlipayChannelTest, RefundOfAnUnpaidTradeIsNotPaid) {
  ASSERT_EQ(call(make(ChannelOp::kPrepay, "P1009")).outcome, ChannelOutcome::kOk);
  auto refund = make(ChannelOp::kRefund, "P1009", 500);
  refund.refund_no = "R1009";
  EXPECT_EQ(call(refund).outcome, ChannelOutcome::kNotPaid);
}

TEST_F(AlipayChannelTest, PagePayIsTheSignedGatewayUrlWithoutACall) {
  auto c = make(ChannelOp::kPrepay, "P1010");
  c.trade_type = "page";
  auto r = call(c);
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  const std::string prefix = sim_->url("/gateway.do") + "?";
  ASSERT_EQ(r.pay_url.rfind(prefix, 0), 0u) << r.pay_url;
  auto params = parse_form(std::string_view(r.pay_url).substr(prefix.size()), nullptr);
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(params->at("method"), "alipay.trade.page.pay");
  EXPECT_EQ(params->at("notify_url"), "http://127.0.0.1:9/v1/channels/alipay/notify/m-ali");
  EXPECT_NE(params->at("biz_content").find("FAST_INSTANT_TRADE_PAY"), std::string::npos);
  // Not created at Alipay until the payer opens it: not paid yet.
  auto q = call(make(ChannelOp::kQuery, "P1010"));
  EXPECT_EQ(q.outcome, ChannelOutcome::kOk) << q.detail;
  EXPECT_EQ(q.state, ChannelPayState::kNotPay);
}

TEST_F(AlipayChannelTest, WapPayUsesTheWapMethod) {
  auto c = make(ChannelOp::kPrepay, "P1011");
  c.trade_type = "wap";
  auto r = call(c);
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_NE(r.pay_url.find("method=alipay.trade.wap.pay"), std::string::npos) << r.pay_url;
}

TEST_F(AlipayChannelTest, UnknownTradeTypeIsRejected) {
  auto c = make(ChannelOp::kPrepay, "P1012");
  c.trade_type = "jsapi";
  EXPECT_EQ(call(c).outcome, ChannelOutcome::kRejected);
}

TEST_F(AlipayChannelTest, CurrencyOtherThanCnyIsRejected) {
  auto c = make(ChannelOp::kPrepay, "P1013");
  c.currency = "USD";
  EXPECT_EQ(call(c).outcome, ChannelOutcome::kRejected);
}

TEST_F(AlipayChannelTest, MerchantWithoutAccountIsRejected) {
  auto c = make(ChannelOp::kQuery, "P1014");
  c.merchant_id = "nobody";
  auto r = call(c);
  EXPECT_EQ(r.outcome, ChannelOutcome::kRejected);
  EXPECT_NE(r.detail.find("no alipay account"), std::string::npos) << r.detail;
}

TEST_F(AlipayChannelTest, PrepayTimeoutFaultIsUnavailable) {
  faults(R"({"prepay_timeout": 1.0})");
  auto r = call(make(ChannelOp::kPrepay, "P1015"));
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable) << r.detail;
}

TEST_F(AlipayChannelTest, AnswerSignedWithAnotherKeyIsUnavailable) {
  // The account trusts a key that did not sign the simulator's answers.
  boost::json::object o;
  o["app_id"] = kAppId;
  o["app_private_key_pem"] = testing::vector_key("alipay_app_rsa_private_key_pkcs8");
  o["alipay_public_key_pem"] = testing::vector_key("alipay_app_rsa_public_key");
  o["base_url"] = sim_->url("/gateway.do");
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  ASSERT_FALSE(parse_account(boost::json::serialize(o), &account, &canonical).has_value());
  accounts_->put(kMerchant, "alipay", account);
  auto r = call(make(ChannelOp::kPrepay, "P1016"));
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
  EXPECT_NE(r.detail.find("not trusted"), std::string::npos) << r.detail;
}

TEST_F(AlipayChannelTest, UnreachableGatewayOpensTheBreaker) {
  testing::put_account(*accounts_, kMerchant, kAppId, "http://127.0.0.1:9/gateway.do");
  EXPECT_EQ(call(make(ChannelOp::kQuery, "P1017")).outcome, ChannelOutcome::kUnavailable);
  EXPECT_EQ(call(make(ChannelOp::kQuery, "P1017")).outcome, ChannelOutcome::kUnavailable);
  EXPECT_EQ(channel_->breaker_state(), "open");
  auto r = call(make(ChannelOp::kQuery, "P1017"));
  EXPECT_NE(r.detail.find("circuit open"), std::string::npos) << r.detail;
  EXPECT_EQ(channel_->breaker_opened_total(), 1u);
}

TEST_F(AlipayChannelTest, HungGatewayIsUnavailableWithinTheTimeout) {
  // A gateway that takes requests and never answers.
  std::mutex mutex;
  std::vector<http::Responder> held;
  http::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.drain_timeout = 200ms;
  http::HttpServer hung(
      options,
      [&](http::HttpRequest, http::Responder respond) {
        std::lock_guard lock(mutex);
        held.push_back(std::move(respond));
      },
      &apps::SimServer::error);
  std::string error;
  ASSERT_TRUE(hung.start(&error)) << error;
  testing::put_account(*accounts_, kMerchant, kAppId,
                       "http://127.0.0.1:" + std::to_string(hung.port()) + "/gateway.do");
  const auto start = std::chrono::steady_clock::now();
  auto r = call(make(ChannelOp::kPrepay, "P1018"));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
  // Whichever bound fires first says so: the actor's deadline, or the HTTP
  // client's read timeout (both 2000 ms; on a loaded machine either wins).
  EXPECT_TRUE(r.detail.find("no alipay answer within 2000 ms") != std::string::npos ||
              r.detail.find("timeout") != std::string::npos)
      << r.detail;
  EXPECT_LT(took, 4s);
  {
    std::lock_guard lock(mutex);
    for (auto& respond : held) respond(apps::SimServer::error(503, "unavailable", "teardown"));
    held.clear();
  }
  hung.stop();
}

TEST(AlipayNotifyUrl, IsThePublicUrlWithTheMerchant) {
  EXPECT_EQ(merchant_notify_url("https://pay.example", "alipay", "m-1"),
            "https://pay.example/v1/channels/alipay/notify/m-1");
}

}  // namespace
}  // namespace oncepay::channels::alipay
