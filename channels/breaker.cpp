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

}  // namespace oncepay::channels
