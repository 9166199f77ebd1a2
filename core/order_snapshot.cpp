#include "core/order_snapshot.hpp"

namespace oncepay::core {

namespace {

void to_proto(const AttemptState& a, v1::AttemptSnapshot* out) {
  out->set_payment_no(a.payment_no);
  out->set_number(a.number);
  out->set_channel(a.channel);
  out->set_status(a.status);
  out->set_created_ms(a.created_ms);
  out->set_updated_ms(a.updated_ms);
  out->set_channel_trade_no(a.channel_trade_no);
  out->set_prepay_id(a.prepay_id);
  out->set_pay_url(a.pay_url);
  out->set_code_url(a.code_url);
  out->set_qr_code(a.qr_code);
  for (const auto& p : a.pay_params) {
    auto* param = out->add_pay_params();
    param->set_name(p.name);
    param->set_value(p.value);
  }
  out->set_superseded(a.superseded);
  out->set_superseded_ms(a.superseded_ms);
  out->set_ladder(a.ladder);
  out->set_step(a.step);
  out->set_due_ms(a.due_ms);
  out->set_anchor_ms(a.anchor_ms);
  out->set_auto_refund_no(a.auto_refund_no);
  out->set_auto_refund_amount_minor(a.auto_refund_amount_minor);
  out->set_paid_ms(a.paid_ms);
}

AttemptState from_proto(const v1::AttemptSnapshot& a) {
  AttemptState out;
  out.payment_no = a.payment_no();
  out.number = a.number();
  out.channel = a.channel();
  out.status = a.status();
  out.created_ms = a.created_ms();
  out.updated_ms = a.updated_ms();
  out.channel_trade_no = a.channel_trade_no();
  out.prepay_id = a.prepay_id();
  out.pay_url = a.pay_url();
  out.code_url = a.code_url();
  out.qr_code = a.qr_code();
  for (const auto& p : a.pay_params()) out.pay_params.push_back(PayParam{p.name(), p.value()});
  out.superseded = a.superseded();
  out.superseded_ms = a.superseded_ms();
  out.ladder = a.ladder();
  out.step = a.step();
  out.due_ms = a.due_ms();
  out.anchor_ms = a.anchor_ms();
  out.auto_refund_no = a.auto_refund_no();
  out.auto_refund_amount_minor = a.auto_refund_amount_minor();
  out.paid_ms = a.paid_ms();
  return out;
}

void to_proto(const RefundState& r, v1::RefundSnapshot* out) {
  out->set_refund_no(r.refund_no);
  out->set_amount_minor(r.amount_minor);
  out->set_reason(r.reason);
  out->set_status(r.status);
  out->set_created_ms(r.created_ms);
  out->set_updated_ms(r.updated_ms);
  out->set_ladder(r.ladder);
  out->set_step(r.step);
  out->set_due_ms(r.due_ms);
  out->set_anchor_ms(r.anchor_ms);
  out->set_succeeded_ms(r.succeeded_ms);
}

RefundState from_proto(const v1::RefundSnapshot& p) {
  RefundState r;
  r.refund_no = p.refund_no();
  r.amount_minor = p.amount_minor();
  r.reason = p.reason();
  r.status = p.status();
  r.created_ms = p.created_ms();
  r.updated_ms = p.updated_ms();
  r.ladder = p.ladder();
  r.step = p.step();
  r.due_ms = p.due_ms();
  r.anchor_ms = p.anchor_ms();
  r.succeeded_ms = p.succeeded_ms();
  return r;
}

void to_proto(const WebhookState& w, v1::WebhookSnapshot* out) {
  out->set_event_id(w.event_id);
  out->set_type(w.type);
  out->set_created_ms(w.created_ms);
  out->set_status(w.status);
  out->set_attempts(w.attempts);
  out->set_last_status(w.last_status);
  out->set_ladder(w.ladder);
  out->set_step(w.step);
  out->set_due_ms(w.due_ms);
  out->set_anchor_ms(w.anchor_ms);
}

WebhookState from_proto(const v1::WebhookSnapshot& p) {
  WebhookState w;
  w.event_id = p.event_id();
  w.type = p.type();
  w.created_ms = p.created_ms();
  w.status = p.status();
  w.attempts = p.attempts();
  w.last_status = p.last_status();
  w.ladder = p.ladder();
  w.step = p.step();
  w.due_ms = p.due_ms();
  w.anchor_ms = p.anchor_ms();
  return w;
}

}  // namespace

v1::OrderSnapshot to_snapshot(const OrderState& s) {
  v1::OrderSnapshot out;
  out.set_merchant_id(s.merchant_id);
  out.set_merchant_order_no(s.merchant_order_no);
  out.set_status(s.status);
  out.set_amount_minor(s.amount_minor);
  out.set_currency(s.currency);
  out.set_channel(s.channel);
  out.set_subject(s.subject);
  out.set_notify_url(s.notify_url);
  out.set_created_ms(s.created_ms);
  out.set_paid_payment_no(s.paid_payment_no);
  out.set_refunded_minor(s.refunded_minor);
  for (const auto& attempt : s.attempts) to_proto(attempt, out.add_attempts());
  for (const auto& entry : s.timeline) {
    auto* e = out.add_timeline();
    e->set_at_ms(entry.at_ms);
    e->set_type(entry.type);
    e->set_payment_no(entry.payment_no);
    e->set_detail(entry.detail);
  }
  for (const auto& refund : s.refunds) to_proto(refund, out.add_refunds());
  for (const auto& webhook : s.webhooks) to_proto(webhook, out.add_webhooks());
  for (const auto& review : s.reviews) *out.add_reviews() = to_snapshot(review);
  out.set_expiry_due_ms(s.expiry_due_ms);
  for (const auto& key : s.seen_mismatches) out.add_seen_mismatches(key);
  for (const auto& key : s.resolved_reviews) out.add_resolved_reviews(key);
  for (const auto& appeal : s.appeals) {
    auto* a = out.add_appeals();
    a->set_appeal_id(appeal.appeal_id);
    a->set_kind(appeal.kind);
    a->set_detail(appeal.detail);
    a->set_recorded_by(appeal.recorded_by);
    a->set_recorded_ms(appeal.recorded_ms);
    for (const auto& f : appeal.findings) {
      auto* out_f = a->add_findings();
      out_f->set_payment_no(f.payment_no);
      out_f->set_channel_state(f.channel_state);
      out_f->set_finding(f.finding);
      out_f->set_charged(f.charged);
    }
    a->set_checked(appeal.checked);
    a->set_summary(appeal.summary);
    a->set_closed(appeal.closed);
    a->set_closed_by(appeal.closed_by);
    a->set_resolution(appeal.resolution);
    a->set_closed_ms(appeal.closed_ms);
  }
  return out;
}

OrderState from_snapshot(const v1::OrderSnapshot& p) {
  OrderState s;
  s.merchant_id = p.merchant_id();
  s.merchant_order_no = p.merchant_order_no();
  s.status = p.status();
  s.amount_minor = p.amount_minor();
  s.currency = p.currency();
  s.channel = p.channel();
  s.subject = p.subject();
  s.notify_url = p.notify_url();
  s.created_ms = p.created_ms();
  s.paid_payment_no = p.paid_payment_no();
  s.refunded_minor = p.refunded_minor();
  s.attempts.reserve(static_cast<size_t>(p.attempts_size()));
  for (const auto& a : p.attempts()) s.attempts.push_back(from_proto(a));
  s.timeline.reserve(static_cast<size_t>(p.timeline_size()));
  for (const auto& e : p.timeline()) {
    s.timeline.push_back({e.at_ms(), e.type(), e.payment_no(), e.detail()});
  }
  for (const auto& r : p.refunds()) s.refunds.push_back(from_proto(r));
  for (const auto& w : p.webhooks()) s.webhooks.push_back(from_proto(w));
  for (const auto& r : p.reviews()) s.reviews.push_back(from_snapshot(r));
  s.expiry_due_ms = p.expiry_due_ms();
  s.seen_mismatches.assign(p.seen_mismatches().begin(), p.seen_mismatches().end());
  s.resolved_reviews.assign(p.resolved_reviews().begin(), p.resolved_reviews().end());
  for (const auto& a : p.appeals()) {
    AppealState appeal;
    appeal.appeal_id = a.appeal_id();
    appeal.kind = a.kind();
    appeal.detail = a.detail();
    appeal.recorded_by = a.recorded_by();
    appeal.recorded_ms = a.recorded_ms();
    for (const auto& f : a.findings()) {
      appeal.findings.push_back({f.payment_no(), f.channel_state(), f.finding(), f.charged()});
    }
    appeal.checked = a.checked();
    appeal.summary = a.summary();
    appeal.closed = a.closed();
    appeal.closed_by = a.closed_by();
    appeal.resolution = a.resolution();
    appeal.closed_ms = a.closed_ms();
    s.appeals.push_back(std::move(appeal));
  }
  return s;
}

v1::ReviewSnapshot to_snapshot(const ReviewState& review) {
  v1::ReviewSnapshot out;
  out.set_item_id(review.item_id);
  out.set_reason(review.reason);
  out.set_payment_no(review.payment_no);
  out.set_detail(review.detail);
  out.set_opened_ms(review.opened_ms);
  if (review.recon != ReconFacts{}) *out.mutable_recon() = to_proto(review.recon);
  out.set_resolution(review.resolution);
  out.set_resolved_by(review.resolved_by);
  return out;
}

ReviewState from_snapshot(const v1::ReviewSnapshot& p) {
  ReviewState r{p.item_id(), p.reason(), p.payment_no(), p.detail(), p.opened_ms()};
  r.recon = from_proto(p.recon());
  r.resolution = p.resolution();
  r.resolved_by = p.resolved_by();
  return r;
}

v1::ReconFacts to_proto(const ReconFacts& f) {
  v1::ReconFacts out;
  out.set_reconciliation_id(f.reconciliation_id);
  out.set_line(f.line);
  out.set_refund_no(f.refund_no);
  out.set_channel_trade_no(f.channel_trade_no);
  out.set_has_channel_amount(f.has_channel_amount);
  out.set_channel_amount(f.channel_amount_minor);
  out.set_channel_currency(f.channel_currency);
  out.set_channel_status(f.channel_status);
  out.set_channel_settled(f.channel_settled);
  out.set_channel_time_ms(f.channel_time_ms);
  out.set_platform_amount(f.platform_amount_minor);
  return out;
}

ReconFacts from_proto(const v1::ReconFacts& p) {
  ReconFacts f;
  f.reconciliation_id = p.reconciliation_id();
  f.line = p.line();
  f.refund_no = p.refund_no();
  f.channel_trade_no = p.channel_trade_no();
  f.has_channel_amount = p.has_channel_amount();
  f.channel_amount_minor = p.channel_amount();
  f.channel_currency = p.channel_currency();
  f.channel_status = p.channel_status();
  f.channel_settled = p.channel_settled();
  f.channel_time_ms = p.channel_time_ms();
  f.platform_amount_minor = p.platform_amount();
  return f;
}

}  // namespace oncepay::core
