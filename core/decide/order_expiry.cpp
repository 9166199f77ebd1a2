// The order's deadline: an order with no open attempt stays payable until
// order_deadline_ms, then expires.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

// An order with no open attempt left stays payable until its deadline
// (order_deadline_ms), like any unpaid order: then it expires. Before the
// deadline an ORDER_EXPIRY timer is armed for it.
void Decider::settle_if_idle() {
  if (s_.status != v1::Order::PAYING || s_.has_open_attempt()) return;
  const int64_t deadline = order_deadline_ms(s_, config());
  if (ctx_.now_ms >= deadline) {
    event().mutable_order_expired();
    return emit();
  }
  if (s_.expiry_due_ms == deadline) return;
  arm_order_expiry(deadline, "no attempt is open");
}

void Decider::arm_order_expiry(int64_t due_ms, std::string detail) {
  auto* armed = event().mutable_timer_armed();
  armed->set_ladder(due_ms == 0 ? v1::TimerArmed::LADDER_UNSPECIFIED
                                : v1::TimerArmed::ORDER_EXPIRY);
  armed->set_due_ms(due_ms);
  armed->set_detail(std::move(detail));
  emit();
}

void Decider::order_expiry_timer() {
  if (s_.expiry_due_ms == 0 || s_.status != v1::Order::PAYING) return;  // stale
  if (s_.has_open_attempt()) return arm_order_expiry(0, "");            // its own ladder decides
  if (ctx_.now_ms < s_.expiry_due_ms) return;  // re-armed later; that timer decides
  event().mutable_order_expired();
  emit();
}

}  // namespace oncepay::core::decide
