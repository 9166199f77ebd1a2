#include "core/order_decide.hpp"

#include <utility>

#include "core/check.hpp"

namespace oncepay::core {

std::string auto_refund_no(std::string_view payment_no) { return "AR" + std::string(payment_no); }

std::string review_item_id(std::string_view reason, std::string_view subject) {
  std::string out(reason);
  out += ':';
  out += subject;
  return out;
}

bool is_review_reason(std::string_view reason) {
  return reason == kReviewAmountMismatch || reason == kReviewAutoRefundFailed ||
         reason == kReviewUnknownUnresolved || reason == kReviewWebhookExhausted;
}

int64_t order_deadline_ms(const OrderState& state, const PaymentConfig& config) {
  ONCEPAY_CHECK(!config.query_ladder_ms.empty());
  const int64_t first =
      state.attempts.empty() ? state.created_ms : state.attempts.front().created_ms;
  return first + config.query_ladder_ms.back();
}

std::string order_paid_event_id(std::string_view payment_no) {
  return "evt_" + std::string(payment_no) + "_paid";
}

std::string refund_succeeded_event_id(std::string_view payment_no, std::string_view refund_no) {
  return "evt_" + std::string(payment_no) + "_refund_" + std::string(refund_no);
}

bool notice_from_proto(const v1::ChannelNotification& body, ChannelNotice* out) {
  ChannelNotice n;
  switch (body.status()) {
    case v1::ChannelNotification::SUCCESS:
      n.kind = ChannelNotice::Kind::kSuccess;
      break;
    case v1::ChannelNotification::PAYERROR:
      n.kind = ChannelNotice::Kind::kPayError;
      break;
    case v1::ChannelNotification::REFUND_SUCCESS:
      n.kind = ChannelNotice::Kind::kRefundSuccess;
      break;
    case v1::ChannelNotification::REFUND_FAILED:
      n.kind = ChannelNotice::Kind::kRefundFailed;
      break;
    default:
      return false;
  }
  n.payment_no = body.payment_no();
  n.channel_trade_no = body.channel_trade_no();
  n.amount_minor = body.amount();
  n.refund_no = body.refund_no();
  if (body.has_currency()) n.currency = body.currency();
  *out = std::move(n);
  return true;
}

namespace {

bool is_paid(OrderStatus status) {
  return status == v1::Order::PAID || status == v1::Order::REFUNDED ||
         status == v1::Order::PARTIALLY_REFUNDED;
}

// What a channel result said was paid or refunded, and how it was learned.
struct Reported {
  std::optional<int64_t> amount_minor;  // nullopt: the channel did not say
  std::string currency;                 // empty: the channel did not say
  std::string source;                   // "notify" | "query" | "close"

  bool matches(int64_t expected_minor, const std::string& expected_currency) const {
    return (!amount_minor || *amount_minor == expected_minor) &&
           (currency.empty() || currency == expected_currency);
  }
};

Reported reported_by(const ChannelReply& r, std::string source) {
  return Reported{r.paid_amount_minor, r.paid_currency, std::move(source)};
}

bool success_recorded(const AttemptState& attempt) {
  return attempt.status == v1::Attempt::SUCCESS || attempt.status == v1::Attempt::AUTO_REFUNDING ||
         attempt.status == v1::Attempt::AUTO_REFUNDED;
}

// Builds one Step: emitted events are applied to the state at once, so each
// decision below sees the state its previous events produced.
class Decider {
 public:
  Decider(OrderState& state, const Context& context) : s_(state), ctx_(context) {
    ONCEPAY_CHECK(context.config != nullptr);
  }

  Step take() { return std::move(step_); }

  // ------------------------------------------------------------ entry points

