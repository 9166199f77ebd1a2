// The pay flow: a pay request, and the channel answers it waits for (the new
// attempt's prepay; after the in-flight window, the live attempt's query and close).
#include "core/decide/decider.hpp"
#include "core/narrow.hpp"

namespace oncepay::core::decide {

// The order's first pay request opens it and starts attempt 1.
void Decider::open_order(const PayCommand& cmd) {
  auto* opened = event().mutable_order_opened();
  opened->set_merchant_id(cmd.merchant_id);
  opened->set_merchant_order_no(cmd.merchant_order_no);
  opened->set_amount(cmd.amount_minor);
  opened->set_currency(cmd.currency);
  opened->set_channel(cmd.channel);
  opened->set_subject(cmd.subject);
  opened->set_notify_url(cmd.notify_url);
  emit();
  start_attempt(cmd, ctx_.new_payment_no());
}

void Decider::pay(const PayCommand& cmd) {
  if (!s_.opened()) return open_order(cmd);
  if (refuse_by_status()) return;
  if (cmd.amount_minor != s_.amount_minor || cmd.currency != s_.currency ||
      cmd.channel != s_.channel) {
    return reply(Code::kOrderParamsMismatch, "",
                 "amount, currency and channel must match the order's first request (" +
                     std::to_string(s_.amount_minor) + " " + s_.currency + " via " + s_.channel +
                     ")");
  }
  AttemptState* live = s_.live();
  if (live == nullptr && s_.expiry_due_ms != 0 && ctx_.now_ms >= s_.expiry_due_ms) {
    event().mutable_order_expired();
    emit();
    return reply(Code::kOrderClosed, "", "the order expired");
  }
  if (live == nullptr) return start_or_refuse(cmd);
  if (live->status == v1::Attempt::PAYING &&
      ctx_.now_ms - live->created_ms < config().in_flight_window_ms) {
    return reply(Code::kOk, live->payment_no);
  }
  if (ctx_.policy == Policy::kRefundDuplicates && live->status == v1::Attempt::PAYING) {
    if (exhausted()) return refuse_exhausted();
    // Do not wait for the channel: the old attempt is closed in the
    // background, and a second success is refunded automatically.
    std::string next = ctx_.new_payment_no();
    supersede(*live, next);
    return start_attempt(cmd, std::move(next));
  }
  // strict (or an UNKNOWN live attempt): ask the channel before anything else.
  call(ChannelOp::kQuery, *live, Flow{Stage::kQueryLive, live->payment_no, cmd});
}

bool Decider::refuse_by_status() {
  if (is_paid(s_.status)) {
    reply(Code::kOrderAlreadyPaid, s_.paid_payment_no, "the order is already paid");
    return true;
  }
  if (s_.status == v1::Order::CLOSED || s_.status == v1::Order::EXPIRED) {
    reply(Code::kOrderClosed, "",
          s_.status == v1::Order::CLOSED ? "the order was closed" : "the order expired");
    return true;
  }
  return false;
}

bool Decider::exhausted() const {
  return static_cast<int64_t>(s_.attempts.size()) >= config().max_attempts;
}

void Decider::refuse_exhausted() {
  reply(Code::kAttemptsExhausted, "",
        "the order already has " + std::to_string(s_.attempts.size()) +
            " payment attempts (payment.max-attempts)");
}

void Decider::start_or_refuse(const PayCommand& cmd) {
  if (exhausted()) return refuse_exhausted();
  start_attempt(cmd, ctx_.new_payment_no());
}

void Decider::start_attempt(const PayCommand& cmd, std::string payment_no) {
  auto* created = event().mutable_attempt_created();
  created->set_payment_no(payment_no);
  created->set_attempt(checked_cast<int32_t>(s_.attempts.size() + 1));
  created->set_channel(s_.channel);
  emit();
  AttemptState& attempt = *s_.find(payment_no);
  ChannelCall prepay = make_call(ChannelOp::kPrepay, attempt);
  prepay.amount_minor = s_.amount_minor;
  prepay.currency = s_.currency;
  prepay.subject = s_.subject;
  prepay.trade_type = cmd.trade_type;
  prepay.payer_openid = cmd.payer_openid;
  step_.call = std::move(prepay);
  step_.flow = Flow{Stage::kPrepay, payment_no, cmd};
}

void Decider::on_prepay(AttemptState& attempt, const ChannelReply& r) {
  switch (r.outcome) {
    case ChannelOutcome::kOk: {
      auto* accepted = event().mutable_prepay_accepted();
      accepted->set_payment_no(attempt.payment_no);
      accepted->mutable_prepay()->set_prepay_id(r.prepay_id);
      accepted->mutable_prepay()->set_pay_url(r.pay_url);
      accepted->mutable_prepay()->set_code_url(r.code_url);
      accepted->mutable_prepay()->set_qr_code(r.qr_code);
      for (const auto& p : r.pay_params) {
        auto* param = accepted->mutable_prepay()->add_pay_params();
        param->set_name(p.name);
        param->set_value(p.value);
      }
      emit();
      arm_query(attempt, 0, "");
      return reply(Code::kCreated, attempt.payment_no);
    }
    case ChannelOutcome::kUnavailable: {
      auto* unknown = event().mutable_prepay_unknown();
      unknown->set_payment_no(attempt.payment_no);
      unknown->set_reason(r.detail.empty() ? "no answer from the channel" : r.detail);
      emit();
      arm_query(attempt, 0, "");
      return reply(Code::kPaymentStatusUnknown, attempt.payment_no,
                   "the channel did not answer; the payment is being checked");
    }
    default:
      fail(attempt, "prepay refused by the channel: " + std::string(to_string(r.outcome)) +
                        (r.detail.empty() ? "" : " " + r.detail));
      return reply(Code::kChannelRejected, attempt.payment_no, "the channel refused the payment");
  }
}

void Decider::on_query_live(AttemptState& attempt, const PayCommand& cmd, const ChannelReply& r) {
  if (r.outcome == ChannelOutcome::kOk) {
    switch (r.state) {
      case ChannelPayState::kSuccess:
      case ChannelPayState::kRefund:
        success(attempt, r.channel_trade_no, reported_by(r, "query"));
        return reply_after_success();
      case ChannelPayState::kNotPay:
        if (exhausted()) return refuse_exhausted();
        return call(ChannelOp::kClose, attempt, Flow{Stage::kCloseLive, attempt.payment_no, cmd});
      case ChannelPayState::kClosed:
        closed(attempt, "closed at the channel");
        return start_or_refuse(cmd);
      case ChannelPayState::kPayError:
        fail(attempt, "the payer's payment failed");
        return start_or_refuse(cmd);
    }
  }
  if (r.outcome == ChannelOutcome::kNotFound) {
    fail(attempt, "the channel never saw this payment");
    return start_or_refuse(cmd);
  }
  reply_unknown(attempt, "the channel could not be asked about the live attempt");
}

void Decider::on_close_live(AttemptState& attempt, const PayCommand& cmd, const ChannelReply& r) {
  switch (r.outcome) {
    case ChannelOutcome::kOk:
      closed(attempt, "superseded by a new attempt");
      arm_fast(attempt, 1, "closed at the channel");
      return start_or_refuse(cmd);
    case ChannelOutcome::kAlreadyPaid:
      success(attempt, r.channel_trade_no, reported_by(r, "close"));
      return reply_after_success();
    case ChannelOutcome::kNotFound:
      fail(attempt, "the channel never saw this payment");
      return start_or_refuse(cmd);
    default:
      return reply_unknown(attempt, "the channel could not close the live attempt");
  }
}

void Decider::reply_after_success() {
  if (is_paid(s_.status)) {
    return reply(Code::kOrderAlreadyPaid, s_.paid_payment_no, "the order is already paid");
  }
  // The success did not count (already refunded automatically); the
  // order is still payable, but not by this request: let it retry.
  reply(Code::kPaymentStatusUnknown, "", "a payment is being refunded; retry");
}

void Decider::reply_unknown(const AttemptState& attempt, std::string message) {
  reply(Code::kPaymentStatusUnknown, attempt.payment_no, std::move(message));
}

}  // namespace oncepay::core::decide
