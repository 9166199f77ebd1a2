// libFuzzer target: the WeChat Pay APIv3 decoders of channels/wechatpay/
// (docs/channels/PROTOCOLS.md A.5-A.8) on hostile bytes. One input is split
// at its first five '\n' into
//
//   Wechatpay-Timestamp \n Wechatpay-Nonce \n Wechatpay-Signature \n
//   Wechatpay-Serial \n Authorization \n body
//
// (a missing newline leaves the later parts empty) and fed to:
//
// - decode_notification(headers, body) as received, with a fixed platform
//   key (generated once per process), APIv3 key and clock: the path of
//   a forged callback;
// - decode_notification after re-signing the body with that platform key at
//   the fixed clock: the envelope parser and the decryption behind a valid
//   signature;
// - decode_notification of a notification whose encrypted resource IS the
//   body, built with encode_notification and signed: the Transaction and
//   Refund parsers and to_channel_notice behind a valid signature and tag;
// - parse_authorization on the Authorization part;
// - query_reply / refund_reply / prepay_reply / outcome_for_answer on the
//   body as a verified answer of several HTTP statuses.
//
// Properties asserted (a failure aborts and libFuzzer keeps the input):
// - raw headers verify only if their signature is exactly the one we make
//   for them (PKCS#1 v1.5 is deterministic); a re-signed body never fails
//   on its signature;
// - an encrypted-and-signed body always gets past verification and
//   decryption: any error is a plaintext error;
// - a kOk notice has a non-negative amount and an event whose state agrees;
// - parse_authorization: a kOk header rebuilds (authorization_header) to a
//   header that parses to the same values;
// - parse_transaction: a kOk body re-serializes (transaction_json) to one
//   that parses to the same JSON again (a fixed point after one round);
// - base64: a decodable Wechatpay-Signature re-encodes to the same text.
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/base64.hpp"
#include "channels/wechatpay/keys.hpp"
#include "channels/wechatpay/notification.hpp"
#include "channels/wechatpay/replies.hpp"
#include "channels/wechatpay/signature.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

namespace wx = oncepay::channels::wechatpay;
namespace core = oncepay::core;
using wx::Error;

// The Java SDK's test APIv3 key (32 bytes), the one the seed notifications
// of corpus/wechatpay were encrypted with.
constexpr std::string_view kApiV3Key = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
constexpr std::string_view kSerial = "D7CE59D1F522D701";
// 2018-06-08T02:35:00Z, the seed notifications' time.
constexpr int64_t kNowUnixSeconds = 1528425300;

struct Input {
  wx::SignedHeaders headers;
  std::string_view authorization;
  std::string_view body;
};

std::string_view next_line(std::string_view* rest) {
  const size_t newline = rest->find('\n');
  const std::string_view line = rest->substr(0, newline);
  *rest = newline == std::string_view::npos ? std::string_view() : rest->substr(newline + 1);
  return line;
}

Input split(std::string_view data) {
  Input in;
  in.headers.timestamp = next_line(&data);
  in.headers.nonce = next_line(&data);
  in.headers.signature = next_line(&data);
  in.headers.serial = next_line(&data);
  in.authorization = next_line(&data);
  in.body = data;
  return in;
}

struct Keys {
  wx::PrivateKey platform_private;
  wx::PlatformKeys platform;
};

// A fresh 2048-bit platform key pair, once per process (the fuzzer needs the
// private half to re-sign; no key material is stored in the tree).
const Keys& keys() {
  static const Keys k = [] {
    Keys out;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
    FUZZ_CHECK(key != nullptr, "EVP_RSA_gen");
    out.platform_private = wx::PrivateKey(wx::detail::PkeyPtr(key.release()));
    out.platform.add(std::string(kSerial), wx::public_key_of(out.platform_private));
    return out;
  }();
  return k;
}

bool is_signature_error(Error e) {
  return e == Error::kMissingHeader || e == Error::kMalformedHeader || e == Error::kUnknownSerial ||
         e == Error::kBadSignature || e == Error::kStale || e == Error::kUnsigned;
}

void check_notice(const wx::Notification& n) {
  core::ChannelNotice notice;
  if (wx::to_channel_notice(n, &notice) != Error::kOk) return;
  FUZZ_CHECK(notice.amount_minor >= 0, n.plaintext);
  FUZZ_CHECK(notice.channel.empty(), n.plaintext);
  if (notice.kind == core::ChannelNotice::Kind::kSuccess) {
    FUZZ_CHECK(n.envelope.event_type == "TRANSACTION.SUCCESS", n.envelope.event_type);
    FUZZ_CHECK(n.transaction.trade_state == "SUCCESS", n.plaintext);
  } else {
    FUZZ_CHECK(n.kind == wx::Notification::Kind::kRefund, n.plaintext);
    FUZZ_CHECK(notice.refund_no == n.refund.out_refund_no, n.plaintext);
  }
}

