// Tests for storage/wal: appends, group commit, replay, recovery of torn
// tails, refusal of corruption before the tail, rollover, removal and the
// sticky failure. Corruption is made on purpose by editing segment files.
#include "storage/wal.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace oncepay::storage {
namespace {

namespace fs = std::filesystem;
namespace fmt = wal_format;

// prefix + decimal n. (Not `"r" + std::to_string(n)`: GCC 12 at -O3 reports a
// false -Wrestrict on that expression.)
std::string numbered(std::string_view prefix, std::uint64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

struct Appended {
  std::uint64_t lsn = 0;
  Status status;
};

struct Replayed {
  std::uint64_t lsn;
  std::string payload;
  bool operator==(const Replayed&) const = default;
};

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/oncepay_wal_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    dir_ = root_ + "/wal";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  WalOptions options() const {
    WalOptions o;
    o.dir = dir_;
    o.fsync = false;  // fast; the tests that count syncs turn it on
    return o;
  }

  std::unique_ptr<Wal> open_wal(const WalOptions& o) {
    std::unique_ptr<Wal> wal;
    const Status s = Wal::open(o, &wal);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return wal;
  }
  std::unique_ptr<Wal> open_wal() { return open_wal(options()); }

  Status try_open(const WalOptions& o) {
    std::unique_ptr<Wal> wal;
    return Wal::open(o, &wal);
  }

  static Appended append_sync(Wal& wal, std::string payload) {
    std::promise<Appended> promise;
    auto future = promise.get_future();
    wal.append(std::move(payload), [&promise](std::uint64_t lsn, Status s) {
      promise.set_value(Appended{lsn, std::move(s)});
    });
    return future.get();
  }

  static std::vector<Replayed> replay_all(const Wal& wal, std::uint64_t after_lsn = 0) {
    std::vector<Replayed> out;
    const Status s = wal.replay(after_lsn, [&out](std::uint64_t lsn, std::string_view payload) {
      out.push_back(Replayed{lsn, std::string(payload)});
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return out;
  }

  // Writes n records "r1".."rn" (each alone) and closes the log.
  void write_records(std::uint64_t n, const WalOptions& o) {
    auto wal = open_wal(o);
    for (std::uint64_t i = 1; i <= n; ++i) {
      const Appended a = append_sync(*wal, numbered("r", i));
      ASSERT_TRUE(a.status.is_ok()) << a.status.to_string();
      ASSERT_EQ(a.lsn, static_cast<std::uint64_t>(i));
    }
  }

  std::vector<std::string> segment_paths() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::uint64_t lsn = 0;
      if (fmt::parse_segment_file_name(entry.path().filename().string(), &lsn)) {
        out.push_back(entry.path().string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string first_segment() const { return dir_ + "/" + fmt::segment_file_name(1); }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static void write_file(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }

  // Byte offset of record number `index` (0-based) in a segment of records r1..rn.
  static std::size_t record_offset(std::uint64_t index) {
    std::size_t offset = fmt::kFileHeaderSize;
    for (std::uint64_t i = 1; i <= index; ++i)
      offset += fmt::encoded_record_size(numbered("r", i).size());
    return offset;
  }

  std::string root_;
  std::string dir_;
};

TEST_F(WalTest, OpenCreatesFirstSegment) {
  auto wal = open_wal();
  EXPECT_EQ(wal->last_lsn(), 0u);
  EXPECT_TRUE(wal->healthy());
  EXPECT_EQ(wal->recovery().segments, 0u);
  ASSERT_EQ(segment_paths(), std::vector<std::string>{first_segment()});
  EXPECT_EQ(fs::file_size(first_segment()), fmt::kFileHeaderSize);
  EXPECT_TRUE(replay_all(*wal).empty());
}

TEST_F(WalTest, EmptyDirOptionIsInvalid) {
  WalOptions o = options();
  o.dir.clear();
  EXPECT_TRUE(try_open(o).is_invalid_argument());
}

TEST_F(WalTest, AppendAssignsConsecutiveLsnsAndReplays) {
  auto wal = open_wal();
  EXPECT_EQ(append_sync(*wal, "a").lsn, 1u);
  EXPECT_EQ(append_sync(*wal, "").lsn, 2u);
  EXPECT_EQ(append_sync(*wal, "c").lsn, 3u);
  EXPECT_EQ(wal->last_lsn(), 3u);
  EXPECT_EQ(replay_all(*wal), (std::vector<Replayed>{{1, "a"}, {2, ""}, {3, "c"}}));
  const WalStats stats = wal->stats();
  EXPECT_EQ(stats.records, 3u);
  EXPECT_EQ(stats.bytes, 3 * fmt::kRecordHeaderSize + 2);
}

TEST_F(WalTest, ReopenContinuesLsns) {
  write_records(3, options());
  auto wal = open_wal();
  EXPECT_EQ(wal->last_lsn(), 3u);
  EXPECT_EQ(wal->recovery().records, 3u);
  EXPECT_EQ(wal->recovery().truncated_bytes, 0u);
  EXPECT_EQ(append_sync(*wal, "r4").lsn, 4u);
  EXPECT_EQ(replay_all(*wal).size(), 4u);
}

TEST_F(WalTest, ReplayAfterLsnSkipsEarlierRecords) {
  write_records(5, options());
  auto wal = open_wal();
  EXPECT_EQ(replay_all(*wal, 3), (std::vector<Replayed>{{4, "r4"}, {5, "r5"}}));
  EXPECT_TRUE(replay_all(*wal, 5).empty());
}

TEST_F(WalTest, ReplayAheadOfTheLogIsCorruption) {
  write_records(2, options());
  auto wal = open_wal();
  const Status s = wal->replay(3, [](std::uint64_t, std::string_view) {});
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
}

TEST_F(WalTest, ReplayWhileAppendingSeesOnlyDurableRecords) {
  auto wal = open_wal();
  for (int i = 0; i < 100; ++i) append_sync(*wal, "x");
  std::atomic<bool> stop{false};
  std::thread appender([&] {
    while (!stop) wal->append("y", [](std::uint64_t, Status) {});
  });
  for (int round = 0; round < 5; ++round) {
    const auto records = replay_all(*wal);
    ASSERT_GE(records.size(), 100u);
    for (std::size_t i = 0; i < records.size(); ++i) ASSERT_EQ(records[i].lsn, i + 1);
  }
  stop = true;
  appender.join();
}

TEST_F(WalTest, SecondOpenOfTheSameDirectoryFails) {
  auto wal = open_wal();
  const Status s = try_open(options());
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  wal->close();
  EXPECT_TRUE(try_open(options()).is_ok());
}

TEST_F(WalTest, EveryByteCorruptionOfAMiddleRecordRefusesOpen) {
  write_records(3, options());
  const std::string path = first_segment();
  const std::string original = read_file(path);
  const std::size_t begin = record_offset(1);
  const std::size_t end = record_offset(2);
  for (std::size_t i = begin; i < end; ++i) {
    std::string bad = original;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    write_file(path, bad);
    const Status s = try_open(options());
    ASSERT_TRUE(s.is_corruption()) << "byte " << i << ": " << s.to_string();
    EXPECT_NE(s.message().find(path), std::string::npos) << s.to_string();
    EXPECT_NE(s.message().find("byte offset " + std::to_string(begin)), std::string::npos)
        << "byte " << i << ": " << s.to_string();
  }
  write_file(path, original);
  auto wal = open_wal();
  EXPECT_EQ(wal->last_lsn(), 3u);
}

TEST_F(WalTest, EveryByteCorruptionOfTheLastRecordIsCutAsATornTail) {
  // A damaged last record cannot be told from a torn write: it is cut (and
  // reported in recovery()), never skipped over.
  write_records(3, options());
  const std::string path = first_segment();
  const std::string original = read_file(path);
  const std::size_t begin = record_offset(2);
  for (std::size_t i = begin; i < original.size(); ++i) {
    std::string bad = original;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    write_file(path, bad);
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    EXPECT_EQ(wal->last_lsn(), 2u) << "byte " << i;
    EXPECT_EQ(wal->recovery().truncated_bytes, original.size() - begin);
    EXPECT_EQ(wal->recovery().truncated_file, path);
    wal->close();
    write_file(path, original);
  }
}

TEST_F(WalTest, TornTailAtEveryOffsetIsTruncatedAndAppendsContinue) {
  write_records(3, options());
  const std::string path = first_segment();
  const std::string original = read_file(path);
  const std::size_t begin = record_offset(2);
  for (std::size_t cut = begin; cut < original.size(); ++cut) {
    write_file(path, original.substr(0, cut));
    {
      auto wal = open_wal();
      ASSERT_NE(wal, nullptr);
      EXPECT_EQ(wal->last_lsn(), 2u) << "cut " << cut;
      EXPECT_EQ(wal->recovery().truncated_bytes, cut - begin);
      EXPECT_EQ(fs::file_size(path), begin);
      EXPECT_EQ(replay_all(*wal), (std::vector<Replayed>{{1, "r1"}, {2, "r2"}}));
      const Appended a = append_sync(*wal, "new");
      EXPECT_TRUE(a.status.is_ok());
      EXPECT_EQ(a.lsn, 3u);
    }
    auto wal = open_wal();
    EXPECT_EQ(wal->recovery().truncated_bytes, 0u);
    EXPECT_EQ(replay_all(*wal), (std::vector<Replayed>{{1, "r1"}, {2, "r2"}, {3, "new"}}));
  }
}

TEST_F(WalTest, ZeroFilledTailIsTruncated) {
  write_records(2, options());
  const std::string path = first_segment();
  const std::string original = read_file(path);
  write_file(path, original + std::string(4096, '\0'));
  auto wal = open_wal();
  EXPECT_EQ(wal->last_lsn(), 2u);
  EXPECT_EQ(wal->recovery().truncated_bytes, 4096u);
  EXPECT_EQ(fs::file_size(path), original.size());
}

TEST_F(WalTest, GarbageTailIsTruncated) {
  write_records(2, options());
  const std::string path = first_segment();
  std::string garbage;
  for (int i = 0; i < 1000; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
  write_file(path, read_file(path) + garbage);
  auto wal = open_wal();
  EXPECT_EQ(wal->last_lsn(), 2u);
  EXPECT_EQ(wal->recovery().truncated_bytes, garbage.size());
}

TEST_F(WalTest, WholeRecordWithWrongLsnRefusesOpen) {
  write_records(1, options());
  const std::string path = first_segment();
  std::string data = read_file(path);
  fmt::append_record(3, "skipped-two", &data);  // checksummed, but lsn 2 is missing
  write_file(path, data);
  const Status s = try_open(options());
  ASSERT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("byte offset " + std::to_string(record_offset(1))), std::string::npos)
      << s.to_string();
}

TEST_F(WalTest, BadMagicRefusesOpen) {
  write_records(1, options());
  const std::string path = first_segment();
  std::string data = read_file(path);
  data[0] = 'X';
  write_file(path, data);
  const Status s = try_open(options());
  ASSERT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find(path + " at byte offset 0"), std::string::npos) << s.to_string();
}

TEST_F(WalTest, FileNameThatDisagreesWithTheHeaderRefusesOpen) {
  write_records(1, options());
  fs::rename(first_segment(), dir_ + "/" + fmt::segment_file_name(2));
  EXPECT_TRUE(try_open(options()).is_corruption());
}

TEST_F(WalTest, TornHeaderOfTheLastSegmentIsRewritten) {
  write_records(2, options());
  // A crash while the next segment was being created left 10 bytes of it.
  std::string header;
  fmt::append_file_header(3, &header);
  const std::string torn = dir_ + "/" + fmt::segment_file_name(3);
  write_file(torn, header.substr(0, 10));
  auto wal = open_wal();
  EXPECT_TRUE(wal->recovery().rewrote_torn_header);
  EXPECT_EQ(wal->last_lsn(), 2u);
  EXPECT_EQ(append_sync(*wal, "r3").lsn, 3u);
  wal->close();
  EXPECT_EQ(read_file(torn).substr(0, fmt::kFileHeaderSize), header);
  wal = open_wal();
  EXPECT_EQ(replay_all(*wal).size(), 3u);
}

class WalSegmentsTest : public WalTest {
 protected:
  // Small segments, one record per batch: rollover every few records.
  WalOptions segmented() const {
    WalOptions o = options();
    o.segment_bytes = 256;
    o.max_batch_records = 1;
    return o;
  }
};

TEST_F(WalSegmentsTest, RolloverCreatesSegmentsNamedByFirstLsn) {
  write_records(50, segmented());
  const auto paths = segment_paths();
  ASSERT_GT(paths.size(), 3u);
  std::uint64_t expected_first = 1;
  for (const std::string& path : paths) {
    std::uint64_t first = 0;
    ASSERT_TRUE(fmt::parse_segment_file_name(fs::path(path).filename().string(), &first));
    EXPECT_EQ(first, expected_first);
    EXPECT_LE(fs::file_size(path), 256u);
    const std::string data = read_file(path);
    std::size_t offset = fmt::kFileHeaderSize;
    while (offset < data.size()) {
      fmt::RecordView view;
      ASSERT_EQ(fmt::decode_record(std::string_view(data).substr(offset), &view),
                fmt::DecodeResult::kOk);
      offset += view.encoded_bytes;
      ++expected_first;
    }
  }
  EXPECT_EQ(expected_first, 51u);
}

TEST_F(WalSegmentsTest, ReplayCrossesSegments) {
  write_records(50, segmented());
  auto wal = open_wal(segmented());
  EXPECT_EQ(wal->recovery().records, 50u);
  const auto all = replay_all(*wal);
  ASSERT_EQ(all.size(), 50u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], (Replayed{i + 1, numbered("r", i + 1)}));
  }
  const auto tail = replay_all(*wal, 37);
  ASSERT_EQ(tail.size(), 13u);
  EXPECT_EQ(tail.front().lsn, 38u);
  EXPECT_EQ(append_sync(*wal, "r51").lsn, 51u);
}

TEST_F(WalSegmentsTest, CorruptRecordInAClosedSegmentRefusesOpen) {
  write_records(50, segmented());
  const std::string path = segment_paths().front();
  std::string data = read_file(path);
  data.back() = static_cast<char>(data.back() ^ 1);  // the last record of a closed segment
  write_file(path, data);
  const Status s = try_open(segmented());
  ASSERT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find(path + " at byte offset "), std::string::npos) << s.to_string();
}

TEST_F(WalSegmentsTest, TruncatedClosedSegmentRefusesOpen) {
  write_records(50, segmented());
  const std::string path = segment_paths().front();
  const std::string data = read_file(path);
  write_file(path, data.substr(0, data.size() - 1));
  EXPECT_TRUE(try_open(segmented()).is_corruption());
}

TEST_F(WalSegmentsTest, MissingMiddleSegmentRefusesOpen) {
  write_records(50, segmented());
  const auto paths = segment_paths();
  fs::remove(paths[1]);
  const Status s = try_open(segmented());
  ASSERT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find(paths[2]), std::string::npos) << s.to_string();
}

