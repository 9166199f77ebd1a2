#include "actors/shard_router.hpp"

#include <xxhash.h>

#include "core/check.hpp"
#include "storage/snapshot_layout.hpp"

namespace oncepay::actors {

size_t shard_of(const OrderKey& key, size_t shard_count) {
  ONCEPAY_CHECK(shard_count > 0 && shard_count <= kMaxShards);
  const std::string k = storage::order_key_bytes(key.merchant_id, key.merchant_order_no);
  return static_cast<size_t>(XXH3_64bits(k.data(), k.size()) % shard_count);
}

std::optional<size_t> payment_no_shard(std::string_view payment_no) {
  if (payment_no.size() != kPaymentNoSize || payment_no[0] != 'P') return std::nullopt;
  size_t shard = 0;
  for (size_t i = 1; i <= kPaymentNoShardDigits; ++i) {
    const char c = payment_no[i];
    if (c < '0' || c > '9') return std::nullopt;
    shard = shard * 10 + static_cast<size_t>(c - '0');
  }
  return shard;
}

std::string make_payment_no(size_t shard, std::string_view rest) {
  ONCEPAY_CHECK(shard < kMaxShards);
  ONCEPAY_CHECK(rest.size() == kPaymentNoSize - 1 - kPaymentNoShardDigits);
  std::string out(1 + kPaymentNoShardDigits, '0');
  out[0] = 'P';
  for (size_t i = kPaymentNoShardDigits, n = shard; i >= 1; --i, n /= 10) {
    out[i] = static_cast<char>('0' + n % 10);
  }
  out.append(rest);
  // Checked again as it will be read back.
  ONCEPAY_CHECK(payment_no_shard(out) == shard);
  return out;
}

ShardRouter::ShardRouter(std::vector<shard_actor> shards) : shards_(std::move(shards)) {
  ONCEPAY_CHECK(!shards_.empty() && shards_.size() <= kMaxShards);
}

size_t ShardRouter::shard_of(const OrderKey& key) const {
  return actors::shard_of(key, shards_.size());
}

const shard_actor& ShardRouter::route(const OrderKey& key) const { return shards_[shard_of(key)]; }

std::optional<size_t> ShardRouter::shard_of_payment(std::string_view payment_no) const {
  auto shard = payment_no_shard(payment_no);
  if (!shard || *shard >= shards_.size()) return std::nullopt;
  return shard;
}

std::optional<shard_actor> ShardRouter::route_payment(std::string_view payment_no) const {
  auto shard = shard_of_payment(payment_no);
  if (!shard) return std::nullopt;
  return shards_[*shard];
}

const shard_actor& ShardRouter::shard(size_t index) const {
  ONCEPAY_CHECK(index < shards_.size());
  return shards_[index];
}

}  // namespace oncepay::actors
