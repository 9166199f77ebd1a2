// The wechatpay channel account (channels/wechatpay/account.hpp): the admin
// body's checks, one named test per refusal, and that no secret reaches the
// view.
#include "channels/wechatpay/account.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {
using namespace testing;  // NOLINT: the vector helpers

std::string key_pem(std::string_view name) { return str(at(at(generated(), "keys"), name), "pem"); }

boost::json::object valid_body() {
  boost::json::object body;
  body["mchid"] = "1230000109";
  body["appid"] = "wxd678efh567hg6787";
  body["merchant_serial_no"] = "F5765756002FDD77";
  body["merchant_private_key_pem"] = key_pem("wechatpay_test_rsa_private_key_pkcs8");
  body["platform_public_key_id"] = "PUB_KEY_ID_0112345678902025010100000001";
  body["platform_public_key_pem"] = key_pem("wechatpay_test_rsa_public_key");
  body["apiv3_key"] = "0123456789abcdef0123456789abcdef";
  return body;
}

std::optional<AccountError> parse(const boost::json::object& body,
                                  std::shared_ptr<const ChannelAccount>* account = nullptr,
                                  std::string* canonical = nullptr) {
  std::shared_ptr<const ChannelAccount> a;
  std::string c;
  auto error = parse_account(boost::json::serialize(body), account ? account : &a,
                             canonical ? canonical : &c);
  return error;
}

std::string field_of(const std::optional<AccountError>& error) {
  return error ? error->field : "<accepted>";
}

TEST(WechatpayAccount, ValidBodyParsesWithDefaultBaseUrl) {
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  ASSERT_FALSE(parse(valid_body(), &account, &canonical));
  auto typed = std::dynamic_pointer_cast<const Account>(account);
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->base_url, kProductionBaseUrl);
  EXPECT_EQ(typed->mchid, "1230000109");
  EXPECT_NE(typed->platform_keys.find("PUB_KEY_ID_0112345678902025010100000001"), nullptr);
  // The canonical form parses back to the same account.
  std::shared_ptr<const ChannelAccount> again;
  std::string canonical_again;
  ASSERT_FALSE(parse_account(canonical, &again, &canonical_again));
  EXPECT_EQ(canonical, canonical_again);
}

