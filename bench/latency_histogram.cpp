#include "bench/latency_histogram.hpp"

#include <bit>
#include <cassert>
#include <cmath>

namespace oncepay::bench {

size_t bucket_of(uint64_t value_ns) {
  if (value_ns > kMaxValueNs) value_ns = kMaxValueNs;
  if (value_ns < kLinearBuckets) return static_cast<size_t>(value_ns);
  const int exponent = 63 - std::countl_zero(value_ns);  // >= kSubBucketBits + 1
  const int shift = exponent - kSubBucketBits;
  const uint64_t mantissa = (value_ns >> shift) - (uint64_t{1} << kSubBucketBits);
  const size_t bucket =
      kLinearBuckets +
      static_cast<size_t>(exponent - kSubBucketBits - 1) * (size_t{1} << kSubBucketBits) +
      static_cast<size_t>(mantissa);
  assert(bucket < kBucketCount);
  return bucket;
}

uint64_t bucket_low(size_t bucket) {
  assert(bucket < kBucketCount);
  if (bucket < kLinearBuckets) return bucket;
  const size_t group = (bucket - kLinearBuckets) >> kSubBucketBits;
  const uint64_t mantissa = ((bucket - kLinearBuckets) & ((size_t{1} << kSubBucketBits) - 1)) +
                            (uint64_t{1} << kSubBucketBits);
  return mantissa << (group + 1);
}

uint64_t bucket_high(size_t bucket) {
  if (bucket < kLinearBuckets) return bucket;
  const size_t group = (bucket - kLinearBuckets) >> kSubBucketBits;
  return bucket_low(bucket) + (uint64_t{1} << (group + 1)) - 1;
}

void HistogramSnapshot::merge(const HistogramSnapshot& other) {
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
}

uint64_t HistogramSnapshot::quantile_ns(double q) const {
  if (total_ == 0) return 0;
  if (q < 0) q = 0;
  if (q > 1) q = 1;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return bucket_low(i) + (bucket_high(i) - bucket_low(i)) / 2;
  }
  return bucket_high(kBucketCount - 1);
}

HistogramSnapshot LatencyHistogram::take() {
  HistogramSnapshot out;
  for (size_t i = 0; i < kBucketCount; ++i) {
    const uint64_t n = counts_[i].exchange(0, std::memory_order_relaxed);
    if (n != 0) out.add(i, n);
  }
  return out;
}

}  // namespace oncepay::bench
