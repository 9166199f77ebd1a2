// Tests for channels/wechatpay/keys: loading every key and certificate of
// the official vectors (wechatpay_rsa_sha256.json), serials, fingerprints,
// the refusals (garbage, encrypted, EC, 1024-bit), and SHA256withRSA
// signatures that reproduce and verify the official ones.
#include "channels/wechatpay/keys.hpp"

#include <gtest/gtest.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "channels/wechatpay/base64.hpp"
#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using testing::at;
using testing::load_vectors;
using testing::str;

const boost::json::value& rsa_sets() {
  static const boost::json::value v = at(load_vectors("wechatpay_rsa_sha256.json"), "sets");
  return v;
}
const boost::json::value& go_set() { return rsa_sets().as_array()[0]; }
const boost::json::value& java_set() { return rsa_sets().as_array()[1]; }

// PEM text of `key` written by OpenSSL: PKCS#1 ("traditional") or an
// AES-encrypted PKCS#8.
std::string write_pem(EVP_PKEY* key, bool pkcs1, bool encrypted) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  char password[] = "secret";
  if (pkcs1) {
    EXPECT_EQ(
        PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        1);
  } else {
    EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, encrypted ? EVP_aes_256_cbc() : nullptr,
                                            encrypted ? password : nullptr, encrypted ? 6 : 0,
                                            nullptr, nullptr),
              1);
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

TEST(WechatpayKeys, LoadsTheGoPkcs8PrivateKey) {
  PrivateKey key;
  ASSERT_EQ(load_private_key(str(go_set(), "private_key_pkcs8_pem"), &key), Error::kOk);
  EXPECT_FALSE(key.empty());
  EXPECT_EQ(key_bits(public_key_of(key)), 2048);
}

TEST(WechatpayKeys, LoadsAPkcs1PrivateKey) {
  PrivateKey pkcs8;
  ASSERT_EQ(load_private_key(str(go_set(), "private_key_pkcs8_pem"), &pkcs8), Error::kOk);
  const std::string pem = write_pem(pkcs8.get(), true, false);
  ASSERT_NE(pem.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  PrivateKey pkcs1;
  ASSERT_EQ(load_private_key(pem, &pkcs1), Error::kOk);
  EXPECT_EQ(public_key_fingerprint(public_key_of(pkcs1)),
            public_key_fingerprint(public_key_of(pkcs8)));
}

TEST(WechatpayKeys, LoadsAPkcs1PublicKey) {
  PublicKey spki;
  ASSERT_EQ(load_public_key(str(go_set(), "public_key_pem"), &spki), Error::kOk);
  std::unique_ptr<OSSL_ENCODER_CTX, decltype(&OSSL_ENCODER_CTX_free)> encoder(
      OSSL_ENCODER_CTX_new_for_pkey(spki.get(), EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific",
                                    nullptr),
      OSSL_ENCODER_CTX_free);
  ASSERT_NE(encoder, nullptr);
  unsigned char* data = nullptr;
  size_t length = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(encoder.get(), &data, &length), 1);
  const std::string pem(reinterpret_cast<char*>(data), length);
  OPENSSL_free(data);
  ASSERT_NE(pem.find("BEGIN RSA PUBLIC KEY"), std::string::npos);
  PublicKey pkcs1;
  ASSERT_EQ(load_public_key(pem, &pkcs1), Error::kOk);
  EXPECT_EQ(public_key_fingerprint(pkcs1), public_key_fingerprint(spki));
}

TEST(WechatpayKeys, RefusesAnEcPublicKey) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
  ASSERT_NE(ec, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), ec.get()), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  PublicKey key;
  EXPECT_EQ(load_public_key(std::string(data, static_cast<size_t>(length)), &key),
            Error::kKeyNotRsa);
}

