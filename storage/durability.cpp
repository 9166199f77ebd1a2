#include "storage/durability.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <unordered_map>
#include <utility>

#include "core/order_snapshot.hpp"

namespace oncepay::storage {

namespace {

std::string with_lsn(std::string_view what, uint64_t lsn) {
  std::string out(what);
  out += " (WAL record lsn ";
  out += std::to_string(lsn);
  out += ')';
  return out;
}

// Protobuf parses at most INT_MAX bytes at once: a stored value longer than
// that cannot be one of ours, and must not reach ParseFromArray with its length
// wrapped into an int.
template <class Message>
bool parse_stored(std::string_view bytes, Message* out) {
  return std::in_range<int>(bytes.size()) &&
         out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

Status parse_record(uint64_t lsn, std::string_view payload, v1::WalRecord* out) {
  if (!parse_stored(payload, out) || out->kind_case() == v1::WalRecord::KIND_NOT_SET) {
    return Status::corruption(with_lsn("a WAL record is not a oncepay.v1.WalRecord", lsn));
  }
  if (out->has_order() &&
      (out->order().merchant_id().empty() || out->order().merchant_order_no().empty())) {
    return Status::corruption(with_lsn("an order record without its order key", lsn));
  }
  return Status::ok();
}

// Folds one order record into its state (state = fold of events).
void fold_events(core::OrderState& state, const v1::OrderEvents& record) {
  if (state.merchant_id.empty()) {
    state.merchant_id = record.merchant_id();
    state.merchant_order_no = record.merchant_order_no();
  }
  for (const auto& event : record.events()) core::apply(state, event);
}

// The stored state of the order under `key` into *state (*found false and
// the state untouched if the snapshot does not hold it). Storage thread.
Status load_stored(const SnapshotStore& store, const std::string& key, uint64_t lsn,
                   core::OrderState* state, bool* found) {
  std::string stored;
  Status got = store.get(kOrdersTable, key, &stored);
  *found = got.is_ok();
  if (got.is_not_found()) return Status::ok();
  if (!got.is_ok()) return got;
  v1::OrderSnapshot snapshot;
  if (!snapshot.ParseFromString(stored)) {
    return Status::corruption(with_lsn("the stored snapshot of an order does not parse", lsn));
  }
  *state = core::from_snapshot(snapshot);
  return Status::ok();
}

// The orders and merchants one checkpoint transaction writes.
struct TouchedOrder {
  core::OrderState state;
  size_t stored_attempts = 0;                   // attempts the stored snapshot had
  std::vector<std::string> stored_timer_keys;   // sorted
  std::vector<std::string> stored_review_keys;  // sorted
  std::vector<LedgerRow> stored_ledger;         // keys only (values unused), sorted
  std::vector<std::string> stored_trade_keys;   // `channel_trades` keys, sorted
};

// The `channel_trades` rows of one checkpointed order: rows for trade nos
// learned since it was stored, deletes for stored ones gone (a trade no
// that changed). A row present before and after needs no write (its value,
// the order key, never changes).
void channel_trade_mutations(const std::string& key, const TouchedOrder& t,
                             std::vector<storage::Mutation>* out) {
  const std::vector<std::string> now = channel_trade_keys(t.state);
  for (const auto& old : t.stored_trade_keys) {
    if (!std::binary_search(now.begin(), now.end(), old)) {
      out->push_back({kChannelTradesTable, old, std::nullopt});
    }
  }
  for (const auto& row : now) {
    if (std::binary_search(t.stored_trade_keys.begin(), t.stored_trade_keys.end(), row)) continue;
    out->push_back({kChannelTradesTable, row, key});
  }
}

// The ledger rows of one checkpointed order: every current row (values
// change with the order's state), and deletes for stored keys gone.
void ledger_mutations(const TouchedOrder& t, std::vector<storage::Mutation>* out) {
  std::vector<LedgerRow> now = ledger_rows(t.state);
  const auto less = [](const LedgerRow& a, const LedgerRow& b) {
    const int c = std::string_view(a.table).compare(b.table);
    return c != 0 ? c < 0 : a.key < b.key;
  };
  for (const auto& old : t.stored_ledger) {
    if (!std::binary_search(now.begin(), now.end(), old, less)) {
      out->push_back({old.table, old.key, std::nullopt});
    }
  }
  for (auto& row : now) out->push_back({row.table, std::move(row.key), std::move(row.value)});
}

// The `reviews` rows of one checkpointed order: its open items now (every
// one rewritten: an open item's value changes, e.g. a trust_platform
// resolution or an appeal's summary as its detail), and deletes for the
// stored ones that closed. Open items are few, so the rewrite is cheap.
void review_mutations(const std::string& key, const TouchedOrder& t,
                      std::vector<storage::Mutation>* out) {
  const std::vector<std::string> now = review_keys(t.state);
  for (const auto& old : t.stored_review_keys) {
    if (!std::binary_search(now.begin(), now.end(), old)) {
      out->push_back({kReviewsTable, old, std::nullopt});
    }
  }
  for (const auto& r : t.state.reviews) {
    out->push_back({kReviewsTable, review_key_bytes(key, r.item_id),
                    core::to_snapshot(r).SerializeAsString()});
  }
}

struct CheckpointBatch {
  std::unordered_map<std::string, TouchedOrder> orders;
  std::map<std::string, std::string> merchants;  // id -> MerchantCreated bytes
  // channel_account_key_bytes -> ChannelAccountSet bytes (the latest wins)
  std::map<std::string, std::string> channel_accounts;

  bool empty() const { return orders.empty() && merchants.empty() && channel_accounts.empty(); }

  // Folds one record, loading each order's stored snapshot on first touch.
  Status fold(uint64_t lsn, std::string_view payload, const SnapshotStore& store) {
    v1::WalRecord record;
    Status st = parse_record(lsn, payload, &record);
    if (!st.is_ok()) return st;
    if (record.has_merchant()) {
      const auto& m = record.merchant();
      std::string ignored;
      if (merchants.count(m.merchant_id()) != 0) return Status::ok();  // the first one wins
      Status found = store.get(kMerchantsTable, m.merchant_id(), &ignored);
      if (found.is_ok()) return Status::ok();
      if (!found.is_not_found()) return found;
      merchants.emplace(m.merchant_id(), m.SerializeAsString());
      return Status::ok();
    }
    if (record.has_channel_account()) {
      const auto& a = record.channel_account();
      channel_accounts[channel_account_key_bytes(a.merchant_id(), a.channel())] =
          a.SerializeAsString();
      return Status::ok();
    }
    const auto& o = record.order();
    const std::string key = order_key_bytes(o.merchant_id(), o.merchant_order_no());
    auto it = orders.find(key);
    if (it == orders.end()) {
      TouchedOrder touched;
      bool found = false;
      Status got = load_stored(store, key, lsn, &touched.state, &found);
      if (!got.is_ok()) return got;
      if (found) {
        touched.stored_attempts = touched.state.attempts.size();
        touched.stored_timer_keys = timer_keys(touched.state);
        touched.stored_review_keys = review_keys(touched.state);
        touched.stored_ledger = ledger_rows(touched.state);
        touched.stored_trade_keys = channel_trade_keys(touched.state);
      }
      it = orders.emplace(key, std::move(touched)).first;
    }
    fold_events(it->second.state, o);
    return Status::ok();
  }

  std::vector<storage::Mutation> mutations() const {
    std::vector<storage::Mutation> out;
    for (const auto& [key, t] : orders) {
      out.push_back({kOrdersTable, key, core::to_snapshot(t.state).SerializeAsString()});
      for (size_t i = t.stored_attempts; i < t.state.attempts.size(); ++i) {
        out.push_back({kPaymentsTable, t.state.attempts[i].payment_no, key});
      }
      const std::vector<std::string> now = timer_keys(t.state);
      for (const auto& old : t.stored_timer_keys) {
        if (!std::binary_search(now.begin(), now.end(), old)) {
          out.push_back({kTimersTable, old, std::nullopt});
        }
      }
      for (const auto& due : now) {
        if (!std::binary_search(t.stored_timer_keys.begin(), t.stored_timer_keys.end(), due)) {
          out.push_back({kTimersTable, due, key});
        }
      }
      review_mutations(key, t, &out);
      ledger_mutations(t, &out);
      channel_trade_mutations(key, t, &out);
    }
    for (const auto& [id, bytes] : merchants) out.push_back({kMerchantsTable, id, bytes});
    for (const auto& [key, bytes] : channel_accounts) {
      out.push_back({kChannelAccountsTable, key, bytes});
    }
    return out;
  }
};

void log_line(const std::string& line) {
  std::fprintf(stderr, "oncepay: %s\n", line.c_str());
  std::fflush(stderr);
}

// What a store of an older layout lacks, rebuilt from its stored orders.
struct LayoutRebuild {
  bool timers = false;  // layout 1: only the attempts' timers
  bool ledger = false;  // layouts 1-2: no reconciliation ledger
  bool trades = false;  // layouts 1-3: no `channel_trades`
};

// The rows one stored order adds to the tables `rebuild` names.
void rebuild_rows(const LayoutRebuild& rebuild, std::string_view key, const core::OrderState& state,
                  std::vector<storage::Mutation>* puts) {
  if (rebuild.timers) {
    for (std::string& timer : timer_keys(state)) {
      puts->push_back({kTimersTable, std::move(timer), std::string(key)});
    }
  }
  if (rebuild.ledger) {
    for (LedgerRow& row : ledger_rows(state)) {
      puts->push_back({row.table, std::move(row.key), std::move(row.value)});
    }
  }
  if (rebuild.trades) {
    for (std::string& trade : channel_trade_keys(state)) {
      puts->push_back({kChannelTradesTable, std::move(trade), std::string(key)});
    }
  }
}

// Lazy recovery needs every armed timer of every stored order in `timers`
// (layout 1 stored the attempts' timers only); layout 2 had no
// reconciliation ledger (`recon_payments`, `recon_days`); layout 3 no
// `channel_trades`. An older store gets the rows it lacks rebuilt from its
// stored orders once (puts are idempotent: a crash midway just runs it
// again), then is marked kLayoutVersion. A fresh store is only marked.
Status ensure_layout(SnapshotStore& store, size_t per_commit, bool* migrated) {
  *migrated = false;
  std::string version;
  Status st = store.get(kLayoutTable, kLayoutVersionKey, &version);
  LayoutRebuild rebuild{true, true, true};  // layout 1: no version key
  if (st.is_ok()) {
    if (version == kLayoutVersion) return Status::ok();
    if (version == "3") {
      rebuild = {false, false, true};
    } else if (version == "2") {
      rebuild = {false, true, true};
    } else {
      return Status::corruption("the snapshot has layout version \"" + version +
                                "\"; this build reads version " + kLayoutVersion);
    }
  } else if (!st.is_not_found()) {
    return st;
  }
  std::vector<storage::Mutation> puts;
  Status bad;
  size_t orders = 0;
  st = store.scan(kOrdersTable, [&](std::string_view key, std::string_view value) {
    v1::OrderSnapshot snapshot;
    if (!parse_stored(value, &snapshot)) {
      if (bad.is_ok()) bad = Status::corruption("a snapshot order does not parse");
      return;
    }
    ++orders;
    rebuild_rows(rebuild, key, core::from_snapshot(snapshot), &puts);
  });
  if (!st.is_ok()) return st;
  if (!bad.is_ok()) return bad;
  *migrated = orders > 0;
  puts.push_back({kLayoutTable, kLayoutVersionKey, std::string(kLayoutVersion)});
  const uint64_t lsn = store.checkpoint_lsn();  // the tables' content does not change
  for (size_t at = 0; at < puts.size(); at += per_commit) {
    const auto end =
        puts.begin() + static_cast<std::ptrdiff_t>(std::min(puts.size(), at + per_commit));
    st = store.commit_checkpoint(
        lsn, std::vector<storage::Mutation>(puts.begin() + static_cast<std::ptrdiff_t>(at), end));
    if (!st.is_ok()) return st;
  }
  return Status::ok();
}

// The shard count is part of every payment_no and of where every order
// lives: a data dir keeps the count it was created with. A store without the
// key (created before it was recorded, or fresh) adopts `shards`.
Status ensure_shards(SnapshotStore& store, size_t shards) {
  std::string stored;
  Status st = store.get(kLayoutTable, kLayoutShardsKey, &stored);
  const std::string configured = std::to_string(shards);
  if (st.is_ok()) {
    if (stored == configured) return Status::ok();
    return Status::invalid_argument("the data dir was created with " + stored +
                                    " shards and engine.shards is " + configured +
                                    ": the shard count is part of every payment_no and cannot "
                                    "change for a data dir; configure engine.shards = " +
                                    stored);
  }
  if (!st.is_not_found()) return st;
  return store.commit_checkpoint(store.checkpoint_lsn(),  // the orders do not change
                                 {{kLayoutTable, kLayoutShardsKey, configured}});
}

}  // namespace

v1::MerchantCreated merchant_record(const core::Merchant& merchant) {
  v1::MerchantCreated record;
  record.set_merchant_id(merchant.merchant_id);
  record.set_api_key_sha256(merchant.api_key_sha256);
  record.set_webhook_secret(merchant.webhook_secret);
  record.set_policy(std::string(core::to_string(merchant.policy)));
  return record;
}

bool merchant_from_record(const v1::MerchantCreated& record, core::Merchant* out) {
  core::Merchant m;
  m.merchant_id = record.merchant_id();
  m.api_key_sha256 = record.api_key_sha256();
  m.webhook_secret = record.webhook_secret();
  if (!core::valid_merchant_id(m.merchant_id) || m.api_key_sha256.empty()) return false;
  if (!core::parse_policy(record.policy(), &m.policy)) return false;
  *out = std::move(m);
  return true;
}

std::string describe(const Recovered& r) {
  std::string out = "recovered ";
  out += std::to_string(r.stored_orders + r.new_orders);
  out += " orders and ";
  out += std::to_string(r.merchants.size());
  out += " merchants: snapshot at lsn ";
  out += std::to_string(r.checkpoint_lsn);
  out += ", replayed ";
  out += std::to_string(r.replayed_records);
  out += " WAL records up to lsn ";
  out += std::to_string(r.last_lsn);
  out += "; ";
  out += std::to_string(r.orders.size());
  out += " orders of the tail parked in memory, the rest loaded on first use";
  if (r.migrated_layout) {
    out += "; snapshot migrated to layout ";
    out += kLayoutVersion;
    out += " (derived tables rebuilt from the stored orders)";
  }
  if (r.wal.truncated_bytes > 0) {
    out += "; cut a torn tail of ";
    out += std::to_string(r.wal.truncated_bytes);
    out += " bytes from ";
    out += r.wal.truncated_file;
  }
  return out;
}

Durability::Durability(DurabilityOptions options, std::shared_ptr<StorageHealth> health)
    : options_(std::move(options)), health_(std::move(health)) {}

Durability::~Durability() { stop(false); }

void Durability::start(InstallFn install, DoneFn done) {
  {
    std::lock_guard lock(mutex_);
    running_ = true;
  }
  if (options_.inline_storage) return start_inline(install, done);
  thread_ = std::thread([this, install = std::move(install), done = std::move(done)]() mutable {
    run(std::move(install), std::move(done));
  });
}

std::shared_ptr<Wal> Durability::wal() const {
  std::lock_guard lock(mutex_);
  return wal_;
}

void Durability::start_inline(const InstallFn& install, const DoneFn& done) {
  Recovered recovered;
  Status st = recover(&recovered);
  if (st.is_ok()) {
    checkpoint_lsn_.store(recovered.checkpoint_lsn, std::memory_order_release);
    stored_->attach(store_.get());
    install(recovered);
  } else {
    close_storage();
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  done(st);
}

void Durability::checkpoint(DoneFn done) {
  if (options_.inline_storage) {
    bool open = false;
    {
      std::lock_guard lock(mutex_);
      open = running_ && !stop_;
    }
    if (!open) return done(Status::invalid_argument("the storage is not open"));
    return done(checkpoint_once());
  }
  {
    std::lock_guard lock(mutex_);
    if (running_ && !stop_) {
      waiters_.push_back(std::move(done));
      cv_.notify_all();
      return;
    }
  }
  done(Status::invalid_argument("the storage thread is not running"));
}

void Durability::stop(bool final_checkpoint) {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    final_checkpoint_ = final_checkpoint;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bool checkpoint_now = false;
  {
    std::lock_guard lock(mutex_);
    checkpoint_now = options_.inline_storage && running_ && final_checkpoint;
    if (options_.inline_storage) running_ = false;
  }
  if (checkpoint_now && health_->healthy()) {
    Status st = checkpoint_once();
    if (!st.is_ok()) log_line(std::string("checkpoint failed: ") + st.to_string());
  }
  close_storage();
}

void Durability::close_storage() {
  std::shared_ptr<Wal> wal;
  {
    std::lock_guard lock(mutex_);
    wal = std::move(wal_);
  }
  // The WAL actor may hold the Wal a while longer; close() releases the
  // directory now (its later appends are refused).
  if (wal) wal->close();
  stored_->detach();  // waits for the reads in progress
  store_.reset();
}

void Durability::run(InstallFn install, DoneFn done) {
  Recovered recovered;
  Status st = recover(&recovered);
  if (st.is_ok()) {
    checkpoint_lsn_.store(recovered.checkpoint_lsn, std::memory_order_release);
    stored_->attach(store_.get());
    install(recovered);
    recovered = Recovered{};  // the actors own the orders now
  } else {
    close_storage();
  }
  done(st);
  if (st.is_ok()) {
    for (;;) {
      std::vector<DoneFn> waiters;
      bool stopping = false;
      bool final_checkpoint = false;
      {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, options_.checkpoint_interval,
                     [this] { return stop_ || !waiters_.empty(); });
        waiters.swap(waiters_);
        stopping = stop_;
        final_checkpoint = final_checkpoint_;
      }
      Status result;
      if (!stopping || (final_checkpoint && health_->healthy())) result = checkpoint_once();
      // After a storage failure (already logged) periodic checkpoints stay quiet.
      if (!result.is_ok() && waiters.empty() && health_->healthy()) {
        log_line(std::string("checkpoint failed: ") + result.to_string());
      }
      for (auto& w : waiters) w(result);
      if (stopping) break;
    }
    close_storage();
  }
  std::vector<DoneFn> late;
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    late.swap(waiters_);
  }
  for (auto& w : late) w(Status::invalid_argument("the storage thread stopped"));
}

Status Durability::recover(Recovered* out) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(options_.data_dir, ec);
  if (ec)
    return Status::io_error(std::string("cannot create data dir ") + options_.data_dir + ": " +
                            ec.message());
  // The data dir holds merchants' webhook secrets: one the engine creates
  // is readable by its owner only (the directory guards the files inside).
  // An existing directory keeps the mode its operator gave it.
  if (created) {
    std::filesystem::permissions(options_.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return Status::io_error(std::string("cannot restrict data dir ") + options_.data_dir + ": " +
                            ec.message());
  }

  storage::SnapshotOptions snapshot_options;
  snapshot_options.dir = options_.data_dir + "/snapshot";
  snapshot_options.map_size_bytes = options_.map_size_bytes;
  snapshot_options.max_map_size_bytes =
      std::max(options_.map_size_bytes, options_.max_map_size_bytes);
  snapshot_options.tables = snapshot_tables();
  Status st = SnapshotStore::open(snapshot_options, &store_);
  if (!st.is_ok()) return st;
  st = ensure_layout(*store_, options_.max_orders_per_commit, &out->migrated_layout);
  if (!st.is_ok()) return st;
  st = ensure_shards(*store_, options_.shards);
  if (!st.is_ok()) return st;
  out->checkpoint_lsn = store_->checkpoint_lsn();

  // Snapshot first: the merchants, and how many orders it holds (they stay
  // there until used).
  std::map<std::string, core::Merchant> merchants;
  Status bad;
  st = store_->scan(kMerchantsTable, [&](std::string_view key, std::string_view value) {
    v1::MerchantCreated record;
    core::Merchant m;
    if (!parse_stored(value, &record) || !merchant_from_record(record, &m)) {
      if (bad.is_ok())
        bad = Status::corruption(std::string("snapshot merchant ") + std::string(key) +
                                 " does not parse");
      return;
    }
    merchants.emplace(m.merchant_id, std::move(m));
  });
  if (!st.is_ok()) return st;
  if (!bad.is_ok()) return bad;
  std::map<std::string, v1::ChannelAccountSet> accounts;  // channel_account_key_bytes ->
  st = store_->scan(kChannelAccountsTable, [&](std::string_view key, std::string_view value) {
    v1::ChannelAccountSet account;
    if (!parse_stored(value, &account)) {
      if (bad.is_ok()) bad = Status::corruption("a snapshot channel account does not parse");
      return;
    }
    accounts[std::string(key)] = std::move(account);
  });
  if (!st.is_ok()) return st;
  if (!bad.is_ok()) return bad;
  st = store_->count(kOrdersTable, &out->stored_orders);
  if (!st.is_ok()) return st;
  st = store_->scan(kReviewsTable, [&](std::string_view key, std::string_view value) {
    StoredReview stored;
    v1::ReviewSnapshot item;
    if (!parse_review_key(key, &stored.order) || !parse_stored(value, &item)) {
      if (bad.is_ok()) bad = Status::corruption("a snapshot review item does not parse");
      return;
    }
    stored.item = core::from_snapshot(item);
    out->reviews.push_back(std::move(stored));
  });
  if (!st.is_ok()) return st;
  if (!bad.is_ok()) return bad;

  // Then the WAL tail after the snapshot's LSN: each order it touches starts
  // from its stored snapshot (or empty) and folds the tail's events.
  WalOptions wal_options;
  wal_options.dir = options_.data_dir + "/wal";
  wal_options.fsync = options_.fsync;
  wal_options.fdatasync_hook = options_.fdatasync_hook;
  wal_options.segment_bytes = options_.segment_bytes;
  wal_options.writer_thread = !options_.inline_storage;
  std::unique_ptr<Wal> wal;
  st = Wal::open(wal_options, &wal);
  if (!st.is_ok()) return st;
  out->wal = wal->recovery();
  std::unordered_map<std::string, core::OrderState> orders;
  st = wal->replay(out->checkpoint_lsn, [&](uint64_t lsn, std::string_view payload) {
    if (!bad.is_ok()) return;
    v1::WalRecord record;
    bad = parse_record(lsn, payload, &record);
    if (!bad.is_ok()) return;
    ++out->replayed_records;
    if (record.has_merchant()) {
      core::Merchant m;
      if (!merchant_from_record(record.merchant(), &m)) {
        bad = Status::corruption(with_lsn("a merchant record is not valid", lsn));
        return;
      }
      merchants.emplace(m.merchant_id, std::move(m));  // the first one wins
      return;
    }
    if (record.has_channel_account()) {
      const auto& a = record.channel_account();
      accounts[channel_account_key_bytes(a.merchant_id(), a.channel())] = a;  // the latest wins
      return;
    }
    const auto& o = record.order();
    std::string key = order_key_bytes(o.merchant_id(), o.merchant_order_no());
    auto it = orders.find(key);
    if (it == orders.end()) {
      core::OrderState state;
      bool found = false;
      bad = load_stored(*store_, key, lsn, &state, &found);
      if (!bad.is_ok()) return;
      if (!found) ++out->new_orders;
      it = orders.emplace(std::move(key), std::move(state)).first;
    }
    fold_events(it->second, o);
  });
  if (!st.is_ok()) return st;
  if (!bad.is_ok()) return bad;
  out->last_lsn = wal->last_lsn();

  out->orders.reserve(orders.size());
  for (auto& [key, state] : orders) out->orders.push_back(std::move(state));
  for (auto& [id, m] : merchants) out->merchants.push_back(std::move(m));
  for (auto& [key, a] : accounts) out->channel_accounts.push_back(std::move(a));
  std::lock_guard lock(mutex_);
  wal_ = std::move(wal);
  return Status::ok();
}

Status Durability::checkpoint_once() {
  if (!health_->healthy())
    return Status::io_error(std::string("storage failed earlier: ") + health_->reason());
  std::shared_ptr<Wal> wal = this->wal();
  if (!wal || !store_) return Status::invalid_argument("storage is not open");
  const uint64_t from = store_->checkpoint_lsn();
  CheckpointBatch batch;
  uint64_t folded = from;
  Status failure;
  auto commit = [&]() -> Status {
    Status st = store_->commit_checkpoint(folded, batch.mutations());
    if (!st.is_ok()) {
      if (!store_->healthy()) health_->fail("LMDB checkpoint commit", st.to_string());
      return st;
    }
    checkpoint_lsn_.store(folded, std::memory_order_release);
    batch = CheckpointBatch{};
    return st;
  };
  Status st = wal->replay(from, [&](uint64_t lsn, std::string_view payload) {
    if (!failure.is_ok()) return;
    failure = batch.fold(lsn, payload, *store_);
    if (!failure.is_ok()) return;
    folded = lsn;
    if (batch.orders.size() >= options_.max_orders_per_commit) failure = commit();
  });
  if (!st.is_ok()) return st;
  if (!failure.is_ok()) return failure;
  if (folded > store_->checkpoint_lsn()) {
    st = commit();
    if (!st.is_ok()) return st;
  }
  // Only after the commit: the segments it covers are no longer needed.
  return wal->remove_segments_before(store_->checkpoint_lsn());
}

}  // namespace oncepay::storage
