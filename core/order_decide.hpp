// The decisions of one merchant order: what a pay request, a close, a
// channel notification, a timer or a channel's answer does to it. Pure
// functions over OrderState: no clocks (Context carries `now`), no I/O, no
// CAF. Each returns a Step: the events it emitted (already folded into the
// state through apply()), the reply owed to a waiting requester, and at most
// one channel call whose answer must be fed back through resume().
//
// Contract for the shell (the order actor): persist step.events before any
// effect leaves the process (reply, channel call) — the write-ahead rule —
// then reply, then make the call and hand its answer to resume() with
// step.flow. While a call is outstanding no other input may be decided for
// this order (the actor awaits the answer, so its mailbox waits). The one
// exception is a webhook delivery (Step::webhook): its answer may come back
// after other inputs were decided, so resume() checks that the webhook is
// still pending at the flow's step and otherwise decides nothing.
// Timers: every TimerArmed event asks the shell to deliver decide_timer() at
// due_ms; a timer that no longer matches the attempt's armed step is stale
// and decides nothing.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/channel_call.hpp"
#include "core/codes.hpp"
#include "core/config.hpp"
#include "core/order_state.hpp"

namespace oncepay::core {

struct PayCommand {
  std::string merchant_id;
  std::string merchant_order_no;
  int64_t amount_minor = 0;
  std::string currency;
  std::string channel;
  std::string subject;
  std::string notify_url;
  // Per attempt, passed to the channel's prepay (PayRequest.trade_type,
  // payer_openid); not part of the order's parameters.
  std::string trade_type;
  std::string payer_openid;
};

// Every field, for the messages that carry it (CAF finds this by
// argument-dependent lookup; the core itself does not depend on CAF).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, PayCommand& x) {
  return f(x.merchant_id, x.merchant_order_no, x.amount_minor, x.currency, x.channel, x.subject,
           x.notify_url, x.trade_type, x.payer_openid);
}

// A merchant's refund of a paid order (idempotent on refund_no).
struct RefundCommand {
  std::string refund_no;
  int64_t amount_minor = 0;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, RefundCommand& x) {
  return f(x.refund_no, x.amount_minor, x.reason);
}

// A channel's asynchronous result for one payment_no. It applies only to an
// attempt of the channel it arrived from (`channel`, the notify route's
// name), and a success or refund result only with the attempt's (or the
// refund's) amount and currency; see decide_notice.
struct ChannelNotice {
  enum class Kind : uint8_t { kSuccess, kPayError, kRefundSuccess, kRefundFailed };
  Kind kind = Kind::kSuccess;
  std::string channel;  // the channel that sent it (set by the shell, required)
  std::string payment_no;
  std::string channel_trade_no;
  int64_t amount_minor = 0;  // the amount paid (success) or refunded (refund results)
  std::string currency;      // empty: the channel did not say (the attempt's is assumed)
  std::string refund_no;
  // How the result was learned: "notify" (a channel notification; empty
  // means the same) or "reconciliation" (a line of the channel's statement:
  // the channel's record, so a mismatch goes straight to the automatic
  // refund and confirm mode asks nothing).
  std::string source;
  // The channel's own time of the result, unix ms (a statement line's trade
  // time); 0: unknown, the event's time stands.
  int64_t channel_time_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ChannelNotice& x) {
  return f(x.kind, x.channel, x.payment_no, x.channel_trade_no, x.amount_minor, x.currency,
           x.refund_no, x.source, x.channel_time_ms);
}

// The notification's content in the core's terms; false (and nothing set)
// for a status the core does not know.
bool notice_from_proto(const v1::ChannelNotification& body, ChannelNotice* out);

// What the requester waiting on this step is told.
struct Reply {
  Code code = Code::kOk;
  // Pay: the attempt the reply shows. kOrderAlreadyPaid: the paid attempt.
  std::string payment_no;
  std::string message;
  // Refund requests: the refund the reply shows.
  std::string refund_no;
};

// Where a channel call's answer goes back into the decisions.
enum class Stage : uint8_t {
  kPrepay,         // pay: the new attempt's prepay
  kQueryLive,      // pay after the window: query the live attempt first
  kCloseLive,      // pay: close the unpaid live attempt before attempt N+1
  kMerchantClose,  // close request: close the live attempt
  kLadderQuery,    // query-ladder step
  kLadderClose,    // query ladder exhausted, or an UNKNOWN attempt to reverse
  kFastClose,      // fast-expiry: close an attempt that no longer counts
  kFastQuery,      // fast-expiry: look for a success that crossed a close
  kAutoRefund,     // refund a success that must not count
  kRefund,         // a merchant refund at the channel
  kWebhook,        // a merchant webhook delivery (Step::webhook)
  kVerifyQuery,    // a notified success of another amount: ask the channel's record
  kConfirmQuery,   // payment.confirm-notified-success: the record decides, then the reply
  kOperatorQuery,  // an operator's "query now" (decide_operator_query)
  kAppealQuery,    // a payer appeal's check of one attempt (decide_appeal)
};

