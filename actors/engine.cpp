#include "actors/engine.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <random>

#include "actors/shard.hpp"
#include "actors/shard_router.hpp"
#include "actors/wal_actor.hpp"
#include "core/check.hpp"
#include "core/signature.hpp"

namespace oncepay::actors {

namespace {

// Recovered orders go to their shards in messages of at most this many.
constexpr size_t kRestoreChunk = 1024;

OrderReply timeout_reply(const caf::error& err, int64_t retry_after_s) {
  OrderReply r;
  r.code = core::Code::kPaymentStatusUnknown;
  r.message = "the order did not answer in time (" + to_string(err) + ")";
  r.retry_after_s = retry_after_s;
  return r;
}

// find_channel_trade's orders, asked at once; they answer on CAF workers in
// any order, and the last one answers the search.
struct TradeGather {
  std::mutex mutex;
  size_t left = 0;                                 // guarded by mutex
  std::vector<std::optional<OrderReply>> replies;  // by match; guarded by mutex
  std::vector<storage::StoredOrders::ChannelTradeMatch> matches;
  std::string channel_trade_no;
  Engine::ChannelTradeDone done;

  // Once every reply is in: the orders whose attempt still carries the
  // number (one that changed since the checkpoint no longer matches), or
  // the first refusal. An order not found (it cannot be: the snapshot holds
  // it) is left out.
  void answer() {
    std::vector<Engine::ChannelTradeMatch> found;
    for (size_t k = 0; k < replies.size(); ++k) {
      OrderReply& r = *replies[k];
      if (r.code == core::Code::kOrderNotFound) continue;
      if (!core::is_success(r.code)) return done(r.code, std::move(r.message), {});
      if (r.has_admin && carries(r.admin.order(), matches[k].payment_no)) {
        found.push_back({matches[k].payment_no, std::move(r)});
      }
    }
    done(core::Code::kOk, {}, std::move(found));
  }

