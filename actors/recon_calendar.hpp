// The reconciliation's calendar: business days of recon.timezone (an IANA
// zone read from the system's zoneinfo through cctz, Debian libcctz-dev and
// tzdata) as unix-ms windows, and the next time of the daily schedule
// (recon.daily-at). docs/RECONCILIATION.md "Business days".
//
// Threads: a ReconCalendar is immutable once loaded; any thread.
// Failure modes: load() refuses an unknown zone or a malformed daily-at;
// window() refuses a date that is not YYYY-MM-DD or not a real day.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace oncepay::actors {

struct DayWindow {
  int64_t start_ms = 0;  // 00:00 of the day in the zone, unix ms
  int64_t end_ms = 0;    // 00:00 of the next day
  int32_t day = 0;       // days since 1970-01-01 (the civil date, zone-free)
};

class ReconCalendar {
 public:
  // zone: "Asia/Shanghai"; daily_at: "HH:MM" (24 h) or "" (no schedule).
  static bool load(const std::string& zone, const std::string& daily_at, ReconCalendar* out,
                   std::string* error);

  std::optional<DayWindow> window(std::string_view date) const;
  // The business day (YYYY-MM-DD) unix_ms falls in.
  std::string date_of(int64_t unix_ms) const;
  // The first daily-at moment strictly after now_ms (unix ms); nullopt
  // without a schedule.
  std::optional<int64_t> next_daily_ms(int64_t now_ms) const;
  const std::string& zone_name() const { return zone_name_; }

 private:
  struct Zone;
  std::shared_ptr<const Zone> zone_;
  std::string zone_name_;
  int daily_minutes_ = -1;  // minutes after midnight; -1: no schedule
};

}  // namespace oncepay::actors
