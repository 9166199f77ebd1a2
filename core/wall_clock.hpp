// The wall clock, for the places that need real time outside the actors
// (signature timestamps, the channel simulator). Order actors take their
// time from the actor clock instead (OrderEnv::now_ms), so that tests on
// CAF's test coordinator see simulated time.
#pragma once

#include <chrono>
#include <cstdint>

namespace oncepay::core {

inline int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t unix_seconds() { return unix_ms() / 1000; }

}  // namespace oncepay::core
