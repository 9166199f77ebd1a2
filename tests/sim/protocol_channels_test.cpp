// The simulated channels' real protocols (sim/protocol_channels.hpp): one
// engine call and one notification through each, and a notification signed
// with a wrong key refused by each protocol's decoder.
#include "sim/protocol_channels.hpp"

#include <gtest/gtest.h>

namespace oncepay::sim {
namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;

class ProtocolChannelsTest : public ::testing::Test {
 protected:
  core::ChannelCall call(core::ChannelOp op) const {
    core::ChannelCall c;
    c.op = op;
    c.channel = "sim";
    c.merchant_id = "m1";
    c.payment_no = "P00011800000000000000100000001";
    c.amount_minor = 1999;
    c.total_minor = 1999;
    c.currency = "CNY";
    c.subject = "sim";
    return c;
  }
  core::ChannelReply run(ProtocolChannel& protocol, const core::ChannelCall& c,
                         int64_t now_ms = kNowMs) {
    return protocol.call(c, now_ms, [&](const WireRequest& request) {
      requests_.push_back(request);
      return protocol.serve(model_, request, now_ms);
    });
  }
  v1::ChannelNotification success(int64_t amount) const {
    v1::ChannelNotification n;
    n.set_notify_id("n-1");
    n.set_status(v1::ChannelNotification::SUCCESS);
    n.set_payment_no("P00011800000000000000100000001");
    n.set_channel_trade_no("4200000000000000000000000001");
    n.set_amount(amount);
    n.set_currency("CNY");
    return n;
  }

