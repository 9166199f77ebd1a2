#include "channels/wechatpay/aead.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <limits>
#include <memory>

#include "channels/wechatpay/base64.hpp"
#include "core/check.hpp"
#include "core/narrow.hpp"

namespace oncepay::channels::wechatpay {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_CIPHER* cipher_for(std::string_view key) {
  if (key.size() == 16) return EVP_aes_128_gcm();
  if (key.size() == 32) return EVP_aes_256_gcm();
  return nullptr;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP lengths are int. Every input here is a part of an HTTP body, bounded
// far below that by the body limits of conf/; a larger one is a programmer
// error, never a wrapped length.
void check_fits_int(std::string_view s) {
  ONCEPAY_CHECK(s.size() <= static_cast<size_t>(std::numeric_limits<int>::max() / 2));
}

Error crypto_failure() {
  ERR_clear_error();
  return Error::kCryptoFailure;
}

// Starts a GCM context for `encrypt` with key and nonce, and feeds the AAD.
Error start(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view key, std::string_view nonce,
            std::string_view associated_data) {
  const EVP_CIPHER* cipher = cipher_for(key);
  if (cipher == nullptr) return Error::kBadKeyLength;
  if (nonce.size() != kGcmNonceBytes) return Error::kBadNonceLength;
  check_fits_int(associated_data);
  const int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx, cipher, nullptr, bytes(key), bytes(nonce), enc) != 1) {
    return crypto_failure();
  }
  int length = 0;
  if (!associated_data.empty() && EVP_CipherUpdate(ctx, nullptr, &length, bytes(associated_data),
                                                   static_cast<int>(associated_data.size())) != 1) {
    return crypto_failure();
  }
  return Error::kOk;
}

}  // namespace

Error gcm_open(std::string_view key, std::string_view nonce, std::string_view associated_data,
               std::string_view ciphertext_b64, std::string* plaintext) {
  if (cipher_for(key) == nullptr) return Error::kBadKeyLength;
  if (nonce.size() != kGcmNonceBytes) return Error::kBadNonceLength;
  std::string sealed;
  if (!base64_decode(ciphertext_b64, &sealed)) return Error::kBadBase64;
  if (sealed.size() < kGcmTagBytes) return Error::kTooShort;
  check_fits_int(sealed);
  const size_t body_length = sealed.size() - kGcmTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return crypto_failure();
  const Error e = start(ctx.get(), false, key, nonce, associated_data);
  if (e != Error::kOk) return e;
  std::string out(body_length, '\0');
  int length = 0;
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  if (body_length > 0 && EVP_DecryptUpdate(ctx.get(), out_bytes, &length, bytes(sealed),
                                           static_cast<int>(body_length)) != 1) {
    return crypto_failure();
  }
  std::string tag = sealed.substr(body_length);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagBytes),
                          tag.data()) != 1) {
    return crypto_failure();
  }
  int final_length = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out_bytes + length, &final_length) != 1) {
    ERR_clear_error();
    return Error::kAuthFailed;
  }
  out.resize(core::checked_cast<size_t>(length + final_length));
  *plaintext = std::move(out);
  return Error::kOk;
}

Error gcm_seal(std::string_view key, std::string_view nonce, std::string_view associated_data,
               std::string_view plaintext, std::string* ciphertext_b64) {
  check_fits_int(plaintext);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return crypto_failure();
  const Error e = start(ctx.get(), true, key, nonce, associated_data);
  if (e != Error::kOk) return e;
  std::string out(plaintext.size() + kGcmTagBytes, '\0');
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  int length = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out_bytes, &length, bytes(plaintext),
                                              static_cast<int>(plaintext.size())) != 1) {
    return crypto_failure();
  }
  int final_length = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out_bytes + length, &final_length) != 1) {
    return crypto_failure();
  }
  const size_t body_length = core::checked_cast<size_t>(length + final_length);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes),
                          out_bytes + body_length) != 1) {
    return crypto_failure();
  }
  out.resize(body_length + kGcmTagBytes);
  *ciphertext_b64 = base64_encode(out);
  return Error::kOk;
}

Error aead_decrypt(std::string_view apiv3_key, std::string_view nonce,
                   std::string_view associated_data, std::string_view ciphertext_b64,
                   std::string* plaintext) {
  if (apiv3_key.size() != kApiV3KeyBytes) return Error::kBadKeyLength;
  return gcm_open(apiv3_key, nonce, associated_data, ciphertext_b64, plaintext);
}

Error aead_encrypt(std::string_view apiv3_key, std::string_view nonce,
                   std::string_view associated_data, std::string_view plaintext,
                   std::string* ciphertext_b64) {
  if (apiv3_key.size() != kApiV3KeyBytes) return Error::kBadKeyLength;
  return gcm_seal(apiv3_key, nonce, associated_data, plaintext, ciphertext_b64);
}

}  // namespace oncepay::channels::wechatpay
