// The review list: items open when something needs a person and close when it
// no longer does.
#include "core/decide/decider.hpp"
#include "core/order_snapshot.hpp"

namespace oncepay::core::decide {

void Decider::open_review(std::string_view reason, std::string_view subject,
                          const std::string& payment_no, std::string detail) {
  std::string id = review_item_id(reason, subject);
  if (s_.find_review(id) != nullptr) return;
  auto* opened = event().mutable_review_opened();
  opened->set_item_id(std::move(id));
  opened->set_reason(std::string(reason));
  opened->set_payment_no(payment_no);
  opened->set_detail(std::move(detail));
  emit();
}

void Decider::close_review(const std::string& item_id, std::string resolution,
                           const std::string& operator_name, const std::string& note) {
  if (s_.find_review(item_id) == nullptr) return;
  auto* closed = event().mutable_review_closed();
  closed->set_item_id(item_id);
  closed->set_resolution(std::move(resolution));
  closed->set_operator_(operator_name);
  closed->set_note(note);
  emit();
}

namespace {

bool is_recon_reason(std::string_view reason) { return reason.starts_with(kReviewReconPrefix); }

}  // namespace

void Decider::recon_review(const ReconReviewCommand& cmd) {
  if (s_.find(cmd.payment_no) == nullptr) {
    return reply(Code::kPaymentNotFound, "", "no payment " + cmd.payment_no + " in this order");
  }
  ONCEPAY_CHECK(is_recon_reason(cmd.reason));
  const std::string id =
      review_item_id(cmd.reason, recon_subject(cmd.payment_no, cmd.facts.refund_no));
  const std::string resolved = id + "|" + recon_fingerprint(cmd.facts);
  for (const auto& r : s_.resolved_reviews) {
    if (r == resolved) return reply(Code::kOk);  // an operator settled this very discrepancy
  }
  if (s_.find_review(id) == nullptr) {
    auto* opened = event().mutable_review_opened();
    opened->set_item_id(id);
    opened->set_reason(cmd.reason);
    opened->set_payment_no(cmd.payment_no);
    opened->set_detail(cmd.detail);
    *opened->mutable_recon() = to_proto(cmd.facts);
    emit();
  }
  reply(Code::kOk);
}

void Decider::recon_matched(const std::string& payment_no, const std::string& refund_no) {
  std::string subject(1, ':');
  subject.append(recon_subject(payment_no, refund_no));
  std::vector<std::string> ids;
  for (const auto& r : s_.reviews) {
    if (is_recon_reason(r.reason) && r.item_id.ends_with(subject) &&
        r.item_id.size() == r.reason.size() + subject.size()) {
      ids.push_back(r.item_id);
    }
  }
  for (const auto& id : ids) close_review(id, "reconciliation_matched");
  reply(Code::kOk);
}

void Decider::resolve(const ResolveCommand& cmd) {
  const ReviewState* found = s_.find_review(cmd.item_id);
  if (found == nullptr) {
    return reply(Code::kReviewItemNotFound, "", "no open review item " + cmd.item_id);
  }
  const ReviewState item = *found;  // events below change s_.reviews
  if (cmd.resolution == kResolutionDismiss) {
    close_review(item.item_id, cmd.resolution, cmd.operator_name, cmd.note);
    return reply(Code::kOk, item.payment_no);
  }
  if (!is_recon_reason(item.reason)) {
    return reply(Code::kResolutionNotApplicable, item.payment_no,
                 "only reconciliation items (recon_*) take " + cmd.resolution +
                     "; dismiss this one once it is handled");
  }
  if (cmd.resolution == kResolutionTrustPlatform) {
    auto* resolved = event().mutable_review_resolved();
    resolved->set_item_id(item.item_id);
    resolved->set_resolution(cmd.resolution);
    resolved->set_operator_(cmd.operator_name);
    resolved->set_note(cmd.note);
    emit();
    return reply(Code::kOk, item.payment_no);
  }
  ONCEPAY_CHECK(cmd.resolution == kResolutionTrustChannel);
  trust_channel(item, cmd);
}

// The channel's side of a reconciliation item, applied by the rules every
// channel result takes (docs/RECONCILIATION.md "Resolutions").
void Decider::trust_channel(const ReviewState& item, const ResolveCommand& cmd) {
  const ReconFacts& f = item.recon;
  AttemptState* attempt = s_.find(item.payment_no);
  const auto not_applicable = [&](const std::string& why) {
    reply(Code::kResolutionNotApplicable, item.payment_no, why);
  };
  if (attempt == nullptr || !f.channel_settled || !f.has_channel_amount) {
    return not_applicable(
        "the channel's statement shows no settled payment or refund here; oncepay does not "
        "un-pay an order: use trust_platform (and take it up with the channel) or dismiss");
  }
  channel_time_ms_ = f.channel_time_ms;
  const Reported reported{f.channel_amount_minor, f.channel_currency, "reconciliation"};
  if (f.refund_no.empty()) {
    success(*attempt, f.channel_trade_no, reported);
  } else if (RefundState* refund = s_.find_refund(f.refund_no); refund != nullptr) {
    if (refund->status != v1::Refund::PENDING) {
      return not_applicable("refund " + f.refund_no + " is already " +
                            std::string(v1::Refund::Status_Name(refund->status)) +
                            "; oncepay does not change a settled refund");
    }
    if (!reported.matches(refund->amount_minor, s_.currency)) {
      return not_applicable("the channel's refund amount differs from refund " + f.refund_no +
                            "'s; oncepay does not change a refund's amount");
    }
    refund_succeeded(*refund);
  } else {
    if (!is_paid(s_.status) || s_.paid_payment_no != item.payment_no) {
      return not_applicable("the channel's refund is of a payment that is not the order's");
    }
    if (!f.channel_currency.empty() && f.channel_currency != s_.currency) {
      return not_applicable("the channel's refund is in another currency");
    }
    const int64_t left = s_.amount_minor - s_.committed_refunds_minor();
    if (f.channel_amount_minor <= 0 || f.channel_amount_minor > left) {
      return reply(Code::kRefundExceedsPaid, item.payment_no,
                   "at most " + std::to_string(left) + " can still be refunded");
    }
    auto* requested = event().mutable_refund_requested();
    requested->set_refund_no(f.refund_no);
    requested->set_amount(f.channel_amount_minor);
    requested->set_reason("reconciliation: the channel's refund, trusted by " + cmd.operator_name);
    emit();
    refund_succeeded(*s_.find_refund(f.refund_no));
  }
  close_review(item.item_id, cmd.resolution, cmd.operator_name, cmd.note);
  reply(Code::kOk, item.payment_no);
}

}  // namespace oncepay::core::decide
