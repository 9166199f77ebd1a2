// RSA keys of WeChat Pay APIv3 and the SHA256withRSA signatures made with
// them: the merchant API private key that signs requests (A.5), the WeChat
// Pay platform certificate or public key (id `PUB_KEY_ID_...`) that signs
// responses and notifications (A.6), and the reverse roles for the channel
// simulator. RAII owners over OpenSSL's EVP_PKEY; docs/channels/PROTOCOLS.md
// A.5, A.6 and section D (wechatpay_rsa_sha256.json).
//
// Accepted inputs (PEM text, as the merchant platform hands them out):
// - private key: PKCS#8 `-----BEGIN PRIVATE KEY-----` (apiclient_key.pem)
//   or PKCS#1 `-----BEGIN RSA PRIVATE KEY-----`; encrypted PEM is refused
//   (no passphrase prompt ever runs);
// - public key: `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo), the form
//   of the WeChat Pay public key (pub_key.pem), or PKCS#1
//   `-----BEGIN RSA PUBLIC KEY-----`;
// - certificate: `-----BEGIN CERTIFICATE-----` (X.509); its public key and
//   its serial number are taken, validity dates are NOT checked (the serial
//   selects the key; rotation is the configuration's business).
// Every key must be RSA of at least kMinRsaBits bits (the scheme's name says
// RSA2048: WECHATPAY2-SHA256-RSA2048).
//
// Threads and ownership
// - PrivateKey / PublicKey own one EVP_PKEY reference each (move-only) and
//   free it in their destructor. A loaded key is immutable: sign/verify may
//   run on the same key from several threads at once (OpenSSL 3 EVP_PKEY is
//   safe for concurrent read-only use).
// - Functions are pure apart from OpenSSL's own error queue, which they clear.
//
// Failure modes
// - Loaders return an Error (kKeyParse, kKeyNotRsa, kKeyTooSmall) and leave
//   the output untouched. The message a caller logs is to_string(error) plus
//   what it already knows (file name); nothing here ever prints key bytes.
// - rsa_sha256_verify returns kBadBase64 for a signature that is not strict
//   base64 and kBadSignature for any other mismatch (empty, wrong length,
//   wrong key, changed message).
// - rsa_sha256_sign returns kCryptoFailure only if OpenSSL fails on a valid
//   key (out of memory): the caller answers "unavailable" and retries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "channels/wechatpay/error.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace oncepay::channels::wechatpay {

inline constexpr int kMinRsaBits = 2048;

namespace detail {
struct PkeyFree {
  void operator()(evp_pkey_st* key) const;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyFree>;
}  // namespace detail

class PrivateKey {
 public:
  PrivateKey() = default;
  explicit PrivateKey(detail::PkeyPtr key) : key_(std::move(key)) {}
  bool empty() const { return key_ == nullptr; }
  evp_pkey_st* get() const { return key_.get(); }

 private:
  detail::PkeyPtr key_;
};

class PublicKey {
 public:
  PublicKey() = default;
  explicit PublicKey(detail::PkeyPtr key) : key_(std::move(key)) {}
  bool empty() const { return key_ == nullptr; }
  evp_pkey_st* get() const { return key_.get(); }
  // Another reference to the same immutable key (EVP_PKEY_up_ref).
  PublicKey share() const;

 private:
  detail::PkeyPtr key_;
};

struct Certificate {
  PublicKey key;
  // The serial number as WeChat Pay writes it in Wechatpay-Serial and
  // serial_no: upper-case hex, two digits per byte, no leading zero bytes
  // (e.g. "D7CE59D1F522D701", "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC").
  std::string serial_hex;
};

Error load_private_key(std::string_view pem, PrivateKey* out);
Error load_public_key(std::string_view pem, PublicKey* out);
Error load_certificate(std::string_view pem, Certificate* out);

// The public half of a private key, as a key without the private part (to
// check a configured pair, or for the simulator to verify what it signed).
PublicKey public_key_of(const PrivateKey& key);

// Lower-hex SHA-256 of the key's DER SubjectPublicKeyInfo (64 characters):
// what the admin view shows for a configured key instead of the key itself.
// Equals `openssl pkey -pubin -outform DER | sha256sum`.
std::string public_key_fingerprint(const PublicKey& key);

// The key size in bits (2048 for the vectors' keys).
int key_bits(const PublicKey& key);

// SHA256withRSA (RSASSA-PKCS1-v1_5, SHA-256) over `message`, standard
// base64 (A.5 "algorithm"). Deterministic: the same key and message give the
// same signature, which is how the official vectors are reproduced.
Error rsa_sha256_sign(const PrivateKey& key, std::string_view message, std::string* signature_b64);

// kOk when `signature_b64` is a valid SHA256withRSA signature of `message`.
Error rsa_sha256_verify(const PublicKey& key, std::string_view message,
                        std::string_view signature_b64);

}  // namespace oncepay::channels::wechatpay
