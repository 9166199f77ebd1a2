// The alipay plug-in's notification half (channels/alipay/alipay_plugin.hpp):
// decode_alipay_notice over requests carrying notifications signed by the
// protocol part with the vector keys, and answer_alipay_notice over the
// engine's outcomes. Pure: the clock comes in as now_s.
#include "channels/alipay/alipay_plugin.hpp"

#include <gtest/gtest.h>

#include "alipay_adapter_support.hpp"
#include "channels/api_answer.hpp"

namespace oncepay::channels::alipay {
namespace {

using testing::kAppId;
using testing::kOtherAppId;

constexpr int64_t kNowMs = 1'790'000'000'000;  // 2026-09-21
constexpr int64_t kNowS = kNowMs / 1000;
constexpr const char* kPath = "/v1/channels/alipay/notify/m-1";

class AlipayNoticeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::put_account(accounts_, "m-1", kAppId, "http://127.0.0.1:9/gateway.do");
    testing::put_account(accounts_, "m-2", kOtherAppId, "http://127.0.0.1:9/gateway.do");
  }

  http::HttpRequest request(std::string body, std::string path = kPath) {
    http::HttpRequest r;
    r.method = "POST";
    r.path = path;
    r.target = path;
    r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
    r.body = std::move(body);
    return r;
  }

  std::string signed_body(Params fields) {
    return build_notification_body(std::move(fields), key_);
  }

  Params paid(std::string_view app_id = kAppId, int64_t sent_ms = kNowMs) {
    return testing::notification_fields(app_id, "P2001", "19.99", sent_ms);
  }

  NoticeDecision decode(const http::HttpRequest& r) {
    return decode_alipay_notice(accounts_, "alipay", kNotifyToleranceS, r, kNowS);
  }

  static void expect_fail(const NoticeDecision& d, int status) {
    EXPECT_FALSE(d.notice.has_value());
    EXPECT_EQ(d.refusal.status, status);
    EXPECT_EQ(d.refusal.content_type, "text/plain");
    EXPECT_EQ(d.refusal.body, "fail");
  }

  ChannelAccounts accounts_;
  RsaPrivateKey key_ = testing::platform_key();
};

TEST_F(AlipayNoticeTest, ValidPaymentNotificationIsANotice) {
  auto d = decode(request(signed_body(paid())));
  ASSERT_TRUE(d.notice.has_value()) << d.refusal.status << " " << d.refusal.body;
  EXPECT_EQ(d.notice->kind, core::ChannelNotice::Kind::kSuccess);
  EXPECT_EQ(d.notice->channel, "alipay");
  EXPECT_EQ(d.notice->payment_no, "P2001");
  EXPECT_EQ(d.notice->channel_trade_no, "2026113022001400001");
  EXPECT_EQ(d.notice->amount_minor, 1999);
  EXPECT_EQ(d.notice->currency, "CNY");
}

TEST_F(AlipayNoticeTest, TradeFinishedIsPaidToo) {
  auto f = paid();
  f["trade_status"] = "TRADE_FINISHED";
  auto d = decode(request(signed_body(f)));
  ASSERT_TRUE(d.notice.has_value());
  EXPECT_EQ(d.notice->kind, core::ChannelNotice::Kind::kSuccess);
}

TEST_F(AlipayNoticeTest, RefundNotificationIsAcknowledgedWithoutANotice) {
  // refund_fee is cumulative (B.4): the refund call's answer settles refunds.
  auto f = paid();
  f["refund_fee"] = "5.00";
  f["out_biz_no"] = "R2001";
  f["gmt_refund"] = format_timestamp(kNowMs);
  auto d = decode(request(signed_body(f)));
  EXPECT_FALSE(d.notice.has_value());
  EXPECT_EQ(d.refusal.status, 200);
  EXPECT_EQ(d.refusal.body, "success");
}

TEST_F(AlipayNoticeTest, ForgedRefundNotificationIsRefused) {
  auto f = paid();
  f["refund_fee"] = "5.00";
  f["out_biz_no"] = "R2001";
  auto body = signed_body(f);
  body.replace(body.find("refund_fee=5.00"), 15, "refund_fee=9.00");
  expect_fail(decode(request(body)), 401);
}

