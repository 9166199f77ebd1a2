#include "channels/wechatpay/account.hpp"

#include <openssl/evp.h>

#include <boost/json/array.hpp>

#include "channels/wechatpay/wechatpay_account.pb.h"
#include "codec/json.hpp"

namespace oncepay::channels::wechatpay {

namespace {

bool all_of(std::string_view text, bool (*ok)(char)) {
  for (char c : text) {
    if (!ok(c)) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_id_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

std::optional<AccountError> bad(std::string field, std::string message) {
  return AccountError{std::move(field), std::move(message)};
}

// SHA-256 of a secret's bytes, lower hex: shows which APIv3 key is set
// without showing it.
std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

boost::json::object Account::public_view() const {
  boost::json::object view;
  view["mchid"] = mchid;
  view["appid"] = appid;
  view["merchant_serial_no"] = merchant_serial_no;
  view["merchant_public_key_sha256"] = merchant_key_sha256;
  if (!platform_public_key_id.empty()) {
    view["platform_public_key_id"] = platform_public_key_id;
    view["platform_public_key_sha256"] = platform_public_key_sha256;
  }
  boost::json::array serials;
  for (const auto& s : platform_certificate_serials) serials.emplace_back(s);
  view["platform_certificate_serials"] = std::move(serials);
  view["apiv3_key_sha256"] = sha256_hex(apiv3_key);
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

  if (config.mchid().empty() || config.mchid().size() > 32 || !all_of(config.mchid(), is_digit)) {
    return bad("mchid", "mchid must be 1 to 32 digits");
  }
  out->mchid = config.mchid();
  if (config.appid().empty() || config.appid().size() > 32 || !all_of(config.appid(), is_id_char)) {
    return bad("appid", "appid must be 1 to 32 characters of [A-Za-z0-9_]");
  }
  out->appid = config.appid();
  if (config.merchant_serial_no().empty() || config.merchant_serial_no().size() > 64 ||
      !all_of(config.merchant_serial_no(), is_hex)) {
    return bad("merchant_serial_no", "merchant_serial_no must be the certificate serial in hex");
  }
  out->merchant_serial_no = config.merchant_serial_no();

  if (config.merchant_private_key_pem().empty()) {
    return bad("merchant_private_key_pem", "merchant_private_key_pem is required");
  }
  if (Error e = load_private_key(config.merchant_private_key_pem(), &out->merchant_key);
      e != Error::kOk) {
    return bad("merchant_private_key_pem",
               "merchant_private_key_pem: " + std::string(to_string(e)));
  }
  out->merchant_key_sha256 = public_key_fingerprint(public_key_of(out->merchant_key));

  const bool has_id = !config.platform_public_key_id().empty();
  const bool has_pem = !config.platform_public_key_pem().empty();
  if (has_id != has_pem) {
    return bad(has_id ? "platform_public_key_pem" : "platform_public_key_id",
               "platform_public_key_id and platform_public_key_pem go together");
  }
  if (has_id) {
    if (config.platform_public_key_id().rfind("PUB_KEY_ID_", 0) != 0 ||
        config.platform_public_key_id().size() > 64 ||
        !all_of(config.platform_public_key_id(), is_id_char)) {
      return bad("platform_public_key_id", "platform_public_key_id must be PUB_KEY_ID_ and digits");
    }
    PublicKey key;
    if (Error e = load_public_key(config.platform_public_key_pem(), &key); e != Error::kOk) {
      return bad("platform_public_key_pem",
                 "platform_public_key_pem: " + std::string(to_string(e)));
    }
    out->platform_public_key_id = config.platform_public_key_id();
    out->platform_public_key_sha256 = public_key_fingerprint(key);
    out->platform_keys.add(out->platform_public_key_id, std::move(key));
  }
  for (int i = 0; i < config.platform_certificates_pem_size(); ++i) {
    const std::string field = "platform_certificates_pem[" + std::to_string(i) + "]";
    Certificate cert;
    if (Error e = load_certificate(config.platform_certificates_pem(i), &cert); e != Error::kOk) {
      return bad(field, field + ": " + std::string(to_string(e)));
    }
    out->platform_certificate_serials.push_back(cert.serial_hex);
    out->platform_keys.add(cert.serial_hex, std::move(cert.key));
  }
  if (out->platform_keys.empty()) {
    return bad("platform_public_key_pem",
               "a platform key is required: platform_public_key_id with platform_public_key_pem, "
               "or platform_certificates_pem");
  }

  if (config.apiv3_key().size() != kApiV3KeyBytes) {
    return bad("apiv3_key", "apiv3_key must be 32 bytes");
  }
  out->apiv3_key = config.apiv3_key();

  if (config.base_url().empty()) config.set_base_url(std::string(kProductionBaseUrl));
  while (config.base_url().size() > 1 && config.base_url().back() == '/') {
    config.mutable_base_url()->pop_back();
  }
  if (!is_allowed_base_url(config.base_url())) {
    return bad("base_url", "base_url must be an https:// URL (http:// only to a loopback host)");
  }
  out->base_url = config.base_url();

  *canonical = codec::to_json(config);
  *account = std::move(out);
  return std::nullopt;
}

}  // namespace oncepay::channels::wechatpay
