// TimerArmed: a ladder step armed (or a ladder ended) for the order's
// deadline, an attempt, a merchant refund or a merchant webhook.
#include "core/apply/apply.hpp"
#include "core/timer_target.hpp"

namespace oncepay::core::apply_event {

namespace {

std::string_view ladder_name(Ladder ladder) {
  switch (ladder) {
    case v1::TimerArmed::QUERY:
      return "query";
    case v1::TimerArmed::FAST_EXPIRY:
      return "fast_expiry";
    case v1::TimerArmed::AUTO_REFUND:
      return "auto_refund";
    case v1::TimerArmed::ORDER_EXPIRY:
      return "order_expiry";
    default:
      return "none";
  }
}

// What the previous step saw, as the start of the timeline entry's detail.
std::string seen(const v1::TimerArmed& x) {
  return x.detail().empty() ? std::string() : x.detail() + "; ";
}

void order_timer(OrderState& s, const v1::TimerArmed& x, int64_t at) {
  ONCEPAY_CHECK(x.ladder() == v1::TimerArmed::ORDER_EXPIRY ||
                x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED);
  s.expiry_due_ms = x.ladder() == v1::TimerArmed::ORDER_EXPIRY ? x.due_ms() : 0;
  if (s.expiry_due_ms == 0) return;
  note(s, at, "check.scheduled", "",
       seen(x) + "the order expires at " + format_time(x.due_ms()) +
           " unless a new attempt is paid");
}

void refund_timer(OrderState& s, const v1::TimerArmed& x, int64_t at) {
  auto& refund = refund_of(s, x.refund_no());
  refund.ladder = x.ladder();
  refund.step = x.step();
  refund.due_ms = x.due_ms();
  refund.anchor_ms = x.anchor_ms();
  std::string detail = seen(x);
  detail += x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED
                ? "refund " + x.refund_no() + ": no further attempts"
                : "refund " + x.refund_no() + " at " + format_time(x.due_ms());
  note(s, at, "refund.scheduled", x.payment_no(), std::move(detail));
}

void attempt_timer(OrderState& s, const v1::TimerArmed& x, int64_t at) {
  auto& attempt = attempt_of(s, x.payment_no());
  attempt.ladder = x.ladder();
  attempt.step = x.step();
  attempt.due_ms = x.due_ms();
  attempt.anchor_ms = x.anchor_ms();
  std::string detail = seen(x);
  if (x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED) {
    detail += "no further checks";
  } else {
    detail += std::string(ladder_name(x.ladder())) + " step " + std::to_string(x.step()) + " at " +
              format_time(x.due_ms());
  }
  note(s, at, "check.scheduled", x.payment_no(), std::move(detail));
}

}  // namespace

void timer_armed(OrderState& s, const v1::Event& e) {
  const auto& x = e.timer_armed();
  switch (timer_target(x)) {
    case TimerTarget::kOrder:
      return order_timer(s, x, e.at_ms());
    case TimerTarget::kWebhook:
      return webhook_timer(s, x, e.at_ms());
    case TimerTarget::kRefund:
      return refund_timer(s, x, e.at_ms());
    case TimerTarget::kAttempt:
      return attempt_timer(s, x, e.at_ms());
  }
}

}  // namespace oncepay::core::apply_event
