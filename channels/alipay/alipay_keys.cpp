#include "channels/alipay/alipay_keys.hpp"

#include <openssl/bio.h>
#include <openssl/core_dispatch.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <vector>

#include "core/check.hpp"
#include "core/narrow.hpp"

namespace oncepay::channels::alipay {
namespace {

void set_error(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Bare base64 key text: the DER with line breaks and spaces removed.
std::optional<std::string> bare_base64_der(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (!is_space(c)) compact.push_back(c);
  }
  return base64_decode(compact);
}

// Decodes `data` (PEM or DER, per `input_type`) into an RSA key of the given
// selection with OpenSSL's decoder, which knows PKCS#8, PKCS#1 and SPKI.
PkeyPtr decode_pkey(std::string_view data, const char* input_type, int selection) {
  EVP_PKEY* raw = nullptr;
  OSSL_DECODER_CTX* ctx =
      OSSL_DECODER_CTX_new_for_pkey(&raw, input_type, nullptr, "RSA", selection, nullptr, nullptr);
  if (ctx == nullptr) return nullptr;
  // No passphrase callback: an encrypted key fails to decode.
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = data.size();
  const bool ok = OSSL_DECODER_from_data(ctx, &bytes, &size) == 1;
  OSSL_DECODER_CTX_free(ctx);
  if (!ok) {
    EVP_PKEY_free(raw);
    return nullptr;
  }
  return PkeyPtr(raw);
}

PkeyPtr key_from_certificate(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), core::checked_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return nullptr;
  PkeyPtr key(X509_get_pubkey(cert));
  X509_free(cert);
  return key;
}

// Common checks once decoded: RSA, big enough.
bool acceptable(const PkeyPtr& key, std::string* error) {
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    set_error(error, "not an RSA key");
    return false;
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (bits < kMinRsaBits) {
    set_error(error, "RSA key of " + std::to_string(bits) + " bits, at least " +
                         std::to_string(kMinRsaBits) + " needed");
    return false;
  }
  return true;
}

PkeyPtr decode_any(std::string_view text, int selection, std::string* error) {
  if (text.empty()) {
    set_error(error, "key text is empty");
    return nullptr;
  }
  if (text.size() > 64 * 1024) {
    set_error(error, "key text is longer than 64 KiB");
    return nullptr;
  }
  if (text.starts_with("-----BEGIN")) {
    if (text.starts_with("-----BEGIN CERTIFICATE-----")) {
      if (selection != OSSL_KEYMGMT_SELECT_PUBLIC_KEY) {
        set_error(error, "a certificate holds no private key");
        return nullptr;
      }
      PkeyPtr key = key_from_certificate(text);
      if (key == nullptr) set_error(error, "malformed PEM certificate");
      return key;
    }
    if (text.starts_with("-----BEGIN ENCRYPTED")) {
      set_error(error, "encrypted private keys are not supported");
      return nullptr;
    }
    PkeyPtr key = decode_pkey(text, "PEM", selection);
    if (key == nullptr) set_error(error, "malformed PEM key (or not the expected key type)");
    return key;
  }
  std::optional<std::string> der = bare_base64_der(text);
  if (!der) {
    set_error(error, "key is neither PEM nor base64 DER");
    return nullptr;
  }
  PkeyPtr key = decode_pkey(*der, "DER", selection);
  if (key == nullptr)
    set_error(error, "base64 key does not hold a DER RSA key of the expected type");
  return key;
}

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

std::optional<RsaPrivateKey> load_private_key(std::string_view text, std::string* error) {
  PkeyPtr key = decode_any(trim(text), OSSL_KEYMGMT_SELECT_PRIVATE_KEY, error);
  if (key == nullptr || !acceptable(key, error)) return std::nullopt;
  return RsaPrivateKey(std::move(key));
}

std::optional<RsaPublicKey> load_public_key(std::string_view text, std::string* error) {
  PkeyPtr key = decode_any(trim(text), OSSL_KEYMGMT_SELECT_PUBLIC_KEY, error);
  if (key == nullptr || !acceptable(key, error)) return std::nullopt;
  return RsaPublicKey(std::move(key));
}

RsaPublicKey public_half(const RsaPrivateKey& key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key.get(), &der);
  ONCEPAY_CHECK(size > 0);
  const unsigned char* cursor = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &cursor, size);
  OPENSSL_free(der);
  ONCEPAY_CHECK(pub != nullptr);
  return RsaPublicKey(PkeyPtr(pub));
}

std::string fingerprint_sha256(const RsaPublicKey& key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key.get(), &der);
  ONCEPAY_CHECK(size > 0);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  const int ok = EVP_Digest(der, core::checked_cast<size_t>(size), digest.data(), &digest_size,
                            EVP_sha256(), nullptr);
  OPENSSL_free(der);
  ONCEPAY_CHECK(ok == 1 && digest_size == 32);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < digest_size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

int key_bits(const RsaPublicKey& key) { return EVP_PKEY_get_bits(key.get()); }

std::string sign_rsa2_base64(const RsaPrivateKey& key, std::string_view message) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return {};
  std::string signature;
  size_t size = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestSign(ctx, nullptr, &size, bytes, message.size()) == 1) {
    std::string raw(size, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(raw.data()), &size, bytes,
                       message.size()) == 1) {
      raw.resize(size);
      signature = base64_encode(raw);
    }
  }
  EVP_MD_CTX_free(ctx);
  return signature;
}

bool verify_rsa2_base64(const RsaPublicKey& key, std::string_view message,
                        std::string_view signature_base64) {
  std::optional<std::string> raw = base64_decode(signature_base64);
  if (!raw || raw->empty()) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(raw->data()), raw->size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      core::checked_cast<int>(bytes.size()));
  out.resize(core::checked_cast<size_t>(written));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.size() > (1u << 30)) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  if (text.empty()) return out;
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      core::checked_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  out.resize(core::checked_cast<size_t>(written) - padding);
  return out;
}

}  // namespace oncepay::channels::alipay
