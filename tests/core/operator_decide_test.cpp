// Operators' actions on one order (core/order_decide.hpp "operator actions"):
// the OperatorAction event first, then the order's own flow; refusals record
// nothing; "query now" applies the channel's answer without moving the ladder.
#include "decide_fixture.hpp"

namespace oncepay::core {
namespace {

class OperatorDecideTest : public testing::DecideFixture {
 protected:
  // Attempt P1 PAYING.
  void paying() {
    Step s = record(decide_pay(state_, pay_command(), ctx()));
    ChannelReply prepaid{ChannelOutcome::kOk};
    prepaid.prepay_id = "wx-1";
    answer(s, prepaid);
  }
  // P1 SUCCESS, the order PAID.
  void paid() {
    paying();
    ChannelNotice n;
    n.channel = "sandbox";
    n.payment_no = "P1";
    n.channel_trade_no = "T1";
    n.amount_minor = 1999;
    record(decide_notice(state_, n, ctx()));
  }

  static const OperatorCommand& otto() {
    static const OperatorCommand cmd{"otto", "the payer called"};
    return cmd;
  }

  const TimelineEntry* find_entry(std::string_view type) const {
    for (const auto& e : state_.timeline) {
      if (e.type == type) return &e;
    }
    return nullptr;
  }
};

TEST_F(OperatorDecideTest, CloseRecordsTheActionBeforeAskingTheChannel) {
  paying();
  Step s = record(decide_operator_close(state_, otto(), ctx()));
  ASSERT_TRUE(s.call.has_value());
  EXPECT_EQ(s.call->op, ChannelOp::kClose);
  ASSERT_EQ(s.events.size(), 1u);
  ASSERT_TRUE(s.events[0].has_operator_action());
  EXPECT_EQ(s.events[0].operator_action().action(), "close");
  EXPECT_EQ(s.events[0].operator_action().operator_(), "otto");
  EXPECT_EQ(s.events[0].operator_action().reason(), "the payer called");
  Step done = answer(s, ChannelReply{ChannelOutcome::kOk});
  ASSERT_TRUE(done.reply.has_value());
  EXPECT_EQ(done.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::CLOSED);
  const TimelineEntry* entry = find_entry("operator.action");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->detail, "close by otto: the payer called");
  expect_replay_equal();
}

TEST_F(OperatorDecideTest, CloseOfAPaidOrderIsRefusedAndRecordsNothing) {
  paid();
  Step s = record(decide_operator_close(state_, otto(), ctx()));
  ASSERT_TRUE(s.reply.has_value());
  EXPECT_EQ(s.reply->code, Code::kOrderAlreadyPaid);
  EXPECT_TRUE(s.events.empty());
  EXPECT_FALSE(s.call.has_value());
  EXPECT_EQ(find_entry("operator.action"), nullptr);
}

TEST_F(OperatorDecideTest, RefundRecordsTheActionThenTheRefund) {
  paid();
  Step s =
      record(decide_operator_refund(state_, otto(), RefundCommand{"r-1", 500, "goodwill"}, ctx()));
  ASSERT_TRUE(s.reply.has_value());
  EXPECT_EQ(s.reply->code, Code::kAccepted);
  ASSERT_GE(s.events.size(), 2u);
  ASSERT_TRUE(s.events[0].has_operator_action());
  EXPECT_EQ(s.events[0].operator_action().target(), "r-1");
  EXPECT_TRUE(s.events[1].has_refund_requested());
  ASSERT_NE(state_.find_refund("r-1"), nullptr);
  EXPECT_EQ(find_entry("operator.action")->detail, "refund r-1 by otto: the payer called");
  expect_replay_equal();
}

TEST_F(OperatorDecideTest, ARefundOverWhatIsLeftIsRefusedAndRecordsNothing) {
  paid();
  Step s =
      record(decide_operator_refund(state_, otto(), RefundCommand{"r-1", 2000, "too much"}, ctx()));
  ASSERT_TRUE(s.reply.has_value());
  EXPECT_EQ(s.reply->code, Code::kRefundExceedsPaid);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(state_.find_refund("r-1"), nullptr);
}

TEST_F(OperatorDecideTest, ARepeatedRefundNoRecordsNoSecondAction) {
  paid();
  record(decide_operator_refund(state_, otto(), RefundCommand{"r-1", 500, "goodwill"}, ctx()));
  Step again =
      record(decide_operator_refund(state_, otto(), RefundCommand{"r-1", 500, "goodwill"}, ctx()));
  EXPECT_EQ(again.reply->code, Code::kAccepted);
  EXPECT_TRUE(again.events.empty());
}

TEST_F(OperatorDecideTest, QueryAsksTheChannelAboutTheLiveAttemptAndAppliesASuccess) {
  paying();
  const AttemptState before = *state_.find("P1");
  Step s = record(decide_operator_query(state_, otto(), ctx()));
  ASSERT_TRUE(s.call.has_value());
  EXPECT_EQ(s.call->op, ChannelOp::kQuery);
  EXPECT_EQ(s.call->payment_no, "P1");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].operator_action().target(), "P1");
  ChannelReply success{ChannelOutcome::kOk, ChannelPayState::kSuccess};
  success.channel_trade_no = "T9";
  Step done = answer(s, success);
  EXPECT_EQ(done.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.find("P1")->channel_trade_no, "T9");
  EXPECT_NE(before.status, state_.find("P1")->status);
  expect_replay_equal();
}

