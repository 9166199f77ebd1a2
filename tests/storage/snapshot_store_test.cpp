// Tests for storage/snapshot_store: checkpoints of opaque records plus the
// checkpoint LSN in one LMDB transaction, map growth and its limit.
#include "storage/snapshot_store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace oncepay::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kKiB = 1024;

// prefix + decimal n. (Not `"r" + std::to_string(n)`: GCC 12 at -O3 reports a
// false -Wrestrict on that expression.)
std::string numbered(std::string_view prefix, std::uint64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/oncepay_snapshot_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    dir_ = root_ + "/snapshot";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  SnapshotOptions options() const {
    SnapshotOptions o;
    o.dir = dir_;
    o.map_size_bytes = 16 * kKiB * kKiB;
    o.max_map_size_bytes = 64 * kKiB * kKiB;
    o.tables = {"orders", "payments", "merchants", "timers"};
    return o;
  }

  std::unique_ptr<SnapshotStore> open_store(const SnapshotOptions& o) {
    std::unique_ptr<SnapshotStore> store;
    const Status s = SnapshotStore::open(o, &store);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return store;
  }
  std::unique_ptr<SnapshotStore> open_store() { return open_store(options()); }

  static std::vector<std::pair<std::string, std::string>> scan_all(const SnapshotStore& store,
                                                                   const std::string& table) {
    std::vector<std::pair<std::string, std::string>> out;
    const Status s = store.scan(table, [&out](std::string_view key, std::string_view value) {
      out.emplace_back(std::string(key), std::string(value));
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return out;
  }

  static Mutation put(std::string table, std::string key, std::string value) {
    return Mutation{std::move(table), std::move(key), std::move(value)};
  }
  static Mutation del(std::string table, std::string key) {
    return Mutation{std::move(table), std::move(key), std::nullopt};
  }

  std::string root_;
  std::string dir_;
};

TEST_F(SnapshotStoreTest, NewStoreHasCheckpointZero) {
  auto store = open_store();
  EXPECT_EQ(store->checkpoint_lsn(), 0u);
  EXPECT_TRUE(store->healthy());
  EXPECT_TRUE(scan_all(*store, "orders").empty());
}

TEST_F(SnapshotStoreTest, CommitThenGetAndScan) {
  auto store = open_store();
  ASSERT_TRUE(store
                  ->commit_checkpoint(10, {put("orders", "o1", "state-1"),
                                           put("payments", "p1", "o1"), put("orders", "o2", "")})
                  .is_ok());
  EXPECT_EQ(store->checkpoint_lsn(), 10u);
  std::string value;
  ASSERT_TRUE(store->get("orders", "o1", &value).is_ok());
  EXPECT_EQ(value, "state-1");
  ASSERT_TRUE(store->get("payments", "p1", &value).is_ok());
  EXPECT_EQ(value, "o1");
  EXPECT_EQ(scan_all(*store, "orders"),
            (std::vector<std::pair<std::string, std::string>>{{"o1", "state-1"}, {"o2", ""}}));
}

TEST_F(SnapshotStoreTest, ScanIsInBytewiseKeyOrder) {
  auto store = open_store();
  ASSERT_TRUE(store
                  ->commit_checkpoint(
                      1, {put("timers", "b", "2"), put("timers", "a", "1"),
                          put("timers", std::string("\xff", 1), "3"), put("timers", "ab", "4")})
                  .is_ok());
  const auto records = scan_all(*store, "timers");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].first, "a");
  EXPECT_EQ(records[1].first, "ab");
  EXPECT_EQ(records[2].first, "b");
  EXPECT_EQ(records[3].first, std::string("\xff", 1));
}

TEST_F(SnapshotStoreTest, PutOverwrites) {
  auto store = open_store();
  ASSERT_TRUE(store->commit_checkpoint(1, {put("orders", "o1", "v1")}).is_ok());
  ASSERT_TRUE(store->commit_checkpoint(2, {put("orders", "o1", "v2")}).is_ok());
  std::string value;
  ASSERT_TRUE(store->get("orders", "o1", &value).is_ok());
  EXPECT_EQ(value, "v2");
}

