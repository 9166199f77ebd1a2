// The `channel_trades` snapshot table (storage/snapshot_layout.hpp
// channel_trade_keys, docs/DURABILITY.md "Snapshot tables"): its rows as
// checkpoints write them (storage/durability.cpp), the layout 3 -> 4
// migration, and its read (StoredOrders::find_channel_trade). Durability
// runs inline (no thread): every append and checkpoint is done when the
// call returns.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/durability.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/stored_orders.hpp"
#include "wal.pb.h"

namespace oncepay::storage {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT = 1'800'000'000'000;
using Match = StoredOrders::ChannelTradeMatch;

v1::Event opened(const std::string& merchant_id, const std::string& order_no) {
  v1::Event e;
  e.set_at_ms(kT);
  auto* x = e.mutable_order_opened();
  x->set_merchant_id(merchant_id);
  x->set_merchant_order_no(order_no);
  x->set_amount(1999);
  x->set_currency("CNY");
  x->set_channel("sandbox");
  return e;
}

v1::Event attempt(const std::string& payment_no, const std::string& channel) {
  v1::Event e;
  e.set_at_ms(kT + 1);
  auto* x = e.mutable_attempt_created();
  x->set_payment_no(payment_no);
  x->set_attempt(1);
  x->set_channel(channel);
  return e;
}

v1::Event succeeded(const std::string& payment_no, const std::string& channel_trade_no) {
  v1::Event e;
  e.set_at_ms(kT + 2);
  auto* x = e.mutable_attempt_succeeded();
  x->set_payment_no(payment_no);
  x->set_channel_trade_no(channel_trade_no);
  x->set_source("notify");
  return e;
}

// A success on an attempt that must not count: refunded, with the trade no
// the channel reported this time.
v1::Event auto_refund(const std::string& payment_no, const std::string& channel_trade_no) {
  v1::Event e;
  e.set_at_ms(kT + 3);
  auto* x = e.mutable_auto_refund_started();
  x->set_payment_no(payment_no);
  x->set_refund_no("AR" + payment_no);
  x->set_channel_trade_no(channel_trade_no);
  return e;
}

class ChannelTradesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/oncepay_channel_trades_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    start();
  }
  void TearDown() override {
    stop();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void start() {
    DurabilityOptions o;
    o.data_dir = root_ + "/data";
    o.map_size_bytes = 16 << 20;
    o.max_map_size_bytes = 64 << 20;
    o.fsync = false;
    o.inline_storage = true;
    o.shards = 2;
    durability_ = std::make_unique<Durability>(o, std::make_shared<StorageHealth>());
    Status started = Status::io_error("not run");
    durability_->start([this](Recovered& r) { recovered_ = r.migrated_layout; },
                       [&started](Status st) { started = st; });
    ASSERT_TRUE(started.is_ok()) << started.to_string();
  }
  void stop() {
    if (durability_) durability_->stop(false);
    durability_.reset();
  }

  // One order record (the events of one step), durable when it returns.
  void record(const std::string& merchant_id, const std::string& order_no,
              const std::vector<v1::Event>& events) {
    v1::WalRecord r;
    auto* o = r.mutable_order();
    o->set_merchant_id(merchant_id);
    o->set_merchant_order_no(order_no);
    for (const auto& e : events) *o->add_events() = e;
    Status appended = Status::io_error("not written");
    auto wal = durability_->wal();
    ASSERT_NE(wal, nullptr);
    wal->append(r.SerializeAsString(), [&appended](uint64_t, Status st) { appended = st; });
    wal->write_queued();
    ASSERT_TRUE(appended.is_ok()) << appended.to_string();
  }

  // An order with one attempt paid at `channel` with channel_trade_no.
  void paid(const std::string& order_no, const std::string& payment_no,
            const std::string& channel_trade_no, const std::string& channel = "sandbox",
            const std::string& merchant_id = "m1") {
    record(merchant_id, order_no,
           {opened(merchant_id, order_no), attempt(payment_no, channel),
            succeeded(payment_no, channel_trade_no)});
  }

  void checkpoint() {
    Status done = Status::io_error("not run");
    durability_->checkpoint([&done](Status st) { done = st; });
    ASSERT_TRUE(done.is_ok()) << done.to_string();
  }

  std::vector<Match> find(const std::string& channel_trade_no, size_t max = 20,
                          bool* more = nullptr) {
    std::vector<Match> out;
    bool more_ignored = false;
    Status st = durability_->stored()->find_channel_trade(channel_trade_no, max, &out,
                                                          more != nullptr ? more : &more_ignored);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return out;
  }

  // Opens the snapshot store alone (the Durability stopped).
  std::unique_ptr<SnapshotStore> open_store() {
    SnapshotOptions o;
    o.dir = root_ + "/data/snapshot";
    o.map_size_bytes = 16 << 20;
    o.tables = snapshot_tables();
    std::unique_ptr<SnapshotStore> store;
    EXPECT_TRUE(SnapshotStore::open(o, &store).is_ok());
    return store;
  }

  std::string root_;
  std::unique_ptr<Durability> durability_;
  bool recovered_ = false;  // Recovered::migrated_layout of the last start
};

