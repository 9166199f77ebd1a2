// A shard: owns the order actors of its slice of (merchant_id,
// merchant_order_no) keys (which slice: actors/shard_router.hpp). Shards hold no order state of
// their own, except the parked orders of a recovery until their actors are spawned.
//
// An order it has no actor for yet is looked up, in this order: among the
// parked orders (RestoreMsg: the orders the WAL tail touched, rebuilt by
// recovery), then in the stored snapshot (durable engines:
// OrderEnv::stored, lazy recovery, docs/DURABILITY.md). If found, the shard
// spawns its actor from that state (timers re-armed from their persisted
// due_ms) and hands it the message. Otherwise a pay request spawns a fresh
// order actor, and every other request is answered "not found" here
// without spawning anything. If the store cannot be read, the request is
// answered kStorageUnavailable and storage is marked failed. An order
// actor, once spawned, lives as long as its shard.
//
// WakeMsg (a timer of an order without an actor came due) spawns the
// order's actor the same way; for an order that has one it is ignored.
//
// Payment requests (GetPaymentMsg, NoticeMsg) arrive here because the
// payment_no names this shard (or, for a legacy payment_no, because its
// order key does; actors/engine_router.hpp). The shard maps the payment_no
// to its order through its own index of its orders' payment numbers:
// order actors report each payment_no they make (PaymentNoMsg, sent once
// the attempt is durable and before the reply that shows it, so a
// notification that follows the reply finds it), and parked or loaded
// orders are indexed when they arrive. A payment_no not in the index
// belongs to an order not in memory: the snapshot's `payments` table
// (StoredOrders::find_payment) gives its key. Another merchant's payment
// (GetPaymentMsg::merchant_id) is not found.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"

namespace oncepay::actors {

struct ShardState {
  std::unordered_map<std::string, order_actor> orders;    // by storage::order_key_bytes
  std::unordered_map<std::string, RestoredOrder> parked;  // no actor yet; same keys
  std::unordered_map<std::string, OrderKey> payments;     // payment_no -> order, in memory
  static inline const char* name = "oncepay.shard";
};

using shard_pointer = shard_actor::stateful_pointer<ShardState>;

shard_actor::behavior_type shard_impl(shard_pointer self, std::shared_ptr<const OrderEnv> env);

}  // namespace oncepay::actors
