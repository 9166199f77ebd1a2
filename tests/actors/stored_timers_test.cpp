// Lazy recovery on CAF's test coordinator (simulated time, never slept for):
// shards over an OrderEnv whose stored orders live in a real LMDB snapshot
// (written here as a checkpoint would), no WAL (events are recorded at
// once), and the stored-timer actor. Orders are loaded only when used or
// when a stored timer of theirs comes due.
#include "actors/stored_timers.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <caf/scheduler/test_coordinator.hpp>
#include <filesystem>

#include "actors/message_types.hpp"
#include "actors/shard.hpp"
#include "core/order_snapshot.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::actors {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kT0 = 1'790'000'000'000;  // the engine's wall clock at the start

struct TestConfig : caf::actor_system_config {
  TestConfig() {
    set("scheduler.policy", caf::atom("testing"));
    actors::add_message_types(*this);
  }
};

// The channel: prepays are not needed (orders come from the snapshot);
// queries are recorded and answered "not paid".
channel_actor::behavior_type probe_channel(channel_actor::pointer,
                                           std::shared_ptr<std::vector<std::string>> queries) {
  return {
      [queries](core::ChannelCall& call) -> core::ChannelReply {
        core::ChannelReply reply;
        reply.outcome = core::ChannelOutcome::kOk;
        reply.state = core::ChannelPayState::kNotPay;
        if (call.op == core::ChannelOp::kQuery) queries->push_back(call.payment_no);
        return reply;
      },
  };
}

// A PAYING order through "probe" whose first query is due at due_ms (or no
// timer if due_ms == 0).
core::OrderState paying_order(const std::string& order, const std::string& payment_no,
                              int64_t due_ms) {
  core::OrderState s;
  v1::Event opened;
  opened.set_at_ms(kT0 - 10 * kMinuteMs);
  auto* o = opened.mutable_order_opened();
  o->set_merchant_id("demo");
  o->set_merchant_order_no(order);
  o->set_amount(1999);
  o->set_currency("CNY");
  o->set_channel("probe");
  core::apply(s, opened);
  v1::Event created;
  created.set_at_ms(opened.at_ms());
  created.mutable_attempt_created()->set_payment_no(payment_no);
  created.mutable_attempt_created()->set_attempt(1);
  created.mutable_attempt_created()->set_channel("probe");
  core::apply(s, created);
  if (due_ms != 0) {
    v1::Event timer;
    timer.set_at_ms(opened.at_ms());
    auto* t = timer.mutable_timer_armed();
    t->set_payment_no(payment_no);
    t->set_ladder(v1::TimerArmed::QUERY);
    t->set_step(0);
    t->set_due_ms(due_ms);
    t->set_anchor_ms(opened.at_ms());
    core::apply(s, timer);
  }
  return s;
}

class StoredTimersTest : public ::testing::Test {
 protected:
  StoredTimersTest()
      : system_(config_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    char pattern[] = "/tmp/oncepay-stored-timers-XXXXXX";
    EXPECT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    storage::SnapshotOptions o;
    o.dir = dir_ + "/snapshot";
    o.map_size_bytes = 16 << 20;
    o.tables = storage::snapshot_tables();
    EXPECT_TRUE(storage::SnapshotStore::open(o, &store_).is_ok());
  }

