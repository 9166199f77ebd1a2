// Payer appeals (order_decide.hpp decide_appeal): record the appeal, open its
// review item, then ask the channel about every attempt in turn, apply each
// answer by the order's own rules and say what it showed.
#include <algorithm>

#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

namespace {

std::string label(const AttemptState& attempt) {
  return "attempt " + std::to_string(attempt.number) + " (" + attempt.payment_no + ")";
}

bool charged(const ChannelReply& r) {
  return r.outcome == ChannelOutcome::kOk &&
         (r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund);
}

std::string channel_state(const ChannelReply& r) {
  if (r.outcome == ChannelOutcome::kOk) return std::string(to_string(r.state));
  if (r.outcome == ChannelOutcome::kNotFound) return "not_found";
  return "no_answer";
}

}  // namespace

void Decider::appeal(const AppealCommand& cmd) {
  ONCEPAY_CHECK(!cmd.operator_name.empty());
  ONCEPAY_CHECK(std::find(kAppealKinds.begin(), kAppealKinds.end(), cmd.kind) !=
                kAppealKinds.end());
  const auto open = static_cast<size_t>(std::count_if(
      s_.appeals.begin(), s_.appeals.end(), [](const AppealState& a) { return !a.closed; }));
  if (open >= kMaxOpenAppealsPerOrder) {
    return reply(Code::kAppealLimit, "",
                 "the order has " + std::to_string(open) +
                     " open appeals: close one (its review item) before recording another");
  }
  if (s_.appeals.size() >= kMaxAppealsPerOrder) {
    return reply(Code::kAppealLimit, "",
                 "the order holds " + std::to_string(kMaxAppealsPerOrder) +
                     " appeals, the most one order keeps: use query now for an open attempt");
  }
  if (s_.attempts.empty()) {  // an opened order always has one; kept for safety
    return reply(Code::kNoOpenAttempt, "", "the order has no payment attempt to check");
  }
  std::string subject = s_.attempts[0].payment_no;
  subject.append(":");
  subject.append(std::to_string(s_.appeals.size() + 1));
  const std::string id = review_item_id(kReviewAppeal, subject);
  act_for("appeal", OperatorCommand{cmd.operator_name, cmd.detail}, id);
  auto* recorded = event().mutable_appeal_recorded();
  recorded->set_appeal_id(id);
  recorded->set_kind(cmd.kind);
  recorded->set_detail(cmd.detail);
  recorded->set_operator_(cmd.operator_name);
  emit();
  std::string about = s_.paid_payment_no;
  if (about.empty()) about = s_.attempts.back().payment_no;
  open_review(kReviewAppeal, subject, about,
              cmd.kind + ": " + cmd.detail + " (not checked at the channel yet)");
  check_appeal(id, 0);
}

// Asks the channel about attempt `index`, or, past the last, sums up.
void Decider::check_appeal(const std::string& appeal_id, size_t index) {
  if (index < s_.attempts.size()) {
    const AttemptState& attempt = s_.attempts[index];
    Flow flow{Stage::kAppealQuery, attempt.payment_no};
    flow.step = checked_cast<int32_t>(index);
    flow.appeal_id = appeal_id;
    return call(ChannelOp::kQuery, attempt, std::move(flow));
  }
  AppealState* appeal = s_.find_appeal(appeal_id);
  ONCEPAY_CHECK(appeal != nullptr);
  std::vector<std::string> charges;
  size_t unanswered = 0;
  for (const auto& f : appeal->findings) {
    if (f.charged) charges.push_back(f.finding);
    if (f.channel_state == "no_answer") ++unanswered;
  }
  const size_t answered = s_.attempts.size() - unanswered;
  std::string summary;
  if (!charges.empty()) {
    summary = std::to_string(charges.size()) +
              (charges.size() == 1 ? " charge at the channel: " : " charges at the channel: ");
    for (size_t i = 0; i < charges.size(); ++i) {
      if (i > 0) summary += "; ";
      summary += charges[i];
    }
    if (charges.size() == 1 && unanswered == 0 && appeal->kind == "charged_twice") {
      summary += "; no second charge at the channel";
    }
  } else if (unanswered == 0) {
    summary = "no charge at the channel on any of the " + std::to_string(s_.attempts.size()) +
              " attempts";
  } else if (answered > 0) {
    summary = "no charge on the " + std::to_string(answered) + " of " +
              std::to_string(s_.attempts.size()) + " attempts the channel answered for";
  }
  if (unanswered > 0) {
    if (!summary.empty()) summary += "; ";
    summary += std::to_string(unanswered) + (unanswered == 1 ? " attempt" : " attempts") +
               " could not be asked: whether the payer was charged there is unknown, query "
               "again later";
  }
  auto* checked = event().mutable_appeal_checked();
  checked->set_appeal_id(appeal_id);
  checked->set_summary(std::move(summary));
  emit();
  reply(Code::kCreated, s_.paid_payment_no, "appeal " + appeal_id + " recorded and checked");
}

