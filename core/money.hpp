// Facts about money every layer checks the same way: the largest amount
// (minor units) and the currency codes. Pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace oncepay::core {

// The largest amount oncepay takes, 2^53 - 1 minor units: every amount is
// then exact for clients that read JSON numbers as doubles (JavaScript).
inline constexpr int64_t kMaxAmountMinor = 9007199254740991;
static_assert(kMaxAmountMinor == (int64_t{1} << 53) - 1);

// An active ISO-4217 alphabetic code ("CNY", "USD", ...).
bool is_currency(std::string_view code);

}  // namespace oncepay::core