TEST(WechatpayAccount, ViewHasFingerprintsAndNoSecret) {
  std::shared_ptr<const ChannelAccount> account;
  ASSERT_FALSE(parse(valid_body(), &account));
  const std::string view = boost::json::serialize(account->public_view());
  EXPECT_EQ(view.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(view.find("PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(view.find("0123456789abcdef0123456789abcdef"), std::string::npos);
  EXPECT_NE(view.find("merchant_public_key_sha256"), std::string::npos);
  EXPECT_NE(view.find("apiv3_key_sha256"), std::string::npos);
}

TEST(WechatpayAccount, MissingMchidIsRefusedByName) {
  auto body = valid_body();
  body.erase("mchid");
  EXPECT_EQ(field_of(parse(body)), "mchid");
}

TEST(WechatpayAccount, NonDigitMchidIsRefused) {
  auto body = valid_body();
  body["mchid"] = "12a";
  EXPECT_EQ(field_of(parse(body)), "mchid");
}

TEST(WechatpayAccount, InvalidPrivateKeyPemIsRefused) {
  auto body = valid_body();
  body["merchant_private_key_pem"] =
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  EXPECT_EQ(field_of(parse(body)), "merchant_private_key_pem");
}

TEST(WechatpayAccount, PublicKeyWhereThePrivateKeyGoesIsRefused) {
  auto body = valid_body();
  body["merchant_private_key_pem"] = key_pem("wechatpay_test_rsa_public_key");
  EXPECT_EQ(field_of(parse(body)), "merchant_private_key_pem");
}

TEST(WechatpayAccount, ShortApiV3KeyIsRefused) {
  auto body = valid_body();
  body["apiv3_key"] = "0123456789abcdef";  // 16 bytes: AES-128, not APIv3
  EXPECT_EQ(field_of(parse(body)), "apiv3_key");
}

TEST(WechatpayAccount, PlatformKeyIdWithoutPemIsRefused) {
  auto body = valid_body();
  body.erase("platform_public_key_pem");
  EXPECT_EQ(field_of(parse(body)), "platform_public_key_pem");
}

TEST(WechatpayAccount, NoPlatformKeyAtAllIsRefused) {
  auto body = valid_body();
  body.erase("platform_public_key_pem");
  body.erase("platform_public_key_id");
  EXPECT_EQ(field_of(parse(body)), "platform_public_key_pem");
}

TEST(WechatpayAccount, BadPlatformKeyIdIsRefused) {
  auto body = valid_body();
  body["platform_public_key_id"] = "D7CE59D1F522D701";
  EXPECT_EQ(field_of(parse(body)), "platform_public_key_id");
}

TEST(WechatpayAccount, LegacyCertificatesAloneAreEnough) {
  auto body = valid_body();
  body.erase("platform_public_key_pem");
  body.erase("platform_public_key_id");
  boost::json::array certs;
  certs.emplace_back(
      str(at(at(generated(), "keys"), "wechatpay_test_platform_certificate"), "pem"));
  body["platform_certificates_pem"] = std::move(certs);
  std::shared_ptr<const ChannelAccount> account;
  ASSERT_FALSE(parse(body, &account));
  auto typed = std::dynamic_pointer_cast<const Account>(account);
  ASSERT_EQ(typed->platform_certificate_serials.size(), 1u);
  EXPECT_NE(typed->platform_keys.find(typed->platform_certificate_serials[0]), nullptr);
}

TEST(WechatpayAccount, HttpBaseUrlOnlyToLoopback) {
  auto body = valid_body();
  body["base_url"] = "http://127.0.0.1:8080";
  EXPECT_FALSE(parse(body));
  body["base_url"] = "http://localhost:8080/";
  EXPECT_FALSE(parse(body));
  body["base_url"] = "http://127.evil.example:8080";
  EXPECT_EQ(field_of(parse(body)), "base_url");
  body["base_url"] = "http://api.mch.weixin.qq.com";
  EXPECT_EQ(field_of(parse(body)), "base_url");
  body["base_url"] = "ftp://127.0.0.1";
  EXPECT_EQ(field_of(parse(body)), "base_url");
  body["base_url"] = "http://[::1]:8080";
  EXPECT_FALSE(parse(body));
}

TEST(WechatpayAccount, HostileBaseUrlsAreRefused) {
  for (const char* url :
       {"http://127.0.0.1/x\r\nX-Injected: 1", "http://[::1]evil.com", "http://[::1]@evil.com",
        "http://127.0.0.1:99999999999", "http://127.0.0.1:0", "https://a@evil.com/",
        "https://user:pw@evil.com", "http://127.0.0.1.evil.com", "http://localhost.evil",
        "http://127.1", "http://2130706433", "http://10.0.0.1", "http://0.0.0.0", "http://[::]",
        "https://api.mch.weixin.qq.com/?q=1", "https://", "http:///x"}) {
    auto body = valid_body();
    body["base_url"] = url;
    EXPECT_EQ(field_of(parse(body)), "base_url") << url;
  }
  auto body = valid_body();
  body["base_url"] = std::string("http://127.0.0.1\0.evil.com", 26);
  EXPECT_EQ(field_of(parse(body)), "base_url");
}

TEST(WechatpayAccount, BodyErrorsNameTheFieldAndNotTheValue) {
  auto body = valid_body();
  body["apiv3_key"] = 12345678901234567890.0;
  auto error = parse(body);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "apiv3_key");
  EXPECT_EQ(error->message.find("1234567890"), std::string::npos) << error->message;
  body = valid_body();
  body["extra"] = boost::json::object{};
  EXPECT_EQ(field_of(parse(body)), "extra");
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  auto dup = parse_account(R"({"mchid":"1","mchid":"2"})", &account, &canonical);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->field, "mchid");
}

TEST(WechatpayAccount, UnknownFieldIsRefused) {
  auto body = valid_body();
  body["apiv3Key"] = "x";
  auto error = parse(body);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("apiv3Key"), std::string::npos);
}

TEST(WechatpayAccount, NotJsonIsRefused) {
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  EXPECT_TRUE(parse_account("{", &account, &canonical));
  EXPECT_TRUE(parse_account("[]", &account, &canonical));
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
