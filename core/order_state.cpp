#include "core/order_state.hpp"

#include <algorithm>
#include <ctime>
#include <string>

#include "core/check.hpp"

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

int64_t OrderState::committed_refunds_minor() const {
  int64_t sum = 0;
  for (const auto& refund : refunds) {
    if (refund.status != v1::Refund::FAILED) sum += refund.amount_minor;
  }
  return sum;
}

namespace {

RefundState& refund_of(OrderState& state, const std::string& refund_no) {
  RefundState* refund = state.find_refund(refund_no);
  ONCEPAY_CHECK((refund != nullptr) && "event for a refund the order does not have");
  return *refund;
}

WebhookState& webhook_of(OrderState& state, const std::string& event_id) {
  WebhookState* webhook = state.find_webhook(event_id);
  ONCEPAY_CHECK((webhook != nullptr) && "event for a webhook the order does not have");
  return *webhook;
}

void arm_webhook(OrderState& s, const v1::TimerArmed& x, int64_t at) {
  auto& webhook = webhook_of(s, x.event_id());
  webhook.ladder = x.ladder();
  webhook.step = x.step();
  webhook.due_ms = x.due_ms();
  webhook.anchor_ms = x.anchor_ms();
  if (x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED) {
    webhook.status = v1::Webhook::UNDELIVERED;
    s.timeline.push_back(
        {at, "webhook.undelivered", x.payment_no(),
         x.event_id() + ": no further attempts after " + std::to_string(webhook.attempts)});
  } else if (x.step() > 0) {
    s.timeline.push_back({at, "webhook.scheduled", x.payment_no(),
                          x.event_id() + " attempt " + std::to_string(x.step() + 1) + " at " +
                              format_time(x.due_ms())});
  }
}

AttemptState& attempt_of(OrderState& state, const std::string& payment_no) {
  AttemptState* attempt = state.find(payment_no);
  ONCEPAY_CHECK((attempt != nullptr) && "event for an attempt the order does not have");
  return *attempt;
}

void note(OrderState& state, int64_t at_ms, std::string type, std::string payment_no = {},
          std::string detail = {}) {
  state.timeline.push_back({at_ms, std::move(type), std::move(payment_no), std::move(detail)});
}

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

std::string_view ladder_name(Ladder ladder) {
  switch (ladder) {
    case v1::TimerArmed::QUERY:
      return "query";
    case v1::TimerArmed::FAST_EXPIRY:
      return "fast_expiry";
    case v1::TimerArmed::AUTO_REFUND:
      return "auto_refund";
    case v1::TimerArmed::ORDER_EXPIRY:
      return "order_expiry";
    default:
      return "none";
  }
}

}  // namespace

