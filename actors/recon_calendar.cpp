#include "actors/recon_calendar.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <charconv>
#include <chrono>

namespace oncepay::actors {

struct ReconCalendar::Zone {
  cctz::time_zone tz;
};

namespace {

using Seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

int64_t ms_of(const Seconds& t) {
  return static_cast<int64_t>(t.time_since_epoch().count()) * 1000;
}

bool parse_int(std::string_view text, int* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return std::from_chars(text.data(), text.data() + text.size(), *out).ec == std::errc();
}

}  // namespace

bool ReconCalendar::load(const std::string& zone, const std::string& daily_at, ReconCalendar* out,
                         std::string* error) {
  auto z = std::make_shared<Zone>();
  if (zone.empty() || !cctz::load_time_zone(zone, &z->tz)) {
    *error =
        "recon.timezone \"" + zone + "\" is not a known time zone (IANA name, e.g. Asia/Shanghai)";
    return false;
  }
  int minutes = -1;
  if (!daily_at.empty()) {
    int h = 0, m = 0;
    if (daily_at.size() != 5 || daily_at[2] != ':' ||
        !parse_int(std::string_view(daily_at).substr(0, 2), &h) ||
        !parse_int(std::string_view(daily_at).substr(3, 2), &m) || h > 23 || m > 59) {
      *error = "recon.daily-at \"" + daily_at + "\" is not HH:MM (24 h), or empty for no schedule";
      return false;
    }
    minutes = h * 60 + m;
  }
  out->zone_ = std::move(z);
  out->zone_name_ = zone;
  out->daily_minutes_ = minutes;
  return true;
}

std::optional<DayWindow> ReconCalendar::window(std::string_view date) const {
  int y = 0, mo = 0, d = 0;
  if (date.size() != 10 || date[4] != '-' || date[7] != '-' || !parse_int(date.substr(0, 4), &y) ||
      !parse_int(date.substr(5, 2), &mo) || !parse_int(date.substr(8, 2), &d)) {
    return std::nullopt;
  }
  const cctz::civil_day day(y, mo, d);
  if (day.year() != y || day.month() != mo || day.day() != d) return std::nullopt;  // 02-30
  DayWindow w;
  w.start_ms = ms_of(cctz::convert(cctz::civil_second(day), zone_->tz));
  w.end_ms = ms_of(cctz::convert(cctz::civil_second(day + 1), zone_->tz));
  w.day = static_cast<int32_t>(day - cctz::civil_day(1970, 1, 1));
  return w;
}

std::string ReconCalendar::date_of(int64_t unix_ms) const {
  const Seconds t{std::chrono::seconds{unix_ms / 1000}};
  const cctz::civil_day day(cctz::convert(t, zone_->tz));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buf;
}

std::optional<int64_t> ReconCalendar::next_daily_ms(int64_t now_ms) const {
  if (daily_minutes_ < 0) return std::nullopt;
  const Seconds now{std::chrono::seconds{now_ms / 1000}};
  cctz::civil_day day(cctz::convert(now, zone_->tz));
  for (int i = 0; i < 3; ++i, ++day) {
    const cctz::civil_second at =
        cctz::civil_second(day) + static_cast<int64_t>(daily_minutes_) * 60;
    const int64_t ms = ms_of(cctz::convert(at, zone_->tz));
    if (ms > now_ms) return ms;
  }
  return std::nullopt;
}

}  // namespace oncepay::actors