  bool carries(const v1::OrderView& order, const std::string& payment_no) const {
    return std::any_of(
        order.attempts().begin(), order.attempts().end(), [&](const v1::AttemptView& a) {
          return a.payment_no() == payment_no && a.channel_trade_no() == channel_trade_no;
        });
  }
};

}  // namespace

Engine::Engine(caf::actor_system& system, EngineOptions options)
    : system_(system), options_(std::move(options)) {
  if (!options_.channel_accounts) {
    options_.channel_accounts = std::make_shared<channels::ChannelAccounts>();
  }
  env_ = std::make_shared<OrderEnv>();
  env_->payment = options_.payment;
  env_->channel_timeout = options_.channel_timeout;
  env_->wall_base_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  env_->steady_base = system.clock().now();
  env_->boot_nonce = core::random_token(2);  // 4 hex chars
  env_->shard_count = options_.shards;
  if (options_.deterministic.enabled) {
    env_->wall_base_ms = options_.deterministic.wall_base_ms;
    env_->steady_base = caf::actor_clock::time_point{};
    env_->boot_nonce = options_.deterministic.boot_nonce;
  }
  for (const auto& [name, channel] : options_.channels) env_->channels.emplace(name, channel);
  env_->observer = std::make_shared<OrderObserver>(options_.state_log);
  for (const auto& [name, channel] : env_->channels) env_->observer->add_channel(name);
  env_->storage_timeout = options_.storage_timeout;
  env_->merchants = merchants_;
  if (options_.deterministic.enabled) {
    env_->webhooks = options_.deterministic.webhooks;
  } else {
    webhook_client_ = std::make_shared<http::HttpClient>(options_.webhook_client);
    webhooks_ = system.spawn(webhook_actor_impl, webhook_client_, options_.webhooks);
    env_->webhooks = webhooks_;
  }
  env_->webhook_timeout = options_.webhook_client.connect_timeout +
                          options_.webhook_client.request_timeout + std::chrono::seconds(2);
  if (!options_.data_dir.empty()) {
    storage::DurabilityOptions d;
    d.data_dir = options_.data_dir;
    d.checkpoint_interval = options_.checkpoint_interval;
    d.map_size_bytes = options_.snapshot_map_size_bytes;
    d.max_map_size_bytes = options_.snapshot_max_map_size_bytes;
    d.fsync = options_.fsync;
    d.fdatasync_hook = options_.wal_fdatasync_hook;
    d.segment_bytes = options_.wal_segment_bytes;
    d.max_orders_per_commit = std::max<std::size_t>(1, options_.checkpoint_orders_per_commit);
    d.inline_storage = options_.deterministic.enabled;
    d.shards = options_.shards;
    durability_ = std::make_shared<storage::Durability>(std::move(d), env_->storage);
    env_->stored = durability_->stored();
    std::weak_ptr<storage::Durability> weak = durability_;
    env_->wal = system.spawn(
        wal_actor_impl,
        [weak]() -> std::shared_ptr<storage::Wal> {
          auto durability = weak.lock();
          return durability ? durability->wal() : nullptr;
        },
        env_->storage, options_.storage_timeout, options_.deterministic.enabled);
    ready_->store(false, std::memory_order_release);
  }
  std::shared_ptr<const OrderEnv> env = env_;
  std::vector<shard_actor> shards;
  for (size_t i = 0; i < options_.shards; ++i) shards.push_back(system.spawn(shard_impl, env));
  router_ = std::make_shared<const ShardRouter>(std::move(shards));
  if (durability_) {
    stored_timers_ = system.spawn(stored_timers_impl, env, router_, options_.stored_timer_window);
  }
  routes_ = std::make_shared<RouterEnv>();
  routes_->router = router_;
  routes_->env = env;
  routes_->ready = ready_;
  std::shared_ptr<const RouterEnv> routes = routes_;
  for (size_t i = 0; i < std::max<size_t>(1, options_.routers); ++i) {
    routers_.push_back(system.spawn(engine_router_impl, routes));
  }
}

Engine::~Engine() {
  // Requests cut off by the shutdown are not storage failures.
  env_->storage->set_stopping();
  ready_->store(false, std::memory_order_release);
  for (auto& s : router_->shards()) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& r : routers_) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  if (stored_timers_) caf::anon_send_exit(stored_timers_, caf::exit_reason::user_shutdown);
  if (webhooks_) caf::anon_send_exit(webhooks_, caf::exit_reason::user_shutdown);
  if (webhook_client_) webhook_client_->stop();  // deliveries in flight end as failed attempts
  if (durability_) {
    // Joins the storage thread (which may still be recovering) before the
    // members its callbacks use go away; then closes the WAL and LMDB.
    durability_->stop(options_.checkpoint_on_shutdown);
    caf::anon_send_exit(env_->wal, caf::exit_reason::user_shutdown);
  }
}

void Engine::start(StartDone on_done) {
  if (!durability_) return on_done(true, "");
  // `this` outlives the storage thread: the destructor joins it first.
  durability_->start([this](storage::Recovered& recovered) { install(recovered); },
                     [this, on_done = std::move(on_done)](storage::Status status) {
                       if (!status.is_ok()) return on_done(false, status.to_string());
                       if (env_->storage->stopping()) return on_done(false, "stopping");
                       ready_->store(true, std::memory_order_release);
                       on_done(true, "");
                     });
}

