// Tests for channels/wechatpay/notification: the full signed + encrypted
// notifications of generated_locally.json end to end (TRANSACTION.SUCCESS
// with and without associated_data, REFUND.SUCCESS) down to the
// core::ChannelNotice, each negative vector failing for its reason, the
// official Go SDK payscore notification step by step (its 16-byte key runs
// through gcm_open), the simulator's encode -> decode round trip, tampering,
// and the merchant's answers.
#include "channels/wechatpay/notification.hpp"

#include <gtest/gtest.h>

#include <string>

#include "channels/wechatpay/aead.hpp"
#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using testing::at;
using testing::generated;
using testing::int_at;
using testing::signed_headers;
using testing::str;

const boost::json::value& notifications() { return at(generated(), "wechatpay_notifications"); }
const boost::json::value& valid(size_t i) { return at(notifications(), "valid").as_array()[i]; }
std::string apiv3_key() { return str(notifications(), "apiv3_key"); }

Error decode(const boost::json::value& c, Notification* out, std::string_view key) {
  return decode_notification(signed_headers(at(c, "headers")), str(c, "body"),
                             testing::platform_keys(), key, int_at(c, "clock_now_unix"), out);
}

// A REFUND.* notification made by the simulator side, signed at `now`.
struct Made {
  std::string body;
  SignedHeaders headers;
  int64_t now = 1700000000;
};

Made make(const NotificationSpec& spec) {
  Made m;
  EXPECT_EQ(encode_notification(spec, apiv3_key(), &m.body), Error::kOk);
  EXPECT_EQ(sign_response(testing::go_private_key(), "D7CE59D1F522D701", m.now, "nonce-1", m.body,
                          &m.headers),
            Error::kOk);
  return m;
}

NotificationSpec refund_spec(std::string_view event, std::string_view status) {
  Refund r;
  r.refund_id = "50000000382019052709732678859";
  r.out_refund_no = "R0001";
  r.transaction_id = "4200000000201806081234567890";
  r.out_trade_no = "P00531795338284923f85c00000001";
  r.status = status;
  r.refund_fen = 40;
  r.total_fen = 100;
  NotificationSpec spec;
  spec.id = "EV-1";
  spec.create_time = "2018-06-08T11:00:01+08:00";
  spec.event_type = event;
  spec.summary = "refund";
  spec.original_type = "refund";
  spec.associated_data = "refund";
  spec.nonce = "a1b2c3d4e5f6";
  spec.plaintext = refund_json(r, RefundStatusField::kRefundStatus);
  return spec;
}

Error decode_made(const Made& m, Notification* out) {
  return decode_notification(m.headers, m.body, testing::platform_keys(), apiv3_key(), m.now, out);
}

TEST(WechatpayNotification, EveryValidGeneratedVectorDecodes) {
  for (const auto& c : at(notifications(), "valid").as_array()) {
    Notification n;
    ASSERT_EQ(decode(c, &n, apiv3_key()), Error::kOk) << str(c, "label");
    EXPECT_EQ(n.plaintext, str(c, "expected_plaintext")) << str(c, "label");
  }
}

