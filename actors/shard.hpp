// A shard: owns the order actors of its slice of (merchant_id,
// merchant_order_no) keys. A pay request spawns the order's actor on first
// use; every other request for an order it never saw is answered 404 here
// without spawning anything. Shards hold no order state of their own.
// After a restart, RestoreMsg hands a shard the recovered orders of its
// slice; it spawns their actors at once (eager recovery, docs/DURABILITY.md).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"

namespace oncepay::actors {

struct ShardState {
  std::unordered_map<std::string, order_actor> orders;
  static inline const char* name = "oncepay.shard";
};

using shard_pointer = shard_actor::stateful_pointer<ShardState>;

shard_actor::behavior_type shard_impl(shard_pointer self, std::shared_ptr<const OrderEnv> env);

// Which of `shard_count` shards owns the order (stable across restarts).
size_t shard_of(const OrderKey& key, size_t shard_count);

}  // namespace oncepay::actors
