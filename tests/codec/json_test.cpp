// Tests for codec/json.{hpp,cpp}: the schema-driven JSON mapping of the API's
// protobuf messages.
#include "codec/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "oncepay.pb.h"

namespace oncepay::codec {
namespace {

using oncepay::v1::AttemptView;
using oncepay::v1::ErrorResponse;
using oncepay::v1::MerchantCreated;
using oncepay::v1::Order;
using oncepay::v1::OrderView;
using oncepay::v1::PayRequest;
using oncepay::v1::SandboxFaults;

OrderView sample_order() {
  OrderView order;
  order.set_merchant_order_no("M-1");
  order.set_status(Order::PAID);
  order.set_amount(9007199254740993);  // above 2^53: must stay exact
  order.set_currency("CNY");
  order.set_channel("sandbox");
  order.set_paid_payment_no("P-1");
  order.set_created_at("2024-01-01T00:00:00Z");
  AttemptView* attempt = order.add_attempts();
  attempt->set_payment_no("P-1");
  attempt->set_attempt(1);
  attempt->set_channel("sandbox");
  attempt->set_status(oncepay::v1::Attempt::SUCCESS);
  attempt->mutable_prepay()->set_prepay_id("pp");
  return order;
}

TEST(ToJson, PrintsInt64AsNumberAndEnumsAsNames) {
  const std::string json = to_json(sample_order());
  EXPECT_NE(json.find(R"("amount":9007199254740993)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status":"PAID")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status":"SUCCESS")"), std::string::npos) << json;
}

TEST(ToJson, ExactCompactOutput) {
  PayRequest pay;
  pay.set_amount(1999);
  pay.set_currency("CNY");
  EXPECT_EQ(to_json(pay),
            R"({"amount":1999,"currency":"CNY","channel":"","subject":"","notify_url":"",)"
            R"("trade_type":"","payer_openid":""})");
}

TEST(ToJson, OptionalFieldsOmittedWhenUnsetScalarsAlwaysPrinted) {
  OrderView order;
  EXPECT_EQ(
      to_json(order),
      R"({"merchant_order_no":"","status":"STATUS_UNSPECIFIED","amount":0,"currency":"",)"
      R"("channel":"","refunded_amount":0,"created_at":"","attempts":[],"events":[],"refunds":[]})");
  order.set_subject("");  // set to the default still counts as set
  EXPECT_NE(to_json(order).find(R"("subject":"")"), std::string::npos);
}

TEST(ToJson, NestedMessagePrintedOnlyWhenSet) {
  ErrorResponse response;
  EXPECT_EQ(to_json(response), "{}");
  response.mutable_error()->set_code("not_found");
  response.mutable_error()->set_retry_after_s(3);
  EXPECT_EQ(to_json(response), R"({"error":{"code":"not_found","message":"","retry_after_s":3}})");
}

TEST(ToJson, EscapesQuotesBackslashesAndControlCharacters) {
  PayRequest pay;
  pay.set_subject(std::string("a\"b\\c\n\x01\td\0", 10));  // ends in a NUL
  EXPECT_NE(to_json(pay).find(R"("subject":"a\"b\\c\u000a\u0001\u0009d\u0000")"), std::string::npos)
      << to_json(pay);
}

TEST(ToJson, PassesUtf8Through) {
  PayRequest pay;
  pay.set_subject("咖啡 ☕");
  EXPECT_NE(to_json(pay).find(R"("subject":"咖啡 ☕")"), std::string::npos);
}

TEST(ToJson, DoublesShortestRoundTrip) {
  SandboxFaults faults;
  faults.set_notify_drop(0.1);
  faults.set_notify_duplicate(1);
  faults.set_notify_delay_ms(250);
  EXPECT_EQ(to_json(faults), R"({"notify_drop":0.1,"notify_duplicate":1,"notify_delay_ms":250,)"
                             R"("query_unavailable":0,"prepay_timeout":0})");
}

TEST(ToJson, BytesAsBase64) {
  MerchantCreated created;
  created.set_api_key_sha256("abcd");
  EXPECT_NE(to_json(created).find(R"("api_key_sha256":"YWJjZA==")"), std::string::npos);
}

TEST(JsonRoundTrip, OrderViewSurvives) {
  const OrderView order = sample_order();
  OrderView back;
  std::string error;
  ASSERT_TRUE(parse_json(to_json(order), &back, &error)) << error;
  EXPECT_EQ(back.SerializeAsString(), order.SerializeAsString());
  EXPECT_FALSE(back.has_subject());
  EXPECT_TRUE(back.has_paid_payment_no());
}

TEST(JsonRoundTrip, EscapedStringSurvives) {
  PayRequest pay;
  pay.set_subject(std::string("q\"\\\x1f\n 咖啡", 12));
  PayRequest back;
  std::string error;
  ASSERT_TRUE(parse_json(to_json(pay), &back, &error)) << error;
  EXPECT_EQ(back.subject(), pay.subject());
}

TEST(ParseJson, AcceptsPayRequest) {
  PayRequest pay;
  std::string error;
  ASSERT_TRUE(
      parse_json(R"( {"amount": 1999, "currency": "CNY", "channel": "sandbox"} )", &pay, &error))
      << error;
  EXPECT_EQ(pay.amount(), 1999);
  EXPECT_EQ(pay.channel(), "sandbox");
}

TEST(ParseJson, RejectsUnknownFieldNamingIt) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"amount": 1, "amuont": 2})", &pay, &error));
  EXPECT_EQ(error, R"(unknown field "amuont")");
}

