// The circuit breaker's state machine with explicit times
// (channels/breaker.hpp): no clock, no actors.
#include "channels/breaker.hpp"

#include <gtest/gtest.h>

namespace oncepay::channels {
namespace {

TEST(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailures) {
  CircuitBreaker b(3, 1000);
  EXPECT_TRUE(b.allow(0));
  b.on_failure(0);
  b.on_failure(0);
  b.on_success();  // resets the run
  b.on_failure(0);
  b.on_failure(0);
  EXPECT_EQ(b.state(0), CircuitBreaker::State::kClosed);
  b.on_failure(10);
  EXPECT_EQ(b.state(10), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.allow(500));
}

TEST(CircuitBreakerTest, HalfOpenAdmitsOneProbe) {
  CircuitBreaker b(1, 1000);
  b.on_failure(0);
  EXPECT_EQ(b.state(999), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.state(1000), CircuitBreaker::State::kHalfOpen);
  EXPECT_TRUE(b.allow(1000));
  EXPECT_FALSE(b.allow(1001));  // the probe is out
  b.on_success();
  EXPECT_EQ(b.state(1002), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(b.allow(1002));
}

TEST(CircuitBreakerTest, FailedProbeReopens) {
  CircuitBreaker b(1, 1000);
  b.on_failure(0);
  ASSERT_TRUE(b.allow(1000));
  b.on_failure(1100);
  EXPECT_EQ(b.state(1100), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.allow(2099));
  EXPECT_TRUE(b.allow(2100));
  EXPECT_EQ(b.times_opened(), 2u);
}

TEST(CircuitBreakerTest, FailureOfACallAdmittedBeforeItOpenedIsNoNews) {
  CircuitBreaker b(1, 1000);
  ASSERT_TRUE(b.allow(0));
  ASSERT_TRUE(b.allow(0));  // two calls out while closed
  b.on_failure(10);         // opens at 10
  b.on_failure(500);        // the other one: must not restart the open time
  EXPECT_EQ(b.state(1009), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.state(1010), CircuitBreaker::State::kHalfOpen);
  EXPECT_EQ(b.times_opened(), 1u);
}

TEST(CircuitBreakerTest, StatesHaveTheirHealthSpelling) {
  EXPECT_EQ(to_string(CircuitBreaker::State::kClosed), "closed");
  EXPECT_EQ(to_string(CircuitBreaker::State::kOpen), "open");
  EXPECT_EQ(to_string(CircuitBreaker::State::kHalfOpen), "half-open");
}

}  // namespace
}  // namespace oncepay::channels

namespace oncepay::channels {
namespace {

TEST(EndpointBreakersTest, OneEndpointOpeningLeavesTheOthersClosed) {
  EndpointBreakers b(2, 1000);
  ASSERT_TRUE(b.allow("http://127.0.0.1:1", 0));
  b.report("http://127.0.0.1:1", false, 0);
  ASSERT_TRUE(b.allow("http://127.0.0.1:1", 1));
  b.report("http://127.0.0.1:1", false, 1);
  EXPECT_FALSE(b.allow("http://127.0.0.1:1", 2));
  EXPECT_TRUE(b.allow("https://api.mch.weixin.qq.com", 2));
  b.report("https://api.mch.weixin.qq.com", true, 2);
  EXPECT_EQ(b.state(2), CircuitBreaker::State::kOpen);  // health: the worst endpoint
  EXPECT_EQ(b.times_opened(), 1u);
}

TEST(EndpointBreakersTest, HealthIsHalfOpenOnceTheOpenTimePassed) {
  EndpointBreakers b(1, 1000);
  ASSERT_TRUE(b.allow("a", 0));
  b.report("a", false, 0);
  EXPECT_EQ(b.state(999), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.state(1000), CircuitBreaker::State::kHalfOpen);
  ASSERT_TRUE(b.allow("a", 1000));  // the probe
  b.report("a", true, 1000);
  EXPECT_EQ(b.state(1000), CircuitBreaker::State::kClosed);
}

TEST(EndpointBreakersTest, NoEndpointYetIsClosed) {
  EndpointBreakers b(1, 1000);
  EXPECT_EQ(b.state(0), CircuitBreaker::State::kClosed);
  EXPECT_EQ(b.times_opened(), 0u);
}

}  // namespace
}  // namespace oncepay::channels
