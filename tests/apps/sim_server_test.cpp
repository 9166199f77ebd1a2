// SimServer with its default front, the oncepay protocol
// (channels/sim_protocol.hpp), served in-process on loopback: the front
// refactoring keeps its wire, and its daily statement lists what the wallet
// settled in WeChat's ALL layout with 商户号 = the merchant id.
#include <gtest/gtest.h>

#include "apps/sim_statements.hpp"
#include "channels/sim/sim_protocol.hpp"
#include "channels/wechatpay/tradebill.hpp"
#include "codec/json.hpp"
#include "core/wall_clock.hpp"
#include "sim_test_support.hpp"

namespace oncepay::apps {
namespace {

namespace sim = channels::sim;
using testing::Receiver;
using testing::ServedSim;

constexpr const char* kSecret = "chsec_sim_apps_test";

class SimServerOncepayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimServerOptions options;
    options.secret = kSecret;
    options.merchant_id = "1900000042";
    options.notify_url = receiver_.url();
    sim_ = std::make_unique<ServedSim>(nullptr, options);
  }

  // A signed request; the answer's signature checked.
  http::HttpClientResult call(const std::string& method, const std::string& path,
                              const std::string& body = {}) {
    auto r = sim_->call(method, path,
                        {{"X-Channel-Signature",
                          sim::sign_request(kSecret, core::unix_seconds(), method, path, body)}},
                        body);
    EXPECT_EQ(sim::verify_response(kSecret, testing::header_of(r, sim::kSignatureHeader), r.status,
                                   path, r.body, core::unix_seconds()),
              core::SignatureCheck::kOk);
    return r;
  }

  core::ChannelReply reply(const core::ChannelCall& c) {
    auto wire = sim::encode_call(c);
    auto r = call("POST", wire.path, wire.body);
    sim::CallAnswer answer;
    std::string error;
    EXPECT_TRUE(sim::decode_answer(c, r.status, r.body, &answer, &error)) << error;
    return sim::to_reply(c.op, answer);
  }

  static core::ChannelCall make(core::ChannelOp op, std::string payment_no) {
    core::ChannelCall c;
    c.op = op;
    c.channel = "sim";
    c.payment_no = std::move(payment_no);
    if (op == core::ChannelOp::kPrepay) {
      c.amount_minor = 1999;
      c.currency = "CNY";
      c.subject = "coffee";
    }
    return c;
  }

  Receiver receiver_{[](size_t) { return testing::plain_answer(200, R"({"code":"SUCCESS"})"); }};
  std::unique_ptr<ServedSim> sim_;
};

TEST_F(SimServerOncepayTest, NotificationKeepsTheOncepayWire) {
  ASSERT_EQ(reply(make(core::ChannelOp::kPrepay, "p-1")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("p-1"), 200);
  auto deliveries = receiver_.wait_for(1);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(core::verify_header(kSecret, deliveries[0].header("x-channel-signature"),
                                deliveries[0].body, core::unix_seconds()),
            core::SignatureCheck::kOk);
  v1::ChannelNotification n;
  std::string error;
  ASSERT_TRUE(codec::parse_json(deliveries[0].body, &n, &error)) << error;
  EXPECT_EQ(n.payment_no(), "p-1");
  EXPECT_EQ(n.status(), v1::ChannelNotification::SUCCESS);
}

TEST_F(SimServerOncepayTest, StatementListsSettledPaymentsAndRefundsInTheWechatLayout) {
  ASSERT_EQ(reply(make(core::ChannelOp::kPrepay, "p-2")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(reply(make(core::ChannelOp::kPrepay, "p-3")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(reply(make(core::ChannelOp::kPrepay, "p-4")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("p-2"), 200);
  ASSERT_EQ(sim_->sandbox("p-4"), 200);
  auto refund = make(core::ChannelOp::kRefund, "p-2");
  refund.refund_no = "r-1";
  refund.amount_minor = 600;
  ASSERT_EQ(reply(refund).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(reply(make(core::ChannelOp::kReverse, "p-4")).outcome, core::ChannelOutcome::kOk);

  auto r = call("GET", "/channel/v1/statements/" + business_day(core::unix_ms()));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
  ASSERT_TRUE(channels::wechatpay::parse_tradebill(
      r.body, [&](const core::StatementLine& l) { lines.push_back(l); }, &summary, &error))
      << error.line << ": " << error.reason;
  ASSERT_EQ(lines.size(), 4u);  // p-2, p-4 paid; r-1; p-4 reversed (refund_no = payment_no)
  EXPECT_EQ(lines[0].payment_no, "p-2");
  EXPECT_EQ(lines[0].account_id, "1900000042");
  EXPECT_EQ(lines[1].payment_no, "p-4");
  EXPECT_EQ(lines[2].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(lines[2].refund_no, "r-1");
  EXPECT_EQ(lines[2].amount_minor, 600);
  EXPECT_EQ(lines[3].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(lines[3].refund_no, "p-4");
  EXPECT_EQ(lines[3].amount_minor, 1999);
}

TEST_F(SimServerOncepayTest, StatementOfAnotherDayIsEmptyAndABadDayIsRefused) {
  ASSERT_EQ(reply(make(core::ChannelOp::kPrepay, "p-5")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("p-5"), 200);
  auto r = call("GET", "/channel/v1/statements/2001-01-01");
  ASSERT_EQ(r.status, 200);
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
  ASSERT_TRUE(channels::wechatpay::parse_tradebill(
      r.body, [&](const core::StatementLine& l) { lines.push_back(l); }, &summary, &error))
      << error.reason;
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(call("GET", "/channel/v1/statements/yesterday").status, 400);
}

TEST_F(SimServerOncepayTest, UnsignedStatementRequestIsRefused) {
  auto r = sim_->call("GET", "/channel/v1/statements/2001-01-01");
  EXPECT_EQ(r.status, 401);
}

}  // namespace
}  // namespace oncepay::apps