TEST_F(WalSegmentsTest, RemoveSegmentsBeforeDeletesOnlyCoveredSegments) {
  write_records(50, segmented());
  auto wal = open_wal(segmented());
  const auto before = segment_paths();
  std::uint64_t second_first = 0;
  ASSERT_TRUE(fmt::parse_segment_file_name(fs::path(before[1]).filename().string(), &second_first));
  std::uint64_t third_first = 0;
  ASSERT_TRUE(fmt::parse_segment_file_name(fs::path(before[2]).filename().string(), &third_first));

  // Covering all but the last record of segment 2 removes only segment 1.
  ASSERT_TRUE(wal->remove_segments_before(third_first - 2).is_ok());
  EXPECT_EQ(segment_paths(), std::vector<std::string>(before.begin() + 1, before.end()));
  // Covering all of segment 2 removes it.
  ASSERT_TRUE(wal->remove_segments_before(third_first - 1).is_ok());
  EXPECT_EQ(segment_paths(), std::vector<std::string>(before.begin() + 2, before.end()));

  EXPECT_EQ(replay_all(*wal, third_first - 1).front().lsn, third_first);
  const Status gap = wal->replay(second_first, [](std::uint64_t, std::string_view) {});
  EXPECT_TRUE(gap.is_corruption()) << gap.to_string();

  // The active segment is never removed.
  ASSERT_TRUE(wal->remove_segments_before(UINT64_MAX).is_ok());
  EXPECT_EQ(segment_paths(), std::vector<std::string>{before.back()});
  EXPECT_EQ(append_sync(*wal, "r51").lsn, 51u);
  wal->close();
  wal = open_wal(segmented());
  EXPECT_EQ(wal->last_lsn(), 51u);
  EXPECT_EQ(replay_all(*wal, 50), (std::vector<Replayed>{{51, "r51"}}));
}

