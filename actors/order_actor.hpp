// The order actor: one per merchant order, the imperative shell around the
// decision core (core/order_decide.hpp). Its mailbox is the order's lock:
// requests for one order are decided one after the other, and while a
// channel call is outstanding the actor awaits its answer, so duplicates
// wait their turn instead of starting a second payment.
//
// Each decided Step is applied as: record its events (the durability seam,
// record_events()), reply, arm timers, then make the channel call and feed
// its answer (or kUnavailable after env.channel_timeout) back to the core.
#pragma once

#include <memory>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"
#include "core/order_state.hpp"

namespace oncepay::actors {

struct OrderActorState {
  core::OrderState order;
  static inline const char* name = "oncepay.order";
};

using order_pointer = order_actor::stateful_pointer<OrderActorState>;

order_actor::behavior_type order_actor_impl(order_pointer self, std::shared_ptr<const OrderEnv> env,
                                            OrderKey key);

}  // namespace oncepay::actors
