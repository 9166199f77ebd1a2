// Review items opening and closing, and the channel mismatches that open them.
#include <algorithm>

#include "core/apply/apply.hpp"

namespace oncepay::core {

std::string mismatch_key(const v1::ChannelMismatch& m) {
  return m.payment_no() + "|" + m.refund_no() + "|" + std::to_string(m.reported_amount()) + "|" +
         m.reported_currency() + "|" + m.source();
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
  s.reviews.push_back({x.item_id(), x.reason(), x.payment_no(), x.detail(), e.at_ms()});
  note(s, e.at_ms(), "review.opened", x.payment_no(), x.reason() + ": " + x.detail());
}

void review_closed(OrderState& s, const v1::Event& e) {
  const auto& x = e.review_closed();
  auto it = std::find_if(s.reviews.begin(), s.reviews.end(),
                         [&](const ReviewState& r) { return r.item_id == x.item_id(); });
  ONCEPAY_CHECK((it != s.reviews.end()) && "closing a review item the order does not have");
  std::string payment_no = it->payment_no;
  std::string reason = it->reason;
  s.reviews.erase(it);
  note(s, e.at_ms(), "review.closed", std::move(payment_no), reason + ": " + x.resolution());
}

}  // namespace oncepay::core::apply_event
