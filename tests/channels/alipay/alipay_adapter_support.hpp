// Test support for the alipay adapter and plug-in: the generated test keys
// (tests/channels/vectors/generated_locally.json, via the simulator tests'
// support) as merchants' accounts in a ChannelAccounts, parsed by the real
// account parser; signed notification bodies built with the protocol part.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "../../apps/sim_test_support.hpp"
#include "channels/accounts.hpp"
#include "channels/alipay/account.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::channels::alipay::testing {

using apps::testing::vector_key;

inline constexpr const char* kAppId = "2021000000000001";
inline constexpr const char* kOtherAppId = "2021000000000002";

// The admin body of an account with the vector keys.
inline std::string account_body(std::string_view app_id, std::string_view base_url) {
  boost::json::object o;
  o["app_id"] = app_id;
  o["app_private_key_pem"] = vector_key("alipay_app_rsa_private_key_pkcs8");
  o["alipay_public_key_pem"] = vector_key("alipay_platform_rsa_public_key");
  o["base_url"] = base_url;
  return boost::json::serialize(o);
}

// Puts `merchant_id`'s alipay account (parsed by parse_account) into `accounts`.
inline void put_account(ChannelAccounts& accounts, const std::string& merchant_id,
                        std::string_view app_id, std::string_view base_url) {
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  auto error = parse_account(account_body(app_id, base_url), &account, &canonical);
  ASSERT_FALSE(error.has_value()) << error->field << ": " << error->message;
  accounts.put(merchant_id, "alipay", std::move(account));
}

inline RsaPrivateKey platform_key() {
  std::string error;
  auto key = load_private_key(vector_key("alipay_platform_rsa_private_key_pkcs8"), &error);
  EXPECT_TRUE(key.has_value()) << error;
  return std::move(*key);
}

// A trade_status_sync notification as Alipay sends it, signed (V1) with the
// platform key; notify_time = sent_unix_ms.
inline Params notification_fields(std::string_view app_id, std::string_view out_trade_no,
                                  std::string_view total_amount, int64_t sent_unix_ms) {
  Params f;
  f["notify_time"] = format_timestamp(sent_unix_ms);
  f["notify_type"] = "trade_status_sync";
  f["notify_id"] = "n-1";
  f["app_id"] = std::string(app_id);
  f["charset"] = "utf-8";
  f["version"] = "1.0";
  f["trade_no"] = "2026113022001400001";
  f["out_trade_no"] = std::string(out_trade_no);
  f["trade_status"] = "TRADE_SUCCESS";
  f["total_amount"] = std::string(total_amount);
  return f;
}

}  // namespace oncepay::channels::alipay::testing
