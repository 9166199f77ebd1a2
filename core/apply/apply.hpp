// Private to core/apply/*.cpp: the pieces of apply() (core/order_state.hpp),
// one handler per event kind, grouped by what the event changes:
//   order.cpp     the dispatch table, and the order's own events (opened, closed, expired)
//   attempts.cpp  attempt events (created, prepay, failed, succeeded, closed, ...)
//   timers.cpp    TimerArmed, routed by timer_target()
//   refunds.cpp   merchant refunds
//   webhooks.cpp  merchant webhooks
//   reviews.cpp   review items and channel mismatches
//   appeals.cpp   payer appeals
//
// Contract: as apply(). A handler reads its event's kind (the dispatch
// guarantees it is set) and asserts that the event fits the state.
#pragma once

#include <cstddef>
#include <string>

#include "core/check.hpp"
#include "core/order_state.hpp"

namespace oncepay::core::apply_event {

using Handler = void (*)(OrderState& state, const v1::Event& event);

inline void note(OrderState& state, int64_t at_ms, std::string type, std::string payment_no = {},
                 std::string detail = {}) {
  state.timeline.push_back({at_ms, std::move(type), std::move(payment_no), std::move(detail)});
}

inline AttemptState& attempt_of(OrderState& state, const std::string& payment_no) {
  AttemptState* attempt = state.find(payment_no);
  ONCEPAY_CHECK((attempt != nullptr) && "event for an attempt the order does not have");
  return *attempt;
}

inline RefundState& refund_of(OrderState& state, const std::string& refund_no) {
  RefundState* refund = state.find_refund(refund_no);
  ONCEPAY_CHECK((refund != nullptr) && "event for a refund the order does not have");
  return *refund;
}

inline WebhookState& webhook_of(OrderState& state, const std::string& event_id) {
  WebhookState* webhook = state.find_webhook(event_id);
  ONCEPAY_CHECK((webhook != nullptr) && "event for a webhook the order does not have");
  return *webhook;
}

// order.cpp: the handler of an event kind; nullptr for KIND_NOT_SET or a
// kind the table misses (apply() stops on it). handler_count(): the table's size.
Handler handler_of(v1::Event::KindCase kind);
size_t handler_count();

void order_opened(OrderState& s, const v1::Event& e);
void order_closed(OrderState& s, const v1::Event& e);
void order_expired(OrderState& s, const v1::Event& e);

// attempts.cpp
void attempt_created(OrderState& s, const v1::Event& e);
void prepay_accepted(OrderState& s, const v1::Event& e);
void prepay_unknown(OrderState& s, const v1::Event& e);
void attempt_failed(OrderState& s, const v1::Event& e);
void attempt_succeeded(OrderState& s, const v1::Event& e);
void attempt_closed(OrderState& s, const v1::Event& e);
void attempt_expired(OrderState& s, const v1::Event& e);
void attempt_superseded(OrderState& s, const v1::Event& e);
void auto_refund_started(OrderState& s, const v1::Event& e);
void auto_refund_succeeded(OrderState& s, const v1::Event& e);

// timers.cpp
void timer_armed(OrderState& s, const v1::Event& e);

// refunds.cpp
void refund_requested(OrderState& s, const v1::Event& e);
void refund_succeeded(OrderState& s, const v1::Event& e);
void refund_failed(OrderState& s, const v1::Event& e);

// webhooks.cpp
void webhook_queued(OrderState& s, const v1::Event& e);
void webhook_attempted(OrderState& s, const v1::Event& e);
void webhook_delivered(OrderState& s, const v1::Event& e);
// A WEBHOOK ladder step (timer_armed routes it here).
void webhook_timer(OrderState& s, const v1::TimerArmed& x, int64_t at);

// reviews.cpp
void channel_mismatch(OrderState& s, const v1::Event& e);
void review_opened(OrderState& s, const v1::Event& e);
void review_closed(OrderState& s, const v1::Event& e);
void review_resolved(OrderState& s, const v1::Event& e);
void operator_action(OrderState& s, const v1::Event& e);

// appeals.cpp
void appeal_recorded(OrderState& s, const v1::Event& e);
void appeal_finding(OrderState& s, const v1::Event& e);
void appeal_checked(OrderState& s, const v1::Event& e);

}  // namespace oncepay::core::apply_event
