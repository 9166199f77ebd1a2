// Tests for channels/wechatpay/api: the A.2 id rules (oncepay's payment_no
// passes), the URLs and request bodies of the generated request vectors
// reproduced byte for byte, both sides of every body (build -> parse),
// and the amount edge cases: fen are exact JSON integers, nothing else.
#include "channels/wechatpay/api.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using testing::at;
using testing::generated;
using testing::str;

const boost::json::value& request_case(size_t i) {
  return at(at(generated(), "wechatpay_request_authorization"), "cases").as_array()[i];
}

constexpr std::string_view kOutTradeNo = "1217752501201407033233368018";

// ---------------------------------------------------------------- A.2

TEST(WechatpayApi, PaymentNoIsAValidOutTradeNo) {
  EXPECT_TRUE(is_valid_out_trade_no("P00531795338284923f85c00000001"));  // docs/API.md "Ids"
  EXPECT_EQ(std::string_view("P00531795338284923f85c00000001").size(), 30u);
  EXPECT_TRUE(is_valid_out_trade_no("P1795338284923f85c00000001"));  // the older 26 characters
}

TEST(WechatpayApi, OutTradeNoLengthBounds) {
  EXPECT_FALSE(is_valid_out_trade_no(""));
  EXPECT_FALSE(is_valid_out_trade_no("12345"));
  EXPECT_TRUE(is_valid_out_trade_no("123456"));
  EXPECT_TRUE(is_valid_out_trade_no(std::string(32, 'a')));
  EXPECT_FALSE(is_valid_out_trade_no(std::string(33, 'a')));
}

TEST(WechatpayApi, OutTradeNoAlphabet) {
  EXPECT_TRUE(is_valid_out_trade_no("ab_-|*09AZ"));
  for (const char* bad : {"abcdef@", "abc def", "abcdef/", "abcdé1", "abcdef.", "abc\ndef"}) {
    EXPECT_FALSE(is_valid_out_trade_no(bad)) << bad;
  }
}

TEST(WechatpayApi, OutRefundNoRules) {
  EXPECT_TRUE(is_valid_out_refund_no("R"));
  EXPECT_TRUE(is_valid_out_refund_no("a_-|*@9"));
  EXPECT_TRUE(is_valid_out_refund_no(std::string(64, 'r')));
  EXPECT_FALSE(is_valid_out_refund_no(""));
  EXPECT_FALSE(is_valid_out_refund_no(std::string(65, 'r')));
  EXPECT_FALSE(is_valid_out_refund_no("r r"));
}

// ---------------------------------------------------------------- URLs

TEST(WechatpayApi, UrlsOfTheGeneratedVectors) {
  EXPECT_EQ(kNativePrepayPath, str(request_case(1), "canonical_url"));
  EXPECT_EQ(query_url(kOutTradeNo, "1230000109"), str(request_case(2), "canonical_url"));
  EXPECT_EQ(close_url(kOutTradeNo), str(request_case(3), "canonical_url"));
  EXPECT_EQ(kRefundPath, str(request_case(4), "canonical_url"));
  EXPECT_EQ(refund_query_url("1217752501201407033233368018R1"),
            str(request_case(5), "canonical_url"));
}

TEST(WechatpayApi, UrlsEscapeThePipeAndAt) {
  EXPECT_EQ(close_url("ab|cd*ef"), "/v3/pay/transactions/out-trade-no/ab%7Ccd*ef/close");
  EXPECT_EQ(refund_query_url("r@1|2"), "/v3/refund/domestic/refunds/r%401%7C2");
}

TEST(WechatpayApi, SimulatorParsesTheUrlsBack) {
  std::string id, mchid;
  ASSERT_TRUE(parse_query_url(str(request_case(2), "canonical_url"), &id, &mchid));
  EXPECT_EQ(id, kOutTradeNo);
  EXPECT_EQ(mchid, "1230000109");
  ASSERT_TRUE(parse_close_url(close_url("ab|cd*ef"), &id));
  EXPECT_EQ(id, "ab|cd*ef");
  ASSERT_TRUE(parse_refund_query_url(refund_query_url("r@1|2"), &id));
  EXPECT_EQ(id, "r@1|2");
}

