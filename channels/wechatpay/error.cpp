#include "channels/wechatpay/error.hpp"

namespace oncepay::channels::wechatpay {

std::string_view to_string(Error error) {
  switch (error) {
    case Error::kOk:
      return "ok";
    case Error::kKeyParse:
      return "key_parse";
    case Error::kKeyNotRsa:
      return "key_not_rsa";
    case Error::kKeyTooSmall:
      return "key_too_small";
    case Error::kCryptoFailure:
      return "crypto_failure";
    case Error::kMissingHeader:
      return "missing_header";
    case Error::kMalformedHeader:
      return "malformed_header";
    case Error::kUnknownSerial:
      return "unknown_serial";
    case Error::kBadSignature:
      return "bad_signature";
    case Error::kStale:
      return "stale";
    case Error::kUnsigned:
      return "unsigned";
    case Error::kBadKeyLength:
      return "bad_key_length";
    case Error::kBadNonceLength:
      return "bad_nonce_length";
    case Error::kBadBase64:
      return "bad_base64";
    case Error::kTooShort:
      return "too_short";
    case Error::kAuthFailed:
      return "auth_failed";
    case Error::kMalformedJson:
      return "malformed_json";
    case Error::kMissingField:
      return "missing_field";
    case Error::kWrongType:
      return "wrong_type";
    case Error::kBadAmount:
      return "bad_amount";
    case Error::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case Error::kUnknownEvent:
      return "unknown_event";
    case Error::kBadOutTradeNo:
      return "bad_out_trade_no";
  }
  return "unknown";
}

}  // namespace oncepay::channels::wechatpay