TEST(ParseJson, RejectsUnknownNestedFieldNamingPath) {
  OrderView order;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"attempt": {"nope": 1}})", &order, &error));
  EXPECT_EQ(error, R"(unknown field "attempt.nope")");
}

TEST(ParseJson, RejectsFractionalAmount) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"amount": 19.99})", &pay, &error));
  EXPECT_EQ(error, R"(field "amount": expected an integer, got 19.99)");
}

TEST(ParseJson, RejectsWrongType) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"currency": 123})", &pay, &error));
  EXPECT_EQ(error, R"(field "currency": expected a string, got 123)");
}

TEST(ParseJson, RejectsUnknownEnumName) {
  OrderView order;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"status": "BOGUS"})", &order, &error));
  EXPECT_NE(error.find("\"status\""), std::string::npos) << error;
}

TEST(ParseJson, RejectsEmptyBody) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json("", &pay, &error));
  EXPECT_EQ(error, "empty body: expected a JSON object");
  EXPECT_FALSE(parse_json(" \r\n", &pay, &error));
  EXPECT_EQ(error, "empty body: expected a JSON object");
}

TEST(ParseJson, RejectsNonObjectTopLevel) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json("[1]", &pay, &error));
  EXPECT_EQ(error, "body must be a JSON object");
  EXPECT_FALSE(parse_json("\"x\"", &pay, &error));
  EXPECT_EQ(error, "body must be a JSON object");
}

TEST(ParseJson, RejectsMalformedJson) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"amount":)", &pay, &error));
  EXPECT_TRUE(error.starts_with("malformed JSON: ")) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

// Depth 17: the top-level object plus 16 nested arrays inside a field value.
TEST(ParseJson, RejectsNestingDeeperThanLimit) {
  const std::string deep =
      R"({"subject":)" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(deep, &pay, &error));
  EXPECT_EQ(error, "JSON nested deeper than 16 levels");
}

TEST(ParseJson, BracketsInsideStringsDoNotCountTowardDepth) {
  const std::string subject = std::string(40, '[') + "\\\"" + std::string(40, '{');
  PayRequest pay;
  std::string error;
  ASSERT_TRUE(parse_json(R"({"subject":")" + subject + R"("})", &pay, &error)) << error;
  EXPECT_EQ(pay.subject(), std::string(40, '[') + "\"" + std::string(40, '{'));
}

TEST(ParseJson, NestingAtTheLimitReachesTheTypeCheck) {
  // Depth exactly 16 parses; the mapping then rejects the wrong type.
  const std::string at_limit = R"({"subject":)" + std::string(kMaxJsonDepth - 1, '[') +
                               std::string(kMaxJsonDepth - 1, ']') + "}";
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(at_limit, &pay, &error));
  EXPECT_EQ(error, R"(field "subject": expected a string, got an array)");
}

}  // namespace
}  // namespace oncepay::codec

namespace oncepay::codec {
namespace {

TEST(ToJson, NegativeZeroRoundTrips) {
  v1::SandboxFaults faults;
  faults.set_prepay_timeout(-0.0);
  const std::string json = to_json(faults);
  EXPECT_NE(json.find("\"prepay_timeout\":-0.0"), std::string::npos) << json;
  v1::SandboxFaults back;
  ASSERT_TRUE(parse_json(json, &back, nullptr));
  EXPECT_TRUE(std::signbit(back.prepay_timeout()));
}

}  // namespace
}  // namespace oncepay::codec

// ---------------------------------------------------------------- the strict contract

