#include "core/histogram.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace oncepay::core {
namespace {

TEST(AtomicHistogramTest, BucketsAreCumulativeAndInclusive) {
  AtomicHistogram h({1, 10, 100});
  for (double v : {0.5, 1.0, 1.5, 10.0, 99.0, 1000.0}) h.observe(v);
  const auto s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 10, 100}));
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 5, 6}));  // <=1, <=10, <=100, +Inf
  EXPECT_EQ(s.count(), 6u);
  EXPECT_DOUBLE_EQ(s.sum, 1112.0);
}

TEST(AtomicHistogramTest, ConcurrentObservationsAreAllCounted) {
  AtomicHistogram h({2});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10'000; ++i) h.observe(t % 2 == 0 ? 1.0 : 3.0);
    });
  }
  for (auto& t : threads) t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{20'000, 40'000}));
  EXPECT_DOUBLE_EQ(s.sum, 80'000.0);
}

}  // namespace
}  // namespace oncepay::core
