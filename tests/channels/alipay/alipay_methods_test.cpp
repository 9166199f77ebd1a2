// Tests of channels/alipay/alipay_methods.hpp: biz_content, the reading of
// each method's (generated, signed) responses into core::ChannelReply, the
// code table, out_trade_no.
#include "channels/alipay/alipay_methods.hpp"

#include <gtest/gtest.h>

#include "alipay_vectors.hpp"

namespace oncepay::channels::alipay {
namespace {

using core::ChannelOutcome;
using core::ChannelPayState;
using core::ChannelReply;
using testing::str;

// The generated valid response vector with this label prefix, read through
// verification into a reply.
ChannelReply vector_reply(std::string_view label_prefix) {
  for (const auto& c :
       testing::generated().at("alipay_response_signature").at("valid").as_array()) {
    if (!str(c, "label").starts_with(label_prefix)) continue;
    SignedResponse r =
        verify_response(str(c, "raw_http_body"), str(c, "method"), testing::platform_public_key());
    EXPECT_EQ(r.verdict, Verdict::kOk) << r.detail;
    return read_reply(str(c, "method"), r);
  }
  ADD_FAILURE() << "no vector " << label_prefix;
  return {};
}

// A reply to `method` whose signed content is `content`.
ChannelReply reply_to(std::string_view method, const ResponseCommon& common,
                      const std::vector<std::pair<std::string, std::string>>& fields = {}) {
  const std::string body = build_signed_response(method, response_content(common, fields),
                                                 testing::platform_private_key());
  return read_reply(method, verify_response(body, method, testing::platform_public_key()));
}

const ResponseCommon kSuccess = {"10000", "Success", "", ""};
ResponseCommon business(std::string sub_code) {
  return {"40004", "Business Failed", std::move(sub_code), ""};
}

TEST(AlipayOutTradeNo, Rules) {
  EXPECT_TRUE(is_valid_out_trade_no("20150320010101001"));
  EXPECT_TRUE(is_valid_out_trade_no("P0001176473280000012345abcdef0"));
  EXPECT_EQ(std::string_view("P0001176473280000012345abcdef0").size(), 30u);
  EXPECT_TRUE(is_valid_out_trade_no(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_out_trade_no(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_out_trade_no(""));
  EXPECT_FALSE(is_valid_out_trade_no("a-b"));
  EXPECT_FALSE(is_valid_out_trade_no("a b"));
  EXPECT_FALSE(is_valid_out_trade_no("订单1"));
}

TEST(AlipayBizContent, Precreate) {
  PayOrder order{"P1", 8888, "Iphone6 \"16G\"", 1406142471000, ""};
  EXPECT_EQ(pay_biz_content(order),
            R"({"out_trade_no":"P1","total_amount":"88.88","subject":"Iphone6 \"16G\"",)"
            R"("time_expire":"2014-07-24 03:07:51"})");
}

TEST(AlipayBizContent, PagePayCarriesProductCode) {
  PayOrder order{"P1", 1, "s", 0, "FAST_INSTANT_TRADE_PAY"};
  EXPECT_TRUE(pay_biz_content(order).ends_with(R"("product_code":"FAST_INSTANT_TRADE_PAY"})"));
}

TEST(AlipayBizContent, TradeRefundAndRefundQuery) {
  EXPECT_EQ(trade_biz_content("P1"), R"({"out_trade_no":"P1"})");
  EXPECT_EQ(refund_biz_content("P1", 10, "R1"),
            R"({"out_trade_no":"P1","refund_amount":"0.10","out_request_no":"R1"})");
  EXPECT_EQ(refund_query_biz_content("P1", "R1"), R"({"out_trade_no":"P1","out_request_no":"R1"})");
}

TEST(AlipayBizContent, ReadBackBySimulator) {
  auto fields = read_biz_content(refund_biz_content("P1", 10, "R1"));
  ASSERT_TRUE(fields);
  EXPECT_EQ((*fields)["refund_amount"], "0.10");
  EXPECT_FALSE(read_biz_content("not json"));
}

TEST(AlipayReply, PrecreateVectorGivesQrCode) {
  ChannelReply r = vector_reply("precreate OK");
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.pay_url, "https://qr.alipay.com/bavh4wjlxf12tper3a");
}

TEST(AlipayReply, PrecreateWithoutQrCodeIsUnknown) {
  EXPECT_EQ(reply_to(kMethodPrecreate, kSuccess).outcome, ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, QueryVectorTradeSuccess) {
  ChannelReply r = vector_reply("query TRADE_SUCCESS");
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kSuccess);
  EXPECT_EQ(r.paid_amount_minor, 8888);
  EXPECT_EQ(r.paid_currency, "CNY");
  EXPECT_EQ(r.channel_trade_no, "2013112011001004330000121536");
}

TEST(AlipayReply, QueryVectorTradeNotExistIsNotPaidYet) {
  ChannelReply r = vector_reply("query 40004 ACQ.TRADE_NOT_EXIST");
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kNotPay);
}

TEST(AlipayReply, QueryWaitBuyerPay) {
  ChannelReply r = reply_to(kMethodQuery, kSuccess, {{"trade_status", "WAIT_BUYER_PAY"}});
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kNotPay);
  EXPECT_FALSE(r.paid_amount_minor);
}

