// A merchant's WeChat Pay account (docs/CHANNELS.md "WeChat Pay"): what the
// wechatpay adapter signs requests and verifies answers with, parsed from
// the admin body wechatpay_account.proto. Pure, no CAF.
//
// Checks (each failure names the field): mchid 1-32 digits; appid 1-32
// characters of [A-Za-z0-9_]; merchant_serial_no hex (A.5 serial_no);
// merchant_private_key_pem an RSA private key of >= 2048 bits (PKCS#8 or
// PKCS#1 PEM); the platform's key: platform_public_key_id (PUB_KEY_ID_...)
// with platform_public_key_pem, and/or platform_certificates_pem (legacy,
// keyed by certificate serial) — at least one; apiv3_key exactly 32 bytes
// (A.7: the AES-256-GCM key); base_url https://, or http:// to a loopback
// host only (the simulator), default kProductionBaseUrl.
//
// Threads and ownership: an Account is immutable once parsed and shared
// (shared_ptr) by the account store and the adapter's calls in flight.
// Secrets (the private key, the APIv3 key) stay inside; public_view() shows
// SHA-256 fingerprints instead.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/accounts.hpp"
#include "channels/wechatpay/keys.hpp"
#include "channels/wechatpay/signature.hpp"

namespace oncepay::channels::wechatpay {

// PROTOCOLS.md A.1: the direct-merchant host.
inline constexpr std::string_view kProductionBaseUrl = "https://api.mch.weixin.qq.com";
inline constexpr size_t kApiV3KeyBytes = 32;

class Account : public ChannelAccount {
 public:
  std::string mchid;
  std::string appid;
  std::string merchant_serial_no;
  PrivateKey merchant_key;  // secret
  std::string merchant_key_sha256;
  PlatformKeys platform_keys;  // by Wechatpay-Serial
  std::string platform_public_key_id;
  std::string platform_public_key_sha256;
  std::vector<std::string> platform_certificate_serials;
  std::string apiv3_key;  // secret
  std::string base_url;   // no trailing '/'

  boost::json::object public_view() const override;
};

// The AccountParser of the wechatpay channel (channels/accounts.hpp).
std::optional<AccountError> parse_account(std::string_view body,
                                          std::shared_ptr<const ChannelAccount>* account,
                                          std::string* canonical);

}  // namespace oncepay::channels::wechatpay
