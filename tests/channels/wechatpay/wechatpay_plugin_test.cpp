// The wechatpay plug-in's notification half (channels/wechatpay/
// wechatpay_plugin.hpp): decode_wechatpay_notice over notifications built and
// signed with the protocol part (vector keys of generated_locally.json), one
// test per refusal, and answer_wechatpay_notice.
#include "channels/wechatpay/wechatpay_plugin.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "channels/wechatpay/account.hpp"
#include "channels/wechatpay/notification.hpp"
#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using namespace testing;  // NOLINT: the vector helpers

constexpr const char* kMchid = "1230000109";
constexpr const char* kAppid = "wxd678efh567hg6787";
constexpr const char* kKeyId = "PUB_KEY_ID_0112300001092026113000000000000001";
constexpr int64_t kNow = 1'764'460'800;  // 2025-11-30T00:00:00Z

std::string key_pem(std::string_view name) { return str(at(at(generated(), "keys"), name), "pem"); }
std::string apiv3() { return str(at(at(generated(), "keys"), "wechatpay_apiv3_key"), "value"); }

std::string account_body(const std::string& mchid) {
  boost::json::object body;
  body["mchid"] = mchid;
  body["appid"] = kAppid;
  body["merchant_serial_no"] = "F5765756002FDD77";
  body["merchant_private_key_pem"] = key_pem("wechatpay_test_rsa_private_key_pkcs8");
  body["platform_public_key_id"] = kKeyId;
  body["platform_public_key_pem"] = key_pem("wechatpay_test_rsa_public_key");
  body["apiv3_key"] = apiv3();
  return boost::json::serialize(body);
}

Transaction paid(std::string_view mchid) {
  Transaction t;
  t.appid = kAppid;
  t.mchid = mchid;
  t.out_trade_no = "P20261130000001";
  t.transaction_id = "4200000000202611300000000001";
  t.trade_type = "NATIVE";
  t.trade_state = "SUCCESS";
  t.success_time = "2026-11-30T08:00:00+08:00";
  t.has_amount = true;
  t.total_fen = 1999;
  t.currency = "CNY";
  return t;
}

class WechatpayPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    accounts_.add_parser("wechatpay", &parse_account);
    put("m1", kMchid);
    put("m2", "1900000001");  // same keys, another mchid
  }

  void put(const std::string& merchant_id, const std::string& mchid) {
    std::shared_ptr<const ChannelAccount> account;
    std::string canonical;
    auto error = accounts_.parse("wechatpay", account_body(mchid), &account, &canonical);
    ASSERT_FALSE(error) << error->field << ": " << error->message;
    accounts_.put(merchant_id, "wechatpay", account);
  }

  // A signed notification request to `path`, timestamped `signed_at`.
  http::HttpRequest request(const std::string& path, const std::string& event_type,
                            const std::string& plaintext, int64_t signed_at = kNow) {
    NotificationSpec spec;
    spec.id = "EV-2026-1";
    spec.create_time = "2026-11-30T08:00:01+08:00";
    spec.event_type = event_type;
    spec.original_type = event_type.rfind("REFUND", 0) == 0 ? "refund" : "transaction";
    spec.associated_data = spec.original_type;
    spec.nonce = "a1b2c3d4e5f6";
    spec.plaintext = plaintext;
    http::HttpRequest r;
    r.method = "POST";
    r.path = path;
    r.target = path;
    EXPECT_EQ(encode_notification(spec, apiv3(), &r.body), Error::kOk);
    SignedHeaders h;
    EXPECT_EQ(sign_response(go_private_key(), kKeyId, signed_at, "nonce-1", r.body, &h),
              Error::kOk);
    r.headers = {{"content-type", "application/json"},
                 {"wechatpay-timestamp", h.timestamp},
                 {"wechatpay-nonce", h.nonce},
                 {"wechatpay-signature", h.signature},
                 {"wechatpay-serial", h.serial}};
    return r;
  }

  http::HttpRequest paid_request(const std::string& merchant_id = "m1") {
    return request("/v1/channels/wechatpay/notify/" + merchant_id, "TRANSACTION.SUCCESS",
                   transaction_json(paid(kMchid)));
  }

  NoticeDecision decode(const http::HttpRequest& r, int64_t now = kNow) {
    return decode_wechatpay_notice(accounts_, r, now);
  }

  ChannelAccounts accounts_;
};

