#include "actors/shard.hpp"

#include <xxhash.h>

#include "actors/order_actor.hpp"

namespace oncepay::actors {

namespace {

std::string map_key(const OrderKey& key) {
  std::string out;
  out.reserve(key.merchant_id.size() + 1 + key.merchant_order_no.size());
  out += key.merchant_id;
  out += '\x1f';  // never part of either id
  out += key.merchant_order_no;
  return out;
}

}  // namespace

size_t shard_of(const OrderKey& key, size_t shard_count) {
  const std::string k = map_key(key);
  return static_cast<size_t>(XXH3_64bits(k.data(), k.size()) % shard_count);
}

shard_actor::behavior_type shard_impl(shard_pointer self, std::shared_ptr<const OrderEnv> env) {
  auto find = [self](const OrderKey& key) -> order_actor {
    auto it = self->state.orders.find(map_key(key));
    return it == self->state.orders.end() ? order_actor{} : it->second;
  };
  auto find_or_spawn = [self, env, find](const OrderKey& key) -> order_actor {
    if (auto existing = find(key)) return existing;
    // Linked: when the shard stops, its orders stop with it.
    auto order = self->spawn<caf::linked>(order_actor_impl, env, key);
    self->state.orders.emplace(map_key(key), order);
    const_cast<OrderEnv&>(*env).live_orders.fetch_add(1, std::memory_order_relaxed);
    return order;
  };
  auto missing = [] { return OrderReply{core::Code::kOrderNotFound, "no such order"}; };
  return {
      [self, find_or_spawn](PayMsg& msg) -> caf::delegated<OrderReply> {
        OrderKey key{msg.command.merchant_id, msg.command.merchant_order_no};
        return self->delegate(find_or_spawn(key), std::move(msg));
      },
      [self, find, missing](CloseMsg& msg) -> caf::result<OrderReply> {
        auto order = find(msg.key);
        if (!order) return missing();
        return self->delegate(order, std::move(msg));
      },
      [self, find, missing](RefundMsg& msg) -> caf::result<OrderReply> {
        auto order = find(msg.key);
        if (!order) return missing();
        return self->delegate(order, std::move(msg));
      },
      [self, find, missing](GetOrderMsg& msg) -> caf::result<OrderReply> {
        auto order = find(msg.key);
        if (!order) return missing();
        return self->delegate(order, std::move(msg));
      },
      [self, find](GetPaymentMsg& msg) -> caf::result<OrderReply> {
        auto order = find(msg.key);
        if (!order) return OrderReply{core::Code::kPaymentNotFound, "no such payment"};
        return self->delegate(order, std::move(msg));
      },
      [self, find](NoticeMsg& msg) -> caf::result<OrderReply> {
        auto order = find(msg.key);
        if (!order) return OrderReply{core::Code::kPaymentNotFound, "no such payment"};
        return self->delegate(order, std::move(msg));
      },
      [self, env](RestoreMsg& msg) {
        for (auto& restored : msg.orders) {
          std::string key =
              map_key(OrderKey{restored.state.merchant_id, restored.state.merchant_order_no});
          if (self->state.orders.count(key) != 0) continue;  // recovery gives each order once
          auto order = self->spawn<caf::linked>(restored_order_actor_impl, env,
                                                std::move(restored.state), restored.policy);
          self->state.orders.emplace(std::move(key), order);
          const_cast<OrderEnv&>(*env).live_orders.fetch_add(1, std::memory_order_relaxed);
        }
      },
  };
}

}  // namespace oncepay::actors
