#include "core/codes.hpp"

namespace oncepay::core {

std::string_view to_string(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kCreated:
      return "created";
    case Code::kAccepted:
      return "accepted";
    case Code::kInvalidRequest:
      return "invalid_request";
    case Code::kUnauthorized:
      return "unauthorized";
    case Code::kForbidden:
      return "forbidden";
    case Code::kCsrfTokenInvalid:
      return "csrf_token_invalid";
    case Code::kNotFound:
      return "not_found";
    case Code::kOrderNotFound:
      return "order_not_found";
    case Code::kPaymentNotFound:
      return "payment_not_found";
    case Code::kMerchantNotFound:
      return "merchant_not_found";
    case Code::kMethodNotAllowed:
      return "method_not_allowed";
    case Code::kOrderAlreadyPaid:
      return "order_already_paid";
    case Code::kOrderParamsMismatch:
      return "order_params_mismatch";
    case Code::kOrderClosed:
      return "order_closed";
    case Code::kMerchantExists:
      return "merchant_exists";
    case Code::kChannelConflict:
      return "channel_conflict";
    case Code::kOrderNotPaid:
      return "order_not_paid";
    case Code::kRefundExceedsPaid:
      return "refund_exceeds_paid";
    case Code::kRefundNoConflict:
      return "refund_no_conflict";
    case Code::kInvalidStatement:
      return "invalid_statement";
    case Code::kReviewItemNotFound:
      return "review_item_not_found";
    case Code::kReconciliationNotFound:
      return "reconciliation_not_found";
    case Code::kResolutionNotApplicable:
      return "resolution_not_applicable";
    case Code::kNoOpenAttempt:
      return "no_open_attempt";
    case Code::kWebhookNotFound:
      return "webhook_not_found";
    case Code::kWebhookDelivered:
      return "webhook_delivered";
    case Code::kAppealLimit:
      return "appeal_limit";
    case Code::kReconciliationRunning:
      return "reconciliation_running";
    case Code::kAttemptsExhausted:
      return "attempts_exhausted";
    case Code::kRateLimited:
      return "rate_limited";
    case Code::kChannelRejected:
      return "channel_rejected";
    case Code::kPaymentStatusUnknown:
      return "payment_status_unknown";
    case Code::kStorageUnavailable:
      return "storage_unavailable";
    case Code::kNotReady:
      return "not_ready";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

int http_status(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kCreated:
      return 201;
    case Code::kAccepted:
      return 202;
    case Code::kInvalidRequest:
    case Code::kInvalidStatement:
      return 400;
    case Code::kUnauthorized:
      return 401;
    case Code::kForbidden:
    case Code::kCsrfTokenInvalid:
      return 403;
    case Code::kNotFound:
    case Code::kOrderNotFound:
    case Code::kPaymentNotFound:
    case Code::kMerchantNotFound:
    case Code::kReviewItemNotFound:
    case Code::kReconciliationNotFound:
    case Code::kWebhookNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kOrderAlreadyPaid:
    case Code::kOrderParamsMismatch:
    case Code::kOrderClosed:
    case Code::kResolutionNotApplicable:
    case Code::kNoOpenAttempt:
    case Code::kWebhookDelivered:
    case Code::kAppealLimit:
    case Code::kReconciliationRunning:
    case Code::kMerchantExists:
    case Code::kChannelConflict:
    case Code::kOrderNotPaid:
    case Code::kRefundExceedsPaid:
    case Code::kRefundNoConflict:
      return 409;
    case Code::kAttemptsExhausted:
    case Code::kRateLimited:
      return 429;
    case Code::kChannelRejected:
      return 502;
    case Code::kPaymentStatusUnknown:
    case Code::kStorageUnavailable:
    case Code::kNotReady:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace oncepay::core
