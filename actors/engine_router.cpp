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

}  // namespace

engine_actor::behavior_type engine_router_impl(engine_actor::pointer self,
                                               std::shared_ptr<const RouterEnv> routes) {
  auto by_key = [self, routes](const OrderKey& key, auto msg,
                               bool changes_state) -> caf::result<OrderReply> {
    if (auto no = refuse(*routes, changes_state)) return *no;
    const shard_actor& shard = routes->router->route(key);
    return self->delegate(shard, std::move(msg));
  };
  auto by_payment = [self, routes](const std::string& payment_no, auto msg,
                                   bool changes_state) -> caf::result<OrderReply> {
    if (auto no = refuse(*routes, changes_state)) return *no;
    auto route = payment_route(*routes, payment_no);
    if (auto* reply = std::get_if<OrderReply>(&route)) return std::move(*reply);
    return self->delegate(std::get<shard_actor>(route), std::move(msg));
  };
  // Each handler reads the routing field before the message moves on.
  return {
      [by_key](PayMsg& msg) {
        const OrderKey key{msg.command.merchant_id, msg.command.merchant_order_no};
        return by_key(key, std::move(msg), true);
      },
      [by_key](CloseMsg& msg) {
        const OrderKey key = msg.key;
        return by_key(key, std::move(msg), true);
      },
      [by_key](RefundMsg& msg) {
        const OrderKey key = msg.key;
        return by_key(key, std::move(msg), true);
      },
      [by_key](GetOrderMsg& msg) {
        const OrderKey key = msg.key;
        return by_key(key, std::move(msg), false);
      },
      [by_payment](GetPaymentMsg& msg) {
        const std::string payment_no = msg.payment_no;
        return by_payment(payment_no, std::move(msg), false);
      },
      [by_payment](NoticeMsg& msg) {
        const std::string payment_no = msg.notice.payment_no;
        return by_payment(payment_no, std::move(msg), true);
      },
  };
}

}  // namespace oncepay::actors
