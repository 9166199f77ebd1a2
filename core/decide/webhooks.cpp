// Merchant webhooks: queued on a payment or refund, delivered on the WEBHOOK
// ladder (notify.retry-ladder) until a 2xx answers or the ladder runs out.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::webhook_timer(const std::string& event_id, int32_t step) {
  const WebhookState* webhook = s_.find_webhook(event_id);
  if (webhook == nullptr || webhook->status != v1::Webhook::PENDING ||
      webhook->ladder != v1::TimerArmed::WEBHOOK || webhook->step != step) {
    return;
  }
  ONCEPAY_CHECK((!step_.call && !step_.webhook) && "one call per step");
  step_.webhook = event_id;
  Flow flow{Stage::kWebhook, s_.paid_payment_no, {}, step};
  flow.event_id = event_id;
  step_.flow = std::move(flow);
}

void Decider::queue_webhook(std::string event_id, std::string_view type) {
  if (s_.notify_url.empty() || s_.find_webhook(event_id) != nullptr) return;
  auto* queued = event().mutable_webhook_queued();
  queued->set_event_id(event_id);
  queued->set_type(std::string(type));
  emit();
  arm_webhook(event_id, 0, ctx_.now_ms, ctx_.now_ms);
}

// notify.retry-ladder holds intervals: attempt k + 1 is due ladder[k - 1]
// after attempt k's scheduled time (the anchor), so a slow receiver does
// not push the whole ladder back.
void Decider::on_webhook(const Flow& flow, const ChannelReply& r) {
  const WebhookState* webhook = s_.find_webhook(flow.event_id);
  if (webhook == nullptr || webhook->status != v1::Webhook::PENDING ||
      webhook->ladder != v1::TimerArmed::WEBHOOK || webhook->step != flow.step) {
    return;  // stale: the answer came back after the ladder moved on
  }
  if (r.outcome == ChannelOutcome::kOk) {
    auto* delivered = event().mutable_webhook_delivered();
    delivered->set_event_id(flow.event_id);
    delivered->set_status(r.http_status);
    emit();
    return close_review(review_item_id(kReviewWebhookExhausted, flow.event_id),
                        "webhook delivered");
  }
  auto* attempted = event().mutable_webhook_attempted();
  attempted->set_event_id(flow.event_id);
  attempted->set_status(r.http_status);
  if (r.http_status == 0) attempted->set_error(r.detail.empty() ? "no response" : r.detail);
  emit();
  const auto& ladder = config().notify_retry_ladder_ms;
  const int32_t step = flow.step;
  if (step < static_cast<int32_t>(ladder.size())) {
    const int64_t anchor = webhook->due_ms;
    return arm_webhook(flow.event_id, step + 1, anchor + ladder[static_cast<size_t>(step)], anchor);
  }
  auto* armed = event().mutable_timer_armed();
  armed->set_payment_no(s_.paid_payment_no);
  armed->set_ladder(v1::TimerArmed::LADDER_UNSPECIFIED);
  armed->set_event_id(flow.event_id);
  emit();
  open_review(kReviewWebhookExhausted, flow.event_id, s_.paid_payment_no,
              flow.event_id + " was not accepted after " +
                  std::to_string(s_.find_webhook(flow.event_id)->attempts) +
                  " attempts; the last: " +
                  (r.http_status != 0 ? "HTTP " + std::to_string(r.http_status) : r.detail));
}

void Decider::arm_webhook(const std::string& event_id, int32_t step, int64_t due_ms,
                          int64_t anchor_ms) {
  auto* armed = event().mutable_timer_armed();
  armed->set_payment_no(s_.paid_payment_no);
  armed->set_ladder(v1::TimerArmed::WEBHOOK);
  armed->set_step(step);
  armed->set_due_ms(due_ms);
  armed->set_anchor_ms(anchor_ms);
  armed->set_event_id(event_id);
  emit();
}

}  // namespace oncepay::core::decide
