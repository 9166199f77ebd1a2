// The WAL actor: the one door from the actor world to storage::Wal. Order
// actors (and the engine, for merchants) request an append and get the
// record's LSN back once the group commit holding it is durable, or an
// error. Callers await the answer before anything leaves the process (the
// write-ahead rule, DESIGN.md); the record's payload is a serialized
// oncepay.v1.WalRecord (docs/DURABILITY.md).
//
// Threads: storage::Wal runs its done callbacks on its writer thread. That
// thread never touches a response promise: it anon_sends a WalDoneMsg to
// this actor, which delivers the promise on its own CAF worker (a promise
// delivered from a foreign thread would enqueue through the actor's
// execution unit, which belongs to another thread).
//
// Failure: a failed append (write or fdatasync error: the Wal is sticky-
// failed) marks the engine's StorageHealth failed and answers an error. So
// does an append not durable within `timeout` (a stalled disk): callers
// request with caf::infinite and this actor bounds the wait itself, with one
// watchdog tick every timeout/4 while appends are outstanding instead of a
// CAF request timeout per append (each of which costs the actor clock a
// locked insert, a wake-up and a cancel: the largest item in the hot path's
// profile, docs/PERFORMANCE.md).
// Inline mode (the Wal has no writer thread: WalOptions::writer_thread off,
// for deterministic simulations): an append only queues, and the actor sends
// itself one WalFlushMsg that writes every append queued by then in one
// group commit on its own thread (Wal::write_queued()); the done callbacks
// then run there and send their WalDoneMsg as usual.
// Once the health is failed every append is refused at once, so a record is
// never written after one whose outcome is unknown. Appends before the WAL
// is open (recovery not finished) are refused too; the engine does not
// route requests before it is ready.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "storage/storage_health.hpp"

namespace oncepay::storage {
class Wal;
}

namespace oncepay::actors {

struct AppendMsg {
  std::string payload;  // a serialized v1::WalRecord
};

// Internal: the writer thread's answer for one append (token: which promise).
struct WalDoneMsg {
  uint64_t token = 0;
  uint64_t lsn = 0;
  bool ok = false;
  std::string error;
};

// Internal: the watchdog's tick.
struct WalTickMsg {};

// Internal, inline mode: write the queued appends now.
struct WalFlushMsg {};

using wal_actor =
    caf::typed_actor<caf::replies_to<AppendMsg>::with<uint64_t>, caf::reacts_to<WalDoneMsg>,
                     caf::reacts_to<WalTickMsg>, caf::reacts_to<WalFlushMsg>>;

// Where the actor finds the Wal: null until recovery opened it.
using WalSource = std::function<std::shared_ptr<storage::Wal>()>;

struct WalActorState {
  struct Waiting {
    caf::typed_response_promise<uint64_t> promise;
    caf::actor_clock::time_point deadline;
  };
  WalSource source;
  std::shared_ptr<storage::Wal> wal;
  std::shared_ptr<storage::StorageHealth> health;
  std::chrono::milliseconds timeout{10'000};
  uint64_t next_token = 0;
  std::map<uint64_t, Waiting> waiting;  // by token: oldest (earliest deadline) first
  bool ticking = false;
  bool inline_writes = false;  // the Wal has no writer thread
  bool flushing = false;       // a WalFlushMsg is on its way
  static inline const char* name = "oncepay.wal";
};

using wal_pointer = wal_actor::stateful_pointer<WalActorState>;

wal_actor::behavior_type wal_actor_impl(wal_pointer self, WalSource source,
                                        std::shared_ptr<storage::StorageHealth> health,
                                        std::chrono::milliseconds timeout,
                                        bool inline_writes = false);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, AppendMsg& x) {
  return f(caf::meta::type_name("oncepay.AppendMsg"), x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WalDoneMsg& x) {
  return f(caf::meta::type_name("oncepay.WalDoneMsg"), x.token, x.lsn, x.ok, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WalTickMsg&) {
  return f(caf::meta::type_name("oncepay.WalTickMsg"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WalFlushMsg&) {
  return f(caf::meta::type_name("oncepay.WalFlushMsg"));
}

}  // namespace oncepay::actors
