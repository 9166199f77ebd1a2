// OrderState -> OrderSnapshot -> OrderState keeps every field: the order a
// checkpoint stores is the order recovery gets back.
#include "core/order_snapshot.hpp"

#include <gtest/gtest.h>

namespace oncepay::core {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

// Every field set to a value other than its default.
OrderState full_state() {
  OrderState s;
  s.merchant_id = "demo";
  s.merchant_order_no = "o-1";
  s.status = v1::Order::PAID;
  s.amount_minor = 1999;
  s.currency = "CNY";
  s.channel = "sandbox";
  s.subject = "2 coffees";
  s.notify_url = "https://shop.example/notify";
  s.created_ms = kT0;
  s.paid_payment_no = "P2";
  s.refunded_minor = 7;
  AttemptState a;
  a.payment_no = "P1";
  a.number = 1;
  a.channel = "sandbox";
  a.status = v1::Attempt::AUTO_REFUNDING;
  a.created_ms = kT0;
  a.updated_ms = kT0 + 5;
  a.channel_trade_no = "T1";
  a.prepay_id = "wx1";
  a.pay_url = "https://pay.example/1";
  a.superseded = true;
  a.superseded_ms = kT0 + 3;
  a.ladder = v1::TimerArmed::AUTO_REFUND;
  a.step = 2;
  a.due_ms = kT0 + 60'000;
  a.anchor_ms = kT0 + 4;
  a.auto_refund_no = "R-P1";
  a.auto_refund_amount_minor = 7;
  s.attempts.push_back(a);
  AttemptState b;
  b.payment_no = "P2";
  b.number = 2;
  b.channel = "sandbox";
  b.status = v1::Attempt::SUCCESS;
  b.created_ms = kT0 + 11'000;
  b.updated_ms = kT0 + 12'000;
  s.attempts.push_back(b);
  s.timeline.push_back({kT0, "order.opened", "", ""});
  s.timeline.push_back({kT0 + 1, "check.scheduled", "P1", "query step 0"});
  WebhookState w;
  w.event_id = "evt_P2_paid";
  w.type = "order.paid";
  w.created_ms = kT0 + 12'000;
  w.status = v1::Webhook::PENDING;
  w.attempts = 3;
  w.last_status = 503;
  w.ladder = v1::TimerArmed::WEBHOOK;
  w.step = 3;
  w.due_ms = kT0 + 90'000;
  w.anchor_ms = kT0 + 60'000;
  s.webhooks.push_back(w);
  s.reviews.push_back({"amount_mismatch:P1", "amount_mismatch", "P1",
                       "the channel reported a success of 7 CNY, expected 1999 CNY", kT0 + 5});
  s.expiry_due_ms = kT0 + 86'400'000;
  return s;
}

TEST(OrderSnapshotTest, RoundTripKeepsEveryField) {
  const OrderState s = full_state();
  const OrderState back = from_snapshot(to_snapshot(s));
  EXPECT_EQ(back, s);
  EXPECT_EQ(order_view(back).SerializeAsString(), order_view(s).SerializeAsString());
}

TEST(OrderSnapshotTest, RoundTripThroughBytes) {
  const OrderState s = full_state();
  v1::OrderSnapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(to_snapshot(s).SerializeAsString()));
  EXPECT_EQ(from_snapshot(parsed), s);
}

TEST(OrderSnapshotTest, EmptyStateRoundTrips) {
  const OrderState s;
  EXPECT_EQ(from_snapshot(to_snapshot(s)), s);
  EXPECT_FALSE(from_snapshot(to_snapshot(s)).opened());
}

TEST(OrderSnapshotTest, FoldedStateRoundTrips) {
  OrderState s;
  v1::Event opened;
  opened.set_at_ms(kT0);
  opened.mutable_order_opened()->set_merchant_id("demo");
  opened.mutable_order_opened()->set_merchant_order_no("o-1");
  opened.mutable_order_opened()->set_amount(500);
  opened.mutable_order_opened()->set_currency("CNY");
  opened.mutable_order_opened()->set_channel("sandbox");
  apply(s, opened);
  v1::Event created;
  created.set_at_ms(kT0);
  created.mutable_attempt_created()->set_payment_no("P1");
  created.mutable_attempt_created()->set_attempt(1);
  created.mutable_attempt_created()->set_channel("sandbox");
  apply(s, created);
  v1::Event timer;
  timer.set_at_ms(kT0);
  timer.mutable_timer_armed()->set_payment_no("P1");
  timer.mutable_timer_armed()->set_ladder(v1::TimerArmed::QUERY);
  timer.mutable_timer_armed()->set_due_ms(kT0 + 300'000);
  timer.mutable_timer_armed()->set_anchor_ms(kT0);
  apply(s, timer);
  const OrderState back = from_snapshot(to_snapshot(s));
  EXPECT_EQ(back, s);
  ASSERT_EQ(back.attempts.size(), 1u);
  EXPECT_EQ(back.attempts[0].due_ms, kT0 + 300'000);
}

}  // namespace
}  // namespace oncepay::core
