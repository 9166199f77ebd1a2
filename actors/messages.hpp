// The messages order actors, shards and channels exchange, and the typed
// actor interfaces built from them. One interface alias per actor kind.
//
// These types travel between actors of one process only for now: they are
// declared CAF_ALLOW_UNSAFE_MESSAGE_TYPE (no serializer). A cluster node
// needs inspect() overloads for them first; the cluster is not built yet.
#pragma once

#include <caf/all.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "channels/channel_actor.hpp"
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

struct GetOrderMsg {
  OrderKey key;
};

struct GetPaymentMsg {
  OrderKey key;
  std::string payment_no;
};

struct NoticeMsg {
  OrderKey key;
  core::ChannelNotice notice;
  core::Policy policy = core::Policy::kStrict;
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
};

// An order actor. Replies always arrive, at the latest after the channel
// timeout of each call the request needed.
using order_actor = caf::typed_actor<
    caf::replies_to<PayMsg>::with<OrderReply>, caf::replies_to<CloseMsg>::with<OrderReply>,
    caf::replies_to<GetOrderMsg>::with<OrderReply>,
    caf::replies_to<GetPaymentMsg>::with<OrderReply>, caf::replies_to<NoticeMsg>::with<OrderReply>,
    caf::replies_to<RefundMsg>::with<OrderReply>, caf::reacts_to<TimerMsg>>;

// A shard: same requests, routed to (and spawning or loading) its order
// actors, plus the recovered orders it parks before the engine turns ready
// and the wake-ups of timers of orders without an actor.
using shard_actor = caf::typed_actor<
    caf::replies_to<PayMsg>::with<OrderReply>, caf::replies_to<CloseMsg>::with<OrderReply>,
    caf::replies_to<GetOrderMsg>::with<OrderReply>,
    caf::replies_to<GetPaymentMsg>::with<OrderReply>, caf::replies_to<NoticeMsg>::with<OrderReply>,
    caf::replies_to<RefundMsg>::with<OrderReply>, caf::reacts_to<RestoreMsg>,
    caf::reacts_to<WakeMsg>>;

// A payment channel: the one interface every adapter serves
// (channels/channel_actor.hpp, where adapters find it without actors/).
using channels::channel_actor;

}  // namespace oncepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::PayMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::CloseMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::GetOrderMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::GetPaymentMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::NoticeMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::TimerMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::RefundMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::OrderReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::RestoreMsg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::WakeMsg)
