// OrderState -> OrderSnapshot -> OrderState keeps every field: the order a
// checkpoint stores is the order recovery gets back.
#include "core/order_snapshot.hpp"

#include <gtest/gtest.h>

#include <boost/pfr.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

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
  a.code_url = "weixin://wxpay/bizpayurl?pr=1";
  a.qr_code = "https://qr.alipay.com/1";
  a.pay_params = {{"appId", "wx1"}, {"paySign", "sig"}};
  a.superseded = true;
  a.superseded_ms = kT0 + 3;
  a.ladder = v1::TimerArmed::AUTO_REFUND;
  a.step = 2;
  a.due_ms = kT0 + 60'000;
  a.anchor_ms = kT0 + 4;
  a.auto_refund_no = "R-P1";
  a.auto_refund_amount_minor = 7;
  a.paid_ms = kT0 + 4;
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
  s.seen_mismatches.push_back("P1||7|CNY|notify");
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

// ---------------------------------------------------------------- mapped once
// order_snapshot.cpp maps OrderState <-> OrderSnapshot by hand. The tests
// below fail when a field is forgotten on either side: a struct field the
// fixture leaves at its default (so the round trip could not notice it), a
// struct field the mapping drops (the round trip differs), a snapshot field
// to_snapshot never sets (a proto field without a mapping).

// The indexes of the fields of `value` that still hold the value of a
// default-constructed T (Boost.PFR reads an aggregate's fields in order).
template <class T>
std::vector<size_t> default_fields(const T& value) {
  const T fresh{};
  const auto fields = boost::pfr::structure_tie(value);
  const auto defaults = boost::pfr::structure_tie(fresh);
  std::vector<size_t> out;
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((std::get<I>(fields) == std::get<I>(defaults) ? out.push_back(I) : void()), ...);
  }
  (std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  return out;
}

// An order whose every field, and every field of every element, differs
// from its default.
OrderState every_field_state() {
  OrderState s = full_state();
  AttemptState& b = s.attempts[1];
  b.channel_trade_no = "T2";
  b.prepay_id = "wx2";
  b.pay_url = "https://pay.example/2";
  b.code_url = "weixin://wxpay/bizpayurl?pr=2";
  b.qr_code = "https://qr.alipay.com/2";
  b.pay_params = {{"package", "prepay_id=2"}};
  b.superseded = true;
  b.superseded_ms = kT0 + 11'500;
  b.ladder = v1::TimerArmed::FAST_EXPIRY;
  b.step = 1;
  b.due_ms = kT0 + 70'000;
  b.anchor_ms = kT0 + 12'000;
  b.auto_refund_no = "AR-P2";
  b.auto_refund_amount_minor = 9;
  b.paid_ms = kT0 + 11'900;
  s.webhooks[0].status = v1::Webhook::UNDELIVERED;
  RefundState r;
  r.refund_no = "r-1";
  r.amount_minor = 500;
  r.reason = "returned";
  r.status = v1::Refund::SUCCEEDED;
  r.created_ms = kT0 + 20'000;
  r.updated_ms = kT0 + 21'000;
  r.ladder = v1::TimerArmed::REFUND;
  r.step = 2;
  r.due_ms = kT0 + 80'000;
  r.anchor_ms = kT0 + 20'000;
  r.succeeded_ms = kT0 + 20'500;
  s.refunds.push_back(r);
  ReviewState& review = s.reviews[0];
  review.recon.reconciliation_id = "rc_000000000001";
  review.recon.line = 12;
  review.recon.refund_no = "r-1";
  review.recon.channel_trade_no = "T9";
  review.recon.has_channel_amount = true;
  review.recon.channel_amount_minor = 7;
  review.recon.channel_currency = "CNY";
  review.recon.channel_status = "SUCCESS";
  review.recon.channel_settled = true;
  review.recon.channel_time_ms = kT0 - 1;
  review.recon.platform_amount_minor = 1999;
  review.resolution = "trust_platform";
  review.resolved_by = "alice";
  s.resolved_reviews.push_back("recon_amount_mismatch:P9|-|CNY|SUCCESS|1");
  s.timeline.push_back({kT0 + 2, "refund.requested", "P2", "r-1: 500"});
  s.timeline[0].payment_no = "P1";
  s.timeline[0].detail = "opened";
  AppealState appeal;
  appeal.appeal_id = "appeal:P1:1";
  appeal.kind = "charged_twice";
  appeal.detail = "two debits";
  appeal.recorded_by = "otto";
  appeal.recorded_ms = kT0 + 3;
  appeal.findings.push_back({"P1", "SUCCESS", "attempt 1 is the order's payment", true});
  appeal.checked = true;
  appeal.summary = "1 charge at the channel";
  appeal.closed = true;
  appeal.closed_by = "olga";
  appeal.resolution = "told the payer";
  appeal.closed_ms = kT0 + 4;
  s.appeals.push_back(std::move(appeal));
  return s;
}

