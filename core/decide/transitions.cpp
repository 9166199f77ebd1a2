// Attempt transitions shared by the flows: a success (counted or refunded
// automatically), supersede, fail, close, expire.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

// A success reported for `attempt`: it becomes the order's payment if it
// still counts, else it is refunded automatically. Duplicates do nothing.
// Only a success of the attempt's amount and currency is one; any other is
// a mismatch (mismatched_success).
void Decider::success(AttemptState& attempt, const std::string& trade_no,
                      const Reported& reported) {
  if (!reported.matches(s_.amount_minor, s_.currency)) {
    return mismatched_success(attempt, trade_no, reported);
  }
  if (success_recorded(attempt)) return;
  close_review(review_item_id(kReviewUnknownUnresolved, attempt.payment_no),
               "the channel reported a success");
  const bool counts = s_.status == v1::Order::PAYING && attempt.open() &&
                      (!attempt.superseded || ctx_.policy == Policy::kRefundDuplicates);
  if (!counts) return start_auto_refund(attempt, trade_no, why_not_counted(attempt));
  auto* succeeded = event().mutable_attempt_succeeded();
  succeeded->set_payment_no(attempt.payment_no);
  succeeded->set_channel_trade_no(trade_no);
  succeeded->set_source(reported.source);
  succeeded->set_channel_time_ms(channel_time_ms_);
  emit();
  queue_webhook(order_paid_event_id(attempt.payment_no), kOrderPaidEvent);
  // Every other attempt still open at the channel must not take money too.
  const std::string paid = attempt.payment_no;
  for (auto& other : s_.attempts) {
    if (other.payment_no == paid || !other.open()) continue;
    if (!other.superseded) supersede(other, "");
    if (other.ladder != v1::TimerArmed::FAST_EXPIRY) arm_fast(other, 0, "order paid");
  }
}

std::string Decider::why_not_counted(const AttemptState& attempt) const {
  if (is_paid(s_.status)) return "the order is already paid by " + s_.paid_payment_no;
  if (s_.status == v1::Order::CLOSED) return "the order was closed";
  if (s_.status == v1::Order::EXPIRED) return "the order expired";
  if (attempt.superseded) return "the attempt was superseded";
  return "the attempt was " + std::string(v1::Attempt::Status_Name(attempt.status));
}

void Decider::start_auto_refund(AttemptState& attempt, const std::string& trade_no, std::string why,
                                int64_t amount_minor, std::string reason) {
  auto* started = event().mutable_auto_refund_started();
  started->set_payment_no(attempt.payment_no);
  started->set_refund_no(auto_refund_no(attempt.payment_no));
  started->set_channel_trade_no(trade_no);
  started->set_why(std::move(why));
  if (amount_minor != 0 && amount_minor != s_.amount_minor) started->set_amount(amount_minor);
  started->set_reason(std::move(reason));
  started->set_channel_time_ms(channel_time_ms_);
  emit();
  arm(attempt, v1::TimerArmed::AUTO_REFUND, 0, ctx_.now_ms, "refund through the channel",
      ctx_.now_ms);
}

void Decider::auto_refunded(AttemptState& attempt) {
  auto* done = event().mutable_auto_refund_succeeded();
  done->set_payment_no(attempt.payment_no);
  done->set_refund_no(attempt.auto_refund_no);
  emit();
  close_review(review_item_id(kReviewAutoRefundFailed, attempt.payment_no),
               "the automatic refund succeeded");
}

void Decider::supersede(AttemptState& attempt, const std::string& by) {
  auto* superseded = event().mutable_attempt_superseded();
  superseded->set_payment_no(attempt.payment_no);
  superseded->set_by_payment_no(by);
  emit();
  arm_fast(attempt, 0, "close it at the channel");
}

void Decider::fail(AttemptState& attempt, std::string reason) {
  auto* failed = event().mutable_attempt_failed();
  failed->set_payment_no(attempt.payment_no);
  failed->set_reason(std::move(reason));
  emit();
}

void Decider::closed(AttemptState& attempt, std::string reason) {
  auto* closed = event().mutable_attempt_closed();
  closed->set_payment_no(attempt.payment_no);
  closed->set_reason(std::move(reason));
  emit();
}

void Decider::expire(AttemptState& attempt, bool unconfirmed) {
  auto* expired = event().mutable_attempt_expired();
  expired->set_payment_no(attempt.payment_no);
  expired->set_unconfirmed(unconfirmed);
  emit();
}

}  // namespace oncepay::core::decide
