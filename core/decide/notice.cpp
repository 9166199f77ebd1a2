// Channel notifications, and results that do not match the attempt or refund
// they name (mismatches, and the query that verifies a notified success).
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::notice(const ChannelNotice& n) {
  AttemptState* attempt = s_.find(n.payment_no);
  if (attempt == nullptr || attempt->channel != n.channel) {
    // Another channel's payment, or none of ours: whoever signs for one
    // channel cannot settle another's payments.
    return reply(Code::kPaymentNotFound, "",
                 "no payment " + n.payment_no + " of channel " + n.channel);
  }
  const Reported reported{n.amount_minor, n.currency, n.source.empty() ? "notify" : n.source};
  channel_time_ms_ = n.channel_time_ms;
  switch (n.kind) {
    case ChannelNotice::Kind::kSuccess:
      if (confirms(*attempt, reported)) {
        // Answered once the channel's record has decided (on_confirm_query).
        return call(ChannelOp::kQuery, *attempt, Flow{Stage::kConfirmQuery, attempt->payment_no});
      }
      success(*attempt, n.channel_trade_no, reported);
      break;
    case ChannelNotice::Kind::kPayError:
      notice_pay_error(*attempt);
      break;
    case ChannelNotice::Kind::kRefundSuccess:
      notice_refund_success(*attempt, n, reported);
      break;
    case ChannelNotice::Kind::kRefundFailed:
      notice_refund_failed(n);
      break;
  }
  reply(Code::kOk);
}

// With payment.confirm-notified-success a matching notified success is only
// a reason to ask the channel's own record; a mismatching one takes the
// mismatch path either way, and a success already recorded needs no query.
bool Decider::confirms(const AttemptState& attempt, const Reported& reported) const {
  return config().confirm_notified_success && reported.source == "notify" &&
         reported.matches(s_.amount_minor, s_.currency) && !success_recorded(attempt);
}

// The channel's record after a notified success (confirm mode): a success
// there is applied like any (kept or refunded), and the notification is
// acknowledged; a record without one refutes it (acknowledged, nothing
// applied: the notification was not the channel's); no answer is 503, so
// the channel sends the notification again later.
void Decider::on_confirm_query(AttemptState& attempt, const ChannelReply& r) {
  if (r.outcome == ChannelOutcome::kOk &&
      (r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund)) {
    success(attempt, r.channel_trade_no, reported_by(r, "query"));
    return reply(Code::kOk);
  }
  if (r.outcome == ChannelOutcome::kOk || r.outcome == ChannelOutcome::kNotFound) {
    return reply(Code::kOk);
  }
  reply(Code::kPaymentStatusUnknown, attempt.payment_no,
        "the channel's record could not be read to confirm the notification; send it again");
}

void Decider::notice_pay_error(AttemptState& attempt) {
  if (attempt.open()) return fail(attempt, "the payer's payment failed");
  close_review(review_item_id(kReviewUnknownUnresolved, attempt.payment_no),
               "the channel reported the payment failed");
}

// A refund success settles the attempt's automatic refund or a pending
// merchant refund, only with that refund's amount and currency.
void Decider::notice_refund_success(AttemptState& attempt, const ChannelNotice& n,
                                    const Reported& reported) {
  const bool automatic = !attempt.auto_refund_no.empty() && n.refund_no == attempt.auto_refund_no;
  if (automatic) {
    if (!reported.matches(auto_refund_amount(attempt), s_.currency)) {
      return refund_mismatch(attempt, n.refund_no, auto_refund_amount(attempt), reported);
    }
    if (attempt.status == v1::Attempt::AUTO_REFUNDING) auto_refunded(attempt);
    return;
  }
  RefundState* refund = s_.find_refund(n.refund_no);
  if (refund == nullptr) return;
  // Checked whatever the refund's state: a settled refund reported with
  // another amount is as much a mismatch as a pending one.
  if (!reported.matches(refund->amount_minor, s_.currency)) {
    return refund_mismatch(attempt, n.refund_no, refund->amount_minor, reported);
  }
  if (refund->status == v1::Refund::PENDING) refund_succeeded(*refund);
}

