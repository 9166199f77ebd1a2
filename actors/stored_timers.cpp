#include "actors/stored_timers.hpp"

#include <algorithm>

#include "actors/shard.hpp"
#include "actors/stored_orders.hpp"
#include "core/check.hpp"

namespace oncepay::actors {

stored_timers_actor::behavior_type stored_timers_impl(stored_timers_pointer self,
                                                      std::shared_ptr<const OrderEnv> env,
                                                      std::vector<shard_actor> shards,
                                                      std::chrono::milliseconds window) {
  ONCEPAY_CHECK(env->stored != nullptr && !shards.empty() && window.count() > 1);
  return {
      [self, env, shards, window](scan_timers_atom) {
        auto& state = self->state;
        const int64_t now = env->now_ms(self->clock());
        const int64_t until = std::max(state.scanned_until_ms, now + window.count());
        std::optional<int64_t> next_due;
        storage::Status st = env->stored->scan_timers(
            state.scanned_until_ms, until,
            [&](int64_t due_ms, OrderKey order) {
              const shard_actor& shard = shards[shard_of(order, shards.size())];
              if (due_ms <= now) {
                self->send(shard, WakeMsg{std::move(order)});
              } else {
                self->delayed_send(shard, std::chrono::milliseconds(due_ms - now),
                                   WakeMsg{std::move(order)});
              }
            },
            &next_due);
        if (!st.is_ok()) {
          // A timer may be missed: durability is no longer certain. Ignored
          // while the engine stops (the store is closed then).
          env->storage->fail("reading the stored timers", st.to_string());
          self->delayed_send(self, window, scan_timers_atom::value);
          return;
        }
        state.scanned_until_ms = until;
        if (!next_due) return;  // the table holds nothing later: nothing more to do
        const int64_t wait_ms = std::max<int64_t>(*next_due - now - window.count() / 2, 1);
        self->delayed_send(self, std::chrono::milliseconds(wait_ms), scan_timers_atom::value);
      },
  };
}

}  // namespace oncepay::actors