TEST(WechatpayNotification, TransactionSuccessBecomesASuccessNotice) {
  Notification n;
  ASSERT_EQ(decode(valid(0), &n, apiv3_key()), Error::kOk);
  EXPECT_EQ(n.kind, Notification::Kind::kTransaction);
  EXPECT_EQ(n.envelope.id, "EV-2018022511223320873");
  EXPECT_EQ(n.envelope.event_type, "TRANSACTION.SUCCESS");
  EXPECT_EQ(n.envelope.resource.associated_data, "transaction");
  EXPECT_EQ(n.transaction.trade_state, "SUCCESS");
  EXPECT_EQ(n.transaction.mchid, "1230000109");
  EXPECT_EQ(n.transaction.appid, "wxd678efh567hg6787");
  EXPECT_EQ(n.transaction.success_time, "2018-06-08T10:34:56+08:00");
  EXPECT_EQ(n.transaction.payer_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
  core::ChannelNotice notice;
  ASSERT_EQ(to_channel_notice(n, &notice), Error::kOk);
  EXPECT_EQ(notice.kind, core::ChannelNotice::Kind::kSuccess);
  EXPECT_EQ(notice.payment_no, "1217752501201407033233368018");
  EXPECT_EQ(notice.channel_trade_no, "4200000000201806081234567890");
  EXPECT_EQ(notice.amount_minor, 100);
  EXPECT_EQ(notice.currency, "CNY");
  EXPECT_TRUE(notice.channel.empty());
  EXPECT_TRUE(notice.refund_no.empty());
}

TEST(WechatpayNotification, EmptyAssociatedDataDecodes) {
  Notification n;
  ASSERT_EQ(decode(valid(1), &n, apiv3_key()), Error::kOk);
  EXPECT_EQ(n.envelope.resource.associated_data, "");
  core::ChannelNotice notice;
  ASSERT_EQ(to_channel_notice(n, &notice), Error::kOk);
  EXPECT_EQ(notice.amount_minor, 100);
}

TEST(WechatpayNotification, RefundSuccessBecomesARefundNotice) {
  Notification n;
  ASSERT_EQ(decode(valid(2), &n, apiv3_key()), Error::kOk);
  EXPECT_EQ(n.kind, Notification::Kind::kRefund);
  EXPECT_EQ(n.refund.status, "SUCCESS");
  EXPECT_EQ(n.refund.refund_id, "50000000382019052709732678859");
  core::ChannelNotice notice;
  ASSERT_EQ(to_channel_notice(n, &notice), Error::kOk);
  EXPECT_EQ(notice.kind, core::ChannelNotice::Kind::kRefundSuccess);
  EXPECT_EQ(notice.payment_no, "1217752501201407033233368018");
  EXPECT_EQ(notice.refund_no, "1217752501201407033233368018R1");
  EXPECT_EQ(notice.amount_minor, 100);
  EXPECT_EQ(notice.currency, "");  // the refund plaintext has no amount.currency
}

TEST(WechatpayNotification, EveryInvalidGeneratedVectorFailsForItsReason) {
  for (const auto& c : at(notifications(), "invalid").as_array()) {
    const std::string expect = str(c, "expect");
    const std::string label = str(c, "label");
    const auto& o = c.as_object();
    const std::string key =
        o.contains("apiv3_key_to_use") ? str(c, "apiv3_key_to_use") : apiv3_key();
    Notification n;
    if (o.contains("associated_data_to_use")) {
      // The body is genuine; decrypting with other associated data must fail.
      ASSERT_EQ(verify_signed(signed_headers(at(c, "headers")), str(c, "body"),
                              testing::platform_keys(), int_at(c, "clock_now_unix")),
                Error::kOk);
      Envelope env;
      ASSERT_EQ(parse_envelope(str(c, "body"), &env), Error::kOk);
      env.resource.associated_data = str(c, "associated_data_to_use");
      std::string plaintext;
      EXPECT_EQ(decrypt_resource(env.resource, key, &plaintext), Error::kAuthFailed) << label;
      continue;
    }
    const Error e = decode(c, &n, key);
    if (expect == "signature_ok_decrypt_fail") {
      EXPECT_EQ(e, Error::kAuthFailed) << label;
    } else if (expect == "signature_fail") {
      EXPECT_EQ(e, Error::kBadSignature) << label;
    } else if (expect == "timestamp_rejected") {
      EXPECT_EQ(e, Error::kStale) << label;
    } else if (expect == "unknown_serial") {
      EXPECT_EQ(e, Error::kUnknownSerial) << label;
    } else {
      ADD_FAILURE() << "unhandled expectation " << expect;
    }
  }
}

TEST(WechatpayNotification, GoSdkPayscoreNotificationStepByStep) {
  const auto v = testing::load_vectors("wechatpay_notification_go_sdk.json");
  Certificate cert;
  ASSERT_EQ(load_certificate(str(v, "platform_certificate_pem"), &cert), Error::kOk);
  EXPECT_EQ(cert.serial_hex, str(v, "platform_certificate_serial"));
  PlatformKeys keys;
  keys.add(cert.serial_hex, std::move(cert.key));
  const SignedHeaders h = signed_headers(at(v, "headers"));
  const int64_t now = int_at(v, "clock_now_unix");
  const std::string body = str(v, "body");
  EXPECT_EQ(response_message(h.timestamp, h.nonce, body), str(v, "message_to_verify"));
  ASSERT_EQ(verify_signed(h, body, keys, now), Error::kOk);
  Envelope env;
  ASSERT_EQ(parse_envelope(body, &env), Error::kOk);
  const auto& expected = at(v, "expected");
  EXPECT_EQ(env.id, str(expected, "id"));
  EXPECT_EQ(env.create_time, str(expected, "create_time"));
  EXPECT_EQ(env.resource_type, str(expected, "resource_type"));
  EXPECT_EQ(env.event_type, str(expected, "event_type"));
  EXPECT_EQ(env.summary, str(expected, "summary"));
  EXPECT_EQ(env.resource.algorithm, str(expected, "resource.algorithm"));
  EXPECT_EQ(env.resource.associated_data, str(expected, "resource.associated_data"));
  EXPECT_EQ(env.resource.original_type, str(expected, "resource.original_type"));
  // 16-byte APIv3 key: the production path refuses it, gcm_open runs it.
  std::string plaintext;
  EXPECT_EQ(decrypt_resource(env.resource, str(v, "apiv3_key"), &plaintext), Error::kBadKeyLength);
  ASSERT_EQ(gcm_open(str(v, "apiv3_key"), env.resource.nonce, env.resource.associated_data,
                     env.resource.ciphertext, &plaintext),
            Error::kOk);
  EXPECT_EQ(plaintext, str(expected, "resource.plaintext"));
  Notification n;
  ASSERT_EQ(parse_resource(env.event_type, plaintext, &n), Error::kOk);
  EXPECT_EQ(n.kind, Notification::Kind::kOther);
  core::ChannelNotice notice;
  EXPECT_EQ(to_channel_notice(n, &notice), Error::kUnknownEvent);
}

TEST(WechatpayNotification, GoSdkNegativeDerivations) {
  const auto v = testing::load_vectors("wechatpay_notification_go_sdk.json");
  Certificate cert;
  ASSERT_EQ(load_certificate(str(v, "platform_certificate_pem"), &cert), Error::kOk);
  PlatformKeys keys;
  keys.add(cert.serial_hex, std::move(cert.key));
  SignedHeaders h = signed_headers(at(v, "headers"));
  const int64_t now = int_at(v, "clock_now_unix");
  const std::string body = str(v, "body");
  h.timestamp = "1624523847";
  EXPECT_EQ(verify_signed(h, body, keys, now), Error::kBadSignature);
  h = signed_headers(at(v, "headers"));
  std::string message = response_message(h.timestamp, h.nonce, body);
  message.pop_back();  // without the trailing '\n'
  EXPECT_EQ(rsa_sha256_verify(*keys.find(h.serial), message, h.signature), Error::kBadSignature);
}

TEST(WechatpayNotification, FlippedBodyByteFailsVerification) {
  std::string body = str(valid(0), "body");
  body[body.find("10:34:57")] = '2';
  Notification n;
  EXPECT_EQ(
      decode_notification(signed_headers(at(valid(0), "headers")), body, testing::platform_keys(),
                          apiv3_key(), int_at(valid(0), "clock_now_unix"), &n),
      Error::kBadSignature);
}

TEST(WechatpayNotification, StaleNotificationIsRefused) {
  Notification n;
  EXPECT_EQ(decode_notification(signed_headers(at(valid(0), "headers")), str(valid(0), "body"),
                                testing::platform_keys(), apiv3_key(),
                                int_at(valid(0), "clock_now_unix") + 3600, &n),
            Error::kStale);
}

TEST(WechatpayNotification, UnsignedNotificationIsRefused) {
  Notification n;
  EXPECT_EQ(decode_notification(SignedHeaders{}, str(valid(0), "body"), testing::platform_keys(),
                                apiv3_key(), int_at(valid(0), "clock_now_unix"), &n),
            Error::kUnsigned);
}

TEST(WechatpayNotification, SimulatorRefundNotificationsRoundTrip) {
  struct Case {
    const char* event;
    const char* status;
    core::ChannelNotice::Kind kind;
  };
  for (const Case& c :
       {Case{"REFUND.SUCCESS", "SUCCESS", core::ChannelNotice::Kind::kRefundSuccess},
        Case{"REFUND.ABNORMAL", "ABNORMAL", core::ChannelNotice::Kind::kRefundFailed},
        Case{"REFUND.CLOSED", "CLOSED", core::ChannelNotice::Kind::kRefundFailed}}) {
    const Made m = make(refund_spec(c.event, c.status));
    Notification n;
    ASSERT_EQ(decode_made(m, &n), Error::kOk) << c.event;
    core::ChannelNotice notice;
    ASSERT_EQ(to_channel_notice(n, &notice), Error::kOk) << c.event;
    EXPECT_EQ(notice.kind, c.kind);
    EXPECT_EQ(notice.payment_no, "P00531795338284923f85c00000001");
    EXPECT_EQ(notice.refund_no, "R0001");
    EXPECT_EQ(notice.amount_minor, 40);
  }
}

TEST(WechatpayNotification, EventAndRefundStatusMustAgree) {
  const Made m = make(refund_spec("REFUND.SUCCESS", "CLOSED"));
  Notification n;
  ASSERT_EQ(decode_made(m, &n), Error::kOk);
  core::ChannelNotice notice;
  EXPECT_EQ(to_channel_notice(n, &notice), Error::kUnknownEvent);
}

TEST(WechatpayNotification, TransactionEventWithAnotherStateIsNotASuccess) {
  Transaction t;
  t.out_trade_no = "P00531795338284923f85c00000001";
  t.trade_state = "NOTPAY";
  t.has_amount = true;
  t.total_fen = 100;
  NotificationSpec spec = refund_spec("TRANSACTION.SUCCESS", "");
  spec.plaintext = transaction_json(t);
  Notification n;
  ASSERT_EQ(decode_made(make(spec), &n), Error::kOk);
  core::ChannelNotice notice;
  EXPECT_EQ(to_channel_notice(n, &notice), Error::kUnknownEvent);
}

TEST(WechatpayNotification, UnsupportedAlgorithmIsRefused) {
  Envelope env;
  ASSERT_EQ(parse_envelope(str(valid(0), "body"), &env), Error::kOk);
  env.resource.algorithm = "AEAD_AES_128_GCM";
  std::string plaintext;
  EXPECT_EQ(decrypt_resource(env.resource, apiv3_key(), &plaintext), Error::kUnsupportedAlgorithm);
}

TEST(WechatpayNotification, MalformedEnvelopes) {
  Envelope env;
  EXPECT_EQ(parse_envelope("", &env), Error::kMalformedJson);
  EXPECT_EQ(parse_envelope("[]", &env), Error::kMalformedJson);
  EXPECT_EQ(parse_envelope("{\"id\":\"x\"} trailing", &env), Error::kMalformedJson);
  EXPECT_EQ(parse_envelope("{\"id\":\"x\",\"event_type\":\"E\"}", &env), Error::kMissingField);
  EXPECT_EQ(parse_envelope("{\"id\":1,\"event_type\":\"E\",\"resource\":{}}", &env),
            Error::kWrongType);
  EXPECT_EQ(parse_envelope("{\"id\":\"x\",\"event_type\":\"E\",\"resource\":{\"algorithm\":"
                           "\"A\",\"ciphertext\":\"c\"}}",
                           &env),
            Error::kMissingField);  // nonce
  std::string deep(100, '[');
  EXPECT_EQ(parse_envelope("{\"id\":" + deep, &env), Error::kMalformedJson);
}

TEST(WechatpayNotification, PlaintextWithAFractionalAmountIsRefused) {
  NotificationSpec spec = refund_spec("TRANSACTION.SUCCESS", "");
  spec.plaintext =
      "{\"out_trade_no\":\"P1234567\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":100.0}}";
  Notification n;
  EXPECT_EQ(decode_made(make(spec), &n), Error::kBadAmount);
}