TEST_F(ChannelTradesTest, KeysSeparateTheNumberFromChannelAndPaymentNo) {
  const std::string key = channel_trade_key_bytes("4200000001", "wechatpay", "P1");
  const std::string prefix = channel_trade_prefix("4200000001");
  ASSERT_TRUE(key.starts_with(prefix));
  ChannelTradeKey k;
  ASSERT_TRUE(parse_channel_trade_key(std::string_view(key).substr(prefix.size()), &k));
  EXPECT_EQ(k.channel, "wechatpay");
  EXPECT_EQ(k.payment_no, "P1");
  EXPECT_FALSE(parse_channel_trade_key("wechatpay", &k));
}

TEST_F(ChannelTradesTest, OnlyPrintableAsciiUpTo64IsSearchable) {
  EXPECT_TRUE(searchable_channel_trade_no("1217752501201407033233368018"));
  EXPECT_TRUE(searchable_channel_trade_no(std::string(64, '9')));
  EXPECT_FALSE(searchable_channel_trade_no(""));
  EXPECT_FALSE(searchable_channel_trade_no(std::string(65, '9')));
  EXPECT_FALSE(searchable_channel_trade_no("2014112611001004680 073956707"));
  EXPECT_FALSE(
      searchable_channel_trade_no("42\x1f"
                                  "00"));
  EXPECT_FALSE(searchable_channel_trade_no("\xe5\xbe\xae"));
}

TEST_F(ChannelTradesTest, CheckpointWritesARowForAPaidAttempt) {
  paid("o-1", "P1", "4200000001");
  EXPECT_TRUE(find("4200000001").empty()) << "only in the WAL until the checkpoint";
  checkpoint();
  auto found = find("4200000001");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].channel, "sandbox");
  EXPECT_EQ(found[0].payment_no, "P1");
  EXPECT_EQ(found[0].order.merchant_id, "m1");
  EXPECT_EQ(found[0].order.merchant_order_no, "o-1");
}

TEST_F(ChannelTradesTest, AnAttemptWithoutATradeNoHasNoRow) {
  record("m1", "o-1", {opened("m1", "o-1"), attempt("P1", "sandbox")});
  checkpoint();
  auto store_rows = find("P1");
  EXPECT_TRUE(store_rows.empty());
}

TEST_F(ChannelTradesTest, ARowAppearsWhenTheTradeNoIsLearnedAfterTheOrderWasStored) {
  record("m1", "o-1", {opened("m1", "o-1"), attempt("P1", "sandbox")});
  checkpoint();
  record("m1", "o-1", {succeeded("P1", "T-late")});
  checkpoint();
  auto found = find("T-late");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].payment_no, "P1");
}

TEST_F(ChannelTradesTest, AChangedTradeNoReplacesItsRow) {
  paid("o-1", "P1", "T-first");
  checkpoint();
  record("m1", "o-1", {auto_refund("P1", "T-second")});
  checkpoint();
  EXPECT_TRUE(find("T-first").empty());
  ASSERT_EQ(find("T-second").size(), 1u);
}

TEST_F(ChannelTradesTest, OneNumberAtTwoChannelsFindsBoth) {
  paid("o-1", "P1", "2019081522001468450512505578", "alipay");
  paid("o-2", "P2", "2019081522001468450512505578", "wechatpay", "m2");
  checkpoint();
  auto found = find("2019081522001468450512505578");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].channel, "alipay");
  EXPECT_EQ(found[0].order.merchant_id, "m1");
  EXPECT_EQ(found[1].channel, "wechatpay");
  EXPECT_EQ(found[1].order.merchant_id, "m2");
}

