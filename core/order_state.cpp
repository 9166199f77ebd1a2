#include "core/order_state.hpp"

#include <ctime>
#include <string>

namespace oncepay::core {

std::string_view to_string(Policy policy) {
  return policy == Policy::kStrict ? "strict" : "refund_duplicates";
}

bool parse_policy(std::string_view text, Policy* out) {
  if (text == "strict") {
    *out = Policy::kStrict;
  } else if (text == "refund_duplicates") {
    *out = Policy::kRefundDuplicates;
  } else {
    return false;
  }
  return true;
}

AttemptState* OrderState::find(std::string_view payment_no) {
  for (auto& attempt : attempts) {
    if (attempt.payment_no == payment_no) return &attempt;
  }
  return nullptr;
}

const AttemptState* OrderState::find(std::string_view payment_no) const {
  return const_cast<OrderState*>(this)->find(payment_no);
}

AttemptState* OrderState::live() {
  for (auto it = attempts.rbegin(); it != attempts.rend(); ++it) {
    if (it->open() && !it->superseded) return &*it;
  }
  return nullptr;
}

const AttemptState* OrderState::live() const { return const_cast<OrderState*>(this)->live(); }

bool OrderState::has_open_attempt() const {
  for (const auto& attempt : attempts) {
    if (attempt.open()) return true;
  }
  return false;
}

RefundState* OrderState::find_refund(std::string_view refund_no) {
  for (auto& refund : refunds) {
    if (refund.refund_no == refund_no) return &refund;
  }
  return nullptr;
}

const RefundState* OrderState::find_refund(std::string_view refund_no) const {
  return const_cast<OrderState*>(this)->find_refund(refund_no);
}

WebhookState* OrderState::find_webhook(std::string_view event_id) {
  for (auto& webhook : webhooks) {
    if (webhook.event_id == event_id) return &webhook;
  }
  return nullptr;
}

const WebhookState* OrderState::find_webhook(std::string_view event_id) const {
  return const_cast<OrderState*>(this)->find_webhook(event_id);
}

const ReviewState* OrderState::find_review(std::string_view item_id) const {
  for (const auto& review : reviews) {
    if (review.item_id == item_id) return &review;
  }
  return nullptr;
}

AppealState* OrderState::find_appeal(std::string_view appeal_id) {
  for (auto& appeal : appeals) {
    if (appeal.appeal_id == appeal_id) return &appeal;
  }
  return nullptr;
}

int64_t OrderState::committed_refunds_minor() const {
  int64_t sum = 0;
  for (const auto& refund : refunds) {
    if (refund.status != v1::Refund::FAILED) sum += refund.amount_minor;
  }
  return sum;
}

std::string format_time(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buffer, n);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(unix_ms % 1000));
  out += millis;
  return out;
}

v1::AttemptView attempt_view(const AttemptState& a) {
  v1::AttemptView view;
  view.set_payment_no(a.payment_no);
  view.set_attempt(a.number);
  view.set_channel(a.channel);
  view.set_status(a.status);
  view.set_created_at(format_time(a.created_ms));
  view.set_updated_at(format_time(a.updated_ms));
  if (!a.channel_trade_no.empty()) view.set_channel_trade_no(a.channel_trade_no);
  if (!a.prepay_id.empty() || !a.pay_url.empty() || !a.code_url.empty() || !a.qr_code.empty()) {
    view.mutable_prepay()->set_prepay_id(a.prepay_id);
    view.mutable_prepay()->set_pay_url(a.pay_url);
    view.mutable_prepay()->set_code_url(a.code_url);
    view.mutable_prepay()->set_qr_code(a.qr_code);
    for (const auto& p : a.pay_params) {
      auto* param = view.mutable_prepay()->add_pay_params();
      param->set_name(p.name);
      param->set_value(p.value);
    }
  }
  return view;
}

v1::OrderView order_view(const OrderState& s) {
  v1::OrderView view;
  view.set_merchant_order_no(s.merchant_order_no);
  view.set_status(s.status);
  view.set_amount(s.amount_minor);
  view.set_currency(s.currency);
  view.set_channel(s.channel);
  if (!s.subject.empty()) view.set_subject(s.subject);
  if (!s.paid_payment_no.empty()) view.set_paid_payment_no(s.paid_payment_no);
  view.set_refunded_amount(s.refunded_minor);
  view.set_created_at(format_time(s.created_ms));
  for (const auto& attempt : s.attempts) *view.add_attempts() = attempt_view(attempt);
  for (const auto& refund : s.refunds) *view.add_refunds() = refund_view(refund);
  for (const auto& entry : s.timeline) {
    auto* out = view.add_events();
    out->set_at(format_time(entry.at_ms));
    out->set_type(entry.type);
    if (!entry.payment_no.empty()) out->set_payment_no(entry.payment_no);
    if (!entry.detail.empty()) out->set_detail(entry.detail);
  }
  return view;
}