void fuzz_as_received(const Input& in) {
  wx::Notification n;
  const Error e =
      wx::decode_notification(in.headers, in.body, keys().platform, kApiV3Key, kNowUnixSeconds, &n);
  if (e != Error::kOk) return;
  // Only we hold the private key, and PKCS#1 v1.5 is deterministic: headers
  // that verified carry exactly the signature we make for them.
  std::string ours;
  FUZZ_CHECK(
      wx::rsa_sha256_sign(keys().platform_private,
                          wx::response_message(in.headers.timestamp, in.headers.nonce, in.body),
                          &ours) == Error::kOk,
      "rsa_sha256_sign");
  FUZZ_CHECK(ours == in.headers.signature, in.headers.signature);
  check_notice(n);
}

void fuzz_resigned(const Input& in) {
  wx::SignedHeaders h;
  FUZZ_CHECK(wx::sign_response(keys().platform_private, kSerial, kNowUnixSeconds, "fuzz-nonce",
                               in.body, &h) == Error::kOk,
             "sign_response");
  wx::Notification n;
  const Error e =
      wx::decode_notification(h, in.body, keys().platform, kApiV3Key, kNowUnixSeconds, &n);
  FUZZ_CHECK(!is_signature_error(e), wx::to_string(e));
  if (e == Error::kOk) check_notice(n);
}

void fuzz_encrypted_resource(const Input& in) {
  wx::NotificationSpec spec;
  spec.id = "EV-fuzz";
  spec.event_type = in.authorization.substr(0, 1) == "R" ? "REFUND.SUCCESS" : "TRANSACTION.SUCCESS";
  spec.original_type = "transaction";
  spec.associated_data = in.headers.nonce.empty() ? "" : "transaction";
  spec.nonce = "fdasflkja484";
  spec.plaintext = in.body;
  std::string body;
  FUZZ_CHECK(wx::encode_notification(spec, kApiV3Key, &body) == Error::kOk, "encode");
  wx::SignedHeaders h;
  FUZZ_CHECK(wx::sign_response(keys().platform_private, kSerial, kNowUnixSeconds, "n", body, &h) ==
                 Error::kOk,
             "sign_response");
  wx::Notification n;
  const Error e = wx::decode_notification(h, body, keys().platform, kApiV3Key, kNowUnixSeconds, &n);
  FUZZ_CHECK(e == Error::kOk || e == Error::kMalformedJson || e == Error::kMissingField ||
                 e == Error::kWrongType || e == Error::kBadAmount,
             wx::to_string(e));
  if (e == Error::kOk) {
    FUZZ_CHECK(n.plaintext == in.body, "plaintext");
    check_notice(n);
  }
}

void fuzz_authorization(std::string_view header) {
  wx::RequestAuth auth;
  if (wx::parse_authorization(header, &auth) != Error::kOk) return;
  wx::RequestAuth again;
  const std::string rebuilt = wx::authorization_header(auth);
  FUZZ_CHECK(wx::parse_authorization(rebuilt, &again) == Error::kOk, rebuilt);
  FUZZ_CHECK(again.mchid == auth.mchid && again.nonce_str == auth.nonce_str &&
                 again.timestamp == auth.timestamp && again.serial_no == auth.serial_no &&
                 again.signature == auth.signature,
             rebuilt);
}

void fuzz_answers(std::string_view body) {
  wx::Transaction t;
  if (wx::parse_transaction(body, &t) == Error::kOk) {
    const std::string once = wx::transaction_json(t);
    wx::Transaction back;
    FUZZ_CHECK(wx::parse_transaction(once, &back) == Error::kOk, once);
    FUZZ_CHECK(wx::transaction_json(back) == once, once);
  }
  for (int32_t status : {200, 204, 400, 404, 429, 500}) {
    const wx::Answer answer{status, body, Error::kOk};
    for (core::ChannelOp op : {core::ChannelOp::kPrepay, core::ChannelOp::kQuery,
                               core::ChannelOp::kClose, core::ChannelOp::kRefund}) {
      (void)wx::outcome_for_answer(op, answer);
    }
    (void)wx::query_reply(answer, "P00531795338284923f85c00000001");
    (void)wx::refund_reply(answer, "R1");
    (void)wx::prepay_reply(answer, status == 200);
  }
}

void fuzz_base64(std::string_view text) {
  std::string raw;
  if (!wx::base64_decode(text, &raw)) return;
  FUZZ_CHECK(wx::base64_encode(raw) == text, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Input in = split(std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz_as_received(in);
  fuzz_resigned(in);
  fuzz_encrypted_resource(in);
  fuzz_authorization(in.authorization);
  fuzz_answers(in.body);
  fuzz_base64(in.headers.signature);
  return 0;
}