TEST_F(WechatpayPluginTest, PaidNotificationBecomesASuccessNotice) {
  auto d = decode(paid_request());
  ASSERT_TRUE(d.notice) << d.refusal.status << " " << d.refusal.body;
  EXPECT_EQ(d.notice->kind, core::ChannelNotice::Kind::kSuccess);
  EXPECT_EQ(d.notice->channel, "wechatpay");
  EXPECT_EQ(d.notice->payment_no, "P20261130000001");
  EXPECT_EQ(d.notice->channel_trade_no, "4200000000202611300000000001");
  EXPECT_EQ(d.notice->amount_minor, 1999);
  EXPECT_EQ(d.notice->currency, "CNY");
}

TEST_F(WechatpayPluginTest, RefundNotificationBecomesARefundNotice) {
  Refund refund;
  refund.refund_id = "50000000382019052709732678859";
  refund.out_refund_no = "R20261130000001";
  refund.transaction_id = "4200000000202611300000000001";
  refund.out_trade_no = "P20261130000001";
  refund.status = "SUCCESS";
  refund.refund_fen = 500;
  refund.total_fen = 1999;
  auto d = decode(request("/v1/channels/wechatpay/notify/m1", "REFUND.SUCCESS",
                          refund_json(refund, RefundStatusField::kRefundStatus)));
  ASSERT_TRUE(d.notice) << d.refusal.body;
  EXPECT_EQ(d.notice->kind, core::ChannelNotice::Kind::kRefundSuccess);
  EXPECT_EQ(d.notice->refund_no, "R20261130000001");
  EXPECT_EQ(d.notice->amount_minor, 500);
}

TEST_F(WechatpayPluginTest, ReplayedNotificationDecodesTheSame) {
  const auto r = paid_request();
  auto first = decode(r);
  auto again = decode(r, kNow + 60);
  ASSERT_TRUE(first.notice && again.notice);
  EXPECT_EQ(first.notice->payment_no, again.notice->payment_no);
  EXPECT_EQ(first.notice->amount_minor, again.notice->amount_minor);
}

TEST_F(WechatpayPluginTest, ForgedSignatureIsRefused401) {
  auto r = paid_request();
  r.body.back() = ' ';  // the signed bytes changed
  auto d = decode(r);
  EXPECT_FALSE(d.notice);
  EXPECT_EQ(d.refusal.status, 401);
  EXPECT_NE(d.refusal.body.find("\"FAIL\""), std::string::npos) << d.refusal.body;
}

TEST_F(WechatpayPluginTest, StaleNotificationIsRefused401) {
  auto d = decode(paid_request(), kNow + kClockWindowSeconds + 1);
  EXPECT_FALSE(d.notice);
  EXPECT_EQ(d.refusal.status, 401);
  EXPECT_NE(d.refusal.body.find("stale"), std::string::npos) << d.refusal.body;
}

TEST_F(WechatpayPluginTest, NotificationForAnotherMerchantIsRefused401) {
  auto d = decode(paid_request("m2"));  // m2's keys verify it, but it names m1's mchid
  EXPECT_FALSE(d.notice);
  EXPECT_EQ(d.refusal.status, 401);
  EXPECT_NE(d.refusal.body.find("another merchant"), std::string::npos) << d.refusal.body;
}

TEST_F(WechatpayPluginTest, UnknownMerchantIsRefused404) {
  auto d = decode(paid_request("m-none"));
  EXPECT_FALSE(d.notice);
  EXPECT_EQ(d.refusal.status, 404);
}

TEST_F(WechatpayPluginTest, NotifyUrlWithoutMerchantIsRefused404) {
  auto r = paid_request();
  r.path = "/v1/channels/wechatpay/notify";
  auto d = decode(r);
  EXPECT_FALSE(d.notice);
  EXPECT_EQ(d.refusal.status, 404);
  EXPECT_NE(d.refusal.body.find("\"FAIL\""), std::string::npos) << d.refusal.body;
}

TEST_F(WechatpayPluginTest, UnmappedEventIsAcknowledgedAndAppliesNothing) {
  auto d = decode(
      request("/v1/channels/wechatpay/notify/m1", "TRANSACTION.SUCCESS", transaction_json([] {
                auto t = paid(kMchid);
                t.trade_state = "NOTPAY";
                return t;
              }())));
  EXPECT_FALSE(d.notice);
  EXPECT_EQ(d.refusal.status, 204);
  EXPECT_TRUE(d.refusal.body.empty());
}

TEST_F(WechatpayPluginTest, DurableOutcomeIsAnswered204) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kOk;
  auto r = answer_wechatpay_notice(outcome);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(WechatpayPluginTest, EngineRefusalIsAFailAnswer) {
  NoticeOutcome outcome;
  outcome.code = core::Code::kStorageUnavailable;
  outcome.api_answer.status = 503;
  auto r = answer_wechatpay_notice(outcome);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("\"FAIL\""), std::string::npos) << r.body;
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
