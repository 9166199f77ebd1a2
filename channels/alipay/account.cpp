#include "channels/alipay/account.hpp"

#include "channels/alipay/alipay_account.pb.h"
#include "codec/json.hpp"

namespace oncepay::channels::alipay {

namespace {

std::optional<AccountError> bad(std::string field, std::string message) {
  return AccountError{std::move(field), std::move(message)};
}

}  // namespace

boost::json::object Account::public_view() const {
  boost::json::object view;
  view["app_id"] = app_id;
  view["app_public_key_sha256"] = app_public_key_sha256;
  view["alipay_public_key_sha256"] = alipay_public_key_sha256;
  view["base_url"] = base_url;
  return view;
}

std::optional<AccountError> parse_account(std::string_view body,
                                          std::shared_ptr<const ChannelAccount>* account,
                                          std::string* canonical) {
  v1::AccountConfig config;
  std::string why;
  if (!codec::parse_json(body, &config, &why)) return body_error(why);
  auto out = std::make_shared<Account>();

  const std::string& app_id = config.app_id();
  bool digits = !app_id.empty() && app_id.size() <= 32;
  for (char c : app_id) digits = digits && c >= '0' && c <= '9';
  if (!digits) return bad("app_id", "app_id must be 1 to 32 digits");
  out->app_id = app_id;

  if (config.app_private_key_pem().empty()) {
    return bad("app_private_key_pem", "app_private_key_pem is required");
  }
  std::string error;
  out->app_key = load_private_key(config.app_private_key_pem(), &error);
  if (!out->app_key) return bad("app_private_key_pem", "app_private_key_pem: " + error);
  out->app_public_key_sha256 = fingerprint_sha256(public_half(*out->app_key));

  if (config.alipay_public_key_pem().empty()) {
    return bad("alipay_public_key_pem", "alipay_public_key_pem is required");
  }
  out->alipay_key = load_public_key(config.alipay_public_key_pem(), &error);
  if (!out->alipay_key) return bad("alipay_public_key_pem", "alipay_public_key_pem: " + error);
  out->alipay_public_key_sha256 = fingerprint_sha256(*out->alipay_key);

  if (config.base_url().empty()) config.set_base_url(std::string(kGatewayUrl));
  if (!is_allowed_base_url(config.base_url())) {
    return bad("base_url", "base_url must be an https:// URL (http:// only to a loopback host)");
  }
  out->base_url = config.base_url();

  *canonical = codec::to_json(config);
  *account = std::move(out);
  return std::nullopt;
}

}  // namespace oncepay::channels::alipay
