// SnapshotStore: the checkpoint half of durability. One LMDB environment (a
// directory) with caller-named tables (LMDB named databases, e.g. "orders",
// "payments", "merchants", "timers") of opaque byte keys and values, plus an
// internal "meta" table holding the checkpoint LSN: the WAL position the
// tables reflect. A checkpoint writes its mutations and its LSN in ONE LMDB
// write transaction, so after a crash the tables and the LSN always agree;
// recovery = read the tables (all at once, or on demand), then
// Wal::replay(checkpoint_lsn()).
// The storage layer does not know what keys and values mean.
//
// Threads and ownership
// - open() returns the store in *out; the caller owns it.
// - LMDB transactions must stay on one thread, so every method must be
//   called from ONE owner thread (the checkpointer): the thread that makes
//   the first call after open() becomes the owner. Calls from another thread
//   are a programmer error (asserted in debug builds). The destructor may run
//   on any thread once the owner has stopped using the store.
// - scan() and get() read a consistent snapshot (one read transaction); the
//   string_views they hand out are valid only during the callback / call.
// - The exception: read(), read_range() and count() may be called from ANY
//   thread, concurrently with the owner's commits (LMDB readers never block
//   the writer; the environment is opened MDB_NOTLS, and each call opens and
//   closes its own read transaction). They wait while the owner grows the
//   map (LMDB allows no transaction in the process during that). The store
//   must outlive every such call: the caller guards its lifetime.
// - LMDB forbids opening one environment twice in a process: open a
//   directory at most once at a time.
//
// Failure modes
// - MDB_MAP_FULL: commit_checkpoint() grows the map (doubling, up to
//   SnapshotOptions::max_map_size_bytes) and retries the whole transaction;
//   past the maximum it returns Status::full and nothing was written.
// - MDB_TXN_FULL (one checkpoint dirties too many pages): Status::full,
//   nothing written; split the checkpoint.
// - A failed LMDB commit leaves durability uncertain: the store turns
//   sticky-failed (STYLE rule 8), healthy() is false, and every later
//   commit_checkpoint() returns the error. Reads keep working.
// - Unknown tables, empty or over-long keys, and a checkpoint LSN lower than
//   the stored one are Status::invalid_argument; nothing is written.
// - A "meta" record that is not 8 bytes is Status::corruption at open().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/status.hpp"

struct MDB_env;

namespace oncepay::storage {

inline constexpr std::size_t kSnapshotGiB = std::size_t{1} << 30;
// The internal table holding the checkpoint LSN; callers may not use the name.
inline constexpr std::string_view kSnapshotMetaTable = "meta";

struct SnapshotOptions {
  std::string dir;  // the LMDB environment directory; created if missing
  std::size_t map_size_bytes = 1 * kSnapshotGiB;
  std::size_t max_map_size_bytes = 64 * kSnapshotGiB;
  std::vector<std::string> tables;  // created if missing; not "meta"
};

struct Mutation {
  std::string table;
  std::string key;
  std::optional<std::string> value;  // nullopt = delete (a missing key is fine)
};

class SnapshotStore {
 public:
  using ScanFn = std::function<void(std::string_view key, std::string_view value)>;

  static Status open(const SnapshotOptions& options, std::unique_ptr<SnapshotStore>* out);

  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;
  ~SnapshotStore();

  // Applies mutations in order and sets the checkpoint LSN to lsn, all in one
  // write transaction, durable (LMDB syncs on commit) when it returns ok.
  // lsn must be >= checkpoint_lsn().
  Status commit_checkpoint(std::uint64_t lsn, const std::vector<Mutation>& mutations);

  // The LSN of the last committed checkpoint (0 if none).
  std::uint64_t checkpoint_lsn() const;

  // Calls fn for every record of table in key order (bytewise). fn may call
  // get() but not commit_checkpoint() (the map cannot grow under a reader).
  Status scan(const std::string& table, const ScanFn& fn) const;

  // Copies the value of key into *value; Status::not_found if absent.
  Status get(const std::string& table, const std::string& key, std::string* value) const;

  // Any thread (see above). read() is get(); read_range() calls fn for the
  // records with key >= from_key in key order until fn returns false;
  // count() is the number of records in table.
  using RangeFn = std::function<bool(std::string_view key, std::string_view value)>;
  Status read(const std::string& table, std::string_view key, std::string* value) const;
  Status read_range(const std::string& table, std::string_view from_key, const RangeFn& fn) const;
  Status count(const std::string& table, std::uint64_t* out) const;

  bool healthy() const;
  // The current LMDB map size (grows on MDB_MAP_FULL).
  std::size_t map_size_bytes() const;
  // The longest key LMDB accepts (511 bytes with the default build).
  std::size_t max_key_bytes() const;

 private:
  explicit SnapshotStore(SnapshotOptions options);

  Status init();
  Status grow_map(const Status& cause);
  Status apply(std::uint64_t lsn, const std::vector<Mutation>& mutations, bool* map_full);
  Status table_dbi(const std::string& table, unsigned int* dbi) const;
  // A cursor walk from from_key (empty: the first key) while fn returns
  // true, in a read transaction of its own (scan() and read_range()); `what`
  // names a failed walk.
  Status walk_in_own_txn(const std::string& what, unsigned int dbi, std::string_view from_key,
                         const RangeFn& fn) const;
  // One mdb_get in a read transaction of its own (get() and read()).
  Status get_in_own_txn(const std::string& table, unsigned int dbi, std::string_view key,
                        std::string* value) const;
  void assert_owner_thread() const;

  const SnapshotOptions options_;
  MDB_env* env_ = nullptr;
  std::map<std::string, unsigned int, std::less<>> dbis_;  // table -> MDB_dbi
  unsigned int meta_dbi_ = 0;
  std::uint64_t checkpoint_lsn_ = 0;
  std::size_t map_size_bytes_ = 0;
  Status failure_;  // sticky
  mutable std::atomic<std::thread::id> owner_{};
  // Shared by the any-thread readers, exclusive while the map grows.
  mutable std::shared_mutex resize_mutex_;
};

}  // namespace oncepay::storage
