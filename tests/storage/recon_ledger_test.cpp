// The reconciliation ledger's snapshot rows (storage/snapshot_layout.hpp
// ledger_rows, ledger_day_key) and their reads (storage/stored_orders.hpp
// ledger_payment, scan_ledger_days), and the reconciliation store
// (storage/recon_store.hpp).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "storage/recon_store.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::storage {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kT = 1'800'000'000'000;

core::OrderState paid_order(const std::string& order_no, const std::string& payment_no,
                            int64_t paid_ms) {
  core::OrderState s;
  s.merchant_id = "m1";
  s.merchant_order_no = order_no;
  s.status = v1::Order::PAID;
  s.amount_minor = 1999;
  s.currency = "CNY";
  s.channel = "sandbox";
  s.paid_payment_no = payment_no;
  core::AttemptState a;
  a.payment_no = payment_no;
  a.channel = "sandbox";
  a.status = v1::Attempt::SUCCESS;
  a.paid_ms = paid_ms;
  s.attempts.push_back(a);
  return s;
}

class ReconStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/oncepay_recon_storage_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::unique_ptr<SnapshotStore> snapshot_with(const std::vector<core::OrderState>& orders) {
    SnapshotOptions o;
    o.dir = root_ + "/snapshot";
    o.map_size_bytes = 16 << 20;
    o.tables = snapshot_tables();
    std::unique_ptr<SnapshotStore> store;
    EXPECT_TRUE(SnapshotStore::open(o, &store).is_ok());
    std::vector<Mutation> m;
    for (const auto& s : orders) {
      for (auto& row : ledger_rows(s)) m.push_back({row.table, row.key, row.value});
    }
    EXPECT_TRUE(store->commit_checkpoint(1, m).is_ok());
    return store;
  }
  std::string root_;
};

TEST_F(ReconStorageTest, LedgerPaymentReadsBackWhatTheOrderSays) {
  core::OrderState s = paid_order("o-1", "P1", kT);
  core::RefundState r;
  r.refund_no = "R1";
  r.amount_minor = 500;
  r.status = v1::Refund::SUCCEEDED;
  r.succeeded_ms = kT + 10;
  s.refunds.push_back(r);
  auto store = snapshot_with({s});
  StoredOrders stored;
  stored.attach(store.get());
  core::LedgerPayment p;
  ASSERT_TRUE(stored.ledger_payment("P1", &p).is_ok());
  EXPECT_EQ(p.payment.merchant_order_no, "o-1");
  EXPECT_EQ(p.payment.status, core::PlatformPayment::Status::kSuccess);
  EXPECT_EQ(p.payment.amount_minor, 1999);
  EXPECT_EQ(p.channel, "sandbox");
  EXPECT_EQ(p.paid_ms, kT);
  ASSERT_EQ(p.payment.refunds.size(), 1u);
  EXPECT_EQ(p.payment.refunds[0].refund_no, "R1");
  EXPECT_TRUE(stored.ledger_payment("P2", &p).is_not_found());
  stored.detach();
}

TEST_F(ReconStorageTest, DayScanGivesTheWindowsSuccessesAndRefundsInTimeOrder) {
  core::OrderState a = paid_order("o-1", "P1", kT + 5);
  core::OrderState b = paid_order("o-2", "P2", kT + 1);
  core::OrderState late = paid_order("o-3", "P3", kT + kDay);  // the next day
  core::OrderState other = paid_order("o-4", "P4", kT + 2);
  other.merchant_id = "m2";
  core::RefundState r;
  r.refund_no = "R1";
  r.amount_minor = 500;
  r.status = v1::Refund::SUCCEEDED;
  r.succeeded_ms = kT + 3;
  a.refunds.push_back(r);
  auto store = snapshot_with({a, b, late, other});
  StoredOrders stored;
  stored.attach(store.get());
  std::vector<std::string> seen;
  ASSERT_TRUE(
      stored
          .scan_ledger_days("m1", "sandbox", kT, kT + kDay,
                            [&](const core::PlatformSuccess* s, const core::PlatformDayRefund* f) {
                              if (s != nullptr) seen.push_back(s->payment_no);
                              if (f != nullptr) seen.push_back(f->refund_no);
                            })
          .is_ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"P2", "R1", "P1"}));
  seen.clear();
  ASSERT_TRUE(
      stored
          .scan_ledger_days("m1", "alipay", kT, kT + kDay,
                            [&](const core::PlatformSuccess* s, const core::PlatformDayRefund*) {
                              if (s != nullptr) seen.push_back(s->payment_no);
                            })
          .is_ok());
  EXPECT_TRUE(seen.empty()) << "another channel's day is another day";
  stored.detach();
}

