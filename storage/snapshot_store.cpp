// SnapshotStore: see snapshot_store.hpp for the contract and docs/WAL.md
// ("Checkpoints") for how it pairs with the WAL.
#include "storage/snapshot_store.hpp"

#include <lmdb.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>

#include "core/check.hpp"

namespace oncepay::storage {
namespace {

constexpr std::string_view kCheckpointLsnKey = "checkpoint_lsn";
constexpr std::size_t kLsnBytes = 8;
// The built-in tables ("meta") besides the caller's.
constexpr unsigned int kInternalTables = 1;
constexpr unsigned int kMaxTables = 128;

MDB_val as_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

std::string_view as_view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

std::string encode_lsn(std::uint64_t lsn) {
  std::string out(kLsnBytes, '\0');
  for (std::size_t i = 0; i < kLsnBytes; ++i) out[i] = static_cast<char>((lsn >> (8 * i)) & 0xff);
  return out;
}

std::uint64_t decode_lsn(std::string_view bytes) {
  ONCEPAY_CHECK(bytes.size() == kLsnBytes);
  std::uint64_t lsn = 0;
  for (std::size_t i = 0; i < kLsnBytes; ++i) {
    lsn |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return lsn;
}

Status lmdb_error(const std::string& what, int rc) {
  return Status::io_error("LMDB " + what + ": " + mdb_strerror(rc));
}

Status validate_options(const SnapshotOptions& options) {
  if (options.dir.empty()) return Status::invalid_argument("SnapshotOptions::dir is empty");
  if (options.map_size_bytes == 0 || options.max_map_size_bytes < options.map_size_bytes) {
    return Status::invalid_argument("need 0 < map_size_bytes <= max_map_size_bytes");
  }
  if (options.tables.size() + kInternalTables > kMaxTables) {
    return Status::invalid_argument("too many tables (max " + std::to_string(kMaxTables) + ")");
  }
  std::set<std::string_view> seen;
  for (const std::string& table : options.tables) {
    if (table.empty()) return Status::invalid_argument("empty table name");
    if (table == kSnapshotMetaTable) {
      return Status::invalid_argument("table name \"meta\" is reserved");
    }
    if (!seen.insert(table).second) return Status::invalid_argument("duplicate table " + table);
  }
  return Status::ok();
}

}  // namespace

SnapshotStore::SnapshotStore(SnapshotOptions options) : options_(std::move(options)) {}

SnapshotStore::~SnapshotStore() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Status SnapshotStore::open(const SnapshotOptions& options, std::unique_ptr<SnapshotStore>* out) {
  out->reset();
  Status s = validate_options(options);
  if (!s.is_ok()) return s;
  std::error_code ec;
  if (std::filesystem::create_directories(options.dir, ec) && !ec) {
    std::filesystem::permissions(options.dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) return Status::io_error("create directory " + options.dir + ": " + ec.message());

  std::unique_ptr<SnapshotStore> store(new SnapshotStore(options));
  s = store->init();
  if (!s.is_ok()) return s;
  *out = std::move(store);
  return Status::ok();
}

Status SnapshotStore::init() {
  int rc = mdb_env_create(&env_);
  if (rc != 0) return lmdb_error("env_create", rc);
  rc = mdb_env_set_maxdbs(env_, static_cast<MDB_dbi>(options_.tables.size() + kInternalTables));
  if (rc == 0) rc = mdb_env_set_mapsize(env_, options_.map_size_bytes);
  if (rc != 0) return lmdb_error("env setup", rc);
  // MDB_NOTLS ties read slots to transactions, not threads, so a scan
  // callback may call get() (a second read transaction) safely.
  rc = mdb_env_open(env_, options_.dir.c_str(), MDB_NOTLS, 0600);
  if (rc != 0) return lmdb_error("open " + options_.dir, rc);
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  map_size_bytes_ = info.me_mapsize;

  // Creating the tables is a write transaction too: it may hit MAP_FULL.
  for (;;) {
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return lmdb_error("begin", rc);
    dbis_.clear();
    for (const std::string& table : options_.tables) {
      MDB_dbi dbi = 0;
      rc = mdb_dbi_open(txn, table.c_str(), MDB_CREATE, &dbi);
      if (rc != 0) break;
      dbis_.emplace(table, dbi);
    }
    if (rc == 0)
      rc = mdb_dbi_open(txn, std::string(kSnapshotMetaTable).c_str(), MDB_CREATE, &meta_dbi_);
    MDB_val key = as_val(kCheckpointLsnKey);
    MDB_val value{};
    int get_rc = rc == 0 ? mdb_get(txn, meta_dbi_, &key, &value) : 0;
    if (rc == 0 && get_rc != 0 && get_rc != MDB_NOTFOUND) rc = get_rc;
    if (rc == 0 && get_rc == 0) {
      if (value.mv_size != kLsnBytes) {
        mdb_txn_abort(txn);
        return Status::corruption(options_.dir + ": meta checkpoint_lsn is " +
                                  std::to_string(value.mv_size) + " bytes, expected 8");
      }
      checkpoint_lsn_ = decode_lsn(as_view(value));
    }
    if (rc != 0) {
      mdb_txn_abort(txn);
    } else {
      rc = mdb_txn_commit(txn);
    }
    if (rc == 0) return Status::ok();
    if (rc != MDB_MAP_FULL) return lmdb_error("create tables", rc);
    Status s = grow_map(lmdb_error("create tables", rc));
    if (!s.is_ok()) return s;
  }
}

Status SnapshotStore::grow_map(const Status& cause) {
  if (map_size_bytes_ >= options_.max_map_size_bytes) {
    return Status::full("LMDB map of " + options_.dir + " is full at " +
                        std::to_string(map_size_bytes_) + " bytes (max_map_size_bytes = " +
                        std::to_string(options_.max_map_size_bytes) + "): " + cause.message());
  }
  const std::size_t doubled = map_size_bytes_ > options_.max_map_size_bytes / 2
                                  ? options_.max_map_size_bytes
                                  : map_size_bytes_ * 2;
  // Legal here: the owner thread holds no transaction between calls, and
  // the lock keeps the any-thread readers out.
  std::unique_lock lock(resize_mutex_);
  const int rc = mdb_env_set_mapsize(env_, doubled);
  if (rc != 0) return lmdb_error("grow map to " + std::to_string(doubled) + " bytes", rc);
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  ONCEPAY_CHECK(info.me_mapsize > map_size_bytes_);
  map_size_bytes_ = info.me_mapsize;
  return Status::ok();
}

Status SnapshotStore::table_dbi(const std::string& table, unsigned int* dbi) const {
  auto it = dbis_.find(table);
  if (it == dbis_.end()) return Status::invalid_argument("unknown table \"" + table + "\"");
  *dbi = it->second;
  return Status::ok();
}

void SnapshotStore::assert_owner_thread() const {
  std::thread::id expected{};
  const std::thread::id me = std::this_thread::get_id();
  if (owner_.compare_exchange_strong(expected, me)) return;  // first call binds the owner
  ONCEPAY_CHECK(expected == me && "SnapshotStore used from a thread other than its owner");
  (void)expected;
}

Status SnapshotStore::commit_checkpoint(std::uint64_t lsn, const std::vector<Mutation>& mutations) {
  assert_owner_thread();
  if (!failure_.is_ok()) return failure_;
  if (lsn < checkpoint_lsn_) {
    return Status::invalid_argument("checkpoint lsn " + std::to_string(lsn) +
                                    " is below the stored " + std::to_string(checkpoint_lsn_));
  }
  const std::size_t max_key = max_key_bytes();
  for (const Mutation& m : mutations) {
    MDB_dbi dbi = 0;
    Status s = table_dbi(m.table, &dbi);
    if (!s.is_ok()) return s;
    if (m.key.empty() || m.key.size() > max_key) {
      return Status::invalid_argument("key of " + std::to_string(m.key.size()) + " bytes in " +
                                      m.table + " (allowed 1.." + std::to_string(max_key) + ")");
    }
  }
  for (;;) {
    bool map_full = false;
    Status s = apply(lsn, mutations, &map_full);
    if (!map_full) return s;
    // Nothing was committed: grow the map and run the whole transaction again.
    s = grow_map(s);
    if (!s.is_ok()) return s;
  }
}

// One attempt at the checkpoint transaction. Sets *map_full (and returns
// Status::full) when the map must grow; nothing was committed then.
Status SnapshotStore::apply(std::uint64_t lsn, const std::vector<Mutation>& mutations,
                            bool* map_full) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return lmdb_error("begin", rc);
  for (const Mutation& m : mutations) {
    const MDB_dbi dbi = dbis_.find(m.table)->second;  // validated by the caller
    MDB_val key = as_val(m.key);
    if (m.value.has_value()) {
      MDB_val value = as_val(*m.value);
      rc = mdb_put(txn, dbi, &key, &value, 0);
    } else {
      rc = mdb_del(txn, dbi, &key, nullptr);
      if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (rc != 0) break;
  }
  const std::string lsn_bytes = encode_lsn(lsn);
  if (rc == 0) {
    MDB_val key = as_val(kCheckpointLsnKey);
    MDB_val value = as_val(lsn_bytes);
    rc = mdb_put(txn, meta_dbi_, &key, &value, 0);
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    *map_full = rc == MDB_MAP_FULL;
    if (*map_full) return lmdb_error("write", rc);
    if (rc == MDB_TXN_FULL) {
      return Status::full("checkpoint of " + std::to_string(mutations.size()) +
                          " mutations dirties too many pages for one LMDB transaction; split it");
    }
    return lmdb_error("write", rc);
  }
  rc = mdb_txn_commit(txn);  // frees txn whatever it returns
  *map_full = rc == MDB_MAP_FULL;
  if (*map_full) return lmdb_error("commit", rc);
  if (rc != 0) {
    // The commit may or may not have reached the disk: stop writing.
    failure_ = lmdb_error("commit of checkpoint " + std::to_string(lsn), rc);
    return failure_;
  }
  checkpoint_lsn_ = lsn;
  return Status::ok();
}

std::uint64_t SnapshotStore::checkpoint_lsn() const {
  assert_owner_thread();
  return checkpoint_lsn_;
}

Status SnapshotStore::scan(const std::string& table, const ScanFn& fn) const {
  assert_owner_thread();
  MDB_dbi dbi = 0;
  Status s = table_dbi(table, &dbi);
  if (!s.is_ok()) return s;
  return walk_in_own_txn("scan " + table, dbi, {}, [&fn](std::string_view k, std::string_view v) {
    fn(k, v);
    return true;
  });
}

Status SnapshotStore::walk_in_own_txn(const std::string& what, unsigned int dbi,
                                      std::string_view from_key, const RangeFn& fn) const {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return lmdb_error("begin read", rc);
  MDB_cursor* cursor = nullptr;
  rc = mdb_cursor_open(txn, dbi, &cursor);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return lmdb_error("cursor", rc);
  }
  MDB_val key = as_val(from_key);
  MDB_val value{};
  // MDB_SET_RANGE: the first key >= from_key (an empty key means the first).
  rc = from_key.empty() ? mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
                        : mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    if (!fn(as_view(key), as_view(value))) break;
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(what, rc);
  return Status::ok();
}

Status SnapshotStore::get_in_own_txn(const std::string& table, unsigned int dbi,
                                     std::string_view key, std::string* value) const {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return lmdb_error("begin read", rc);
  MDB_val k = as_val(key);
  MDB_val v{};
  rc = mdb_get(txn, dbi, &k, &v);
  if (rc == 0) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
  mdb_txn_abort(txn);
  if (rc == MDB_NOTFOUND) return Status::not_found(table + ": no such key");
  if (rc != 0) return lmdb_error("get from " + table, rc);
  return Status::ok();
}

Status SnapshotStore::get(const std::string& table, const std::string& key,
                          std::string* value) const {
  assert_owner_thread();
  MDB_dbi dbi = 0;
  Status s = table_dbi(table, &dbi);
  if (!s.is_ok()) return s;
  if (key.empty() || key.size() > max_key_bytes()) {
    return Status::invalid_argument("key of " + std::to_string(key.size()) + " bytes");
  }
  return get_in_own_txn(table, dbi, key, value);
}

Status SnapshotStore::read(const std::string& table, std::string_view key,
                           std::string* value) const {
  MDB_dbi dbi = 0;
  Status s = table_dbi(table, &dbi);
  if (!s.is_ok()) return s;
  if (key.empty() || key.size() > max_key_bytes()) {
    return Status::invalid_argument("key of " + std::to_string(key.size()) + " bytes");
  }
  std::shared_lock lock(resize_mutex_);
  return get_in_own_txn(table, dbi, key, value);
}

Status SnapshotStore::read_range(const std::string& table, std::string_view from_key,
                                 const RangeFn& fn) const {
  MDB_dbi dbi = 0;
  Status s = table_dbi(table, &dbi);
  if (!s.is_ok()) return s;
  if (from_key.size() > max_key_bytes()) {
    return Status::invalid_argument("key of " + std::to_string(from_key.size()) + " bytes");
  }
  std::shared_lock lock(resize_mutex_);
  return walk_in_own_txn("read range of " + table, dbi, from_key, fn);
}

Status SnapshotStore::count(const std::string& table, std::uint64_t* out) const {
  MDB_dbi dbi = 0;
  Status s = table_dbi(table, &dbi);
  if (!s.is_ok()) return s;
  std::shared_lock lock(resize_mutex_);
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return lmdb_error("begin read", rc);
  MDB_stat stat{};
  rc = mdb_stat(txn, dbi, &stat);
  mdb_txn_abort(txn);
  if (rc != 0) return lmdb_error("stat of " + table, rc);
  *out = stat.ms_entries;
  return Status::ok();
}

bool SnapshotStore::healthy() const {
  assert_owner_thread();
  return failure_.is_ok();
}

std::size_t SnapshotStore::map_size_bytes() const {
  assert_owner_thread();
  return map_size_bytes_;
}

std::size_t SnapshotStore::max_key_bytes() const {
  return static_cast<std::size_t>(mdb_env_get_maxkeysize(env_));
}

}  // namespace oncepay::storage