void Engine::install(storage::Recovered& recovered) {
  if (env_->storage->stopping()) return;
  {
    std::lock_guard lock(summary_mutex_);
    recovery_summary_ = describe(recovered);
  }
  // Merchants first: an order's timers follow its merchant's policy.
  for (auto& m : recovered.merchants) merchants_->put(std::move(m));
  // Channel accounts of channels this daemon does not run stay stored (the
  // snapshot keeps them) but are not loaded.
  for (const auto& a : recovered.channel_accounts) {
    std::string error;
    if (!options_.channel_accounts->load(a.merchant_id(), a.channel(), a.config(), &error)) {
      std::fprintf(stderr, "oncepay: channel account of merchant %s at %s not loaded: %s\n",
                   a.merchant_id().c_str(), a.channel().c_str(), error.c_str());
    }
  }
  // Review items: the snapshot's, then the tail's orders (newer) replace
  // those of the orders they touched.
  std::map<std::string, std::pair<OrderKey, std::vector<core::ReviewState>>> stored_reviews;
  for (auto& r : recovered.reviews) {
    auto& entry =
        stored_reviews[storage::order_key_bytes(r.order.merchant_id, r.order.merchant_order_no)];
    entry.first = r.order;
    entry.second.push_back(std::move(r.item));
  }
  for (const auto& [key, entry] : stored_reviews) env_->reviews->set(entry.first, entry.second);
  for (const auto& state : recovered.orders) {
    env_->reviews->set(OrderKey{state.merchant_id, state.merchant_order_no}, state.reviews);
  }
  std::vector<RestoreMsg> pending(router_->shard_count());
  ParkedTimersMsg timers;
  for (auto& state : recovered.orders) {
    if (auto due = next_due_ms(state)) {
      timers.due.push_back(DueOrder{*due, OrderKey{state.merchant_id, state.merchant_order_no}});
    }
    // Legacy payment numbers name no shard: the routers find their orders
    // here (the shard indexes every payment_no of its parked orders).
    for (const auto& a : state.attempts) {
      if (payment_no_shard(a.payment_no)) continue;
      routes_->legacy.insert_or_assign(a.payment_no,
                                       OrderKey{state.merchant_id, state.merchant_order_no});
    }
    const size_t shard = router_->shard_of(OrderKey{state.merchant_id, state.merchant_order_no});
    const core::Policy policy = merchants_->policy_of(state.merchant_id);
    pending[shard].orders.push_back(RestoredOrder{std::move(state), policy});
    if (pending[shard].orders.size() >= kRestoreChunk) {
      caf::anon_send(router_->shard(shard), std::move(pending[shard]));
      pending[shard] = RestoreMsg{};
    }
  }
  // A request sent after ready() is queued behind these in its shard.
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!pending[i].orders.empty()) caf::anon_send(router_->shard(i), std::move(pending[i]));
  }
  // The parked orders' timers, and the first scan of the stored ones: sent
  // after the restores, so a shard has parked the tail's orders (whose
  // stored timers may be stale) before any wake-up for them arrives.
  caf::anon_send(stored_timers_, std::move(timers));
}

std::string Engine::recovery_summary() const {
  std::lock_guard lock(summary_mutex_);
  return recovery_summary_;
}

void Engine::checkpoint(StartDone done) {
  if (!durability_) return done(true, "");
  durability_->checkpoint([done = std::move(done)](storage::Status status) {
    done(status.is_ok(), status.is_ok() ? std::string() : status.to_string());
  });
}

template <class Msg>
void Engine::call(Msg msg, Done done, std::chrono::milliseconds bound) {
  const auto timeout = bound.count() > 0 ? bound : options_.request_timeout;
  const int64_t retry_after = options_.payment.retry_after_s;
  // Routed here, on the caller's thread, by the routers' own rule
  // (route_request): the request goes straight to its shard, one mailbox hop
  // fewer than through a router (engine_actor serves actor callers).
  Route route = route_request(*routes_, msg);
  if (auto* reply = std::get_if<OrderReply>(&route)) return done(std::move(*reply));
  shard_actor shard = std::get<shard_actor>(std::move(route));
  // Lives until the reply (or the timeout) arrives, then ends. Hidden: the
  // actor system's shutdown does not wait for it, so a request cut off by
  // the shutdown (whose order actor is gone) cannot hold the process for
  // request_timeout.
  system_.spawn<caf::hidden>([shard, timeout, retry_after, msg = std::move(msg),
                              done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(shard, timeout, std::move(msg))
        .then([done](OrderReply& reply) { done(std::move(reply)); },
              [done, retry_after](caf::error& err) { done(timeout_reply(err, retry_after)); });
  });
}

engine_actor Engine::front_door() {
  return routers_[next_router_.fetch_add(1, std::memory_order_relaxed) % routers_.size()];
}

void Engine::pay(PayMsg msg, Done done) { call(std::move(msg), std::move(done)); }

void Engine::close(CloseMsg msg, Done done) { call(std::move(msg), std::move(done)); }

void Engine::refund(RefundMsg msg, Done done) { call(std::move(msg), std::move(done)); }

