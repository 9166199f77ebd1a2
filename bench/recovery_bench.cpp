// oncepay-recovery-bench: how long a durable engine takes to recover, and
// what it holds after. It builds a data dir of --orders order snapshots and
// a --tail record WAL tail WITHOUT running the engine (the snapshot is
// committed straight into the LMDB tables the durability layer reads, with
// its layout, keys and OrderSnapshot encoding: storage/snapshot_layout.hpp;
// the WAL is appended with storage::Wal), then times Engine construction +
// start() until on_done(ok) (ready), and then until one get_order per shard
// has answered (queued behind the shard's RestoreMsgs, which park the tail's
// orders; each probe order that is not in the tail is loaded from the
// snapshot on that first use: recovery is lazy). --touch=N then asks for N more orders
// spread over the snapshot (each loaded on first use) and times that. RSS
// (/proc/self/status VmRSS) is printed at each point. The last stdout line
// is one JSON object. Method and figures: docs/PERFORMANCE.md.
//
// Layout built (docs/DURABILITY.md): WAL lsn 1 is a MerchantCreated for
// "bench"; the snapshot is the checkpoint at lsn 1 (merchant + orders); the
// tail is lsn 2..tail+1. Orders alternate PAYING (one attempt, prepay
// accepted, query timer armed) and PAID. Tail records cycle through: a new
// order's first step (OrderOpened + AttemptCreated), its prepay step
// (PrepayAccepted + TimerArmed), and a success (AttemptSucceeded) on a
// PAYING snapshot order. Every timer is due 30 days ahead, so none fires.
//
// Usage: oncepay-recovery-bench [--orders=N] [--tail=M] [--data-dir=DIR]
//          [--keep] [--measure-only | --phases-only] [--shards=S] [--touch=K]
// --measure-only recovers an existing --data-dir (built earlier with --keep)
// in a fresh process, so that the build's memory is not in the RSS.
// --phases-only times the storage half of recovery alone (no engine).
#include <malloc.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/engine.hpp"
#include "actors/message_types.hpp"
#include "actors/shard_router.hpp"
#include "core/order_snapshot.hpp"
#include "core/order_state.hpp"
#include "oncepay.pb.h"
#include "storage/durability.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/wal.hpp"

namespace {

using namespace oncepay;
using storage::Status;
using Clock = std::chrono::steady_clock;

constexpr const char* kMerchant = "bench";
// The durability layer's tables (storage/snapshot_layout.hpp, docs/DURABILITY.md).
using storage::kLayoutTable;
using storage::kLayoutVersion;
using storage::kLayoutVersionKey;
using storage::kMerchantsTable;
using storage::kOrdersTable;
using storage::kPaymentsTable;
using storage::kTimersTable;
constexpr uint64_t kCheckpointLsn = 1;  // WAL lsn 1: the merchant record
constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

struct Options {
  uint64_t orders = 1'000'000;
  uint64_t tail = 100'000;
  std::string data_dir;
  bool keep = false;
  bool measure_only = false;
  bool phases_only = false;
  size_t shards = 64;
  size_t orders_per_commit = 50'000;
  uint64_t touch = 0;  // orders asked for after ready (each loaded on first use)
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A field of /proc/self/status in KiB ("VmRSS", "RssAnon", "RssFile").
uint64_t status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::stoull(line.substr(field.size() + 1));
    }
  }
  return 0;
}

uint64_t vm_rss_kib() { return status_kib("VmRSS"); }