TEST_F(AlipayNoticeTest, ClosedUnpaidIsAcknowledgedWithoutANotice) {
  auto f = paid();
  f["trade_status"] = "TRADE_CLOSED";
  auto d = decode(request(signed_body(f)));
  EXPECT_FALSE(d.notice.has_value());
  EXPECT_EQ(d.refusal.status, 200);
  EXPECT_EQ(d.refusal.body, "success");
}

TEST_F(AlipayNoticeTest, ForgedSignatureIsRefused) {
  auto body = signed_body(paid());
  const auto at = body.find("total_amount=19.99");
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 18, "total_amount=0.01");
  expect_fail(decode(request(body)), 401);
}

TEST_F(AlipayNoticeTest, SignedWithAnotherKeyIsRefused) {
  std::string error;
  auto other = load_private_key(testing::vector_key("alipay_app_rsa_private_key_pkcs8"), &error);
  ASSERT_TRUE(other.has_value()) << error;
  expect_fail(decode(request(build_notification_body(paid(), *other))), 401);
}

TEST_F(AlipayNoticeTest, UnsignedIsRefused) {
  expect_fail(decode(request(form_encode(paid()))), 401);
}

TEST_F(AlipayNoticeTest, StaleNotifyTimeIsRefused) {
  const int64_t old_ms = kNowMs - (kNotifyToleranceS + 1) * 1000;
  expect_fail(decode(request(signed_body(paid(kAppId, old_ms)))), 401);
}

TEST_F(AlipayNoticeTest, NotifyTimeFromTheFutureIsRefused) {
  const int64_t later_ms = kNowMs + (kNotifyToleranceS + 1) * 1000;
  expect_fail(decode(request(signed_body(paid(kAppId, later_ms)))), 401);
}

TEST_F(AlipayNoticeTest, MissingNotifyTimeIsRefused) {
  auto f = paid();
  f.erase("notify_time");
  expect_fail(decode(request(signed_body(f))), 401);
}

TEST_F(AlipayNoticeTest, WrongMerchantInThePathIsRefused) {
  // Signed for m-1's app, posted to m-2's URL: m-2's app_id does not match.
  expect_fail(decode(request(signed_body(paid()), "/v1/channels/alipay/notify/m-2")), 401);
}

TEST_F(AlipayNoticeTest, UnknownMerchantIsNotFound) {
  expect_fail(decode(request(signed_body(paid()), "/v1/channels/alipay/notify/nobody")), 404);
}

TEST_F(AlipayNoticeTest, PathWithoutMerchantIsNotFound) {
  expect_fail(decode(request(signed_body(paid()), "/v1/channels/alipay/notify")), 404);
}

TEST_F(AlipayNoticeTest, MalformedBodyIsBadRequest) {
  expect_fail(decode(request("sign=%zz")), 400);
}

TEST_F(AlipayNoticeTest, ReplayOfAValidOneDecodesTheSame) {
  const auto body = signed_body(paid());
  auto first = decode(request(body));
  auto again = decode(request(body));
  ASSERT_TRUE(first.notice && again.notice);
  EXPECT_EQ(first.notice->payment_no, again.notice->payment_no);
  EXPECT_EQ(first.notice->amount_minor, again.notice->amount_minor);
  EXPECT_EQ(first.notice->channel_trade_no, again.notice->channel_trade_no);
}

TEST(AlipayNoticeAnswer, DurableIsPlainSuccess) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kOk;
  auto r = answer_alipay_notice(outcome);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(r.body, "success");
}

TEST(AlipayNoticeAnswer, NotDurableIsFailWith503) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kStorageUnavailable;
  outcome.api_answer = api_error(core::Code::kStorageUnavailable, "storage");
  auto r = answer_alipay_notice(outcome);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "fail");
}

TEST(AlipayNoticeAnswer, UnknownPaymentIsFailWith404) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kNotFound;
  outcome.api_answer = api_error(core::Code::kNotFound, "no such payment");
  auto r = answer_alipay_notice(outcome);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "fail");
}

}  // namespace
}  // namespace oncepay::channels::alipay