void Engine::review(ReviewMsg msg, Done done) { call(std::move(msg), std::move(done)); }

std::chrono::milliseconds operator_answer_bound(const OperatorMsg& msg,
                                                const EngineOptions& options) {
  if (msg.kind != OperatorMsg::Kind::kAppeal) return options.request_timeout;
  return options.request_timeout * std::max<int32_t>(1, options.payment.max_attempts);
}

void Engine::operate(OperatorMsg msg, Done done) {
  const auto bound = operator_answer_bound(msg, options_);
  call(std::move(msg), std::move(done), bound);
}

void Engine::get_order(GetOrderMsg msg, Done done) { call(std::move(msg), std::move(done)); }

void Engine::get_payment(const std::string& merchant_id, const std::string& payment_no, Done done) {
  call(GetPaymentMsg{merchant_id, payment_no}, std::move(done));
}

void Engine::find_payment(const std::string& payment_no, Done done) {
  call(GetPaymentMsg{{}, payment_no, /*admin=*/true}, std::move(done));
}

void Engine::find_channel_trade(const std::string& channel_trade_no, ChannelTradeDone done) {
  if (!ready())
    return done(core::Code::kNotReady, "the engine is recovering; try again shortly", {});
  if (!env_->stored) {
    // Only the snapshot knows the channels' numbers: an in-memory engine
    // would have to ask every order actor.
    return done(core::Code::kNotReady,
                "search by channel_trade_no needs a durable engine (a data dir)", {});
  }
  read_channel_trades(channel_trade_no, false, std::move(done));
}

void Engine::read_channel_trades(const std::string& channel_trade_no, bool checkpointed,
                                 ChannelTradeDone done) {
  std::vector<storage::StoredOrders::ChannelTradeMatch> matches;
  bool more = false;
  storage::Status st =
      env_->stored->find_channel_trade(channel_trade_no, kMaxChannelTradeMatches, &matches, &more);
  if (!st.is_ok()) {
    env_->storage->fail("reading the stored channel trade index", st.to_string());
    return done(core::Code::kStorageUnavailable,
                "the channel trade index could not be read from storage", {});
  }
  if (!matches.empty() || checkpointed) {
    return fetch_channel_trades(channel_trade_no, std::move(matches), std::move(done));
  }
  // Nothing durable since the last checkpoint: the snapshot is the whole
  // truth, and a checkpoint would change nothing.
  std::shared_ptr<const storage::Wal> log = wal();
  if (log && log->last_lsn() <= durability_->checkpoint_lsn()) return done(core::Code::kOk, {}, {});
  // `this` outlives the callback: the destructor stops the storage thread
  // (which answers the waiting checkpoints) before anything it uses goes.
  checkpoint([this, channel_trade_no, done = std::move(done)](bool ok, std::string error) mutable {
    if (env_->storage->stopping()) {
      return done(core::Code::kNotReady, "the engine is stopping", {});
    }
    if (!ok) {
      return done(core::Code::kStorageUnavailable,
                  "the WAL tail could not be checkpointed for the search: " + error, {});
    }
    read_channel_trades(channel_trade_no, true, std::move(done));
  });
}

void Engine::fetch_channel_trades(const std::string& channel_trade_no,
                                  std::vector<storage::StoredOrders::ChannelTradeMatch> matches,
                                  ChannelTradeDone done) {
  if (matches.empty()) return done(core::Code::kOk, {}, {});
  auto gather = std::make_shared<TradeGather>();
  gather->left = matches.size();
  gather->replies.resize(matches.size());
  gather->matches = std::move(matches);
  gather->channel_trade_no = channel_trade_no;
  gather->done = std::move(done);
  for (size_t i = 0; i < gather->matches.size(); ++i) {
    get_order(GetOrderMsg{gather->matches[i].order, /*admin=*/true}, [gather, i](OrderReply reply) {
      {
        std::lock_guard lock(gather->mutex);
        gather->replies[i] = std::move(reply);
        if (--gather->left > 0) return;
      }
      gather->answer();
    });
  }
}

