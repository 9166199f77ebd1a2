#include "actors/order_env.hpp"

#include <cstdio>

namespace oncepay::actors {

int64_t OrderEnv::now_ms(caf::actor_clock& clock) const {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - steady_base);
  return wall_base_ms + elapsed.count();
}

std::string OrderEnv::new_payment_no(int64_t now_ms) const {
  // 1 + 13 + 4 + 8 = 26 characters: fits every channel's 32-char trade-no limit.
  char buffer[40];
  const uint64_t n = next_id.fetch_add(1, std::memory_order_relaxed) + 1;
  std::snprintf(buffer, sizeof buffer, "P%013lld%s%08llu", static_cast<long long>(now_ms),
                boot_nonce.c_str(), static_cast<unsigned long long>(n % 100'000'000));
  return buffer;
}

}  // namespace oncepay::actors