TEST(WechatpayKeys, RefusesAnEncryptedPrivateKeyWithoutPrompting) {
  PrivateKey key;
  ASSERT_EQ(load_private_key(str(go_set(), "private_key_pkcs8_pem"), &key), Error::kOk);
  const std::string pem = write_pem(key.get(), false, true);
  ASSERT_NE(pem.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  PrivateKey out;
  EXPECT_EQ(load_private_key(pem, &out), Error::kKeyParse);
  EXPECT_TRUE(out.empty());
}

TEST(WechatpayKeys, RefusesGarbageAndEmptyText) {
  PrivateKey priv;
  PublicKey pub;
  Certificate cert;
  EXPECT_EQ(load_private_key("", &priv), Error::kKeyParse);
  EXPECT_EQ(
      load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &priv),
      Error::kKeyParse);
  EXPECT_EQ(load_public_key("not a key", &pub), Error::kKeyParse);
  EXPECT_EQ(load_certificate(str(go_set(), "public_key_pem"), &cert), Error::kKeyParse);
  EXPECT_EQ(load_public_key(str(go_set(), "private_key_pkcs8_pem"), &pub), Error::kKeyParse);
  EXPECT_EQ(load_public_key(str(at(go_set(), "certificates").as_array()[0], "pem"), &pub),
            Error::kKeyParse);  // a certificate goes through load_certificate (serial)
}

TEST(WechatpayKeys, RefusesAnEcKey) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
  ASSERT_NE(ec, nullptr);
  PrivateKey key;
  EXPECT_EQ(load_private_key(write_pem(ec.get(), false, false), &key), Error::kKeyNotRsa);
}

TEST(WechatpayKeys, RefusesA1024BitRsaKey) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> small(EVP_RSA_gen(1024), EVP_PKEY_free);
  ASSERT_NE(small, nullptr);
  PrivateKey key;
  EXPECT_EQ(load_private_key(write_pem(small.get(), false, false), &key), Error::kKeyTooSmall);
}

TEST(WechatpayKeys, CertificateSerialsAreUpperHex) {
  for (const auto& c : at(go_set(), "certificates").as_array()) {
    Certificate cert;
    ASSERT_EQ(load_certificate(str(c, "pem"), &cert), Error::kOk);
    EXPECT_EQ(cert.serial_hex, str(c, "serial_no"));
  }
  Certificate merchant;
  ASSERT_EQ(load_certificate(str(java_set(), "merchant_certificate_pem"), &merchant), Error::kOk);
  EXPECT_EQ(merchant.serial_hex, str(java_set(), "merchant_certificate_serial_no"));
  Certificate platform;
  ASSERT_EQ(load_certificate(str(java_set(), "wechat_pay_certificate_pem"), &platform), Error::kOk);
  EXPECT_EQ(platform.serial_hex, str(java_set(), "wechat_pay_certificate_serial_no"));
  EXPECT_EQ(testing::platform_certificate().serial_hex, "D7CE59D1F522D701");
}

