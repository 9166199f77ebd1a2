// The stored-timer actor of a durable engine: it makes the timers of the
// orders that have no actor yet (lazy recovery, docs/DURABILITY.md) fire on
// time. Those are the stored orders (table `timers`) and the orders the WAL
// tail touched, which recovery parks in their shards (ParkedTimersMsg: the
// next due time of each that has a timer armed). It works a window ahead:
// every timer due before now + window is sent to its order's shard (the
// shard router's route()) as a WakeMsg, delayed until its due time (at once if it is already due,
// e.g. a deadline that passed while the engine was down); then the actor sleeps until the next due
// time comes within half a window. A shard that gets a WakeMsg for an order without an actor spawns
// it (from its parked or stored state); the order actor re-arms every timer of the order from its
// persisted due_ms, so the one that came due fires at once. A WakeMsg for
// an order that has an actor is ignored: that actor armed its timers itself
// (this is also why the stale stored rows of the tail's orders are harmless).
//
// Only orders with an actor ever change, so the timers of the others never
// change and one pass over them, in due order, is enough. A failed read
// marks storage failed (STYLE rule 8) and is retried a window later. The
// engine sends ParkedTimersMsg (the first scan) at the end of recovery,
// after it handed the WAL tail's orders to their shards; tests may start
// with scan_timers_atom instead. In-memory engines have no such actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"
#include "actors/shard_router.hpp"

namespace oncepay::actors {

using scan_timers_atom = caf::atom_constant<caf::atom("scantimers")>;

// An order whose earliest armed timer is due at due_ms.
struct DueOrder {
  int64_t due_ms = 0;
  OrderKey key;
};

// The parked orders' next due times (any order), then a first scan.
struct ParkedTimersMsg {
  std::vector<DueOrder> due;
};

using stored_timers_actor =
    caf::typed_actor<caf::reacts_to<scan_timers_atom>, caf::reacts_to<ParkedTimersMsg>>;

struct StoredTimersState {
  int64_t scanned_until_ms = 0;  // every timer due before this was sent
  std::vector<DueOrder> parked;  // sorted by due_ms
  size_t next_parked = 0;        // parked[next_parked..] are not sent yet
  static inline const char* name = "oncepay.stored_timers";
};

using stored_timers_pointer = stored_timers_actor::stateful_pointer<StoredTimersState>;

stored_timers_actor::behavior_type stored_timers_impl(stored_timers_pointer self,
                                                      std::shared_ptr<const OrderEnv> env,
                                                      std::shared_ptr<const ShardRouter> router,
                                                      std::chrono::milliseconds window);

// The earliest due_ms of the order's armed timers (attempts, refunds,
// webhooks); nullopt when none is armed.
std::optional<int64_t> next_due_ms(const core::OrderState& state);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, DueOrder& x) {
  return f(caf::meta::type_name("oncepay.DueOrder"), x.due_ms, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ParkedTimersMsg& x) {
  return f(caf::meta::type_name("oncepay.ParkedTimersMsg"), x.due);
}

}  // namespace oncepay::actors
