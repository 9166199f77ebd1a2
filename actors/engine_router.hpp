// The engine's front door: router actors that serve engine_actor (the order
// requests) by handing each request to the shard that owns its order, which
// answers the requester directly (CAF delegation: the reply does not pass
// back through the router). The engine spawns a small pool of them
// (EngineOptions::routers); code outside CAF reaches them through the
// Engine's methods, which make a typed request and call back with the reply.
//
// Routing (the one place, actors/shard_router.hpp): an order request goes
// to route(key); a payment request (GetPaymentMsg, NoticeMsg) to the shard
// its payment_no names (route_payment), which maps the payment_no to its
// order itself (actors/shard.hpp). A payment_no made before payment numbers
// carried their shard (the 26-character format) names no shard: its order
// key is looked up among the legacy payment numbers of the recovered orders
// (RouterEnv::legacy), then in the snapshot's `payments` table (every other
// legacy payment_no is there: they were all made before this version and
// checkpointed since), and the request goes to route(key). A payment_no
// whose shard field is out of range, or that is found nowhere, is not found.
//
// Threads and ownership: a router's state is immutable shared data
// (RouterEnv); routers never block except on the snapshot read of a legacy
// payment_no. RouterEnv::legacy is written only by recovery, before
// `ready` turns true (release), and read only after (acquire).
//
// Failure modes: while !ready every request is answered kNotReady; after a
// storage failure state changes (pay, close, refund, notice) are answered
// kStorageUnavailable (reads keep working); a snapshot that cannot be read
// answers kStorageUnavailable and marks storage failed. Requesters bound
// their wait themselves (the Engine: request_timeout, then
// kPaymentStatusUnknown).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>

#include "actors/messages.hpp"
#include "actors/order_env.hpp"
#include "actors/shard_router.hpp"

namespace oncepay::actors {

struct RouterEnv {
  std::shared_ptr<const ShardRouter> router;
  std::shared_ptr<const OrderEnv> env;  // storage health, stored orders
  std::shared_ptr<const std::atomic<bool>> ready;
  // Legacy (shardless) payment numbers of the orders recovery rebuilt from
  // the WAL tail, which the snapshot's `payments` table may not hold yet.
  std::unordered_map<std::string, OrderKey> legacy;
};

// Where a request goes: the shard that owns its order, or the answer when
// it cannot be taken now (not ready, storage failed, no such payment). The
// router actors use it, and so does the Engine's facade, which sends
// straight to the shard (one mailbox hop fewer for callers outside CAF).
// Any thread, once `ready` (RouterEnv::legacy is immutable from then on).
using Route = std::variant<shard_actor, OrderReply>;
Route route_request(const RouterEnv& routes, const PayMsg& msg);
Route route_request(const RouterEnv& routes, const CloseMsg& msg);
Route route_request(const RouterEnv& routes, const RefundMsg& msg);
Route route_request(const RouterEnv& routes, const ReviewMsg& msg);
Route route_request(const RouterEnv& routes, const OperatorMsg& msg);
Route route_request(const RouterEnv& routes, const GetOrderMsg& msg);
Route route_request(const RouterEnv& routes, const GetPaymentMsg& msg);
Route route_request(const RouterEnv& routes, const NoticeMsg& msg);

engine_actor::behavior_type engine_router_impl(engine_actor::pointer self,
                                               std::shared_ptr<const RouterEnv> routes);

}  // namespace oncepay::actors