  ~StoredTimersTest() override {
    for (auto& s : shards_) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    if (timers_) caf::anon_send_exit(timers_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(probe_, caf::exit_reason::user_shutdown);
    sched_.run();
    stored_->detach();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Stores the orders as a checkpoint would (orders, payments, timers).
  void store(const std::vector<core::OrderState>& orders) {
    std::vector<storage::Mutation> m;
    for (const auto& s : orders) {
      const std::string key = storage::order_key_bytes(s.merchant_id, s.merchant_order_no);
      m.push_back({storage::kOrdersTable, key, core::to_snapshot(s).SerializeAsString()});
      for (const auto& a : s.attempts) m.push_back({storage::kPaymentsTable, a.payment_no, key});
      for (auto& t : storage::timer_keys(s))
        m.push_back({storage::kTimersTable, std::move(t), key});
    }
    ASSERT_TRUE(store_->commit_checkpoint(1, m).is_ok());
  }

  // The shards and the stored-timer actor, started as recovery does: the
  // tail's orders parked in their shards, then their timers and the first
  // scan.
  void start(std::vector<core::OrderState> tail = {}) {
    stored_->attach(store_.get());
    auto env = std::make_shared<OrderEnv>();
    // Step 1 of every order here is due 60 min after its creation (T0 - 10 min).
    env->payment.query_ladder_ms = {5 * kMinuteMs, 60 * kMinuteMs, 120 * kMinuteMs};
    env->wall_base_ms = kT0;
    env->steady_base = system_.clock().now();
    env->boot_nonce = "test";
    env->shard_count = 3;
    env->stored = stored_;
    probe_ = system_.spawn(probe_channel, queries_);
    env->channels.emplace("probe", probe_);
    env_ = env;
    for (int i = 0; i < 3; ++i) shards_.push_back(system_.spawn(shard_impl, env_));
    timers_ = system_.spawn(stored_timers_impl, env_, std::make_shared<const ShardRouter>(shards_),
                            std::chrono::milliseconds(kMinuteMs));
    ParkedTimersMsg parked;
    for (auto& state : tail) {
      OrderKey key{state.merchant_id, state.merchant_order_no};
      if (auto due = next_due_ms(state)) parked.due.push_back(DueOrder{*due, key});
      RestoreMsg restore;
      restore.orders.push_back(RestoredOrder{std::move(state), core::Policy::kStrict});
      caf::anon_send(shards_[shard_of(key, shards_.size())], std::move(restore));
    }
    caf::anon_send(timers_, std::move(parked));
    sched_.run();
  }

  void advance(caf::timespan d) {
    sched_.clock().advance_time(d);
    sched_.run();
  }

  uint64_t live() const { return env_->live_orders.load(); }

  OrderReply get(const std::string& order) {
    std::optional<OrderReply> out;
    auto shard = shards_[shard_of(OrderKey{"demo", order}, shards_.size())];
    caf::scoped_actor self{system_};
    auto answer = self->request(shard, caf::infinite, GetOrderMsg{{"demo", order}});
    sched_.run();  // the reply is in self's mailbox before receive() looks
    std::move(answer).receive([&](OrderReply& r) { out = std::move(r); }, [](caf::error&) {});
    EXPECT_TRUE(out.has_value());
    return out.value_or(OrderReply{core::Code::kInternal});
  }

  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  std::string dir_;
  std::unique_ptr<storage::SnapshotStore> store_;
  std::shared_ptr<storage::StoredOrders> stored_ = std::make_shared<storage::StoredOrders>();
  std::shared_ptr<const OrderEnv> env_;
  std::shared_ptr<std::vector<std::string>> queries_ = std::make_shared<std::vector<std::string>>();
  channel_actor probe_;
  std::vector<shard_actor> shards_;
  stored_timers_actor timers_;
};

TEST_F(StoredTimersTest, OverdueTimerLoadsItsOrderAtOnceTheOthersWhenDue) {
  store({paying_order("o-overdue", "P-overdue", kT0 - kMinuteMs),
         paying_order("o-soon", "P-soon", kT0 + 30'000),
         paying_order("o-later", "P-later", kT0 + 5 * kMinuteMs),
         paying_order("o-quiet", "P-quiet", 0)});
  start();
  // The deadline that passed while the engine was down fires at once.
  EXPECT_EQ(*queries_, std::vector<std::string>{"P-overdue"});
  EXPECT_EQ(live(), 1u);
  // Inside the first window: woken at its due time, not before.
  advance(29s);
  EXPECT_EQ(queries_->size(), 1u);
  EXPECT_EQ(live(), 1u);
  advance(1s);
  EXPECT_EQ(*queries_, (std::vector<std::string>{"P-overdue", "P-soon"}));
  EXPECT_EQ(live(), 2u);
  // Beyond the first window: the actor comes back for it.
  advance(4min + 29s);
  EXPECT_EQ(queries_->size(), 2u);
  advance(1s);
  EXPECT_EQ(*queries_, (std::vector<std::string>{"P-overdue", "P-soon", "P-later"}));
  EXPECT_EQ(live(), 3u) << "an order without timers stays in the snapshot";
  // The woken orders go on with their ladders as loaded actors: query step 1
  // is due 60 min after creation, T0 + 50 min (it is T0 + 5 min now).
  advance(44min);
  EXPECT_EQ(queries_->size(), 3u);
  advance(1min);
  EXPECT_EQ(std::count(queries_->begin(), queries_->end(), "P-overdue"), 2);
  EXPECT_EQ(queries_->size(), 6u);
}

TEST_F(StoredTimersTest, HeldOrderIgnoresItsStoredTimer) {
  store({paying_order("o-1", "P-1", kT0 + 30'000)});
  start();
  // A request loads it first (its actor arms the timer itself).
  OrderReply r = get("o-1");
  EXPECT_EQ(r.code, core::Code::kOk);
  EXPECT_EQ(r.order.attempts(0).payment_no(), "P-1");
  EXPECT_EQ(live(), 1u);
  advance(30s);
  // One query: the actor's own timer; the stored row's wake-up changed nothing.
  EXPECT_EQ(*queries_, std::vector<std::string>{"P-1"});
  EXPECT_EQ(live(), 1u);
}

// The WAL tail's orders are parked in their shards without an actor; their
// timers come from recovery (not from the stale stored rows) and wake them.
TEST_F(StoredTimersTest, ParkedOrdersAreWokenByTheirOwnTimers) {
  // o-tail is stored with a timer at T0 + 5 min, but the tail moved it to
  // T0 + 30 s: the parked state decides.
  store({paying_order("o-tail", "P-tail", kT0 + 5 * kMinuteMs)});
  start({paying_order("o-tail", "P-tail", kT0 + 30'000),
         paying_order("o-tail-overdue", "P-tail-overdue", kT0 - kMinuteMs),
         paying_order("o-tail-quiet", "P-tail-quiet", 0)});
  EXPECT_EQ(*queries_, std::vector<std::string>{"P-tail-overdue"});
  EXPECT_EQ(live(), 1u);
  advance(29s);
  EXPECT_EQ(queries_->size(), 1u);
  advance(1s);
  EXPECT_EQ(*queries_, (std::vector<std::string>{"P-tail-overdue", "P-tail"}));
  EXPECT_EQ(live(), 2u);
  // The stale stored row's wake-up at T0 + 5 min finds the actor: ignored.
  advance(5min);
  EXPECT_EQ(queries_->size(), 2u);
  // A parked order is served from its parked state, not from the snapshot.
  EXPECT_EQ(live(), 2u);
  OrderReply quiet = get("o-tail-quiet");
  EXPECT_EQ(quiet.code, core::Code::kOk);
  EXPECT_EQ(quiet.order.attempts(0).payment_no(), "P-tail-quiet");
  EXPECT_EQ(live(), 3u);
}

TEST_F(StoredTimersTest, UnknownOrderIsNotFoundAndNothingIsSpawned) {
  store({paying_order("o-1", "P-1", 0)});
  start();
  EXPECT_EQ(get("o-none").code, core::Code::kOrderNotFound);
  EXPECT_EQ(live(), 0u);
  EXPECT_EQ(get("o-1").code, core::Code::kOk);
  EXPECT_EQ(live(), 1u);
}

}  // namespace
}  // namespace oncepay::actors
