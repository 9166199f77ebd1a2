// apply(): a table from event kind to handler, and the order's own events.
#include <iterator>

#include "core/apply/apply.hpp"

namespace oncepay::core {

namespace apply_event {

void order_opened(OrderState& s, const v1::Event& e) {
  const auto& x = e.order_opened();
  ONCEPAY_CHECK(!s.opened());
  s.merchant_id = x.merchant_id();
  s.merchant_order_no = x.merchant_order_no();
  s.amount_minor = x.amount();
  s.currency = x.currency();
  s.channel = x.channel();
  s.subject = x.subject();
  s.notify_url = x.notify_url();
  s.created_ms = e.at_ms();
  s.status = v1::Order::PAYING;
  note(s, e.at_ms(), "order.opened");
}

void order_closed(OrderState& s, const v1::Event& e) {
  s.status = v1::Order::CLOSED;
  s.expiry_due_ms = 0;
  note(s, e.at_ms(), "order.closed");
}

void order_expired(OrderState& s, const v1::Event& e) {
  s.status = v1::Order::EXPIRED;
  s.expiry_due_ms = 0;
  note(s, e.at_ms(), "order.expired");
}

namespace {

struct Route {
  v1::Event::KindCase kind;
  Handler handler;
};

// Every kind of the Event oneof, once (tests/core/order_state_test.cpp
// checks the table against the descriptor).
constexpr Route kRoutes[] = {
    {v1::Event::kOrderOpened, order_opened},
    {v1::Event::kAttemptCreated, attempt_created},
    {v1::Event::kPrepayAccepted, prepay_accepted},
    {v1::Event::kPrepayUnknown, prepay_unknown},
    {v1::Event::kAttemptFailed, attempt_failed},
    {v1::Event::kAttemptSucceeded, attempt_succeeded},
    {v1::Event::kAttemptClosed, attempt_closed},
    {v1::Event::kAttemptExpired, attempt_expired},
    {v1::Event::kAttemptSuperseded, attempt_superseded},
    {v1::Event::kTimerArmed, timer_armed},
    {v1::Event::kAutoRefundStarted, auto_refund_started},
    {v1::Event::kAutoRefundSucceeded, auto_refund_succeeded},
    {v1::Event::kOrderClosed, order_closed},
    {v1::Event::kOrderExpired, order_expired},
    {v1::Event::kRefundRequested, refund_requested},
    {v1::Event::kRefundSucceeded, refund_succeeded},
    {v1::Event::kRefundFailed, refund_failed},
    {v1::Event::kWebhookQueued, webhook_queued},
    {v1::Event::kWebhookAttempted, webhook_attempted},
    {v1::Event::kWebhookDelivered, webhook_delivered},
    {v1::Event::kChannelMismatch, channel_mismatch},
    {v1::Event::kReviewOpened, review_opened},
    {v1::Event::kReviewClosed, review_closed},
    {v1::Event::kReviewResolved, review_resolved},
    {v1::Event::kOperatorAction, operator_action},
    {v1::Event::kAppealRecorded, appeal_recorded},
    {v1::Event::kAppealFinding, appeal_finding},
    {v1::Event::kAppealChecked, appeal_checked},
};

}  // namespace

Handler handler_of(v1::Event::KindCase kind) {
  for (const Route& route : kRoutes) {
    if (route.kind == kind) return route.handler;
  }
  return nullptr;
}

size_t handler_count() { return std::size(kRoutes); }

}  // namespace apply_event

void apply(OrderState& state, const v1::Event& event) {
  ONCEPAY_CHECK((event.kind_case() != v1::Event::KIND_NOT_SET) && "event without a kind");
  const apply_event::Handler handler = apply_event::handler_of(event.kind_case());
  ONCEPAY_CHECK((handler != nullptr) && "event kind without a handler");
  handler(state, event);
}

}  // namespace oncepay::core