void apply(OrderState& s, const v1::Event& e) {
  const int64_t at = e.at_ms();
  switch (e.kind_case()) {
    case v1::Event::kOrderOpened: {
      const auto& x = e.order_opened();
      ONCEPAY_CHECK(!s.opened());
      s.merchant_id = x.merchant_id();
      s.merchant_order_no = x.merchant_order_no();
      s.amount_minor = x.amount();
      s.currency = x.currency();
      s.channel = x.channel();
      s.subject = x.subject();
      s.notify_url = x.notify_url();
      s.created_ms = at;
      s.status = v1::Order::PAYING;
      note(s, at, "order.opened");
      break;
    }
    case v1::Event::kAttemptCreated: {
      const auto& x = e.attempt_created();
      ONCEPAY_CHECK(s.find(x.payment_no()) == nullptr);
      AttemptState attempt;
      attempt.payment_no = x.payment_no();
      attempt.number = x.attempt();
      attempt.channel = x.channel();
      attempt.created_ms = attempt.updated_ms = at;
      s.attempts.push_back(std::move(attempt));
      note(s, at, "attempt.created", x.payment_no(), "attempt " + std::to_string(x.attempt()));
      break;
    }
    case v1::Event::kPrepayAccepted: {
      const auto& x = e.prepay_accepted();
      auto& attempt = attempt_of(s, x.payment_no());
      attempt.prepay_id = x.prepay().prepay_id();
      attempt.pay_url = x.prepay().pay_url();
      attempt.updated_ms = at;
      note(s, at, "prepay.accepted", x.payment_no());
      break;
    }
    case v1::Event::kPrepayUnknown: {
      const auto& x = e.prepay_unknown();
      set_status(attempt_of(s, x.payment_no()), v1::Attempt::UNKNOWN, at);
      note(s, at, "prepay.unknown", x.payment_no(), x.reason());
      break;
    }
    case v1::Event::kAttemptFailed: {
      const auto& x = e.attempt_failed();
      auto& attempt = attempt_of(s, x.payment_no());
      set_status(attempt, v1::Attempt::FAILED, at);
      disarm(attempt);
      note(s, at, "attempt.failed", x.payment_no(), x.reason());
      break;
    }
    case v1::Event::kAttemptSucceeded: {
      const auto& x = e.attempt_succeeded();
      auto& attempt = attempt_of(s, x.payment_no());
      set_status(attempt, v1::Attempt::SUCCESS, at);
      attempt.channel_trade_no = x.channel_trade_no();
      disarm(attempt);
      s.status = v1::Order::PAID;
      s.paid_payment_no = x.payment_no();
      note(s, at, "order.paid", x.payment_no(), "via " + x.source());
      break;
    }
    case v1::Event::kAttemptClosed: {
      const auto& x = e.attempt_closed();
      auto& attempt = attempt_of(s, x.payment_no());
      set_status(attempt, v1::Attempt::CLOSED, at);
      note(s, at, "attempt.closed", x.payment_no(), x.reason());
      break;
    }
    case v1::Event::kAttemptExpired: {
      const auto& x = e.attempt_expired();
      auto& attempt = attempt_of(s, x.payment_no());
      set_status(attempt, v1::Attempt::EXPIRED, at);
      disarm(attempt);
      note(s, at, "attempt.expired", x.payment_no(),
           x.unconfirmed() ? "the channel never confirmed the outcome" : "");
      break;
    }
    case v1::Event::kAttemptSuperseded: {
      const auto& x = e.attempt_superseded();
      auto& attempt = attempt_of(s, x.payment_no());
      attempt.superseded = true;
      attempt.superseded_ms = at;
      attempt.updated_ms = at;
      note(s, at, "attempt.superseded", x.payment_no(),
           x.by_payment_no().empty() ? std::string("order paid") : "by " + x.by_payment_no());
      break;
    }
    case v1::Event::kTimerArmed: {
      const auto& x = e.timer_armed();
      if (x.payment_no().empty()) {  // the order-level deadline
        ONCEPAY_CHECK(x.ladder() == v1::TimerArmed::ORDER_EXPIRY ||
                      x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED);
        s.expiry_due_ms = x.ladder() == v1::TimerArmed::ORDER_EXPIRY ? x.due_ms() : 0;
        if (s.expiry_due_ms != 0) {
          std::string detail = x.detail().empty() ? std::string() : x.detail() + "; ";
          note(s, at, "check.scheduled", "",
               detail + "the order expires at " + format_time(x.due_ms()) +
                   " unless a new attempt is paid");
        }
        break;
      }
      if (!x.event_id().empty()) {  // a merchant webhook's ladder
        arm_webhook(s, x, at);
        break;
      }
      if (!x.refund_no().empty()) {  // a merchant refund's ladder
        auto& refund = refund_of(s, x.refund_no());
        refund.ladder = x.ladder();
        refund.step = x.step();
        refund.due_ms = x.due_ms();
        refund.anchor_ms = x.anchor_ms();
        std::string detail = x.detail().empty() ? std::string() : x.detail() + "; ";
        detail += x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED
                      ? "refund " + x.refund_no() + ": no further attempts"
                      : "refund " + x.refund_no() + " at " + format_time(x.due_ms());
        note(s, at, "refund.scheduled", x.payment_no(), std::move(detail));
        break;
      }
      auto& attempt = attempt_of(s, x.payment_no());
      attempt.ladder = x.ladder();
      attempt.step = x.step();
      attempt.due_ms = x.due_ms();
      attempt.anchor_ms = x.anchor_ms();
      std::string detail;
      if (!x.detail().empty()) detail = x.detail() + "; ";
      if (x.ladder() == v1::TimerArmed::LADDER_UNSPECIFIED) {
        detail += "no further checks";
      } else {
        detail += std::string(ladder_name(x.ladder())) + " step " + std::to_string(x.step()) +
                  " at " + format_time(x.due_ms());
      }
      note(s, at, "check.scheduled", x.payment_no(), std::move(detail));
      break;
    }
    case v1::Event::kAutoRefundStarted: {
      const auto& x = e.auto_refund_started();
      auto& attempt = attempt_of(s, x.payment_no());
      set_status(attempt, v1::Attempt::AUTO_REFUNDING, at);
      attempt.auto_refund_no = x.refund_no();
      attempt.auto_refund_amount_minor = x.amount();
      if (!x.channel_trade_no().empty()) attempt.channel_trade_no = x.channel_trade_no();
      disarm(attempt);
      note(s, at, "auto_refund.started", x.payment_no(), x.why());
      break;
    }
    case v1::Event::kAutoRefundSucceeded: {
      const auto& x = e.auto_refund_succeeded();
      auto& attempt = attempt_of(s, x.payment_no());
      set_status(attempt, v1::Attempt::AUTO_REFUNDED, at);
      disarm(attempt);
      note(s, at, "auto_refund.succeeded", x.payment_no(), x.refund_no());
      break;
    }
    case v1::Event::kRefundRequested: {
      const auto& x = e.refund_requested();
      ONCEPAY_CHECK(s.find_refund(x.refund_no()) == nullptr);
      RefundState refund;
      refund.refund_no = x.refund_no();
      refund.amount_minor = x.amount();
      refund.reason = x.reason();
      refund.created_ms = refund.updated_ms = at;
      s.refunds.push_back(std::move(refund));
      note(s, at, "refund.requested", s.paid_payment_no,
           x.refund_no() + ": " + std::to_string(x.amount()));
      break;
    }
    case v1::Event::kRefundSucceeded: {
      const auto& x = e.refund_succeeded();
      auto& refund = refund_of(s, x.refund_no());
      ONCEPAY_CHECK(refund.status == v1::Refund::PENDING);
      refund.status = v1::Refund::SUCCEEDED;
      refund.updated_ms = at;
      refund.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
      s.refunded_minor += refund.amount_minor;
      ONCEPAY_CHECK(s.refunded_minor <= s.amount_minor);
      s.status =
          s.refunded_minor == s.amount_minor ? v1::Order::REFUNDED : v1::Order::PARTIALLY_REFUNDED;
      note(s, at, "refund.succeeded", s.paid_payment_no, x.refund_no());
      break;
    }
    case v1::Event::kRefundFailed: {
      const auto& x = e.refund_failed();
      auto& refund = refund_of(s, x.refund_no());
      refund.status = v1::Refund::FAILED;
      refund.updated_ms = at;
      refund.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
      note(s, at, "refund.failed", s.paid_payment_no, x.refund_no() + ": " + x.reason());
      break;
    }
    case v1::Event::kWebhookQueued: {
      const auto& x = e.webhook_queued();
      ONCEPAY_CHECK(s.find_webhook(x.event_id()) == nullptr);
      WebhookState webhook;
      webhook.event_id = x.event_id();
      webhook.type = x.type();
      webhook.created_ms = at;
      s.webhooks.push_back(std::move(webhook));
      note(s, at, "webhook.queued", s.paid_payment_no, x.type() + " " + x.event_id());
      break;
    }
    case v1::Event::kWebhookAttempted: {
      const auto& x = e.webhook_attempted();
      auto& webhook = webhook_of(s, x.event_id());
      webhook.attempts += 1;
      webhook.last_status = x.status();
      std::string detail = x.event_id() + " attempt " + std::to_string(webhook.attempts) + ": ";
      detail +=
          x.status() != 0 ? std::string("HTTP ").append(std::to_string(x.status())) : x.error();
      note(s, at, "webhook.attempted", s.paid_payment_no, std::move(detail));
      break;
    }
    case v1::Event::kWebhookDelivered: {
      const auto& x = e.webhook_delivered();
      auto& webhook = webhook_of(s, x.event_id());
      ONCEPAY_CHECK(webhook.status == v1::Webhook::PENDING);
      webhook.attempts += 1;
      webhook.last_status = x.status();
      webhook.status = v1::Webhook::DELIVERED;
      webhook.ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
      note(s, at, "webhook.delivered", s.paid_payment_no,
           x.event_id() + " attempt " + std::to_string(webhook.attempts) + ": HTTP " +
               std::to_string(x.status()));
      break;
    }
    case v1::Event::kOrderClosed:
      s.status = v1::Order::CLOSED;
      s.expiry_due_ms = 0;
      note(s, at, "order.closed");
      break;
    case v1::Event::kOrderExpired:
      s.status = v1::Order::EXPIRED;
      s.expiry_due_ms = 0;
      note(s, at, "order.expired");
      break;
    case v1::Event::kChannelMismatch: {
      const auto& x = e.channel_mismatch();
      std::string what = x.refund_no().empty() ? "a success" : "refund " + x.refund_no();
      note(s, at, "channel.mismatch", x.payment_no(),
           "the channel reported " + what + " of " + std::to_string(x.reported_amount()) + " " +
               x.reported_currency() + ", expected " + std::to_string(x.expected_amount()) + " " +
               x.expected_currency() + " (via " + x.source() + ")");
      break;
    }
    case v1::Event::kReviewOpened: {
      const auto& x = e.review_opened();
      ONCEPAY_CHECK(s.find_review(x.item_id()) == nullptr);
      s.reviews.push_back({x.item_id(), x.reason(), x.payment_no(), x.detail(), at});
      note(s, at, "review.opened", x.payment_no(), x.reason() + ": " + x.detail());
      break;
    }
    case v1::Event::kReviewClosed: {
      const auto& x = e.review_closed();
      auto it = std::find_if(s.reviews.begin(), s.reviews.end(),
                             [&](const ReviewState& r) { return r.item_id == x.item_id(); });
      ONCEPAY_CHECK((it != s.reviews.end()) && "closing a review item the order does not have");
      std::string payment_no = it->payment_no;
      std::string reason = it->reason;
      s.reviews.erase(it);
      note(s, at, "review.closed", std::move(payment_no), reason + ": " + x.resolution());
      break;
    }
    case v1::Event::KIND_NOT_SET:
      ONCEPAY_CHECK((false) && "event without a kind");
      break;
  }
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
  if (!a.prepay_id.empty()) {
    view.mutable_prepay()->set_prepay_id(a.prepay_id);
    view.mutable_prepay()->set_pay_url(a.pay_url);
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
