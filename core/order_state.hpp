// The state of one merchant order and its payment attempts, as a plain
// struct, and apply(): the only function that changes it. State is a fold of
// events (oncepay.v1.Event): recovery replays the WAL through apply(), and
// the decisions in order_decide.hpp emit events through it too.
//
// Contract: single-threaded (owned by one order actor, or by a test).
// apply() asserts that an event fits the state (an event for an unknown
// payment_no is a programmer error: the core never emits one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oncepay.pb.h"

namespace oncepay::core {

using AttemptStatus = v1::Attempt::Status;
using OrderStatus = v1::Order::Status;
using Ladder = v1::TimerArmed::Ladder;

enum class Policy : uint8_t { kStrict, kRefundDuplicates };
std::string_view to_string(Policy policy);  // "strict" | "refund_duplicates"
bool parse_policy(std::string_view text, Policy* out);

// A client pay parameter of a prepay (v1::PayParam).
struct PayParam {
  std::string name;
  std::string value;
  bool operator==(const PayParam&) const = default;
};

struct AttemptState {
  std::string payment_no;
  int32_t number = 0;
  std::string channel;
  AttemptStatus status = v1::Attempt::PAYING;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string channel_trade_no;
  // The prepay (v1::Prepay): what the payer needs, by channel and trade type.
  std::string prepay_id;
  std::string pay_url;
  std::string code_url;
  std::string qr_code;
  std::vector<PayParam> pay_params;
  // True once the attempt no longer counts for the order (a newer attempt
  // replaced it, or another attempt paid): a success on it is refunded.
  bool superseded = false;
  int64_t superseded_ms = 0;
  // The armed timer (ladder step); LADDER_UNSPECIFIED when none.
  Ladder ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  int32_t step = 0;
  int64_t due_ms = 0;
  int64_t anchor_ms = 0;  // the armed ladder's offsets count from here
  std::string auto_refund_no;
  // When the channel took the payer's money (the success's business time:
  // the channel's time when its source gave one, else when oncepay learned
  // it); set by AttemptSucceeded and AutoRefundStarted, 0 before.
  int64_t paid_ms = 0;
  // What the automatic refund returns, in minor units; 0 means the order's
  // amount. Set when the channel reported another amount (amount_mismatch).
  int64_t auto_refund_amount_minor = 0;

  // PAYING or UNKNOWN: the channel may still take the payer's money.
  bool open() const { return status == v1::Attempt::PAYING || status == v1::Attempt::UNKNOWN; }
  bool operator==(const AttemptState&) const = default;
};

using RefundStatus = v1::Refund::Status;

// A merchant refund of a paid order: asked at the channel on the REFUND
// ladder until it settles.
struct RefundState {
  std::string refund_no;
  int64_t amount_minor = 0;
  std::string reason;
  RefundStatus status = v1::Refund::PENDING;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  Ladder ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  int32_t step = 0;
  int64_t due_ms = 0;
  int64_t anchor_ms = 0;
  // When the refund went through (the channel's time when its source gave
  // one, else when oncepay learned it); 0 until SUCCEEDED.
  int64_t succeeded_ms = 0;

  bool operator==(const RefundState&) const = default;
};

using WebhookStatus = v1::Webhook::Status;

// A merchant webhook event (docs/API.md "Merchant notifications"): POSTed to
// the order's notify_url on the WEBHOOK ladder until a 2xx answers or the
// ladder (notify.retry-ladder) runs out.
struct WebhookState {
  std::string event_id;  // stable; merchants dedupe on it
  std::string type;      // "order.paid" | "refund.succeeded"
  int64_t created_ms = 0;
  WebhookStatus status = v1::Webhook::PENDING;
  int32_t attempts = 0;     // delivery attempts made
  int32_t last_status = 0;  // HTTP status of the last attempt (0: none)
  Ladder ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  int32_t step = 0;
  int64_t due_ms = 0;
  int64_t anchor_ms = 0;

