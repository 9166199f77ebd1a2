#include "actors/wal_actor.hpp"

#include <algorithm>
#include <string>

#include "storage/wal.hpp"

namespace oncepay::actors {

namespace {

std::chrono::milliseconds tick_of(std::chrono::milliseconds timeout) {
  return std::max(timeout / 4, std::chrono::milliseconds(1));
}

void arm_tick(wal_pointer self) {
  if (self->state.ticking) return;
  self->state.ticking = true;
  self->delayed_send(self, tick_of(self->state.timeout), WalTickMsg{});
}

}  // namespace

wal_actor::behavior_type wal_actor_impl(wal_pointer self, WalSource source,
                                        std::shared_ptr<storage::StorageHealth> health,
                                        std::chrono::milliseconds timeout, bool inline_writes) {
  self->state.inline_writes = inline_writes;
  self->state.source = std::move(source);
  self->state.health = std::move(health);
  self->state.timeout = timeout;
  return {
      [self](AppendMsg& msg) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (!st.health->healthy()) {
          return caf::make_error(caf::sec::runtime_error,
                                 std::string("storage failed earlier: ") + st.health->reason());
        }
        if (!st.wal) st.wal = st.source();
        if (!st.wal) return caf::make_error(caf::sec::runtime_error, "the WAL is not open yet");
        const uint64_t token = ++st.next_token;
        auto promise = self->make_response_promise<uint64_t>();
        st.waiting.emplace(token,
                           WalActorState::Waiting{promise, self->clock().now() + st.timeout});
        arm_tick(self);
        wal_actor me = caf::actor_cast<wal_actor>(self);
        st.wal->append(std::move(msg.payload), [me, token](uint64_t lsn, storage::Status status) {
          caf::anon_send(me, WalDoneMsg{token, lsn, status.is_ok(), status.to_string()});
        });
        if (st.inline_writes && !st.flushing) {
          st.flushing = true;
          self->send(self, WalFlushMsg{});
        }
        return promise;
      },
      [self](WalDoneMsg& done) {
        auto& st = self->state;
        auto it = st.waiting.find(done.token);
        if (it == st.waiting.end()) return;
        auto promise = std::move(it->second.promise);
        st.waiting.erase(it);
        if (done.ok) {
          promise.deliver(done.lsn);
          return;
        }
        st.health->fail("WAL append", done.error);
        promise.deliver(caf::make_error(caf::sec::runtime_error, std::move(done.error)));
      },
      [self](WalFlushMsg) {
        auto& st = self->state;
        st.flushing = false;
        if (st.wal) st.wal->write_queued();
      },
      [self](WalTickMsg) {
        auto& st = self->state;
        st.ticking = false;
        const auto now = self->clock().now();
        while (!st.waiting.empty() && st.waiting.begin()->second.deadline <= now) {
          auto promise = std::move(st.waiting.begin()->second.promise);
          st.waiting.erase(st.waiting.begin());
          const std::string why =
              "not durable within " + std::to_string(st.timeout.count()) + " ms";
          st.health->fail("WAL append", why);
          promise.deliver(caf::make_error(caf::sec::request_timeout, why));
        }
        if (!st.waiting.empty()) arm_tick(self);
      },
  };
}

}  // namespace oncepay::actors
