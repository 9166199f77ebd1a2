// What the order-decision tests share: a small PaymentConfig, a Context at a
// settable `now_` whose new payment_nos are P1, P2, ..., the log of every
// event a step recorded, and the check that folding that log (and a
// snapshot round trip) gives the state the decisions left.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/order_decide.hpp"
#include "core/order_snapshot.hpp"

namespace oncepay::core::testing {

class DecideFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kT0 = 1'800'000'000'000;  // a fixed "now" in unix ms

  DecideFixture() {
    config_.in_flight_window_ms = 10'000;
    config_.max_attempts = 3;
    config_.query_ladder_ms = {1'000, 2'000, 4'000};
    config_.fast_expiry_ladder_ms = {500, 1'500};
    config_.auto_refund_retry_ms = {1'000, 5'000};
    config_.notify_retry_ladder_ms = {1'000};
  }

  Context ctx() {
    Context c;
    c.now_ms = now_;
    c.config = &config_;
    c.new_payment_no = [this] {
      std::string no(1, 'P');
      no += std::to_string(++ids_);
      return no;
    };
    return c;
  }

  // The step, its events logged.
  Step record(Step step) {
    for (const auto& e : step.events) log_.push_back(e);
    return step;
  }
  // The channel's answer to the pending step's call.
  Step answer(const Step& pending, ChannelReply reply) {
    EXPECT_TRUE(pending.call.has_value());
    return record(resume(state_, pending.flow, reply, ctx()));
  }

  // demo/o-1: 1999 CNY through the sandbox.
  static PayCommand pay_command() {
    PayCommand cmd;
    cmd.merchant_id = "demo";
    cmd.merchant_order_no = "o-1";
    cmd.amount_minor = 1999;
    cmd.currency = "CNY";
    cmd.channel = "sandbox";
    cmd.notify_url = "https://merchant.example/hook";
    return cmd;
  }

  void expect_replay_equal() const {
    OrderState replayed;
    for (const auto& e : log_) apply(replayed, e);
    EXPECT_TRUE(replayed == state_);
    EXPECT_TRUE(from_snapshot(to_snapshot(state_)) == state_);
  }

  PaymentConfig config_;
  OrderState state_;
  int64_t now_ = kT0;
  int ids_ = 0;
  std::vector<v1::Event> log_;
};

}  // namespace oncepay::core::testing