void Engine::notify(const std::string& channel, core::ChannelNotice notice, Done done,
                    std::string merchant_id) {
  if (!has_channel(channel)) {
    return done(OrderReply{core::Code::kPaymentNotFound, "no such payment"});
  }
  // The order decides whether the payment is this channel's (decide_notice).
  notice.channel = channel;
  NoticeMsg msg{std::move(notice)};
  msg.merchant_id = std::move(merchant_id);
  call(std::move(msg), std::move(done));
}

void Engine::create_merchant(const std::string& merchant_id, core::Policy policy,
                             MerchantDone done) {
  if (!ready()) return done(core::Code::kNotReady, Merchant{}, "");
  if (!storage_healthy()) return done(core::Code::kStorageUnavailable, Merchant{}, "");
  std::string api_key;
  Merchant created;
  // Reserves the id at once, so two concurrent creations cannot both win.
  if (!merchants_->create(merchant_id, policy, &api_key, &created)) {
    return done(core::Code::kMerchantExists, Merchant{}, "");
  }
  if (!env_->wal) return done(core::Code::kCreated, std::move(created), std::move(api_key));
  // Durable before the key is handed out. If the append fails the merchant
  // stays in the registry, but nobody ever saw its key, and storage is
  // failed (sticky) until a restart, which forgets it.
  v1::WalRecord record;
  *record.mutable_merchant() = storage::merchant_record(created);
  wal_actor wal = env_->wal;
  auto timeout = options_.storage_timeout;
  auto health = env_->storage;
  // A one-shot actor awaits the append, then ends (hidden: see call()).
  system_.spawn<caf::hidden>([wal, timeout, health, payload = record.SerializeAsString(),
                              created = std::move(created), api_key = std::move(api_key),
                              done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(wal, timeout, AppendMsg{std::move(payload)})
        .then(
            [created, api_key, done](uint64_t) mutable {
              done(core::Code::kCreated, std::move(created), std::move(api_key));
            },
            [health, done](caf::error& err) {
              health->fail("merchant record", to_string(err));
              done(core::Code::kStorageUnavailable, Merchant{}, "");
            });
  });
}

void Engine::set_channel_account(const std::string& merchant_id, const std::string& channel,
                                 std::string canonical,
                                 std::shared_ptr<const channels::ChannelAccount> account,
                                 AccountDone done) {
  if (!ready()) return done(core::Code::kNotReady);
  if (!storage_healthy()) return done(core::Code::kStorageUnavailable);
  auto accounts = options_.channel_accounts;
  if (!env_->wal) {
    accounts->put(merchant_id, channel, std::move(account));
    return done(core::Code::kOk);
  }
  v1::WalRecord record;
  auto* set = record.mutable_channel_account();
  set->set_merchant_id(merchant_id);
  set->set_channel(channel);
  set->set_config(std::move(canonical));
  set->set_updated_ms(env_->now_ms(system_.clock()));
  wal_actor wal = env_->wal;
  auto timeout = options_.storage_timeout;
  auto health = env_->storage;
  // Durable before it is used or acknowledged; a one-shot actor awaits the
  // append (hidden: see call()).
  system_.spawn<caf::hidden>([wal, timeout, health, accounts, merchant_id, channel,
                              account = std::move(account), payload = record.SerializeAsString(),
                              done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(wal, timeout, AppendMsg{std::move(payload)})
        .then(
            [accounts, merchant_id, channel, account, done](uint64_t) {
              accounts->put(merchant_id, channel, account);
              done(core::Code::kOk);
            },
            [health, done](caf::error& err) {
              health->fail("channel account record", to_string(err));
              done(core::Code::kStorageUnavailable);
            });
  });
}

std::string Engine::status_detail() const {
  if (!ready()) return "recovering";
  if (!storage_healthy()) {
    std::string out = "storage failed: ";
    out += env_->storage->reason();
    return out;
  }
  return "ok";
}

std::shared_ptr<const storage::Wal> Engine::wal() const {
  if (!durability_) return nullptr;
  return durability_->wal();
}

bool Engine::has_channel(std::string_view name) const {
  return env_->channels.find(name) != env_->channels.end();
}

}  // namespace oncepay::actors
