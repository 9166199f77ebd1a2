#include "actors/order_env.hpp"

#include <cstdio>

#include "actors/shard_router.hpp"
#include "core/check.hpp"

namespace oncepay::actors {

int64_t OrderEnv::now_ms(caf::actor_clock& clock) const {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - steady_base);
  return wall_base_ms + elapsed.count();
}

std::string OrderEnv::new_payment_no(int64_t now_ms, const OrderKey& key) const {
  // 1 + 4 + 13 + 4 + 8 = 30 characters: fits every channel's 32-char
  // trade-no limit, and differs in length from the 26 characters of the
  // format without a shard (kLegacyPaymentNoSize), which tells them apart.
  ONCEPAY_CHECK(boot_nonce.size() == 4 && now_ms >= 0 && now_ms < 10'000'000'000'000);
  char buffer[40];
  const uint64_t n = next_id.fetch_add(1, std::memory_order_relaxed) + 1;
  const int size =
      std::snprintf(buffer, sizeof buffer, "%013lld%s%08llu", static_cast<long long>(now_ms),
                    boot_nonce.c_str(), static_cast<unsigned long long>(n % 100'000'000));
  ONCEPAY_CHECK(size == 25);
  return make_payment_no(shard_of(key, shard_count), std::string_view(buffer, 25));
}

}  // namespace oncepay::actors
