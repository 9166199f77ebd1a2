#include "core/recon_ledger.hpp"

namespace oncepay::core {

PlatformPayment::Status platform_status(const AttemptState& attempt) {
  switch (attempt.status) {
    case v1::Attempt::SUCCESS:
      return PlatformPayment::Status::kSuccess;
    case v1::Attempt::AUTO_REFUNDING:
    case v1::Attempt::AUTO_REFUNDED:
      return PlatformPayment::Status::kRefunded;
    case v1::Attempt::FAILED:
      return PlatformPayment::Status::kFailed;
    case v1::Attempt::CLOSED:
    case v1::Attempt::EXPIRED:
      return PlatformPayment::Status::kClosed;
    default:
      return PlatformPayment::Status::kPending;
  }
}

namespace {

PlatformRefund::Status refund_status(RefundStatus status) {
  switch (status) {
    case v1::Refund::SUCCEEDED:
      return PlatformRefund::Status::kSuccess;
    case v1::Refund::FAILED:
      return PlatformRefund::Status::kFailed;
    default:
      return PlatformRefund::Status::kPending;
  }
}

}  // namespace

OrderLedger ledger_of(const OrderState& state) {
  OrderLedger out;
  out.payments.reserve(state.attempts.size());
  for (const auto& a : state.attempts) {
    LedgerPayment p;
    p.payment.merchant_id = state.merchant_id;
    p.payment.merchant_order_no = state.merchant_order_no;
    p.payment.payment_no = a.payment_no;
    p.payment.status = platform_status(a);
    p.payment.amount_minor = state.amount_minor;
    p.payment.currency = state.currency;
    p.channel = a.channel;
    p.paid_ms = p.payment.status == PlatformPayment::Status::kSuccess ||
                        p.payment.status == PlatformPayment::Status::kRefunded
                    ? a.paid_ms
                    : 0;
    if (a.payment_no == state.paid_payment_no) {
      for (const auto& r : state.refunds) {
        p.payment.refunds.push_back({r.refund_no, r.amount_minor, refund_status(r.status)});
        if (r.status == v1::Refund::SUCCEEDED) {
          out.settled_refunds.push_back({a.payment_no, r.refund_no, r.amount_minor,
                                         r.succeeded_ms > 0 ? r.succeeded_ms : r.updated_ms});
        }
      }
    }
    if (!a.auto_refund_no.empty()) {
      const int64_t amount =
          a.auto_refund_amount_minor > 0 ? a.auto_refund_amount_minor : state.amount_minor;
      const bool done = a.status == v1::Attempt::AUTO_REFUNDED;
      p.payment.refunds.push_back(
          {a.auto_refund_no, amount,
           done ? PlatformRefund::Status::kSuccess : PlatformRefund::Status::kPending});
      if (done)
        out.settled_refunds.push_back({a.payment_no, a.auto_refund_no, amount, a.updated_ms});
    }
    out.payments.push_back(std::move(p));
  }
  return out;
}

}  // namespace oncepay::core