// Only a merchant refund fails on a notification: an automatic refund's
// retry timer keeps asking.
void Decider::notice_refund_failed(const ChannelNotice& n) {
  RefundState* refund = s_.find_refund(n.refund_no);
  if (refund == nullptr || refund->status != v1::Refund::PENDING) return;
  refund_failed(*refund, "the channel reported the refund failed");
}

// The channel's record of a payment whose notification reported another
// amount: a success there is decided by what the record says (kept when it
// matches, refunded when not). Anything else (unpaid, closed, no answer)
// decides nothing now: the attempt's own ladder keeps asking, and the
// review item stays.
void Decider::on_verify_query(AttemptState& attempt, const ChannelReply& r) {
  if (r.outcome == ChannelOutcome::kOk &&
      (r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund)) {
    return success(attempt, r.channel_trade_no, reported_by(r, "query"));
  }
}

int64_t Decider::auto_refund_amount(const AttemptState& attempt) const {
  return attempt.auto_refund_amount_minor > 0 ? attempt.auto_refund_amount_minor : s_.amount_minor;
}

std::string Decider::describe(int64_t amount_minor, const std::string& currency) const {
  return std::to_string(amount_minor) + " " + (currency.empty() ? s_.currency : currency);
}

bool Decider::record_mismatch(const AttemptState& attempt, const std::string& refund_no,
                              int64_t expected_minor, const Reported& reported,
                              const std::string& trade_no) {
  v1::ChannelMismatch probe;
  probe.set_payment_no(attempt.payment_no);
  probe.set_refund_no(refund_no);
  probe.set_reported_amount(reported.amount_minor.value_or(expected_minor));
  probe.set_reported_currency(reported.currency.empty() ? s_.currency : reported.currency);
  probe.set_source(reported.source);
  const std::string key = mismatch_key(probe);
  for (const auto& seen : s_.seen_mismatches) {
    if (seen == key) return false;  // this very result was recorded: a repeat
  }
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
  return true;
}

std::string Decider::mismatch_detail(const std::string& what, int64_t expected_minor,
                                     const Reported& reported) const {
  return "the channel reported " + what + " of " +
         describe(reported.amount_minor.value_or(expected_minor), reported.currency) +
         ", expected " + describe(expected_minor, s_.currency) + " (via " + reported.source + ")";
}

// A refund result of another amount or currency than the refund's: the
// refund stays as it was and a person looks at it.
void Decider::refund_mismatch(const AttemptState& attempt, const std::string& refund_no,
                              int64_t expected_minor, const Reported& reported) {
  const std::string subject = attempt.payment_no + ":" + refund_no;
  if (!record_mismatch(attempt, refund_no, expected_minor, reported, "")) return;
  // One review item per refund, however many different reports it gets.
  open_review(kReviewAmountMismatch, subject, attempt.payment_no,
              mismatch_detail("refund " + refund_no, expected_minor, reported));
}

// A success of another amount or currency than the attempt's: never kept
// as reported, and a person reviews it. From a notification, the channel's
// record is asked first (on_verify_query); from the record itself (a query
// or close answer), the amount it holds is refunded automatically. A
// record that holds no money (amount 0) refunds nothing.
void Decider::mismatched_success(AttemptState& attempt, const std::string& trade_no,
                                 const Reported& reported) {
  std::string detail = mismatch_detail("a success", s_.amount_minor, reported);
  // Every different report is recorded (and counted); one review item per
  // attempt holds them.
  const bool repeat = !record_mismatch(attempt, "", s_.amount_minor, reported, trade_no);
  open_review(kReviewAmountMismatch, attempt.payment_no, attempt.payment_no, detail);
  if (reported.source == "notify") {
    // A notification is a message about the payment, not its record: the
    // channel's own record (a query) decides what moved. A repeat of a
    // report already being checked asks nothing more.
    if (repeat || success_recorded(attempt)) return;
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

}  // namespace oncepay::core::decide
