#include "core/timer_target.hpp"

namespace oncepay::core {

TimerTarget timer_target(std::string_view payment_no, std::string_view refund_no,
                         std::string_view event_id) {
  if (payment_no.empty()) return TimerTarget::kOrder;
  if (!event_id.empty()) return TimerTarget::kWebhook;
  if (!refund_no.empty()) return TimerTarget::kRefund;
  return TimerTarget::kAttempt;
}

TimerTarget timer_target(const v1::TimerArmed& timer) {
  return timer_target(timer.payment_no(), timer.refund_no(), timer.event_id());
}

std::string_view to_string(TimerTarget target) {
  switch (target) {
    case TimerTarget::kOrder:
      return "order";
    case TimerTarget::kAttempt:
      return "attempt";
    case TimerTarget::kRefund:
      return "refund";
    case TimerTarget::kWebhook:
      return "webhook";
  }
  return "?";
}

}  // namespace oncepay::core
