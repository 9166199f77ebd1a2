// StoredOrders: read access, from any thread, to the orders the last
// checkpoint stored (the LMDB tables of docs/DURABILITY.md). It is what makes
// recovery lazy: a shard loads an order it does not hold from here on the
// first message for it, the engine finds a payment's order here when the
// in-memory payment index does not know it, and the stored-timer actor
// finds here the orders whose timers come due.
//
// Why a stored snapshot is exact for an order no shard holds: recovery hands
// every order the WAL tail touched to its shard, and an order actor, once
// spawned, lives until the engine stops; so an order no shard holds has had
// no event since the checkpoint, and the checkpointer never rewrites it.
//
// Threads and lifetime: load(), find_payment(), find_channel_trade(),
// scan_timers() and the ledger reads may run on
// any thread, concurrently with the storage thread's checkpoints; each is
// one LMDB read transaction opened and closed inside the call
// (SnapshotStore::read*). attach() and detach() belong to the
// storage thread (Durability): detach() waits for the reads in progress;
// before attach() and after detach() every read answers
// Status::io_error("the snapshot store is closed").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/order_key.hpp"
#include "core/order_state.hpp"
#include "core/recon_ledger.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/status.hpp"

namespace oncepay::storage {

class StoredOrders {
 public:
  void attach(const SnapshotStore* store);
  void detach();

  // The order's stored state. not_found if the snapshot does not hold it;
  // corruption if its stored snapshot does not parse.
  Status load(const core::OrderKey& key, core::OrderState* out) const;

  // The order owning payment_no (table `payments`). not_found if none.
  Status find_payment(const std::string& payment_no, core::OrderKey* out) const;

  // Calls fn(due_ms, order) for every stored timer with from_ms <= due_ms <
  // until_ms, in due order (an order once per timer it has there), and sets
  // *next_due_ms to the due time of the first stored timer at or after
  // until_ms (nullopt: there is none).
  using TimerFn = std::function<void(int64_t due_ms, core::OrderKey order)>;
  Status scan_timers(int64_t from_ms, int64_t until_ms, const TimerFn& fn,
                     std::optional<int64_t>* next_due_ms) const;

  // The attempts whose channel_trade_no is exactly `channel_trade_no`, at
  // any channel and of any merchant (table `channel_trades`, one prefix
  // scan), as of the last checkpoint: at most `max` of them, in (channel,
  // payment_no) order, into *out (replaced). *more is true when there were
  // more than `max`. A number `channel_trades` cannot hold
  // (searchable_channel_trade_no false) simply has none. corruption if a
  // row does not parse.
  struct ChannelTradeMatch {
    std::string channel;
    std::string payment_no;
    core::OrderKey order;
  };
  Status find_channel_trade(const std::string& channel_trade_no, size_t max,
                            std::vector<ChannelTradeMatch>* out, bool* more) const;

  // The reconciliation ledger (core/recon_ledger.hpp) as of the last
  // checkpoint: a reconciliation asks the engine for a checkpoint first.
  // The attempt payment_no, with its channel and paid_ms. not_found if the
  // snapshot has no such attempt; corruption if the row does not parse.
  Status ledger_payment(const std::string& payment_no, core::LedgerPayment* out) const;

  // Calls fn for every success ('P') and settled refund ('R') of the
  // merchant on the channel with from_ms <= business time < until_ms, in
  // time order. For 'P' the PlatformSuccess is set, for 'R' the
  // PlatformDayRefund.
  using LedgerDayFn = std::function<void(const core::PlatformSuccess* success,
                                         const core::PlatformDayRefund* refund)>;
  Status scan_ledger_days(const std::string& merchant_id, const std::string& channel,
                          int64_t from_ms, int64_t until_ms, const LedgerDayFn& fn) const;

 private:
  mutable std::shared_mutex mutex_;
  const SnapshotStore* store_ = nullptr;  // guarded by mutex_
};

}  // namespace oncepay::storage