v1::RefundView refund_view(const RefundState& r) {
  v1::RefundView view;
  view.set_refund_no(r.refund_no);
  view.set_amount(r.amount_minor);
  view.set_status(r.status);
  if (!r.reason.empty()) view.set_reason(r.reason);
  view.set_created_at(format_time(r.created_ms));
  view.set_updated_at(format_time(r.updated_ms));
  return view;
}

v1::WebhookDeliveryView webhook_view(const WebhookState& w) {
  v1::WebhookDeliveryView view;
  view.set_event_id(w.event_id);
  view.set_type(w.type);
  view.set_status(w.status);
  view.set_attempts(w.attempts);
  view.set_last_status(w.last_status);
  view.set_created_at(format_time(w.created_ms));
  return view;
}

v1::ReviewItemView review_item_view(std::string_view merchant_id,
                                    std::string_view merchant_order_no, const ReviewState& item) {
  v1::ReviewItemView view;
  view.set_item_id(item.item_id);
  view.set_merchant_id(std::string(merchant_id));
  view.set_merchant_order_no(std::string(merchant_order_no));
  view.set_payment_no(item.payment_no);
  view.set_reason(item.reason);
  view.set_since(format_time(item.opened_ms));
  view.set_detail(item.detail);
  const ReconFacts& f = item.recon;
  if (f != ReconFacts{}) {
    auto* r = view.mutable_recon();
    r->set_reconciliation_id(f.reconciliation_id);
    r->set_line(f.line);
    r->set_refund_no(f.refund_no);
    r->set_channel_trade_no(f.channel_trade_no);
    if (f.has_channel_amount) r->set_channel_amount(f.channel_amount_minor);
    r->set_channel_currency(f.channel_currency);
    r->set_channel_status(f.channel_status);
    r->set_platform_amount(f.platform_amount_minor);
  }
  if (!item.resolution.empty()) {
    view.set_resolution(item.resolution);
    view.set_resolved_by(item.resolved_by);
  }
  return view;
}

v1::AdminOrderView admin_order_view(const OrderState& s) {
  v1::AdminOrderView view;
  view.set_merchant_id(s.merchant_id);
  *view.mutable_order() = order_view(s);
  for (const auto& webhook : s.webhooks) *view.add_webhooks() = webhook_view(webhook);
  for (const auto& item : s.reviews) {
    *view.add_reviews() = review_item_view(s.merchant_id, s.merchant_order_no, item);
  }
  for (const auto& appeal : s.appeals) *view.add_appeals() = appeal_view(appeal);
  return view;
}

v1::AppealView appeal_view(const AppealState& a) {
  v1::AppealView view;
  view.set_appeal_id(a.appeal_id);
  view.set_kind(a.kind);
  view.set_detail(a.detail);
  view.set_recorded_by(a.recorded_by);
  view.set_recorded_at(format_time(a.recorded_ms));
  view.set_status(a.closed ? "closed" : a.checked ? "open" : "interrupted");
  for (const auto& f : a.findings) {
    auto* out = view.add_findings();
    out->set_payment_no(f.payment_no);
    out->set_channel_state(f.channel_state);
    out->set_finding(f.finding);
    out->set_charged(f.charged);
  }
  view.set_summary(a.summary);
  if (a.closed) {
    view.set_closed_by(a.closed_by);
    view.set_resolution(a.resolution);
    view.set_closed_at(format_time(a.closed_ms));
  }
  return view;
}

v1::PaymentView payment_view(const OrderState& s, const AttemptState& a) {
  v1::PaymentView view;
  view.set_payment_no(a.payment_no);
  view.set_merchant_order_no(s.merchant_order_no);
  view.set_attempt(a.number);
  view.set_channel(a.channel);
  view.set_status(a.status);
  view.set_amount(s.amount_minor);
  view.set_currency(s.currency);
  view.set_created_at(format_time(a.created_ms));
  view.set_updated_at(format_time(a.updated_ms));
  if (!a.channel_trade_no.empty()) view.set_channel_trade_no(a.channel_trade_no);
  return view;
}

}  // namespace oncepay::core