  bool operator==(const WebhookState&) const = default;
};

struct TimelineEntry {
  int64_t at_ms = 0;
  std::string type;
  std::string payment_no;
  std::string detail;
  bool operator==(const TimelineEntry&) const = default;
};

// An open item of the review list (docs/API.md "Review list"): something
// about this order needs a person. Closed items leave `reviews`; the
// timeline keeps their history.
// What a reconciliation found on the channel's statement for a recon_<class>
// review item (v1::ReconFacts).
struct ReconFacts {
  std::string reconciliation_id;
  uint64_t line = 0;  // the statement line; 0: found on oncepay's side only
  std::string refund_no;
  std::string channel_trade_no;
  bool has_channel_amount = false;
  int64_t channel_amount_minor = 0;
  std::string channel_currency;
  std::string channel_status;
  bool channel_settled = false;
  int64_t channel_time_ms = 0;
  int64_t platform_amount_minor = 0;
  bool operator==(const ReconFacts&) const = default;
};

struct ReviewState {
  std::string item_id;  // unique across the engine: "<reason>:<payment_no or event_id>"
  // amount_mismatch | auto_refund_failed | unknown_unresolved | webhook_exhausted | appeal |
  // recon_<class>
  std::string reason;
  std::string payment_no;
  std::string detail;
  int64_t opened_ms = 0;
  ReconFacts recon;         // recon_<class> items
  std::string resolution;   // "trust_platform" once an operator said so (still open)
  std::string resolved_by;  // that operator
  bool operator==(const ReviewState&) const = default;
};

// A payer's appeal (申诉) recorded by an operator, and what checking every
// attempt at the channel found (core/order_decide.hpp decide_appeal). Its
// review item (reason "appeal", the same id) stays open until an operator
// closes it; `closed` follows that item.
struct AppealFinding {
  std::string payment_no;
  std::string channel_state;  // v1::AppealFinding::channel_state
  std::string finding;
  bool charged = false;
  bool operator==(const AppealFinding&) const = default;
};

struct AppealState {
  std::string appeal_id;  // "appeal:<first payment_no>:<n>", the review item's id
  std::string kind;       // charged_twice | paid_not_credited | other
  std::string detail;
  std::string recorded_by;
  int64_t recorded_ms = 0;
  std::vector<AppealFinding> findings;  // one per attempt checked, in attempt order
  bool checked = false;                 // every attempt was checked (AppealChecked)
  std::string summary;
  bool closed = false;
  std::string closed_by;
  std::string resolution;  // the closing operator's note
  int64_t closed_ms = 0;
  bool operator==(const AppealState&) const = default;
};

struct OrderState {
  std::string merchant_id;
  std::string merchant_order_no;
  OrderStatus status = v1::Order::STATUS_UNSPECIFIED;  // not opened yet
  int64_t amount_minor = 0;
  std::string currency;
  std::string channel;
  std::string subject;
  std::string notify_url;
  int64_t created_ms = 0;
  std::string paid_payment_no;
  int64_t refunded_minor = 0;
  std::vector<AttemptState> attempts;
  std::vector<TimelineEntry> timeline;
  std::vector<RefundState> refunds;
  std::vector<WebhookState> webhooks;
  std::vector<ReviewState> reviews;  // open items only
  // Every mismatching channel result recorded (ChannelMismatch), as
  // mismatch_key(): a repeat of one changes nothing, a different one is
  // recorded too.
  std::vector<std::string> seen_mismatches;
  // recon_<class> items an operator closed, as "<item_id>|<fingerprint>"
  // (core/order_decide.hpp recon_fingerprint): a later reconciliation that
  // finds the very same discrepancy does not open it again.
  std::vector<std::string> resolved_reviews;
  std::vector<AppealState> appeals;  // oldest first
  // The order-level deadline timer (ladder ORDER_EXPIRY), armed while the
  // order is payable but has no open attempt; 0 when not armed.
  int64_t expiry_due_ms = 0;

  bool opened() const { return status != v1::Order::STATUS_UNSPECIFIED; }
  AttemptState* find(std::string_view payment_no);
  const AttemptState* find(std::string_view payment_no) const;
  // The attempt that currently counts: open and not superseded (at most one).
  AttemptState* live();
  const AttemptState* live() const;
  // Whether any attempt is open (PAYING or UNKNOWN), superseded or not.
  bool has_open_attempt() const;
  RefundState* find_refund(std::string_view refund_no);
  const RefundState* find_refund(std::string_view refund_no) const;
  WebhookState* find_webhook(std::string_view event_id);
  const WebhookState* find_webhook(std::string_view event_id) const;
  const ReviewState* find_review(std::string_view item_id) const;
  AppealState* find_appeal(std::string_view appeal_id);
  // Pending and succeeded refunds: what may no longer be refunded.
  int64_t committed_refunds_minor() const;
  bool operator==(const OrderState&) const = default;
};

// What makes two reconciliations' findings of one item the same
// discrepancy: the channel's side (amount, currency, status, refund_no), not
// the run or the line.
std::string recon_fingerprint(const ReconFacts& facts);

// "<payment_no>|<refund_no>|<amount>|<currency>|<source>" of a ChannelMismatch.
std::string mismatch_key(const v1::ChannelMismatch& mismatch);

// Folds one event into the state.
void apply(OrderState& state, const v1::Event& event);

// Timestamps as RFC 3339 UTC with milliseconds: "2026-11-22T06:00:00.123Z".
std::string format_time(int64_t unix_ms);

// API views of the state (docs/API.md).
v1::AttemptView attempt_view(const AttemptState& attempt);
v1::OrderView order_view(const OrderState& state);
v1::PaymentView payment_view(const OrderState& state, const AttemptState& attempt);
v1::RefundView refund_view(const RefundState& refund);
v1::WebhookDeliveryView webhook_view(const WebhookState& webhook);
// An open review item of the order (GET /admin/review, the operator's order page).
v1::ReviewItemView review_item_view(std::string_view merchant_id,
                                    std::string_view merchant_order_no, const ReviewState& item);
// The operator's order page (GET /admin/orders/{merchant_id}/{merchant_order_no}):
// order_view plus the webhooks and open review items.
v1::AdminOrderView admin_order_view(const OrderState& state);
v1::AppealView appeal_view(const AppealState& appeal);

}  // namespace oncepay::core