TEST_F(ReconStorageTest, DayKeysParseBack) {
  const std::string prefix = ledger_day_prefix("m1", "wechatpay");
  const std::string key = ledger_day_key("m1", "wechatpay", kT, 'R', "P1", "R9");
  ASSERT_TRUE(key.starts_with(prefix));
  LedgerDayKey k;
  ASSERT_TRUE(parse_ledger_day_key(std::string_view(key).substr(prefix.size()), &k));
  EXPECT_EQ(k.time_ms, kT);
  EXPECT_EQ(k.kind, 'R');
  EXPECT_EQ(k.payment_no, "P1");
  EXPECT_EQ(k.refund_no, "R9");
  EXPECT_FALSE(parse_ledger_day_key("short", &k));
}

TEST_F(ReconStorageTest, StoreKeepsRunsItemsPagesAndTheScratchPool) {
  std::unique_ptr<ReconStore> store;
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  v1::ReconciliationView run;
  run.set_reconciliation_id(store->next_id());
  run.set_merchant_id("m1");
  run.set_channel("sandbox");
  run.set_date("2026-11-29");
  run.set_status("RUNNING");
  ASSERT_TRUE(store->put_run(run).is_ok());
  std::vector<v1::ReconItemView> items(5);
  for (size_t i = 0; i < items.size(); ++i)
    items[i].set_payment_no(std::string(1, 'P') + std::to_string(i));
  v1::HeldRecord h;
  h.set_held_since_day(20'000);
  run.set_status("DONE");
  ASSERT_TRUE(store->finish_run(run, items, {{"P9", h}}).is_ok());
  std::vector<v1::ReconItemView> page;
  uint64_t next = 0;
  ASSERT_TRUE(store->items(run.reconciliation_id(), 0, 2, &page, &next).is_ok());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].payment_no(), "P0");
  ASSERT_EQ(next, 2u);
  ASSERT_TRUE(store->items(run.reconciliation_id(), next, 10, &page, &next).is_ok());
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].payment_no(), "P2");
  EXPECT_EQ(next, 0u);
  std::vector<std::pair<std::string, v1::HeldRecord>> held;
  ASSERT_TRUE(store->held("m1", "sandbox", &held).is_ok());
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].first, "P9");
  ASSERT_TRUE(store->finish_run(run, {}, {{"P9", std::nullopt}}).is_ok());
  ASSERT_TRUE(store->held("m1", "sandbox", &held).is_ok());
  EXPECT_TRUE(held.empty()) << "released";
  std::vector<v1::ReconciliationView> runs;
  ASSERT_TRUE(store->runs_of_date("2026-11-29", &runs).is_ok());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status(), "DONE");
  v1::ReconciliationView latest;
  EXPECT_TRUE(store->latest_done("m1", "sandbox", "2026-11-29", run.reconciliation_id(), &latest)
                  .is_not_found());
  const std::string first = run.reconciliation_id();
  store.reset();
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  EXPECT_GT(store->next_id(), first) << "ids keep increasing across restarts";
}

TEST_F(ReconStorageTest, StoreListsOnlyOpenReviewItems) {
  std::unique_ptr<ReconStore> store;
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  v1::ReconReviewRecord a;
  a.set_item_id("recon_unknown_payment:X1");
  a.set_merchant_id("m1");
  v1::ReconReviewRecord b = a;
  b.set_item_id("recon_unknown_payment:X2");
  b.set_closed(true);
  ASSERT_TRUE(store->put_review(a).is_ok());
  ASSERT_TRUE(store->put_review(b).is_ok());
  std::vector<v1::ReconReviewRecord> open;
  ASSERT_TRUE(store->open_reviews(&open).is_ok());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].item_id(), "recon_unknown_payment:X1");
}

TEST_F(ReconStorageTest, StorePutsManyReviewItemsAtOnce) {
  std::unique_ptr<ReconStore> store;
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  std::vector<v1::ReconReviewRecord> items(3);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].set_item_id("recon_unknown_payment:Y" + std::to_string(i));
    items[i].set_merchant_id("m1");
  }
  ASSERT_TRUE(store->put_reviews(items).is_ok());
  ASSERT_TRUE(store->put_reviews({}).is_ok());
  store.reset();
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  std::vector<v1::ReconReviewRecord> open;
  ASSERT_TRUE(store->open_reviews(&open).is_ok());
  ASSERT_EQ(open.size(), 3u);
  v1::ReconReviewRecord got;
  ASSERT_TRUE(store->get_review("recon_unknown_payment:Y2", &got).is_ok());
  EXPECT_EQ(got.merchant_id(), "m1");
}

TEST_F(ReconStorageTest, LastIdIsTheNewestGivenOutOrFound) {
  std::unique_ptr<ReconStore> store;
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  EXPECT_EQ(store->last_id(), "");
  v1::ReconciliationView run;
  run.set_reconciliation_id(store->next_id());
  run.set_date("2026-11-29");
  run.set_status("RUNNING");
  EXPECT_EQ(store->last_id(), run.reconciliation_id());
  ASSERT_TRUE(store->put_run(run).is_ok());
  store.reset();
  ASSERT_TRUE(ReconStore::open(root_ + "/recon", &store).is_ok());
  EXPECT_EQ(store->last_id(), run.reconciliation_id());
}

}  // namespace
}  // namespace oncepay::storage