  channels::ChannelModel model_{"sim", 7};
  std::vector<WireRequest> requests_;
};

TEST_F(ProtocolChannelsTest, WechatpayPrepayQueryAndPaidQueryGoThroughTheProtocol) {
  auto wx = make_wechatpay_channel();
  core::ChannelReply r = run(*wx, call(core::ChannelOp::kPrepay));
  EXPECT_EQ(r.outcome, core::ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(r.code_url.rfind("weixin://wxpay/bizpayurl?pr=", 0),
            0u);  // replies.hpp: NATIVE code_url
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].target, "/v3/pay/transactions/native");
  r = run(*wx, call(core::ChannelOp::kQuery));
  EXPECT_EQ(r.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(r.state, core::ChannelPayState::kNotPay);
  ASSERT_EQ(model_.pay("P00011800000000000000100000001", false, kNowMs),
            channels::CallOutcome::kOk);
  r = run(*wx, call(core::ChannelOp::kQuery));
  EXPECT_EQ(r.state, core::ChannelPayState::kSuccess);
  EXPECT_EQ(r.paid_amount_minor, 1999);
}

TEST_F(ProtocolChannelsTest, WechatpayRequestSignedTooLongAgoIsRefusedBySignError) {
  auto wx = make_wechatpay_channel();
  const core::ChannelCall c = call(core::ChannelOp::kPrepay);
  const core::ChannelReply r = wx->call(c, kNowMs, [&](const WireRequest& request) {
    return wx->serve(model_, request, kNowMs + 301'000);  // A.6: |now - ts| < 300 s
  });
  EXPECT_NE(r.outcome, core::ChannelOutcome::kOk);
  EXPECT_FALSE(model_.get(c.payment_no).has_value());  // nothing was applied
}

TEST_F(ProtocolChannelsTest, WechatpayReverseClosesAsTheAdapterDoes) {
  auto wx = make_wechatpay_channel();
  ASSERT_EQ(run(*wx, call(core::ChannelOp::kPrepay)).outcome, core::ChannelOutcome::kOk);
  requests_.clear();
  EXPECT_EQ(run(*wx, call(core::ChannelOp::kReverse)).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].target,
            "/v3/pay/transactions/out-trade-no/P00011800000000000000100000001/close");
  EXPECT_EQ(model_.get("P00011800000000000000100000001")->state, channels::PayState::kClosed);
}

TEST_F(ProtocolChannelsTest, AlipayRepeatedRefundIsConfirmedByRefundQuery) {
  auto ali = make_alipay_channel();
  ASSERT_EQ(run(*ali, call(core::ChannelOp::kPrepay)).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(model_.pay("P00011800000000000000100000001", false, kNowMs),
            channels::CallOutcome::kOk);
  core::ChannelCall refund = call(core::ChannelOp::kRefund);
  refund.amount_minor = 500;
  refund.refund_no = "R1";
  EXPECT_EQ(run(*ali, refund).outcome, core::ChannelOutcome::kOk);
  requests_.clear();
  // The same out_request_no again moves no money (fund_change N).
  EXPECT_EQ(run(*ali, refund).outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(requests_.size(), 2u);  // refund, then fastpay.refund.query
  EXPECT_EQ(model_.get("P00011800000000000000100000001")->refunded_minor, 500);
}

TEST_F(ProtocolChannelsTest, AlipayQueryOfAnUnknownTradeIsNotPay) {
  auto ali = make_alipay_channel();
  const core::ChannelReply r = run(*ali, call(core::ChannelOp::kQuery));
  EXPECT_EQ(r.outcome, core::ChannelOutcome::kOk);  // B.3: ACQ.TRADE_NOT_EXIST
  EXPECT_EQ(r.state, core::ChannelPayState::kNotPay);
}

TEST_F(ProtocolChannelsTest, WechatpayNotificationDecodesToTheNotice) {
  auto wx = make_wechatpay_channel();
  auto wire = wx->encode_notification(success(1999), {1999, 0}, Signer::kChannel, kNowMs);
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(wire->body.find("1999"), std::string::npos);  // the resource is encrypted
  std::optional<core::ChannelNotice> notice;
  std::string error;
  ASSERT_TRUE(wx->decode_notification(*wire, kNowMs + 1'000, &notice, &error)) << error;
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->kind, core::ChannelNotice::Kind::kSuccess);
  EXPECT_EQ(notice->amount_minor, 1999);
  EXPECT_EQ(notice->payment_no, "P00011800000000000000100000001");
}

TEST_F(ProtocolChannelsTest, WechatpayNotificationSignedWithAWrongKeyIsRefused) {
  auto wx = make_wechatpay_channel();
  auto wire = wx->encode_notification(success(1999), {1999, 0}, Signer::kForger, kNowMs);
  ASSERT_TRUE(wire.has_value());
  std::optional<core::ChannelNotice> notice;
  std::string error;
  EXPECT_FALSE(wx->decode_notification(*wire, kNowMs, &notice, &error));
  EXPECT_EQ(error, "bad_signature");
  EXPECT_FALSE(notice.has_value());
}

TEST_F(ProtocolChannelsTest, AlipayNotificationDecodesToTheNotice) {
  auto ali = make_alipay_channel();
  auto wire = ali->encode_notification(success(1999), {1999, 0}, Signer::kChannel, kNowMs);
  ASSERT_TRUE(wire.has_value());
  EXPECT_NE(wire->body.find("total_amount=19.99"), std::string::npos);
  std::optional<core::ChannelNotice> notice;
  std::string error;
  ASSERT_TRUE(ali->decode_notification(*wire, kNowMs, &notice, &error)) << error;
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->kind, core::ChannelNotice::Kind::kSuccess);
  EXPECT_EQ(notice->amount_minor, 1999);
}

TEST_F(ProtocolChannelsTest, AlipayNotificationSignedWithAWrongKeyIsRefused) {
  auto ali = make_alipay_channel();
  auto wire = ali->encode_notification(success(1999), {1999, 0}, Signer::kForger, kNowMs);
  ASSERT_TRUE(wire.has_value());
  std::optional<core::ChannelNotice> notice;
  std::string error;
  EXPECT_FALSE(ali->decode_notification(*wire, kNowMs, &notice, &error));
  EXPECT_EQ(error.rfind("bad signature", 0), 0u) << error;
}

TEST_F(ProtocolChannelsTest, NeitherProtocolSendsAFailedPaymentNotification) {
  v1::ChannelNotification n = success(1999);
  n.set_status(v1::ChannelNotification::PAYERROR);
  EXPECT_FALSE(make_wechatpay_channel()->encode_notification(n, {}, Signer::kChannel, kNowMs));
  EXPECT_FALSE(make_alipay_channel()->encode_notification(n, {}, Signer::kChannel, kNowMs));
}

}  // namespace
}  // namespace oncepay::sim
