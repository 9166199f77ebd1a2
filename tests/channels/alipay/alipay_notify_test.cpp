// Tests of channels/alipay/alipay_notify.hpp: the real production notify and
// the generated ones end to end (form body -> verified -> core notice), every
// tampering the V1 rule must catch, the status table, the answers.
#include "channels/alipay/alipay_notify.hpp"

#include <gtest/gtest.h>

#include "alipay_vectors.hpp"

namespace oncepay::channels::alipay {
namespace {

using core::ChannelNotice;
using testing::params_of;
using testing::str;

const boost::json::value& generated_notifies() {
  return testing::generated().at("alipay_async_notify");
}

TEST(AlipayNotify, RealProductionNotifyEndToEnd) {
  const auto& set = testing::alipay_rsa2().at("sets").at(1);
  const auto key =
      load_public_key(str(set.at("notify_public_key_inline_v1"), "base64_der"), nullptr);
  ASSERT_TRUE(key);
  // Both the with- and without-sign_type variants Alipay's Node SDK tests.
  for (size_t i = 0; i < 2; ++i) {
    const std::string body = form_encode(params_of(set.at("notify_cases").at(i).at("params")));
    Notification n = parse_notification(body, "2019073166072302", *key);
    ASSERT_EQ(n.verdict, Verdict::kOk) << n.detail;
    EXPECT_EQ(notify_answer(n), "success");
    EXPECT_EQ(n.trade_status, TradeStatus::kTradeSuccess);
    EXPECT_EQ(n.notify_id, "2019081500222155624068450559358070");
    ASSERT_TRUE(n.notice);
    EXPECT_EQ(n.notice->kind, ChannelNotice::Kind::kSuccess);
    EXPECT_EQ(n.notice->payment_no, "20190815155618536-564-57");
    EXPECT_EQ(n.notice->channel_trade_no, "2019081522001468450512505578");
    EXPECT_EQ(n.notice->amount_minor, 10);
    EXPECT_EQ(n.notice->currency, "CNY");
    EXPECT_TRUE(n.notice->channel.empty());
  }
}

TEST(AlipayNotify, RealFailingNotifyIsRefused) {
  const auto& set = testing::alipay_rsa2().at("sets").at(1);
  const auto key = load_public_key(str(set.at("notify_public_key_inline_v1"), "pem"), nullptr);
  const std::string body = form_encode(params_of(set.at("notify_cases").at(2).at("params")));
  Notification n = parse_notification(body, "2018121762595097", *key);
  EXPECT_EQ(n.verdict, Verdict::kBadSignature);
  EXPECT_EQ(notify_answer(n), "fail");
  EXPECT_FALSE(n.notice);
}

TEST(AlipayNotify, ServicemarketNotifySignedUnderV2IsRefused) {
  // Not a trade notify: signed with sign_type kept (V2); the trade rule is V1.
  const auto& set = testing::alipay_rsa2().at("sets").at(1);
  const auto key = load_public_key(str(set.at("notify_public_key_fixture_v2"), "pem"), nullptr);
  const std::string body = form_encode(params_of(set.at("notify_cases").at(3).at("params")));
  EXPECT_EQ(parse_notification(body, "2017122801303261", *key).verdict, Verdict::kBadSignature);
}

TEST(AlipayNotify, GeneratedTradeSuccess) {
  const auto& c = generated_notifies().at("valid").at(0);
  Notification n = parse_notification(str(c, "form_urlencoded_body"), "2014072300007148",
                                      testing::platform_public_key());
  ASSERT_EQ(n.verdict, Verdict::kOk) << n.detail;
  EXPECT_EQ(notify_answer(n), str(c, "merchant_answer"));
  EXPECT_EQ(n.params, params_of(c.at("params")));
  ASSERT_TRUE(n.notice);
  EXPECT_EQ(n.notice->kind, ChannelNotice::Kind::kSuccess);
  EXPECT_EQ(n.notice->amount_minor, 8888);
  EXPECT_EQ(n.notice->payment_no, "20150320010101001");
}

TEST(AlipayNotify, GeneratedFullRefundClosed) {
  const auto& c = generated_notifies().at("valid").at(1);
  Notification n = parse_notification(str(c, "form_urlencoded_body"), "2014072300007148",
                                      testing::platform_public_key());
  ASSERT_EQ(n.verdict, Verdict::kOk) << n.detail;
  EXPECT_EQ(n.trade_status, TradeStatus::kTradeClosed);
  EXPECT_EQ(n.refund_fee_fen, 8888);
  EXPECT_EQ(n.gmt_refund, "2015-04-28 15:45:57.320");
  ASSERT_TRUE(n.notice);
  EXPECT_EQ(n.notice->kind, ChannelNotice::Kind::kRefundSuccess);
  EXPECT_EQ(n.notice->refund_no, "HZ01RF001");
  EXPECT_EQ(n.notice->amount_minor, 8888);
}

TEST(AlipayNotify, GeneratedInvalidVectorsAreRefused) {
  const RsaPublicKey key = testing::platform_public_key();
  for (const auto& c : generated_notifies().at("invalid").as_array()) {
    Params params = params_of(c.at("params"));
    const std::string label = str(c, "label");
    if (label.starts_with("tampered")) {
      // The vector's form_urlencoded_body still holds the untampered 88.88;
      // its params carry the tampering, so the body is built from them.
      EXPECT_EQ(parse_notification(form_encode(params), "2014072300007148", key).verdict,
                Verdict::kBadSignature);
    }
    // The wrong rules the vectors name must not verify: V2, or encoded values.
    EXPECT_FALSE(verify_rsa2_base64(key, str(c, "string_to_verify_v1"), params["sign"]) &&
                 !label.starts_with("verified with sign_type"))
        << label;
    EXPECT_FALSE(verify_params(params, key, SignRule::kV2)) << label;
  }
}

class AlipayNotifyTamper : public ::testing::Test {
 protected:
  Params fields_ = {{"app_id", "2014072300007148"},
                    {"notify_id", "n1"},
                    {"notify_type", "trade_status_sync"},
                    {"out_trade_no", "P0001176473280000012345abcdef0"},
                    {"trade_no", "2013112011001004330000121536"},
                    {"trade_status", "TRADE_SUCCESS"},
                    {"total_amount", "100.00"},
                    {"subject", "a b+c&d=中"}};
  std::string body() const {
    return build_notification_body(fields_, testing::platform_private_key());
  }
  Params signed_() const {
    std::string error;
    return *parse_form(body(), &error);
  }
  static Notification check(std::string_view body) {
    return parse_notification(body, "2014072300007148", testing::platform_public_key());
  }
};

TEST_F(AlipayNotifyTamper, Untouched) {
  Notification n = check(body());
  ASSERT_EQ(n.verdict, Verdict::kOk) << n.detail;
  EXPECT_EQ(n.params["subject"], "a b+c&d=中");
  EXPECT_EQ(n.notice->amount_minor, 10000);
}

TEST_F(AlipayNotifyTamper, FlippedParamByte) {
  Params p = signed_();
  p["total_amount"] = "100.01";
  EXPECT_EQ(check(form_encode(p)).verdict, Verdict::kBadSignature);
}

TEST_F(AlipayNotifyTamper, FlippedSignByte) {
  Params p = signed_();
  p["sign"][7] = p["sign"][7] == 'A' ? 'B' : 'A';
  EXPECT_EQ(check(form_encode(p)).verdict, Verdict::kBadSignature);
}

TEST_F(AlipayNotifyTamper, AddedParam) {
  Params p = signed_();
  p["refund_fee"] = "100.00";
  EXPECT_EQ(check(form_encode(p)).verdict, Verdict::kBadSignature);
}

TEST_F(AlipayNotifyTamper, DuplicatedParamIsMalformed) {
  EXPECT_EQ(check(body() + "&total_amount=100.00").verdict, Verdict::kMalformed);
}

TEST_F(AlipayNotifyTamper, ReorderedParamsStillVerify) {
  std::string b = body();
  const size_t amp = b.rfind('&');
  EXPECT_EQ(check(b.substr(amp + 1) + "&" + b.substr(0, amp)).verdict, Verdict::kOk);
}

TEST_F(AlipayNotifyTamper, PlusEncodedSpacesVerify) {
  std::string b = body();
  const size_t at = b.find("%20");
  b.replace(at, 3, "+");
  EXPECT_EQ(check(b).verdict, Verdict::kOk);
}

TEST_F(AlipayNotifyTamper, SignTypeChangedIsRefused) {
  Params p = signed_();
  p["sign_type"] = "RSA";
  EXPECT_EQ(check(form_encode(p)).verdict, Verdict::kUnsupportedSignType);
}

TEST_F(AlipayNotifyTamper, SignTypeRemovedStillVerifies) {
  // V1 never signs sign_type; the real notify vector comes both ways.
  Params p = signed_();
  p.erase("sign_type");
  EXPECT_EQ(check(form_encode(p)).verdict, Verdict::kOk);
}

TEST_F(AlipayNotifyTamper, SignRemoved) {
  Params p = signed_();
  p.erase("sign");
  EXPECT_EQ(check(form_encode(p)).verdict, Verdict::kNoSignature);
}

TEST_F(AlipayNotifyTamper, WrongKey) {
  EXPECT_EQ(parse_notification(body(), "2014072300007148", testing::app_public_key()).verdict,
            Verdict::kBadSignature);
}

TEST_F(AlipayNotifyTamper, WrongAppId) {
  EXPECT_EQ(parse_notification(body(), "2014072300007149", testing::platform_public_key()).verdict,
            Verdict::kWrongAppId);
}

TEST_F(AlipayNotifyTamper, SignedButBadAmountIsRefused) {
  fields_["total_amount"] = "1e2";
  EXPECT_EQ(check(body()).verdict, Verdict::kBadField);
}

TEST_F(AlipayNotifyTamper, SignedButUnknownStatusIsRefused) {
  fields_["trade_status"] = "TRADE_PENDING";
  EXPECT_EQ(check(body()).verdict, Verdict::kBadField);
}

TEST_F(AlipayNotifyTamper, SignedButNoTradeNoIsMalformed) {
  fields_.erase("trade_no");
  EXPECT_EQ(check(body()).verdict, Verdict::kMalformed);
}

TEST_F(AlipayNotifyTamper, GarbageBodyIsMalformed) {
  EXPECT_EQ(check("%%%").verdict, Verdict::kMalformed);
  EXPECT_EQ(check("").verdict, Verdict::kNoSignature);
}

TEST_F(AlipayNotifyTamper, TradeFinishedIsPaid) {
  fields_["trade_status"] = "TRADE_FINISHED";
  Notification n = check(body());
  ASSERT_TRUE(n.notice);
  EXPECT_EQ(n.notice->kind, ChannelNotice::Kind::kSuccess);
}

TEST_F(AlipayNotifyTamper, WaitBuyerPayIsNoNoticeButSuccessAnswer) {
  fields_["trade_status"] = "WAIT_BUYER_PAY";
  Notification n = check(body());
  EXPECT_EQ(n.verdict, Verdict::kOk);
  EXPECT_FALSE(n.notice);
  EXPECT_EQ(notify_answer(n), "success");
}

TEST_F(AlipayNotifyTamper, ClosedUnpaidIsNoNotice) {
  fields_["trade_status"] = "TRADE_CLOSED";
  Notification n = check(body());
  EXPECT_EQ(n.verdict, Verdict::kOk);
  EXPECT_FALSE(n.notice);
}

TEST_F(AlipayNotifyTamper, PartialRefundWithTradeSuccessIsRefundNotice) {
  fields_["refund_fee"] = "30.00";
  fields_["out_biz_no"] = "R1";
  fields_["gmt_refund"] = "2015-04-28 15:45:57.320";
  Notification n = check(body());
  ASSERT_TRUE(n.notice);
  EXPECT_EQ(n.notice->kind, ChannelNotice::Kind::kRefundSuccess);
  EXPECT_EQ(n.notice->amount_minor, 3000);
  EXPECT_EQ(n.notice->refund_no, "R1");
}

TEST_F(AlipayNotifyTamper, RefundWithoutOutBizNoIsMalformed) {
  fields_["refund_fee"] = "30.00";
  fields_["gmt_refund"] = "2015-04-28 15:45:57.320";
  EXPECT_EQ(check(body()).verdict, Verdict::kMalformed);
}

TEST(AlipayTradeStatus, ParsesTheFourValues) {
  EXPECT_EQ(parse_trade_status("WAIT_BUYER_PAY"), TradeStatus::kWaitBuyerPay);
  EXPECT_EQ(parse_trade_status("TRADE_SUCCESS"), TradeStatus::kTradeSuccess);
  EXPECT_EQ(parse_trade_status("TRADE_FINISHED"), TradeStatus::kTradeFinished);
  EXPECT_EQ(parse_trade_status("TRADE_CLOSED"), TradeStatus::kTradeClosed);
  EXPECT_FALSE(parse_trade_status("trade_success"));
  EXPECT_FALSE(parse_trade_status(""));
}

}  // namespace
}  // namespace oncepay::channels::alipay
