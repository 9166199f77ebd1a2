// oncepay-wal-bench: durable records/s and fdatasyncs/s of storage::Wal
// (fsync on) against the number of concurrent appenders. Each appender
// thread appends a ~200-byte payload (the size of a serialized WalRecord of
// one pay step) and waits for it to be durable before the next, as an order
// actor does; the group commit turns N waiting appenders into batches of up
// to N records per fdatasync. Prints one line per row and, last, one JSON
// object with the table. Figures and method: docs/PERFORMANCE.md.
//
// Usage: oncepay-wal-bench [--dir=DIR] [--seconds=S] [--threads=1,4,16,64,256]
//                          [--bytes=N] [--keep]
// DIR defaults to a fresh directory under the current directory (run it from
// the disk to measure); it is removed afterwards unless --keep.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/wal.hpp"

namespace {

using oncepay::storage::Status;
using oncepay::storage::Wal;
using oncepay::storage::WalOptions;
using oncepay::storage::WalStats;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir;
  double seconds = 2.0;
  std::vector<int> threads = {1, 4, 16, 64, 256};
  size_t bytes = 200;
  bool keep = false;
};

struct Row {
  int threads = 0;
  double seconds = 0;
  uint64_t records = 0;
  uint64_t batches = 0;
  uint64_t fsyncs = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool parse_args(int argc, char** argv, Options* out) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (starts_with(arg, "--dir=")) {
      out->dir = std::string(arg.substr(6));
    } else if (starts_with(arg, "--seconds=")) {
      out->seconds = std::stod(std::string(arg.substr(10)));
    } else if (starts_with(arg, "--bytes=")) {
      out->bytes = std::stoul(std::string(arg.substr(8)));
    } else if (starts_with(arg, "--threads=")) {
      out->threads.clear();
      std::stringstream list{std::string(arg.substr(10))};
      std::string item;
      while (std::getline(list, item, ',')) out->threads.push_back(std::stoi(item));
    } else if (arg == "--keep") {
      out->keep = true;
    } else {
      std::fprintf(stderr, "unknown argument: %s\n", argv[i]);
      return false;
    }
  }
  return !out->threads.empty() && out->seconds > 0;
}

// One appender: append, wait until durable, repeat until the deadline.
void appender(Wal& wal, const std::string& payload, Clock::time_point deadline,
              std::atomic<uint64_t>* errors) {
  std::mutex mu;
  std::condition_variable cv;
  while (Clock::now() < deadline) {
    bool done = false;
    bool ok = false;
    wal.append(payload, [&](uint64_t, Status status) {
      std::lock_guard lock(mu);
      done = true;
      ok = status.is_ok();
      cv.notify_one();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    if (!ok) {
      errors->fetch_add(1);
      return;
    }
  }
}

bool run_row(const Options& options, const std::string& dir, int threads, Row* row) {
  WalOptions wal_options;
  wal_options.dir = dir;
  wal_options.fsync = true;
  std::unique_ptr<Wal> wal;
  Status st = Wal::open(wal_options, &wal);
  if (!st.is_ok()) {
    std::fprintf(stderr, "Wal::open(%s): %s\n", dir.c_str(), st.to_string().c_str());
    return false;
  }
  const std::string payload(options.bytes, 'r');
  std::atomic<uint64_t> errors{0};
  const WalStats before = wal->stats();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.seconds));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] { appender(*wal, payload, deadline, &errors); });
  }
  for (auto& t : pool) t.join();
  const auto end = Clock::now();
  const WalStats after = wal->stats();
  wal->close();
  row->threads = threads;
  row->seconds = std::chrono::duration<double>(end - start).count();
  row->records = after.records - before.records;
  row->batches = after.batches - before.batches;
  row->fsyncs = after.fsyncs - before.fsyncs;
  row->bytes = after.bytes - before.bytes;
  row->errors = errors.load();
  return row->errors == 0;
}

std::string json_table(const Options& options, const std::string& dir,
                       const std::vector<Row>& rows) {
  std::string out = "{\"bench\":\"wal\",\"dir\":\"";
  out += dir;
  out += "\",\"payload_bytes\":";
  out += std::to_string(options.bytes);
  out += ",\"rows\":[";
  char buffer[256];
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const double batches = r.batches == 0 ? 1.0 : static_cast<double>(r.batches);
    std::snprintf(
        buffer, sizeof buffer,
        "%s{\"threads\":%d,\"seconds\":%.3f,\"records\":%llu,\"records_per_s\":%.0f,"
        "\"fsyncs_per_s\":%.1f,\"batches\":%llu,\"mean_batch\":%.2f}",
        i == 0 ? "" : ",", r.threads, r.seconds, static_cast<unsigned long long>(r.records),
        static_cast<double>(r.records) / r.seconds, static_cast<double>(r.fsyncs) / r.seconds,
        static_cast<unsigned long long>(r.batches), static_cast<double>(r.records) / batches);
    out += buffer;
  }
  out += "]}";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: oncepay-wal-bench [--dir=DIR] [--seconds=S] [--threads=1,4,16] "
                 "[--bytes=N] [--keep]\n");
    return 2;
  }
  std::string base = options.dir;
  bool remove_base = false;
  if (base.empty()) {
    std::string templ = (std::filesystem::current_path() / "oncepay-wal-bench-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a temp dir under %s\n",
                   std::filesystem::current_path().c_str());
      return 1;
    }
    base = templ;
    remove_base = !options.keep;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(base, ec);  // the rows' dirs go inside
    if (ec) {
      std::fprintf(stderr, "cannot create %s: %s\n", base.c_str(), ec.message().c_str());
      return 1;
    }
  }
  std::printf("wal bench: dir=%s payload=%zu bytes, %.1f s per row, fsync on\n", base.c_str(),
              options.bytes, options.seconds);
  std::printf("%8s %12s %12s %12s\n", "threads", "records/s", "fsyncs/s", "mean batch");
  std::vector<Row> rows;
  bool ok = true;
  for (int threads : options.threads) {
    // A fresh log per row: every row starts from an empty segment.
    std::string dir = base;
    dir += "/t";
    dir += std::to_string(threads);
    Row row;
    if (!run_row(options, dir, threads, &row)) {
      ok = false;
      break;
    }
    std::printf(
        "%8d %12.0f %12.1f %12.2f\n", row.threads, static_cast<double>(row.records) / row.seconds,
        static_cast<double>(row.fsyncs) / row.seconds,
        static_cast<double>(row.records) / static_cast<double>(row.batches == 0 ? 1 : row.batches));
    std::fflush(stdout);
    rows.push_back(row);
    std::error_code ec;
    if (!options.keep) std::filesystem::remove_all(dir, ec);
  }
  if (remove_base) {
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }
  std::printf("%s\n", json_table(options, base, rows).c_str());
  return ok ? 0 : 1;
}
