// What a TimerArmed event (and the timer it asks for) drives: the order's
// deadline, one attempt, one merchant refund or one merchant webhook. The
// WAL does not name it: it follows from which fields are set (payment_no
// empty: the order; else event_id set: a webhook; else refund_no set: a
// refund; else the attempt payment_no names). timer_target() is that rule,
// written once for apply() and the order actor's timer dispatch.
//
// Contract: pure; any TimerArmed maps to exactly one target. It reads only
// the fields above, never the ladder, so old WAL records route as before.
#pragma once

#include <cstdint>
#include <string_view>

#include "oncepay.pb.h"

namespace oncepay::core {

enum class TimerTarget : uint8_t { kOrder, kAttempt, kRefund, kWebhook };

TimerTarget timer_target(std::string_view payment_no, std::string_view refund_no,
                         std::string_view event_id);
TimerTarget timer_target(const v1::TimerArmed& timer);

std::string_view to_string(TimerTarget target);  // "order" | "attempt" | "refund" | "webhook"

}  // namespace oncepay::core
