// Input checks of the merchant API, as pure functions: each returns an
// empty string when the value is acceptable, else a sentence naming the
// problem (it becomes the message of a 400 invalid_request).
#pragma once

#include <string>
#include <string_view>

#include "oncepay.pb.h"

namespace oncepay::net {

inline constexpr size_t kMaxOrderNoBytes = 64;
inline constexpr size_t kMaxSubjectBytes = 256;
inline constexpr size_t kMaxNotifyUrlBytes = 2048;
inline constexpr size_t kMaxRefundNoBytes = 64;
inline constexpr size_t kMaxReasonBytes = 256;

// 1-64 chars of [A-Za-z0-9_-] (merchant_order_no, merchant_id, refund_no).
bool is_token(std::string_view value, size_t max_bytes);
// An active ISO-4217 alphabetic code ("CNY", "USD", ...).
bool is_currency(std::string_view code);

std::string check_order_no(std::string_view merchant_order_no);
// Everything but the channel's existence, which the engine knows.
std::string check_pay(const v1::PayRequest& request);
std::string check_refund(const v1::RefundRequest& request);
// A page size: decimal digits only, 1..max.
bool parse_limit(std::string_view text, size_t max, size_t* out);

}  // namespace oncepay::net