TEST(WechatpayApi, SimulatorRefusesOtherUrls) {
  std::string id, mchid;
  EXPECT_FALSE(parse_query_url("/v3/pay/transactions/out-trade-no/1234567", &id, &mchid));
  EXPECT_FALSE(parse_query_url("/v3/pay/transactions/out-trade-no/1234567?mchid=", &id, &mchid));
  EXPECT_FALSE(
      parse_query_url("/v3/pay/transactions/out-trade-no/1234567?mchid=12&x=1", &id, &mchid));
  EXPECT_FALSE(parse_query_url("/v3/pay/transactions/out-trade-no/12?mchid=12", &id, &mchid));
  EXPECT_FALSE(parse_query_url("/v3/pay/transactions/id/1234567?mchid=12", &id, &mchid));
  EXPECT_FALSE(parse_close_url("/v3/pay/transactions/out-trade-no/1234%2F567/close", &id));
  EXPECT_FALSE(parse_close_url("/v3/pay/transactions/out-trade-no//close", &id));
  EXPECT_FALSE(parse_close_url("/v3/pay/transactions/out-trade-no/1234567", &id));
  EXPECT_FALSE(parse_refund_query_url("/v3/refund/domestic/refunds", &id));
  EXPECT_FALSE(parse_refund_query_url("/v3/refund/domestic/refunds/", &id));
  EXPECT_FALSE(parse_refund_query_url("/v3/refund/domestic/refunds/a/b", &id));
}

// ---------------------------------------------------------------- bodies

PrepayRequest vector_prepay() {
  PrepayRequest r;
  r.appid = "wxd678efh567hg6787";
  r.mchid = "1230000109";
  r.description = "Image形象店-深圳腾大-QQ公仔";
  r.out_trade_no = std::string(kOutTradeNo);
  r.time_expire = "2018-06-08T10:34:56+08:00";
  r.attach = "自定义数据";
  r.notify_url = "https://www.weixin.qq.com/wxpay/pay.php";
  r.total_fen = 100;
  r.currency = "CNY";
  return r;
}

TEST(WechatpayApi, NativePrepayBodyIsTheVectorsByteForByte) {
  EXPECT_EQ(prepay_body(vector_prepay()), str(request_case(1), "body"));
}

TEST(WechatpayApi, PrepayRequestRoundTrips) {
  PrepayRequest parsed;
  ASSERT_EQ(parse_prepay_request(str(request_case(1), "body"), false, &parsed), Error::kOk);
  EXPECT_EQ(parsed.description, vector_prepay().description);
  EXPECT_EQ(parsed.total_fen, 100);
  EXPECT_EQ(parsed.currency, "CNY");
  EXPECT_EQ(parsed.time_expire, "2018-06-08T10:34:56+08:00");
  EXPECT_EQ(prepay_body(parsed), str(request_case(1), "body"));
}

TEST(WechatpayApi, JsapiPrepayCarriesThePayer) {
  PrepayRequest r = vector_prepay();
  r.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
  const std::string body = prepay_body(r);
  EXPECT_NE(body.find("\"payer\":{\"openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"}"),
            std::string::npos);
  PrepayRequest parsed;
  ASSERT_EQ(parse_prepay_request(body, true, &parsed), Error::kOk);
  EXPECT_EQ(parsed.payer_openid, r.payer_openid);
  EXPECT_EQ(parse_prepay_request(str(request_case(1), "body"), true, &parsed),
            Error::kMissingField);
}

TEST(WechatpayApi, PrepayRequestWithABadOutTradeNoIsRefused) {
  std::string body = str(request_case(1), "body");
  body.replace(body.find(kOutTradeNo), kOutTradeNo.size(), "12/45678");
  PrepayRequest parsed;
  EXPECT_EQ(parse_prepay_request(body, false, &parsed), Error::kBadOutTradeNo);
}