TEST(WechatpayKeys, FingerprintIdentifiesThePublicKey) {
  PublicKey pub;
  ASSERT_EQ(load_public_key(str(go_set(), "public_key_pem"), &pub), Error::kOk);
  const std::string fingerprint = public_key_fingerprint(pub);
  EXPECT_EQ(fingerprint.size(), 64u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  // The Go certificates carry the same public key as the PEM; the Java
  // WeChat Pay public key is another one.
  Certificate cert;
  ASSERT_EQ(load_certificate(str(at(go_set(), "certificates").as_array()[0], "pem"), &cert),
            Error::kOk);
  EXPECT_EQ(public_key_fingerprint(cert.key), fingerprint);
  PublicKey other;
  ASSERT_EQ(load_public_key(str(java_set(), "wechat_pay_public_key_pem"), &other), Error::kOk);
  EXPECT_NE(public_key_fingerprint(other), fingerprint);
  EXPECT_EQ(public_key_fingerprint(public_key_of(testing::go_private_key())), fingerprint);
}

TEST(WechatpayKeys, GoSignatureVectors) {
  PrivateKey priv;
  PublicKey pub;
  ASSERT_EQ(load_private_key(str(go_set(), "private_key_pkcs8_pem"), &priv), Error::kOk);
  ASSERT_EQ(load_public_key(str(go_set(), "public_key_pem"), &pub), Error::kOk);
  for (const auto& c : at(go_set(), "cases").as_array()) {
    const std::string message = str(c, "message");
    const std::string signature = str(c, "signature");
    const bool valid = at(c, "expect_valid").as_bool();
    // The "invalid serial number" case is a key lookup failure: signature.hpp's
    // PlatformKeys (signature_test.cpp); the signature itself is genuine.
    if (c.as_object().contains("serial")) {
      PlatformKeys keys;
      keys.add(str(go_set(), "pubkey_verifier_id"), pub.share());
      EXPECT_EQ(keys.find(str(c, "serial")), nullptr);
      continue;
    }
    EXPECT_EQ(rsa_sha256_verify(pub, message, signature) == Error::kOk, valid)
        << message << " / " << signature.substr(0, 16);
    if (c.as_object().contains("sign_must_reproduce")) {
      std::string mine;
      ASSERT_EQ(rsa_sha256_sign(priv, message, &mine), Error::kOk);
      EXPECT_EQ(mine, signature);
    }
  }
}

TEST(WechatpayKeys, JavaSignatureVectors) {
  PrivateKey priv;
  ASSERT_EQ(load_private_key(str(java_set(), "merchant_private_key_pkcs8_pem"), &priv), Error::kOk);
  for (const auto& c : at(java_set(), "cases").as_array()) {
    const std::string with = str(c, "verify_with");
    PublicKey key;
    if (with == "merchant_certificate_pem") {
      Certificate cert;
      ASSERT_EQ(load_certificate(str(java_set(), with), &cert), Error::kOk);
      key = std::move(cert.key);
    } else {
      ASSERT_EQ(load_public_key(str(java_set(), with), &key), Error::kOk);
    }
    const bool valid = at(c, "expect_valid").as_bool();
    EXPECT_EQ(rsa_sha256_verify(key, str(c, "message"), str(c, "signature")) == Error::kOk, valid);
    if (c.as_object().contains("sign_must_reproduce_with")) {
      std::string mine;
      ASSERT_EQ(rsa_sha256_sign(priv, str(c, "message"), &mine), Error::kOk);
      EXPECT_EQ(mine, str(c, "signature"));
    }
  }
}

TEST(WechatpayKeys, VerifyNamesNonBase64AndFlippedSignatures) {
  const PublicKey pub = public_key_of(testing::go_private_key());
  std::string signature;
  ASSERT_EQ(rsa_sha256_sign(testing::go_private_key(), "message", &signature), Error::kOk);
  EXPECT_EQ(rsa_sha256_verify(pub, "message", signature), Error::kOk);
  EXPECT_EQ(rsa_sha256_verify(pub, "message", "not base64!"), Error::kBadBase64);
  EXPECT_EQ(rsa_sha256_verify(pub, "message", ""), Error::kBadSignature);
  std::string raw;
  ASSERT_TRUE(base64_decode(signature, &raw));
  raw[10] = static_cast<char>(raw[10] ^ 0x01);
  EXPECT_EQ(rsa_sha256_verify(pub, "message", base64_encode(raw)), Error::kBadSignature);
  EXPECT_EQ(rsa_sha256_verify(pub, "message", base64_encode(raw.substr(1))), Error::kBadSignature);
  EXPECT_EQ(rsa_sha256_verify(pub, "messagE", signature), Error::kBadSignature);
}

TEST(WechatpayKeys, SharedPublicKeyOutlivesItsSource) {
  PublicKey copy;
  {
    PublicKey pub;
    ASSERT_EQ(load_public_key(str(go_set(), "public_key_pem"), &pub), Error::kOk);
    copy = pub.share();
  }
  EXPECT_EQ(key_bits(copy), 2048);
}

TEST(WechatpayBase64, RoundTripsAndRefusesNonCanonicalText) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(s), &back));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string out;
  EXPECT_FALSE(base64_decode("Zm9", &out));        // length
  EXPECT_FALSE(base64_decode("Zm9v YmFy", &out));  // whitespace
  EXPECT_FALSE(base64_decode("Zh==", &out));       // bits under the padding
  EXPECT_FALSE(base64_decode("Zg==Zg==", &out));   // padding in the middle
  EXPECT_FALSE(base64_decode("Zm-v", &out));       // URL alphabet
  EXPECT_TRUE(base64_decode("Zg==", &out));
  EXPECT_EQ(out, "f");
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
