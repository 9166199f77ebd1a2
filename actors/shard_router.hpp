// The shard router: the one place that maps an order key (merchant_id,
// merchant_order_no) or a payment_no to the shard that owns the order.
// Everything that sends a message to a shard (the router actors' requests,
// actors/engine_router.hpp; the recovered orders; the stored-timer
// wake-ups) asks it; nothing else computes a shard.
//
// The mapping. An order's shard is XXH3-64 of its key bytes
// (order_key_bytes) modulo the shard count: stable across restarts as long
// as the count does not change, and the count cannot change for a data dir
// (it is baked into every payment_no; Durability refuses to start when the
// configured count differs from the one in the snapshot's `layout` table,
// docs/DURABILITY.md). A payment_no carries its order's shard
// (docs/API.md "Ids"): 'P', the shard as 4 decimal digits, the creation ms
// (13 digits), a per-boot nonce (4 characters), a counter (8 digits) = 30
// characters. Payment numbers made before the shard field existed are 26
// characters ('P', 13, 4, 8) and carry no shard. The rule: a payment_no is
// of the new format iff it is kPaymentNoSize characters long, starts with
// 'P' and its characters 1..4 are decimal digits; anything else (the old
// format, or an id oncepay never made) has no shard, and the router actor
// finds its order key (the recovered WAL tail's legacy payment numbers, then
// the snapshot's `payments` table, which holds every other old-format
// payment_no) and routes by key.
//
// How a payment_no finds its order without a global index: the payment_no
// names the shard, and the shard maps payment_no -> order key itself. Each
// shard indexes the payment numbers of its own orders (the order actors
// report every new one; parked and loaded orders are indexed on arrival),
// and for an order not in memory falls back to the snapshot's `payments`
// table (actors/shard.hpp). Nothing outside a shard maps a new-format
// payment_no to a key, so the index scales with the shards (and, later,
// lives on the node that owns them).
//
// Threads and ownership: a ShardRouter is immutable once built (the engine
// builds it after spawning the shards and shares it, const, with the
// stored-timer actor); every member may be called from any thread. It holds
// handles to the shards but does not own their lifetime (the engine stops
// them). The free functions are pure.
//
// Failure modes: route() cannot fail (every key has a shard);
// route_payment() answers nullopt for a payment_no without a shard field
// (route by the order key instead) and for a shard field out of range (no
// such payment: it was not made with this data dir's shard count). Programmer
// errors (an empty router, a shard count above kMaxShards) stop the process
// (ONCEPAY_CHECK).
//
// The intended extension (a cluster, docs/ARCHITECTURE.md "The routing
// seam"): shards are grouped in partitions, each with its own WAL and
// snapshot, and a node owns a partition through an etcd lease whose
// revision fences every WAL append of that partition. Then route() maps
// key -> shard -> partition -> the owner node's shard actor (a remote
// handle through the CAF middleman when another node owns it), and a
// partition whose owner is unknown or whose lease was lost answers "not
// ready" rather than guessing. The shard number, hence every payment_no,
// stays the same: only the shard -> partition -> node step is added behind
// this interface.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/messages.hpp"

namespace oncepay::actors {

// The shard field is 4 decimal digits; engine.shards is at most 4096.
inline constexpr size_t kMaxShards = 9999;
inline constexpr size_t kPaymentNoShardDigits = 4;
// 'P' + shard + ms + nonce + counter.
inline constexpr size_t kPaymentNoSize = 1 + kPaymentNoShardDigits + 13 + 4 + 8;
// The format before the shard field: 'P' + ms + nonce + counter.
inline constexpr size_t kLegacyPaymentNoSize = 1 + 13 + 4 + 8;
// Channels take out_trade_no of at most 32 characters.
static_assert(kPaymentNoSize <= 32 && kPaymentNoSize != kLegacyPaymentNoSize);

// Which of `shard_count` shards owns the order. Pure.
size_t shard_of(const OrderKey& key, size_t shard_count);

// The shard field of a new-format payment_no (whatever its range); nullopt
// when payment_no has none (the old format, or not one of ours). Pure.
std::optional<size_t> payment_no_shard(std::string_view payment_no);

// A new-format payment_no: 'P', `shard` as 4 digits, then `rest` (the
// creation ms, the nonce, the counter; kPaymentNoSize - 5 characters).
std::string make_payment_no(size_t shard, std::string_view rest);

class ShardRouter {
 public:
  // `shards` are the engine's shards, in shard-number order.
  explicit ShardRouter(std::vector<shard_actor> shards);

  size_t shard_count() const { return shards_.size(); }
  // The shard number of an order key.
  size_t shard_of(const OrderKey& key) const;
  // The shard that owns the order.
  const shard_actor& route(const OrderKey& key) const;
  // The shard number of a payment_no, if it carries one in range.
  std::optional<size_t> shard_of_payment(std::string_view payment_no) const;
  // The shard that owns the payment's order, when the payment_no says it
  // (nullopt: a legacy payment_no, routed by its order key; or out of range).
  std::optional<shard_actor> route_payment(std::string_view payment_no) const;
  // Shard number `index` (< shard_count()).
  const shard_actor& shard(size_t index) const;
  const std::vector<shard_actor>& shards() const { return shards_; }

 private:
  std::vector<shard_actor> shards_;
};

}  // namespace oncepay::actors
