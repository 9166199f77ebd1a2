#include "channels/breaker.hpp"

#include "core/check.hpp"

namespace oncepay::channels {

CircuitBreaker::CircuitBreaker(int failure_threshold, int64_t open_ms)
    : failure_threshold_(failure_threshold), open_ms_(open_ms) {
  ONCEPAY_CHECK(failure_threshold >= 1);
  ONCEPAY_CHECK(open_ms >= 0);
}

bool CircuitBreaker::allow(int64_t now_ms) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now_ms - opened_at_ms_ < open_ms_) return false;
      state_ = State::kHalfOpen;
      probe_out_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_out_) return false;
      probe_out_ = true;
      return true;
  }
  return false;
}

CircuitBreaker::State CircuitBreaker::state(int64_t now_ms) const {
  if (state_ == State::kOpen && now_ms - opened_at_ms_ >= open_ms_) return State::kHalfOpen;
  return state_;
}

void CircuitBreaker::on_success() {
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  probe_out_ = false;
}

void CircuitBreaker::on_failure(int64_t now_ms) {
  switch (state_) {
    case State::kClosed:
      if (++consecutive_failures_ >= failure_threshold_) open(now_ms);
      return;
    case State::kHalfOpen:
      open(now_ms);
      return;
    case State::kOpen:
      return;  // a call admitted before the breaker opened: no news
  }
}

void CircuitBreaker::open(int64_t now_ms) {
  state_ = State::kOpen;
  opened_at_ms_ = now_ms;
  probe_out_ = false;
  consecutive_failures_ = 0;
  ++times_opened_;
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half-open";
  }
  return "closed";
}

EndpointBreakers::EndpointBreakers(int failure_threshold, int64_t open_ms)
    : failure_threshold_(failure_threshold), open_ms_(open_ms) {
  ONCEPAY_CHECK(failure_threshold >= 1);
  ONCEPAY_CHECK(open_ms >= 0);
}

bool EndpointBreakers::allow(const std::string& endpoint, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = breakers_.try_emplace(endpoint, failure_threshold_, open_ms_).first;
  return it->second.allow(now_ms);
}

void EndpointBreakers::report(const std::string& endpoint, bool answered, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = breakers_.try_emplace(endpoint, failure_threshold_, open_ms_).first;
  if (answered) {
    it->second.on_success();
  } else {
    it->second.on_failure(now_ms);
  }
}

CircuitBreaker::State EndpointBreakers::state(int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  auto worst = CircuitBreaker::State::kClosed;
  for (const auto& [endpoint, breaker] : breakers_) {
    const auto s = breaker.state(now_ms);
    if (s == CircuitBreaker::State::kOpen) return s;
    if (s == CircuitBreaker::State::kHalfOpen) worst = s;
  }
  return worst;
}

uint64_t EndpointBreakers::times_opened() const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto& [endpoint, breaker] : breakers_) total += breaker.times_opened();
  return total;
}

}  // namespace oncepay::channels
