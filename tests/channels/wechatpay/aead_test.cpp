// Tests for channels/wechatpay/aead: every case of wechatpay_aead_gcm.json
// (16-byte Go keys through gcm_open, 32-byte Java keys through aead_decrypt
// too), the Java encryption reproduced byte for byte, the API's refusal of
// non-32-byte keys, and tampering: truncated tag, flipped bytes, wrong AAD,
// nonce and key.
#include "channels/wechatpay/aead.hpp"

#include <gtest/gtest.h>

#include <string>

#include "channels/wechatpay/base64.hpp"
#include "channels/wechatpay/keys.hpp"
#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using testing::at;
using testing::str;

constexpr std::string_view kKey = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";  // Java TestConfig
constexpr std::string_view kNonce = "uluk4a9R25RW";

const boost::json::array& cases() {
  static const boost::json::value v = testing::load_vectors("wechatpay_aead_gcm.json");
  return at(v, "cases").as_array();
}

std::string sealed(std::string_view plaintext, std::string_view aad) {
  std::string out;
  EXPECT_EQ(aead_encrypt(kKey, kNonce, aad, plaintext, &out), Error::kOk);
  return out;
}

std::string flip(std::string_view ciphertext_b64, size_t index) {
  std::string raw;
  EXPECT_TRUE(base64_decode(ciphertext_b64, &raw));
  raw[index] = static_cast<char>(raw[index] ^ 0x01);
  return base64_encode(raw);
}

TEST(WechatpayAead, EveryOfficialVector) {
  for (const auto& c : cases()) {
    const std::string label = str(c, "label");
    const std::string expect = str(c, "expect");
    std::string plaintext;
    const Error e = gcm_open(str(c, "key"), str(c, "nonce"), str(c, "associated_data"),
                             str(c, "ciphertext_base64"), &plaintext);
    if (expect == "ok") {
      ASSERT_EQ(e, Error::kOk) << label;
      EXPECT_EQ(plaintext, str(c, "expected_plaintext")) << label;
    } else if (expect == "fail (base64 decode error)") {
      EXPECT_EQ(e, Error::kBadBase64) << label;
    } else if (expect == "fail (key size)") {
      EXPECT_EQ(e, Error::kBadKeyLength) << label;
    } else {
      // A tag that does not verify; 'SGVsbG8gV29ybGQK' is even shorter than a tag.
      EXPECT_TRUE(e == Error::kAuthFailed || e == Error::kTooShort)
          << label << ": " << to_string(e);
    }
  }
}

