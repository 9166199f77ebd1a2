// A durable engine (data dir, WAL writer thread, LMDB checkpoints) on CAF's
// threaded scheduler: drive orders, "crash" (destroy the engine without a
// last checkpoint), recover on the same directory and compare the full state
// of every order. Waits are bounded blocking waits on callbacks, never sleeps.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "actors/engine.hpp"
#include "actors/message_types.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "codec/json.hpp"
#include "core/order_decide.hpp"
#include "core/order_snapshot.hpp"
#include "http/http_server.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/snapshot_store.hpp"

namespace oncepay::actors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // bound on every blocking wait

class DurabilityTest : public ::testing::Test {
 protected:
  DurabilityTest() : system_(actors::add_message_types(config_)) {
    char pattern[] = "/tmp/oncepay-durability-XXXXXX";
    EXPECT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }

  ~DurabilityTest() override {
    engine_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  EngineOptions options() {
    EngineOptions o;
    o.data_dir = dir_;
    o.shards = 4;
    o.routers = 2;
    // Long ladders: no timer fires while a test compares states.
    o.payment.query_ladder_ms = {600'000, 1'200'000};
    o.payment.fast_expiry_ladder_ms = {600'000};
    o.checkpoint_interval = 1h;        // tests take checkpoints themselves
    o.checkpoint_on_shutdown = false;  // engine_.reset() is a crash
    // The hook replaces the real fdatasync: fast, and able to fail on demand.
    o.wal_fdatasync_hook = [this](int) {
      if (!fail_fsync_.load()) return 0;
      errno = EIO;
      return -1;
    };
    if (customize_) customize_(o);
    return o;
  }

  // Constructs the engine and recovers; returns start()'s error ("" if ok).
  // A fresh sandbox channel with it, as a restarted daemon has.
  std::string open_engine(bool add_demo = true) {
    engine_.reset();
    channels_ = std::make_unique<channels::ChannelRegistry>();
    channels::sandbox::SandboxOptions sandbox;
    sandbox.seed = 7;
    std::string refused;
    sandbox_ = channels::sandbox::register_sandbox(*channels_, system_, sandbox, &refused);
    if (sandbox_ == nullptr) return refused;
    EngineOptions o = options();
    for (const auto& [name, actor] : channels_->actors()) o.channels.emplace(name, actor);
    engine_ = std::make_unique<Engine>(system_, o);
    if (add_demo) engine_->merchants().add("demo", "sk_test_demo", "whsec", core::Policy::kStrict);
    sandbox_->set_sink([this](const v1::ChannelNotification& body, auto acked) {
      core::ChannelNotice notice;
      if (!core::notice_from_proto(body, &notice)) return acked(false);
      engine_->notify("sandbox", notice,
                      [acked](OrderReply r) { acked(core::is_success(r.code)); });
    });
    std::promise<std::string> started;
    engine_->start([&](bool ok, std::string error) {
      EXPECT_EQ(ok, error.empty());
      started.set_value(std::move(error));
    });
    auto f = started.get_future();
    if (f.wait_for(kWait) != std::future_status::ready) return "start did not finish";
    return f.get();
  }

  void crash() { engine_.reset(); }

  template <class Call>
  OrderReply await(Call call) {
    auto done = std::make_shared<std::promise<OrderReply>>();
    auto f = done->get_future();
    call([done](OrderReply r) { done->set_value(std::move(r)); });
    if (f.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "no answer in time";
      return OrderReply{core::Code::kInternal};
    }
    return f.get();
  }

  static PayMsg pay_msg(const std::string& order, int64_t amount = 1999) {
    PayMsg m;
    m.command.merchant_id = "demo";
    m.command.merchant_order_no = order;
    m.command.amount_minor = amount;
    m.command.currency = "CNY";
    m.command.channel = "sandbox";
    m.command.subject = "coffee";
    orders_seen().insert(order);
    return m;
  }
  static std::set<std::string>& orders_seen() {
    static std::set<std::string> seen;
    return seen;
  }

  OrderReply pay(const std::string& order) {
    return await([&](Engine::Done d) { engine_->pay(pay_msg(order), std::move(d)); });
  }
  OrderReply get(const std::string& order) {
    return await([&](Engine::Done d) { engine_->get_order(GetOrderMsg{{"demo", order}}, d); });
  }
  OrderReply close(const std::string& order) {
    return await([&](Engine::Done d) { engine_->close(CloseMsg{{"demo", order}}, d); });
  }
  OrderReply get_payment(const std::string& payment_no) {
    return await([&](Engine::Done d) { engine_->get_payment("demo", payment_no, d); });
  }

  // Waits until the order's view satisfies pred (the sandbox notifies
  // asynchronously).
  template <class Pred>
  OrderReply wait_for_order(const std::string& order, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    OrderReply r = get(order);
    while (!pred(r) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);  // a short poll of the engine's state
      r = get(order);
    }
    EXPECT_TRUE(pred(r)) << r.order.DebugString();
    return r;
  }

  std::string checkpoint() {
    std::promise<std::string> done;
    engine_->checkpoint([&](bool ok, std::string error) {
      EXPECT_EQ(ok, error.empty());
      done.set_value(std::move(error));
    });
    auto f = done.get_future();
    if (f.wait_for(kWait) != std::future_status::ready) return "checkpoint did not finish";
    return f.get();
  }

  // Every order's full view (attempts, timeline) and every payment's view.
  std::map<std::string, std::string> dump() {
    std::map<std::string, std::string> out;
    for (const auto& order : orders_seen()) {
      OrderReply r = get(order);
      if (r.code == core::Code::kOrderNotFound) continue;
      EXPECT_EQ(r.code, core::Code::kOk);
      out["order " + order] = r.order.DebugString();
      for (const auto& a : r.order.attempts()) {
        OrderReply p = get_payment(a.payment_no());
        EXPECT_EQ(p.code, core::Code::kOk);
        out["payment " + a.payment_no()] = p.payment.DebugString();
      }
    }
    return out;
  }

  void SetUp() override { orders_seen().clear(); }

  // The snapshot of a stopped engine, opened directly.
  std::unique_ptr<storage::SnapshotStore> open_snapshot() {
    storage::SnapshotOptions o;
    o.dir = dir_ + "/snapshot";
    o.tables = storage::snapshot_tables();
    std::unique_ptr<storage::SnapshotStore> store;
    const storage::Status st = storage::SnapshotStore::open(o, &store);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return store;
  }

  core::OrderState stored_order(const storage::SnapshotStore& store, const std::string& order) {
    std::string bytes;
    EXPECT_TRUE(
        store.get(storage::kOrdersTable, storage::order_key_bytes("demo", order), &bytes).is_ok());
    v1::OrderSnapshot snapshot;
    EXPECT_TRUE(snapshot.ParseFromString(bytes));
    return core::from_snapshot(snapshot);
  }

  std::vector<std::string> stored_timer_rows(const storage::SnapshotStore& store) {
    std::vector<std::string> rows;
    EXPECT_TRUE(store
                    .scan(storage::kTimersTable,
                          [&](std::string_view key, std::string_view) { rows.emplace_back(key); })
                    .is_ok());
    return rows;
  }

  // What happens to a stopped engine's order while it is down: its first
  // attempt's armed timer moves to due_ms (in the snapshot, as a checkpoint
  // would have written it).
  void move_stored_timer(const std::string& order, int64_t due_ms) {
    auto store = open_snapshot();
    ASSERT_TRUE(store);
    core::OrderState state = stored_order(*store, order);
    ASSERT_FALSE(state.attempts.empty());
    std::vector<storage::Mutation> mutations;
    const std::string key = storage::order_key_bytes("demo", order);
    for (auto& old : storage::timer_keys(state))
      mutations.push_back({storage::kTimersTable, old, std::nullopt});
    state.attempts[0].due_ms = due_ms;
    for (auto& now : storage::timer_keys(state))
      mutations.push_back({storage::kTimersTable, now, key});
    mutations.push_back({storage::kOrdersTable, key, core::to_snapshot(state).SerializeAsString()});
    const storage::Status st = store->commit_checkpoint(store->checkpoint_lsn(), mutations);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
  }

  uint64_t live_orders() const { return engine_->env().live_orders.load(); }

  caf::actor_system_config config_;
  caf::actor_system system_;
  std::string dir_;
  std::atomic<bool> fail_fsync_{false};
  std::function<void(EngineOptions&)> customize_;
  // Declared before the engine: it outlives it.
  std::unique_ptr<channels::ChannelRegistry> channels_;
  channels::sandbox::SandboxChannel* sandbox_ = nullptr;
  std::unique_ptr<Engine> engine_;
};

TEST_F(DurabilityTest, EmptyDirectoryStartsReady) {
  ASSERT_EQ(open_engine(), "");
  EXPECT_TRUE(engine_->ready());
  EXPECT_TRUE(engine_->storage_healthy());
  EXPECT_EQ(engine_->status_detail(), "ok");
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "wal"));
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "snapshot"));
}