TEST(AlipayReply, QueryTradeFinishedIsSuccess) {
  ChannelReply r = reply_to(kMethodQuery, kSuccess,
                            {{"trade_status", "TRADE_FINISHED"}, {"total_amount", "1.00"}});
  EXPECT_EQ(r.state, ChannelPayState::kSuccess);
  EXPECT_EQ(r.paid_amount_minor, 100);
}

TEST(AlipayReply, QueryTradeClosedUnpaid) {
  EXPECT_EQ(reply_to(kMethodQuery, kSuccess, {{"trade_status", "TRADE_CLOSED"}}).state,
            ChannelPayState::kClosed);
}

TEST(AlipayReply, QueryTradeClosedAfterPaymentIsRefund) {
  ChannelReply r = reply_to(kMethodQuery, kSuccess,
                            {{"trade_status", "TRADE_CLOSED"}, {"send_pay_date", "2014-11-27"}});
  EXPECT_EQ(r.state, ChannelPayState::kRefund);
}

TEST(AlipayReply, QueryUnknownStatusIsUnknown) {
  EXPECT_EQ(reply_to(kMethodQuery, kSuccess, {{"trade_status", "X"}}).outcome,
            ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, QueryPaidWithBadAmountIsUnknown) {
  EXPECT_EQ(reply_to(kMethodQuery, kSuccess,
                     {{"trade_status", "TRADE_SUCCESS"}, {"total_amount", "88.888"}})
                .outcome,
            ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, CloseVector) {
  ChannelReply r = vector_reply("close OK");
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.channel_trade_no, "2013112111001004500000675971");
}

TEST(AlipayReply, CloseTradeNotExistIsOk) {
  EXPECT_EQ(reply_to(kMethodClose, business("ACQ.TRADE_NOT_EXIST")).outcome, ChannelOutcome::kOk);
}

TEST(AlipayReply, CloseTradeStatusErrorIsAlreadyPaid) {
  EXPECT_EQ(reply_to(kMethodClose, business("ACQ.TRADE_STATUS_ERROR")).outcome,
            ChannelOutcome::kAlreadyPaid);
}

TEST(AlipayReply, CloseAlreadyClosedIsOk) {
  EXPECT_EQ(reply_to(kMethodClose, business("ACQ.TRADE_HAS_CLOSE")).outcome, ChannelOutcome::kOk);
}

TEST(AlipayReply, CancelVectorActionRefund) {
  ChannelReply r = vector_reply("cancel on a paid trade");
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kRefund);
}

TEST(AlipayReply, CancelActionClose) {
  ChannelReply r = reply_to(kMethodCancel, kSuccess, {{"retry_flag", "N"}, {"action", "close"}});
  EXPECT_EQ(r.outcome, ChannelOutcome::kOk);
  EXPECT_EQ(r.state, ChannelPayState::kClosed);
}