TEST(WechatpayAead, DecryptedPlatformCertificatesCarryTheirSerials) {
  int checked = 0;
  for (const auto& c : cases()) {
    if (!c.as_object().contains("expected_certificate_serial")) continue;
    std::string pem;
    ASSERT_EQ(gcm_open(str(c, "key"), str(c, "nonce"), str(c, "associated_data"),
                       str(c, "ciphertext_base64"), &pem),
              Error::kOk);
    Certificate cert;
    ASSERT_EQ(load_certificate(pem, &cert), Error::kOk) << str(c, "label");
    EXPECT_EQ(cert.serial_hex, str(c, "expected_certificate_serial"));
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(WechatpayAead, ThirtyTwoByteVectorsPassTheProductionApi) {
  int checked = 0;
  for (const auto& c : cases()) {
    if (str(c, "key").size() != kApiV3KeyBytes || str(c, "expect") != "ok") continue;
    std::string plaintext;
    ASSERT_EQ(aead_decrypt(str(c, "key"), str(c, "nonce"), str(c, "associated_data"),
                           str(c, "ciphertext_base64"), &plaintext),
              Error::kOk);
    EXPECT_EQ(plaintext, str(c, "expected_plaintext"));
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(WechatpayAead, ProductionApiRefusesSixteenByteKeys) {
  const auto& go = cases()[0];
  ASSERT_EQ(str(go, "key").size(), 16u);
  std::string plaintext;
  EXPECT_EQ(aead_decrypt(str(go, "key"), str(go, "nonce"), str(go, "associated_data"),
                         str(go, "ciphertext_base64"), &plaintext),
            Error::kBadKeyLength);
  std::string out;
  EXPECT_EQ(aead_encrypt(str(go, "key"), kNonce, "", "x", &out), Error::kBadKeyLength);
}

TEST(WechatpayAead, JavaEncryptionReproducesItsCiphertext) {
  for (const auto& c : cases()) {
    if (!c.as_object().contains("encrypt_must_equal_ciphertext")) continue;
    std::string out;
    ASSERT_EQ(aead_encrypt(str(c, "key"), str(c, "nonce"), str(c, "associated_data"),
                           str(c, "expected_plaintext"), &out),
              Error::kOk);
    EXPECT_EQ(out, str(c, "ciphertext_base64"));
  }
}

TEST(WechatpayAead, SealOpenRoundTripWithBothKeyLengths) {
  for (std::string_view key : {std::string_view("0123456789abcdef"), kKey}) {
    std::string ct, pt;
    ASSERT_EQ(gcm_seal(key, kNonce, "transaction", "{\"a\":1}", &ct), Error::kOk);
    ASSERT_EQ(gcm_open(key, kNonce, "transaction", ct, &pt), Error::kOk);
    EXPECT_EQ(pt, "{\"a\":1}");
  }
}

TEST(WechatpayAead, EmptyAssociatedDataAndEmptyPlaintext) {
  std::string pt = "not cleared";
  ASSERT_EQ(aead_decrypt(kKey, kNonce, "", sealed("", ""), &pt), Error::kOk);
  EXPECT_EQ(pt, "");
  ASSERT_EQ(aead_decrypt(kKey, kNonce, "", sealed("hello", ""), &pt), Error::kOk);
  EXPECT_EQ(pt, "hello");
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "x", sealed("hello", ""), &pt), Error::kAuthFailed);
}

TEST(WechatpayAead, WrongAssociatedDataFails) {
  EXPECT_EQ(
      [] {
        std::string pt;
        return aead_decrypt(kKey, kNonce, "transactions", sealed("hello", "transaction"), &pt);
      }(),
      Error::kAuthFailed);
}

TEST(WechatpayAead, WrongKeyFails) {
  std::string pt;
  EXPECT_EQ(
      aead_decrypt("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gc", kNonce, "t", sealed("hello", "t"), &pt),
      Error::kAuthFailed);
}

TEST(WechatpayAead, WrongNonceFails) {
  std::string pt;
  EXPECT_EQ(aead_decrypt(kKey, "uluk4a9R25RX", "t", sealed("hello", "t"), &pt), Error::kAuthFailed);
}

TEST(WechatpayAead, NonceOfAnotherLengthIsRefused) {
  std::string pt;
  EXPECT_EQ(aead_decrypt(kKey, "short", "t", sealed("hello", "t"), &pt), Error::kBadNonceLength);
  EXPECT_EQ(aead_decrypt(kKey, "uluk4a9R25RWx", "t", sealed("hello", "t"), &pt),
            Error::kBadNonceLength);
}

TEST(WechatpayAead, FlippedCiphertextByteFails) {
  std::string pt;
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "t", flip(sealed("hello", "t"), 0), &pt),
            Error::kAuthFailed);
}

TEST(WechatpayAead, FlippedTagByteFails) {
  std::string pt;
  const std::string ct = sealed("hello", "t");
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "t", flip(ct, 5 + kGcmTagBytes - 1), &pt),
            Error::kAuthFailed);
}

TEST(WechatpayAead, TruncatedTagFails) {
  std::string raw;
  ASSERT_TRUE(base64_decode(sealed("hello", "t"), &raw));
  std::string pt;
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "t", base64_encode(raw.substr(0, raw.size() - 1)), &pt),
            Error::kAuthFailed);
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "t", base64_encode(raw.substr(0, kGcmTagBytes - 1)), &pt),
            Error::kTooShort);
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "t", "", &pt), Error::kTooShort);
}

TEST(WechatpayAead, NonBase64CiphertextIsRefused) {
  std::string pt;
  EXPECT_EQ(aead_decrypt(kKey, kNonce, "t", "invalid cipher", &pt), Error::kBadBase64);
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