TEST_F(DurabilityTest, NotReadyBeforeStart) {
  engine_ = std::make_unique<Engine>(system_, options());
  EXPECT_FALSE(engine_->ready());
  EXPECT_EQ(engine_->status_detail(), "recovering");
  OrderReply r = await([&](Engine::Done d) { engine_->pay(pay_msg("o-1"), std::move(d)); });
  EXPECT_EQ(r.code, core::Code::kNotReady);
  r = await([&](Engine::Done d) { engine_->get_order(GetOrderMsg{{"demo", "o-1"}}, d); });
  EXPECT_EQ(r.code, core::Code::kNotReady);
}

TEST_F(DurabilityTest, CrashAndRecoverReproducesEveryOrder) {
  ASSERT_EQ(open_engine(), "");
  // o-paid: paid through the sandbox notification.
  OrderReply paid = pay("o-paid");
  ASSERT_EQ(paid.code, core::Code::kCreated);
  ASSERT_EQ(sandbox_->pay(paid.order.attempt().payment_no(), false), channels::CallOutcome::kOk);
  wait_for_order("o-paid", [](const OrderReply& r) { return r.order.status() == v1::Order::PAID; });
  // o-closed: closed by the merchant.
  ASSERT_EQ(pay("o-closed").code, core::Code::kCreated);
  ASSERT_EQ(close("o-closed").order.status(), v1::Order::CLOSED);
  // o-open: waiting for the payer; a duplicate inside the window.
  OrderReply open = pay("o-open");
  ASSERT_EQ(open.code, core::Code::kCreated);
  EXPECT_EQ(pay("o-open").order.attempt().payment_no(), open.order.attempt().payment_no());
  // o-failed: the payer's payment failed.
  OrderReply failed = pay("o-failed");
  sandbox_->fail(failed.order.attempt().payment_no());
  wait_for_order("o-failed", [](const OrderReply& r) {
    return r.order.attempts(0).status() == v1::Attempt::FAILED;
  });

  const auto before = dump();
  ASSERT_EQ(before.size(), 8u);  // 4 orders, 4 payments
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_NE(engine_->recovery_summary().find("recovered 4 orders"), std::string::npos)
      << engine_->recovery_summary();
  EXPECT_EQ(dump(), before);
  // Recovered orders keep deciding: paid stays paid, the open one is reused.
  EXPECT_EQ(pay("o-paid").code, core::Code::kOrderAlreadyPaid);
  EXPECT_EQ(pay("o-closed").code, core::Code::kOrderClosed);
}

TEST_F(DurabilityTest, CheckpointWhileOrdersKeepChanging) {
  ASSERT_EQ(open_engine(), "");
  for (int i = 0; i < 20; ++i) ASSERT_EQ(pay("a-" + std::to_string(i)).code, core::Code::kCreated);
  // Pays racing a checkpoint.
  std::vector<std::shared_ptr<std::promise<OrderReply>>> racing;
  for (int i = 0; i < 40; ++i) {
    auto p = std::make_shared<std::promise<OrderReply>>();
    racing.push_back(p);
    engine_->pay(pay_msg("b-" + std::to_string(i)), [p](OrderReply r) { p->set_value(r); });
  }
  ASSERT_EQ(checkpoint(), "");
  for (auto& p : racing) {
    auto f = p->get_future();
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    EXPECT_EQ(f.get().code, core::Code::kCreated);
  }
  // Changes after the checkpoint, some to orders it holds.
  OrderReply a0 = get("a-0");
  sandbox_->pay(a0.order.attempts(0).payment_no(), false);
  wait_for_order("a-0", [](const OrderReply& r) { return r.order.status() == v1::Order::PAID; });
  ASSERT_EQ(close("a-1").order.status(), v1::Order::CLOSED);
  ASSERT_EQ(pay("c-0").code, core::Code::kCreated);
  ASSERT_EQ(checkpoint(), "");
  ASSERT_EQ(close("b-0").order.status(), v1::Order::CLOSED);

  const auto before = dump();
  crash();
  ASSERT_EQ(open_engine(), "");
  const std::string summary = engine_->recovery_summary();
  EXPECT_EQ(summary.find("snapshot at lsn 0,"), std::string::npos) << summary;
  EXPECT_NE(summary.find("recovered 61 orders"), std::string::npos) << summary;
  EXPECT_EQ(dump(), before);
}

