// Tests for channels/wechatpay/replies: the trade_state table, which answers
// are "outcome unknown, query" and which are definite, and the ChannelReply
// of each call from the generated signed answers.
#include "channels/wechatpay/replies.hpp"

#include <gtest/gtest.h>

#include <string>

#include "channels/wechatpay/api.hpp"
#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using core::ChannelOp;
using core::ChannelOutcome;
using core::ChannelPayState;
using testing::at;
using testing::generated;
using testing::str;

constexpr std::string_view kOutTradeNo = "1217752501201407033233368018";

const boost::json::value& answer_vector(size_t i) {
  return at(at(generated(), "wechatpay_response_signature"), "valid").as_array()[i];
}

Answer verified(int32_t status, std::string_view body) { return Answer{status, body, Error::kOk}; }

ChannelOutcome outcome(ChannelOp op, int32_t status, std::string_view body) {
  return outcome_for_answer(op, verified(status, body));
}

// ---------------------------------------------------------------- trade_state

TEST(WechatpayReplies, TradeStateTable) {
  struct Row {
    const char* name;
    ChannelPayState state;
    bool terminal;
  };
  for (const Row& row : {Row{"NOTPAY", ChannelPayState::kNotPay, false},
                         Row{"USERPAYING", ChannelPayState::kNotPay, false},
                         Row{"ACCEPT", ChannelPayState::kNotPay, false},
                         Row{"SUCCESS", ChannelPayState::kSuccess, true},
                         Row{"REFUND", ChannelPayState::kRefund, true},
                         Row{"CLOSED", ChannelPayState::kClosed, true},
                         Row{"REVOKED", ChannelPayState::kClosed, true},
                         Row{"PAYERROR", ChannelPayState::kPayError, true}}) {
    const auto m = map_trade_state(row.name);
    ASSERT_TRUE(m.has_value()) << row.name;
    EXPECT_EQ(m->state, row.state) << row.name;
    EXPECT_EQ(m->terminal, row.terminal) << row.name;
  }
}

TEST(WechatpayReplies, UnknownTradeStateIsNotMapped) {
  EXPECT_FALSE(map_trade_state("success").has_value());
  EXPECT_FALSE(map_trade_state("").has_value());
  EXPECT_FALSE(map_trade_state("FINISHED").has_value());
}

// ---------------------------------------------------------------- outcomes

TEST(WechatpayReplies, NoAnswerIsUnknown) {
  EXPECT_EQ(outcome_for_answer(ChannelOp::kPrepay, Answer{}), ChannelOutcome::kUnavailable);
}

TEST(WechatpayReplies, FailedVerificationIsUnknown) {
  for (Error e : {Error::kUnsigned, Error::kBadSignature, Error::kStale, Error::kUnknownSerial}) {
    EXPECT_EQ(outcome_for_answer(ChannelOp::kQuery, Answer{200, "{}", e}),
              ChannelOutcome::kUnavailable)
        << to_string(e);
    // Even a definite-looking error must be signed to count.
    EXPECT_EQ(outcome_for_answer(ChannelOp::kRefund, Answer{400, "{\"code\":\"PARAM_ERROR\"}", e}),
              ChannelOutcome::kUnavailable);
  }
}

TEST(WechatpayReplies, ServerErrorsAndRateLimitsAreUnknown) {
  EXPECT_EQ(outcome(ChannelOp::kRefund, 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"m\"}"),
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome(ChannelOp::kPrepay, 502, "<html>bad gateway</html>"),
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome(ChannelOp::kPrepay, 503, "{\"code\":\"SERVICE_UNAVAILABLE\"}"),
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome(ChannelOp::kRefund, 429, "{\"code\":\"RATELIMIT_EXCEEDED\"}"),
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome(ChannelOp::kClose, 202, ""), ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome(ChannelOp::kQuery, 403, "{\"code\":\"FREQUENCY_LIMITED\"}"),
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome(ChannelOp::kPrepay, 400, "{\"code\":\"SYSTEM_ERROR\"}"),
            ChannelOutcome::kUnavailable);
}

TEST(WechatpayReplies, DefiniteFailuresAreRejected) {
  for (const char* code : {"PARAM_ERROR", "INVALID_REQUEST", "APPID_MCHID_NOT_MATCH",
                           "MCH_NOT_EXISTS", "SIGN_ERROR", "NO_AUTH"}) {
    const std::string body = error_body(code, "m");
    EXPECT_EQ(outcome(ChannelOp::kPrepay, 400, body), ChannelOutcome::kRejected) << code;
  }
  EXPECT_EQ(outcome(ChannelOp::kPrepay, 401, error_body("SIGN_ERROR", "m")),
            ChannelOutcome::kRejected);
  EXPECT_EQ(outcome(ChannelOp::kPrepay, 403, error_body("NO_AUTH", "m")),
            ChannelOutcome::kRejected);
}

TEST(WechatpayReplies, NotFound) {
  EXPECT_EQ(outcome(ChannelOp::kQuery, 404, str(answer_vector(3), "body")),
            ChannelOutcome::kNotFound);
  EXPECT_EQ(outcome(ChannelOp::kClose, 400, error_body("ORDER_NOT_EXIST", "m")),
            ChannelOutcome::kNotFound);
  EXPECT_EQ(outcome(ChannelOp::kQuery, 404, ""), ChannelOutcome::kNotFound);
}

