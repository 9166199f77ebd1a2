#include "actors/engine_router.hpp"

#include <variant>

namespace oncepay::actors {

namespace {

OrderReply refusal(core::Code code) {
  if (code == core::Code::kNotReady) {
    return OrderReply{code, "the engine is recovering; try again shortly"};
  }
  return OrderReply{code, "storage failed: state changes are refused until a restart"};
}

OrderReply missing_payment() { return OrderReply{core::Code::kPaymentNotFound, "no such payment"}; }

OrderReply unreadable() {
  return OrderReply{core::Code::kStorageUnavailable, "the payment could not be read from storage"};
}

// kNotReady / kStorageUnavailable when a request cannot be taken now.
std::optional<OrderReply> refuse(const RouterEnv& routes, bool changes_state) {
  if (!routes.ready->load(std::memory_order_acquire)) return refusal(core::Code::kNotReady);
  if (changes_state && !routes.env->storage->healthy()) {
    return refusal(core::Code::kStorageUnavailable);
  }
  return std::nullopt;
}

// The shard of payment_no's order, or the reply when there is none.
std::variant<shard_actor, OrderReply> payment_route(const RouterEnv& routes,
                                                    const std::string& payment_no) {
  if (payment_no_shard(payment_no)) {
    auto shard = routes.router->route_payment(payment_no);
    if (!shard) return missing_payment();  // made with another shard count: not here
    return *shard;
  }
  // Legacy (or not ours): the order key, then its shard.
  if (auto it = routes.legacy.find(payment_no); it != routes.legacy.end()) {
    return routes.router->route(it->second);
  }
  if (!routes.env->stored) return missing_payment();
  OrderKey key;
  storage::Status st = routes.env->stored->find_payment(payment_no, &key);
  if (st.is_ok()) return routes.router->route(key);
  if (st.is_not_found()) return missing_payment();
  routes.env->storage->fail("reading the stored payment index", st.to_string());
  return unreadable();
}

Route by_key(const RouterEnv& routes, const OrderKey& key, bool changes_state) {
  if (auto no = refuse(routes, changes_state)) return std::move(*no);
  return routes.router->route(key);
}

Route by_payment(const RouterEnv& routes, const std::string& payment_no, bool changes_state) {
  if (auto no = refuse(routes, changes_state)) return std::move(*no);
  return payment_route(routes, payment_no);
}

}  // namespace

Route route_request(const RouterEnv& routes, const PayMsg& msg) {
  return by_key(routes, OrderKey{msg.command.merchant_id, msg.command.merchant_order_no}, true);
}
Route route_request(const RouterEnv& routes, const CloseMsg& msg) {
  return by_key(routes, msg.key, true);
}
Route route_request(const RouterEnv& routes, const RefundMsg& msg) {
  return by_key(routes, msg.key, true);
}
Route route_request(const RouterEnv& routes, const ReviewMsg& msg) {
  return by_key(routes, msg.key, true);
}
Route route_request(const RouterEnv& routes, const OperatorMsg& msg) {
  return by_key(routes, msg.key, true);
}
Route route_request(const RouterEnv& routes, const GetOrderMsg& msg) {
  return by_key(routes, msg.key, false);
}
Route route_request(const RouterEnv& routes, const GetPaymentMsg& msg) {
  return by_payment(routes, msg.payment_no, false);
}
Route route_request(const RouterEnv& routes, const NoticeMsg& msg) {
  return by_payment(routes, msg.notice.payment_no, true);
}

engine_actor::behavior_type engine_router_impl(engine_actor::pointer self,
                                               std::shared_ptr<const RouterEnv> routes) {
  auto forward = [self, routes](auto msg) -> caf::result<OrderReply> {
    Route route = route_request(*routes, msg);
    if (auto* reply = std::get_if<OrderReply>(&route)) return std::move(*reply);
    return self->delegate(std::get<shard_actor>(route), std::move(msg));
  };
  return {
      [forward](PayMsg& msg) { return forward(std::move(msg)); },
      [forward](CloseMsg& msg) { return forward(std::move(msg)); },
      [forward](RefundMsg& msg) { return forward(std::move(msg)); },
      [forward](ReviewMsg& msg) { return forward(std::move(msg)); },
      [forward](OperatorMsg& msg) { return forward(std::move(msg)); },
      [forward](GetOrderMsg& msg) { return forward(std::move(msg)); },
      [forward](GetPaymentMsg& msg) { return forward(std::move(msg)); },
      [forward](NoticeMsg& msg) { return forward(std::move(msg)); },
  };
}

}  // namespace oncepay::actors