TEST_F(SnapshotStoreTest, DeleteRemovesTheKey) {
  auto store = open_store();
  ASSERT_TRUE(
      store->commit_checkpoint(1, {put("orders", "o1", "v"), put("orders", "o2", "v")}).is_ok());
  ASSERT_TRUE(store->commit_checkpoint(2, {del("orders", "o1")}).is_ok());
  std::string value;
  EXPECT_TRUE(store->get("orders", "o1", &value).is_not_found());
  EXPECT_EQ(scan_all(*store, "orders").size(), 1u);
}

TEST_F(SnapshotStoreTest, DeleteOfAMissingKeyIsFine) {
  auto store = open_store();
  EXPECT_TRUE(store->commit_checkpoint(1, {del("orders", "never")}).is_ok());
  EXPECT_EQ(store->checkpoint_lsn(), 1u);
}

TEST_F(SnapshotStoreTest, MutationsApplyInOrderWithinACheckpoint) {
  auto store = open_store();
  ASSERT_TRUE(store
                  ->commit_checkpoint(1, {put("orders", "o1", "a"), del("orders", "o1"),
                                          put("orders", "o2", "b"), put("orders", "o2", "c")})
                  .is_ok());
  EXPECT_EQ(scan_all(*store, "orders"),
            (std::vector<std::pair<std::string, std::string>>{{"o2", "c"}}));
}

TEST_F(SnapshotStoreTest, GetOfAMissingKeyIsNotFound) {
  auto store = open_store();
  std::string value = "untouched";
  EXPECT_TRUE(store->get("orders", "nope", &value).is_not_found());
  EXPECT_EQ(value, "untouched");
}

TEST_F(SnapshotStoreTest, CheckpointLsnAndDataPersistAcrossReopen) {
  {
    auto store = open_store();
    ASSERT_TRUE(store->commit_checkpoint(41, {put("merchants", "m1", "key")}).is_ok());
    ASSERT_TRUE(store->commit_checkpoint(42, {}).is_ok());
  }
  auto store = open_store();
  EXPECT_EQ(store->checkpoint_lsn(), 42u);
  std::string value;
  ASSERT_TRUE(store->get("merchants", "m1", &value).is_ok());
  EXPECT_EQ(value, "key");
}

TEST_F(SnapshotStoreTest, CheckpointLsnMayNotGoBack) {
  auto store = open_store();
  ASSERT_TRUE(store->commit_checkpoint(5, {}).is_ok());
  EXPECT_TRUE(store->commit_checkpoint(5, {}).is_ok());  // same lsn is fine
  const Status s = store->commit_checkpoint(4, {put("orders", "o1", "v")});
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_EQ(store->checkpoint_lsn(), 5u);
  std::string value;
  EXPECT_TRUE(store->get("orders", "o1", &value).is_not_found());
}

TEST_F(SnapshotStoreTest, UnknownTableWritesNothing) {
  auto store = open_store();
  const Status s = store->commit_checkpoint(1, {put("orders", "o1", "v"), put("nope", "k", "v")});
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_EQ(store->checkpoint_lsn(), 0u);
  std::string value;
  EXPECT_TRUE(store->get("orders", "o1", &value).is_not_found());
  EXPECT_TRUE(store->scan("nope", [](std::string_view, std::string_view) {}).is_invalid_argument());
  EXPECT_TRUE(store->get("meta", "checkpoint_lsn", &value).is_invalid_argument());
}

TEST_F(SnapshotStoreTest, EmptyOrOverlongKeyIsInvalid) {
  auto store = open_store();
  EXPECT_TRUE(store->commit_checkpoint(1, {put("orders", "", "v")}).is_invalid_argument());
  const std::string long_key(store->max_key_bytes() + 1, 'k');
  EXPECT_TRUE(store->commit_checkpoint(1, {put("orders", long_key, "v")}).is_invalid_argument());
  const std::string max_key(store->max_key_bytes(), 'k');
  EXPECT_TRUE(store->commit_checkpoint(1, {put("orders", max_key, "v")}).is_ok());
}

