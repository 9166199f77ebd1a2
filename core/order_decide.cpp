#include "core/order_decide.hpp"

#include <algorithm>
#include <utility>

#include "core/check.hpp"
#include "core/decide/decider.hpp"
#include "core/recon_decide.hpp"

namespace oncepay::core {

std::string auto_refund_no(std::string_view payment_no) { return "AR" + std::string(payment_no); }

std::string recon_subject(std::string_view payment_no, std::string_view refund_no) {
  std::string out(payment_no);
  if (!refund_no.empty()) {
    out += ':';
    out += refund_no;
  }
  return out;
}

std::string review_item_id(std::string_view reason, std::string_view subject) {
  std::string out(reason);
  out += ':';
  out += subject;
  return out;
}

bool is_review_reason(std::string_view reason) {
  if (reason.starts_with(kReviewReconPrefix)) {
    const std::string_view cls = reason.substr(kReviewReconPrefix.size());
    for (size_t i = 0; i < kReconClassCount; ++i) {
      const auto c = static_cast<ReconClass>(i);
      if (recon_class_name(c) == cls) return recon_class_needs_review(c);
    }
    return false;
  }
  return std::find(kReviewReasons.begin(), kReviewReasons.end(), reason) != kReviewReasons.end();
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

using decide::Decider;

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

Step decide_recon_review(OrderState& state, const ReconReviewCommand& command,
                         const Context& context) {
  Decider d(state, context);
  d.recon_review(command);
  return d.take();
}

Step decide_recon_matched(OrderState& state, const std::string& payment_no,
                          const std::string& refund_no, const Context& context) {
  Decider d(state, context);
  d.recon_matched(payment_no, refund_no);
  return d.take();
}

Step decide_resolve(OrderState& state, const ResolveCommand& command, const Context& context) {
  Decider d(state, context);
  d.resolve(command);
  return d.take();
}

Step decide_operator_close(OrderState& state, const OperatorCommand& command,
                           const Context& context) {
  Decider d(state, context);
  d.act_for("close", command);
  d.close();
  return d.take();
}

Step decide_operator_refund(OrderState& state, const OperatorCommand& command,
                            const RefundCommand& refund, const Context& context) {
  Decider d(state, context);
  d.act_for("refund", command, refund.refund_no);
  d.refund(refund);
  return d.take();
}

Step decide_operator_query(OrderState& state, const OperatorCommand& command,
                           const Context& context) {
  Decider d(state, context);
  d.operator_query(command);
  return d.take();
}

Step decide_appeal(OrderState& state, const AppealCommand& command, const Context& context) {
  Decider d(state, context);
  d.appeal(command);
  return d.take();
}

Step decide_operator_webhook_retry(OrderState& state, const OperatorCommand& command,
                                   const std::string& event_id, const Context& context) {
  Decider d(state, context);
  d.operator_webhook_retry(command, event_id);
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