TEST(WechatpayApi, PrepayResponses) {
  std::string code_url;
  ASSERT_EQ(parse_native_prepay_response(native_prepay_response("weixin://wxpay/bizpayurl?pr=x"),
                                         &code_url),
            Error::kOk);
  EXPECT_EQ(code_url, "weixin://wxpay/bizpayurl?pr=x");
  std::string prepay_id;
  ASSERT_EQ(parse_jsapi_prepay_response(jsapi_prepay_response("wx2014"), &prepay_id), Error::kOk);
  EXPECT_EQ(prepay_id, "wx2014");
  EXPECT_EQ(parse_native_prepay_response("{\"prepay_id\":\"wx\"}", &code_url),
            Error::kMissingField);
  EXPECT_EQ(parse_jsapi_prepay_response("{\"prepay_id\":7}", &prepay_id), Error::kWrongType);
}

TEST(WechatpayApi, CloseBodyIsTheVectors) {
  EXPECT_EQ(close_body("1230000109"), str(request_case(3), "body"));
  std::string mchid;
  ASSERT_EQ(parse_close_request(str(request_case(3), "body"), &mchid), Error::kOk);
  EXPECT_EQ(mchid, "1230000109");
}

TEST(WechatpayApi, RefundBodyIsTheVectorsByteForByte) {
  RefundRequest r;
  r.out_trade_no = std::string(kOutTradeNo);
  r.out_refund_no = "1217752501201407033233368018R1";
  r.reason = "商品已售完";
  r.notify_url = "https://www.weixin.qq.com/wxpay/refund.php";
  r.refund_fen = 100;
  r.total_fen = 100;
  EXPECT_EQ(refund_body(r), str(request_case(4), "body"));
  RefundRequest parsed;
  ASSERT_EQ(parse_refund_request(str(request_case(4), "body"), &parsed), Error::kOk);
  EXPECT_EQ(parsed.out_refund_no, r.out_refund_no);
  EXPECT_EQ(parsed.refund_fen, 100);
  EXPECT_EQ(refund_body(parsed), refund_body(r));
}

