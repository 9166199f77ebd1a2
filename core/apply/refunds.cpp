// Merchant refund events: requested, then succeeded or failed at the channel.
#include "core/apply/apply.hpp"

namespace oncepay::core::apply_event {

void refund_requested(OrderState& s, const v1::Event& e) {
  const auto& x = e.refund_requested();
  ONCEPAY_CHECK(s.find_refund(x.refund_no()) == nullptr);
  RefundState refund;
  refund.refund_no = x.refund_no();
  refund.amount_minor = x.amount();
  refund.reason = x.reason();
  refund.created_ms = refund.updated_ms = e.at_ms();
  s.refunds.push_back(std::move(refund));
  note(s, e.at_ms(), "refund.requested", s.paid_payment_no,
       x.refund_no() + ": " + std::to_string(x.amount()));
}

void refund_succeeded(OrderState& s, const v1::Event& e) {
  const auto& x = e.refund_succeeded();
  auto& refund = refund_of(s, x.refund_no());
  ONCEPAY_CHECK(refund.status == v1::Refund::PENDING);
  refund.status = v1::Refund::SUCCEEDED;
  refund.updated_ms = e.at_ms();
  refund.succeeded_ms = x.channel_time_ms() > 0 ? x.channel_time_ms() : e.at_ms();
  refund.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  s.refunded_minor += refund.amount_minor;
  ONCEPAY_CHECK(s.refunded_minor <= s.amount_minor);
  s.status =
      s.refunded_minor == s.amount_minor ? v1::Order::REFUNDED : v1::Order::PARTIALLY_REFUNDED;
  note(s, e.at_ms(), "refund.succeeded", s.paid_payment_no, x.refund_no());
}

void refund_failed(OrderState& s, const v1::Event& e) {
  const auto& x = e.refund_failed();
  auto& refund = refund_of(s, x.refund_no());
  refund.status = v1::Refund::FAILED;
  refund.updated_ms = e.at_ms();
  refund.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  note(s, e.at_ms(), "refund.failed", s.paid_payment_no, x.refund_no() + ": " + x.reason());
}

}  // namespace oncepay::core::apply_event
