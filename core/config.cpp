#include "core/config.hpp"

namespace oncepay::core {

namespace {

std::string check_ladder(const std::vector<int64_t>& ladder, const char* name, bool increasing) {
  if (ladder.empty()) return std::string(name) + " must have at least one step";
  if (ladder.size() > kMaxLadderSteps) {
    return std::string(name) + " has more than " + std::to_string(kMaxLadderSteps) + " steps";
  }
  for (size_t i = 0; i < ladder.size(); ++i) {
    if (ladder[i] <= 0) return std::string(name) + " steps must be positive";
    if (increasing && i > 0 && ladder[i] <= ladder[i - 1]) {
      return std::string(name) + " offsets must increase";
    }
  }
  return {};
}

}  // namespace

std::string validate(const PaymentConfig& c) {
  if (c.in_flight_window_ms < 0) return "payment.in-flight-window must not be negative";
  if (c.max_attempts < 1 || c.max_attempts > kMaxAttemptsLimit) {
    return "payment.max-attempts must be between 1 and " + std::to_string(kMaxAttemptsLimit);
  }
  if (auto e = check_ladder(c.query_ladder_ms, "payment.query-ladder", true); !e.empty()) return e;
  if (auto e = check_ladder(c.fast_expiry_ladder_ms, "payment.fast-expiry-ladder", true);
      !e.empty()) {
    return e;
  }
  if (auto e = check_ladder(c.auto_refund_retry_ms, "payment.auto-refund-retry", true);
      !e.empty()) {
    return e;
  }
  if (auto e = check_ladder(c.notify_retry_ladder_ms, "notify.retry-ladder", false); !e.empty()) {
    return e;
  }
  if (c.retry_after_s < 1) return "payment.retry-after must be at least 1s";
  if (c.max_amount_minor < 0) return "payment.max-amount must not be negative (0: no limit)";
  // The API's own bound (docs/API.md): amounts stay exact in JavaScript.
  if (c.max_amount_minor > 9'007'199'254'740'991) {
    return "payment.max-amount must be at most 9007199254740991 (2^53 - 1)";
  }
  return {};
}

}  // namespace oncepay::core