double rss_mib() { return static_cast<double>(vm_rss_kib()) / 1024.0; }
// The heap and other private memory, without the file pages (LMDB's map,
// the binary) that VmRSS also counts and the kernel can drop at will.
double rss_anon_mib() { return static_cast<double>(status_kib("RssAnon")) / 1024.0; }

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool parse_args(int argc, char** argv, Options* out) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (starts_with(arg, "--orders=")) {
      out->orders = std::stoull(std::string(arg.substr(9)));
    } else if (starts_with(arg, "--tail=")) {
      out->tail = std::stoull(std::string(arg.substr(7)));
    } else if (starts_with(arg, "--data-dir=")) {
      out->data_dir = std::string(arg.substr(11));
    } else if (starts_with(arg, "--shards=")) {
      out->shards = std::stoul(std::string(arg.substr(9)));
    } else if (starts_with(arg, "--touch=")) {
      out->touch = std::stoull(std::string(arg.substr(8)));
    } else if (arg == "--keep") {
      out->keep = true;
    } else if (arg == "--measure-only") {
      out->measure_only = true;
    } else if (arg == "--phases-only") {
      out->phases_only = true;
    } else {
      std::fprintf(stderr, "unknown argument: %s\n", argv[i]);
      return false;
    }
  }
  if ((out->measure_only || out->phases_only) && out->data_dir.empty()) {
    std::fprintf(stderr, "--measure-only and --phases-only need --data-dir\n");
    return false;
  }
  // Every third tail record is a success on a PAYING (even) snapshot order.
  if (out->tail / 3 > out->orders / 2) {
    std::fprintf(stderr, "--tail may be at most 1.5 x --orders\n");
    return false;
  }
  return out->orders > 0 && out->shards > 0;
}

// Ids in the daemon's formats (order_env.cpp: P + 13-digit ms + nonce + 8 digits).
std::string order_no(uint64_t n) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "ord-%010llu", static_cast<unsigned long long>(n));
  return buffer;
}

std::string payment_no(int64_t ms, uint64_t n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "P%013lldbnch%08llu", static_cast<long long>(ms),
                static_cast<unsigned long long>(n % 100'000'000));
  return buffer;
}

// The events of one order's steps, as the order actor emits them.
v1::Event opened_event(int64_t at, uint64_t n) {
  v1::Event e;
  e.set_at_ms(at);
  auto* o = e.mutable_order_opened();
  o->set_merchant_id(kMerchant);
  o->set_merchant_order_no(order_no(n));
  o->set_amount(1999);
  o->set_currency("CNY");
  o->set_channel("sandbox");
  o->set_subject("2 coffees");
  o->set_notify_url("https://merchant.example/notify");
  return e;
}

v1::Event created_event(int64_t at, const std::string& pno) {
  v1::Event e;
  e.set_at_ms(at);
  auto* c = e.mutable_attempt_created();
  c->set_payment_no(pno);
  c->set_attempt(1);
  c->set_channel("sandbox");
  return e;
}

v1::Event prepay_event(int64_t at, const std::string& pno) {
  v1::Event e;
  e.set_at_ms(at);
  auto* p = e.mutable_prepay_accepted();
  p->set_payment_no(pno);
  p->mutable_prepay()->set_prepay_id("wx_prepay_" + pno);
  p->mutable_prepay()->set_pay_url("https://sandbox.example/pay/" + pno);
  return e;
}

// Query ladder step 0, due far ahead so that nothing fires while measuring.
v1::Event timer_event(int64_t at, const std::string& pno, int64_t due_ms) {
  v1::Event e;
  e.set_at_ms(at);
  auto* t = e.mutable_timer_armed();
  t->set_payment_no(pno);
  t->set_ladder(v1::TimerArmed::QUERY);
  t->set_step(0);
  t->set_due_ms(due_ms);
  t->set_anchor_ms(at);
  return e;
}

v1::Event success_event(int64_t at, const std::string& pno) {
  v1::Event e;
  e.set_at_ms(at);
  auto* s = e.mutable_attempt_succeeded();
  s->set_payment_no(pno);
  s->set_channel_trade_no("42000" + pno);
  s->set_source("notify");
  return e;
}

struct Ids {
  int64_t base_ms = 0;  // created time of order 0
  int64_t due_ms = 0;   // every armed timer
  int64_t created_ms(uint64_t n) const { return base_ms + static_cast<int64_t>(n); }
  std::string pno(uint64_t n) const { return payment_no(created_ms(n), n); }
};

