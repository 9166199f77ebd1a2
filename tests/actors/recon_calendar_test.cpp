// Business days and the daily schedule of actors/recon_calendar.hpp.
#include "actors/recon_calendar.hpp"

#include <gtest/gtest.h>

namespace oncepay::actors {
namespace {

// 2026-11-29 00:00 in Asia/Shanghai (UTC+8) is 2026-11-28 16:00 UTC.
constexpr int64_t kShanghaiMidnight = 1'795'881'600'000;

ReconCalendar load(const std::string& zone, const std::string& at = "10:00") {
  ReconCalendar c;
  std::string error;
  EXPECT_TRUE(ReconCalendar::load(zone, at, &c, &error)) << error;
  return c;
}

TEST(ReconCalendarTest, ShanghaiDayIsUtcPlusEight) {
  const auto w = load("Asia/Shanghai").window("2026-11-29");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start_ms, kShanghaiMidnight);
  EXPECT_EQ(w->end_ms - w->start_ms, 86'400'000);
  EXPECT_EQ(w->day, 20'786);
}

TEST(ReconCalendarTest, DaylightSavingDayIsTwentyThreeHours) {
  const auto w = load("America/New_York").window("2026-03-08");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->end_ms - w->start_ms, 23 * 3'600'000);
}

TEST(ReconCalendarTest, MalformedOrImpossibleDatesAreRefused) {
  const ReconCalendar c = load("Asia/Shanghai");
  EXPECT_FALSE(c.window("2026-02-30"));
  EXPECT_FALSE(c.window("2026-1-01"));
  EXPECT_FALSE(c.window("20261101"));
  EXPECT_FALSE(c.window("2026-11-2x"));
  EXPECT_FALSE(c.window(""));
}

TEST(ReconCalendarTest, DateOfIsTheZonesDay) {
  const ReconCalendar c = load("Asia/Shanghai");
  EXPECT_EQ(c.date_of(kShanghaiMidnight), "2026-11-29");
  EXPECT_EQ(c.date_of(kShanghaiMidnight - 1), "2026-11-28");
}

TEST(ReconCalendarTest, NextDailyRunIsTodaysOrTomorrows) {
  const ReconCalendar c = load("Asia/Shanghai", "10:00");
  const int64_t ten = kShanghaiMidnight + 10 * 3'600'000;
  EXPECT_EQ(c.next_daily_ms(kShanghaiMidnight), ten);
  EXPECT_EQ(c.next_daily_ms(ten), ten + 86'400'000) << "strictly after now";
  EXPECT_FALSE(load("Asia/Shanghai", "").next_daily_ms(ten)) << "no schedule";
}

TEST(ReconCalendarTest, BadZoneOrTimeIsRefused) {
  ReconCalendar c;
  std::string error;
  EXPECT_FALSE(ReconCalendar::load("Mars/Olympus", "10:00", &c, &error));
  EXPECT_NE(error.find("recon.timezone"), std::string::npos);
  EXPECT_FALSE(ReconCalendar::load("Asia/Shanghai", "25:00", &c, &error));
  EXPECT_FALSE(ReconCalendar::load("Asia/Shanghai", "9:00", &c, &error));
  EXPECT_NE(error.find("recon.daily-at"), std::string::npos);
}

}  // namespace
}  // namespace oncepay::actors
