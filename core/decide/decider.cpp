// The Decider's plumbing (events, the reply, the one channel call) and the
// dispatch of a channel answer to the flow that asked.
#include "core/decide/decider.hpp"

#include <utility>

namespace oncepay::core::decide {

void Decider::resume(const Flow& flow, const ChannelReply& r) {
  if (flow.stage == Stage::kRefund) return on_refund(flow, r);
  if (flow.stage == Stage::kWebhook) return on_webhook(flow, r);
  AttemptState* attempt = s_.find(flow.payment_no);
  ONCEPAY_CHECK(attempt != nullptr);
  switch (flow.stage) {
    case Stage::kPrepay:
      return on_prepay(*attempt, r);
    case Stage::kQueryLive:
      return on_query_live(*attempt, flow.pay, r);
    case Stage::kCloseLive:
      return on_close_live(*attempt, flow.pay, r);
    case Stage::kMerchantClose:
      return on_merchant_close(*attempt, r);
    case Stage::kLadderQuery:
      return on_ladder_query(*attempt, flow.step, r);
    case Stage::kLadderClose:
      return on_ladder_close(*attempt, flow.step, r);
    case Stage::kFastClose:
      return on_fast_close(*attempt, flow.step, r);
    case Stage::kFastQuery:
      return on_fast_query(*attempt, flow.step, r);
    case Stage::kAutoRefund:
      return on_auto_refund(*attempt, flow.step, r);
    case Stage::kVerifyQuery:
      return on_verify_query(*attempt, r);
    case Stage::kConfirmQuery:
      return on_confirm_query(*attempt, r);
    case Stage::kOperatorQuery:
      return on_operator_query(*attempt, r);
    case Stage::kAppealQuery:
      return on_appeal_query(*attempt, flow, r);
    case Stage::kRefund:
    case Stage::kWebhook:
      return;  // handled above
  }
}

ChannelCall Decider::make_call(ChannelOp op, const AttemptState& attempt) const {
  ChannelCall c;
  c.op = op;
  c.channel = attempt.channel;
  c.payment_no = attempt.payment_no;
  c.merchant_id = s_.merchant_id;
  c.total_minor = s_.amount_minor;
  c.currency = s_.currency;
  return c;
}

void Decider::call(ChannelOp op, const AttemptState& attempt, Flow flow) {
  ONCEPAY_CHECK((!step_.call && !step_.webhook) && "one channel call per step");
  record_action();
  step_.call = make_call(op, attempt);
  step_.flow = std::move(flow);
}

void Decider::reply(Code code, std::string payment_no, std::string message) {
  ONCEPAY_CHECK((!step_.reply) && "one reply per step");
  step_.reply = Reply{code, std::move(payment_no), std::move(message)};
}

v1::Event& Decider::event() {
  pending_.Clear();
  return pending_;
}

void Decider::emit() {
  record_action();
  pending_.set_at_ms(ctx_.now_ms);
  apply(s_, pending_);
  step_.events.push_back(std::move(pending_));
  pending_ = v1::Event();
}

}  // namespace oncepay::core::decide
