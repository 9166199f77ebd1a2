// Engine settings the decision core needs, in plain units (milliseconds,
// counts). Filled from conf/ by the daemon; tests build them directly.
// Every value is bounded: validate() rejects what would make the core
// misbehave (an empty ladder, zero attempts, a negative window).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace oncepay::core {

// Named limits of the core.
inline constexpr int32_t kMaxAttemptsLimit = 100;
inline constexpr size_t kMaxLadderSteps = 64;

struct PaymentConfig {
  // A repeat pay request within this time of the live attempt's start gets
  // that attempt back without a channel call.
  int64_t in_flight_window_ms = 10'000;
  // Payment attempts one merchant order may have.
  int32_t max_attempts = 3;
  // Offsets from an attempt's creation at which a PAYING / UNKNOWN attempt is
  // queried at the channel; after the last one it is closed and EXPIRED.
  std::vector<int64_t> query_ladder_ms = {5 * 60'000,   10 * 60'000,  20 * 60'000,  60 * 60'000,
                                          3 * 3600'000, 8 * 3600'000, 24 * 3600'000};
  // Offsets from the moment an attempt stopped counting (superseded, closed,
  // or another attempt paid) at which it is re-checked: closed at the channel
  // if it is still open there, queried for a success that crossed the close.
  std::vector<int64_t> fast_expiry_ladder_ms = {10'000, 60'000, 5 * 60'000, 15 * 60'000};
  // Retries of an automatic refund whose outcome the channel did not give.
  std::vector<int64_t> auto_refund_retry_ms = {10'000, 60'000, 5 * 60'000, 30 * 60'000,
                                               2 * 3600'000};
  // Merchant webhooks (notify.retry-ladder): an undelivered event is first
  // POSTed when queued, then again after each of these intervals, each
  // counted from the previous attempt's scheduled time; after the last one
  // it is left undelivered.
  std::vector<int64_t> notify_retry_ladder_ms = {
      15'000,       15'000,       30'000,       3 * 60'000,   10 * 60'000,
      20 * 60'000,  30 * 60'000,  30 * 60'000,  30 * 60'000,  60 * 60'000,
      3 * 3600'000, 3 * 3600'000, 3 * 3600'000, 6 * 3600'000, 6 * 3600'000};
  // Retry-After for 503 payment_status_unknown.
  int64_t retry_after_s = 5;
  // payment.max-amount: a pay request above this many minor units is 400
  // invalid_request; 0 leaves only the API's own bound (2^53 - 1).
  int64_t max_amount_minor = 0;
  // payment.confirm-notified-success: a notified success is kept only once
  // a query of the channel's own record confirms it (one more channel call
  // per payment). It defends against a forger who holds the channel's
  // notification secret; off by default (the signature is the channel's word).
  bool confirm_notified_success = false;
};

// Empty string when the config is usable, else what is wrong with it.
std::string validate(const PaymentConfig& config);

}  // namespace oncepay::core
