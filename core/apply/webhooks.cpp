// Merchant webhook events: queued, each delivery attempt, the 2xx that ends
// it, and the steps of its WEBHOOK ladder.
#include "core/apply/apply.hpp"

namespace oncepay::core::apply_event {

void webhook_queued(OrderState& s, const v1::Event& e) {
  const auto& x = e.webhook_queued();
  ONCEPAY_CHECK(s.find_webhook(x.event_id()) == nullptr);
  WebhookState webhook;
  webhook.event_id = x.event_id();
  webhook.type = x.type();
  webhook.created_ms = e.at_ms();
  s.webhooks.push_back(std::move(webhook));
  note(s, e.at_ms(), "webhook.queued", s.paid_payment_no, x.type() + " " + x.event_id());
}

void webhook_attempted(OrderState& s, const v1::Event& e) {
  const auto& x = e.webhook_attempted();
  auto& webhook = webhook_of(s, x.event_id());
  webhook.attempts += 1;
  webhook.last_status = x.status();
  std::string detail = x.event_id() + " attempt " + std::to_string(webhook.attempts) + ": ";
  detail += x.status() != 0 ? std::string("HTTP ").append(std::to_string(x.status())) : x.error();
  note(s, e.at_ms(), "webhook.attempted", s.paid_payment_no, std::move(detail));
}

void webhook_delivered(OrderState& s, const v1::Event& e) {
  const auto& x = e.webhook_delivered();
  auto& webhook = webhook_of(s, x.event_id());
  ONCEPAY_CHECK(webhook.status == v1::Webhook::PENDING);
  webhook.attempts += 1;
  webhook.last_status = x.status();
  webhook.status = v1::Webhook::DELIVERED;
  webhook.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  note(s, e.at_ms(), "webhook.delivered", s.paid_payment_no,
       x.event_id() + " attempt " + std::to_string(webhook.attempts) + ": HTTP " +
           std::to_string(x.status()));
}

void webhook_timer(OrderState& s, const v1::TimerArmed& x, int64_t at) {
  auto& webhook = webhook_of(s, x.event_id());
  webhook.ladder = x.ladder();
  webhook.step = x.step();
  webhook.due_ms = x.due_ms();
  webhook.anchor_ms = x.anchor_ms();
  if (x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED) {
    webhook.status = v1::Webhook::UNDELIVERED;
    s.timeline.push_back(
        {at, "webhook.undelivered", x.payment_no(),
         x.event_id() + ": no further attempts after " + std::to_string(webhook.attempts)});
    return;
  }
  // An operator's retry (decide_operator_webhook_retry) re-arms the ladder
  // of an undelivered webhook.
  if (webhook.status == v1::Webhook::UNDELIVERED) webhook.status = v1::Webhook::PENDING;
  if (x.step() > 0) {
    s.timeline.push_back({at, "webhook.scheduled", x.payment_no(),
                          x.event_id() + " attempt " + std::to_string(x.step() + 1) + " at " +
                              format_time(x.due_ms())});
  }
}

}  // namespace oncepay::core::apply_event
