#include "actors/stored_timers.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::actors {

namespace {

// One pass: sends the wake-ups of every timer due before now + window that
// was not sent yet, then sleeps until the next one comes within half a window.
void scan(stored_timers_pointer self, const OrderEnv& env, const ShardRouter& router,
          std::chrono::milliseconds window) {
  auto& state = self->state;
  const int64_t now = env.now_ms(self->clock());
  const int64_t until = std::max(state.scanned_until_ms, now + window.count());
  auto wake = [&](int64_t due_ms, OrderKey order) {
    const shard_actor& shard = router.route(order);
    if (due_ms <= now) {
      self->send(shard, WakeMsg{std::move(order)});
    } else {
      self->delayed_send(shard, std::chrono::milliseconds(due_ms - now), WakeMsg{std::move(order)});
    }
  };
  std::optional<int64_t> next_due;
  storage::Status st = env.stored->scan_timers(state.scanned_until_ms, until, wake, &next_due);
  if (!st.is_ok()) {
    // A timer may be missed: durability is no longer certain. Ignored while
    // the engine stops (the store is closed then).
    env.storage->fail("reading the stored timers", st.to_string());
    self->delayed_send(self, window, scan_timers_atom::value);
    return;
  }
  for (; state.next_parked < state.parked.size(); ++state.next_parked) {
    DueOrder& parked = state.parked[state.next_parked];
    if (parked.due_ms >= until) {
      if (!next_due || parked.due_ms < *next_due) next_due = parked.due_ms;
      break;
    }
    wake(parked.due_ms, std::move(parked.key));
  }
  state.scanned_until_ms = until;
  if (!next_due) return;  // nothing later anywhere: nothing more to do
  const int64_t wait_ms = std::max<int64_t>(*next_due - now - window.count() / 2, 1);
  self->delayed_send(self, std::chrono::milliseconds(wait_ms), scan_timers_atom::value);
}

}  // namespace

stored_timers_actor::behavior_type stored_timers_impl(stored_timers_pointer self,
                                                      std::shared_ptr<const OrderEnv> env,
                                                      std::shared_ptr<const ShardRouter> router,
                                                      std::chrono::milliseconds window) {
  ONCEPAY_CHECK(env->stored != nullptr && router != nullptr && window.count() > 1);
  return {
      [self, env, router, window](scan_timers_atom) { scan(self, *env, *router, window); },
      [self, env, router, window](ParkedTimersMsg& msg) {
        // Sent once, before the first scan (nothing is scheduled yet).
        ONCEPAY_CHECK(self->state.parked.empty() && self->state.scanned_until_ms == 0);
        std::stable_sort(msg.due.begin(), msg.due.end(),
                         [](const DueOrder& a, const DueOrder& b) { return a.due_ms < b.due_ms; });
        self->state.parked = std::move(msg.due);
        scan(self, *env, *router, window);
      },
  };
}

std::optional<int64_t> next_due_ms(const core::OrderState& state) {
  std::optional<int64_t> next;
  auto consider = [&next](core::Ladder ladder, int64_t due_ms) {
    if (ladder == v1::TimerArmed::LADDER_UNSPECIFIED) return;
    if (!next || due_ms < *next) next = due_ms;
  };
  for (const auto& a : state.attempts) consider(a.ladder, a.due_ms);
  for (const auto& r : state.refunds) consider(r.ladder, r.due_ms);
  for (const auto& w : state.webhooks) consider(w.ladder, w.due_ms);
  if (state.expiry_due_ms != 0) consider(v1::TimerArmed::ORDER_EXPIRY, state.expiry_due_ms);
  return next;
}

}  // namespace oncepay::actors
