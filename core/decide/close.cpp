// The close flow: a merchant closes the order; a live attempt is closed at
// the channel first.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::close() {
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

void Decider::on_merchant_close(AttemptState& attempt, const ChannelReply& r) {
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

}  // namespace oncepay::core::decide