namespace oncepay::codec {
namespace {

using v1::AttemptView;
using v1::ChannelNotification;
using v1::Event;
using v1::OrderView;
using v1::PayRequest;
using v1::RefundRequest;
using v1::SandboxFaults;
using v1::SandboxPayRequest;

// parse_json's error for `json` read as M ("" when it parsed).
template <typename M>
std::string refusal(std::string_view json) {
  M message;
  std::string error;
  if (parse_json(json, &message, &error)) return "";
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(ParseJsonStrict, IntegerWrittenWithFractionIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":1999.0})"),
            R"(field "amount": expected an integer, got 1999.0)");
}

TEST(ParseJsonStrict, IntegerInExponentFormIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":1e3})"),
            R"(field "amount": expected an integer, got 1e3)");
  EXPECT_EQ(refusal<RefundRequest>(R"({"amount":2E2})"),
            R"(field "amount": expected an integer, got 2E2)");
}

TEST(ParseJsonStrict, IntegerAsStringIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":"1999"})"),
            R"(field "amount": expected an integer, got "1999")");
}

TEST(ParseJsonStrict, BooleanForIntegerIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":true})"),
            R"(field "amount": expected an integer, got true)");
}

TEST(ParseJsonStrict, NullIsRefusedForEveryType) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":null})"),
            R"(field "amount": expected an integer, got null)");
  EXPECT_EQ(refusal<PayRequest>(R"({"subject":null})"),
            R"(field "subject": expected a string, got null)");
  EXPECT_EQ(refusal<OrderView>(R"({"attempt":null})"),
            R"(field "attempt": expected an object, got null)");
}

TEST(ParseJsonStrict, IntegersOutsideTheirTypeAreRefused) {
  EXPECT_EQ(refusal<AttemptView>(R"({"attempt":2147483648})"),
            R"(field "attempt": expected an integer from -2147483648 to 2147483647, )"
            R"(got 2147483648)");
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":9223372036854775808})"),
            R"(field "amount": expected an integer from -9223372036854775808 to )"
            R"(9223372036854775807, got 9223372036854775808)");
}

TEST(ParseJsonStrict, Int64ExtremesAreExact) {
  PayRequest pay;
  ASSERT_TRUE(parse_json(R"({"amount":9223372036854775807})", &pay, nullptr));
  EXPECT_EQ(pay.amount(), 9223372036854775807);
  ASSERT_TRUE(parse_json(R"({"amount":-9223372036854775808})", &pay, nullptr));
  EXPECT_EQ(pay.amount(), std::numeric_limits<int64_t>::min());
}

TEST(ParseJsonStrict, DuplicateKeyIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":100,"amount":200})"), R"(duplicate field "amount")");
  // Even with the same value, and whatever lies between.
  EXPECT_EQ(refusal<PayRequest>(R"({"subject":"a","currency":"CNY","subject":"a"})"),
            R"(duplicate field "subject")");
}

TEST(ParseJsonStrict, DuplicateKeyInNestedObjectIsRefused) {
  EXPECT_EQ(refusal<OrderView>(R"({"attempt":{"attempt":1,"attempt":2}})"),
            R"(duplicate field "attempt.attempt")");
  EXPECT_EQ(refusal<OrderView>(R"({"attempts":[{},{"channel":"a","channel":"b"}]})"),
            R"(duplicate field "attempts[1].channel")");
}

TEST(ParseJsonStrict, LowerCamelCaseAliasIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"amount":1,"notifyUrl":"http://h/x"})"),
            R"(unknown field "notifyUrl")");
  EXPECT_EQ(refusal<RefundRequest>(R"({"refundNo":"r-1"})"), R"(unknown field "refundNo")");
  EXPECT_EQ(refusal<ChannelNotification>(R"({"paymentNo":"P1"})"), R"(unknown field "paymentNo")");
}

TEST(ParseJsonStrict, FieldNamesAreCaseSensitive) {
  EXPECT_EQ(refusal<PayRequest>(R"({"Amount":1})"), R"(unknown field "Amount")");
}

TEST(ParseJsonStrict, NumberForStringIsRefused) {
  EXPECT_EQ(refusal<PayRequest>(R"({"currency":156})"),
            R"(field "currency": expected a string, got 156)");
  EXPECT_EQ(refusal<PayRequest>(R"({"subject":{}})"),
            R"(field "subject": expected a string, got an object)");
}

TEST(ParseJsonStrict, BoolTakesOnlyTrueOrFalse) {
  SandboxPayRequest body;
  ASSERT_TRUE(parse_json(R"({"after_close":true})", &body, nullptr));
  EXPECT_TRUE(body.after_close());
  EXPECT_EQ(refusal<SandboxPayRequest>(R"({"after_close":1})"),
            R"(field "after_close": expected true or false, got 1)");
  EXPECT_EQ(refusal<SandboxPayRequest>(R"({"after_close":"true"})"),
            R"(field "after_close": expected true or false, got "true")");
}

