// WeChat Pay APIv3 notifications (callbacks to notify_url): the signed JSON
// envelope, its AEAD-encrypted `resource`, the typed result, the
// core::ChannelNotice the engine applies, and the merchant's answer. The
// simulator side builds and signs notifications with the same pieces.
// docs/channels/PROTOCOLS.md A.3, A.4, A.6, A.7; vectors
// wechatpay_notification_go_sdk.json and generated_locally.json
// (wechatpay_notifications).
//
// Decoding, in order (decode_notification):
//   1. verify_signed over the raw body (signature.hpp): the Wechatpay-*
//      headers, the key chosen by Wechatpay-Serial, |now - ts| < 300 s;
//   2. parse the envelope {id, create_time, event_type, resource_type,
//      summary, resource{algorithm, ciphertext, nonce, associated_data,
//      original_type}};
//   3. decrypt resource with the 32-byte APIv3 key (aead.hpp);
//   4. parse the plaintext by event_type: TRANSACTION.* -> Transaction (A.3),
//      REFUND.* -> Refund (A.4, field `refund_status`); other events
//      (PAYSCORE.*, ...) are kOther: verified and decrypted, nothing typed.
//
// Threads and ownership: pure functions; `now` and keys are passed in.
//
// Failure modes: the first failing step's Error: the signature errors of
// signature.hpp (kUnsigned when no Wechatpay-* header came at all);
// kMalformedJson / kMissingField / kWrongType for the envelope;
// kUnsupportedAlgorithm; kBadKeyLength / kBadNonceLength / kBadBase64 /
// kTooShort / kAuthFailed from the decryption; kMalformedJson ... kBadAmount
// for the plaintext. Every failure is answered with notify_failure_answer
// (WeChat then retries on its schedule, A.7), never with a success.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/error.hpp"
#include "channels/wechatpay/keys.hpp"
#include "channels/wechatpay/signature.hpp"
#include "core/order_decide.hpp"

namespace oncepay::channels::wechatpay {

// A.7 "decryption": the only algorithm.
inline constexpr std::string_view kAeadAlgorithm = "AEAD_AES_256_GCM";

struct Resource {
  std::string algorithm;        // "AEAD_AES_256_GCM"
  std::string ciphertext;       // base64(encrypted || tag)
  std::string nonce;            // 12 characters
  std::string associated_data;  // may be ""
  std::string original_type;    // "transaction", "refund", ...
};

struct Envelope {
  std::string id;  // "EV-..." or a UUID: the notification's identity across re-sends
  std::string create_time;
  std::string event_type;     // TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
  std::string resource_type;  // "encrypt-resource"
  std::string summary;
  Resource resource;
};

// Step 2: required id, event_type and resource{algorithm, ciphertext,
// nonce}; associated_data, original_type, create_time, resource_type and
// summary may be absent ("").
Error parse_envelope(std::string_view body, Envelope* out);

// Step 3 (kUnsupportedAlgorithm unless resource.algorithm is kAeadAlgorithm).
Error decrypt_resource(const Resource& resource, std::string_view apiv3_key,
                       std::string* plaintext);

struct Notification {
  enum class Kind : uint8_t { kTransaction, kRefund, kOther };
  Kind kind = Kind::kOther;
  Envelope envelope;
  std::string plaintext;    // the decrypted resource
  Transaction transaction;  // kTransaction
  Refund refund;            // kRefund (status holds refund_status)
};

// Step 4 alone: the typed result of an already decrypted plaintext.
Error parse_resource(std::string_view event_type, std::string_view plaintext, Notification* out);

// Steps 1-4.
Error decode_notification(const SignedHeaders& headers, std::string_view body,
                          const PlatformKeys& keys, std::string_view apiv3_key, int64_t now_unix,
                          Notification* out);

// The core's notice (payment_no = out_trade_no, channel_trade_no =
// transaction_id, amounts in fen). `channel` is left empty: the shell sets
// the route's name. Mapping:
//   TRANSACTION.SUCCESS with trade_state SUCCESS -> kSuccess, amount.total,
//     amount.currency;
//   REFUND.SUCCESS with refund_status SUCCESS    -> kRefundSuccess,
//   REFUND.ABNORMAL / REFUND.CLOSED with the same refund_status
//                                                -> kRefundFailed;
//     refund_no = out_refund_no, amount = amount.refund, currency =
//     amount.currency ("" when absent: the core assumes the refund's).
// kUnknownEvent for anything else (another event, or an event whose state
// field disagrees with it): the caller acknowledges it and applies nothing.
Error to_channel_notice(const Notification& notification, core::ChannelNotice* out);

// ---------------------------------------------------------------- answers (A.7)

struct NotifyAnswer {
  int32_t http_status = 204;
  std::string body;  // "" for a success
};

// 204, empty body: received (WeChat stops re-sending).
NotifyAnswer notify_success_answer();
// A 4xx / 5xx with {"code":"FAIL","message":message}: WeChat re-sends. The
// status decides; the body is informational (A.7 "failure answer").
NotifyAnswer notify_failure_answer(int32_t http_status, std::string_view message);
// The failure answer for a decode error: 401 for signature failures (also
// what WeChat's probe notifications with wrong signatures expect, A.6), 500
// for kCryptoFailure, 400 otherwise. The message is to_string(error).
NotifyAnswer notify_answer_for(Error error);
// Simulator side: did the merchant take the notification? A.7: 200 or 204.
bool notify_acknowledged(int32_t http_status);

// ---------------------------------------------------------------- simulator side

struct NotificationSpec {
  std::string id;
  std::string create_time;
  std::string event_type;
  std::string summary;
  std::string original_type;    // "transaction" / "refund"
  std::string associated_data;  // e.g. "transaction", or ""
  std::string nonce;            // 12 bytes
  std::string plaintext;        // transaction_json() / refund_json(.., kRefundStatus)
};

// The envelope JSON with `plaintext` encrypted under the 32-byte APIv3 key
// (resource_type "encrypt-resource"). Errors of aead_encrypt.
Error encode_notification(const NotificationSpec& spec, std::string_view apiv3_key,
                          std::string* body);

}  // namespace oncepay::channels::wechatpay
