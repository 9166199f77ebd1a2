// The engine: the actor side of oncepay in one object. It spawns the shards
// (which spawn order actors) and a few router actors that serve engine_actor,
// the front door (actors/engine_router.hpp). Code outside CAF (gateway
// threads) calls the methods below: each sends one typed request to a router
// (from a one-shot actor that lives until the reply) and calls back with the
// reply; actors may request the routers (front_door()) directly. The
// methods route on the caller's thread by the routers' own rule
// (route_request, actors/engine_router.hpp) and send to the shard, one
// mailbox hop fewer. The
// channels' adapter actors come from the caller (EngineOptions::channels,
// filled from the daemon's channels::ChannelRegistry); the engine names none
// of them.
//
// Thread-safety: every public method may be called from any thread; `done`
// callbacks run on a CAF worker thread, exactly once per request (with a
// kPaymentStatusUnknown reply if the order did not answer within
// request_timeout).
//
// Durability (docs/DURABILITY.md). With an empty EngineOptions::data_dir the
// engine is in-memory and ready at construction. With a data dir it is not
// ready until start() has recovered: the daemon constructs the Engine, adds
// the configured merchants, calls start(on_done) and serves /healthz
// meanwhile; on_done(true, "") means ready (every request is answered
// kNotReady before), on_done(false, error) means the data on disk cannot be
// used (e.g. a corrupt WAL record: the error names the file and offset): log
// the error and exit non-zero. Recovery is lazy: it rebuilds the orders of
// the WAL tail; the others are loaded from the snapshot on first use, and
// the stored-timer actor loads an order when a stored timer of it comes
// due. Every state change (pay, close, notify, create_merchant) is durable
// in the WAL before its callback runs. After a storage failure (sticky)
// state changes are answered kStorageUnavailable; reads keep working. The
// destructor stops the engine: it takes a last checkpoint (unless
// checkpoint_on_shutdown is off) and closes the storage. With
// EngineOptions::deterministic enabled, start() and checkpoint() finish
// before they return and the engine starts no thread (see there).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/engine_router.hpp"
#include "actors/merchants.hpp"
#include "actors/messages.hpp"
#include "actors/order_env.hpp"
#include "actors/shard_router.hpp"
#include "actors/stored_timers.hpp"
#include "actors/webhooks.hpp"
#include "channels/accounts.hpp"
#include "storage/durability.hpp"

namespace oncepay::actors {

// 5 s to connect (TLS handshake included) and 5 s for the exchange. A
// function rather than a designated initializer in EngineOptions: with a
// string among HttpClientOptions' members, GCC 12 takes the defaulted ones
// for uninitialized (-Wmaybe-uninitialized) wherever EngineOptions{} is made.
inline http::HttpClientOptions default_webhook_client() {
  http::HttpClientOptions options;
  options.connect_timeout = std::chrono::milliseconds{5000};
  options.request_timeout = std::chrono::milliseconds{5000};
  return options;
}

// A deterministic engine, for the fault simulation (docs/SIMULATION.md): it
// runs on CAF's test coordinator (scheduler.policy "testing") and starts no
// thread of its own, so the same inputs give the same run.
struct DeterministicOptions {
  // Storage runs on the calling thread: the WAL actor writes and fdatasyncs
  // each group commit itself (no WAL writer thread), start() recovers before
  // it returns, checkpoint() checkpoints before it returns, and there are no
  // periodic checkpoints (DurabilityOptions::inline_storage).
  bool enabled = false;
  // Wall-clock time is wall_base_ms + the actor clock's time since its epoch
  // (continuous across engines that share one actor system), not the
  // system clock.
  int64_t wall_base_ms = 1'800'000'000'000;
  // The payment_no boot nonce (4 characters): give each engine of one run
  // its own.
  std::string boot_nonce = "0000";
  // Where merchant webhooks go instead of the HTTP delivery actor (it must
  // answer every WebhookPost); invalid: none can be made.
  webhook_actor webhooks;
};

struct EngineOptions {
  core::PaymentConfig payment;
  size_t shards = 64;
  std::chrono::milliseconds channel_timeout{5000};
  // Merchant webhook delivery: the shared client's connect/read timeouts and
  // its TLS trust for https:// notify URLs (tls_ca_file, from
  // notify.tls-ca-file), and the delivery actor's concurrency bound.
  http::HttpClientOptions webhook_client = default_webhook_client();
  WebhookOptions webhooks;
  // Bound on one request's whole flow (query + close + prepay at most).
  std::chrono::milliseconds request_timeout{30000};
  // Router actors serving engine_actor (requests are spread over them).
  size_t routers = 4;
  // The payment channels by name (channels::ChannelRegistry::actors()),
  // owned by the caller and alive as long as the engine.
  std::map<std::string, channel_actor, std::less<>> channels;