  void pay(const PayCommand& cmd) {
    if (!s_.opened()) {
      auto* opened = event().mutable_order_opened();
      opened->set_merchant_id(cmd.merchant_id);
      opened->set_merchant_order_no(cmd.merchant_order_no);
      opened->set_amount(cmd.amount_minor);
      opened->set_currency(cmd.currency);
      opened->set_channel(cmd.channel);
      opened->set_subject(cmd.subject);
      opened->set_notify_url(cmd.notify_url);
      emit();
      return start_attempt(cmd, ctx_.new_payment_no());
    }
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

  void close() {
    if (is_paid(s_.status)) {
      return reply(Code::kOrderAlreadyPaid, s_.paid_payment_no, "the order is paid");
    }
    if (s_.status == v1::Order::CLOSED) return reply(Code::kOk);
    if (s_.status == v1::Order::EXPIRED) {
      return reply(Code::kOrderClosed, "", "the order expired");
    }
    AttemptState* live = s_.live();
    if (live == nullptr) {
      event().mutable_order_closed();
      emit();
      return reply(Code::kOk);
    }
    call(ChannelOp::kClose, *live, Flow{Stage::kMerchantClose, live->payment_no});
  }

  void notice(const ChannelNotice& n) {
    AttemptState* attempt = s_.find(n.payment_no);
    if (attempt == nullptr || attempt->channel != n.channel) {
      // Another channel's payment, or none of ours: whoever signs for one
      // channel cannot settle another's payments.
      return reply(Code::kPaymentNotFound, "",
                   "no payment " + n.payment_no + " of channel " + n.channel);
    }
    const Reported reported{n.amount_minor, n.currency, "notify"};
    switch (n.kind) {
      case ChannelNotice::Kind::kSuccess:
        success(*attempt, n.channel_trade_no, reported);
        break;
      case ChannelNotice::Kind::kPayError:
        if (attempt->open()) {
          fail(*attempt, "the payer's payment failed");
        } else {
          close_review(review_item_id(kReviewUnknownUnresolved, attempt->payment_no),
                       "the channel reported the payment failed");
        }
        break;
      case ChannelNotice::Kind::kRefundSuccess:
        if (attempt->status == v1::Attempt::AUTO_REFUNDING &&
            n.refund_no == attempt->auto_refund_no) {
          if (!reported.matches(auto_refund_amount(*attempt), s_.currency)) {
            refund_mismatch(*attempt, n.refund_no, auto_refund_amount(*attempt), reported);
          } else {
            auto_refunded(*attempt);
          }
        } else if (RefundState* refund = s_.find_refund(n.refund_no);
                   refund != nullptr && refund->status == v1::Refund::PENDING) {
          if (!reported.matches(refund->amount_minor, s_.currency)) {
            refund_mismatch(*attempt, n.refund_no, refund->amount_minor, reported);
          } else {
            refund_succeeded(*refund);
          }
        }
        break;
      case ChannelNotice::Kind::kRefundFailed:
        if (RefundState* refund = s_.find_refund(n.refund_no);
            refund != nullptr && refund->status == v1::Refund::PENDING) {
          refund_failed(*refund, "the channel reported the refund failed");
        }
        break;  // an automatic refund's retry timer keeps asking
    }
    reply(Code::kOk);
  }

  void timer(const std::string& payment_no, Ladder ladder, int32_t step) {
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

  void refund(const RefundCommand& cmd) {
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

  void refund_timer(const std::string& refund_no, int32_t step) {
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

  void webhook_timer(const std::string& event_id, int32_t step) {
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

  void resume(const Flow& flow, const ChannelReply& r) {
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
      case Stage::kRefund:
      case Stage::kWebhook:
        return;  // handled above
    }
  }

 private:
  const PaymentConfig& config() const { return *ctx_.config; }

  // ------------------------------------------------------------ pay path

  bool refuse_by_status() {
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

  bool exhausted() const {
    return static_cast<int64_t>(s_.attempts.size()) >= config().max_attempts;
  }

  void refuse_exhausted() {
    reply(Code::kAttemptsExhausted, "",
          "the order already has " + std::to_string(s_.attempts.size()) +
              " payment attempts (payment.max-attempts)");
  }

  void start_or_refuse(const PayCommand& cmd) {
    if (exhausted()) return refuse_exhausted();
    start_attempt(cmd, ctx_.new_payment_no());
  }

  void start_attempt(const PayCommand& cmd, std::string payment_no) {
    auto* created = event().mutable_attempt_created();
    created->set_payment_no(payment_no);
    created->set_attempt(static_cast<int32_t>(s_.attempts.size()) + 1);
    created->set_channel(s_.channel);
    emit();
    AttemptState& attempt = *s_.find(payment_no);
    ChannelCall prepay = make_call(ChannelOp::kPrepay, attempt);
    prepay.amount_minor = s_.amount_minor;
    prepay.currency = s_.currency;
    prepay.subject = s_.subject;
    step_.call = std::move(prepay);
    step_.flow = Flow{Stage::kPrepay, payment_no, cmd};
  }

  void on_prepay(AttemptState& attempt, const ChannelReply& r) {
    switch (r.outcome) {
      case ChannelOutcome::kOk: {
        auto* accepted = event().mutable_prepay_accepted();
        accepted->set_payment_no(attempt.payment_no);
        accepted->mutable_prepay()->set_prepay_id(r.prepay_id);
        accepted->mutable_prepay()->set_pay_url(r.pay_url);
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

  void on_query_live(AttemptState& attempt, const PayCommand& cmd, const ChannelReply& r) {
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

  void on_close_live(AttemptState& attempt, const PayCommand& cmd, const ChannelReply& r) {
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

  void reply_after_success() {
    if (is_paid(s_.status)) {
      return reply(Code::kOrderAlreadyPaid, s_.paid_payment_no, "the order is already paid");
    }
    // The success did not count (already refunded automatically); the
    // order is still payable, but not by this request: let it retry.
    reply(Code::kPaymentStatusUnknown, "", "a payment is being refunded; retry");
  }

  void reply_unknown(const AttemptState& attempt, std::string message) {
    reply(Code::kPaymentStatusUnknown, attempt.payment_no, std::move(message));
  }

  // ------------------------------------------------------------ close path

  void on_merchant_close(AttemptState& attempt, const ChannelReply& r) {
    switch (r.outcome) {
      case ChannelOutcome::kOk:
        closed(attempt, "closed by the merchant");
        arm_fast(attempt, 1, "closed at the channel");
        break;
      case ChannelOutcome::kAlreadyPaid:
        success(attempt, r.channel_trade_no, reported_by(r, "close"));
        if (is_paid(s_.status)) {
          return reply(Code::kOrderAlreadyPaid, s_.paid_payment_no,
                       "the order was paid before it could be closed");
        }
        break;  // a success that did not count is refunded; the order closes
      case ChannelOutcome::kNotFound:
        fail(attempt, "the channel never saw this payment");
        break;
      default:
        return reply_unknown(attempt, "the channel could not close the live attempt");
    }
    event().mutable_order_closed();
    emit();
    reply(Code::kOk);
  }

  // ------------------------------------------------------------ ladders

  void on_ladder_query(AttemptState& attempt, int32_t step, const ChannelReply& r) {
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

  void on_ladder_close(AttemptState& attempt, int32_t step, const ChannelReply& r) {
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

  void on_fast_close(AttemptState& attempt, int32_t step, const ChannelReply& r) {
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

  void on_fast_query(AttemptState& attempt, int32_t step, const ChannelReply& r) {
    if (success_recorded(attempt)) return;
    if (r.outcome == ChannelOutcome::kOk &&
        (r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund)) {
      return success(attempt, r.channel_trade_no, reported_by(r, "query"));
    }
    std::string seen = r.outcome == ChannelOutcome::kOk ? std::string(to_string(r.state))
                                                        : std::string(to_string(r.outcome));
    arm_fast(attempt, step + 1, "query: " + seen);
  }

  // The channel's record of a payment whose notification reported another
  // amount: a success there is decided by what the record says (kept when it
  // matches, refunded when not). Anything else (unpaid, closed, no answer)
  // decides nothing now: the attempt's own ladder keeps asking, and the
  // review item stays.
  void on_verify_query(AttemptState& attempt, const ChannelReply& r) {
    if (r.outcome == ChannelOutcome::kOk &&
        (r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund)) {
      return success(attempt, r.channel_trade_no, reported_by(r, "query"));
    }
  }

  void on_auto_refund(AttemptState& attempt, int32_t step, const ChannelReply& r) {
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

  void on_refund(const Flow& flow, const ChannelReply& r) {
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

  // ------------------------------------------------------------ webhooks

  void queue_webhook(std::string event_id, std::string_view type) {
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
  void on_webhook(const Flow& flow, const ChannelReply& r) {
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
      return arm_webhook(flow.event_id, step + 1, anchor + ladder[static_cast<size_t>(step)],
                         anchor);
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

  void arm_webhook(const std::string& event_id, int32_t step, int64_t due_ms, int64_t anchor_ms) {
    auto* armed = event().mutable_timer_armed();
    armed->set_payment_no(s_.paid_payment_no);
    armed->set_ladder(v1::TimerArmed::WEBHOOK);
    armed->set_step(step);
    armed->set_due_ms(due_ms);
    armed->set_anchor_ms(anchor_ms);
    armed->set_event_id(event_id);
    emit();
  }

  void arm_refund(RefundState& refund, int32_t step, int64_t due_ms, std::string detail,
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

  void refund_succeeded(RefundState& refund) {
    event().mutable_refund_succeeded()->set_refund_no(refund.refund_no);
    emit();
    queue_webhook(refund_succeeded_event_id(s_.paid_payment_no, refund.refund_no),
                  kRefundSucceededEvent);
  }

  void refund_failed(RefundState& refund, std::string reason) {
    auto* failed = event().mutable_refund_failed();
    failed->set_refund_no(refund.refund_no);
    failed->set_reason(std::move(reason));
    emit();
  }

  void reply_refund(Code code, const RefundState& refund) {
    reply(code);
    step_.reply->refund_no = refund.refund_no;
  }

  void arm_query(AttemptState& attempt, int32_t step, std::string detail) {
    const auto& ladder = config().query_ladder_ms;
    ONCEPAY_CHECK(step < static_cast<int32_t>(ladder.size()));
    arm(attempt, v1::TimerArmed::QUERY, step,
        attempt.created_ms + ladder[static_cast<size_t>(step)], std::move(detail),
        attempt.created_ms);
  }

  // Fast-expiry steps count from the moment the attempt entered the ladder
  // (stopped counting); step 0 is "now" (close it at once), step k >= 1 is
  // ladder[k - 1] after entering. Past the last step an attempt still open
  // at the channel (it could not be closed) is marked EXPIRED.
  void arm_fast(AttemptState& attempt, int32_t step, std::string detail) {
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

  void arm(AttemptState& attempt, Ladder ladder, int32_t step, int64_t due_ms, std::string detail,
           int64_t anchor_ms) {
    auto* armed = event().mutable_timer_armed();
    armed->set_payment_no(attempt.payment_no);
    armed->set_ladder(ladder);
    armed->set_step(step);
    armed->set_due_ms(due_ms);
    armed->set_detail(std::move(detail));
    armed->set_anchor_ms(anchor_ms);
    emit();
  }

  // An order with no open attempt left stays payable until its deadline
  // (order_deadline_ms), like any unpaid order: then it expires. Before the
  // deadline an ORDER_EXPIRY timer is armed for it.
  void settle_if_idle() {
    if (s_.status != v1::Order::PAYING) return;
    for (const auto& attempt : s_.attempts) {
      if (attempt.open()) return;
    }
    const int64_t deadline = order_deadline_ms(s_, config());
    if (ctx_.now_ms >= deadline) {
      event().mutable_order_expired();
      return emit();
    }
    if (s_.expiry_due_ms == deadline) return;
    arm_order_expiry(deadline, "no attempt is open");
  }

  void arm_order_expiry(int64_t due_ms, std::string detail) {
    auto* armed = event().mutable_timer_armed();
    armed->set_ladder(due_ms == 0 ? v1::TimerArmed::LADDER_UNSPECIFIED
                                  : v1::TimerArmed::ORDER_EXPIRY);
    armed->set_due_ms(due_ms);
    armed->set_detail(std::move(detail));
    emit();
  }

  void order_expiry_timer() {
    if (s_.expiry_due_ms == 0 || s_.status != v1::Order::PAYING) return;  // stale
    for (const auto& attempt : s_.attempts) {
      if (attempt.open()) return arm_order_expiry(0, "");  // its own ladder decides
    }
    if (ctx_.now_ms < s_.expiry_due_ms) return;  // re-armed later; that timer decides
    event().mutable_order_expired();
    emit();
  }

  // ------------------------------------------------------------ review list

  void open_review(std::string_view reason, std::string_view subject, const std::string& payment_no,
                   std::string detail) {
    std::string id = review_item_id(reason, subject);
    if (s_.find_review(id) != nullptr) return;
    auto* opened = event().mutable_review_opened();
    opened->set_item_id(std::move(id));
    opened->set_reason(std::string(reason));
    opened->set_payment_no(payment_no);
    opened->set_detail(std::move(detail));
    emit();
  }

  void close_review(const std::string& item_id, std::string resolution) {
    if (s_.find_review(item_id) == nullptr) return;
    auto* closed = event().mutable_review_closed();
    closed->set_item_id(item_id);
    closed->set_resolution(std::move(resolution));
    emit();
  }

  // ------------------------------------------------------------ mismatches

  int64_t auto_refund_amount(const AttemptState& attempt) const {
    return attempt.auto_refund_amount_minor > 0 ? attempt.auto_refund_amount_minor
                                                : s_.amount_minor;
  }

  std::string describe(int64_t amount_minor, const std::string& currency) const {
    return std::to_string(amount_minor) + " " + (currency.empty() ? s_.currency : currency);
  }

  void record_mismatch(const AttemptState& attempt, const std::string& refund_no,
                       int64_t expected_minor, const Reported& reported,
                       const std::string& trade_no) {
    auto* m = event().mutable_channel_mismatch();
    m->set_payment_no(attempt.payment_no);
    m->set_refund_no(refund_no);
    m->set_source(reported.source);
    m->set_reported_amount(reported.amount_minor.value_or(expected_minor));
    m->set_reported_currency(reported.currency.empty() ? s_.currency : reported.currency);
    m->set_expected_amount(expected_minor);
    m->set_expected_currency(s_.currency);
    m->set_channel_trade_no(trade_no);
    emit();
  }

  std::string mismatch_detail(const std::string& what, int64_t expected_minor,
                              const Reported& reported) const {
    return "the channel reported " + what + " of " +
           describe(reported.amount_minor.value_or(expected_minor), reported.currency) +
           ", expected " + describe(expected_minor, s_.currency) + " (via " + reported.source + ")";
  }

  // A refund result of another amount or currency than the refund's: the
  // refund stays as it was and a person looks at it.
  void refund_mismatch(const AttemptState& attempt, const std::string& refund_no,
                       int64_t expected_minor, const Reported& reported) {
    const std::string subject = attempt.payment_no + ":" + refund_no;
    if (s_.find_review(review_item_id(kReviewAmountMismatch, subject)) != nullptr) return;
    record_mismatch(attempt, refund_no, expected_minor, reported, "");
    open_review(kReviewAmountMismatch, subject, attempt.payment_no,
                mismatch_detail("refund " + refund_no, expected_minor, reported));
  }

  // A success of another amount or currency than the attempt's: never kept
  // as reported, and a person reviews it. From a notification, the channel's
  // record is asked first (on_verify_query); from the record itself (a query
  // or close answer), the amount it holds is refunded automatically. A
  // record that holds no money (amount 0) refunds nothing.
  void mismatched_success(AttemptState& attempt, const std::string& trade_no,
                          const Reported& reported) {
    const std::string id = review_item_id(kReviewAmountMismatch, attempt.payment_no);
    const bool known = s_.find_review(id) != nullptr;
    std::string detail = mismatch_detail("a success", s_.amount_minor, reported);
    if (!known) {
      record_mismatch(attempt, "", s_.amount_minor, reported, trade_no);
      open_review(kReviewAmountMismatch, attempt.payment_no, attempt.payment_no, detail);
    }
    if (reported.source == "notify") {
      // A notification is a message about the payment, not its record: the
      // channel's own record (a query) decides what moved. Duplicates of a
      // mismatch already being checked ask nothing more.
      if (known || success_recorded(attempt)) return;
      return call(ChannelOp::kQuery, attempt, Flow{Stage::kVerifyQuery, attempt.payment_no});
    }
    // The channel's record holds another amount: that money goes back.
    const int64_t moved = reported.amount_minor.value_or(s_.amount_minor);
    if (success_recorded(attempt) || moved <= 0) return;
    const bool was_open = attempt.open();
    start_auto_refund(attempt, trade_no, "amount_mismatch: " + detail, moved,
                      std::string(kReviewAmountMismatch));
    if (was_open) settle_if_idle();
  }

  // ------------------------------------------------------------ transitions

  // A success reported for `attempt`: it becomes the order's payment if it
  // still counts, else it is refunded automatically. Duplicates do nothing.
  // Only a success of the attempt's amount and currency is one; any other is
  // a mismatch (mismatched_success).
  void success(AttemptState& attempt, const std::string& trade_no, const Reported& reported) {
    if (!reported.matches(s_.amount_minor, s_.currency)) {
      return mismatched_success(attempt, trade_no, reported);
    }
    if (success_recorded(attempt)) return;
    close_review(review_item_id(kReviewUnknownUnresolved, attempt.payment_no),
                 "the channel reported a success");
    const bool counts = s_.status == v1::Order::PAYING && attempt.open() &&
                        (!attempt.superseded || ctx_.policy == Policy::kRefundDuplicates);
    if (!counts) return start_auto_refund(attempt, trade_no, why_not_counted(attempt));
    auto* succeeded = event().mutable_attempt_succeeded();
    succeeded->set_payment_no(attempt.payment_no);
    succeeded->set_channel_trade_no(trade_no);
    succeeded->set_source(reported.source);
    emit();
    queue_webhook(order_paid_event_id(attempt.payment_no), kOrderPaidEvent);
    // Every other attempt still open at the channel must not take money too.
    const std::string paid = attempt.payment_no;
    for (auto& other : s_.attempts) {
      if (other.payment_no == paid || !other.open()) continue;
      if (!other.superseded) supersede(other, "");
      if (other.ladder != v1::TimerArmed::FAST_EXPIRY) arm_fast(other, 0, "order paid");
    }
  }

  std::string why_not_counted(const AttemptState& attempt) const {
    if (is_paid(s_.status)) return "the order is already paid by " + s_.paid_payment_no;
    if (s_.status == v1::Order::CLOSED) return "the order was closed";
    if (s_.status == v1::Order::EXPIRED) return "the order expired";
    if (attempt.superseded) return "the attempt was superseded";
    return "the attempt was " + std::string(v1::Attempt::Status_Name(attempt.status));
  }

  void start_auto_refund(AttemptState& attempt, const std::string& trade_no, std::string why,
                         int64_t amount_minor = 0, std::string reason = {}) {
    auto* started = event().mutable_auto_refund_started();
    started->set_payment_no(attempt.payment_no);
    started->set_refund_no(auto_refund_no(attempt.payment_no));
    started->set_channel_trade_no(trade_no);
    started->set_why(std::move(why));
    if (amount_minor != 0 && amount_minor != s_.amount_minor) started->set_amount(amount_minor);
    started->set_reason(std::move(reason));
    emit();
    arm(attempt, v1::TimerArmed::AUTO_REFUND, 0, ctx_.now_ms, "refund through the channel",
        ctx_.now_ms);
  }

  void auto_refunded(AttemptState& attempt) {
    auto* done = event().mutable_auto_refund_succeeded();
    done->set_payment_no(attempt.payment_no);
    done->set_refund_no(attempt.auto_refund_no);
    emit();
    close_review(review_item_id(kReviewAutoRefundFailed, attempt.payment_no),
                 "the automatic refund succeeded");
  }

  void supersede(AttemptState& attempt, const std::string& by) {
    auto* superseded = event().mutable_attempt_superseded();
    superseded->set_payment_no(attempt.payment_no);
    superseded->set_by_payment_no(by);
    emit();
    arm_fast(attempt, 0, "close it at the channel");
  }

  void fail(AttemptState& attempt, std::string reason) {
    auto* failed = event().mutable_attempt_failed();
    failed->set_payment_no(attempt.payment_no);
    failed->set_reason(std::move(reason));
    emit();
  }

  void closed(AttemptState& attempt, std::string reason) {
    auto* closed = event().mutable_attempt_closed();
    closed->set_payment_no(attempt.payment_no);
    closed->set_reason(std::move(reason));
    emit();
  }

  void expire(AttemptState& attempt, bool unconfirmed = false) {
    auto* expired = event().mutable_attempt_expired();
    expired->set_payment_no(attempt.payment_no);
    expired->set_unconfirmed(unconfirmed);
    emit();
  }

  // ------------------------------------------------------------ plumbing

  ChannelCall make_call(ChannelOp op, const AttemptState& attempt) const {
    ChannelCall c;
    c.op = op;
    c.channel = attempt.channel;
    c.payment_no = attempt.payment_no;
    return c;
  }

  void call(ChannelOp op, const AttemptState& attempt, Flow flow) {
    ONCEPAY_CHECK((!step_.call && !step_.webhook) && "one channel call per step");
    step_.call = make_call(op, attempt);
    step_.flow = std::move(flow);
  }

  void reply(Code code, std::string payment_no = {}, std::string message = {}) {
    ONCEPAY_CHECK((!step_.reply) && "one reply per step");
    step_.reply = Reply{code, std::move(payment_no), std::move(message)};
  }

  v1::Event& event() {
    pending_.Clear();
    return pending_;
  }

  void emit() {
    pending_.set_at_ms(ctx_.now_ms);
    apply(s_, pending_);
    step_.events.push_back(std::move(pending_));
    pending_ = v1::Event();
  }

  OrderState& s_;
  const Context& ctx_;
  Step step_;
  v1::Event pending_;
};

}  // namespace

Step decide_pay(OrderState& state, const PayCommand& command, const Context& context) {
  Decider d(state, context);
  d.pay(command);
  return d.take();
}

Step decide_close(OrderState& state, const Context& context) {
  Decider d(state, context);
  d.close();
  return d.take();
}

Step decide_notice(OrderState& state, const ChannelNotice& notice, const Context& context) {
  Decider d(state, context);
  d.notice(notice);
  return d.take();
}

Step decide_timer(OrderState& state, const std::string& payment_no, Ladder ladder, int32_t step,
                  const Context& context) {
  Decider d(state, context);
  d.timer(payment_no, ladder, step);
  return d.take();
}

Step decide_refund(OrderState& state, const RefundCommand& command, const Context& context) {
  Decider d(state, context);
  d.refund(command);
  return d.take();
}

Step decide_refund_timer(OrderState& state, const std::string& refund_no, int32_t step,
                         const Context& context) {
  Decider d(state, context);
  d.refund_timer(refund_no, step);
  return d.take();
}

Step decide_webhook_timer(OrderState& state, const std::string& event_id, int32_t step,
                          const Context& context) {
  Decider d(state, context);
  d.webhook_timer(event_id, step);
  return d.take();
}

Step resume(OrderState& state, const Flow& flow, const ChannelReply& reply,
            const Context& context) {
  Decider d(state, context);
  d.resume(flow, reply);
  return d.take();
}

}  // namespace oncepay::core
