// Tests for net/json.{hpp,cpp}: the schema-driven JSON mapping of the API's
// protobuf messages.
#include "net/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "oncepay.pb.h"

namespace oncepay::net {
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
            R"({"amount":1999,"currency":"CNY","channel":"","subject":"","notify_url":""})");
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
  EXPECT_EQ(error, R"(field "amount": invalid value 19.99 (expected an integer))");
}

TEST(ParseJson, RejectsWrongType) {
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(R"({"currency": 123})", &pay, &error));
  EXPECT_EQ(error, R"(field "currency": invalid value 123 (expected a string))");
  EXPECT_FALSE(parse_json(R"({"amount": true})", &pay, &error));
  EXPECT_NE(error.find("\"amount\""), std::string::npos) << error;
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

TEST(ParseJson, NestingAtTheLimitIsLeftToProtobuf) {
  // Depth exactly 16 passes our scan; Protobuf then rejects the wrong type.
  const std::string at_limit = R"({"subject":)" + std::string(kMaxJsonDepth - 1, '[') +
                               std::string(kMaxJsonDepth - 1, ']') + "}";
  PayRequest pay;
  std::string error;
  EXPECT_FALSE(parse_json(at_limit, &pay, &error));
  EXPECT_EQ(error.find("nested deeper"), std::string::npos) << error;
}

}  // namespace
}  // namespace oncepay::net

namespace oncepay::net {
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
}  // namespace oncepay::net
