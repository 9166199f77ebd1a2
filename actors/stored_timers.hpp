// The stored-timer actor of a durable engine: it makes the timers of the
// orders that no shard holds (lazy recovery, docs/DURABILITY.md) fire on
// time. It reads the `timers` table (StoredOrders::scan_timers) a window
// ahead: every stored timer due before now + window is sent to its order's
// shard as a WakeMsg, delayed until its due time (at once if it is already
// due, e.g. a deadline that passed while the engine was down); then the
// actor sleeps until the next stored due time comes within half a window.
// A shard that gets a WakeMsg for an order it does not hold loads it; the
// order actor re-arms every timer of the order from its persisted due_ms,
// so the one that came due fires at once. A WakeMsg for an order the shard
// holds is ignored: that order's actor armed its timers itself.
//
// Only orders an actor holds ever change, so the stored timers of the
// others never change and one pass over the table, in due order, is enough.
// A failed read marks storage failed (STYLE rule 8) and is retried a window
// later. The engine sends the first scan_timers_atom at the end of recovery,
// after it handed the WAL tail's orders to their shards (in-memory engines
// have no such actor).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"

namespace oncepay::actors {

using scan_timers_atom = caf::atom_constant<caf::atom("scantimers")>;

using stored_timers_actor = caf::typed_actor<caf::reacts_to<scan_timers_atom>>;

struct StoredTimersState {
  int64_t scanned_until_ms = 0;  // every stored timer due before this was sent
  static inline const char* name = "oncepay.stored_timers";
};

using stored_timers_pointer = stored_timers_actor::stateful_pointer<StoredTimersState>;

stored_timers_actor::behavior_type stored_timers_impl(stored_timers_pointer self,
                                                      std::shared_ptr<const OrderEnv> env,
                                                      std::vector<shard_actor> shards,
                                                      std::chrono::milliseconds window);

}  // namespace oncepay::actors
