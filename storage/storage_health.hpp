// StorageHealth: the engine's sticky "is durability still certain" flag
// (STYLE rule 8). The WAL actor, order actors and the checkpointer call
// fail() when an fdatasync, a WAL append or an LMDB commit failed or did
// not answer in time; from then on the engine refuses state changes with
// kStorageUnavailable, /readyz says why, and only a restart (recovery from
// what is on disk) clears it.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

namespace oncepay::storage {

class StorageHealth {
 public:
  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  // Records the first failure (later ones are ignored) and logs it as one
  // line on stderr, unless stopping() was set: a shutdown that cuts requests
  // off is not a storage failure.
  void fail(std::string_view who, const std::string& reason);
  // What failed first; empty while healthy.
  std::string reason() const;

  void set_stopping() { stopping_.store(true, std::memory_order_release); }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> healthy_{true};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::string reason_;
};

}  // namespace oncepay::storage
