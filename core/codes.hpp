// Outcome codes of engine requests: the stable identifiers of API.md's error
// shape, and the HTTP status each one is answered with. Expected failures
// are values of this enum, never exceptions.
#pragma once

#include <cstdint>
#include <string_view>

namespace oncepay::core {

enum class Code : uint8_t {
  kOk,                       // 200
  kCreated,                  // 201
  kAccepted,                 // 202
  kInvalidRequest,           // 400 invalid_request
  kUnauthorized,             // 401 unauthorized
  kForbidden,                // 403 forbidden (the operator's role is below the route's)
  kCsrfTokenInvalid,         // 403 csrf_token_invalid (a session's state change without its token)
  kNotFound,                 // 404 not_found (route)
  kOrderNotFound,            // 404 order_not_found
  kPaymentNotFound,          // 404 payment_not_found
  kMerchantNotFound,         // 404 merchant_not_found
  kMethodNotAllowed,         // 405 method_not_allowed
  kOrderAlreadyPaid,         // 409 order_already_paid
  kOrderParamsMismatch,      // 409 order_params_mismatch
  kOrderClosed,              // 409 order_closed
  kMerchantExists,           // 409 merchant_exists
  kChannelConflict,          // 409 channel_conflict (sandbox control: closed at the channel)
  kOrderNotPaid,             // 409 order_not_paid
  kRefundExceedsPaid,        // 409 refund_exceeds_paid
  kRefundNoConflict,         // 409 refund_no_conflict (refund_no reused with another amount)
  kInvalidStatement,         // 400 invalid_statement (reconciliation upload; error.line)
  kReviewItemNotFound,       // 404 review_item_not_found
  kReconciliationNotFound,   // 404 reconciliation_not_found
  kResolutionNotApplicable,  // 409 resolution_not_applicable
  kReconciliationRunning,    // 409 reconciliation_running (same merchant, channel, date)
  kNoOpenAttempt,            // 409 no_open_attempt (query now: nothing to ask the channel)
  kWebhookNotFound,          // 404 webhook_not_found (an operator's webhook retry)
  kWebhookDelivered,         // 409 webhook_delivered (an operator's retry of a delivered webhook)
  kAppealLimit,           // 409 appeal_limit (an order holds at most kMaxAppealsPerOrder appeals)
  kAttemptsExhausted,     // 429 attempts_exhausted
  kRateLimited,           // 429 rate_limited (too many failed sign-ins)
  kChannelRejected,       // 502 channel_rejected
  kPaymentStatusUnknown,  // 503 payment_status_unknown (+ Retry-After)
  kStorageUnavailable,    // 503 storage_unavailable
  kNotReady,              // 503 not_ready
  kInternal,              // 500 internal
};

std::string_view to_string(Code code);  // "order_already_paid", ...
int http_status(Code code);
inline bool is_success(Code code) {
  return code == Code::kOk || code == Code::kCreated || code == Code::kAccepted;
}

}  // namespace oncepay::core