// Order n of the snapshot: even PAYING with a query timer armed, odd PAID.
core::OrderState snapshot_order(const Ids& ids, uint64_t n) {
  const int64_t at = ids.created_ms(n);
  const std::string pno = ids.pno(n);
  core::OrderState s;
  s.merchant_id = kMerchant;
  s.merchant_order_no = order_no(n);
  core::apply(s, opened_event(at, n));
  core::apply(s, created_event(at, pno));
  core::apply(s, prepay_event(at + 40, pno));
  core::apply(s, timer_event(at + 40, pno, ids.due_ms));
  if (n % 2 == 1) core::apply(s, success_event(at + 20'000, pno));
  return s;
}

// Mirrors CheckpointBatch::mutations() (actors/durability.cpp) for an order
// the snapshot did not hold: orders, payments of every attempt, armed timers.
void add_mutations(const core::OrderState& s, std::vector<storage::Mutation>* out) {
  const std::string key = storage::order_key_bytes(s.merchant_id, s.merchant_order_no);
  out->push_back({storage::kOrdersTable, key, core::to_snapshot(s).SerializeAsString()});
  for (const auto& a : s.attempts) out->push_back({storage::kPaymentsTable, a.payment_no, key});
  for (auto& timer : storage::timer_keys(s))
    out->push_back({storage::kTimersTable, std::move(timer), key});
}

actors::Merchant bench_merchant() {
  actors::Merchant m;
  m.merchant_id = kMerchant;
  // SHA-256 hex of "sk_bench" (any 64 hex digits would do: no request is authenticated).
  m.api_key_sha256 = "4b5e8c1a7f0e2d9c3b6a5f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0";
  m.webhook_secret = "whsec_bench";
  m.policy = core::Policy::kStrict;
  return m;
}

// Appends payloads, then waits for all to be durable.
class Appender {
 public:
  explicit Appender(storage::Wal* wal) : wal_(wal) {}
  void append(const v1::WalRecord& record) {
    {
      std::lock_guard lock(mu_);
      ++pending_;
    }
    wal_->append(record.SerializeAsString(), [this](uint64_t lsn, Status st) {
      std::lock_guard lock(mu_);
      if (!st.is_ok() && failure_.is_ok()) failure_ = st;
      last_lsn_ = std::max(last_lsn_, lsn);
      if (--pending_ == 0) cv_.notify_all();
    });
  }
  Status wait(uint64_t* last_lsn) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
    *last_lsn = last_lsn_;
    return failure_;
  }

 private:
  storage::Wal* wal_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t pending_ = 0;
  uint64_t last_lsn_ = 0;
  Status failure_;
};

v1::WalRecord order_record(uint64_t n, std::initializer_list<v1::Event> events) {
  v1::WalRecord record;
  auto* o = record.mutable_order();
  o->set_merchant_id(kMerchant);
  o->set_merchant_order_no(order_no(n));
  for (const auto& e : events) *o->add_events() = e;
  return record;
}

bool build(const Options& options, std::string* error) {
  const auto start = Clock::now();
  std::error_code ec;
  if (std::filesystem::exists(options.data_dir + "/wal", ec) ||
      std::filesystem::exists(options.data_dir + "/snapshot", ec)) {
    *error = "data dir already holds wal/ or snapshot/: " + options.data_dir;
    return false;
  }
  std::filesystem::create_directories(options.data_dir, ec);
  Ids ids;
  ids.base_ms = wall_ms() - static_cast<int64_t>(options.orders) - 60'000;
  ids.due_ms = wall_ms() + 30 * kDayMs;

  // 1. The WAL's first record (lsn 1): the merchant, which the checkpoint covers.
  storage::WalOptions wal_options;
  wal_options.dir = options.data_dir + "/wal";
  wal_options.fsync = false;  // the build only; close() writes everything
  std::unique_ptr<storage::Wal> wal;
  Status st = storage::Wal::open(wal_options, &wal);
  if (!st.is_ok()) {
    *error = "Wal::open: " + st.to_string();
    return false;
  }
  Appender appender(wal.get());
  v1::WalRecord merchant;
  *merchant.mutable_merchant() = storage::merchant_record(bench_merchant());
  appender.append(merchant);
  uint64_t last = 0;
  st = appender.wait(&last);
  if (!st.is_ok() || last != kCheckpointLsn) {
    *error = "the merchant record did not get lsn 1: " + st.to_string();
    return false;
  }

  // 2. The snapshot: checkpoint at lsn 1, committed in chunks (each exact at lsn 1).
  storage::SnapshotOptions snapshot_options;
  snapshot_options.dir = options.data_dir + "/snapshot";
  snapshot_options.tables = storage::snapshot_tables();
  std::unique_ptr<storage::SnapshotStore> store;
  st = storage::SnapshotStore::open(snapshot_options, &store);
  if (!st.is_ok()) {
    *error = "SnapshotStore::open: " + st.to_string();
    return false;
  }
  std::vector<storage::Mutation> mutations;
  mutations.push_back(
      {storage::kLayoutTable, storage::kLayoutVersionKey, std::string(storage::kLayoutVersion)});
  mutations.push_back(
      {storage::kMerchantsTable, kMerchant, merchant.merchant().SerializeAsString()});
  uint64_t snapshot_bytes = 0;
  for (uint64_t n = 0; n < options.orders; ++n) {
    const size_t at = mutations.size();  // the order's own row comes first
    add_mutations(snapshot_order(ids, n), &mutations);
    snapshot_bytes += mutations[at].value->size();
    if ((n + 1) % options.orders_per_commit == 0 || n + 1 == options.orders) {
      st = store->commit_checkpoint(kCheckpointLsn, mutations);
      if (!st.is_ok()) {
        *error = "commit_checkpoint: " + st.to_string();
        return false;
      }
      mutations.clear();
    }
  }
  store.reset();
  const double snapshot_s = seconds_since(start);

  // 3. The tail, lsn 2 .. tail + 1.
  const auto tail_start = Clock::now();
  uint64_t next_new = options.orders;  // new orders' numbers
  uint64_t next_paid = 0;              // the next PAYING (even) snapshot order to pay
  std::string new_pno;                 // the newest order's payment_no
  uint64_t tail_bytes = 0;
  for (uint64_t j = 0; j < options.tail; ++j) {
    v1::WalRecord record;
    const int64_t now = wall_ms();
    switch (j % 3) {
      case 0:  // a new order's first step
        new_pno = payment_no(now, next_new);
        record = order_record(next_new, {opened_event(now, next_new), created_event(now, new_pno)});
        break;
      case 1:  // its prepay step
        record = order_record(next_new,
                              {prepay_event(now, new_pno), timer_event(now, new_pno, ids.due_ms)});
        ++next_new;
        break;
      default:  // a notification paying a PAYING snapshot order
        record = order_record(next_paid, {success_event(now, ids.pno(next_paid))});
        next_paid += 2;
        break;
    }
    tail_bytes += record.ByteSizeLong();
    appender.append(record);
  }
  st = appender.wait(&last);
  if (!st.is_ok()) {
    *error = "tail append: " + st.to_string();
    return false;
  }
  wal->close();
  wal.reset();
  std::printf(
      "build: %llu orders in the snapshot (%.1f MB of OrderSnapshot values) in %.1f s; "
      "WAL tail of %llu records (%.1f MB of payload, lsn 2..%llu) in %.1f s\n",
      static_cast<unsigned long long>(options.orders), static_cast<double>(snapshot_bytes) / 1e6,
      snapshot_s, static_cast<unsigned long long>(options.tail),
      static_cast<double>(tail_bytes) / 1e6, static_cast<unsigned long long>(last),
      seconds_since(tail_start));
  std::fflush(stdout);
  return true;
}

struct Measure {
  double construct_s = 0;  // caf::actor_system + Engine construction
  double ready_s = 0;      // construction + start() until on_done(ok)
  double spawned_s = 0;    // ... until every shard answered a get_order behind its restores
  double touch_s = 0;      // Options::touch more get_orders, one after the other
  double teardown_s = 0;   // ~Engine + ~actor_system
  double rss_before_mib = 0;
  double rss_ready_mib = 0;
  double rss_spawned_mib = 0;
  double rss_touched_mib = 0;
  double anon_ready_mib = 0;    // RssAnon at ready
  double anon_touched_mib = 0;  // RssAnon at the end
  uint64_t live_orders = 0;     // order actors after the probes and touches
  std::string summary;
};

// One order per shard (shard_of, actors/shard_router.hpp), so that their answers come after every
// RestoreMsg (one mailbox per shard, FIFO).
std::vector<actors::OrderKey> probe_keys(const Options& options) {
  std::vector<actors::OrderKey> keys(options.shards);
  std::vector<bool> found(options.shards, false);
  size_t missing = options.shards;
  for (uint64_t n = 0; n < options.orders && missing > 0; ++n) {
    actors::OrderKey key{kMerchant, order_no(n)};
    const size_t shard = actors::shard_of(key, options.shards);
    if (!found[shard]) {
      found[shard] = true;
      keys[shard] = std::move(key);
      --missing;
    }
  }
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [](const actors::OrderKey& k) { return k.merchant_id.empty(); }),
             keys.end());
  return keys;
}