size_t segment_count(const std::string& dir) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "wal")) {
    n += entry.path().extension() == ".log";
  }
  return n;
}

TEST_F(DurabilityTest, CheckpointInSeveralCommitsDeletesCoveredSegments) {
  customize_ = [](EngineOptions& o) {
    o.wal_segment_bytes = 1024;  // a segment every few records
    o.checkpoint_orders_per_commit = 3;
  };
  ASSERT_EQ(open_engine(), "");
  for (int i = 0; i < 12; ++i) ASSERT_EQ(pay("o-" + std::to_string(i)).code, core::Code::kCreated);
  ASSERT_EQ(close("o-3").order.status(), v1::Order::CLOSED);
  const size_t segments_before = segment_count(dir_);
  ASSERT_GT(segments_before, 4u);
  ASSERT_EQ(checkpoint(), "");
  EXPECT_LT(segment_count(dir_), segments_before);
  ASSERT_EQ(close("o-4").order.status(), v1::Order::CLOSED);
  ASSERT_EQ(pay("o-12").code, core::Code::kCreated);
  const auto before = dump();
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(dump(), before);
  EXPECT_NE(engine_->recovery_summary().find("recovered 13 orders"), std::string::npos)
      << engine_->recovery_summary();
}

TEST_F(DurabilityTest, CleanShutdownCheckpointsEverything) {
  customize_ = [](EngineOptions& o) { o.checkpoint_on_shutdown = true; };
  ASSERT_EQ(open_engine(), "");
  ASSERT_EQ(pay("o-1").code, core::Code::kCreated);
  ASSERT_EQ(pay("o-2").code, core::Code::kCreated);
  const auto before = dump();
  crash();  // a clean shutdown here
  ASSERT_EQ(open_engine(), "");
  const std::string summary = engine_->recovery_summary();
  EXPECT_NE(summary.find("replayed 0 WAL records"), std::string::npos) << summary;
  EXPECT_EQ(dump(), before);
  // A second life on top of the snapshot, then a crash.
  ASSERT_EQ(close("o-1").order.status(), v1::Order::CLOSED);
  const auto second = dump();
  customize_ = nullptr;
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(dump(), second);
}

TEST_F(DurabilityTest, MerchantsSurviveARestart) {
  std::promise<std::string> created;
  ASSERT_EQ(open_engine(), "");
  engine_->create_merchant("shop-1", core::Policy::kRefundDuplicates,
                           [&](core::Code code, Merchant m, std::string key) {
                             EXPECT_EQ(code, core::Code::kCreated);
                             EXPECT_EQ(m.merchant_id, "shop-1");
                             created.set_value(key);
                           });
  auto f = created.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  const std::string api_key = f.get();
  ASSERT_FALSE(api_key.empty());
  const Merchant original = *engine_->merchants().get("shop-1");
  crash();

  ASSERT_EQ(open_engine(), "");
  auto m = engine_->merchants().authenticate(api_key);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->merchant_id, "shop-1");
  EXPECT_EQ(m->policy, core::Policy::kRefundDuplicates);
  EXPECT_EQ(m->webhook_secret, original.webhook_secret);
  EXPECT_TRUE(engine_->merchants().authenticate("sk_test_demo").has_value());
  EXPECT_EQ(engine_->merchants().size(), 2u);
  std::promise<core::Code> again;
  engine_->create_merchant("shop-1", core::Policy::kStrict,
                           [&](core::Code code, Merchant, std::string) { again.set_value(code); });
  EXPECT_EQ(again.get_future().get(), core::Code::kMerchantExists);
  // Through a checkpoint too.
  ASSERT_EQ(checkpoint(), "");
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_TRUE(engine_->merchants().authenticate(api_key).has_value());
  EXPECT_EQ(engine_->merchants().size(), 2u);
}

TEST_F(DurabilityTest, RecoveredMerchantWinsOverTheConfiguredOne) {
  ASSERT_EQ(open_engine(/*add_demo=*/false), "");
  std::promise<std::string> created;
  engine_->create_merchant("demo", core::Policy::kRefundDuplicates,
                           [&](core::Code code, Merchant, std::string key) {
                             EXPECT_EQ(code, core::Code::kCreated);
                             created.set_value(key);
                           });
  const std::string api_key = created.get_future().get();
  crash();
  ASSERT_EQ(open_engine(/*add_demo=*/true), "");  // the config's demo is added before start()
  EXPECT_TRUE(engine_->merchants().authenticate(api_key).has_value());
  EXPECT_FALSE(engine_->merchants().authenticate("sk_test_demo").has_value());
  EXPECT_EQ(engine_->merchants().policy_of("demo"), core::Policy::kRefundDuplicates);
}

