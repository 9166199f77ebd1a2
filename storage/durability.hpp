// Durability: the storage thread of a durable engine. It owns the snapshot
// store (LMDB wants one writer thread: this one) and opens the WAL; it runs
// recovery once, then checkpoints periodically and on request. Formats,
// tables and the recovery and checkpoint rules: docs/DURABILITY.md.
//
// Recovery is lazy: it loads the merchants and rebuilds only the orders the
// WAL tail (the records after the checkpoint) touches; every other order
// stays in the snapshot and is read through stored() when it is first used
// (StoredOrders: any thread, concurrently with checkpoints).
//
// Checkpoints do not stop order actors. State is a fold of events, so the
// storage thread rebuilds the snapshot itself: it replays the WAL records
// after the last checkpoint (Wal::replay reads only durable records), folds
// them with core::apply into the stored snapshots of the orders they touch,
// and commits those orders, their payment_no index entries, their due
// timers, new merchants and the LSN folded up to in one LMDB transaction;
// then it deletes the WAL segments the checkpoint covers. Memory is bounded
// by the orders one commit touches (DurabilityOptions::max_orders_per_commit;
// a longer tail is committed in several transactions, each exact at its LSN).
//
// Threads and ownership: the engine owns the Durability. start() starts the
// storage thread; every callback (install, done) runs on it. wal() and
// stored() may be called from any thread. stop() (or the destructor) joins
// the thread and closes the WAL and the store (StoredOrders reads fail from
// then on); it may run on any thread but the storage thread. A WAL or LMDB
// failure marks the shared StorageHealth failed.
//
// Inline mode (DurabilityOptions::inline_storage, for deterministic runs on
// CAF's test coordinator: docs/SIMULATION.md): no thread at all. start()
// recovers, installs and calls done before it returns; checkpoint() takes
// the checkpoint before it returns; there are no periodic checkpoints; the
// WAL has no writer thread (WalOptions::writer_thread off: the WAL actor
// writes inline). Every call then comes from the one thread that runs the
// simulation, which owns the LMDB environment.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/merchant.hpp"
#include "core/order_state.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/status.hpp"
#include "storage/storage_health.hpp"
#include "storage/stored_orders.hpp"
#include "storage/wal.hpp"

namespace oncepay::storage {

struct DurabilityOptions {
  std::string data_dir;  // holds wal/ and snapshot/; created if missing
  std::chrono::milliseconds checkpoint_interval{30'000};
  std::size_t map_size_bytes = kSnapshotGiB;
  std::size_t max_map_size_bytes = 64 * kSnapshotGiB;
  // false skips fdatasync: benchmarks and tests only (survives a process
  // crash, not a power loss).
  bool fsync = true;
  std::function<int(int fd)> fdatasync_hook;          // tests: WalOptions::fdatasync_hook
  std::size_t segment_bytes = 64 * wal_format::kMiB;  // WalOptions::segment_bytes
  // Orders one checkpoint transaction may hold (memory and MDB_TXN_FULL bound).
  std::size_t max_orders_per_commit = 50'000;
  // No storage thread and no WAL writer thread (see the class comment).
  bool inline_storage = false;
  // The engine's shard count: recovery refuses a data dir created with
  // another (snapshot `layout` key `shards`); one without the key adopts it.
  std::size_t shards = 64;
};

// What recovery rebuilt: the orders the WAL tail touched (stored snapshot +
// the tail's events) and every merchant created through the admin API. The
// other stored orders stay in the snapshot (Durability::stored()).
struct StoredReview {
  core::OrderKey order;
  core::ReviewState item;
};

struct Recovered {
  std::vector<core::OrderState> orders;  // the WAL tail's
  // The open review items of the stored orders (table `reviews`), as of the
  // snapshot: the tail's orders carry newer ones.
  std::vector<StoredReview> reviews;
  std::vector<core::Merchant> merchants;
  // Every merchant's channel accounts: the latest record of each (merchant,
  // channel), snapshot then tail.
  std::vector<v1::ChannelAccountSet> channel_accounts;
  uint64_t stored_orders = 0;     // orders in the snapshot
  uint64_t new_orders = 0;        // orders of the tail the snapshot did not hold
  uint64_t checkpoint_lsn = 0;    // the snapshot's LSN
  uint64_t replayed_records = 0;  // WAL records after it
  uint64_t last_lsn = 0;
  WalRecovery wal;               // what Wal::open found and cut
  bool migrated_layout = false;  // an older layout's stored orders got the rows it lacked
};

// One line for the startup log.
std::string describe(const Recovered& recovered);

// The WAL and snapshot forms of a merchant (api key as its SHA-256 hex only).
v1::MerchantCreated merchant_record(const core::Merchant& merchant);
bool merchant_from_record(const v1::MerchantCreated& record, core::Merchant* out);

class Durability {
 public:
  // Runs on the storage thread after recovery, before done(ok): hands the
  // rebuilt orders and merchants to the engine.
  using InstallFn = std::function<void(Recovered&)>;
  using DoneFn = std::function<void(Status)>;

  Durability(DurabilityOptions options, std::shared_ptr<StorageHealth> health);
  ~Durability();
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  // Starts the storage thread: recovery, install, done(status), then the
  // checkpoint loop. A failed recovery calls done(error) (a corrupt WAL
  // names the file and offset) and ends the thread; nothing is installed.
  // Call once.
  void start(InstallFn install, DoneFn done);

  // The open WAL once recovery opened it; null before and after stop().
  std::shared_ptr<Wal> wal() const;

  // The stored orders: readable once recovery succeeded (before install
  // runs), closed by stop(). The same object for the Durability's life.
  std::shared_ptr<const StoredOrders> stored() const { return stored_; }

  // Asks for a checkpoint now; done(status) runs on the storage thread when
  // it committed (or failed). Before recovery finished the request waits; if
  // the thread is not running it fails at once.
  void checkpoint(DoneFn done);

  // The LSN of the last committed checkpoint (any thread).
  uint64_t checkpoint_lsn() const { return checkpoint_lsn_.load(std::memory_order_acquire); }

  // Stops the thread (after one last checkpoint when final_checkpoint and
  // storage is healthy), closes the WAL (queued appends are written) and the
  // store. Idempotent.
  void stop(bool final_checkpoint);

 private:
  void run(InstallFn install, DoneFn done);
  void start_inline(const InstallFn& install, const DoneFn& done);
  Status recover(Recovered* out);
  Status checkpoint_once();
  void close_storage();

  const DurabilityOptions options_;
  std::shared_ptr<StorageHealth> health_;
  std::unique_ptr<SnapshotStore> store_;  // storage thread only
  std::shared_ptr<StoredOrders> stored_ = std::make_shared<StoredOrders>();

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::shared_ptr<Wal> wal_;       // guarded by mutex_
  std::vector<DoneFn> waiters_;    // guarded by mutex_
  bool stop_ = false;              // guarded by mutex_
  bool final_checkpoint_ = false;  // guarded by mutex_
  bool running_ = false;           // guarded by mutex_
  std::atomic<uint64_t> checkpoint_lsn_{0};
  std::thread thread_;
};

}  // namespace oncepay::storage