TEST_F(OperatorDecideTest, QueryThatFindsNotPayChangesNothingAndKeepsTheLadder) {
  paying();
  const AttemptState before = *state_.find("P1");
  Step s = record(decide_operator_query(state_, otto(), ctx()));
  Step done = answer(s, ChannelReply{ChannelOutcome::kOk, ChannelPayState::kNotPay});
  EXPECT_EQ(done.reply->code, Code::kOk);
  EXPECT_TRUE(done.events.empty());
  EXPECT_TRUE(*state_.find("P1") == before);
}

TEST_F(OperatorDecideTest, QueryWithNoAnswerChangesNothing) {
  paying();
  Step s = record(decide_operator_query(state_, otto(), ctx()));
  Step done = answer(s, ChannelReply{ChannelOutcome::kUnavailable});
  EXPECT_EQ(done.reply->code, Code::kOk);
  EXPECT_TRUE(done.events.empty());
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::PAYING);
}

TEST_F(OperatorDecideTest, QueryOfAFinalOrderIsRefusedAndRecordsNothing) {
  paid();
  Step s = record(decide_operator_query(state_, otto(), ctx()));
  ASSERT_TRUE(s.reply.has_value());
  EXPECT_EQ(s.reply->code, Code::kNoOpenAttempt);
  EXPECT_TRUE(s.events.empty());
  EXPECT_FALSE(s.call.has_value());
}

// ---------------------------------------------------------------- webhooks

// Delivers the webhook's armed step and answers with `reply`.
Step deliver(OrderState& state, const std::string& event_id, ChannelReply reply, Context ctx) {
  const WebhookState* w = state.find_webhook(event_id);
  Step s = decide_webhook_timer(state, event_id, w->step, ctx);
  EXPECT_TRUE(s.webhook.has_value());
  return resume(state, s.flow, reply, ctx);
}

TEST_F(OperatorDecideTest, RetryOfAnUndeliveredWebhookRearmsItsLastStepNow) {
  paid();
  const std::string event_id = order_paid_event_id("P1");
  record(deliver(state_, event_id, ChannelReply{ChannelOutcome::kUnavailable}, ctx()));
  record(deliver(state_, event_id, ChannelReply{ChannelOutcome::kUnavailable}, ctx()));
  ASSERT_EQ(state_.find_webhook(event_id)->status, v1::Webhook::UNDELIVERED);
  ASSERT_NE(state_.find_review(review_item_id(kReviewWebhookExhausted, event_id)), nullptr);

  Step s = record(decide_operator_webhook_retry(state_, otto(), event_id, ctx()));
  ASSERT_TRUE(s.reply.has_value());
  EXPECT_EQ(s.reply->code, Code::kOk);
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].operator_action().action(), "retry_webhook");
  EXPECT_EQ(s.events[0].operator_action().target(), event_id);
  ASSERT_TRUE(s.events[1].has_timer_armed());
  EXPECT_EQ(s.events[1].timer_armed().ladder(), v1::TimerArmed::WEBHOOK);
  EXPECT_EQ(s.events[1].timer_armed().step(), 1);
  EXPECT_EQ(s.events[1].timer_armed().due_ms(), kT0);
  EXPECT_EQ(state_.find_webhook(event_id)->status, v1::Webhook::PENDING);

  ChannelReply accepted{ChannelOutcome::kOk};
  accepted.http_status = 200;
  record(deliver(state_, event_id, accepted, ctx()));
  EXPECT_EQ(state_.find_webhook(event_id)->status, v1::Webhook::DELIVERED);
  EXPECT_EQ(state_.find_review(review_item_id(kReviewWebhookExhausted, event_id)), nullptr);
  expect_replay_equal();
}

TEST_F(OperatorDecideTest, RetryOfAPendingWebhookDeliversItsCurrentStepNow) {
  paid();
  const std::string event_id = order_paid_event_id("P1");
  const int32_t step = state_.find_webhook(event_id)->step;
  Step s = record(decide_operator_webhook_retry(state_, otto(), event_id, ctx()));
  EXPECT_EQ(s.reply->code, Code::kOk);
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[1].timer_armed().step(), step);
  EXPECT_EQ(state_.find_webhook(event_id)->status, v1::Webhook::PENDING);
  expect_replay_equal();
}

TEST_F(OperatorDecideTest, RetryOfADeliveredOrUnknownWebhookIsRefusedAndRecordsNothing) {
  paid();
  const std::string event_id = order_paid_event_id("P1");
  ChannelReply accepted{ChannelOutcome::kOk};
  accepted.http_status = 200;
  record(deliver(state_, event_id, accepted, ctx()));
  Step delivered = record(decide_operator_webhook_retry(state_, otto(), event_id, ctx()));
  EXPECT_EQ(delivered.reply->code, Code::kWebhookDelivered);
  EXPECT_TRUE(delivered.events.empty());
  Step unknown = record(decide_operator_webhook_retry(state_, otto(), "evt_nope", ctx()));
  EXPECT_EQ(unknown.reply->code, Code::kWebhookNotFound);
  EXPECT_TRUE(unknown.events.empty());
}

}  // namespace
}  // namespace oncepay::core
