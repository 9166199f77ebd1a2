// The Reconciler (actors/reconciler.hpp) over a durable engine with the
// sandbox channel, without HTTP: a fetched statement finds a success whose
// notification was lost and applies it; a bad upload applies nothing; the
// daily schedule reconciles yesterday at recon.daily-at (a test clock).
// Waits are bounded (kWait) and end on the event, never on a sleep.
#include "actors/reconciler.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "actors/message_types.hpp"
#include "channels/sandbox/sandbox_actor.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "core/wall_clock.hpp"
#include "storage/recon_store.hpp"

namespace oncepay::actors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kWait = 10s;
// 2026-11-30 09:59:00 in Asia/Shanghai.
constexpr int64_t kBeforeTen = 1'796'003'940'000;

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() : system_(add_message_types(config_)) {
    char pattern[] = "/tmp/oncepay-reconciler-XXXXXX";
    EXPECT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    channels::sandbox::SandboxOptions sandbox;
    sandbox.seed = 3;
    std::string refused;
    sandbox_ = channels::sandbox::register_sandbox(registry_, system_, sandbox, &refused);
    EXPECT_NE(sandbox_, nullptr) << refused;
    EngineOptions o;
    o.data_dir = dir_ + "/data";
    o.shards = 4;
    o.routers = 2;
    o.payment.query_ladder_ms = {3'600'000};  // no ladder finds anything during a test
    o.payment.fast_expiry_ladder_ms = {3'600'000};
    o.checkpoint_interval = 1h;
    for (const auto& [name, actor] : registry_.actors()) o.channels.emplace(name, actor);
    engine_ = std::make_unique<Engine>(system_, o);
    engine_->merchants().add("demo", "sk_test_demo", "whsec", core::Policy::kStrict);
    // Every notification is lost.
    sandbox_->set_sink([](const v1::ChannelNotification&, auto) {});
    std::promise<bool> started;
    engine_->start([&](bool ok, std::string) { started.set_value(ok); });
    auto f = started.get_future();
    EXPECT_EQ(f.wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(f.get());
  }

  ~ReconcilerTest() override {
    reconciler_.reset();
    engine_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start_reconciler(std::string daily_at = "") {
    std::unique_ptr<storage::ReconStore> store;
    ASSERT_TRUE(storage::ReconStore::open(dir_ + "/recon", &store).is_ok());
    store_ = std::move(store);
    ReconCalendar calendar;
    std::string error;
    ASSERT_TRUE(ReconCalendar::load("Asia/Shanghai", daily_at, &calendar, &error)) << error;
    ReconOptions o;
    o.daily_at = daily_at;
    o.work_dir = dir_ + "/work";
    o.engine_timeout = kWait;
    o.now_ms = [this] { return now_.load(); };
    reconciler_ = std::make_unique<Reconciler>(*engine_, registry_, store_, calendar, o);
    reconciler_->start();
  }

  OrderReply await(const std::function<void(Engine::Done)>& call) {
    auto p = std::make_shared<std::promise<OrderReply>>();
    auto f = p->get_future();
    call([p](OrderReply r) { p->set_value(std::move(r)); });
    EXPECT_EQ(f.wait_for(kWait), std::future_status::ready);
    return f.get();
  }

  // Pays order `no` at the sandbox; its notification is lost.
  std::string paid_at_the_channel_only(const std::string& no) {
    PayMsg msg;
    msg.command.merchant_id = "demo";
    msg.command.merchant_order_no = no;
    msg.command.amount_minor = 1999;
    msg.command.currency = "CNY";
    msg.command.channel = "sandbox";
    OrderReply r = await([&](Engine::Done d) { engine_->pay(msg, std::move(d)); });
    EXPECT_EQ(r.code, core::Code::kCreated);
    const std::string payment_no = r.order.attempt().payment_no();
    EXPECT_EQ(sandbox_->pay(payment_no, false), channels::CallOutcome::kOk);
    return payment_no;
  }

  ReconAnswer submit(Reconciler::Job job) {
    auto p = std::make_shared<std::promise<ReconAnswer>>();
    auto f = p->get_future();
    job.done = [p](ReconAnswer a) { p->set_value(std::move(a)); };
    reconciler_->submit(std::move(job));
    EXPECT_EQ(f.wait_for(kWait), std::future_status::ready);
    return f.get();
  }

  // The run once it is no longer RUNNING (bounded).
  v1::ReconciliationView finished(const std::string& id) {
    v1::ReconciliationView run;
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (store_->get_run(id, &run).is_ok() && run.status() != "RUNNING") return run;
      std::this_thread::yield();
    }
    ADD_FAILURE() << "run " << id << " did not finish";
    return run;
  }

  v1::OrderView order(const std::string& no) {
    GetOrderMsg msg{OrderKey{"demo", no}};
    return await([&](Engine::Done d) { engine_->get_order(msg, std::move(d)); }).order;
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
  std::string dir_;
  channels::ChannelRegistry registry_;
  channels::sandbox::SandboxChannel* sandbox_ = nullptr;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<storage::ReconStore> store_;
  std::unique_ptr<Reconciler> reconciler_;
  std::atomic<int64_t> now_{core::unix_ms()};
};

TEST_F(ReconcilerTest, FetchedStatementAppliesASuccessWhoseNotificationWasLost) {
  start_reconciler();
  paid_at_the_channel_only("o-1");
  ASSERT_EQ(order("o-1").status(), v1::Order::PAYING);
  const std::string today = reconciler_->calendar().date_of(core::unix_ms());
  ReconAnswer a = submit({"demo", "sandbox", today, "fetch", "", {}});
  ASSERT_EQ(a.code, core::Code::kAccepted) << a.message;
  v1::ReconciliationView run = finished(a.run.reconciliation_id());
  EXPECT_EQ(run.status(), "DONE");
  EXPECT_EQ(run.counts().channel_only_success(), 1u);
  EXPECT_EQ(run.fixes_applied(), 1u);
  EXPECT_TRUE(run.intraday());
  EXPECT_EQ(order("o-1").status(), v1::Order::PAID);
  // Again: the fix is not applied twice; the line is matched now.
  ReconAnswer again = submit({"demo", "sandbox", today, "fetch", "", {}});
  v1::ReconciliationView second = finished(again.run.reconciliation_id());
  EXPECT_EQ(second.counts().matched(), 1u);
  EXPECT_EQ(second.counts().channel_only_success(), 0u);
  EXPECT_EQ(second.fixes_applied(), 0u);
  EXPECT_EQ(second.previous_reconciliation_id(), run.reconciliation_id());
  EXPECT_EQ(second.changes().matched(), 1);
  EXPECT_EQ(second.changes().channel_only_success(), -1);
}

TEST_F(ReconcilerTest, BadUploadIsRefusedWithItsLineAndAppliesNothing) {
  start_reconciler();
  paid_at_the_channel_only("o-2");
  const std::string path = reconciler_->upload_path();
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "not,a,statement\n";
  const std::string today = reconciler_->calendar().date_of(core::unix_ms());
  ReconAnswer a = submit({"demo", "sandbox", today, "upload", path, {}});
  EXPECT_EQ(a.code, core::Code::kInvalidStatement);
  EXPECT_EQ(a.line, 1u);
  EXPECT_FALSE(fs::exists(path)) << "the upload is removed";
  std::vector<v1::ReconciliationView> runs;
  ASSERT_TRUE(store_->runs_of_date(today, &runs).is_ok());
  EXPECT_TRUE(runs.empty()) << "a refused upload leaves no run";
  EXPECT_EQ(order("o-2").status(), v1::Order::PAYING);
}

TEST_F(ReconcilerTest, RefusalsComeAtOnce) {
  start_reconciler();
  EXPECT_EQ(submit({"nobody", "sandbox", "2026-11-29", "fetch", "", {}}).code,
            core::Code::kMerchantNotFound);
  EXPECT_EQ(submit({"demo", "nochannel", "2026-11-29", "fetch", "", {}}).code,
            core::Code::kInvalidRequest);
  EXPECT_EQ(submit({"demo", "sandbox", "2026-02-30", "fetch", "", {}}).code,
            core::Code::kInvalidRequest);
}

TEST_F(ReconcilerTest, DailyScheduleReconcilesYesterdayAtDailyAt) {
  now_ = kBeforeTen;
  start_reconciler("10:00");
  std::vector<v1::ReconciliationView> runs;
  ASSERT_TRUE(store_->runs_of_date("2026-11-29", &runs).is_ok());
  EXPECT_TRUE(runs.empty()) << "not before 10:00";
  now_ = kBeforeTen + 120'000;  // 10:01
  reconciler_->wake();
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(store_->runs_of_date("2026-11-29", &runs).is_ok());
    if (!runs.empty() && runs[0].status() != "RUNNING") break;
    std::this_thread::yield();
  }
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].merchant_id(), "demo");
  EXPECT_EQ(runs[0].channel(), "sandbox");
  EXPECT_EQ(runs[0].source(), "schedule");
  EXPECT_EQ(runs[0].status(), "DONE");
}

}  // namespace
}  // namespace oncepay::actors
