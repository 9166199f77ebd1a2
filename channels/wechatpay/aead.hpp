// AEAD_AES_256_GCM as WeChat Pay APIv3 uses it for the `resource` of a
// notification (A.7 "decryption") and for encrypted certificates: key = the
// APIv3 key's bytes (32), nonce = the `nonce` string's bytes (12),
// associated data = the `associated_data` string's bytes (may be empty,
// < 16 bytes in practice), ciphertext field = base64(encrypted || 16-byte
// tag). docs/channels/PROTOCOLS.md A.7 and section D
// (wechatpay_aead_gcm.json).
//
// Two levels:
// - aead_decrypt / aead_encrypt: the production API. The key must be exactly
//   kApiV3KeyBytes (32): AES-256-GCM, nothing else.
// - gcm_open / gcm_seal: the same construction with the AES variant chosen
//   by the key length (16 -> AES-128-GCM, 32 -> AES-256-GCM), because several
//   official Go SDK vectors use 16-byte keys that Go silently runs as
//   AES-128 (PROTOCOLS.md D). Tests and the simulator only.
//
// Threads and ownership: pure functions, callable from any thread. The key
// is only read; it is never copied into an error or a log.
//
// Failure modes (returned, *plaintext / *ciphertext_b64 unspecified):
// kBadKeyLength, kBadNonceLength (not 12 bytes), kBadBase64, kTooShort
// (fewer bytes than the tag), kAuthFailed (the tag does not verify: wrong
// key, nonce or associated data, or any changed byte), kCryptoFailure
// (OpenSSL failed on valid inputs).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "channels/wechatpay/error.hpp"

namespace oncepay::channels::wechatpay {

inline constexpr size_t kApiV3KeyBytes = 32;
inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

Error aead_decrypt(std::string_view apiv3_key, std::string_view nonce,
                   std::string_view associated_data, std::string_view ciphertext_b64,
                   std::string* plaintext);

Error aead_encrypt(std::string_view apiv3_key, std::string_view nonce,
                   std::string_view associated_data, std::string_view plaintext,
                   std::string* ciphertext_b64);

// As above with a 16- or 32-byte key (AES-128-GCM / AES-256-GCM).
Error gcm_open(std::string_view key, std::string_view nonce, std::string_view associated_data,
               std::string_view ciphertext_b64, std::string* plaintext);
Error gcm_seal(std::string_view key, std::string_view nonce, std::string_view associated_data,
               std::string_view plaintext, std::string* ciphertext_b64);

}  // namespace oncepay::channels::wechatpay