TEST_F(DurabilityTest, TimerArmedBeforeTheRestartFiresAfterIt) {
  customize_ = [](EngineOptions& o) { o.payment.query_ladder_ms = {300, 600'000}; };
  ASSERT_EQ(open_engine(), "");
  OrderReply r = pay("o-1");
  ASSERT_EQ(r.code, core::Code::kCreated);
  crash();  // before the 300 ms query
  ASSERT_EQ(open_engine(), "");
  // The query runs against the new process's sandbox, which never saw the
  // payment: the ladder marks the attempt failed. Either way it fired.
  OrderReply after = wait_for_order("o-1", [](const OrderReply& x) {
    return x.order.attempts(0).status() == v1::Attempt::FAILED;
  });
  EXPECT_EQ(after.order.attempts(0).payment_no(), r.order.attempt().payment_no());
  // And that decision is durable too.
  const auto before = dump();
  crash();
  customize_ = nullptr;
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(dump(), before);
}

// A webhook that failed before the restart is retried after it, with the
// same event_id, from the recovered WEBHOOK ladder.
TEST_F(DurabilityTest, PendingWebhookIsDeliveredAfterARestart) {
  customize_ = [](EngineOptions& o) { o.payment.notify_retry_ladder_ms = {1'500, 600'000}; };
  std::mutex mutex;
  std::vector<std::string> event_ids;
  std::atomic<bool> accept{false};
  http::HttpServerOptions server_options;
  server_options.port = 0;
  http::HttpServer receiver(
      server_options,
      [&](http::HttpRequest request, http::Responder respond) {
        v1::WebhookEvent event;
        EXPECT_TRUE(codec::parse_json(request.body, &event, nullptr)) << request.body;
        {
          std::lock_guard lock(mutex);
          event_ids.push_back(event.event_id());
        }
        http::HttpResponse response;
        response.status = accept.load() ? 200 : 503;
        respond(std::move(response));
      },
      [](int status, std::string_view, std::string_view) {
        http::HttpResponse response;
        response.status = status;
        return response;
      });
  std::string error;
  ASSERT_TRUE(receiver.start(&error)) << error;

  ASSERT_EQ(open_engine(), "");
  PayMsg msg = pay_msg("o-hook");
  msg.command.notify_url =
      std::string("http://127.0.0.1:").append(std::to_string(receiver.port())).append("/h");
  OrderReply r = await([&](Engine::Done d) { engine_->pay(msg, std::move(d)); });
  ASSERT_EQ(r.code, core::Code::kCreated);
  ASSERT_EQ(sandbox_->pay(r.order.attempt().payment_no(), false), channels::CallOutcome::kOk);
  wait_for_order("o-hook", [](const OrderReply& x) {
    for (const auto& e : x.order.events()) {
      if (e.type() == "webhook.attempted") return true;
    }
    return false;
  });
  crash();  // well before the 1.5 s retry
  accept = true;
  ASSERT_EQ(open_engine(), "");
  wait_for_order("o-hook", [](const OrderReply& x) {
    for (const auto& e : x.order.events()) {
      if (e.type() == "webhook.delivered") return true;
    }
    return false;
  });
  std::lock_guard lock(mutex);
  ASSERT_EQ(event_ids.size(), 2u);
  EXPECT_EQ(event_ids[0], event_ids[1]);
  EXPECT_EQ(event_ids[0], core::order_paid_event_id(r.order.attempt().payment_no()));
}

TEST_F(DurabilityTest, FailedFdatasyncRefusesStateChanges) {
  ASSERT_EQ(open_engine(), "");
  ASSERT_EQ(pay("o-1").code, core::Code::kCreated);
  fail_fsync_ = true;
  OrderReply r = pay("o-2");
  EXPECT_EQ(r.code, core::Code::kStorageUnavailable);
  EXPECT_FALSE(r.has_view);
  EXPECT_FALSE(engine_->storage_healthy());
  EXPECT_NE(engine_->status_detail().find("storage failed"), std::string::npos);
  // Refused at the engine from now on; reads still work.
  EXPECT_EQ(pay("o-3").code, core::Code::kStorageUnavailable);
  EXPECT_EQ(close("o-1").code, core::Code::kStorageUnavailable);
  EXPECT_EQ(get("o-1").code, core::Code::kOk);
  std::promise<core::Code> merchant;
  engine_->create_merchant(
      "shop-9", core::Policy::kStrict,
      [&](core::Code code, Merchant, std::string) { merchant.set_value(code); });
  EXPECT_EQ(merchant.get_future().get(), core::Code::kStorageUnavailable);
  fail_fsync_ = false;
  EXPECT_FALSE(engine_->storage_healthy()) << "sticky until a restart";
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_TRUE(engine_->storage_healthy());
  EXPECT_EQ(get("o-1").code, core::Code::kOk);
}

// A disk that stops answering (fdatasync never returns) is a storage failure
// after storage_timeout: the waiting pay is answered 503, not left hanging.
TEST_F(DurabilityTest, StalledDiskFailsStorageWithinTheTimeout) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto stall = std::make_shared<std::atomic<bool>>(false);
  customize_ = [stall, released](EngineOptions& o) {
    o.storage_timeout = 300ms;
    o.wal_fdatasync_hook = [stall, released](int) {
      if (stall->load()) released.wait();
      return 0;
    };
  };
  ASSERT_EQ(open_engine(), "");
  ASSERT_EQ(pay("o-1").code, core::Code::kCreated);
  stall->store(true);
  const auto start = std::chrono::steady_clock::now();
  OrderReply r = pay("o-2");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, core::Code::kStorageUnavailable);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s) << "bounded by storage_timeout plus a watchdog tick";
  EXPECT_FALSE(engine_->storage_healthy());
  EXPECT_NE(engine_->status_detail().find("not durable within 300 ms"), std::string::npos)
      << engine_->status_detail();
  EXPECT_EQ(pay("o-3").code, core::Code::kStorageUnavailable);
  stall->store(false);
  release.set_value();  // let the writer finish before the engine closes the WAL
}

TEST_F(DurabilityTest, CorruptMiddleRecordRefusesStart) {
  ASSERT_EQ(open_engine(), "");
  for (int i = 0; i < 5; ++i) ASSERT_EQ(pay("o-" + std::to_string(i)).code, core::Code::kCreated);
  crash();
  fs::path segment;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "wal")) {
    if (entry.path().extension() == ".log") segment = entry.path();
  }
  ASSERT_FALSE(segment.empty());
  {
    // The first record's payload starts after the 32-byte file header and
    // the 20-byte record header.
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(32 + 20 + 3);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(32 + 20 + 3);
    f.write(&c, 1);
  }
  const std::string error = open_engine();
  EXPECT_NE(error.find(segment.filename().string()), std::string::npos) << error;
  EXPECT_NE(error.find("Corruption"), std::string::npos) << error;
  EXPECT_NE(error.find("byte offset"), std::string::npos) << error;
  EXPECT_FALSE(engine_->ready());
  OrderReply r = await([&](Engine::Done d) {
    engine_->get_order(GetOrderMsg{{"demo", "o-1"}}, d);
  });
  EXPECT_EQ(r.code, core::Code::kNotReady);
}

// ---------------------------------------------------------------- lazy recovery

// The whole reply a client would see.
std::string describe(const OrderReply& r) {
  std::string out = std::string(core::to_string(r.code));
  out += '|';
  out += r.message;
  out += '|';
  out += r.payment_no;
  out += '|';
  out += std::to_string(r.retry_after_s);
  out += '|';
  out += r.order.DebugString();
  out += r.payment.DebugString();
  return out;
}

