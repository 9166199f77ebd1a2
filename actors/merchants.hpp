// The merchant registry: who may call the merchant API, with which policy,
// and the secret their webhooks are signed with. API keys are stored only as
// SHA-256 hashes; authenticate() finds a merchant by the hash and confirms it
// with a constant-time comparison. Thread-safe (shared mutex): gateway
// threads authenticate every request, admin requests add merchants.
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/merchant.hpp"
#include "core/order_state.hpp"

namespace oncepay::actors {

using Merchant = core::Merchant;

using core::valid_merchant_id;

class Merchants {
 public:
  // Adds a merchant with a known key (the configured demo merchant).
  // False when the id exists.
  bool add(const std::string& merchant_id, const std::string& api_key,
           const std::string& webhook_secret, core::Policy policy);
  // Creates a merchant with a fresh api key and webhook secret; the clear
  // key is returned once in *api_key. False when the id exists.
  bool create(const std::string& merchant_id, core::Policy policy, std::string* api_key,
              Merchant* created);
  // Recovery: the merchant as the log or the snapshot has it. Replaces one
  // with the same id (the configured demo merchant, if its id collides).
  void put(Merchant merchant);
  std::optional<Merchant> authenticate(std::string_view api_key) const;
  std::optional<Merchant> get(const std::string& merchant_id) const;
  core::Policy policy_of(const std::string& merchant_id) const;
  size_t size() const;
  // Every merchant id, sorted (the reconciliation schedule).
  std::vector<std::string> ids() const;
  // Up to `limit` merchants in id order whose id is after `after_id` (""
  // from the first); *more says whether any come after the last one.
  std::vector<Merchant> list(std::string_view after_id, size_t limit, bool* more) const {
    std::vector<Merchant> out;
    std::shared_lock lock(mutex_);
    auto it = after_id.empty() ? by_id_.begin() : by_id_.upper_bound(after_id);
    for (; it != by_id_.end() && out.size() < limit; ++it) out.push_back(it->second);
    *more = it != by_id_.end();
    return out;
  }

 private:
  bool insert(Merchant merchant);

  mutable std::shared_mutex mutex_;
  std::map<std::string, Merchant, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> id_by_key_hash_;
};

}  // namespace oncepay::actors