TEST(WechatpayApi, TransactionOfTheGeneratedQueryAnswer) {
  const auto& answer = at(at(generated(), "wechatpay_response_signature"), "valid").as_array()[1];
  Transaction t;
  ASSERT_EQ(parse_transaction(str(answer, "body"), &t), Error::kOk);
  EXPECT_EQ(t.out_trade_no, kOutTradeNo);
  EXPECT_EQ(t.trade_state, "SUCCESS");
  EXPECT_EQ(t.trade_type, "NATIVE");
  EXPECT_TRUE(t.has_amount);
  EXPECT_EQ(t.total_fen, 100);
  ASSERT_TRUE(t.payer_total_fen.has_value());
  EXPECT_EQ(*t.payer_total_fen, 100);
  EXPECT_EQ(t.currency, "CNY");
  EXPECT_EQ(t.payer_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
  Transaction back;
  ASSERT_EQ(parse_transaction(transaction_json(t), &back), Error::kOk);
  EXPECT_EQ(transaction_json(back), transaction_json(t));
}

TEST(WechatpayApi, NotPayTransactionWithoutAmount) {
  Transaction t;
  ASSERT_EQ(parse_transaction("{\"out_trade_no\":\"P1234567\",\"trade_state\":\"NOTPAY\"}", &t),
            Error::kOk);
  EXPECT_FALSE(t.has_amount);
  EXPECT_EQ(t.transaction_id, "");
}

// ---------------------------------------------------------------- amounts

Error total_of(std::string_view amount_json, int64_t* out) {
  Transaction t;
  const Error e = parse_transaction(
      "{\"out_trade_no\":\"P1234567\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":" +
          std::string(amount_json) + "}}",
      &t);
  *out = t.total_fen;
  return e;
}

TEST(WechatpayApi, AmountIsAnExactInteger) {
  int64_t fen = 0;
  EXPECT_EQ(total_of("1", &fen), Error::kOk);
  EXPECT_EQ(fen, 1);
  EXPECT_EQ(total_of("9223372036854775807", &fen), Error::kOk);
  EXPECT_EQ(fen, INT64_MAX);
  EXPECT_EQ(total_of("0", &fen), Error::kOk);  // a query may report 0 (min 0 for answers)
}

TEST(WechatpayApi, AmountRefusesFractionsExponentsAndOverflow) {
  int64_t fen = 0;
  EXPECT_EQ(total_of("100.0", &fen), Error::kBadAmount);
  EXPECT_EQ(total_of("1e2", &fen), Error::kBadAmount);
  EXPECT_EQ(total_of("0.01", &fen), Error::kBadAmount);
  EXPECT_EQ(total_of("9223372036854775808", &fen), Error::kBadAmount);
  EXPECT_EQ(total_of("18446744073709551616", &fen), Error::kBadAmount);
  EXPECT_EQ(total_of("-1", &fen), Error::kBadAmount);
}

TEST(WechatpayApi, AmountRefusesStringsAndNull) {
  int64_t fen = 0;
  EXPECT_EQ(total_of("\"100\"", &fen), Error::kWrongType);
  EXPECT_EQ(total_of("true", &fen), Error::kWrongType);
  EXPECT_EQ(total_of("null", &fen), Error::kMissingField);
}

TEST(WechatpayApi, RequestAmountsMustBePositive) {
  std::string body = str(request_case(4), "body");
  body.replace(body.find("\"refund\":100"), 12, "\"refund\":0");
  RefundRequest parsed;
  EXPECT_EQ(parse_refund_request(body, &parsed), Error::kBadAmount);
  std::string prepay = str(request_case(1), "body");
  prepay.replace(prepay.find("\"total\":100"), 11, "\"total\":-5");
  PrepayRequest p;
  EXPECT_EQ(parse_prepay_request(prepay, false, &p), Error::kBadAmount);
}

// ---------------------------------------------------------------- refunds and errors

TEST(WechatpayApi, RefundStatusFieldDiffersBetweenAnswersAndNotifications) {
  Refund r;
  r.out_refund_no = "R1";
  r.out_trade_no = "P1234567";
  r.status = "PROCESSING";
  r.refund_fen = 30;
  r.total_fen = 100;
  r.currency = "CNY";
  const std::string answer = refund_json(r, RefundStatusField::kStatus);
  EXPECT_NE(answer.find("\"status\":\"PROCESSING\""), std::string::npos);
  Refund parsed;
  ASSERT_EQ(parse_refund(answer, RefundStatusField::kStatus, &parsed), Error::kOk);
  EXPECT_EQ(parsed.status, "PROCESSING");
  EXPECT_EQ(parsed.refund_fen, 30);
  EXPECT_EQ(parse_refund(answer, RefundStatusField::kRefundStatus, &parsed), Error::kMissingField);
  const std::string notification = refund_json(r, RefundStatusField::kRefundStatus);
  EXPECT_NE(notification.find("\"refund_status\":\"PROCESSING\""), std::string::npos);
}

TEST(WechatpayApi, ErrorBodies) {
  ApiError e;
  ASSERT_EQ(parse_error_body("{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"订单不存在\"}", &e),
            Error::kOk);
  EXPECT_EQ(e.code, "ORDER_NOT_EXIST");
  EXPECT_EQ(e.message, "订单不存在");
  ASSERT_EQ(parse_error_body("{\"code\":\"PARAM_ERROR\",\"message\":\"m\",\"detail\":{\"field\":"
                             "\"x\"}}",
                             &e),
            Error::kOk);
  EXPECT_EQ(parse_error_body("<html>502</html>", &e), Error::kMalformedJson);
  EXPECT_EQ(parse_error_body("{\"message\":\"m\"}", &e), Error::kMissingField);
  EXPECT_EQ(error_body("SYSTEM_ERROR", "busy"), "{\"code\":\"SYSTEM_ERROR\",\"message\":\"busy\"}");
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