TEST(WechatpayNotification, Answers) {
  const NotifyAnswer ok = notify_success_answer();
  EXPECT_EQ(ok.http_status, 204);
  EXPECT_EQ(ok.body, "");
  const NotifyAnswer fail = notify_failure_answer(500, "失败");
  EXPECT_EQ(fail.http_status, 500);
  EXPECT_EQ(fail.body, "{\"code\":\"FAIL\",\"message\":\"失败\"}");
  EXPECT_EQ(notify_answer_for(Error::kBadSignature).http_status, 401);
  EXPECT_EQ(notify_answer_for(Error::kStale).http_status, 401);
  EXPECT_EQ(notify_answer_for(Error::kUnsigned).http_status, 401);
  EXPECT_EQ(notify_answer_for(Error::kAuthFailed).http_status, 400);
  EXPECT_EQ(notify_answer_for(Error::kCryptoFailure).http_status, 500);
  EXPECT_EQ(notify_answer_for(Error::kMalformedJson).body,
            "{\"code\":\"FAIL\",\"message\":\"malformed_json\"}");
  EXPECT_TRUE(notify_acknowledged(200));
  EXPECT_TRUE(notify_acknowledged(204));
  EXPECT_FALSE(notify_acknowledged(202));
  EXPECT_FALSE(notify_acknowledged(500));
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
