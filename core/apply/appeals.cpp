// Payer appeals (core/order_decide.hpp decide_appeal): recorded, one finding
// per attempt checked at the channel, then the summary, which the appeal's
// review item (opened by its own ReviewOpened) shows from then on.
#include "core/apply/apply.hpp"

namespace oncepay::core::apply_event {

namespace {

AppealState& appeal_of(OrderState& s, const std::string& appeal_id) {
  AppealState* appeal = s.find_appeal(appeal_id);
  ONCEPAY_CHECK((appeal != nullptr) && "event for an appeal the order does not have");
  return *appeal;
}

}  // namespace

void appeal_recorded(OrderState& s, const v1::Event& e) {
  const auto& x = e.appeal_recorded();
  ONCEPAY_CHECK(s.find_appeal(x.appeal_id()) == nullptr);
  AppealState appeal;
  appeal.appeal_id = x.appeal_id();
  appeal.kind = x.kind();
  appeal.detail = x.detail();
  appeal.recorded_by = x.operator_();
  appeal.recorded_ms = e.at_ms();
  s.appeals.push_back(std::move(appeal));
  note(s, e.at_ms(), "appeal.recorded", {}, x.kind() + " by " + x.operator_() + ": " + x.detail());
}

void appeal_finding(OrderState& s, const v1::Event& e) {
  const auto& x = e.appeal_finding();
  ONCEPAY_CHECK(s.find(x.payment_no()) != nullptr);
  appeal_of(s, x.appeal_id())
      .findings.push_back({x.payment_no(), x.channel_state(), x.finding(), x.charged()});
  note(s, e.at_ms(), "appeal.finding", x.payment_no(), x.channel_state() + ": " + x.finding());
}

void appeal_checked(OrderState& s, const v1::Event& e) {
  const auto& x = e.appeal_checked();
  AppealState& appeal = appeal_of(s, x.appeal_id());
  appeal.checked = true;
  appeal.summary = x.summary();
  for (auto& item : s.reviews) {
    if (item.item_id == x.appeal_id()) item.detail = appeal.kind + ": " + x.summary();
  }
  note(s, e.at_ms(), "appeal.checked", {}, x.summary());
}

}  // namespace oncepay::core::apply_event
