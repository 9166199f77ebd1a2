// Attempt timers and their ladders: the query ladder, the fast-expiry ladder
// and the automatic refund's retries.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::timer(const std::string& payment_no, Ladder ladder, int32_t step) {
  if (ladder == v1::TimerArmed::ORDER_EXPIRY) return order_expiry_timer();
  AttemptState* attempt = s_.find(payment_no);
  if (attempt == nullptr || attempt->ladder != ladder || attempt->step != step) return;
  switch (ladder) {
    case v1::TimerArmed::QUERY:
      if (attempt->open()) {
        call(ChannelOp::kQuery, *attempt, Flow{Stage::kLadderQuery, payment_no, {}, step});
      }
      break;
    case v1::TimerArmed::FAST_EXPIRY:
      if (attempt->open()) {
        call(ChannelOp::kClose, *attempt, Flow{Stage::kFastClose, payment_no, {}, step});
      } else if (!success_recorded(*attempt)) {
        call(ChannelOp::kQuery, *attempt, Flow{Stage::kFastQuery, payment_no, {}, step});
      }
      break;
    case v1::TimerArmed::AUTO_REFUND:
      if (attempt->status == v1::Attempt::AUTO_REFUNDING) {
        ChannelCall refund = make_call(ChannelOp::kRefund, *attempt);
        refund.amount_minor = auto_refund_amount(*attempt);
        refund.refund_no = attempt->auto_refund_no;
        step_.call = std::move(refund);
        step_.flow = Flow{Stage::kAutoRefund, payment_no, {}, step};
      }
      break;
    default:
      break;
  }
}

void Decider::on_ladder_query(AttemptState& attempt, int32_t step, const ChannelReply& r) {
  if (!attempt.open()) return;
  const bool last = step + 1 >= static_cast<int32_t>(config().query_ladder_ms.size());
  if (r.outcome == ChannelOutcome::kOk) {
    switch (r.state) {
      case ChannelPayState::kSuccess:
      case ChannelPayState::kRefund:
        success(attempt, r.channel_trade_no, reported_by(r, "query"));
        if (!attempt.open()) return;
        // A record of no money decided nothing: the ladder goes on.
        if (last) {
          return call(ChannelOp::kClose, attempt,
                      Flow{Stage::kLadderClose, attempt.payment_no, {}, step});
        }
        return arm_query(attempt, step + 1, "query: a success of no money");
      case ChannelPayState::kClosed:
        return closed(attempt, "closed at the channel");
      case ChannelPayState::kPayError:
        return fail(attempt, "the payer's payment failed");
      case ChannelPayState::kNotPay:
        // An UNKNOWN prepay that exists but was never shown to the payer
        // is reversed (closed) at once; a PAYING one waits for the payer.
        if (attempt.status == v1::Attempt::UNKNOWN || last) {
          return call(ChannelOp::kClose, attempt,
                      Flow{Stage::kLadderClose, attempt.payment_no, {}, step});
        }
        return arm_query(attempt, step + 1, "query: NOTPAY");
    }
  }
  if (r.outcome == ChannelOutcome::kNotFound) {
    return fail(attempt, "the channel never saw this payment");
  }
  if (last) {
    return call(ChannelOp::kClose, attempt,
                Flow{Stage::kLadderClose, attempt.payment_no, {}, step});
  }
  arm_query(attempt, step + 1, "query: " + std::string(to_string(r.outcome)));
}

void Decider::on_ladder_close(AttemptState& attempt, int32_t step, const ChannelReply& r) {
  if (!attempt.open()) return;
  const bool reversal = attempt.status == v1::Attempt::UNKNOWN &&
                        step + 1 < static_cast<int32_t>(config().query_ladder_ms.size());
  switch (r.outcome) {
    case ChannelOutcome::kOk:
      if (reversal) {
        closed(attempt, "reversed: the prepay answer was lost");
      } else {
        expire(attempt);
      }
      arm_fast(attempt, 1, "closed at the channel");
      return settle_if_idle();
    case ChannelOutcome::kAlreadyPaid:
      return success(attempt, r.channel_trade_no, reported_by(r, "close"));
    case ChannelOutcome::kNotFound:
      return fail(attempt, "the channel never saw this payment");
    default:
      // Keep trying to close it, on the bounded fast-expiry ladder.
      return arm_fast(attempt, 0, "close: " + std::string(to_string(r.outcome)));
  }
}

