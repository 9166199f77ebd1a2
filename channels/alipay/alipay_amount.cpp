#include "channels/alipay/alipay_amount.hpp"

#include "core/check.hpp"

namespace oncepay::channels::alipay {
namespace {

// 15 integer digits keep value * 100 + 99 well inside int64 (9.2e18).
constexpr size_t kMaxIntegerDigits = 15;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<int64_t> parse_yuan(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view integer = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (integer.empty() || integer.size() > kMaxIntegerDigits) return std::nullopt;
  if (dot != std::string_view::npos && (fraction.empty() || fraction.size() > 2)) {
    return std::nullopt;
  }
  int64_t fen = 0;
  for (char c : integer) {
    if (!is_digit(c)) return std::nullopt;
    fen = fen * 10 + (c - '0');
  }
  int64_t cents = 0;
  for (size_t i = 0; i < 2; ++i) {
    const char c = i < fraction.size() ? fraction[i] : '0';
    if (!is_digit(c)) return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  return fen * 100 + cents;
}

std::string format_yuan(int64_t amount_fen) {
  ONCEPAY_CHECK(amount_fen >= 0);
  std::string text = std::to_string(amount_fen / 100);
  const int64_t cents = amount_fen % 100;
  text.push_back('.');
  text.push_back(static_cast<char>('0' + cents / 10));
  text.push_back(static_cast<char>('0' + cents % 10));
  return text;
}

}  // namespace oncepay::channels::alipay