bool measure(const Options& options, Measure* m, std::string* error) {
  const std::vector<actors::OrderKey> probes = probe_keys(options);
  malloc_trim(0);
  m->rss_before_mib = rss_mib();
  const auto start = Clock::now();
  caf::actor_system_config config;
  auto system = std::make_unique<caf::actor_system>(actors::add_message_types(config));
  actors::EngineOptions engine_options;
  engine_options.shards = options.shards;
  engine_options.data_dir = options.data_dir;
  // Nothing but recovery: no checkpoint during or after the measurement, so
  // the data dir is left as it was and can be measured again.
  engine_options.checkpoint_interval = std::chrono::hours(24);
  engine_options.checkpoint_on_shutdown = false;
  auto engine = std::make_unique<actors::Engine>(*system, engine_options);
  m->construct_s = seconds_since(start);
  std::promise<std::pair<bool, std::string>> started;
  engine->start([&started](bool ok, std::string why) { started.set_value({ok, std::move(why)}); });
  auto result = started.get_future().get();
  m->ready_s = seconds_since(start);
  m->rss_ready_mib = rss_mib();
  m->anon_ready_mib = rss_anon_mib();
  if (!result.first) {
    *error = "recovery failed: " + result.second;
    return false;
  }
  m->summary = engine->recovery_summary();

  std::atomic<size_t> bad{0};
  std::vector<std::promise<void>> answered(probes.size());
  for (size_t i = 0; i < probes.size(); ++i) {
    engine->get_order(actors::GetOrderMsg{probes[i]}, [&, i](actors::OrderReply reply) {
      if (reply.code != core::Code::kOk || !reply.has_view) bad.fetch_add(1);
      answered[i].set_value();
    });
  }
  for (auto& a : answered) a.get_future().wait();
  // The tail's effect is there: order 0 (PAYING in the snapshot) was paid by lsn 4.
  if (options.tail >= 3) {
    std::promise<bool> paid;
    engine->get_order(actors::GetOrderMsg{actors::OrderKey{kMerchant, order_no(0)}},
                      [&paid](actors::OrderReply reply) {
                        paid.set_value(reply.has_view && reply.order.status() == v1::Order::PAID);
                      });
    if (!paid.get_future().get()) bad.fetch_add(1);
  }
  m->spawned_s = seconds_since(start);
  m->rss_spawned_mib = rss_mib();
  // On-demand loads: orders spread over the snapshot, one request at a time.
  const auto touch_start = Clock::now();
  for (uint64_t i = 0; i < options.touch; ++i) {
    const uint64_t n = (i * (options.orders / options.touch)) | 1;  // odd: PAID, not in the tail
    if (n >= options.orders) break;
    std::promise<bool> touched_paid;
    engine->get_order(
        actors::GetOrderMsg{actors::OrderKey{kMerchant, order_no(n)}},
        [&touched_paid](actors::OrderReply reply) {
          touched_paid.set_value(reply.has_view && reply.order.status() == v1::Order::PAID);
        });
    if (!touched_paid.get_future().get()) bad.fetch_add(1);
  }
  m->touch_s = seconds_since(touch_start);
  m->rss_touched_mib = rss_mib();
  m->anon_touched_mib = rss_anon_mib();
  m->live_orders = engine->env().live_orders.load();
  if (bad.load() != 0) {
    *error =
        std::to_string(bad.load()) + " probe orders were missing or not as built after recovery";
  }

  const auto teardown = Clock::now();
  engine.reset();
  system.reset();
  m->teardown_s = seconds_since(teardown);
  return error->empty();
}

