// The one error vocabulary of the WeChat Pay APIv3 protocol library
// (channels/wechatpay/): every expected failure of a loader, verifier,
// decryptor or decoder here is one of these values, never an exception and
// never a message that quotes key material. Protocol facts:
// docs/channels/PROTOCOLS.md part A.
//
// Threads and ownership: plain values; to_string() is pure and returns a
// static string, callable from any thread.
//
// Failure modes: none of its own. Which of these a caller may retry or must
// query after is decided per operation in api.hpp (outcome_for_answer).
#pragma once

#include <cstdint>
#include <string_view>

namespace oncepay::channels::wechatpay {

enum class Error : uint8_t {
  kOk,
  // Keys (keys.hpp).
  kKeyParse,       // the PEM text is not a key / certificate of the asked kind
  kKeyNotRsa,      // a key of another algorithm (EC, Ed25519, ...)
  kKeyTooSmall,    // an RSA key below kMinRsaBits
  kCryptoFailure,  // OpenSSL refused an operation on a valid key (should not happen)
  // Signatures (signature.hpp), A.5 and A.6.
  kMissingHeader,    // a Wechatpay-* header or the Authorization header is absent or empty
  kMalformedHeader,  // a header is present but not of the documented shape
  kUnknownSerial,    // Wechatpay-Serial / serial_no names no configured key
  kBadSignature,     // well formed, but the signature does not verify
  kStale,            // a genuine signature whose timestamp is outside now +- window
  kUnsigned,         // a response without any signature headers (forged if 2xx, A.6)
  // AEAD (aead.hpp), A.7 "decryption".
  kBadKeyLength,    // the APIv3 key is not 32 bytes (16 also at the low level)
  kBadNonceLength,  // the GCM nonce is not 12 bytes
  kBadBase64,       // ciphertext (or a signature) is not standard padded base64
  kTooShort,        // decoded ciphertext shorter than the 16-byte tag
  kAuthFailed,      // the GCM tag does not match (wrong key, nonce, AAD, or tampering)
  // Bodies (notification.hpp, api.hpp).
  kMalformedJson,         // not one JSON object
  kMissingField,          // a required field is absent
  kWrongType,             // a field of the wrong JSON type (e.g. 100.0 for an integer)
  kBadAmount,             // an amount that is not a positive integer number of fen
  kUnsupportedAlgorithm,  // resource.algorithm is not AEAD_AES_256_GCM
  kUnknownEvent,          // an event_type / state this library does not map
  kBadOutTradeNo,         // an out_trade_no outside A.2's rule
};

// "ok", "key_parse", ... (snake case of the enumerator): stable, for logs
// and metrics labels.
std::string_view to_string(Error error);

}  // namespace oncepay::channels::wechatpay
