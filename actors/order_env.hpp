// What every order actor of one engine shares: settings, the channels, the
// clock and the payment_no generator. Built once by the
// engine; immutable afterwards except for the thread-safe members.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "actors/merchants.hpp"
#include "actors/messages.hpp"
#include "actors/order_observer.hpp"
#include "actors/review_index.hpp"
#include "actors/wal_actor.hpp"
#include "actors/webhooks.hpp"
#include "core/config.hpp"
#include "storage/storage_health.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::actors {

struct OrderEnv {
  core::PaymentConfig payment;
  // Every channel call of an order actor is bounded by this.
  std::chrono::milliseconds channel_timeout{5000};
  std::map<std::string, channel_actor, std::less<>> channels;
  // The review list's read copy; never null.
  std::shared_ptr<ReviewIndex> reviews = std::make_shared<ReviewIndex>();

  // Merchant webhooks: deliveries go to `webhooks` (an invalid handle: none
  // can be made, every attempt counts as failed) and are awaited for at most
  // webhook_timeout (keep it above the client's connect + request timeouts).
  // `merchants` (shared with the engine; an actor may outlive the engine at
  // shutdown) has the webhook secrets.
  webhook_actor webhooks;
  std::chrono::milliseconds webhook_timeout{12'000};
  std::shared_ptr<const Merchants> merchants;

  // Durability (docs/DURABILITY.md). An invalid `wal` handle means an
  // in-memory engine: events are recorded at once. Otherwise every step's
  // events are appended through `wal` and awaited; the WAL actor answers
  // within storage_timeout (a slower append counts as a storage failure).
  wal_actor wal;
  std::chrono::milliseconds storage_timeout{10'000};
  std::shared_ptr<storage::StorageHealth> storage = std::make_shared<storage::StorageHealth>();
  // Lazy recovery: the orders the last checkpoint stored, which shards load
  // on first use. Null in an in-memory engine.
  std::shared_ptr<const storage::StoredOrders> stored;

  // Wall-clock time derived from the actor clock, so that tests running on
  // CAF's test coordinator see simulated time everywhere.
  int64_t wall_base_ms = 0;
  caf::actor_clock::time_point steady_base;
  int64_t now_ms(caf::actor_clock& clock) const;

  // Globally unique payment_no of an attempt of the order `key`: 'P', the
  // order's shard (shard_of(key, shard_count), 4 digits), creation ms, the
  // per-boot nonce (4 characters), a counter (actors/shard_router.hpp).
  size_t shard_count = 1;
  std::string boot_nonce = "0000";
  mutable std::atomic<uint64_t> next_id{0};
  std::string new_payment_no(int64_t now_ms, const OrderKey& key) const;

  std::atomic<uint64_t> live_orders{0};

  // Counters for /metrics and the optional state-change log; never null.
  std::shared_ptr<OrderObserver> observer = std::make_shared<OrderObserver>();
};

}  // namespace oncepay::actors
