// Operators' actions on an order (order_decide.hpp "operator actions"): the
// OperatorAction that precedes what the action causes, and "query now".
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::act_for(std::string action, const OperatorCommand& cmd, std::string target) {
  ONCEPAY_CHECK(!cmd.operator_name.empty());
  v1::OperatorAction a;
  a.set_action(std::move(action));
  a.set_operator_(cmd.operator_name);
  a.set_reason(cmd.reason);
  a.set_target(std::move(target));
  action_ = std::move(a);
}

// Records the pending action, once; pending_ (the event being built) is
// left as it is.
void Decider::record_action() {
  if (!action_) return;
  v1::Event e;
  e.set_at_ms(ctx_.now_ms);
  *e.mutable_operator_action() = std::move(*action_);
  action_.reset();
  apply(s_, e);
  step_.events.push_back(std::move(e));
}

void Decider::operator_query(const OperatorCommand& cmd) {
  const AttemptState* target = s_.live();
  if (target == nullptr) {
    for (const auto& attempt : s_.attempts) {
      if (attempt.open()) {
        target = &attempt;
        break;
      }
    }
  }
  if (target == nullptr) {
    return reply(Code::kNoOpenAttempt, "", "no attempt is open: the channel has nothing to change");
  }
  act_for("query", cmd, target->payment_no);
  call(ChannelOp::kQuery, *target, Flow{Stage::kOperatorQuery, target->payment_no});
}

void Decider::operator_webhook_retry(const OperatorCommand& cmd, const std::string& event_id) {
  const WebhookState* webhook = s_.find_webhook(event_id);
  if (webhook == nullptr) {
    return reply(Code::kWebhookNotFound, "", "the order has no webhook " + event_id);
  }
  if (webhook->status == v1::Webhook::DELIVERED) {
    return reply(Code::kWebhookDelivered, "", event_id + " was delivered already");
  }
  const int32_t step = webhook->status == v1::Webhook::UNDELIVERED
                           ? static_cast<int32_t>(config().notify_retry_ladder_ms.size())
                           : webhook->step;
  act_for("retry_webhook", cmd, event_id);
  arm_webhook(event_id, step, ctx_.now_ms, ctx_.now_ms);
  reply(Code::kOk);
}

void Decider::on_operator_query(AttemptState& attempt, const ChannelReply& r) {
  if (attempt.open() && r.outcome == ChannelOutcome::kOk) {
    switch (r.state) {
      case ChannelPayState::kSuccess:
      case ChannelPayState::kRefund:
        success(attempt, r.channel_trade_no, reported_by(r, "query"));
        break;
      case ChannelPayState::kClosed:
        closed(attempt, "closed at the channel");
        break;
      case ChannelPayState::kPayError:
        fail(attempt, "the payer's payment failed");
        break;
      case ChannelPayState::kNotPay:
        break;  // the payer may still pay: the ladder keeps asking
    }
  } else if (attempt.open() && r.outcome == ChannelOutcome::kNotFound) {
    fail(attempt, "the channel never saw this payment");
  }
  reply(Code::kOk, attempt.payment_no, "the channel answered " + std::string(to_string(r.outcome)));
}

}  // namespace oncepay::core::decide
