// Tests of channels/alipay/alipay_keys.hpp: key formats, size check, errors
// that never echo key material, RSA2 sign/verify, strict base64.
#include "channels/alipay/alipay_keys.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "alipay_vectors.hpp"

namespace oncepay::channels::alipay {
namespace {

using testing::generated_key_pem;
using testing::str;

std::string strip_armour(std::string_view pem) {
  std::string body;
  size_t start = pem.find('\n') + 1;
  size_t end = pem.find("-----END");
  for (char c : pem.substr(start, end - start)) {
    if (c != '\n') body.push_back(c);
  }
  return body;
}

// A PEM of `key` written by OpenSSL in the given structure.
std::string pem_of(EVP_PKEY* key, bool traditional_private) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (traditional_private) {
    PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string small_key_pem() {
  EVP_PKEY* key = EVP_RSA_gen(1024);
  std::string pem = pem_of(key, true);
  EVP_PKEY_free(key);
  return pem;
}

TEST(AlipayKeys, LoadsPkcs8PrivateKeyPem) {
  std::string error;
  EXPECT_TRUE(load_private_key(generated_key_pem("alipay_app_rsa_private_key_pkcs8"), &error))
      << error;
}

TEST(AlipayKeys, LoadsPkcs1PrivateKeyPem) {
  auto key = load_private_key(generated_key_pem("alipay_app_rsa_private_key_pkcs8"), nullptr);
  const std::string pkcs1 = pem_of(key->get(), true);
  ASSERT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  std::string error;
  EXPECT_TRUE(load_private_key(pkcs1, &error)) << error;
}

TEST(AlipayKeys, LoadsBareBase64PrivateKey) {
  const std::string bare = strip_armour(generated_key_pem("alipay_app_rsa_private_key_pkcs8"));
  std::string error;
  auto key = load_private_key(bare, &error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(fingerprint_sha256(public_half(*key)), fingerprint_sha256(testing::app_public_key()));
}

TEST(AlipayKeys, LoadsBareBase64PublicKeyFromTheNodeSdkVector) {
  const auto& set = testing::alipay_rsa2().at("sets").at(1);
  std::string error;
  auto bare = load_public_key(str(set.at("notify_public_key_inline_v1"), "base64_der"), &error);
  ASSERT_TRUE(bare) << error;
  auto pem = load_public_key(str(set.at("notify_public_key_inline_v1"), "pem"), &error);
  ASSERT_TRUE(pem) << error;
  EXPECT_EQ(fingerprint_sha256(*bare), fingerprint_sha256(*pem));
  EXPECT_EQ(key_bits(*pem), 2048);
}

TEST(AlipayKeys, LoadsPublicKeyFromCertificate) {
  const auto& set = testing::alipay_rsa2().at("sets").at(0);
  auto from_cert = load_public_key(str(set, "public_key_certificate_pem"), nullptr);
  auto from_pem = load_public_key(str(set, "public_key_pem"), nullptr);
  ASSERT_TRUE(from_cert && from_pem);
  EXPECT_EQ(fingerprint_sha256(*from_cert), fingerprint_sha256(*from_pem));
}

TEST(AlipayKeys, FingerprintIsSha256HexOfSpki) {
  const std::string fp = fingerprint_sha256(testing::app_public_key());
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(fp, fingerprint_sha256(testing::platform_public_key()));
}

TEST(AlipayKeys, RefusesSmallKeyNamingItsSize) {
  std::string error;
  EXPECT_FALSE(load_private_key(small_key_pem(), &error));
  EXPECT_NE(error.find("1024 bits"), std::string::npos) << error;
}

TEST(AlipayKeys, RefusesGarbageWithoutEchoingIt) {
  std::string error;
  EXPECT_FALSE(load_private_key("SECRETSECRET!!", &error));
  EXPECT_EQ(error.find("SECRET"), std::string::npos);
  EXPECT_FALSE(error.empty());
}

TEST(AlipayKeys, RefusesTruncatedPemWithoutEchoingIt) {
  std::string pem = generated_key_pem("alipay_app_rsa_private_key_pkcs8");
  pem.resize(pem.size() / 2);
  std::string error;
  EXPECT_FALSE(load_private_key(pem, &error));
  EXPECT_EQ(error.find(pem.substr(40, 20)), std::string::npos);
}

TEST(AlipayKeys, RefusesPublicKeyAsPrivate) {
  std::string error;
  EXPECT_FALSE(load_private_key(generated_key_pem("alipay_app_rsa_public_key"), &error));
}

TEST(AlipayKeys, RefusesPrivateKeyAsPublic) {
  std::string error;
  EXPECT_FALSE(load_public_key(generated_key_pem("alipay_app_rsa_private_key_pkcs8"), &error));
  EXPECT_FALSE(
      load_public_key(strip_armour(generated_key_pem("alipay_app_rsa_private_key_pkcs8")), &error));
}

TEST(AlipayKeys, RefusesEmptyText) {
  std::string error;
  EXPECT_FALSE(load_public_key("", &error));
  EXPECT_EQ(error, "key text is empty");
}

TEST(AlipayKeys, SignThenVerify) {
  const std::string sign = sign_rsa2_base64(testing::app_private_key(), "a=1&b=2");
  EXPECT_TRUE(verify_rsa2_base64(testing::app_public_key(), "a=1&b=2", sign));
  EXPECT_FALSE(verify_rsa2_base64(testing::app_public_key(), "a=1&b=3", sign));
  EXPECT_FALSE(verify_rsa2_base64(testing::platform_public_key(), "a=1&b=2", sign));
}

TEST(AlipayKeys, VerifyRefusesNonBase64AndEmpty) {
  EXPECT_FALSE(verify_rsa2_base64(testing::app_public_key(), "x", ""));
  EXPECT_FALSE(verify_rsa2_base64(testing::app_public_key(), "x", "wrong-sing"));
}

TEST(AlipayBase64, RoundTripsAndIsStrict) {
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_EQ(*base64_decode("YWJj"), "abc");
  EXPECT_EQ(*base64_decode("YQ=="), "a");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_FALSE(base64_decode("YWI"));
  EXPECT_FALSE(base64_decode("Y WI="));
  EXPECT_FALSE(base64_decode("Y=WI"));
  EXPECT_FALSE(base64_decode("YW-_"));
}

}  // namespace
}  // namespace oncepay::channels::alipay
