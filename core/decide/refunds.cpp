// Merchant refunds: the request, its REFUND ladder timer and the channel's answer.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::refund(const RefundCommand& cmd) {
  if (const RefundState* existing = s_.find_refund(cmd.refund_no)) {
    if (existing->amount_minor != cmd.amount_minor) {
      return reply(Code::kRefundNoConflict, "",
                   "refund_no " + cmd.refund_no + " was used for an amount of " +
                       std::to_string(existing->amount_minor));
    }
    return reply_refund(Code::kAccepted, *existing);
  }
  if (!is_paid(s_.status)) {
    return reply(Code::kOrderNotPaid, "", "only a paid order can be refunded");
  }
  const int64_t left = s_.amount_minor - s_.committed_refunds_minor();
  if (cmd.amount_minor > left) {
    return reply(Code::kRefundExceedsPaid, "",
                 "at most " + std::to_string(left) + " can still be refunded");
  }
  auto* requested = event().mutable_refund_requested();
  requested->set_refund_no(cmd.refund_no);
  requested->set_amount(cmd.amount_minor);
  requested->set_reason(cmd.reason);
  emit();
  RefundState& refund = *s_.find_refund(cmd.refund_no);
  arm_refund(refund, 0, ctx_.now_ms, "ask the channel", ctx_.now_ms);
  reply_refund(Code::kAccepted, refund);
}

void Decider::refund_timer(const std::string& refund_no, int32_t step) {
  RefundState* refund = s_.find_refund(refund_no);
  if (refund == nullptr || refund->status != v1::Refund::PENDING ||
      refund->ladder != v1::TimerArmed::REFUND || refund->step != step) {
    return;
  }
  const AttemptState* paid = s_.find(s_.paid_payment_no);
  ONCEPAY_CHECK(paid != nullptr);
  ChannelCall c = make_call(ChannelOp::kRefund, *paid);
  c.amount_minor = refund->amount_minor;
  c.refund_no = refund->refund_no;
  step_.call = std::move(c);
  Flow flow{Stage::kRefund, paid->payment_no, {}, step};
  flow.refund_no = refund_no;
  step_.flow = std::move(flow);
}

void Decider::on_refund(const Flow& flow, const ChannelReply& r) {
  RefundState* refund = s_.find_refund(flow.refund_no);
  if (refund == nullptr || refund->status != v1::Refund::PENDING) return;
  if (r.outcome == ChannelOutcome::kOk) return refund_succeeded(*refund);
  if (r.outcome != ChannelOutcome::kUnavailable) {
    return refund_failed(*refund,
                         "the channel refused the refund: " + std::string(to_string(r.outcome)));
  }
  const auto& retries = config().auto_refund_retry_ms;
  const int32_t step = flow.step;
  std::string seen = "refund: " + std::string(to_string(r.outcome));
  if (step < static_cast<int32_t>(retries.size())) {
    return arm_refund(*refund, step + 1, refund->anchor_ms + retries[static_cast<size_t>(step)],
                      std::move(seen), refund->anchor_ms);
  }
  // Out of retries: it stays PENDING, for reconciliation to settle.
  auto* armed = event().mutable_timer_armed();
  armed->set_payment_no(s_.paid_payment_no);
  armed->set_ladder(v1::TimerArmed::LADDER_UNSPECIFIED);
  armed->set_refund_no(refund->refund_no);
  armed->set_detail(seen + "; left to reconciliation");
  emit();
}

void Decider::arm_refund(RefundState& refund, int32_t step, int64_t due_ms, std::string detail,
                         int64_t anchor_ms) {
  auto* armed = event().mutable_timer_armed();
  armed->set_payment_no(s_.paid_payment_no);
  armed->set_ladder(v1::TimerArmed::REFUND);
  armed->set_step(step);
  armed->set_due_ms(due_ms);
  armed->set_anchor_ms(anchor_ms);
  armed->set_refund_no(refund.refund_no);
  armed->set_detail(std::move(detail));
  emit();
}

void Decider::refund_succeeded(RefundState& refund) {
  auto* succeeded = event().mutable_refund_succeeded();
  succeeded->set_refund_no(refund.refund_no);
  succeeded->set_channel_time_ms(channel_time_ms_);
  emit();
  queue_webhook(refund_succeeded_event_id(s_.paid_payment_no, refund.refund_no),
                kRefundSucceededEvent);
}

void Decider::refund_failed(RefundState& refund, std::string reason) {
  auto* failed = event().mutable_refund_failed();
  failed->set_refund_no(refund.refund_no);
  failed->set_reason(std::move(reason));
  emit();
}

void Decider::reply_refund(Code code, const RefundState& refund) {
  reply(code);
  step_.reply->refund_no = refund.refund_no;
}

}  // namespace oncepay::core::decide
