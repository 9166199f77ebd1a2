// apply()'s dispatch (core/apply/order.cpp) against the Event oneof, and the
// routing of TimerArmed events (core/timer_target.hpp).
#include "core/order_state.hpp"

#include <gtest/gtest.h>

#include "core/apply/apply.hpp"
#include "core/timer_target.hpp"

namespace oncepay::core {
namespace {

TEST(OrderStateTest, EveryEventKindHasOneHandler) {
  const auto* kind = v1::Event::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  for (int i = 0; i < kind->field_count(); ++i) {
    const auto number = static_cast<v1::Event::KindCase>(kind->field(i)->number());
    EXPECT_NE(apply_event::handler_of(number), nullptr)
        << kind->field(i)->name() << " has no handler in core/apply/order.cpp";
  }
  EXPECT_EQ(apply_event::handler_count(), static_cast<size_t>(kind->field_count()));
  EXPECT_EQ(apply_event::handler_of(v1::Event::KIND_NOT_SET), nullptr);
}

TEST(OrderStateTest, TimerTargetFollowsTheFieldsSet) {
  v1::TimerArmed t;
  t.set_ladder(v1::TimerArmed::ORDER_EXPIRY);
  EXPECT_EQ(timer_target(t), TimerTarget::kOrder);
  t.set_payment_no("P1");
  t.set_ladder(v1::TimerArmed::QUERY);
  EXPECT_EQ(timer_target(t), TimerTarget::kAttempt);
  t.set_refund_no("r-1");
  t.set_ladder(v1::TimerArmed::REFUND);
  EXPECT_EQ(timer_target(t), TimerTarget::kRefund);
  t.clear_refund_no();
  t.set_event_id("evt_P1_paid");
  t.set_ladder(v1::TimerArmed::WEBHOOK);
  EXPECT_EQ(timer_target(t), TimerTarget::kWebhook);
  // The fields decide, not the ladder: an ended ladder (LADDER_UNSPECIFIED)
  // still names what ended.
  t.set_ladder(v1::TimerArmed::LADDER_UNSPECIFIED);
  EXPECT_EQ(timer_target(t), TimerTarget::kWebhook);
  EXPECT_EQ(to_string(TimerTarget::kRefund), "refund");
}

TEST(OrderStateTest, TimerArmedForEachTargetLandsOnIt) {
  OrderState s;
  v1::Event e;
  e.set_at_ms(1000);
  auto* opened = e.mutable_order_opened();
  opened->set_amount(100);
  opened->set_currency("CNY");
  opened->set_channel("sandbox");
  apply(s, e);
  e.Clear();
  e.set_at_ms(1000);
  e.mutable_attempt_created()->set_payment_no("P1");
  apply(s, e);
  e.Clear();
  e.set_at_ms(1000);
  e.mutable_timer_armed()->set_ladder(v1::TimerArmed::ORDER_EXPIRY);
  e.mutable_timer_armed()->set_due_ms(9000);
  apply(s, e);
  EXPECT_EQ(s.expiry_due_ms, 9000);
  e.mutable_timer_armed()->set_payment_no("P1");
  e.mutable_timer_armed()->set_ladder(v1::TimerArmed::QUERY);
  e.mutable_timer_armed()->set_step(2);
  apply(s, e);
  EXPECT_EQ(s.attempts[0].ladder, v1::TimerArmed::QUERY);
  EXPECT_EQ(s.attempts[0].step, 2);
  EXPECT_EQ(s.expiry_due_ms, 9000);
}

}  // namespace
}  // namespace oncepay::core
