#include "storage/storage_health.hpp"

#include <cstdio>

namespace oncepay::storage {

void StorageHealth::fail(std::string_view who, const std::string& reason) {
  if (stopping()) return;
  std::lock_guard lock(mutex_);
  if (!healthy_.load(std::memory_order_relaxed)) return;
  reason_.assign(who);
  reason_ += ": ";
  reason_ += reason;
  healthy_.store(false, std::memory_order_release);
  std::fprintf(stderr, "oncepay: storage failed, refusing state changes until a restart: %s\n",
               reason_.c_str());
  std::fflush(stderr);
}

std::string StorageHealth::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

}  // namespace oncepay::storage
