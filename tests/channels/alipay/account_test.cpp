// The alipay channel account (channels/alipay/account.hpp): the admin body's
// checks, one named test per refusal, and that no secret reaches the view.
#include "channels/alipay/account.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/channels/alipay/alipay_vectors.hpp"

namespace oncepay::channels::alipay {
namespace {
using namespace testing;  // NOLINT: the vector helpers

boost::json::object valid_body() {
  boost::json::object body;
  body["app_id"] = "2021000000000001";
  body["app_private_key_pem"] = generated_key_pem("alipay_app_rsa_private_key_pkcs8");
  body["alipay_public_key_pem"] =
      str(generated().at("keys").at("alipay_platform_rsa_public_key"), "pem");
  return body;
}

std::string field_of(const boost::json::object& body,
                     std::shared_ptr<const ChannelAccount>* out = nullptr) {
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  auto error = parse_account(boost::json::serialize(body), &account, &canonical);
  if (out) *out = account;
  return error ? error->field : "<accepted>";
}

TEST(AlipayAccount, ValidBodyParsesWithTheProductionGateway) {
  std::shared_ptr<const ChannelAccount> account;
  ASSERT_EQ(field_of(valid_body(), &account), "<accepted>");
  auto typed = std::dynamic_pointer_cast<const Account>(account);
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->base_url, kGatewayUrl);
  EXPECT_TRUE(typed->app_key.has_value());
}

TEST(AlipayAccount, BareBase64PublicKeyIsAccepted) {
  auto body = valid_body();
  body["alipay_public_key_pem"] = str(generated().at("keys").at("alipay_platform_rsa_public_key"),
                                      "base64_der_as_alipay_console_shows_it");
  EXPECT_EQ(field_of(body), "<accepted>");
}

TEST(AlipayAccount, ViewHasNoSecret) {
  std::shared_ptr<const ChannelAccount> account;
  ASSERT_EQ(field_of(valid_body(), &account), "<accepted>");
  const std::string view = boost::json::serialize(account->public_view());
  EXPECT_EQ(view.find("PRIVATE"), std::string::npos);
  EXPECT_NE(view.find("app_public_key_sha256"), std::string::npos);
}

TEST(AlipayAccount, MissingAppIdIsRefusedByName) {
  auto body = valid_body();
  body.erase("app_id");
  EXPECT_EQ(field_of(body), "app_id");
}

TEST(AlipayAccount, InvalidPrivateKeyIsRefused) {
  auto body = valid_body();
  body["app_private_key_pem"] = "not a key";
  EXPECT_EQ(field_of(body), "app_private_key_pem");
}

TEST(AlipayAccount, PrivateKeyWhereThePublicKeyGoesIsRefusedOrNotShown) {
  auto body = valid_body();
  body["alipay_public_key_pem"] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_EQ(field_of(body), "alipay_public_key_pem");
}

TEST(AlipayAccount, HttpGatewayOnlyToLoopback) {
  auto body = valid_body();
  body["base_url"] = "http://127.0.0.1:9000/gateway.do";
  EXPECT_EQ(field_of(body), "<accepted>");
  body["base_url"] = "http://openapi.alipay.com/gateway.do";
  EXPECT_EQ(field_of(body), "base_url");
}

}  // namespace
}  // namespace oncepay::channels::alipay
