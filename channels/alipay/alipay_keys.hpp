// RSA keys for Alipay OpenAPI's RSA2 (SHA256withRSA, PKCS#1 v1.5) signatures,
// and the base64 they travel in (docs/channels/PROTOCOLS.md B.1 "request sign
// string", "response sign"; B.4 "verification (V1)").
//
// Who holds what: the merchant (oncepay's adapter) signs requests with its
// APP private key and verifies responses and notifications with the ALIPAY
// public key; the simulator, playing Alipay, does the reverse (verifies with
// the app public key, signs with its own "Alipay" private key).
//
// Accepted key text (Alipay's key tool hands out bare base64 DER without PEM
// armour, e.g. the inline key of the official Node SDK test, PROTOCOLS.md D
// `alipay_rsa2_signatures.json` `notify_public_key_inline_v1.base64_der`):
// - private: PEM "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1), or the
//   bare base64 of either DER (whitespace and line breaks ignored);
// - public: PEM "PUBLIC KEY" (SubjectPublicKeyInfo), "RSA PUBLIC KEY"
//   (PKCS#1), "CERTIFICATE" (its key is taken; validity is not checked, the
//   key pins trust), or the bare base64 of SubjectPublicKeyInfo/PKCS#1 DER.
// Encrypted private keys are refused. Keys must be RSA with at least
// kMinRsaBits bits.
//
// Threads and ownership: RsaPrivateKey / RsaPublicKey own one EVP_PKEY each
// (RAII, move-only). A loaded key is immutable; OpenSSL 3 allows concurrent
// signing/verifying with one EVP_PKEY from many threads, so a key may be
// shared read-only once loaded.
//
// Failure modes: loading returns nullopt and an error that names what is
// wrong ("not base64", "not an RSA key", "1024 bits, at least 2048 needed")
// and never echoes key material. Signing fails only if OpenSSL fails (out of
// memory): the error is a value. Verifying is a bool: a bad base64 signature,
// a wrong length or a mismatch are all `false`.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace oncepay::channels::alipay {

// Alipay's RSA2 keys are 2048-bit; anything smaller is refused.
inline constexpr int kMinRsaBits = 2048;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

class RsaPrivateKey {
 public:
  explicit RsaPrivateKey(PkeyPtr key) : key_(std::move(key)) {}
  EVP_PKEY* get() const { return key_.get(); }

 private:
  PkeyPtr key_;
};

class RsaPublicKey {
 public:
  explicit RsaPublicKey(PkeyPtr key) : key_(std::move(key)) {}
  EVP_PKEY* get() const { return key_.get(); }

 private:
  PkeyPtr key_;
};

// Loads a private key from PEM (PKCS#8 or PKCS#1) or bare base64 DER; see the
// header comment. nullopt and *error (may be null) when it cannot.
std::optional<RsaPrivateKey> load_private_key(std::string_view text, std::string* error);

// Loads a public key from PEM (SPKI, PKCS#1, certificate) or bare base64 DER.
std::optional<RsaPublicKey> load_public_key(std::string_view text, std::string* error);

// The public half of a private key (the simulator derives the app public key
// from the app private key in tests).
RsaPublicKey public_half(const RsaPrivateKey& key);

// Lower-case hex SHA-256 of the key's SubjectPublicKeyInfo DER (64 chars), the
// value to log and compare instead of the key itself.
std::string fingerprint_sha256(const RsaPublicKey& key);

// Key size in bits.
int key_bits(const RsaPublicKey& key);

// RSA2: SHA256withRSA (PKCS#1 v1.5) over the exact bytes of `message`,
// standard base64 with padding (PROTOCOLS.md B.1). Empty string only if
// OpenSSL fails (it is deterministic and cannot fail on a valid key).
std::string sign_rsa2_base64(const RsaPrivateKey& key, std::string_view message);

// True when `signature_base64` (standard base64 with padding, nothing else)
// is a valid RSA2 signature of `message` under `key`.
bool verify_rsa2_base64(const RsaPublicKey& key, std::string_view message,
                        std::string_view signature_base64);

// Standard base64 (RFC 4648 section 4) with padding.
std::string base64_encode(std::string_view bytes);

// Strict standard base64: length a multiple of 4, alphabet A-Z a-z 0-9 + /,
// '=' only as 1 or 2 trailing padding characters; no whitespace. nullopt
// otherwise.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace oncepay::channels::alipay