TEST_F(SnapshotStoreTest, MetaTableNameIsReserved) {
  SnapshotOptions o = options();
  o.tables.push_back("meta");
  std::unique_ptr<SnapshotStore> store;
  EXPECT_TRUE(SnapshotStore::open(o, &store).is_invalid_argument());
  EXPECT_EQ(store, nullptr);
}

TEST_F(SnapshotStoreTest, DuplicateTableIsInvalid) {
  SnapshotOptions o = options();
  o.tables.push_back("orders");
  std::unique_ptr<SnapshotStore> store;
  EXPECT_TRUE(SnapshotStore::open(o, &store).is_invalid_argument());
}

TEST_F(SnapshotStoreTest, TablesCanBeAddedOnReopen) {
  {
    auto store = open_store();
    ASSERT_TRUE(store->commit_checkpoint(1, {put("orders", "o1", "v")}).is_ok());
  }
  SnapshotOptions o = options();
  o.tables.push_back("refunds");
  auto store = open_store(o);
  ASSERT_TRUE(store->commit_checkpoint(2, {put("refunds", "r1", "v")}).is_ok());
  std::string value;
  EXPECT_TRUE(store->get("orders", "o1", &value).is_ok());
}

TEST_F(SnapshotStoreTest, MapGrowsOnMapFullAndRetries) {
  SnapshotOptions o = options();
  o.map_size_bytes = 64 * kKiB;
  o.max_map_size_bytes = 64 * kKiB * kKiB;
  auto store = open_store(o);
  const std::size_t initial = store->map_size_bytes();
  std::vector<Mutation> mutations;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    mutations.push_back(put("orders", numbered("o", i), std::string(kKiB, 'v')));
  }
  const Status s = store->commit_checkpoint(7, mutations);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_GT(store->map_size_bytes(), initial);
  EXPECT_LE(store->map_size_bytes(), o.max_map_size_bytes);
  EXPECT_EQ(scan_all(*store, "orders").size(), 2000u);
  EXPECT_EQ(store->checkpoint_lsn(), 7u);
  store.reset();

  // Reopening with the small configured size still sees everything (LMDB
  // keeps the larger size of the existing file).
  store = open_store(o);
  EXPECT_EQ(store->checkpoint_lsn(), 7u);
  EXPECT_EQ(scan_all(*store, "orders").size(), 2000u);
}

TEST_F(SnapshotStoreTest, FullBeyondMaxMapSizeWritesNothing) {
  SnapshotOptions o = options();
  o.map_size_bytes = 64 * kKiB;
  o.max_map_size_bytes = 128 * kKiB;
  auto store = open_store(o);
  ASSERT_TRUE(store->commit_checkpoint(1, {put("orders", "kept", "v")}).is_ok());
  std::vector<Mutation> mutations;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    mutations.push_back(put("orders", numbered("o", i), std::string(kKiB, 'v')));
  }
  const Status s = store->commit_checkpoint(2, mutations);
  ASSERT_TRUE(s.is_full()) << s.to_string();
  EXPECT_NE(s.message().find("max_map_size_bytes"), std::string::npos) << s.to_string();
  EXPECT_EQ(store->map_size_bytes(), o.max_map_size_bytes);
  EXPECT_EQ(store->checkpoint_lsn(), 1u);
  EXPECT_TRUE(store->healthy()) << "nothing was committed: no doubt about durability";
  EXPECT_EQ(scan_all(*store, "orders").size(), 1u);
  // The store keeps working for checkpoints that fit.
  EXPECT_TRUE(store->commit_checkpoint(3, {put("orders", "small", "v")}).is_ok());
  EXPECT_EQ(store->checkpoint_lsn(), 3u);
}