TEST(AlipayReply, CancelRetryFlagIsUnknown) {
  EXPECT_EQ(reply_to(kMethodCancel, kSuccess, {{"retry_flag", "Y"}}).outcome,
            ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, RefundVectorFundChangeY) {
  EXPECT_EQ(vector_reply("refund OK").outcome, ChannelOutcome::kOk);
}

TEST(AlipayReply, RefundFundChangeNIsUnknown) {
  EXPECT_EQ(reply_to(kMethodRefund, kSuccess, {{"fund_change", "N"}}).outcome,
            ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, RefundOfMissingTradeIsNotPaid) {
  EXPECT_EQ(reply_to(kMethodRefund, business("ACQ.TRADE_NOT_EXIST")).outcome,
            ChannelOutcome::kNotPaid);
}

TEST(AlipayReply, RefundQueryVectorSuccess) {
  EXPECT_EQ(vector_reply("refund query REFUND_SUCCESS").outcome, ChannelOutcome::kOk);
}

TEST(AlipayReply, RefundQueryWithoutStatusIsNotFound) {
  EXPECT_EQ(reply_to(kMethodRefundQuery, kSuccess).outcome, ChannelOutcome::kNotFound);
}

TEST(AlipayReply, RefundQueryProcessingIsUnknown) {
  EXPECT_EQ(
      reply_to(kMethodRefundQuery, kSuccess, {{"refund_status", "REFUND_PROCESSING"}}).outcome,
      ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, SystemErrorIsUnknownForEveryMethod) {
  for (std::string_view m : {kMethodPrecreate, kMethodQuery, kMethodClose, kMethodCancel,
                             kMethodRefund, kMethodRefundQuery}) {
    EXPECT_EQ(reply_to(m, business("ACQ.SYSTEM_ERROR")).outcome, ChannelOutcome::kUnavailable) << m;
    EXPECT_EQ(
        reply_to(m, {"20000", "Service Currently Unavailable", "isp.unknow-error", ""}).outcome,
        ChannelOutcome::kUnavailable)
        << m;
  }
}

TEST(AlipayReply, InvalidParameterIsRejected) {
  EXPECT_EQ(reply_to(kMethodPrecreate, business("ACQ.INVALID_PARAMETER")).outcome,
            ChannelOutcome::kRejected);
}

TEST(AlipayReply, PrecreateAlreadyPaid) {
  EXPECT_EQ(reply_to(kMethodPrecreate, business("ACQ.TRADE_HAS_SUCCESS")).outcome,
            ChannelOutcome::kAlreadyPaid);
}

TEST(AlipayReply, UnverifiedResponseIsUnknown) {
  const std::string body =
      build_signed_response(kMethodQuery, response_content(business("ACQ.TRADE_NOT_EXIST"), {}),
                            testing::app_private_key());  // signed with the wrong key
  ChannelReply r =
      read_reply(kMethodQuery, verify_response(body, kMethodQuery, testing::platform_public_key()));
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, UnsignedErrorResponseIsUnknown) {
  const std::string body =
      R"({"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}})";
  ChannelReply r =
      read_reply(kMethodQuery, verify_response(body, kMethodQuery, testing::platform_public_key()));
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
}

TEST(AlipayReply, DuplicatedFieldInSignedContentIsUnknown) {
  const std::string content = R"({"code":"10000","msg":"Success","trade_status":"WAIT_BUYER_PAY",)"
                              R"("trade_status":"TRADE_SUCCESS","total_amount":"1.00"})";
  const std::string body =
      build_signed_response(kMethodQuery, content, testing::platform_private_key());
  ChannelReply r =
      read_reply(kMethodQuery, verify_response(body, kMethodQuery, testing::platform_public_key()));
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
}

TEST(AlipayCodes, Table) {
  EXPECT_EQ(outcome_for_code("10000", ""), ChannelOutcome::kOk);
  EXPECT_EQ(outcome_for_code("20000", "isp.unknow-error"), ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome_for_code("20001", ""), ChannelOutcome::kRejected);
  EXPECT_EQ(outcome_for_code("40001", "isv.missing-method"), ChannelOutcome::kRejected);
  EXPECT_EQ(outcome_for_code("40002", "isv.invalid-signature"), ChannelOutcome::kRejected);
  EXPECT_EQ(outcome_for_code("40004", "ACQ.SYSTEM_ERROR"), ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome_for_code("40004", "ACQ.INVALID_PARAMETER"), ChannelOutcome::kRejected);
  EXPECT_EQ(outcome_for_code("40006", ""), ChannelOutcome::kRejected);
  EXPECT_EQ(outcome_for_code("50000", ""), ChannelOutcome::kUnavailable);
  EXPECT_EQ(outcome_for_code("", ""), ChannelOutcome::kUnavailable);
}

TEST(AlipayCommon, ReadsCodeAndSubCode) {
  auto common = read_common(R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.X"})");
  ASSERT_TRUE(common);
  EXPECT_EQ(common->sub_code, "ACQ.X");
  EXPECT_FALSE(read_common(R"({"msg":"no code"})"));
}

}  // namespace
}  // namespace oncepay::channels::alipay
