#include "core/statement.hpp"

#include <array>
#include <cstdlib>
#include <limits>

namespace oncepay::core {
namespace {

constexpr std::array<int64_t, 10> kPow10 = {1,      10,      100,      1000,      10000,
                                            100000, 1000000, 10000000, 100000000, 1000000000};

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t digits_value(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool parse_decimal(std::string_view text, int decimals, int64_t* out) {
  if (decimals < 0 || decimals > 9 || text.empty()) return false;
  bool negative = false;
  if (text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 15 || !all_digits(whole) || !all_digits(frac)) return false;
  // The scaled value has whole + decimals digits: at most 18 fit int64.
  if (whole.size() + static_cast<size_t>(decimals) > 18) return false;
  if (dot != std::string_view::npos && frac.empty()) return false;
  // Digits beyond `decimals` must be zeros: "45.0" is a count, "0.015" is no fen.
  while (frac.size() > static_cast<size_t>(decimals)) {
    if (frac.back() != '0') return false;
    frac.remove_suffix(1);
  }
  const size_t d = static_cast<size_t>(decimals);
  int64_t value = digits_value(whole) * kPow10[d] + digits_value(frac) * kPow10[d - frac.size()];
  *out = negative ? -value : value;
  return true;
}

void append_decimal(std::string* out, int64_t value, int decimals) {
  if (value < 0) {
    out->push_back('-');
    value = -value;
  }
  const int64_t scale = kPow10[static_cast<size_t>(decimals)];
  out->append(std::to_string(value / scale));
  if (decimals == 0) return;
  out->push_back('.');
  std::string frac = std::to_string(value % scale);
  out->append(static_cast<size_t>(decimals) - frac.size(), '0');
  out->append(frac);
}

std::optional<int64_t> parse_china_time_ms(std::string_view t) {
  // yyyy-MM-dd HH:mm:ss
  if (t.size() != 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' ||
      t[16] != ':') {
    return std::nullopt;
  }
  const std::array<std::string_view, 6> parts = {t.substr(0, 4),  t.substr(5, 2),  t.substr(8, 2),
                                                 t.substr(11, 2), t.substr(14, 2), t.substr(17, 2)};
  for (auto p : parts) {
    if (!all_digits(p)) return std::nullopt;
  }
  const int64_t mo = digits_value(parts[1]), d = digits_value(parts[2]);
  const int64_t h = digits_value(parts[3]), mi = digits_value(parts[4]), s = digits_value(parts[5]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return std::nullopt;
  const int64_t days = days_from_civil(digits_value(parts[0]), mo, d);
  constexpr int64_t kChinaOffsetS = 8 * 3600;
  return ((days * 86400 + h * 3600 + mi * 60 + s) - kChinaOffsetS) * 1000;
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    static constexpr std::array<uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

}  // namespace oncepay::core
