// LatencyHistogram: a lock-free log-linear histogram of latencies in
// nanoseconds, for the load generator. Values below 64 ns have their own
// bucket; above, each power of two is split into 32 buckets, so a reported
// percentile is within about 3% of the true value. Values above
// kMaxValueNs are counted in the last bucket.
//
// Threads: record() may be called from any number of threads at once (one
// relaxed atomic add); take() may run concurrently with record() and moves
// every count recorded so far into the returned snapshot (a count recorded
// during take() lands in this snapshot or the next one, never in neither).
// HistogramSnapshot is a plain value for one thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace oncepay::bench {

inline constexpr int kSubBucketBits = 5;  // 32 buckets per power of two
inline constexpr int kMaxExponent = 40;   // 2^41 ns is about 36 minutes
inline constexpr uint64_t kMaxValueNs = (uint64_t{1} << (kMaxExponent + 1)) - 1;
inline constexpr size_t kLinearBuckets = size_t{1} << (kSubBucketBits + 1);  // 64
inline constexpr size_t kBucketCount =
    kLinearBuckets + (kMaxExponent - kSubBucketBits) * (size_t{1} << kSubBucketBits);
static_assert(kBucketCount == 64 + 35 * 32);

// The bucket a value falls in, and the smallest and largest value of a bucket.
size_t bucket_of(uint64_t value_ns);
uint64_t bucket_low(size_t bucket);
uint64_t bucket_high(size_t bucket);

class HistogramSnapshot {
 public:
  HistogramSnapshot() : counts_(kBucketCount, 0) {}

  void add(size_t bucket, uint64_t count) {
    counts_[bucket] += count;
    total_ += count;
  }
  void merge(const HistogramSnapshot& other);
  uint64_t total() const { return total_; }
  // The value at quantile q in [0, 1] (the midpoint of its bucket), 0 when empty.
  uint64_t quantile_ns(double q) const;
  double quantile_ms(double q) const { return static_cast<double>(quantile_ns(q)) / 1e6; }

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

class LatencyHistogram {
 public:
  void record(uint64_t value_ns) {
    counts_[bucket_of(value_ns)].fetch_add(1, std::memory_order_relaxed);
  }
  HistogramSnapshot take();

 private:
  std::array<std::atomic<uint64_t>, kBucketCount> counts_{};
};

}  // namespace oncepay::bench