TEST_F(WalTest, ConcurrentAppendsGetUniqueIncreasingLsnsAndAllReplay) {
  constexpr std::size_t kThreads = 8;
  constexpr std::size_t kPerThread = 500;
  auto wal = open_wal();
  std::mutex mu;
  std::vector<std::uint64_t> completion_order;
  std::map<std::uint64_t, std::string> by_lsn;
  std::vector<std::vector<std::uint64_t>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < kPerThread; ++i) {
        std::string payload = numbered("t", t) + numbered("-", i);
        wal->append(payload, [&, t, payload](std::uint64_t lsn, Status s) {
          EXPECT_TRUE(s.is_ok()) << s.to_string();
          std::lock_guard lock(mu);
          completion_order.push_back(lsn);
          by_lsn[lsn] = payload;
          per_thread[t].push_back(lsn);
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  wal->close();

  constexpr std::uint64_t kTotal = kThreads * kPerThread;
  ASSERT_EQ(completion_order.size(), kTotal);
  EXPECT_TRUE(std::is_sorted(completion_order.begin(), completion_order.end()));
  ASSERT_EQ(by_lsn.size(), kTotal);  // unique
  EXPECT_EQ(by_lsn.begin()->first, 1u);
  EXPECT_EQ(by_lsn.rbegin()->first, kTotal);
  for (const auto& lsns : per_thread) EXPECT_TRUE(std::is_sorted(lsns.begin(), lsns.end()));

  wal = open_wal();
  const auto records = replay_all(*wal);
  ASSERT_EQ(records.size(), kTotal);
  for (const Replayed& r : records) EXPECT_EQ(r.payload, by_lsn[r.lsn]);
}

TEST_F(WalTest, GroupCommitSyncsOncePerBatch) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  WalOptions o = options();
  o.fsync = true;
  std::atomic<int> hook_calls{0};
  o.fdatasync_hook = [&hook_calls](int fd) {
    ++hook_calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow disk
    return ::fdatasync(fd);
  };
  auto wal = open_wal(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        wal->append("event", [&ok](std::uint64_t, Status s) { ok += s.is_ok() ? 1 : 0; });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  wal->close();
  const WalStats stats = wal->stats();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(stats.records, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(stats.fsyncs, stats.batches);
  EXPECT_EQ(stats.fsyncs, static_cast<std::uint64_t>(hook_calls.load()));
  EXPECT_LT(stats.fsyncs * 10, stats.records) << "expected batches of 10+ records on average";
}

TEST_F(WalTest, BatchLimitsAreRespected) {
  WalOptions o = options();
  o.max_batch_records = 3;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::atomic<bool> first{true};
  o.fsync = true;
  o.fdatasync_hook = [&](int) {
    if (first.exchange(false)) {
      entered.set_value();
      released.wait();  // hold the writer so that appends queue up
    }
    return 0;
  };
  auto wal = open_wal(o);
  wal->append("first", [](std::uint64_t, Status) {});
  entered.get_future().wait();
  for (int i = 0; i < 9; ++i) wal->append("queued", [](std::uint64_t, Status) {});
  release.set_value();
  wal->close();
  const WalStats stats = wal->stats();
  EXPECT_EQ(stats.records, 10u);
  EXPECT_EQ(stats.batches, 4u);  // 1, then 9 queued in batches of 3

  // The /metrics histograms saw the same batches: one of 1 record, three of
  // 3, and one fdatasync each.
  const auto sizes = wal->histograms().batch_records.snapshot();
  EXPECT_EQ(sizes.count(), 4u);
  EXPECT_EQ(sizes.sum, 10.0);
  ASSERT_GE(sizes.bounds.size(), 3u);
  EXPECT_EQ(sizes.bounds[0], 1.0);
  EXPECT_EQ(sizes.cumulative[0], 1u);  // <= 1
  EXPECT_EQ(sizes.cumulative[1], 1u);  // <= 2
  EXPECT_EQ(sizes.cumulative[2], 4u);  // <= 4
  EXPECT_EQ(wal->histograms().fsync_seconds.snapshot().count(), 4u);
}

TEST_F(WalTest, AppendBlocksWhenTheQueueIsFull) {
  WalOptions o = options();
  o.max_queue_records = 2;
  o.fsync = true;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::atomic<bool> first{true};
  o.fdatasync_hook = [&](int) {
    if (first.exchange(false)) {
      entered.set_value();
      released.wait();
    }
    return 0;
  };
  auto wal = open_wal(o);
  wal->append("in flight", [](std::uint64_t, Status) {});
  entered.get_future().wait();  // the writer holds "in flight"; the queue is empty
  wal->append("q1", [](std::uint64_t, Status) {});
  wal->append("q2", [](std::uint64_t, Status) {});
  std::atomic<bool> returned{false};
  std::thread blocked([&] {
    wal->append("q3", [](std::uint64_t, Status) {});
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(returned.load()) << "append should wait for queue space";
  release.set_value();
  blocked.join();
  EXPECT_TRUE(returned.load());
  wal->close();
  EXPECT_EQ(wal->stats().records, 4u);
}

TEST_F(WalTest, FailedFdatasyncMakesTheWalStickyFailed) {
  WalOptions o = options();
  o.fsync = true;
  std::atomic<int> calls{0};
  o.fdatasync_hook = [&calls](int fd) {
    if (++calls == 3) {
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  };
  {
    auto wal = open_wal(o);
    EXPECT_TRUE(append_sync(*wal, "r1").status.is_ok());
    EXPECT_TRUE(append_sync(*wal, "r2").status.is_ok());
    const Appended failed = append_sync(*wal, "r3");
    EXPECT_TRUE(failed.status.is_io_error()) << failed.status.to_string();
    EXPECT_NE(failed.status.message().find("fdatasync"), std::string::npos);
    EXPECT_FALSE(wal->healthy());
    EXPECT_EQ(wal->last_lsn(), 2u);
    const Appended later = append_sync(*wal, "r4");
    EXPECT_TRUE(later.status.is_io_error()) << later.status.to_string();
    EXPECT_EQ(later.lsn, 0u);
    EXPECT_EQ(calls.load(), 3) << "nothing is written after the failure";
  }
  // After a restart the failed record's outcome is decided by what is on
  // disk (here it was written, only the sync "failed"); appends continue.
  auto wal = open_wal(options());
  const std::uint64_t last = wal->last_lsn();
  EXPECT_GE(last, 2u);
  EXPECT_LE(last, 3u);
  EXPECT_EQ(append_sync(*wal, "next").lsn, last + 1);
}

TEST_F(WalTest, OversizedPayloadIsRejectedWithoutAnLsn) {
  auto wal = open_wal();
  const Appended big = append_sync(*wal, std::string(fmt::kMaxPayloadBytes + 1, 'b'));
  EXPECT_TRUE(big.status.is_invalid_argument()) << big.status.to_string();
  EXPECT_EQ(big.lsn, 0u);
  EXPECT_TRUE(wal->healthy());
  EXPECT_EQ(append_sync(*wal, "small").lsn, 1u);
}

TEST_F(WalTest, CloseCompletesEveryPendingAppend) {
  auto wal = open_wal();
  std::atomic<int> done{0};
  for (int i = 0; i < 1000; ++i) {
    wal->append("p", [&done](std::uint64_t, Status s) { done += s.is_ok() ? 1 : 0; });
  }
  wal->close();
  EXPECT_EQ(done.load(), 1000);
  EXPECT_EQ(wal->last_lsn(), 1000u);
}

TEST_F(WalTest, AppendAfterCloseFailsAtOnce) {
  auto wal = open_wal();
  wal->close();
  Appended result;
  wal->append("late", [&result](std::uint64_t lsn, Status s) { result = {lsn, std::move(s)}; });
  EXPECT_TRUE(result.status.is_invalid_argument()) << result.status.to_string();
  EXPECT_EQ(result.lsn, 0u);
}

TEST_F(WalTest, CloseIsIdempotent) {
  auto wal = open_wal();
  append_sync(*wal, "a");
  wal->close();
  wal->close();  // idempotent
  wal.reset();
  wal = open_wal();
  EXPECT_EQ(wal->last_lsn(), 1u);
}

}  // namespace
}  // namespace oncepay::storage