struct Flow {
  Stage stage = Stage::kPrepay;
  std::string payment_no;  // the attempt the call concerns
  PayCommand pay;          // kPrepay / kQueryLive / kCloseLive: the request being answered
  int32_t step = 0;        // ladder flows: the step being worked
  std::string refund_no;   // kRefund: the merchant refund
  std::string event_id;    // kWebhook: the webhook event
  std::string appeal_id;   // kAppealQuery: the appeal being checked
};

struct Step {
  std::vector<v1::Event> events;
  std::optional<Reply> reply;
  std::optional<ChannelCall> call;
  // Instead of a channel call: deliver the merchant webhook with this
  // event_id (the shell builds and signs the body from the order as it is
  // then) and resume() with the outcome. Never set together with `call`.
  std::optional<std::string> webhook;
  Flow flow;  // meaningful when `call` or `webhook` is set
};

struct Context {
  int64_t now_ms = 0;
  const PaymentConfig* config = nullptr;
  Policy policy = Policy::kStrict;
  // A new, globally unique payment_no (the shell owns the generator).
  std::function<std::string()> new_payment_no;
};

Step decide_pay(OrderState& state, const PayCommand& command, const Context& context);
Step decide_close(OrderState& state, const Context& context);
// A channel notification. Reply kPaymentNotFound, and no event, when the
// order has no attempt with notice.payment_no of notice.channel (another
// channel's payment, or one never created). A success whose amount or
// currency differs from the attempt's records a ChannelMismatch and opens an
// amount_mismatch review item; the order does not become PAID on it. The
// step then asks the channel's own record (a query, Stage::kVerifyQuery,
// after the reply): a success there of the attempt's amount is the payment
// (the notification was wrong); one of another amount is refunded
// automatically, that amount (reason amount_mismatch); no success there
// decides nothing (the attempt's ladder keeps asking). A query or close
// answer is the channel's record: its mismatch goes straight to the
// automatic refund. A refund result whose amount differs records the
// mismatch and opens a review item, and the refund stays as it was. The
// reply is kOk otherwise (duplicates included).
Step decide_notice(OrderState& state, const ChannelNotice& notice, const Context& context);
Step decide_timer(OrderState& state, const std::string& payment_no, Ladder ladder, int32_t step,
                  const Context& context);
Step decide_refund(OrderState& state, const RefundCommand& command, const Context& context);
// A REFUND ladder timer of one merchant refund.
Step decide_refund_timer(OrderState& state, const std::string& refund_no, int32_t step,
                         const Context& context);
// A WEBHOOK ladder timer of one merchant webhook event: a Step whose
// `webhook` is the delivery, or nothing when the timer is stale.
Step decide_webhook_timer(OrderState& state, const std::string& event_id, int32_t step,
                          const Context& context);
Step resume(OrderState& state, const Flow& flow, const ChannelReply& reply, const Context& context);

// ---------------------------------------------------------------- reconciliation and review
// (docs/RECONCILIATION.md; the classifier is core/recon_decide.hpp)