// Decoding every stored order (LMDB scan + parse + from_snapshot into a map),
// then Wal::open and the tail folded with apply: what recovery cost when it
// was eager, timed step by step (no engine, no actors). Lazy recovery only
// does the last two, with one LMDB read per stored order the tail touches.
bool phases(const Options& options, std::string* error) {
  malloc_trim(0);
  const double rss0 = rss_mib();
  auto start = Clock::now();
  storage::SnapshotOptions snapshot_options;
  snapshot_options.dir = options.data_dir + "/snapshot";
  snapshot_options.tables = storage::snapshot_tables();
  std::unique_ptr<storage::SnapshotStore> store;
  Status st = storage::SnapshotStore::open(snapshot_options, &store);
  if (!st.is_ok()) {
    *error = st.to_string();
    return false;
  }
  std::unordered_map<std::string, core::OrderState> orders;
  uint64_t scanned = 0;
  double parse_s = 0;
  st = store->scan(storage::kOrdersTable, [&](std::string_view key, std::string_view value) {
    v1::OrderSnapshot snapshot;
    snapshot.ParseFromArray(value.data(), static_cast<int>(value.size()));
    orders.emplace(std::string(key), core::from_snapshot(snapshot));
    ++scanned;
  });
  parse_s = seconds_since(start);
  if (!st.is_ok()) {
    *error = st.to_string();
    return false;
  }
  const auto wal_start = Clock::now();
  storage::WalOptions wal_options;
  wal_options.dir = options.data_dir + "/wal";
  std::unique_ptr<storage::Wal> wal;
  st = storage::Wal::open(wal_options, &wal);
  if (!st.is_ok()) {
    *error = st.to_string();
    return false;
  }
  const double open_s = seconds_since(wal_start);
  uint64_t replayed = 0;
  st = wal->replay(store->checkpoint_lsn(), [&](uint64_t, std::string_view payload) {
    v1::WalRecord record;
    record.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
    if (!record.has_order()) return;
    const auto& o = record.order();
    auto& state = orders[storage::order_key_bytes(o.merchant_id(), o.merchant_order_no())];
    if (state.merchant_id.empty()) {
      state.merchant_id = o.merchant_id();
      state.merchant_order_no = o.merchant_order_no();
    }
    for (const auto& e : o.events()) core::apply(state, e);
    ++replayed;
  });
  if (!st.is_ok()) {
    *error = st.to_string();
    return false;
  }
  const double replay_s = seconds_since(wal_start) - open_s;
  std::printf(
      "phases: LMDB scan + parse + from_snapshot of %llu orders %.2f s; Wal::open %.2f s; "
      "replay + apply of %llu records %.2f s; VmRSS %.0f -> %.0f MiB (%zu OrderStates)\n",
      static_cast<unsigned long long>(scanned), parse_s, open_s,
      static_cast<unsigned long long>(replayed), replay_s, rss0, rss_mib(), orders.size());
  std::printf(
      "{\"bench\":\"recovery_phases\",\"orders\":%llu,\"scan_s\":%.3f,\"wal_open_s\":%.3f,"
      "\"replay_s\":%.3f,\"rss_mib\":%.0f}\n",
      static_cast<unsigned long long>(scanned), parse_s, open_s, replay_s, rss_mib());
  wal->close();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: oncepay-recovery-bench [--orders=N] [--tail=M] [--data-dir=DIR] "
                 "[--keep] [--measure-only | --phases-only] [--shards=S] [--touch=K]\n");
    return 2;
  }
  bool remove_dir = false;
  if (options.data_dir.empty()) {
    std::string templ =
        (std::filesystem::current_path() / "oncepay-recovery-bench-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a temp dir under the current directory\n");
      return 1;
    }
    options.data_dir = templ;
    remove_dir = !options.keep;
  }
  std::printf("recovery bench: data dir %s, %llu orders, %llu-record tail, %zu shards\n",
              options.data_dir.c_str(), static_cast<unsigned long long>(options.orders),
              static_cast<unsigned long long>(options.tail), options.shards);
  std::fflush(stdout);
  std::string error;
  double build_s = 0;
  if (!options.measure_only && !options.phases_only) {
    const auto start = Clock::now();
    if (!build(options, &error)) {
      std::fprintf(stderr, "build failed: %s\n", error.c_str());
      return 1;
    }
    build_s = seconds_since(start);
  }
  if (options.phases_only) {
    if (!phases(options, &error)) {
      std::fprintf(stderr, "phases failed: %s\n", error.c_str());
      return 1;
    }
    return 0;
  }
  Measure m;
  const bool ok = measure(options, &m, &error);
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(options.data_dir, ec);
  }
  if (!ok) {
    std::fprintf(stderr, "measure failed: %s\n", error.c_str());
    return 1;
  }
  std::printf("recovery: %s\n", m.summary.c_str());
  std::printf(
      "ready after %.2f s (construction %.2f s); every shard answered after %.2f s; "
      "%llu more orders loaded on first use in %.2f s; %llu live orders; teardown %.2f s\n",
      m.ready_s, m.construct_s, m.spawned_s, static_cast<unsigned long long>(options.touch),
      m.touch_s, static_cast<unsigned long long>(m.live_orders), m.teardown_s);
  std::printf(
      "VmRSS: %.0f MiB before, %.0f MiB at ready, %.0f MiB spawned, %.0f MiB touched; "
      "RssAnon %.0f MiB at ready, %.0f MiB touched\n",
      m.rss_before_mib, m.rss_ready_mib, m.rss_spawned_mib, m.rss_touched_mib, m.anon_ready_mib,
      m.anon_touched_mib);
  char json[1024];
  std::snprintf(
      json, sizeof json,
      "{\"bench\":\"recovery\",\"orders\":%llu,\"tail\":%llu,\"shards\":%zu,"
      "\"build_s\":%.2f,\"construct_s\":%.3f,\"ready_s\":%.3f,\"spawned_s\":%.3f,"
      "\"touch\":%llu,\"touch_s\":%.3f,\"live_orders\":%llu,"
      "\"teardown_s\":%.3f,\"rss_before_mib\":%.0f,\"rss_ready_mib\":%.0f,"
      "\"rss_spawned_mib\":%.0f,\"rss_touched_mib\":%.0f,\"anon_ready_mib\":%.0f,"
      "\"anon_touched_mib\":%.0f}",
      static_cast<unsigned long long>(options.orders),
      static_cast<unsigned long long>(options.tail), options.shards, build_s, m.construct_s,
      m.ready_s, m.spawned_s, static_cast<unsigned long long>(options.touch), m.touch_s,
      static_cast<unsigned long long>(m.live_orders), m.teardown_s, m.rss_before_mib,
      m.rss_ready_mib, m.rss_spawned_mib, m.rss_touched_mib, m.anon_ready_mib, m.anon_touched_mib);
  std::printf("%s\n", json);
  return 0;
}