// After a checkpoint every order is in the snapshot: a restart holds none of
// them, loads each on its first request, and answers exactly as before.
TEST_F(DurabilityTest, OrdersNotTouchedSinceTheCheckpointAnswerAsBeforeTheRestart) {
  ASSERT_EQ(open_engine(), "");
  OrderReply paid = pay("o-paid");
  ASSERT_EQ(paid.code, core::Code::kCreated);
  ASSERT_EQ(sandbox_->pay(paid.order.attempt().payment_no(), false), channels::CallOutcome::kOk);
  wait_for_order("o-paid", [](const OrderReply& r) { return r.order.status() == v1::Order::PAID; });
  ASSERT_EQ(pay("o-closed").code, core::Code::kCreated);
  ASSERT_EQ(close("o-closed").order.status(), v1::Order::CLOSED);
  ASSERT_EQ(pay("o-open").code, core::Code::kCreated);
  // Duplicates decide without events: the same request answers the same.
  const std::string paid_again = describe(pay("o-paid"));
  const std::string closed_again = describe(pay("o-closed"));
  const std::string open_again = describe(pay("o-open"));  // inside the in-flight window
  const std::string close_paid = describe(close("o-paid"));
  ASSERT_EQ(checkpoint(), "");
  const auto before = dump();
  crash();

  ASSERT_EQ(open_engine(), "");
  const std::string summary = engine_->recovery_summary();
  EXPECT_NE(summary.find("recovered 3 orders"), std::string::npos) << summary;
  EXPECT_NE(summary.find("replayed 0 WAL records"), std::string::npos) << summary;
  EXPECT_EQ(live_orders(), 0u) << "nothing is loaded before it is used";
  EXPECT_EQ(describe(pay("o-paid")), paid_again);
  EXPECT_EQ(live_orders(), 1u);
  EXPECT_EQ(describe(pay("o-closed")), closed_again);
  EXPECT_EQ(describe(pay("o-open")), open_again);
  EXPECT_EQ(describe(close("o-paid")), close_paid);
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(live_orders(), 3u);
  // Orders that exist nowhere are still unknown, and a pay creates one fresh.
  EXPECT_EQ(get("o-none").code, core::Code::kOrderNotFound);
  EXPECT_EQ(close("o-none").code, core::Code::kOrderNotFound);
  EXPECT_EQ(get_payment("P0000000000000none00000001").code, core::Code::kPaymentNotFound);
  OrderReply fresh = pay("o-new");
  EXPECT_EQ(fresh.code, core::Code::kCreated);
  EXPECT_EQ(fresh.order.attempts_size(), 1);
  // And all of it survives the next crash (the snapshot, the tail, the new order).
  const auto second = dump();
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(dump(), second);
}

TEST_F(DurabilityTest, PaymentLookupAndChannelNoticeReachAnOrderNotLoadedYet) {
  ASSERT_EQ(open_engine(), "");
  OrderReply a = pay("o-a");
  OrderReply b = pay("o-b");
  ASSERT_EQ(a.code, core::Code::kCreated);
  ASSERT_EQ(b.code, core::Code::kCreated);
  const std::string a_payment = a.order.attempt().payment_no();
  const std::string b_payment = b.order.attempt().payment_no();
  const std::string payment_before = describe(get_payment(a_payment));
  ASSERT_EQ(checkpoint(), "");
  crash();

  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(live_orders(), 0u);
  // GET /v1/payments/{payment_no}: found through the stored payment index.
  EXPECT_EQ(describe(get_payment(a_payment)), payment_before);
  EXPECT_EQ(live_orders(), 1u);
  OrderReply other = await([&](Engine::Done d) { engine_->get_payment("shop-x", a_payment, d); });
  EXPECT_EQ(other.code, core::Code::kPaymentNotFound) << "another merchant's payment";
  // A channel notification for o-b (sent as the gateway would; this
  // process's sandbox never saw the payment).
  core::ChannelNotice notice;
  notice.kind = core::ChannelNotice::Kind::kSuccess;
  notice.payment_no = b_payment;
  notice.channel_trade_no = "4200000001";
  notice.amount_minor = 1999;
  OrderReply acked = await([&](Engine::Done d) { engine_->notify("sandbox", notice, d); });
  EXPECT_TRUE(core::is_success(acked.code)) << core::to_string(acked.code);
  EXPECT_EQ(get("o-b").order.status(), v1::Order::PAID);
  EXPECT_EQ(live_orders(), 2u);
  notice.payment_no = "P0000000000000none00000001";
  OrderReply unknown = await([&](Engine::Done d) { engine_->notify("sandbox", notice, d); });
  EXPECT_EQ(unknown.code, core::Code::kPaymentNotFound);
  // Ids no checkpoint could have stored are just unknown, not a storage failure.
  EXPECT_EQ(get_payment(std::string(600, 'P')).code, core::Code::kPaymentNotFound);
  notice.payment_no.clear();
  unknown = await([&](Engine::Done d) { engine_->notify("sandbox", notice, d); });
  EXPECT_EQ(unknown.code, core::Code::kPaymentNotFound);
  EXPECT_EQ(get(std::string(600, 'o')).code, core::Code::kOrderNotFound);
  EXPECT_TRUE(engine_->storage_healthy()) << engine_->status_detail();
}

// A channel that answers prepays and records every query (with the wall
// time it arrived), so that a test can wait for a timer without asking the
// order anything.
struct ProbeCalls {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::pair<std::string, int64_t>> queries;  // payment_no, unix ms

  bool wait_for_query(const std::string& payment_no, int64_t* at_ms) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, kWait, [&] {
      for (const auto& [p, at] : queries) {
        if (p == payment_no) {
          *at_ms = at;
          return true;
        }
      }
      return false;
    });
  }
};

