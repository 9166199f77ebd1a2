// The order actor: one per merchant order, the imperative shell around the
// decision core (core/order_decide.hpp). Its mailbox is the order's lock:
// requests for one order are decided one after the other, and while a
// channel call is outstanding the actor awaits its answer, so duplicates
// wait their turn instead of starting a second payment.
//
// Each decided Step is applied as: record its events (the durability seam,
// record_events(): one WAL record per step, awaited until durable, so the
// reply, the channel call and the channel's ack all follow the write-ahead
// rule and duplicates wait in the mailbox), reply, arm timers, then make the
// channel call and feed its answer (or kUnavailable after
// env.channel_timeout) back to the core. If the events cannot be made
// durable, the waiting requester gets kStorageUnavailable and nothing else
// happens: no reply with the new state, no timer, no channel call.
#pragma once

#include <memory>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"
#include "core/order_state.hpp"

namespace oncepay::actors {

struct OrderActorState {
  core::OrderState order;
  // The shard that spawned this actor: it learns the payment numbers the
  // order makes (PaymentNoMsg). Weak: the shard holds the actor.
  caf::actor_addr shard;
  static inline const char* name = "oncepay.order";
};

using order_pointer = order_actor::stateful_pointer<OrderActorState>;

order_actor::behavior_type order_actor_impl(order_pointer self, std::shared_ptr<const OrderEnv> env,
                                            OrderKey key, caf::actor_addr shard);

// An order recovered after a restart: starts with `state` and re-arms the
// armed timer of every attempt from its persisted due_ms (one whose time
// passed while the engine was down fires at once).
order_actor::behavior_type restored_order_actor_impl(order_pointer self,
                                                     std::shared_ptr<const OrderEnv> env,
                                                     core::OrderState state, core::Policy policy,
                                                     caf::actor_addr shard);

}  // namespace oncepay::actors
