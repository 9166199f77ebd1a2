#include "channels/wechatpay/keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <limits>

#include "channels/wechatpay/base64.hpp"
#include "core/check.hpp"

namespace oncepay::channels::wechatpay {
namespace detail {
void PkeyFree::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }
}  // namespace detail

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct DecoderFree {
  void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// A read-only memory BIO over `text` (nullptr when it is too large for int).
std::unique_ptr<BIO, BioFree> memory_bio(std::string_view text) {
  if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return nullptr;
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The passphrase callback: refuses, so an encrypted PEM fails instead of
// prompting on the terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

Error check_rsa(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return Error::kKeyNotRsa;
  if (EVP_PKEY_get_bits(key) < kMinRsaBits) return Error::kKeyTooSmall;
  return Error::kOk;
}

// Runs the loader's result through check_rsa and hands it over on success.
// OpenSSL's error queue is cleared either way: a failed parse must not leave
// errors behind for an unrelated later caller (http/ TLS) to misreport.
template <typename Key>
Error finish(EVP_PKEY* raw, Key* out) {
  ERR_clear_error();
  if (raw == nullptr) return Error::kKeyParse;
  detail::PkeyPtr key(raw);
  const Error e = check_rsa(key.get());
  if (e != Error::kOk) return e;
  *out = Key(std::move(key));
  return Error::kOk;
}

}  // namespace

PublicKey PublicKey::share() const {
  ONCEPAY_CHECK(key_ != nullptr);
  ONCEPAY_CHECK(EVP_PKEY_up_ref(key_.get()) == 1);
  return PublicKey(detail::PkeyPtr(key_.get()));
}

Error load_private_key(std::string_view pem, PrivateKey* out) {
  auto bio = memory_bio(pem);
  if (!bio) return Error::kKeyParse;
  return finish(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr), out);
}

Error load_public_key(std::string_view pem, PublicKey* out) {
  auto bio = memory_bio(pem);
  if (!bio) return Error::kKeyParse;
  // OpenSSL's decoder, asked for an RSA public key in PEM with no fixed
  // structure, takes both SubjectPublicKeyInfo ("PUBLIC KEY") and PKCS#1
  // ("RSA PUBLIC KEY"); a key of another type does not decode as RSA.
  EVP_PKEY* key = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, DecoderFree> decoder(OSSL_DECODER_CTX_new_for_pkey(
      &key, "PEM", nullptr, "RSA", EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!decoder || OSSL_DECODER_from_bio(decoder.get(), bio.get()) != 1) {
    EVP_PKEY_free(key);
    key = nullptr;
  }
  if (key == nullptr) {
    // Not an RSA public key: tell another algorithm's key apart from garbage.
    auto again = memory_bio(pem);
    EVP_PKEY* other =
        again ? PEM_read_bio_PUBKEY(again.get(), nullptr, no_passphrase, nullptr) : nullptr;
    return finish(other, out);
  }
  return finish(key, out);
}

Error load_certificate(std::string_view pem, Certificate* out) {
  auto bio = memory_bio(pem);
  if (!bio) return Error::kKeyParse;
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
  if (!cert) {
    ERR_clear_error();
    return Error::kKeyParse;
  }
  std::unique_ptr<BIGNUM, BnFree> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (!serial || BN_is_negative(serial.get())) {
    ERR_clear_error();
    return Error::kKeyParse;
  }
  char* hex = BN_bn2hex(serial.get());  // upper case, whole bytes
  if (hex == nullptr) {
    ERR_clear_error();
    return Error::kCryptoFailure;
  }
  std::string serial_hex(hex);
  OPENSSL_free(hex);
  PublicKey key;
  const Error e = finish(X509_get_pubkey(cert.get()), &key);
  if (e != Error::kOk) return e;
  out->key = std::move(key);
  out->serial_hex = std::move(serial_hex);
  return Error::kOk;
}

PublicKey public_key_of(const PrivateKey& key) {
  ONCEPAY_CHECK(!key.empty());
  // Through DER SubjectPublicKeyInfo, so the result holds no private part.
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key.get(), &der);
  ONCEPAY_CHECK(length > 0);
  const unsigned char* cursor = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &cursor, length);
  OPENSSL_free(der);
  ONCEPAY_CHECK(pub != nullptr);
  return PublicKey(detail::PkeyPtr(pub));
}

std::string public_key_fingerprint(const PublicKey& key) {
  ONCEPAY_CHECK(!key.empty());
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key.get(), &der);
  ONCEPAY_CHECK(length > 0);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  const int ok =
      EVP_Digest(der, static_cast<size_t>(length), digest, &digest_length, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  ONCEPAY_CHECK(ok == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < digest_length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

int key_bits(const PublicKey& key) {
  ONCEPAY_CHECK(!key.empty());
  return EVP_PKEY_get_bits(key.get());
}

Error rsa_sha256_sign(const PrivateKey& key, std::string_view message, std::string* signature_b64) {
  ONCEPAY_CHECK(!key.empty());
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, message.size()) != 1) {
    ERR_clear_error();
    return Error::kCryptoFailure;
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     message.size()) != 1) {
    ERR_clear_error();
    return Error::kCryptoFailure;
  }
  signature.resize(length);
  *signature_b64 = base64_encode(signature);
  return Error::kOk;
}

Error rsa_sha256_verify(const PublicKey& key, std::string_view message,
                        std::string_view signature_b64) {
  ONCEPAY_CHECK(!key.empty());
  std::string signature;
  if (!base64_decode(signature_b64, &signature)) return Error::kBadBase64;
  if (signature.empty()) return Error::kBadSignature;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    ERR_clear_error();
    return Error::kCryptoFailure;
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return ok == 1 ? Error::kOk : Error::kBadSignature;
}

}  // namespace oncepay::channels::wechatpay
