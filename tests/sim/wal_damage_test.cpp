// The torn-tail cutter: it never touches synced bytes and recovery accepts
// everything it leaves.
#include "sim/wal_damage.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "storage/wal.hpp"
#include "storage/wal_format.hpp"

namespace oncepay::sim {
namespace {

namespace fs = std::filesystem;

class WalDamageTest : public ::testing::Test {
 protected:
  WalDamageTest() {
    char pattern[] = "/tmp/oncepay-wal-damage-XXXXXX";
    EXPECT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  ~WalDamageTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Appends n records in inline mode; returns the segment size afterwards.
  uint64_t append(const std::string& dir, int from, int n) {
    storage::WalOptions o;
    o.dir = dir;
    o.fsync = false;
    o.writer_thread = false;
    std::unique_ptr<storage::Wal> wal;
    EXPECT_TRUE(storage::Wal::open(o, &wal).is_ok());
    int done = 0;
    for (int i = from; i < from + n; ++i) {
      wal->append("record-" + std::to_string(i) + std::string(40, 'x'),
                  [&](uint64_t, storage::Status s) { done += s.is_ok(); });
    }
    EXPECT_EQ(done, 0);  // inline mode: nothing is written before write_queued()
    wal->write_queued();
    EXPECT_EQ(done, n);
    wal->close();
    return fs::file_size(last_segment(dir));
  }

  uint64_t records(const std::string& dir) {
    storage::WalOptions o;
    o.dir = dir;
    o.writer_thread = false;
    std::unique_ptr<storage::Wal> wal;
    storage::Status st = storage::Wal::open(o, &wal);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return wal ? wal->last_lsn() : 0;
  }

  std::string dir_;
};

TEST_F(WalDamageTest, LastRecordEndStopsAtWholeRecords) {
  const uint64_t three = append(dir_, 0, 3);
  const uint64_t five = append(dir_, 3, 2);
  std::ifstream in(last_segment(dir_), std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(last_record_end(data, five), five);
  EXPECT_EQ(last_record_end(data, five - 1), (five - three) / 2 + three);
  EXPECT_EQ(last_record_end(data, three + 1), three);
  EXPECT_EQ(last_record_end(data, 3), 3u);
}

TEST_F(WalDamageTest, NeverTouchesSyncedRecordsAndAlwaysRecovers) {
  const uint64_t synced = append(dir_, 0, 3);
  append(dir_, 3, 4);  // "unsynced"
  std::mt19937_64 random(1);
  for (int round = 0; round < 200; ++round) {
    const std::string copy = dir_ + "/copy";
    fs::remove_all(copy);
    fs::create_directories(copy);
    fs::copy_file(last_segment(dir_),
                  copy + "/" + fs::path(last_segment(dir_)).filename().string());
    WalDamage damage;
    ASSERT_TRUE(damage_wal_tail(copy, synced, random, &damage).is_ok());
    EXPECT_GE(damage.cut_at, synced);
    const uint64_t n = records(copy);
    EXPECT_GE(n, 3u) << describe(damage);
    EXPECT_LE(n, 7u) << describe(damage);
  }
}

TEST_F(WalDamageTest, SameGeneratorSameDamage) {
  const uint64_t synced = append(dir_, 0, 2);
  append(dir_, 2, 5);
  std::string results[2];
  for (auto& out : results) {
    const std::string copy = dir_ + "/copy";
    fs::remove_all(copy);
    fs::create_directories(copy);
    fs::copy_file(last_segment(dir_),
                  copy + "/" + fs::path(last_segment(dir_)).filename().string());
    std::mt19937_64 random(42);
    WalDamage damage;
    ASSERT_TRUE(damage_wal_tail(copy, synced, random, &damage).is_ok());
    out = describe(damage);
  }
  EXPECT_EQ(results[0].substr(results[0].find(':')), results[1].substr(results[1].find(':')));
}

}  // namespace
}  // namespace oncepay::sim