TEST_F(ChannelTradesTest, ALongerNumberThatStartsWithTheSearchedOneDoesNotMatch) {
  paid("o-1", "P1", "T1");
  paid("o-2", "P2", "T12");
  paid("o-3", "P3", "T1-");
  paid("o-0", "P0", "T");
  checkpoint();
  auto found = find("T1");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].payment_no, "P1");
}

TEST_F(ChannelTradesTest, ResultsAreBounded) {
  for (const char* n : {"0", "1", "2", "3", "4"}) {
    paid(std::string("o-") + n, std::string("P") + n, "T-same");
  }
  checkpoint();
  bool more = false;
  EXPECT_EQ(find("T-same", 3, &more).size(), 3u);
  EXPECT_TRUE(more);
  EXPECT_EQ(find("T-same", 5, &more).size(), 5u);
  EXPECT_FALSE(more);
}

TEST_F(ChannelTradesTest, AnUnsearchableNumberFindsNothingAndIsNoError) {
  checkpoint();
  EXPECT_TRUE(find(std::string(600, '9')).empty()) << "longer than an LMDB key";
  EXPECT_TRUE(find("").empty());
  EXPECT_TRUE(find("a b").empty());
}

TEST_F(ChannelTradesTest, AStoreOfLayout3GetsItsRowsAtTheNextStart) {
  paid("o-1", "P1", "T-old");
  record("m1", "o-2", {opened("m1", "o-2"), attempt("P2", "sandbox")});
  checkpoint();
  stop();
  {
    // As layout 3 left it: no `channel_trades` rows.
    auto store = open_store();
    std::vector<Mutation> m{{kLayoutTable, kLayoutVersionKey, std::string("3")}};
    ASSERT_TRUE(store
                    ->scan(kChannelTradesTable,
                           [&m](std::string_view key, std::string_view) {
                             m.push_back({kChannelTradesTable, std::string(key), std::nullopt});
                           })
                    .is_ok());
    ASSERT_EQ(m.size(), 2u) << "the checkpoint wrote one row";
    ASSERT_TRUE(store->commit_checkpoint(store->checkpoint_lsn(), m).is_ok());
  }
  start();
  EXPECT_TRUE(recovered_);
  auto found = find("T-old");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].order.merchant_order_no, "o-1");
  stop();
  auto store = open_store();
  std::string version;
  ASSERT_TRUE(store->get(kLayoutTable, kLayoutVersionKey, &version).is_ok());
  EXPECT_EQ(version, "4");
  uint64_t rows = 0;
  ASSERT_TRUE(store->count(kChannelTradesTable, &rows).is_ok());
  EXPECT_EQ(rows, 1u);
}

TEST_F(ChannelTradesTest, TheMigrationRunsOnceAndAgainAfterACrashMidway) {
  paid("o-1", "P1", "T-old");
  checkpoint();
  stop();
  {
    auto store = open_store();
    ASSERT_TRUE(
        store->commit_checkpoint(store->checkpoint_lsn(), {{kLayoutTable, kLayoutVersionKey, "3"}})
            .is_ok());
  }
  // The row is still there (a migration that stopped after its puts and
  // before the version): putting it again changes nothing.
  start();
  EXPECT_TRUE(recovered_);
  EXPECT_EQ(find("T-old").size(), 1u);
  stop();
  start();
  EXPECT_FALSE(recovered_) << "layout 4 now: nothing to rebuild";
  EXPECT_EQ(find("T-old").size(), 1u);
}

TEST_F(ChannelTradesTest, AnUnknownLayoutRefusesToStart) {
  stop();
  {
    auto store = open_store();
    ASSERT_TRUE(
        store->commit_checkpoint(store->checkpoint_lsn(), {{kLayoutTable, kLayoutVersionKey, "5"}})
            .is_ok());
  }
  DurabilityOptions o;
  o.data_dir = root_ + "/data";
  o.map_size_bytes = 16 << 20;
  o.fsync = false;
  o.inline_storage = true;
  o.shards = 2;
  Durability d(o, std::make_shared<StorageHealth>());
  Status started;
  d.start([](Recovered&) {}, [&started](Status st) { started = st; });
  EXPECT_TRUE(started.is_corruption()) << started.to_string();
}

}  // namespace
}  // namespace oncepay::storage
