// The circuit breaker of a network channel: after `failure_threshold` calls
// in a row that got no answer at all, calls fail fast for `open_ms`; then one
// probe call is let through (half-open): its success closes the breaker, its
// failure opens it again. Every adapter that talks to a channel over the
// network keeps one (channels/sim/sim_actor.hpp does); its state is the
// channel's health in /readyz and /metrics (channels/registry.hpp).
//
// Pure: time comes in as now_ms (any monotonic milliseconds), so tests drive
// it with explicit times (tests/channels/breaker_test.cpp).
// Threads and ownership: not thread-safe; the adapter that owns it guards it
// with a mutex.
// Failure modes: none; a threshold below 1 or a negative open time is a
// programmer error (ONCEPAY_CHECK).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace oncepay::channels {

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  CircuitBreaker(int failure_threshold, int64_t open_ms);

  // May a call start now? Open: false until open_ms have passed, then it
  // turns half-open and admits exactly one probe; half-open: false while
  // that probe is out. Every admitted call must end in one of the reports.
  bool allow(int64_t now_ms);
  void on_success();
  void on_failure(int64_t now_ms);

  // An open breaker whose open_ms have passed reads kHalfOpen: the next
  // allow() admits the probe.
  State state(int64_t now_ms) const;
  uint64_t times_opened() const { return times_opened_; }

 private:
  void open(int64_t now_ms);

  int failure_threshold_;
  int64_t open_ms_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  int64_t opened_at_ms_ = 0;
  bool probe_out_ = false;
  uint64_t times_opened_ = 0;
};

// "closed", "open", "half-open" (the /readyz and /metrics spelling).
std::string_view to_string(CircuitBreaker::State state);

// One CircuitBreaker per endpoint, for a channel whose merchants each name
// their own (a channel account's base_url): one merchant's unreachable or
// misconfigured gateway fails fast for that merchant's calls only, never for
// merchants on another endpoint. Endpoints come from configured accounts, so
// the map is bounded by them.
// Threads and ownership: thread-safe (one mutex); any thread.
// Failure modes: none (see CircuitBreaker).
class EndpointBreakers {
 public:
  EndpointBreakers(int failure_threshold, int64_t open_ms);

  // CircuitBreaker::allow of `endpoint`'s breaker (made closed on first use).
  bool allow(const std::string& endpoint, int64_t now_ms);
  // The end of an admitted call: answered (any HTTP answer) or not.
  void report(const std::string& endpoint, bool answered, int64_t now_ms);
  // The channel's health: the worst state of any endpoint (open, then
  // half-open, then closed).
  CircuitBreaker::State state(int64_t now_ms) const;
  // Openings of every endpoint's breaker, summed.
  uint64_t times_opened() const;

 private:
  const int failure_threshold_;
  const int64_t open_ms_;
  mutable std::mutex mutex_;
  std::map<std::string, CircuitBreaker, std::less<>> breakers_;  // guarded by mutex_
};

}  // namespace oncepay::channels
