// The notifications of the simulator's wire, as the gateway reads them for
// the `sim` and `sandbox` channels (channels/sim/sim_notify.hpp).
#include "channels/sim/sim_notify.hpp"

#include <gtest/gtest.h>

#include "codec/json.hpp"
#include "core/money.hpp"
#include "core/signature.hpp"

namespace oncepay::channels::sim {
namespace {

using core::kMaxAmountMinor;

constexpr std::string_view kSecret = "chsec_test";
constexpr int64_t kNow = 1'800'000'000;

http::HttpRequest signed_request(const std::string& body, std::string_view secret = kSecret,
                                 int64_t signed_at = kNow) {
  http::HttpRequest r;
  r.method = "POST";
  r.path = r.target = "/v1/channels/sim/notify";
  r.body = body;
  r.headers.emplace_back("x-channel-signature", core::sign_header(secret, signed_at, body));
  return r;
}

std::string error_code(const http::HttpResponse& r) {
  v1::ErrorResponse e;
  std::string why;
  EXPECT_TRUE(codec::parse_json(r.body, &e, &why)) << why;
  return e.error().code();
}

constexpr const char* kSuccess =
    R"({"payment_no":"P1","status":"SUCCESS","amount":1999,"currency":"CNY"})";

TEST(SimNotifyCheck, NotificationAmountMayBeZeroButNotNegativeOrHuge) {
  v1::ChannelNotification n;
  n.set_status(v1::ChannelNotification::PAYERROR);
  EXPECT_EQ(check_notification(n), "");
  n.set_amount(kMaxAmountMinor);
  EXPECT_EQ(check_notification(n), "");
  n.set_amount(-1);
  EXPECT_EQ(check_notification(n),
            R"(field "amount": must be from 0 to 9007199254740991 minor units, got -1)");
  n.set_amount(kMaxAmountMinor + 1);
  EXPECT_NE(check_notification(n).find(R"(field "amount")"), std::string::npos);
}

TEST(SimNotifyCheck, NotificationCurrencyMustBeAnIsoCode) {
  v1::ChannelNotification n;
  n.set_status(v1::ChannelNotification::SUCCESS);
  n.set_amount(1999);
  n.set_currency("CNY");
  EXPECT_EQ(check_notification(n), "");
  n.set_currency("cny");
  EXPECT_EQ(check_notification(n),
            R"(field "currency": must be an ISO 4217 code of three capital letters)");
}

TEST(SimNotifyDecode, SignedSuccessIsANotice) {
  auto d = decode_notification(kSecret, 300, signed_request(kSuccess), kNow);
  ASSERT_TRUE(d.notice.has_value());
  EXPECT_EQ(d.notice->payment_no, "P1");
  EXPECT_EQ(d.notice->amount_minor, 1999);
  EXPECT_EQ(d.notice->kind, core::ChannelNotice::Kind::kSuccess);
}

TEST(SimNotifyDecode, WrongSecretIsRefused401) {
  auto d = decode_notification(kSecret, 300, signed_request(kSuccess, "other"), kNow);
  ASSERT_FALSE(d.notice.has_value());
  EXPECT_EQ(d.refusal.status, 401);
  EXPECT_EQ(error_code(d.refusal), "invalid_signature");
}

TEST(SimNotifyDecode, StaleSignatureIsRefused401) {
  auto d = decode_notification(kSecret, 300, signed_request(kSuccess, kSecret, kNow - 301), kNow);
  ASSERT_FALSE(d.notice.has_value());
  EXPECT_EQ(d.refusal.status, 401);
}

TEST(SimNotifyDecode, UnknownFieldIsInvalidRequest) {
  auto d = decode_notification(
      kSecret, 300, signed_request(R"({"payment_no":"P1","status":"SUCCESS","x":1})"), kNow);
  ASSERT_FALSE(d.notice.has_value());
  EXPECT_EQ(d.refusal.status, 400);
  EXPECT_EQ(error_code(d.refusal), "invalid_request");
}

TEST(SimNotifyDecode, MissingPaymentNoIsInvalidRequest) {
  auto d = decode_notification(kSecret, 300, signed_request(R"({"status":"SUCCESS"})"), kNow);
  ASSERT_FALSE(d.notice.has_value());
  EXPECT_EQ(d.refusal.status, 400);
}

TEST(SimNotifyAnswer, SuccessIsTheChannelAck) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kOk;
  auto r = answer_notification(outcome);
  EXPECT_EQ(r.status, 200);
  v1::ChannelAck ack;
  std::string why;
  ASSERT_TRUE(codec::parse_json(r.body, &ack, &why)) << why;
  EXPECT_EQ(ack.code(), "SUCCESS");
}

TEST(SimNotifyAnswer, RefusalIsTheGatewaysErrorAnswer) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kPaymentNotFound;
  outcome.api_answer.status = 404;
  outcome.api_answer.body = "as the gateway wrote it";
  auto r = answer_notification(outcome);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "as the gateway wrote it");
}

}  // namespace
}  // namespace oncepay::channels::sim
