// A merchant's Alipay account (docs/CHANNELS.md "Alipay"): what the alipay
// adapter signs requests and verifies answers with, parsed from the admin
// body alipay_account.proto. Pure, no CAF.
//
// Checks (each failure names the field): app_id 1-32 digits;
// app_private_key_pem an RSA private key of >= 2048 bits (PEM or bare
// base64, as Alipay's key tool writes it); alipay_public_key_pem an RSA
// public key of >= 2048 bits; base_url https://, or http:// to a loopback
// host only (the simulator), default kGatewayUrl (alipay_gateway.hpp).
//
// Threads and ownership: an Account is immutable once parsed and shared
// (shared_ptr) by the account store and the adapter's calls in flight. The
// private key stays inside; public_view() shows SHA-256 fingerprints.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "channels/accounts.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_keys.hpp"

namespace oncepay::channels::alipay {

class Account : public ChannelAccount {
 public:
  std::string app_id;
  std::optional<RsaPrivateKey> app_key;  // secret
  std::string app_public_key_sha256;
  std::optional<RsaPublicKey> alipay_key;
  std::string alipay_public_key_sha256;
  std::string base_url;

  boost::json::object public_view() const override;
};

// The AccountParser of the alipay channel (channels/accounts.hpp).
std::optional<AccountError> parse_account(std::string_view body,
                                          std::shared_ptr<const ChannelAccount>* account,
                                          std::string* canonical);

}  // namespace oncepay::channels::alipay