TEST(OrderSnapshotTest, FixtureSetsEveryFieldOfEveryStruct) {
  const OrderState s = every_field_state();
  EXPECT_EQ(default_fields(s), std::vector<size_t>{}) << "OrderState";
  for (const auto& a : s.attempts) EXPECT_EQ(default_fields(a), std::vector<size_t>{}) << "Attempt";
  for (const auto& r : s.refunds) EXPECT_EQ(default_fields(r), std::vector<size_t>{}) << "Refund";
  for (const auto& w : s.webhooks) EXPECT_EQ(default_fields(w), std::vector<size_t>{}) << "Webhook";
  for (const auto& r : s.reviews) EXPECT_EQ(default_fields(r), std::vector<size_t>{}) << "Review";
  for (const auto& t : s.timeline) EXPECT_EQ(default_fields(t), std::vector<size_t>{}) << "Entry";
  for (const auto& a : s.appeals) {
    EXPECT_EQ(default_fields(a), std::vector<size_t>{}) << "Appeal";
    for (const auto& f : a.findings) {
      EXPECT_EQ(default_fields(f), std::vector<size_t>{}) << "AppealFinding";
    }
  }
  // A field listed above is one every_field_state() leaves at its default:
  // set it there, and map it in core/order_snapshot.cpp (both ways).
}

TEST(OrderSnapshotTest, RoundTripKeepsEveryFieldOfEveryStruct) {
  const OrderState s = every_field_state();
  v1::OrderSnapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(to_snapshot(s).SerializeAsString()));
  EXPECT_EQ(from_snapshot(parsed), s);
}

// Every field of `message` and of the messages in it is set (proto3: holds
// a value other than its default; repeated: has elements). Returns the paths
// of those that are not.
void unset_fields(const google::protobuf::Message& message, const std::string& path,
                  std::vector<std::string>* out) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    const std::string at = path + "." + field->name();
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      if (n == 0) out->push_back(at);
      if (field->message_type() == nullptr) continue;
      for (int k = 0; k < n; ++k) {
        unset_fields(reflection->GetRepeatedMessage(message, field, k),
                     at + "[" + std::to_string(k) + "]", out);
      }
      continue;
    }
    if (!reflection->HasField(message, field)) out->push_back(at);
    if (field->message_type() != nullptr && reflection->HasField(message, field)) {
      unset_fields(reflection->GetMessage(message, field), at, out);
    }
  }
}

TEST(OrderSnapshotTest, ToSnapshotSetsEverySnapshotField) {
  std::vector<std::string> unset;
  unset_fields(to_snapshot(every_field_state()), "OrderSnapshot", &unset);
  EXPECT_EQ(unset, std::vector<std::string>{})
      << "to_snapshot() leaves these OrderSnapshot fields unset although every OrderState field "
         "holds a value: a proto field without a mapping in core/order_snapshot.cpp (or without "
         "a value in every_field_state())";
}

}  // namespace
}  // namespace oncepay::core