// A reconciliation finding that needs a person (ReconAction::kReview):
// opens the item "<reason>:<subject>" (subject: payment_no, or
// "<payment_no>:<refund_no>" for a refund's finding) with the statement's
// facts. Nothing when that item is open already, or when an operator closed
// it before and the facts are the same discrepancy (recon_fingerprint):
// re-runs open nothing twice. Reply kOk, or kPaymentNotFound when the order
// has no such attempt. The shell: record the events, then reply.
struct ReconReviewCommand {
  std::string reason;  // "recon_<class>" (core::recon_class_name)
  std::string payment_no;
  std::string detail;
  ReconFacts facts;
};
Step decide_recon_review(OrderState& state, const ReconReviewCommand& command,
                         const Context& context);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ReconFacts& x) {
  return f(x.reconciliation_id, x.line, x.refund_no, x.channel_trade_no, x.has_channel_amount,
           x.channel_amount_minor, x.channel_currency, x.channel_status, x.channel_settled,
           x.channel_time_ms, x.platform_amount_minor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ReconReviewCommand& x) {
  return f(x.reason, x.payment_no, x.detail, x.facts);
}

// A later reconciliation matched this payment (refund_no empty) or refund:
// its open recon_* items close with resolution "reconciliation_matched" (the
// channel corrected its record). Reply kOk.
Step decide_recon_matched(OrderState& state, const std::string& payment_no,
                          const std::string& refund_no, const Context& context);

// POST /admin/review/{item_id}/resolve. Resolutions:
// - "dismiss": the item closes (ReviewClosed with operator and note).
// - "trust_platform": the item stays open, marked (ReviewResolved), until a
//   later reconciliation matches (the channel corrected its record) or it
//   is dismissed. Only for recon_* items (others: kResolutionNotApplicable).
// - "trust_channel": the channel's side is applied through the order's own
//   rules, then the item closes: a success the channel shows (recon_*
//   items whose facts have channel_settled and an amount) is applied as a
//   success from source "reconciliation" (PAID, or an automatic refund of
//   what moved when it must not count or differs); a refund the channel
//   shows settled settles a pending refund, or is recorded as a refund
//   (RefundRequested + RefundSucceeded) when oncepay has none and the order
//   can refund that much. Anything else, and non-recon items, is
//   kResolutionNotApplicable: oncepay does not un-pay an order or change a
//   settled refund's amount; trust_platform or dismiss those.
// Reply kOk, kReviewItemNotFound (no open item of that id), or
// kResolutionNotApplicable / kRefundExceedsPaid with nothing recorded.
// Every resolution is an order event with the operator and note.
struct ResolveCommand {
  std::string item_id;
  std::string resolution;  // trust_channel | trust_platform | dismiss
  std::string operator_name;
  std::string note;  // the operator's reason
};
Step decide_resolve(OrderState& state, const ResolveCommand& command, const Context& context);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ResolveCommand& x) {
  return f(x.item_id, x.resolution, x.operator_name, x.note);
}

// ---------------------------------------------------------------- operator actions
// POST /admin/orders/{merchant_id}/{merchant_order_no}/{close,refunds,query}
// (docs/API.md "Operator actions"). Each runs the order's own flow for an
// operator: an OperatorAction event (action, operator, reason, target) is
// recorded before the first event the flow records or the first channel
// call it makes, so the timeline says who caused what follows. An action
// that records nothing and asks nothing (a refusal, a repeated refund_no,
// closing a closed order) records no OperatorAction either; the gateway's
// audit log keeps the request. The shell: as for the merchant's requests.
struct OperatorCommand {
  std::string operator_name;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OperatorCommand& x) {
  return f(x.operator_name, x.reason);
}

// As decide_close (the merchant's close), for an operator.
Step decide_operator_close(OrderState& state, const OperatorCommand& command,
                           const Context& context);
// As decide_refund (amount <= what is left to refund), for an operator.
Step decide_operator_refund(OrderState& state, const OperatorCommand& command,
                            const RefundCommand& refund, const Context& context);
// Query now: asks the channel (ChannelOp::kQuery) about the live attempt,
// else the oldest open one (PAYING or UNKNOWN), and applies the answer with
// the rules of a query-ladder step, without moving the ladder: a success is
// applied (PAID, or refunded automatically when it must not count), the
// channel's close or the payer's error ends the attempt, NOTPAY or no answer
// changes nothing (the ladder keeps asking). Reply kOk once the answer is
// applied; kNoOpenAttempt, with nothing recorded, when no attempt is open
// (a final order: nothing the channel could still change).
Step decide_operator_query(OrderState& state, const OperatorCommand& command,
                           const Context& context);
// Retry a merchant webhook now: re-arms its WEBHOOK ladder due now (the
// shell's timer delivers it, as any ladder step): an UNDELIVERED one at the
// ladder's last step (PENDING again; one more failure makes it UNDELIVERED
// and opens webhook_exhausted again if that item was closed), a PENDING one
// at its current step. Reply kOk once armed; kWebhookNotFound (no such
// event_id) or kWebhookDelivered, with nothing recorded.
Step decide_operator_webhook_retry(OrderState& state, const OperatorCommand& command,
                                   const std::string& event_id, const Context& context);

