// Review items opening and closing, and the channel mismatches that open them.
#include <algorithm>

#include "core/apply/apply.hpp"
#include "core/order_snapshot.hpp"

namespace oncepay::core {

std::string mismatch_key(const v1::ChannelMismatch& m) {
  return m.payment_no() + "|" + m.refund_no() + "|" + std::to_string(m.reported_amount()) + "|" +
         m.reported_currency() + "|" + m.source();
}

std::string recon_fingerprint(const ReconFacts& f) {
  return f.refund_no + "|" + (f.has_channel_amount ? std::to_string(f.channel_amount_minor) : "-") +
         "|" + f.channel_currency + "|" + f.channel_status + "|" + (f.channel_settled ? "1" : "0");
}

}  // namespace oncepay::core

namespace oncepay::core::apply_event {

void channel_mismatch(OrderState& s, const v1::Event& e) {
  const auto& x = e.channel_mismatch();
  std::string what = x.refund_no().empty() ? "a success" : "refund " + x.refund_no();
  note(s, e.at_ms(), "channel.mismatch", x.payment_no(),
       "the channel reported " + what + " of " + std::to_string(x.reported_amount()) + " " +
           x.reported_currency() + ", expected " + std::to_string(x.expected_amount()) + " " +
           x.expected_currency() + " (via " + x.source() + ")");
  s.seen_mismatches.push_back(mismatch_key(x));
}

void review_opened(OrderState& s, const v1::Event& e) {
  const auto& x = e.review_opened();
  ONCEPAY_CHECK(s.find_review(x.item_id()) == nullptr);
  ReviewState item{x.item_id(), x.reason(), x.payment_no(), x.detail(), e.at_ms()};
  if (x.has_recon()) item.recon = from_proto(x.recon());
  s.reviews.push_back(std::move(item));
  note(s, e.at_ms(), "review.opened", x.payment_no(), x.reason() + ": " + x.detail());
}

void review_resolved(OrderState& s, const v1::Event& e) {
  const auto& x = e.review_resolved();
  auto it = std::find_if(s.reviews.begin(), s.reviews.end(),
                         [&](const ReviewState& r) { return r.item_id == x.item_id(); });
  ONCEPAY_CHECK((it != s.reviews.end()) && "resolving a review item the order does not have");
  it->resolution = x.resolution();
  it->resolved_by = x.operator_();
  note(s, e.at_ms(), "review.resolved", it->payment_no,
       it->reason + ": " + x.resolution() + " by " + x.operator_() + ": " + x.note());
}

void review_closed(OrderState& s, const v1::Event& e) {
  const auto& x = e.review_closed();
  auto it = std::find_if(s.reviews.begin(), s.reviews.end(),
                         [&](const ReviewState& r) { return r.item_id == x.item_id(); });
  ONCEPAY_CHECK((it != s.reviews.end()) && "closing a review item the order does not have");
  std::string payment_no = it->payment_no;
  std::string reason = it->reason;
  if (!x.operator_().empty() && it->recon != ReconFacts{}) {
    s.resolved_reviews.push_back(it->item_id + "|" + recon_fingerprint(it->recon));
  }
  if (AppealState* appeal = s.find_appeal(it->item_id); appeal != nullptr) {
    appeal->closed = true;
    appeal->closed_by = x.operator_();
    appeal->resolution = x.note();
    appeal->closed_ms = e.at_ms();
  }
  s.reviews.erase(it);
  std::string detail = reason + ": " + x.resolution();
  if (!x.operator_().empty()) detail += " by " + x.operator_() + ": " + x.note();
  note(s, e.at_ms(), "review.closed", std::move(payment_no), std::move(detail));
}

// The order's state changes by the events the action caused, not by this one.
void operator_action(OrderState& s, const v1::Event& e) {
  const auto& x = e.operator_action();
  ONCEPAY_CHECK(!x.action().empty() && !x.operator_().empty());
  std::string detail = x.action();
  if (!x.target().empty()) detail += " " + x.target();
  detail += " by " + x.operator_() + ": " + x.reason();
  const std::string payment_no = x.action() == "query" ? x.target() : std::string();
  note(s, e.at_ms(), "operator.action", payment_no, std::move(detail));
}

}  // namespace oncepay::core::apply_event