channel_actor::behavior_type probe_channel(channel_actor::pointer,
                                           std::shared_ptr<ProbeCalls> calls) {
  return {
      [calls](core::ChannelCall& call) -> core::ChannelReply {
        core::ChannelReply reply;
        reply.outcome = core::ChannelOutcome::kOk;
        if (call.op == core::ChannelOp::kPrepay) {
          reply.prepay_id = std::string("pp-").append(call.payment_no);
          reply.pay_url = std::string("https://probe.example/pay/").append(call.payment_no);
        } else if (call.op == core::ChannelOp::kQuery) {
          reply.state = core::ChannelPayState::kNotPay;
          const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
          std::lock_guard lock(calls->mutex);
          calls->queries.emplace_back(call.payment_no, now_ms);
          calls->cv.notify_all();
        }
        return reply;
      },
  };
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LazyTimerTest : public DurabilityTest {
 protected:
  LazyTimerTest() : calls_(std::make_shared<ProbeCalls>()) {
    probe_ = system_.spawn(probe_channel, calls_);
    customize_ = [this](EngineOptions& o) {
      o.channels.emplace("probe", probe_);
      if (window_.count() > 0) o.stored_timer_window = window_;
    };
  }
  ~LazyTimerTest() override {
    engine_.reset();
    caf::anon_send_exit(probe_, caf::exit_reason::user_shutdown);
  }

  // An order paying through the probe (query ladder 10 min: nothing fires
  // on its own during the test), checkpointed, the engine crashed.
  std::string stored_paying_order(const std::string& order) {
    EXPECT_EQ(open_engine(), "");
    PayMsg msg = pay_msg(order);
    msg.command.channel = "probe";
    OrderReply r = await([&](Engine::Done d) { engine_->pay(msg, std::move(d)); });
    EXPECT_EQ(r.code, core::Code::kCreated);
    EXPECT_EQ(checkpoint(), "");
    crash();
    return r.order.attempt().payment_no();
  }

  std::shared_ptr<ProbeCalls> calls_;
  channel_actor probe_;
  std::chrono::milliseconds window_{0};
};

// A deadline that passed while the engine was down fires at once after the
// restart, though no request ever loads the order.
TEST_F(LazyTimerTest, OverdueStoredTimerOfAnOrderNotLoadedFiresAtOnce) {
  const std::string payment_no = stored_paying_order("o-due");
  move_stored_timer("o-due", wall_now_ms() - 60'000);
  ASSERT_EQ(open_engine(), "");
  EXPECT_NE(engine_->recovery_summary().find("; 0 orders of the tail parked"), std::string::npos)
      << engine_->recovery_summary();
  int64_t queried_ms = 0;
  ASSERT_TRUE(calls_->wait_for_query(payment_no, &queried_ms)) << "the query never came";
  EXPECT_EQ(live_orders(), 1u) << "the stored timer loaded the order";
  // The ladder moved on (step 1 armed), durably: it is there after a crash.
  wait_for_order("o-due", [](const OrderReply& r) {
    for (const auto& e : r.order.events()) {
      if (e.type() == "check.scheduled" && e.detail().find("query step 1") != std::string::npos) {
        return true;
      }
    }
    return false;
  });
  const auto before = dump();
  crash();
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(dump(), before);
}

// The WAL tail's orders are parked without an actor; a timer of one fires
// on time though no request ever asks for the order.
TEST_F(LazyTimerTest, TimerOfAParkedTailOrderFiresWithoutARequest) {
  customize_ = [this](EngineOptions& o) {
    o.channels.emplace("probe", probe_);
    o.payment.query_ladder_ms = {1'500, 600'000};
  };
  ASSERT_EQ(open_engine(), "");
  PayMsg msg = pay_msg("o-tail");
  msg.command.channel = "probe";
  OrderReply r = await([&](Engine::Done d) { engine_->pay(msg, std::move(d)); });
  ASSERT_EQ(r.code, core::Code::kCreated);
  crash();  // well before the 1.5 s query; no checkpoint: the order is in the tail
  ASSERT_EQ(open_engine(), "");
  EXPECT_NE(engine_->recovery_summary().find("; 1 orders of the tail parked"), std::string::npos)
      << engine_->recovery_summary();
  EXPECT_EQ(live_orders(), 0u) << "parked, no actor";
  int64_t queried_ms = 0;
  ASSERT_TRUE(calls_->wait_for_query(r.order.attempt().payment_no(), &queried_ms))
      << "the query never came";
  EXPECT_EQ(live_orders(), 1u);
}

// A stored timer due beyond the first read-ahead window still fires on time:
// the stored-timer actor comes back for it.
TEST_F(LazyTimerTest, StoredTimerBeyondTheWindowFiresOnTime) {
  window_ = std::chrono::milliseconds(100);
  const std::string payment_no = stored_paying_order("o-later");
  const int64_t due_ms = wall_now_ms() + 600;
  move_stored_timer("o-later", due_ms);
  ASSERT_EQ(open_engine(), "");
  int64_t queried_ms = 0;
  ASSERT_TRUE(calls_->wait_for_query(payment_no, &queried_ms)) << "the query never came";
  // Not early (the engine's clock is the wall clock read once at
  // construction plus the steady clock since: allow a few ms of skew).
  EXPECT_GE(queried_ms, due_ms - 20);
  EXPECT_EQ(live_orders(), 1u);
}

// A snapshot written before every timer was stored (layout 1: attempts'
// timers only) gets the missing rows once at startup, so that a pending
// webhook of an order nobody asks for is still retried.
TEST_F(DurabilityTest, Layout1SnapshotGetsTheMissingTimerRows) {
  customize_ = [](EngineOptions& o) { o.payment.notify_retry_ladder_ms = {600'000}; };
  ASSERT_EQ(open_engine(), "");
  PayMsg msg = pay_msg("o-hook");
  msg.command.notify_url = "http://127.0.0.1:1/hook";  // refused: the webhook ladder is armed
  OrderReply r = await([&](Engine::Done d) { engine_->pay(msg, std::move(d)); });
  ASSERT_EQ(r.code, core::Code::kCreated);
  ASSERT_EQ(sandbox_->pay(r.order.attempt().payment_no(), false), channels::CallOutcome::kOk);
  wait_for_order("o-hook", [](const OrderReply& x) {
    for (const auto& e : x.order.events()) {
      if (e.type() == "webhook.attempted") return true;
    }
    return false;
  });
  ASSERT_EQ(checkpoint(), "");
  crash();
  std::vector<std::string> expected;
  {
    // Make it look like layout 1.
    auto store = open_snapshot();
    ASSERT_TRUE(store);
    const core::OrderState state = stored_order(*store, "o-hook");
    ASSERT_FALSE(state.webhooks.empty());
    expected = storage::timer_keys(state);
    ASSERT_EQ(stored_timer_rows(*store), expected);
    std::vector<storage::Mutation> mutations{
        {storage::kLayoutTable, storage::kLayoutVersionKey, std::nullopt}};
    for (const auto& key : expected) {
      const bool attempt_timer = key.find('\x1f') == std::string::npos;
      if (!attempt_timer) mutations.push_back({storage::kTimersTable, key, std::nullopt});
    }
    ASSERT_EQ(mutations.size(), 2u) << "one webhook timer";
    ASSERT_TRUE(store->commit_checkpoint(store->checkpoint_lsn(), mutations).is_ok());
  }
  ASSERT_EQ(open_engine(), "");
  const std::string summary = engine_->recovery_summary();
  EXPECT_NE(summary.find("snapshot migrated to layout"), std::string::npos) << summary;
  crash();
  {
    auto store = open_snapshot();
    ASSERT_TRUE(store);
    EXPECT_EQ(stored_timer_rows(*store), expected);
    std::string version;
    ASSERT_TRUE(store->get(storage::kLayoutTable, storage::kLayoutVersionKey, &version).is_ok());
    EXPECT_EQ(version, storage::kLayoutVersion);
  }
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(engine_->recovery_summary().find("snapshot migrated"), std::string::npos);
}

}  // namespace
}  // namespace oncepay::actors

namespace oncepay::actors {
namespace {

// The shard count is baked into every payment_no: a data dir keeps the one it
// was created with, and an engine configured with another refuses to start.
TEST_F(DurabilityTest, ShardCountChangeIsRefusedAtStart) {
  ASSERT_EQ(open_engine(), "");
  OrderReply paid = pay("o-shards");
  ASSERT_EQ(paid.code, core::Code::kCreated);
  const std::string payment_no = paid.order.attempt().payment_no();
  crash();
  {
    auto store = open_snapshot();
    ASSERT_TRUE(store);
    std::string shards;
    ASSERT_TRUE(store->get(storage::kLayoutTable, storage::kLayoutShardsKey, &shards).is_ok());
    EXPECT_EQ(shards, "4");
  }
  customize_ = [](EngineOptions& o) { o.shards = 8; };
  const std::string error = open_engine();
  EXPECT_NE(error.find("created with 4 shards and engine.shards is 8"), std::string::npos) << error;
  EXPECT_FALSE(engine_->ready());
  crash();
  customize_ = nullptr;
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(get_payment(payment_no).code, core::Code::kOk);
}

// A store from before the shard count was recorded adopts the configured one.
TEST_F(DurabilityTest, StoreWithoutShardCountAdoptsTheConfiguredOne) {
  ASSERT_EQ(open_engine(), "");
  ASSERT_EQ(pay("o-adopt").code, core::Code::kCreated);
  ASSERT_EQ(checkpoint(), "");
  crash();
  {
    auto store = open_snapshot();
    ASSERT_TRUE(store);
    ASSERT_TRUE(
        store
            ->commit_checkpoint(store->checkpoint_lsn(),
                                {{storage::kLayoutTable, storage::kLayoutShardsKey, std::nullopt}})
            .is_ok());
  }
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(get("o-adopt").code, core::Code::kOk);
  crash();
  auto store = open_snapshot();
  ASSERT_TRUE(store);
  std::string shards;
  ASSERT_TRUE(store->get(storage::kLayoutTable, storage::kLayoutShardsKey, &shards).is_ok());
  EXPECT_EQ(shards, "4");
}

// A payment_no made before payment numbers carried their shard (26
// characters) is still found, through the stored payment index, and a
// channel notification for it still reaches its order.
TEST_F(DurabilityTest, PaymentNoWithoutShardIsFoundThroughTheIndex) {
  ASSERT_EQ(open_engine(), "");
  OrderReply paid = pay("o-legacy");
  ASSERT_EQ(paid.code, core::Code::kCreated);
  const std::string current = paid.order.attempt().payment_no();
  ASSERT_EQ(current.size(), kPaymentNoSize);
  ASSERT_EQ(checkpoint(), "");
  crash();
  // Rewrite the stored order as an older build would have written it.
  const std::string legacy = "P" + current.substr(1 + kPaymentNoShardDigits);
  ASSERT_EQ(legacy.size(), kLegacyPaymentNoSize);
  ASSERT_FALSE(payment_no_shard(legacy).has_value());
  {
    auto store = open_snapshot();
    ASSERT_TRUE(store);
    core::OrderState state = stored_order(*store, "o-legacy");
    ASSERT_EQ(state.attempts.size(), 1u);
    const std::string key = storage::order_key_bytes("demo", "o-legacy");
    std::vector<storage::Mutation> mutations;
    for (auto& old : storage::timer_keys(state))
      mutations.push_back({storage::kTimersTable, old, std::nullopt});
    state.attempts[0].payment_no = legacy;
    for (auto& now : storage::timer_keys(state))
      mutations.push_back({storage::kTimersTable, now, key});
    mutations.push_back({storage::kPaymentsTable, current, std::nullopt});
    mutations.push_back({storage::kPaymentsTable, legacy, key});
    mutations.push_back({storage::kOrdersTable, key, core::to_snapshot(state).SerializeAsString()});
    ASSERT_TRUE(store->commit_checkpoint(store->checkpoint_lsn(), mutations).is_ok());
  }
  ASSERT_EQ(open_engine(), "");
  OrderReply found = get_payment(legacy);
  ASSERT_EQ(found.code, core::Code::kOk) << found.message;
  OrderReply other = await([&](Engine::Done d) { engine_->get_payment("shop-x", legacy, d); });
  EXPECT_EQ(other.code, core::Code::kPaymentNotFound) << "another merchant's payment";
  core::ChannelNotice notice;
  notice.kind = core::ChannelNotice::Kind::kSuccess;
  notice.payment_no = legacy;
  notice.channel_trade_no = "4200000002";
  notice.amount_minor = 1999;
  OrderReply acked = await([&](Engine::Done d) { engine_->notify("sandbox", notice, d); });
  EXPECT_TRUE(core::is_success(acked.code)) << core::to_string(acked.code);
  EXPECT_EQ(get("o-legacy").order.status(), v1::Order::PAID);
  // A new-format id whose shard field is out of range is nobody's.
  const std::string elsewhere = "P9998" + current.substr(1 + kPaymentNoShardDigits);
  EXPECT_EQ(get_payment(elsewhere).code, core::Code::kPaymentNotFound);
}

// The shard's own payment index: an order rebuilt from the WAL tail (no
// checkpoint has stored it, so the snapshot's `payments` table does not know
// its payment_no) is parked in its shard, which indexes the parked order's
// payment numbers; a payment read and a channel notification for it find the
// order there.
TEST_F(DurabilityTest, NoticeForAParkedOrderIsFoundThroughItsShardsIndex) {
  ASSERT_EQ(open_engine(), "");
  OrderReply paid = pay("o-parked");
  ASSERT_EQ(paid.code, core::Code::kCreated) << paid.message;
  const std::string payment_no = paid.order.attempt().payment_no();
  crash();  // no checkpoint: the order lives only in the WAL
  ASSERT_EQ(open_engine(), "");
  EXPECT_EQ(live_orders(), 0u) << "parked, not spawned";
  OrderReply found = get_payment(payment_no);
  ASSERT_EQ(found.code, core::Code::kOk) << found.message;
  EXPECT_EQ(found.payment.payment_no(), payment_no);
  core::ChannelNotice notice;
  notice.kind = core::ChannelNotice::Kind::kSuccess;
  notice.payment_no = payment_no;
  notice.channel_trade_no = "4200000003";
  notice.amount_minor = 1999;
  OrderReply acked = await([&](Engine::Done d) { engine_->notify("sandbox", notice, d); });
  EXPECT_TRUE(core::is_success(acked.code)) << core::to_string(acked.code);
  EXPECT_EQ(get("o-parked").order.status(), v1::Order::PAID);
  EXPECT_EQ(live_orders(), 1u);
}

// engine_actor, the front door, from an actor: requests by key and by
// payment_no reach the owning shard, which answers the requester.
TEST_F(DurabilityTest, EngineActorRoutesByKeyAndByPaymentNo) {
  ASSERT_EQ(open_engine(), "");
  caf::scoped_actor self{system_};
  engine_actor front = engine_->front_door();
  auto ask = [&](auto msg) {
    OrderReply out{core::Code::kInternal, "no answer"};
    self->request(front, kWait, std::move(msg))
        .receive([&](OrderReply& r) { out = std::move(r); },
                 [&](caf::error& err) { ADD_FAILURE() << system_.render(err); });
    return out;
  };
  OrderReply created = ask(pay_msg("o-front"));
  ASSERT_EQ(created.code, core::Code::kCreated) << created.message;
  const std::string payment_no = created.order.attempt().payment_no();
  EXPECT_EQ(payment_no_shard(payment_no), shard_of(OrderKey{"demo", "o-front"}, 4));
  EXPECT_EQ(ask(GetOrderMsg{{"demo", "o-front"}}).order.merchant_order_no(), "o-front");
  OrderReply payment = ask(GetPaymentMsg{"demo", payment_no});
  ASSERT_EQ(payment.code, core::Code::kOk) << payment.message;
  EXPECT_EQ(payment.payment.merchant_order_no(), "o-front");
  EXPECT_EQ(ask(GetPaymentMsg{"shop-x", payment_no}).code, core::Code::kPaymentNotFound)
      << "another merchant's payment";
  const std::string elsewhere = "P9998" + payment_no.substr(1 + kPaymentNoShardDigits);
  EXPECT_EQ(ask(GetPaymentMsg{"demo", elsewhere}).code, core::Code::kPaymentNotFound)
      << "shard field out of range";
  core::ChannelNotice notice;
  notice.kind = core::ChannelNotice::Kind::kSuccess;
  notice.channel = "sandbox";
  notice.payment_no = payment_no;
  notice.channel_trade_no = "4200000004";
  notice.amount_minor = 1999;
  EXPECT_TRUE(core::is_success(ask(NoticeMsg{notice}).code));
  EXPECT_EQ(ask(GetOrderMsg{{"demo", "o-front"}}).order.status(), v1::Order::PAID);
}

// ---------------------------------------------------------------- search by channel_trade_no

class ChannelTradeSearchTest : public DurabilityTest {
 protected:
  struct Found {
    core::Code code = core::Code::kInternal;
    std::string message;
    std::vector<Engine::ChannelTradeMatch> matches;
  };
  Found find(const std::string& channel_trade_no) {
    auto done = std::make_shared<std::promise<Found>>();
    auto f = done->get_future();
    engine_->find_channel_trade(channel_trade_no,
                                [done](core::Code code, std::string message,
                                       std::vector<Engine::ChannelTradeMatch> matches) {
                                  done->set_value({code, std::move(message), std::move(matches)});
                                });
    if (f.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "no answer in time";
      return {};
    }
    return f.get();
  }

  // Pays the order through the sandbox; the channel_trade_no it got.
  std::string paid(const std::string& order, std::string* payment_no) {
    OrderReply r = pay(order);
    EXPECT_EQ(r.code, core::Code::kCreated);
    *payment_no = r.order.attempt().payment_no();
    EXPECT_EQ(sandbox_->pay(*payment_no, false), channels::CallOutcome::kOk);
    r = wait_for_order(order,
                       [](const OrderReply& o) { return o.order.status() == v1::Order::PAID; });
    EXPECT_EQ(r.order.attempts_size(), 1);
    return r.order.attempts_size() == 1 ? r.order.attempts(0).channel_trade_no() : "";
  }
};

TEST_F(ChannelTradeSearchTest, ATradeOnlyInTheWalTailIsFoundThroughACheckpoint) {
  ASSERT_EQ(open_engine(), "");
  std::string payment_no;
  const std::string trade_no = paid("o-1", &payment_no);
  ASSERT_FALSE(trade_no.empty());
  Found found = find(trade_no);
  ASSERT_EQ(found.code, core::Code::kOk) << found.message;
  ASSERT_EQ(found.matches.size(), 1u);
  EXPECT_EQ(found.matches[0].payment_no, payment_no);
  ASSERT_TRUE(found.matches[0].order.has_admin);
  EXPECT_EQ(found.matches[0].order.admin.merchant_id(), "demo");
  EXPECT_EQ(found.matches[0].order.admin.order().merchant_order_no(), "o-1");
  EXPECT_EQ(found.matches[0].order.admin.order().status(), v1::Order::PAID);
}

TEST_F(ChannelTradeSearchTest, ATradeIsFoundAfterARestart) {
  ASSERT_EQ(open_engine(), "");
  std::string first_payment, second_payment;
  const std::string first = paid("o-1", &first_payment);
  ASSERT_EQ(checkpoint(), "");
  const std::string second = paid("o-2", &second_payment);  // the WAL tail only
  crash();
  ASSERT_EQ(open_engine(), "");
  Found a = find(first);
  ASSERT_EQ(a.code, core::Code::kOk) << a.message;
  ASSERT_EQ(a.matches.size(), 1u);
  EXPECT_EQ(a.matches[0].payment_no, first_payment);
  Found b = find(second);
  ASSERT_EQ(b.code, core::Code::kOk) << b.message;
  ASSERT_EQ(b.matches.size(), 1u);
  EXPECT_EQ(b.matches[0].payment_no, second_payment);
}

TEST_F(ChannelTradeSearchTest, AnUnknownTradeNoFindsNothing) {
  ASSERT_EQ(open_engine(), "");
  std::string payment_no;
  const std::string trade_no = paid("o-1", &payment_no);
  Found found = find(trade_no + "0");
  EXPECT_EQ(found.code, core::Code::kOk) << found.message;
  EXPECT_TRUE(found.matches.empty());
  EXPECT_TRUE(find("4200000000000000000000000000").matches.empty());
}

TEST_F(ChannelTradeSearchTest, AnInMemoryEngineRefusesTheSearch) {
  customize_ = [](EngineOptions& o) { o.data_dir.clear(); };
  ASSERT_EQ(open_engine(), "");
  Found found = find("4200000000000000000000000000");
  EXPECT_EQ(found.code, core::Code::kNotReady);
  EXPECT_NE(found.message.find("durable engine"), std::string::npos) << found.message;
}

}  // namespace
}  // namespace oncepay::actors
