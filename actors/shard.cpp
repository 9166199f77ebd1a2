#include "actors/shard.hpp"

#include "actors/order_actor.hpp"
#include "storage/snapshot_layout.hpp"

namespace oncepay::actors {

namespace {

// How a shard finds an order's actor.
struct Lookup {
  order_actor order;    // null: the order exists nowhere (or the store failed)
  bool failed = false;  // the stored snapshot could not be read
};

OrderReply missing_order() { return OrderReply{core::Code::kOrderNotFound, "no such order"}; }
OrderReply missing_payment() { return OrderReply{core::Code::kPaymentNotFound, "no such payment"}; }
OrderReply unreadable() {
  return OrderReply{core::Code::kStorageUnavailable, "the order could not be read from storage"};
}

void index_payments(ShardState& state, const core::OrderState& order) {
  for (const auto& a : order.attempts) {
    state.payments.insert_or_assign(a.payment_no,
                                    OrderKey{order.merchant_id, order.merchant_order_no});
  }
}

// The order of payment_no: this shard's index, else the snapshot's
// `payments` table. *failed when the snapshot could not be read.
std::optional<OrderKey> order_of_payment(const ShardState& state, const OrderEnv& env,
                                         const std::string& payment_no, bool* failed) {
  *failed = false;
  if (auto it = state.payments.find(payment_no); it != state.payments.end()) return it->second;
  if (!env.stored) return std::nullopt;
  OrderKey key;
  storage::Status st = env.stored->find_payment(payment_no, &key);
  if (st.is_ok()) return key;
  if (!st.is_not_found()) {
    env.storage->fail("reading the stored payment index", st.to_string());
    *failed = true;
  }
  return std::nullopt;
}

}  // namespace

shard_actor::behavior_type shard_impl(shard_pointer self, std::shared_ptr<const OrderEnv> env) {
  // Linked: when the shard stops, its orders stop with it.
  auto adopt = [self, env](std::string key, order_actor order) {
    self->state.orders.emplace(std::move(key), order);
    const_cast<OrderEnv&>(*env).live_orders.fetch_add(1, std::memory_order_relaxed);
    return order;
  };
  auto restore = [self, env, adopt](std::string key, core::OrderState state,
                                    core::Policy policy) -> order_actor {
    index_payments(self->state, state);
    return adopt(std::move(key),
                 self->spawn<caf::linked>(restored_order_actor_impl, env, std::move(state), policy,
                                          self->address()));
  };
  // The order's actor: held, or spawned from its parked state or its
  // stored snapshot.
  auto find = [self, env, restore](const OrderKey& key) -> Lookup {
    std::string k = storage::order_key_bytes(key.merchant_id, key.merchant_order_no);
    if (auto it = self->state.orders.find(k); it != self->state.orders.end()) {
      return Lookup{it->second};
    }
    if (auto it = self->state.parked.find(k); it != self->state.parked.end()) {
      RestoredOrder parked = std::move(it->second);
      self->state.parked.erase(it);
      return Lookup{restore(std::move(k), std::move(parked.state), parked.policy)};
    }
    if (!env->stored) return Lookup{};
    core::OrderState state;
    storage::Status st = env->stored->load(key, &state);
    if (st.is_not_found()) return Lookup{};
    if (!st.is_ok()) {
      env->storage->fail("loading a stored order", st.to_string());
      return Lookup{order_actor{}, true};
    }
    const core::Policy policy = env->merchants != nullptr
                                    ? env->merchants->policy_of(key.merchant_id)
                                    : core::Policy::kStrict;
    return Lookup{restore(std::move(k), std::move(state), policy)};
  };
  return {
      [self, env, find, adopt](PayMsg& msg) -> caf::result<OrderReply> {
        OrderKey key{msg.command.merchant_id, msg.command.merchant_order_no};
        Lookup found = find(key);
        if (found.failed) return unreadable();
        if (!found.order) {
          found.order =
              adopt(storage::order_key_bytes(key.merchant_id, key.merchant_order_no),
                    self->spawn<caf::linked>(order_actor_impl, env, key, self->address()));
        }
        return self->delegate(found.order, std::move(msg));
      },
      [self, find](CloseMsg& msg) -> caf::result<OrderReply> {
        Lookup found = find(msg.key);
        if (!found.order) return found.failed ? unreadable() : missing_order();
        return self->delegate(found.order, std::move(msg));
      },
      [self, find](RefundMsg& msg) -> caf::result<OrderReply> {
        Lookup found = find(msg.key);
        if (!found.order) return found.failed ? unreadable() : missing_order();
        return self->delegate(found.order, std::move(msg));
      },
      [self, env, find](ReviewMsg& msg) -> caf::result<OrderReply> {
        Lookup found = find(msg.key);
        if (!found.order) return found.failed ? unreadable() : missing_order();
        msg.policy = env->merchants != nullptr ? env->merchants->policy_of(msg.key.merchant_id)
                                               : core::Policy::kStrict;
        return self->delegate(found.order, std::move(msg));
      },
      [self, env, find](OperatorMsg& msg) -> caf::result<OrderReply> {
        Lookup found = find(msg.key);
        if (!found.order) return found.failed ? unreadable() : missing_order();
        msg.policy = env->merchants != nullptr ? env->merchants->policy_of(msg.key.merchant_id)
                                               : core::Policy::kStrict;
        return self->delegate(found.order, std::move(msg));
      },
      [self, find](GetOrderMsg& msg) -> caf::result<OrderReply> {
        Lookup found = find(msg.key);
        if (!found.order) return found.failed ? unreadable() : missing_order();
        return self->delegate(found.order, std::move(msg));
      },
      [self, env, find](GetPaymentMsg& msg) -> caf::result<OrderReply> {
        bool failed = false;
        auto key = order_of_payment(self->state, *env, msg.payment_no, &failed);
        if (failed) return unreadable();
        if (!key || (!msg.admin && key->merchant_id != msg.merchant_id)) return missing_payment();
        Lookup found = find(*key);
        if (!found.order) return found.failed ? unreadable() : missing_payment();
        return self->delegate(found.order, std::move(msg));
      },
      [self, env, find](NoticeMsg& msg) -> caf::result<OrderReply> {
        bool failed = false;
        auto key = order_of_payment(self->state, *env, msg.notice.payment_no, &failed);
        if (failed) return unreadable();
        if (!key) return missing_payment();
        // Came by a merchant's notify URL: only that merchant's payments.
        if (!msg.merchant_id.empty() && key->merchant_id != msg.merchant_id) {
          return missing_payment();
        }
        Lookup found = find(*key);
        if (!found.order) return found.failed ? unreadable() : missing_payment();
        msg.policy = env->merchants != nullptr ? env->merchants->policy_of(key->merchant_id)
                                               : core::Policy::kStrict;
        return self->delegate(found.order, std::move(msg));
      },
      [self](PaymentNoMsg& msg) {
        self->state.payments.insert_or_assign(std::move(msg.payment_no), std::move(msg.key));
      },
      [self](RestoreMsg& msg) {
        // Parked, not spawned: most of them are not used soon, and the
        // stored-timer actor wakes those with a timer when it comes due.
        for (auto& restored : msg.orders) {
          std::string key = storage::order_key_bytes(restored.state.merchant_id,
                                                     restored.state.merchant_order_no);
          if (self->state.orders.count(key) != 0) continue;  // recovery gives each order once
          index_payments(self->state, restored.state);
          self->state.parked.emplace(std::move(key), std::move(restored));
        }
      },
      [find](WakeMsg& msg) {
        // Spawns the order's actor unless it has one; the actor re-arms the
        // due timer.
        find(msg.key);
      },
  };
}

}  // namespace oncepay::actors