// ---------------------------------------------------------------- payer appeals
// POST /admin/orders/{merchant_id}/{merchant_order_no}/appeals (docs/API.md
// "Payer appeals"): a payer says they were charged twice, paid and got
// nothing, or something else. Records OperatorAction "appeal" (the detail as
// its reason), AppealRecorded, and opens the review item `appeal_id`
// ("appeal:<first payment_no>:<n>", reason "appeal"; payment_no: the paid
// attempt, else the last). Then it asks the channel about every attempt, in
// order, final ones included, one query per step (Stage::kAppealQuery; the
// shell resumes each answer, so the requester waits for the whole check;
// every query is bounded by the channel call's timeout). Each answer is
// applied by the order's own rules — a success on any attempt (a closed,
// failed, expired or superseded one too) is a success: PAID when it still
// counts, else refunded automatically; a close or the payer's error ends an
// open attempt; NOTPAY and no answer change nothing — then recorded as an
// AppealFinding. After the last attempt, AppealChecked with the summary
// (the review item's detail from then on), and the reply kCreated. An
// attempt the channel could not be asked about (no_answer) is not counted
// as charged or not: the summary says it is unknown.
// kAppealLimit, with nothing recorded, when the order has
// kMaxOpenAppealsPerOrder open appeals or kMaxAppealsPerOrder in all. The item stays open until an
// operator closes it (POST /admin/review/{item_id}/resolve, "dismiss" with a note:
// AppealState::closed). A check the engine's stop cut short leaves the
// appeal without AppealChecked (AppealView status "interrupted").
struct AppealCommand {
  std::string kind;    // one of kAppealKinds
  std::string detail;  // what the payer says (the gateway checks 1-500 bytes of UTF-8)
  std::string operator_name;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, AppealCommand& x) {
  return f(x.kind, x.detail, x.operator_name);
}

inline constexpr std::string_view kReviewAppeal = "appeal";
inline constexpr std::array<std::string_view, 3> kAppealKinds = {"charged_twice",
                                                                 "paid_not_credited", "other"};
// At most this many appeals of one order are open (their review items not
// closed), and at most kMaxAppealsPerOrder are kept in all (the order's
// state must stay small).
inline constexpr size_t kMaxOpenAppealsPerOrder = 20;
inline constexpr size_t kMaxAppealsPerOrder = 100;
Step decide_appeal(OrderState& state, const AppealCommand& command, const Context& context);

// Webhook event types and their stable event_ids (payment_no is globally
// unique; a refund_no is unique within its order).
inline constexpr std::string_view kOrderPaidEvent = "order.paid";
inline constexpr std::string_view kRefundSucceededEvent = "refund.succeeded";
std::string order_paid_event_id(std::string_view payment_no);
std::string refund_succeeded_event_id(std::string_view payment_no, std::string_view refund_no);

// Review list reasons (docs/API.md "Review list") and item ids.
inline constexpr std::string_view kReviewAmountMismatch = "amount_mismatch";
inline constexpr std::string_view kReviewAutoRefundFailed = "auto_refund_failed";
inline constexpr std::string_view kReviewUnknownUnresolved = "unknown_unresolved";
inline constexpr std::string_view kReviewWebhookExhausted = "webhook_exhausted";
// Every reason, in the order the API documents them (kReviewAppeal: payer
// appeals, above).
inline constexpr std::array<std::string_view, 5> kReviewReasons = {
    kReviewAmountMismatch, kReviewAutoRefundFailed, kReviewUnknownUnresolved,
    kReviewWebhookExhausted, kReviewAppeal};
// "<reason>:<subject>": subject is a payment_no, "<payment_no>:<refund_no>"
// or a webhook event_id, all globally unique.
std::string review_item_id(std::string_view reason, std::string_view subject);
// The subject of a reconciliation finding: "payment_no", or
// "payment_no:refund_no" for a refund's.
std::string recon_subject(std::string_view payment_no, std::string_view refund_no);
// The reasons above, or "recon_<class>" of a reconciliation class that needs
// a person (core/recon_decide.hpp).
bool is_review_reason(std::string_view reason);
inline constexpr std::string_view kReviewReconPrefix = "recon_";
// POST /admin/review/{item_id}/resolve resolutions.
inline constexpr std::string_view kResolutionTrustChannel = "trust_channel";
inline constexpr std::string_view kResolutionTrustPlatform = "trust_platform";
inline constexpr std::string_view kResolutionDismiss = "dismiss";

// The order's deadline: its first attempt's start plus the query ladder's
// last offset. An order with no open attempt stays payable until then.
int64_t order_deadline_ms(const OrderState& state, const PaymentConfig& config);

// The refund_no oncepay uses at the channel for an automatic refund.
std::string auto_refund_no(std::string_view payment_no);

}  // namespace oncepay::core
