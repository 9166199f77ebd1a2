// The messages the engine's router actors, shards, order actors and channels
// exchange, and the typed actor interfaces built from them. One interface
// alias per actor kind.
//
// Every message type has an inspect() overload (here, or next to the core
// type it carries: core/order_decide.hpp, core/channel_call.hpp,
// core/order_key.hpp; protobuf views and core::OrderState as bytes,
// channels/wire.hpp) and is registered with the actor system by
// add_message_types() (actors/message_types.hpp), so each can cross nodes
// through the CAF middleman once a cluster routes to a remote shard
// (docs/ARCHITECTURE.md "The routing seam"). The one exception is
// deliberate: nothing here carries a function or a pointer.
#pragma once

#include <caf/all.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "channels/channel_actor.hpp"
#include "channels/wire.hpp"
#include "core/channel_call.hpp"
#include "core/codes.hpp"
#include "core/order_decide.hpp"
#include "core/order_key.hpp"
#include "oncepay.pb.h"

namespace oncepay::actors {

// Which order a message is for: the shard key.
using OrderKey = core::OrderKey;

struct PayMsg {
  core::PayCommand command;
  core::Policy policy = core::Policy::kStrict;
};

struct CloseMsg {
  OrderKey key;
  core::Policy policy = core::Policy::kStrict;
};

// admin: the reply carries the operator's view too (OrderReply::admin).
struct GetOrderMsg {
  OrderKey key;
  bool admin = false;
};

// Routed by payment_no (ShardRouter::route_payment): the payment's shard
// finds its order in its own payment index (or the snapshot's `payments`).
// Another merchant's payment is not found, unless `admin` (an operator's
// search: any merchant's, merchant_id is ignored); then the reply carries
// the order's operator view (OrderReply::admin) besides the payment's.
struct GetPaymentMsg {
  std::string merchant_id;
  std::string payment_no;
  bool admin = false;
};

// A channel's notification for notice.payment_no, routed like GetPaymentMsg.
// `policy` is set by the shard (the order's merchant's) before it hands the
// message to the order actor; senders leave it.
struct NoticeMsg {
  core::ChannelNotice notice;
  core::Policy policy = core::Policy::kStrict;
  // Set when the notification came by a merchant's own notify URL
  // (/v1/channels/{channel}/notify/{merchant_id}): a payment of another
  // merchant is not found. Empty: any merchant's.
  std::string merchant_id;
};

// An order actor tells its shard about a payment_no it made (once the
// attempt is durable, before the reply that shows it), so that the shard
// can route notifications and payment reads for it to the order.
struct PaymentNoMsg {
  std::string payment_no;
  OrderKey key;
};

// A ladder timer of one attempt (order actors send these to themselves).
struct TimerMsg {
  std::string payment_no;
  core::Ladder ladder = v1::TimerArmed::LADDER_UNSPECIFIED;
  int32_t step = 0;
  std::string refund_no;  // REFUND ladder: the merchant refund
  std::string event_id;   // WEBHOOK ladder: the webhook event
};

struct RefundMsg {
  OrderKey key;
  core::RefundCommand command;
  core::Policy policy = core::Policy::kStrict;
};

// Reconciliation findings and review resolutions for one order, routed by
// key (docs/RECONCILIATION.md): kReconReview opens a recon_<class> item
// (core::decide_recon_review), kReconMatched closes the payment's or
// refund's open recon items (decide_recon_matched), kResolve is an
// operator's resolution (decide_resolve). The shard sets `policy`.
struct ReviewMsg {
  enum class Kind : uint8_t { kReconReview, kReconMatched, kResolve };
  OrderKey key;
  Kind kind = Kind::kReconReview;
  core::ReconReviewCommand recon;  // kReconReview
  std::string payment_no;          // kReconMatched
  std::string refund_no;           // kReconMatched: a refund's items ("" : the payment's)
  core::ResolveCommand resolve;    // kResolve
  core::Policy policy = core::Policy::kStrict;
};

// An operator's action on one order (core/order_decide.hpp "operator
// actions"), routed by key: kClose (decide_operator_close), kRefund
// (decide_operator_refund with `refund`), kQuery (decide_operator_query),
// kRetryWebhook (decide_operator_webhook_retry of `event_id`), kAppeal
// (decide_appeal of `appeal`; `command` holds the operator).
// The reply carries the operator's view (OrderReply::admin). The shard sets
// `policy`.
struct OperatorMsg {
  enum class Kind : uint8_t { kClose, kRefund, kQuery, kRetryWebhook, kAppeal };
  OrderKey key;
  Kind kind = Kind::kClose;
  core::OperatorCommand command;
  core::RefundCommand refund;  // kRefund
  std::string event_id;        // kRetryWebhook
  core::AppealCommand appeal;  // kAppeal
  core::Policy policy = core::Policy::kStrict;
};

// Recovery: the orders the WAL tail touched, rebuilt (stored snapshot + the
// tail's events), handed to their shard, which parks them until their first
// use or timer and then spawns their actors with that state (timers
// re-armed).
struct RestoredOrder {
  core::OrderState state;
  core::Policy policy = core::Policy::kStrict;  // the merchant's, for its timers
};

struct RestoreMsg {
  std::vector<RestoredOrder> orders;
};

// Lazy recovery: a timer of this order, which had no actor when the timer
// was scheduled, came due (actors/stored_timers.hpp). The shard spawns the
// order's actor unless it has one; the actor re-arms its timers and the due
// one fires.
struct WakeMsg {
  OrderKey key;
};

// The answer to every order request: an outcome code and, when the order
// exists, its view (order requests) or the payment's view (GetPaymentMsg).
struct OrderReply {
  core::Code code = core::Code::kOk;
  std::string message;
  std::string payment_no;  // kOrderAlreadyPaid: the paid attempt
  int64_t retry_after_s = 0;
  bool has_view = false;
  v1::OrderView order;
  v1::PaymentView payment;
  bool has_refund = false;  // refund requests: the refund the reply is about
  v1::RefundView refund;
  bool has_admin = false;  // operators' reads (GetOrderMsg/GetPaymentMsg::admin)
  v1::AdminOrderView admin;
};

// An order actor. Replies always arrive, at the latest after the channel
// timeout of each call the request needed.
using order_actor = caf::typed_actor<
    caf::replies_to<PayMsg>::with<OrderReply>, caf::replies_to<CloseMsg>::with<OrderReply>,
    caf::replies_to<GetOrderMsg>::with<OrderReply>,
    caf::replies_to<GetPaymentMsg>::with<OrderReply>, caf::replies_to<NoticeMsg>::with<OrderReply>,
    caf::replies_to<RefundMsg>::with<OrderReply>, caf::replies_to<ReviewMsg>::with<OrderReply>,
    caf::replies_to<OperatorMsg>::with<OrderReply>, caf::reacts_to<TimerMsg>>;

// A shard: same requests, routed to (and spawning or loading) its order
// actors, plus the recovered orders it parks before the engine turns ready
// and the wake-ups of timers of orders without an actor.
using shard_actor = caf::typed_actor<
    caf::replies_to<PayMsg>::with<OrderReply>, caf::replies_to<CloseMsg>::with<OrderReply>,
    caf::replies_to<GetOrderMsg>::with<OrderReply>,
    caf::replies_to<GetPaymentMsg>::with<OrderReply>, caf::replies_to<NoticeMsg>::with<OrderReply>,
    caf::replies_to<RefundMsg>::with<OrderReply>, caf::replies_to<ReviewMsg>::with<OrderReply>,
    caf::replies_to<OperatorMsg>::with<OrderReply>, caf::reacts_to<RestoreMsg>,
    caf::reacts_to<WakeMsg>, caf::reacts_to<PaymentNoMsg>>;

// The engine's front door (actors/engine_router.hpp): the order requests,
// routed to the shard that owns the order (by key or by payment_no) and
// answered by it. Refused with kNotReady while recovering and, for state
// changes, kStorageUnavailable after a storage failure.
using engine_actor = caf::typed_actor<
    caf::replies_to<PayMsg>::with<OrderReply>, caf::replies_to<CloseMsg>::with<OrderReply>,
    caf::replies_to<GetOrderMsg>::with<OrderReply>,
    caf::replies_to<GetPaymentMsg>::with<OrderReply>, caf::replies_to<NoticeMsg>::with<OrderReply>,
    caf::replies_to<RefundMsg>::with<OrderReply>, caf::replies_to<ReviewMsg>::with<OrderReply>,
    caf::replies_to<OperatorMsg>::with<OrderReply>>;

// A payment channel: the one interface every adapter serves
// (channels/channel_actor.hpp, where adapters find it without actors/).
using channels::channel_actor;

// -- inspect(): every field, in declaration order -------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, PayMsg& x) {
  return f(caf::meta::type_name("oncepay.PayMsg"), x.command, x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, CloseMsg& x) {
  return f(caf::meta::type_name("oncepay.CloseMsg"), x.key, x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, GetOrderMsg& x) {
  return f(caf::meta::type_name("oncepay.GetOrderMsg"), x.key, x.admin);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, GetPaymentMsg& x) {
  return f(caf::meta::type_name("oncepay.GetPaymentMsg"), x.merchant_id, x.payment_no, x.admin);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, NoticeMsg& x) {
  return f(caf::meta::type_name("oncepay.NoticeMsg"), x.notice, x.policy, x.merchant_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, PaymentNoMsg& x) {
  return f(caf::meta::type_name("oncepay.PaymentNoMsg"), x.payment_no, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, TimerMsg& x) {
  return f(caf::meta::type_name("oncepay.TimerMsg"), x.payment_no, x.ladder, x.step, x.refund_no,
           x.event_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, RefundMsg& x) {
  return f(caf::meta::type_name("oncepay.RefundMsg"), x.key, x.command, x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ReviewMsg& x) {
  return f(caf::meta::type_name("oncepay.ReviewMsg"), x.key, x.kind, x.recon, x.payment_no,
           x.refund_no, x.resolve, x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OperatorMsg& x) {
  return f(caf::meta::type_name("oncepay.OperatorMsg"), x.key, x.kind, x.command, x.refund,
           x.event_id, x.appeal, x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, RestoredOrder& x) {
  return f(caf::meta::type_name("oncepay.RestoredOrder"), x.state, x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, RestoreMsg& x) {
  return f(caf::meta::type_name("oncepay.RestoreMsg"), x.orders);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WakeMsg& x) {
  return f(caf::meta::type_name("oncepay.WakeMsg"), x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OrderReply& x) {
  return f(caf::meta::type_name("oncepay.OrderReply"), x.code, x.message, x.payment_no,
           x.retry_after_s, x.has_view, x.order, x.payment, x.has_refund, x.refund, x.has_admin,
           x.admin);
}

}  // namespace oncepay::actors