TEST_F(SnapshotStoreTest, ScanCallbackMayReadTheStore) {
  auto store = open_store();
  ASSERT_TRUE(
      store->commit_checkpoint(1, {put("payments", "p1", "o1"), put("orders", "o1", "s")}).is_ok());
  std::vector<std::string> states;
  ASSERT_TRUE(store
                  ->scan("payments",
                         [&](std::string_view, std::string_view order_key) {
                           std::string state;
                           EXPECT_TRUE(
                               store->get("orders", std::string(order_key), &state).is_ok());
                           states.push_back(state);
                         })
                  .is_ok());
  EXPECT_EQ(states, std::vector<std::string>{"s"});
}

TEST_F(SnapshotStoreTest, UseFromASecondThreadIsAProgrammerError) {
  auto store = open_store();
  EXPECT_EQ(store->checkpoint_lsn(), 0u);  // binds this thread as the owner
  EXPECT_DEATH(
      {
        std::thread other([&] { (void)store->checkpoint_lsn(); });
        other.join();
      },
      "owner");
}

TEST_F(SnapshotStoreTest, ReadAndReadRangeFromAnyThread) {
  auto store = open_store();
  ASSERT_TRUE(store
                  ->commit_checkpoint(1, {put("timers", "a1", "x"), put("timers", "b1", "y"),
                                          put("timers", "b2", "z"), put("orders", "o1", "s")})
                  .is_ok());
  std::thread other([&] {
    std::string value;
    EXPECT_TRUE(store->read("orders", "o1", &value).is_ok());
    EXPECT_EQ(value, "s");
    EXPECT_TRUE(store->read("orders", "o2", &value).is_not_found());
    std::vector<std::string> seen;
    EXPECT_TRUE(store
                    ->read_range("timers", "b",
                                 [&](std::string_view key, std::string_view v) {
                                   seen.push_back(std::string(key) + "=" + std::string(v));
                                   return true;
                                 })
                    .is_ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"b1=y", "b2=z"}));
    seen.clear();
    EXPECT_TRUE(store
                    ->read_range("timers", "",
                                 [&](std::string_view key, std::string_view) {
                                   seen.emplace_back(key);
                                   return seen.size() < 2;  // stops after the second
                                 })
                    .is_ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"a1", "b1"}));
    std::uint64_t n = 0;
    EXPECT_TRUE(store->count("timers", &n).is_ok());
    EXPECT_EQ(n, 3u);
    EXPECT_TRUE(store->read("nope", "k", &value).is_invalid_argument());
  });
  other.join();
}

// Readers on other threads see whole checkpoints only, while the owner
// commits and grows the map under them (LMDB forbids any transaction during
// a resize: the store keeps them apart).
TEST_F(SnapshotStoreTest, ConcurrentReadersSeeWholeCheckpointsWhileTheMapGrows) {
  SnapshotOptions o = options();
  o.map_size_bytes = 64 * kKiB;
  o.max_map_size_bytes = 64 * kKiB * kKiB;
  auto store = open_store(o);
  ASSERT_TRUE(store->commit_checkpoint(1, {put("orders", "count", "0")}).is_ok());
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      do {
        // "count" = n and the n rows o0..o(n-1) are committed together.
        std::string count;
        std::uint64_t rows = 0;
        ASSERT_TRUE(store
                        ->read_range("orders", "",
                                     [&](std::string_view key, std::string_view value) {
                                       if (key == "count") {
                                         count = std::string(value);
                                       } else {
                                         ++rows;
                                       }
                                       return true;
                                     })
                        .is_ok());
        ASSERT_EQ(std::to_string(rows), count);
        reads.fetch_add(1);
      } while (!stop.load());
    });
  }
  const std::size_t initial = store->map_size_bytes();
  for (int lsn = 2; lsn <= 21; ++lsn) {
    std::vector<Mutation> mutations;
    const std::uint64_t first = static_cast<std::uint64_t>(lsn - 2) * 100;
    for (std::uint64_t i = first; i < first + 100; ++i) {
      mutations.push_back(put("orders", numbered("o", i), std::string(kKiB, 'v')));
    }
    mutations.push_back(put("orders", "count", std::to_string(first + 100)));
    const Status s = store->commit_checkpoint(static_cast<std::uint64_t>(lsn), mutations);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_GT(store->map_size_bytes(), initial);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace oncepay::storage
