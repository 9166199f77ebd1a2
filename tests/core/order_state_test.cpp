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

// ---------------------------------------------------------------- operator view

OrderState paid_order_with_a_webhook_and_a_review() {
  OrderState s;
  s.merchant_id = "demo";
  s.merchant_order_no = "o-1";
  s.status = v1::Order::PAID;
  s.amount_minor = 1999;
  s.currency = "CNY";
  s.created_ms = 1'800'000'000'000;
  WebhookState w;
  w.event_id = "evt_P1_paid";
  w.type = "order.paid";
  w.created_ms = 1'800'000'001'000;
  w.status = v1::Webhook::UNDELIVERED;
  w.attempts = 4;
  w.last_status = 500;
  s.webhooks.push_back(w);
  ReviewState r;
  r.item_id = "webhook_exhausted:evt_P1_paid";
  r.reason = "webhook_exhausted";
  r.payment_no = "P1";
  r.detail = "4 attempts, last HTTP 500";
  r.opened_ms = 1'800'000'002'000;
  s.reviews.push_back(r);
  s.timeline.push_back({1'800'000'000'000, "order.opened", "", ""});
  return s;
}

TEST(AdminOrderViewTest, HasTheOrderViewItsWebhooksAndOpenReviewItems) {
  const OrderState s = paid_order_with_a_webhook_and_a_review();
  const v1::AdminOrderView view = admin_order_view(s);
  EXPECT_EQ(view.merchant_id(), "demo");
  EXPECT_EQ(view.order().SerializeAsString(), order_view(s).SerializeAsString());
  ASSERT_EQ(view.webhooks_size(), 1);
  EXPECT_EQ(view.webhooks(0).event_id(), "evt_P1_paid");
  EXPECT_EQ(view.webhooks(0).type(), "order.paid");
  EXPECT_EQ(view.webhooks(0).status(), v1::Webhook::UNDELIVERED);
  EXPECT_EQ(view.webhooks(0).attempts(), 4);
  EXPECT_EQ(view.webhooks(0).last_status(), 500);
  EXPECT_EQ(view.webhooks(0).created_at(), "2027-01-15T08:00:01.000Z");
  ASSERT_EQ(view.reviews_size(), 1);
  EXPECT_EQ(view.reviews(0).item_id(), "webhook_exhausted:evt_P1_paid");
  EXPECT_EQ(view.reviews(0).merchant_id(), "demo");
  EXPECT_EQ(view.reviews(0).merchant_order_no(), "o-1");
  EXPECT_EQ(view.reviews(0).since(), "2027-01-15T08:00:02.000Z");
  EXPECT_FALSE(view.reviews(0).has_recon());
  EXPECT_FALSE(view.reviews(0).has_resolution());
}

TEST(AdminOrderViewTest, AReviewItemShowsItsReconFactsAndResolution) {
  ReviewState r;
  r.item_id = "recon_amount_mismatch:P1";
  r.reason = "recon_amount_mismatch";
  r.recon.reconciliation_id = "rc-1";
  r.recon.line = 7;
  r.recon.has_channel_amount = true;
  r.recon.channel_amount_minor = 1000;
  r.recon.platform_amount_minor = 1999;
  r.resolution = "trust_platform";
  r.resolved_by = "otto";
  const v1::ReviewItemView view = review_item_view("demo", "o-1", r);
  ASSERT_TRUE(view.has_recon());
  EXPECT_EQ(view.recon().reconciliation_id(), "rc-1");
  EXPECT_EQ(view.recon().line(), 7u);
  EXPECT_EQ(view.recon().channel_amount(), 1000);
  EXPECT_EQ(view.recon().platform_amount(), 1999);
  EXPECT_EQ(view.resolution(), "trust_platform");
  EXPECT_EQ(view.resolved_by(), "otto");
}

TEST(AdminOrderViewTest, AnOrderWithoutWebhooksOrReviewsHasEmptyLists) {
  OrderState s = paid_order_with_a_webhook_and_a_review();
  s.webhooks.clear();
  s.reviews.clear();
  const v1::AdminOrderView view = admin_order_view(s);
  EXPECT_EQ(view.webhooks_size(), 0);
  EXPECT_EQ(view.reviews_size(), 0);
}

}  // namespace
}  // namespace oncepay::core
