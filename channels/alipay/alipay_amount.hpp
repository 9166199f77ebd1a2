// Alipay amounts: yuan as decimal strings ("88.88", "0.10") <-> integer fen
// (oncepay's minor units for CNY), exactly, never through floating point
// (docs/channels/PROTOCOLS.md B.1 "amounts": yuan, 2 decimals, range
// [0.01, 100000000]).
//
// Threads and ownership: pure functions, any thread.
//
// Failure modes: parse_yuan returns nullopt for anything that is not a plain
// non-negative decimal with at most 2 fraction digits (see below); it never
// rounds. format_yuan stops the process (ONCEPAY_CHECK) on a negative amount,
// a programmer error: oncepay never sends one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oncepay::channels::alipay {

// Alipay's largest single amount, 100000000.00 yuan, in fen (B.1).
inline constexpr int64_t kMaxAmountFen = 100000000LL * 100;

// "88.88" -> 8888, "0.1" -> 10, "100" -> 10000, "1999.5" -> 199950,
// "0.00" -> 0. Accepted: 1 to 15 integer digits (leading zeros allowed:
// Alipay writes "0.10"), optionally '.' and 1 or 2 digits. Refused (nullopt):
// empty, signs, spaces, exponents, a lone or trailing '.', more than two
// fraction digits (even "1.000"), any other character, values that would not
// fit. The range check against kMaxAmountFen is the caller's (a notify's
// total_amount is compared to ours, not bounded here).
std::optional<int64_t> parse_yuan(std::string_view text);

// 8888 -> "88.88", 10 -> "0.10", 0 -> "0.00": always two decimals. amount_fen
// must be >= 0.
std::string format_yuan(int64_t amount_fen);

}  // namespace oncepay::channels::alipay