void Decider::on_appeal_query(AttemptState& attempt, const Flow& flow, const ChannelReply& r) {
  const bool paid_before = is_paid(s_.status);
  const AttemptStatus before = attempt.status;
  // A success on any attempt is applied (a final one's is refunded
  // automatically); the rest as an operator's query: only an open attempt
  // can still change.
  if (charged(r)) {
    success(attempt, r.channel_trade_no, reported_by(r, "query"));
  } else if (attempt.open() && r.outcome == ChannelOutcome::kOk) {
    if (r.state == ChannelPayState::kClosed) closed(attempt, "closed at the channel");
    if (r.state == ChannelPayState::kPayError) fail(attempt, "the payer's payment failed");
  } else if (attempt.open() && r.outcome == ChannelOutcome::kNotFound) {
    fail(attempt, "the channel never saw this payment");
  }
  std::string finding = label(attempt);
  if (charged(r)) {
    if (s_.paid_payment_no == attempt.payment_no) {
      finding += paid_before ? " is the order's payment"
                             : " was paid at the channel and oncepay had not learned it: the "
                               "order is PAID now";
      if (!paid_before && !s_.notify_url.empty()) finding += " and the merchant is notified";
      if (r.state == ChannelPayState::kRefund) finding += " (the channel shows refunds on it)";
    } else if (attempt.status == v1::Attempt::AUTO_REFUNDED ||
               attempt.status == v1::Attempt::AUTO_REFUNDING) {
      const std::string refund = " (" + attempt.auto_refund_no + ")";
      finding += s_.paid_payment_no.empty()
                     ? " was paid at the channel although it no longer counted (the order is " +
                           std::string(v1::Order::Status_Name(s_.status)) + ")"
                     : " was also paid";
      if (attempt.status == v1::Attempt::AUTO_REFUNDED) {
        finding += " and has been refunded automatically" + refund;
      } else if (before == v1::Attempt::AUTO_REFUNDING) {
        finding += "; its automatic refund" + refund + " is under way";
      } else {
        finding +=
            " and oncepay had not learned it: it is being refunded automatically now" + refund;
      }
    } else {
      finding +=
          " shows a payment oncepay cannot count (another amount or currency): see its "
          "amount_mismatch review item";
    }
  } else if (r.outcome == ChannelOutcome::kOk) {
    if (r.state == ChannelPayState::kNotPay) {
      finding += attempt.open() ? ": not paid at the channel (still open: the payer may pay)"
                                : ": not paid at the channel";
    } else if (r.state == ChannelPayState::kClosed) {
      finding += ": closed at the channel, no charge";
    } else {
      finding += ": the payment failed at the channel, no charge";
    }
  } else if (r.outcome == ChannelOutcome::kNotFound) {
    finding += ": the channel has no record of it, no charge";
  } else {
    finding += ": the channel did not answer (" + std::string(to_string(r.outcome)) +
               (r.detail.empty() ? "" : ": " + r.detail) + "); query it again later";
  }
  auto* found = event().mutable_appeal_finding();
  found->set_appeal_id(flow.appeal_id);
  found->set_payment_no(attempt.payment_no);
  found->set_channel_state(channel_state(r));
  found->set_finding(std::move(finding));
  found->set_charged(charged(r));
  emit();
  check_appeal(flow.appeal_id, checked_cast<size_t>(flow.step) + 1);
}

}  // namespace oncepay::core::decide
