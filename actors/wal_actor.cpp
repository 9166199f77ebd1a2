#include "actors/wal_actor.hpp"

#include "storage/wal.hpp"

namespace oncepay::actors {

wal_actor::behavior_type wal_actor_impl(wal_pointer self, WalSource source,
                                        std::shared_ptr<StorageHealth> health) {
  self->state.source = std::move(source);
  self->state.health = std::move(health);
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
        st.waiting.emplace(token, promise);
        wal_actor me = caf::actor_cast<wal_actor>(self);
        st.wal->append(std::move(msg.payload), [me, token](uint64_t lsn, storage::Status status) {
          caf::anon_send(me, WalDoneMsg{token, lsn, status.is_ok(), status.to_string()});
        });
        return promise;
      },
      [self](WalDoneMsg& done) {
        auto& st = self->state;
        auto it = st.waiting.find(done.token);
        if (it == st.waiting.end()) return;
        auto promise = std::move(it->second);
        st.waiting.erase(it);
        if (done.ok) {
          promise.deliver(done.lsn);
          return;
        }
        st.health->fail("WAL append", done.error);
        promise.deliver(caf::make_error(caf::sec::runtime_error, std::move(done.error)));
      },
  };
}

}  // namespace oncepay::actors
