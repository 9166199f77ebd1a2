#include "actors/merchants.hpp"

#include <mutex>

#include "core/signature.hpp"

namespace oncepay::actors {

bool Merchants::insert(Merchant merchant) {
  std::unique_lock lock(mutex_);
  if (by_id_.count(merchant.merchant_id) != 0) return false;
  id_by_key_hash_[merchant.api_key_sha256] = merchant.merchant_id;
  by_id_.emplace(merchant.merchant_id, std::move(merchant));
  return true;
}

void Merchants::put(Merchant merchant) {
  std::unique_lock lock(mutex_);
  auto it = by_id_.find(merchant.merchant_id);
  if (it != by_id_.end()) {
    id_by_key_hash_.erase(it->second.api_key_sha256);
    by_id_.erase(it);
  }
  id_by_key_hash_[merchant.api_key_sha256] = merchant.merchant_id;
  by_id_.emplace(merchant.merchant_id, std::move(merchant));
}

bool Merchants::add(const std::string& merchant_id, const std::string& api_key,
                    const std::string& webhook_secret, core::Policy policy) {
  return insert(Merchant{merchant_id, core::sha256_hex(api_key), webhook_secret, policy});
}

bool Merchants::create(const std::string& merchant_id, core::Policy policy, std::string* api_key,
                       Merchant* created) {
  *api_key = "sk_live_" + core::random_token(24);
  Merchant m{merchant_id, core::sha256_hex(*api_key), "whsec_" + core::random_token(24), policy};
  if (!insert(m)) return false;
  *created = std::move(m);
  return true;
}

std::optional<Merchant> Merchants::authenticate(std::string_view api_key) const {
  if (api_key.empty()) return std::nullopt;
  const std::string hash = core::sha256_hex(api_key);
  std::shared_lock lock(mutex_);
  auto it = id_by_key_hash_.find(hash);
  if (it == id_by_key_hash_.end()) return std::nullopt;
  const Merchant& m = by_id_.at(it->second);
  if (!core::constant_time_equal(m.api_key_sha256, hash)) return std::nullopt;
  return m;
}

std::optional<Merchant> Merchants::get(const std::string& merchant_id) const {
  std::shared_lock lock(mutex_);
  auto it = by_id_.find(merchant_id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

core::Policy Merchants::policy_of(const std::string& merchant_id) const {
  auto m = get(merchant_id);
  return m ? m->policy : core::Policy::kStrict;
}

size_t Merchants::size() const {
  std::shared_lock lock(mutex_);
  return by_id_.size();
}

std::vector<std::string> Merchants::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(by_id_.size());
  for (const auto& [id, merchant] : by_id_) out.push_back(id);
  return out;
}

}  // namespace oncepay::actors