void Decider::on_fast_close(AttemptState& attempt, int32_t step, const ChannelReply& r) {
  if (!attempt.open()) return;
  switch (r.outcome) {
    case ChannelOutcome::kOk:
      closed(attempt, attempt.superseded ? "superseded" : "closed at the channel");
      return arm_fast(attempt, step + 1, "closed at the channel");
    case ChannelOutcome::kAlreadyPaid:
      return success(attempt, r.channel_trade_no, reported_by(r, "close"));
    case ChannelOutcome::kNotFound:
      return fail(attempt, "the channel never saw this payment");
    default:
      return arm_fast(attempt, step + 1, "close: " + std::string(to_string(r.outcome)));
  }
}

void Decider::on_fast_query(AttemptState& attempt, int32_t step, const ChannelReply& r) {
  if (success_recorded(attempt)) return;
  if (r.outcome == ChannelOutcome::kOk &&
      (r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund)) {
    return success(attempt, r.channel_trade_no, reported_by(r, "query"));
  }
  std::string seen = r.outcome == ChannelOutcome::kOk ? std::string(to_string(r.state))
                                                      : std::string(to_string(r.outcome));
  arm_fast(attempt, step + 1, "query: " + seen);
}

void Decider::on_auto_refund(AttemptState& attempt, int32_t step, const ChannelReply& r) {
  if (attempt.status != v1::Attempt::AUTO_REFUNDING) return;
  if (r.outcome == ChannelOutcome::kOk) return auto_refunded(attempt);
  const auto& retries = config().auto_refund_retry_ms;
  std::string seen = "refund: " + std::string(to_string(r.outcome));
  if (step < static_cast<int32_t>(retries.size())) {
    return arm(attempt, v1::TimerArmed::AUTO_REFUND, step + 1,
               attempt.anchor_ms + retries[static_cast<size_t>(step)], seen, attempt.anchor_ms);
  }
  // Out of retries: it stays AUTO_REFUNDING, for reconciliation and a
  // person to settle.
  arm(attempt, v1::TimerArmed::LADDER_UNSPECIFIED, 0, 0, seen + "; left to reconciliation", 0);
  open_review(kReviewAutoRefundFailed, attempt.payment_no, attempt.payment_no,
              "the automatic refund " + attempt.auto_refund_no + " of " +
                  std::to_string(auto_refund_amount(attempt)) + " " + s_.currency +
                  " is unconfirmed after " + std::to_string(retries.size() + 1) + " attempts (" +
                  seen + ")");
}

void Decider::arm_query(AttemptState& attempt, int32_t step, std::string detail) {
  const auto& ladder = config().query_ladder_ms;
  ONCEPAY_CHECK(step < static_cast<int32_t>(ladder.size()));
  arm(attempt, v1::TimerArmed::QUERY, step, attempt.created_ms + ladder[static_cast<size_t>(step)],
      std::move(detail), attempt.created_ms);
}

// Fast-expiry steps count from the moment the attempt entered the ladder
// (stopped counting); step 0 is "now" (close it at once), step k >= 1 is
// ladder[k - 1] after entering. Past the last step an attempt still open
// at the channel (it could not be closed) is marked EXPIRED.
void Decider::arm_fast(AttemptState& attempt, int32_t step, std::string detail) {
  const auto& ladder = config().fast_expiry_ladder_ms;
  if (step > static_cast<int32_t>(ladder.size())) {
    if (attempt.open()) {
      // Neither a query nor a close got an answer: the payer may have paid.
      const std::string was(v1::Attempt::Status_Name(attempt.status));
      expire(attempt, /*unconfirmed=*/true);
      open_review(kReviewUnknownUnresolved, attempt.payment_no, attempt.payment_no,
                  "the attempt was " + was + " when its ladders ended without the channel " +
                      "confirming its outcome (" + detail + ")");
      return settle_if_idle();
    }
    return arm(attempt, v1::TimerArmed::LADDER_UNSPECIFIED, 0, 0, std::move(detail), 0);
  }
  const int64_t anchor =
      attempt.ladder == v1::TimerArmed::FAST_EXPIRY ? attempt.anchor_ms : ctx_.now_ms;
  const int64_t due = step == 0 ? ctx_.now_ms : anchor + ladder[static_cast<size_t>(step - 1)];
  arm(attempt, v1::TimerArmed::FAST_EXPIRY, step, due, std::move(detail), anchor);
}

void Decider::arm(AttemptState& attempt, Ladder ladder, int32_t step, int64_t due_ms,
                  std::string detail, int64_t anchor_ms) {
  auto* armed = event().mutable_timer_armed();
  armed->set_payment_no(attempt.payment_no);
  armed->set_ladder(ladder);
  armed->set_step(step);
  armed->set_due_ms(due_ms);
  armed->set_detail(std::move(detail));
  armed->set_anchor_ms(anchor_ms);
  emit();
}

}  // namespace oncepay::core::decide