  // Durability. Empty data_dir: in-memory (nothing survives a restart).
  // Otherwise the WAL lives in data_dir/wal and the snapshot in
  // data_dir/snapshot.
  std::string data_dir;
  std::chrono::milliseconds checkpoint_interval{30'000};
  std::size_t snapshot_map_size_bytes = storage::kSnapshotGiB;
  std::size_t snapshot_max_map_size_bytes = 64 * storage::kSnapshotGiB;
  // false skips fdatasync (survives a process crash, not a power loss):
  // benchmarks only.
  bool fsync = true;
  // A WAL append not durable within this counts as a storage failure.
  std::chrono::milliseconds storage_timeout{10'000};
  // WAL segment size (storage::WalOptions::segment_bytes) and the orders one
  // checkpoint transaction may hold (its memory bound).
  std::size_t wal_segment_bytes = 64 * storage::wal_format::kMiB;
  std::size_t checkpoint_orders_per_commit = 50'000;
  // Lazy recovery: how far ahead the stored timers of orders not in memory
  // are read (actors/stored_timers.hpp).
  std::chrono::milliseconds stored_timer_window{60'000};
  // Tests set this false to leave as a crash would (no last checkpoint).
  bool checkpoint_on_shutdown = true;
  // Test hook: replaces fdatasync in the WAL (storage::WalOptions).
  std::function<int(int fd)> wal_fdatasync_hook;

  // Deterministic simulation mode (off in production).
  DeterministicOptions deterministic;

  // Merchants' channel accounts (channels/accounts.hpp): recovery loads the
  // stored ones into it, set_channel_account() adds to it; the adapters read
  // it. Null: a store of its own (no channel takes accounts).
  std::shared_ptr<channels::ChannelAccounts> channel_accounts;

  // Where order state changes are logged, one JSON line each (null: not
  // logged). Shared: the log may outlive the engine.
  std::shared_ptr<StateLog> state_log;
};

// How long a caller waits for the answer to an operator's request: an
// appeal queries every attempt in turn, each within the channel's timeout
// (shorter than request_timeout), so request_timeout per attempt the order
// may have (payment.max-attempts); every other request request_timeout.
std::chrono::milliseconds operator_answer_bound(const OperatorMsg& msg,
                                                const EngineOptions& options);

class Engine {
 public:
  using Done = std::function<void(OrderReply)>;

  Engine(caf::actor_system& system, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void pay(PayMsg msg, Done done);
  void close(CloseMsg msg, Done done);
  void refund(RefundMsg msg, Done done);
  // Reconciliation findings and review resolutions (ReviewMsg).
  void review(ReviewMsg msg, Done done);
  // An operator's close, refund, query now, webhook retry or payer appeal
  // (OperatorMsg). An appeal queries every attempt in turn, so its answer is
  // bounded by request_timeout per attempt the order may have
  // (payment.max-attempts): each query ends within the channel's timeout,
  // which is shorter than request_timeout.
  void operate(OperatorMsg msg, Done done);
  void get_order(GetOrderMsg msg, Done done);
  // Routed by payment_no: the shard comes from the payment_no's shard field
  // (ShardRouter::route_payment), and the shard finds the order (its own
  // index, else the snapshot's `payments`). A payment_no made before they
  // carried a shard is routed by its order key (actors/engine_router.hpp).
  // Another merchant's payment, or a payment_no whose shard field is out of
  // range, is not found.
  void get_payment(const std::string& merchant_id, const std::string& payment_no, Done done);
  // An operator's search (GET /admin/orders?payment_no=): the payment of any
  // merchant, routed like get_payment; the reply carries the order's
  // operator view (OrderReply::admin) besides the payment's.
  void find_payment(const std::string& payment_no, Done done);
  // An operator's search by the channel's own trade id (GET
  // /admin/orders?channel_trade_no=: WeChat Pay transaction_id, Alipay
  // trade_no), any merchant, any channel. Reads the snapshot's
  // `channel_trades` (the index of record; nothing is kept in memory for
  // it); if nothing is there and the WAL has records after the last
  // checkpoint, takes a checkpoint (a trade learned since the last one is
  // only in the WAL tail; concurrent searches share one) and reads again. Then asks each match's
  // order for its operator view (OrderReply::admin), as get_order does, and keeps the matches whose
  // attempt still carries the number. done gets kOk and at most
  // kMaxChannelTradeMatches matches in (channel, payment_no) order (none:
  // no such number); or kNotReady (recovering; or an in-memory engine, which
  // has no snapshot to search: "needs a durable engine (a data dir)"), or
  // kStorageUnavailable (the table cannot be read: storage marked failed; or
  // the checkpoint failed), or an order's refusal (e.g.
  // kPaymentStatusUnknown when it did not answer within request_timeout).
  // done runs on the caller's thread, the storage thread or a CAF worker.
  struct ChannelTradeMatch {
    std::string payment_no;  // the matching attempt
    OrderReply order;        // has_admin: the order's operator view
  };
  using ChannelTradeDone =
      std::function<void(core::Code code, std::string message, std::vector<ChannelTradeMatch>)>;
  static constexpr size_t kMaxChannelTradeMatches = 20;
  void find_channel_trade(const std::string& channel_trade_no, ChannelTradeDone done);

  // A channel's notification for one of our payments.
  // merchant_id: set when it came by that merchant's notify URL (another
  // merchant's payment is then not found); empty: any merchant's.
  void notify(const std::string& channel, core::ChannelNotice notice, Done done,
              std::string merchant_id = {});

  // Admin: creates a merchant with a fresh api key (returned once, clear, in
  // the callback) and webhook secret. kMerchantExists when the id is taken.
  using MerchantDone = std::function<void(core::Code, Merchant, std::string api_key)>;
  void create_merchant(const std::string& merchant_id, core::Policy policy, MerchantDone done);

  // Admin: sets the merchant's account at `channel` (already parsed by the
  // channel's AccountParser: `account`, and `canonical`, the JSON to store).
  // Durable in the WAL (ChannelAccountSet) before it is installed and done
  // runs: kOk, or kStorageUnavailable / kNotReady. Of two concurrent calls
  // for one (merchant, channel) the one appended last is what recovery
  // restores; callers serialise changes of one account.
  using AccountDone = std::function<void(core::Code)>;
  void set_channel_account(const std::string& merchant_id, const std::string& channel,
                           std::string canonical,
                           std::shared_ptr<const channels::ChannelAccount> account,
                           AccountDone done);
  channels::ChannelAccounts& channel_accounts() { return *options_.channel_accounts; }

  // Recovers from data_dir on a background thread (the storage thread), then
  // calls on_done on that thread: (true, "") once the merchants and the WAL
  // tail's orders are installed, the stored timers are scheduled, and
  // ready() is true; (false, error) when recovery failed (ready() stays
  // false; destroy the engine). In-memory engines call on_done(true, "") at
  // once. Call once. on_done must not destroy the Engine (the destructor
  // joins the thread on_done runs on).
  using StartDone = std::function<void(bool ok, std::string error)>;
  void start(StartDone on_done);
  // One line about what recovery found (orders, merchants, LSNs, a cut torn
  // tail), for the startup log; empty before start() finished.
  std::string recovery_summary() const;

  // Takes a checkpoint now (normally periodic: checkpoint_interval); done
  // runs on the storage thread. In-memory engines answer (true, "") at once.
  void checkpoint(StartDone done);

  // True once recovery finished and requests are served; until then every
  // request is answered kNotReady.
  bool ready() const { return ready_->load(std::memory_order_acquire); }
  // False after durability failed (sticky): state changes are refused.
  bool storage_healthy() const { return env_->storage->healthy(); }
  // "ok", "recovering", or "storage failed: <what failed first>".
  std::string status_detail() const;

  bool has_channel(std::string_view name) const;
  Merchants& merchants() { return *merchants_; }
  const OrderEnv& env() const { return *env_; }
  // The review list (GET /admin/review): open review items of every order.
  const ReviewIndex& reviews() const { return *env_->reviews; }
  // Counters of the order actors, for /metrics.
  const OrderObserver& observer() const { return *env_->observer; }
  // The WAL (for its group-commit histograms); null when in memory, not
  // started yet, or stopped.
  std::shared_ptr<const storage::Wal> wal() const;
  // A router actor (the front door), for requests from actors.
  engine_actor front_door();

 private:
  // Sends msg to a router from a one-shot actor; done gets the reply, or
  // kPaymentStatusUnknown after request_timeout.
  // `timeout`: the bound on the answer; 0 means options_.request_timeout.
  template <class Msg>
  void call(Msg msg, Done done, std::chrono::milliseconds timeout = {});
  void install(storage::Recovered& recovered);
  // find_channel_trade's steps: the snapshot's matches (after a checkpoint
  // when `checkpointed`), then their orders.
  void read_channel_trades(const std::string& channel_trade_no, bool checkpointed,
                           ChannelTradeDone done);
  void fetch_channel_trades(const std::string& channel_trade_no,
                            std::vector<storage::StoredOrders::ChannelTradeMatch> matches,
                            ChannelTradeDone done);

  caf::actor_system& system_;
  EngineOptions options_;
  // Shared with the order actors (OrderEnv::merchants): an actor still
  // running after the engine is gone must not read a destroyed registry.
  std::shared_ptr<Merchants> merchants_ = std::make_shared<Merchants>();
  std::shared_ptr<OrderEnv> env_;
  std::shared_ptr<http::HttpClient> webhook_client_;
  webhook_actor webhooks_;
  // The shards, and the one mapping of keys and payment numbers to them.
  std::shared_ptr<const ShardRouter> router_;
  stored_timers_actor stored_timers_;  // durable engines only
  // What the routers share; `legacy` is filled by install() before ready_.
  std::shared_ptr<RouterEnv> routes_;
  std::vector<engine_actor> routers_;
  std::atomic<size_t> next_router_{0};
  std::shared_ptr<storage::Durability> durability_;  // null: in-memory
  // In-memory: nothing to recover. Shared with the routers.
  std::shared_ptr<std::atomic<bool>> ready_ = std::make_shared<std::atomic<bool>>(true);
  mutable std::mutex summary_mutex_;
  std::string recovery_summary_;
};

}  // namespace oncepay::actors
