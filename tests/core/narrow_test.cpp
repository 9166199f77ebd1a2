#include "core/narrow.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace oncepay::core {
namespace {

TEST(CheckedCastTest, ValuesInRangeConvertUnchanged) {
  EXPECT_EQ(checked_cast<int>(std::size_t{42}), 42);
  EXPECT_EQ(checked_cast<std::int32_t>(std::int64_t{-7}), -7);
  EXPECT_EQ(checked_cast<std::uint32_t>(std::uint64_t{UINT32_MAX}), UINT32_MAX);
  EXPECT_EQ(checked_cast<std::int32_t>(std::int64_t{INT32_MIN}), INT32_MIN);
  EXPECT_EQ(checked_cast<std::size_t>(0), 0u);
}

TEST(CheckedCastDeathTest, SizeAboveIntMaxStops) {
  const std::size_t too_big = std::size_t{std::numeric_limits<int>::max()} + 1;
  EXPECT_DEATH(checked_cast<int>(too_big), "invariant violated");
}

TEST(CheckedCastDeathTest, NegativeIntoUnsignedStops) {
  EXPECT_DEATH(checked_cast<std::size_t>(-1), "invariant violated");
}

TEST(CheckedCastDeathTest, AmountThatWouldWrapInt32Stops) {
  // An int64 amount in minor units must never silently wrap into a 32-bit field.
  const std::int64_t amount_minor = std::int64_t{INT32_MAX} + 1;
  EXPECT_DEATH(checked_cast<std::int32_t>(amount_minor), "invariant violated");
  EXPECT_DEATH(checked_cast<std::int32_t>(-amount_minor - 1), "invariant violated");
}

}  // namespace
}  // namespace oncepay::core
