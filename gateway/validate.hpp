// Input checks of the merchant API, as pure functions: each returns an
// empty string when the value is acceptable, else a sentence naming the
// problem (it becomes the message of a 400 invalid_request).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/money.hpp"
#include "oncepay.pb.h"

namespace oncepay::gateway {

inline constexpr size_t kMaxOrderNoBytes = 64;
inline constexpr size_t kMaxSubjectBytes = 256;
inline constexpr size_t kMaxNotifyUrlBytes = 2048;
inline constexpr size_t kMaxRefundNoBytes = 64;
inline constexpr size_t kMaxReasonBytes = 256;
// The largest amount the API takes (core/money.hpp).
inline constexpr int64_t kMaxAmountMinor = core::kMaxAmountMinor;

// 1-64 chars of [A-Za-z0-9_-] (merchant_order_no, merchant_id, refund_no).
bool is_token(std::string_view value, size_t max_bytes);
// An active ISO-4217 alphabetic code ("CNY", "USD", ...).
bool is_currency(std::string_view code);

std::string check_order_no(std::string_view merchant_order_no);
// Everything but the channel's existence, which the engine knows. amount
// must be 1..kMaxAmountMinor and, when max_amount_minor > 0 (the config's
// payment.max-amount), at most max_amount_minor.
std::string check_pay(const v1::PayRequest& request, int64_t max_amount_minor = 0);
// amount 1..kMaxAmountMinor, refund_no a token, reason bounded.
std::string check_refund(const v1::RefundRequest& request);
// An operator's words (a reason, a payer appeal's detail): 1-500 bytes of
// UTF-8, not only whitespace, and no control character but tab, CR and LF.
inline constexpr size_t kMaxOperatorTextBytes = 500;
bool is_operator_text(std::string_view text);
// A page size: decimal digits only, 1..max.
bool parse_limit(std::string_view text, size_t max, size_t* out);

}  // namespace oncepay::gateway
