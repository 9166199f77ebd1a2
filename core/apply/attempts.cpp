// Attempt events: an attempt's life from creation to its final status.
#include "core/apply/apply.hpp"

namespace oncepay::core::apply_event {

namespace {

void set_status(AttemptState& attempt, AttemptStatus status, int64_t at_ms) {
  attempt.status = status;
  attempt.updated_ms = at_ms;
}

// An attempt that reached a final status needs no timer any more.
void disarm(AttemptState& attempt) {
  attempt.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  attempt.step = 0;
  attempt.due_ms = 0;
  attempt.anchor_ms = 0;
}

}  // namespace

void attempt_created(OrderState& s, const v1::Event& e) {
  const auto& x = e.attempt_created();
  ONCEPAY_CHECK(s.find(x.payment_no()) == nullptr);
  AttemptState attempt;
  attempt.payment_no = x.payment_no();
  attempt.number = x.attempt();
  attempt.channel = x.channel();
  attempt.created_ms = attempt.updated_ms = e.at_ms();
  s.attempts.push_back(std::move(attempt));
  note(s, e.at_ms(), "attempt.created", x.payment_no(), "attempt " + std::to_string(x.attempt()));
}

void prepay_accepted(OrderState& s, const v1::Event& e) {
  const auto& x = e.prepay_accepted();
  auto& attempt = attempt_of(s, x.payment_no());
  attempt.prepay_id = x.prepay().prepay_id();
  attempt.pay_url = x.prepay().pay_url();
  attempt.code_url = x.prepay().code_url();
  attempt.qr_code = x.prepay().qr_code();
  attempt.pay_params.clear();
  for (const auto& p : x.prepay().pay_params()) {
    attempt.pay_params.push_back(PayParam{p.name(), p.value()});
  }
  attempt.updated_ms = e.at_ms();
  note(s, e.at_ms(), "prepay.accepted", x.payment_no());
}

void prepay_unknown(OrderState& s, const v1::Event& e) {
  const auto& x = e.prepay_unknown();
  set_status(attempt_of(s, x.payment_no()), v1::Attempt::UNKNOWN, e.at_ms());
  note(s, e.at_ms(), "prepay.unknown", x.payment_no(), x.reason());
}

void attempt_failed(OrderState& s, const v1::Event& e) {
  const auto& x = e.attempt_failed();
  auto& attempt = attempt_of(s, x.payment_no());
  set_status(attempt, v1::Attempt::FAILED, e.at_ms());
  disarm(attempt);
  note(s, e.at_ms(), "attempt.failed", x.payment_no(), x.reason());
}

void attempt_succeeded(OrderState& s, const v1::Event& e) {
  const auto& x = e.attempt_succeeded();
  auto& attempt = attempt_of(s, x.payment_no());
  set_status(attempt, v1::Attempt::SUCCESS, e.at_ms());
  attempt.channel_trade_no = x.channel_trade_no();
  attempt.paid_ms = x.channel_time_ms() > 0 ? x.channel_time_ms() : e.at_ms();
  disarm(attempt);
  s.status = v1::Order::PAID;
  s.paid_payment_no = x.payment_no();
  note(s, e.at_ms(), "order.paid", x.payment_no(), "via " + x.source());
}

void attempt_closed(OrderState& s, const v1::Event& e) {
  const auto& x = e.attempt_closed();
  set_status(attempt_of(s, x.payment_no()), v1::Attempt::CLOSED, e.at_ms());
  note(s, e.at_ms(), "attempt.closed", x.payment_no(), x.reason());
}

void attempt_expired(OrderState& s, const v1::Event& e) {
  const auto& x = e.attempt_expired();
  auto& attempt = attempt_of(s, x.payment_no());
  set_status(attempt, v1::Attempt::EXPIRED, e.at_ms());
  disarm(attempt);
  note(s, e.at_ms(), "attempt.expired", x.payment_no(),
       x.unconfirmed() ? "the channel never confirmed the outcome" : "");
}

void attempt_superseded(OrderState& s, const v1::Event& e) {
  const auto& x = e.attempt_superseded();
  auto& attempt = attempt_of(s, x.payment_no());
  attempt.superseded = true;
  attempt.superseded_ms = e.at_ms();
  attempt.updated_ms = e.at_ms();
  note(s, e.at_ms(), "attempt.superseded", x.payment_no(),
       x.by_payment_no().empty() ? std::string("order paid") : "by " + x.by_payment_no());
}

void auto_refund_started(OrderState& s, const v1::Event& e) {
  const auto& x = e.auto_refund_started();
  auto& attempt = attempt_of(s, x.payment_no());
  set_status(attempt, v1::Attempt::AUTO_REFUNDING, e.at_ms());
  attempt.auto_refund_no = x.refund_no();
  attempt.auto_refund_amount_minor = x.amount();
  if (attempt.paid_ms == 0)
    attempt.paid_ms = x.channel_time_ms() > 0 ? x.channel_time_ms() : e.at_ms();
  if (!x.channel_trade_no().empty()) attempt.channel_trade_no = x.channel_trade_no();
  disarm(attempt);
  note(s, e.at_ms(), "auto_refund.started", x.payment_no(), x.why());
}

void auto_refund_succeeded(OrderState& s, const v1::Event& e) {
  const auto& x = e.auto_refund_succeeded();
  auto& attempt = attempt_of(s, x.payment_no());
  set_status(attempt, v1::Attempt::AUTO_REFUNDED, e.at_ms());
  disarm(attempt);
  note(s, e.at_ms(), "auto_refund.succeeded", x.payment_no(), x.refund_no());
}

}  // namespace oncepay::core::apply_event