TEST(WechatpayReplies, CloseOfAClosedOrderIsDone) {
  EXPECT_EQ(outcome(ChannelOp::kClose, 400, error_body("ORDER_CLOSED", "m")), ChannelOutcome::kOk);
  EXPECT_EQ(outcome(ChannelOp::kRefund, 400, error_body("ORDER_CLOSED", "m")),
            ChannelOutcome::kRejected);
}

TEST(WechatpayReplies, CloseOfAPaidOrderIsAlreadyPaid) {
  EXPECT_EQ(outcome(ChannelOp::kClose, 400, error_body("ORDERPAID", "m")),
            ChannelOutcome::kAlreadyPaid);
}

// ---------------------------------------------------------------- replies

TEST(WechatpayReplies, NativePrepayReply) {
  const auto r = prepay_reply(verified(200, str(answer_vector(0), "body")), false);
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.code_url, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz");
  EXPECT_EQ(r.prepay_id, "");
}

TEST(WechatpayReplies, JsapiPrepayReply) {
  const auto r = prepay_reply(verified(200, jsapi_prepay_response("wx201410272009")), true);
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.prepay_id, "wx201410272009");
}

TEST(WechatpayReplies, UnparsableSuccessIsUnknown) {
  const auto r = prepay_reply(verified(200, "{\"prepay_id\":\"wx\"}"), false);
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
  EXPECT_NE(r.detail.find("missing_field"), std::string::npos);
}

TEST(WechatpayReplies, UnsignedPrepaySuccessIsForged) {
  const auto r = prepay_reply(Answer{200, str(answer_vector(0), "body"), Error::kUnsigned}, false);
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
  EXPECT_EQ(r.code_url, "");
  EXPECT_NE(r.detail.find("unsigned"), std::string::npos);
}

TEST(WechatpayReplies, QueryReplyOfAPaidOrder) {
  const auto r = query_reply(verified(200, str(answer_vector(1), "body")), kOutTradeNo);
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kSuccess);
  EXPECT_EQ(r.channel_trade_no, "1217752501201407033233368018");
  ASSERT_TRUE(r.paid_amount_minor.has_value());
  EXPECT_EQ(*r.paid_amount_minor, 100);
  EXPECT_EQ(r.paid_currency, "CNY");
}

TEST(WechatpayReplies, QueryReplyOfAnUnpaidOrderCarriesNoPaidAmount) {
  Transaction t;
  t.out_trade_no = std::string(kOutTradeNo);
  t.trade_state = "NOTPAY";
  t.has_amount = true;
  t.total_fen = 100;
  t.currency = "CNY";
  const auto r = query_reply(verified(200, transaction_json(t)), kOutTradeNo);
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kNotPay);
  EXPECT_FALSE(r.paid_amount_minor.has_value());
}

TEST(WechatpayReplies, QueryReplyForAnotherOrderIsUnknown) {
  const auto r = query_reply(verified(200, str(answer_vector(1), "body")), "P00531795338284923");
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
}

TEST(WechatpayReplies, QueryReplyWithAnUnknownStateIsUnknown) {
  const auto r = query_reply(
      verified(200, "{\"out_trade_no\":\"1217752501201407033233368018\",\"trade_state\":\"NEW\"}"),
      kOutTradeNo);
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
  EXPECT_NE(r.detail.find("NEW"), std::string::npos);
}

TEST(WechatpayReplies, QueryReplyNotFound) {
  const auto r = query_reply(verified(404, str(answer_vector(3), "body")), kOutTradeNo);
  EXPECT_EQ(r.outcome, ChannelOutcome::kNotFound);
  EXPECT_NE(r.detail.find("ORDER_NOT_EXIST"), std::string::npos);
}

TEST(WechatpayReplies, CloseReply) {
  EXPECT_EQ(close_reply(verified(204, "")).outcome, ChannelOutcome::kOk);
  EXPECT_EQ(close_reply(Answer{204, "", Error::kUnsigned}).outcome, ChannelOutcome::kUnavailable);
  EXPECT_EQ(close_reply(verified(500, "")).outcome, ChannelOutcome::kUnavailable);
}

Refund refund_answer(std::string_view status) {
  Refund r;
  r.refund_id = "5000";
  r.out_refund_no = "R1";
  r.out_trade_no = std::string(kOutTradeNo);
  r.status = status;
  r.refund_fen = 100;
  r.total_fen = 100;
  r.currency = "CNY";
  return r;
}

TEST(WechatpayReplies, RefundReplyByStatus) {
  auto reply_for = [](std::string_view status) {
    return refund_reply(
               verified(200, refund_json(refund_answer(status), RefundStatusField::kStatus)), "R1")
        .outcome;
  };
  EXPECT_EQ(reply_for("SUCCESS"), ChannelOutcome::kOk);
  EXPECT_EQ(reply_for("PROCESSING"), ChannelOutcome::kUnavailable);
  EXPECT_EQ(reply_for("CLOSED"), ChannelOutcome::kRejected);
  EXPECT_EQ(reply_for("ABNORMAL"), ChannelOutcome::kRejected);
  EXPECT_EQ(reply_for("SOMETHING_NEW"), ChannelOutcome::kUnavailable);
}

TEST(WechatpayReplies, RefundReplyForAnotherRefundIsUnknown) {
  const auto r = refund_reply(
      verified(200, refund_json(refund_answer("SUCCESS"), RefundStatusField::kStatus)), "R2");
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
}

TEST(WechatpayReplies, RefundTimeoutIsUnknown) {
  EXPECT_EQ(refund_reply(Answer{}, "R1").outcome, ChannelOutcome::kUnavailable);
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