TEST(ParseJsonStrict, EnumTakesValueNamesOnly) {
  ChannelNotification n;
  ASSERT_TRUE(parse_json(R"({"status":"PAYERROR"})", &n, nullptr));
  EXPECT_EQ(n.status(), ChannelNotification::PAYERROR);
  EXPECT_EQ(refusal<ChannelNotification>(R"({"status":1})"),
            R"(field "status": expected one of "STATUS_UNSPECIFIED", "SUCCESS", "PAYERROR", )"
            R"("REFUND_SUCCESS", "REFUND_FAILED", got 1)");
  EXPECT_NE(refusal<ChannelNotification>(R"({"status":"success"})").find("got \"success\""),
            std::string::npos);
}

TEST(ParseJsonStrict, DoubleTakesAnyJsonNumber) {
  SandboxFaults faults;
  ASSERT_TRUE(parse_json(R"({"notify_drop":1,"notify_duplicate":5e-1,"prepay_timeout":0.25})",
                         &faults, nullptr));
  EXPECT_EQ(faults.notify_drop(), 1.0);
  EXPECT_EQ(faults.notify_duplicate(), 0.5);
  EXPECT_EQ(faults.prepay_timeout(), 0.25);
}

TEST(ParseJsonStrict, DoubleRefusesStringsIncludingNaN) {
  EXPECT_EQ(refusal<SandboxFaults>(R"({"notify_drop":"0.5"})"),
            R"(field "notify_drop": expected a number, got "0.5")");
  EXPECT_EQ(refusal<SandboxFaults>(R"({"notify_drop":"NaN"})"),
            R"(field "notify_drop": expected a number, got "NaN")");
}

TEST(ParseJsonStrict, DoubleOutOfRangeIsRefused) {
  EXPECT_EQ(refusal<SandboxFaults>(R"({"notify_drop":1e400})"),
            R"(field "notify_drop": number out of range, got 1e400)");
}

TEST(ParseJsonStrict, DoubleIsReadExactly) {
  // Shortest round-trip texts of awkward doubles come back bit for bit.
  for (double value : {0.1, 0.3, 2.2250738585072014e-308, 5e-324, 1.7976931348623157e308,
                       0.30000000000000004, 9007199254740993.0}) {
    SandboxFaults faults;
    faults.set_notify_drop(value);
    SandboxFaults back;
    ASSERT_TRUE(parse_json(to_json(faults), &back, nullptr)) << to_json(faults);
    EXPECT_EQ(back.notify_drop(), value) << to_json(faults);
  }
}

TEST(ParseJsonStrict, NestedMessageMustBeAnObject) {
  EXPECT_EQ(refusal<OrderView>(R"({"attempt":[]})"),
            R"(field "attempt": expected an object, got an array)");
  EXPECT_EQ(
      refusal<OrderView>(R"({"attempt":{"status":"NOPE"}})").find(R"(field "attempt.status")"), 0u);
}

TEST(ParseJsonStrict, RepeatedFieldMustBeAnArray) {
  EXPECT_EQ(refusal<OrderView>(R"({"attempts":{}})"),
            R"(field "attempts": expected an array, got an object)");
  EXPECT_EQ(refusal<OrderView>(R"({"attempts":[{"attempt":"1"}]})"),
            R"(field "attempts[0].attempt": expected an integer, got "1")");
}

TEST(ParseJsonStrict, SecondMemberOfAOneofIsRefused) {
  EXPECT_EQ(refusal<Event>(R"({"order_closed":{},"order_expired":{}})"),
            R"(field "order_expired": only one field of "kind" may be set)");
}

TEST(ParseJsonStrict, TrailingDataIsRefused) {
  EXPECT_TRUE(refusal<PayRequest>(R"({"amount":1} {})").starts_with("malformed JSON: "));
  EXPECT_EQ(refusal<PayRequest>("{\"amount\":1}\n "), "");
}

TEST(ParseJsonStrict, InvalidUtf8IsRefused) {
  EXPECT_TRUE(refusal<PayRequest>("{\"subject\":\"\xff\"}").starts_with("malformed JSON: "));
}

TEST(ParseJsonStrict, CommentsAndTrailingCommasAreRefused) {
  EXPECT_TRUE(refusal<PayRequest>(R"({"amount":1,})").starts_with("malformed JSON: "));
  EXPECT_TRUE(refusal<PayRequest>("{/* c */\"amount\":1}").starts_with("malformed JSON: "));
}

TEST(ParseJsonStrict, LongValuesAreCutInTheMessage) {
  const std::string error = refusal<PayRequest>(R"({"amount":")" + std::string(100, 'x') + R"("})");
  EXPECT_EQ(error,
            R"(field "amount": expected an integer, got ")" + std::string(32, 'x') + R"("...)");
}

}  // namespace
}  // namespace oncepay::codec
