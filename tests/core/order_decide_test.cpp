// Drives the pure decision core directly: every row of API.md's pay table,
// late / duplicated / out-of-order channel results, ladders and policies.
#include "core/order_decide.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace oncepay::core {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;  // a fixed "now" in unix ms

class OrderDecideTest : public ::testing::Test {
 protected:
  OrderDecideTest() {
    config_.in_flight_window_ms = 10'000;
    config_.max_attempts = 3;
    config_.query_ladder_ms = {1'000, 2'000, 4'000};
    config_.fast_expiry_ladder_ms = {500, 1'500};
    config_.auto_refund_retry_ms = {1'000, 5'000};
  }

  Context ctx() {
    Context c;
    c.now_ms = now_;
    c.config = &config_;
    c.policy = policy_;
    c.new_payment_no = [this] {
      std::string id(1, 'P');
      id += std::to_string(++ids_);
      return id;
    };
    return c;
  }

  static PayCommand pay_cmd(int64_t amount = 1999) {
    PayCommand cmd;
    cmd.merchant_id = "demo";
    cmd.merchant_order_no = "o-1";
    cmd.amount_minor = amount;
    cmd.currency = "CNY";
    cmd.channel = "sandbox";
    cmd.subject = "2 coffees";
    return cmd;
  }

  Step record(Step step) {
    for (const auto& e : step.events) log_.push_back(e);
    return step;
  }
  Step pay(PayCommand cmd = pay_cmd()) { return record(decide_pay(state_, cmd, ctx())); }
  Step answer(const Step& pending, ChannelReply reply) {
    EXPECT_TRUE(pending.call.has_value());
    return record(resume(state_, pending.flow, reply, ctx()));
  }
  Step timer(const std::string& payment_no) {
    const AttemptState* a = state_.find(payment_no);
    return record(decide_timer(state_, payment_no, a->ladder, a->step, ctx()));
  }
  Step notice(ChannelNotice::Kind kind, const std::string& payment_no, std::string trade = "T1") {
    ChannelNotice n;
    n.kind = kind;
    n.channel = "sandbox";
    n.payment_no = payment_no;
    n.channel_trade_no = std::move(trade);
    n.amount_minor = 1999;
    return record(decide_notice(state_, n, ctx()));
  }

  static ChannelReply ok() { return ChannelReply{ChannelOutcome::kOk}; }
  static ChannelReply prepaid() {
    ChannelReply r{ChannelOutcome::kOk};
    r.prepay_id = "wx-1";
    r.pay_url = "sandbox://pay";
    return r;
  }
  static ChannelReply state(ChannelPayState s, std::string trade = {}) {
    ChannelReply r{ChannelOutcome::kOk, s};
    r.channel_trade_no = std::move(trade);
    return r;
  }
  static ChannelReply outcome(ChannelOutcome o) { return ChannelReply{o}; }

  Step refund(std::string refund_no, int64_t amount) {
    return record(decide_refund(state_, RefundCommand{std::move(refund_no), amount, "r"}, ctx()));
  }
  Step refund_timer(const std::string& refund_no) {
    const RefundState* r = state_.find_refund(refund_no);
    return record(decide_refund_timer(state_, refund_no, r->step, ctx()));
  }
  // A paid order (P1 SUCCESS).
  void paid() {
    paying();
    notice(ChannelNotice::Kind::kSuccess, "P1");
  }

  // First pay with an accepted prepay: attempt P1 PAYING.
  void paying() {
    Step s = pay();
    answer(s, prepaid());
  }

  void expect_replay_equal() const {
    OrderState replayed;
    for (const auto& e : log_) apply(replayed, e);
    EXPECT_TRUE(replayed == state_);
  }

  AttemptStatus status_of(const std::string& payment_no) const {
    return state_.find(payment_no)->status;
  }

  PaymentConfig config_;
  Policy policy_ = Policy::kStrict;
  OrderState state_;
  int64_t now_ = kT0;
  int ids_ = 0;
  std::vector<v1::Event> log_;
};

TEST_F(OrderDecideTest, FirstPayOpensOrderAndAsksForPrepay) {
  Step s = pay();
  ASSERT_TRUE(s.call);
  EXPECT_EQ(s.call->op, ChannelOp::kPrepay);
  EXPECT_EQ(s.call->payment_no, "P1");
  EXPECT_EQ(s.call->amount_minor, 1999);
  EXPECT_FALSE(s.reply) << "no reply before the channel answered";
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_TRUE(s.events[0].has_order_opened());
  EXPECT_TRUE(s.events[1].has_attempt_created());
  EXPECT_EQ(state_.status, v1::Order::PAYING);
}

TEST_F(OrderDecideTest, AcceptedPrepayReplies201AndArmsTheQueryLadder) {
  Step s = answer(pay(), prepaid());
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kCreated);
  EXPECT_EQ(s.reply->payment_no, "P1");
  const AttemptState* a = state_.find("P1");
  EXPECT_EQ(a->prepay_id, "wx-1");
  EXPECT_EQ(a->ladder, v1::TimerArmed::QUERY);
  EXPECT_EQ(a->due_ms, kT0 + 1'000);
}

TEST_F(OrderDecideTest, RepeatInsideWindowReturnsSameAttemptWithoutChannelCall) {
  paying();
  now_ += 9'999;
  Step s = pay();
  EXPECT_FALSE(s.call);
  EXPECT_TRUE(s.events.empty());
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_EQ(s.reply->payment_no, "P1");
}

TEST_F(OrderDecideTest, DifferentAmountIsParamsMismatch) {
  paying();
  Step s = pay(pay_cmd(2000));
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kOrderParamsMismatch);
  EXPECT_TRUE(s.events.empty());
}

TEST_F(OrderDecideTest, DifferentChannelIsParamsMismatch) {
  paying();
  PayCommand cmd = pay_cmd();
  cmd.channel = "sim";
  EXPECT_EQ(pay(cmd).reply->code, Code::kOrderParamsMismatch);
}

TEST_F(OrderDecideTest, AfterWindowStrictQueriesThenClosesThenStartsNextAttempt) {
  paying();
  now_ += 10'000;
  Step q = pay();
  ASSERT_TRUE(q.call);
  EXPECT_EQ(q.call->op, ChannelOp::kQuery);
  EXPECT_EQ(q.call->payment_no, "P1");
  Step c = answer(q, state(ChannelPayState::kNotPay));
  ASSERT_TRUE(c.call);
  EXPECT_EQ(c.call->op, ChannelOp::kClose);
  Step p = answer(c, ok());
  EXPECT_EQ(status_of("P1"), v1::Attempt::CLOSED);
  EXPECT_EQ(state_.find("P1")->ladder, v1::TimerArmed::FAST_EXPIRY);
  ASSERT_TRUE(p.call);
  EXPECT_EQ(p.call->op, ChannelOp::kPrepay);
  EXPECT_EQ(p.call->payment_no, "P2");
  Step done = answer(p, prepaid());
  EXPECT_EQ(done.reply->code, Code::kCreated);
  EXPECT_EQ(done.reply->payment_no, "P2");
  EXPECT_EQ(state_.find("P2")->number, 2);
}

TEST_F(OrderDecideTest, AfterWindowQueryFindsSuccessSoAlreadyPaid) {
  paying();
  now_ += 11'000;
  Step s = answer(pay(), state(ChannelPayState::kSuccess, "T9"));
  EXPECT_EQ(s.reply->code, Code::kOrderAlreadyPaid);
  EXPECT_EQ(s.reply->payment_no, "P1");
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.find("P1")->channel_trade_no, "T9");
  EXPECT_FALSE(s.call);
}

TEST_F(OrderDecideTest, CloseRefusedBecausePaidMeansAlreadyPaid) {
  paying();
  now_ += 11'000;
  Step c = answer(pay(), state(ChannelPayState::kNotPay));
  ChannelReply paid{ChannelOutcome::kAlreadyPaid};
  paid.channel_trade_no = "T2";
  Step s = answer(c, paid);
  EXPECT_EQ(s.reply->code, Code::kOrderAlreadyPaid);
  EXPECT_EQ(state_.paid_payment_no, "P1");
}

TEST_F(OrderDecideTest, QueryUnavailableIs503AndChangesNothing) {
  paying();
  now_ += 11'000;
  Step s = answer(pay(), outcome(ChannelOutcome::kUnavailable));
  EXPECT_EQ(s.reply->code, Code::kPaymentStatusUnknown);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(status_of("P1"), v1::Attempt::PAYING);
}

TEST_F(OrderDecideTest, CloseUnavailableIs503AndKeepsTheLiveAttempt) {
  paying();
  now_ += 11'000;
  Step c = answer(pay(), state(ChannelPayState::kNotPay));
  Step s = answer(c, outcome(ChannelOutcome::kUnavailable));
  EXPECT_EQ(s.reply->code, Code::kPaymentStatusUnknown);
  EXPECT_EQ(status_of("P1"), v1::Attempt::PAYING);
  EXPECT_EQ(state_.attempts.size(), 1u);
}

TEST_F(OrderDecideTest, MaxAttemptsReachedIs429) {
  config_.max_attempts = 2;
  paying();
  for (int i = 0; i < 1; ++i) {
    now_ += 11'000;
    Step c = answer(pay(), state(ChannelPayState::kNotPay));
    answer(answer(c, ok()), prepaid());
  }
  ASSERT_EQ(state_.attempts.size(), 2u);
  now_ += 11'000;
  Step s = answer(pay(), state(ChannelPayState::kNotPay));
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kAttemptsExhausted);
  EXPECT_EQ(status_of("P2"), v1::Attempt::PAYING) << "the live attempt stays payable";
}

TEST_F(OrderDecideTest, ClosedOrderRefusesPay) {
  paying();
  Step c = record(decide_close(state_, ctx()));
  ASSERT_TRUE(c.call);
  EXPECT_EQ(c.call->op, ChannelOp::kClose);
  Step closed = answer(c, ok());
  EXPECT_EQ(closed.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::CLOSED);
  EXPECT_EQ(pay().reply->code, Code::kOrderClosed);
}

TEST_F(OrderDecideTest, MerchantCloseFindsPaymentSoOrderIsPaid) {
  paying();
  Step c = record(decide_close(state_, ctx()));
  Step s = answer(c, outcome(ChannelOutcome::kAlreadyPaid));
  EXPECT_EQ(s.reply->code, Code::kOrderAlreadyPaid);
  EXPECT_EQ(state_.status, v1::Order::PAID);
}

TEST_F(OrderDecideTest, PrepayTimeoutLeavesUnknownAnd503) {
  Step s = answer(pay(), outcome(ChannelOutcome::kUnavailable));
  EXPECT_EQ(s.reply->code, Code::kPaymentStatusUnknown);
  EXPECT_EQ(s.reply->payment_no, "P1");
  EXPECT_EQ(status_of("P1"), v1::Attempt::UNKNOWN);
  EXPECT_EQ(state_.find("P1")->ladder, v1::TimerArmed::QUERY);
}

TEST_F(OrderDecideTest, RetryOfUnknownInsideWindowQueriesInsteadOfReturningIt) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  now_ += 1'000;
  Step q = pay();
  ASSERT_TRUE(q.call);
  EXPECT_EQ(q.call->op, ChannelOp::kQuery);
  Step p = answer(q, outcome(ChannelOutcome::kNotFound));
  EXPECT_EQ(status_of("P1"), v1::Attempt::FAILED);
  ASSERT_TRUE(p.call);
  EXPECT_EQ(p.call->payment_no, "P2");
}

TEST_F(OrderDecideTest, PrepayRejectedFailsAttempt) {
  Step s = answer(pay(), outcome(ChannelOutcome::kRejected));
  EXPECT_EQ(s.reply->code, Code::kChannelRejected);
  EXPECT_EQ(status_of("P1"), v1::Attempt::FAILED);
}

TEST_F(OrderDecideTest, SuccessNotificationPaysTheOrder) {
  paying();
  Step s = notice(ChannelNotice::Kind::kSuccess, "P1");
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.paid_payment_no, "P1");
  EXPECT_EQ(state_.find("P1")->ladder, v1::TimerArmed::LADDER_UNSPECIFIED);
}

TEST_F(OrderDecideTest, DuplicateSuccessNotificationChangesNothing) {
  paying();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  Step s = notice(ChannelNotice::Kind::kSuccess, "P1");
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(s.reply->code, Code::kOk);
}

TEST_F(OrderDecideTest, PayErrorAfterSuccessDoesNotMoveBackwards) {
  paying();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  Step s = notice(ChannelNotice::Kind::kPayError, "P1");
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(status_of("P1"), v1::Attempt::SUCCESS);
}

TEST_F(OrderDecideTest, PayErrorFailsAttemptAndAllowsRetry) {
  paying();
  notice(ChannelNotice::Kind::kPayError, "P1");
  EXPECT_EQ(status_of("P1"), v1::Attempt::FAILED);
  Step s = pay();
  ASSERT_TRUE(s.call);
  EXPECT_EQ(s.call->payment_no, "P2") << "no live attempt: a new one at once";
}

TEST_F(OrderDecideTest, LateSuccessOnClosedAttemptIsRefundedAutomatically) {
  paying();
  now_ += 11'000;
  Step c = answer(pay(), state(ChannelPayState::kNotPay));
  answer(answer(c, ok()), prepaid());  // P1 closed, P2 live
  Step s = notice(ChannelNotice::Kind::kSuccess, "P1", "T-late");
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.status, v1::Order::PAYING) << "never reported as the order's payment";
  EXPECT_TRUE(state_.paid_payment_no.empty());
  Step r = timer("P1");
  ASSERT_TRUE(r.call);
  EXPECT_EQ(r.call->op, ChannelOp::kRefund);
  EXPECT_EQ(r.call->refund_no, auto_refund_no("P1"));
  EXPECT_EQ(r.call->amount_minor, 1999);
  answer(r, ok());
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDED);
}

TEST_F(OrderDecideTest, SecondSuccessAfterOrderPaidIsRefunded) {
  policy_ = Policy::kRefundDuplicates;
  paying();
  now_ += 11'000;
  answer(pay(), prepaid());  // P1 superseded (still open), P2 live
  notice(ChannelNotice::Kind::kSuccess, "P2");
  EXPECT_EQ(state_.paid_payment_no, "P2");
  notice(ChannelNotice::Kind::kSuccess, "P1");
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.paid_payment_no, "P2");
}

TEST_F(OrderDecideTest, AutoRefundUnknownIsRetriedThenLeftToReconciliation) {
  paying();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  // Fake a second attempt that succeeded after the order was paid.
  state_.attempts.push_back(state_.attempts[0]);
  state_.attempts[1].payment_no = "PX";
  state_.attempts[1].status = v1::Attempt::CLOSED;
  notice(ChannelNotice::Kind::kSuccess, "PX");
  ASSERT_EQ(status_of("PX"), v1::Attempt::AUTO_REFUNDING);
  Step r0 = answer(timer("PX"), outcome(ChannelOutcome::kUnavailable));
  EXPECT_EQ(state_.find("PX")->step, 1);
  EXPECT_EQ(state_.find("PX")->due_ms, now_ + 1'000);
  now_ += 1'000;
  answer(timer("PX"), outcome(ChannelOutcome::kUnavailable));
  now_ += 4'000;
  answer(timer("PX"), outcome(ChannelOutcome::kUnavailable));
  EXPECT_EQ(state_.find("PX")->ladder, v1::TimerArmed::LADDER_UNSPECIFIED);
  EXPECT_EQ(status_of("PX"), v1::Attempt::AUTO_REFUNDING);
  (void)r0;
}

TEST_F(OrderDecideTest, QueryLadderNotPayThroughEveryStepThenExpires) {
  paying();
  for (int step = 0; step < 2; ++step) {
    const AttemptState* a = state_.find("P1");
    ASSERT_EQ(a->step, step);
    now_ = a->due_ms;
    Step q = timer("P1");
    ASSERT_TRUE(q.call);
    EXPECT_EQ(q.call->op, ChannelOp::kQuery);
    answer(q, state(ChannelPayState::kNotPay));
  }
  now_ = state_.find("P1")->due_ms;
  Step last = answer(timer("P1"), state(ChannelPayState::kNotPay));
  ASSERT_TRUE(last.call);
  EXPECT_EQ(last.call->op, ChannelOp::kClose);
  answer(last, ok());
  EXPECT_EQ(status_of("P1"), v1::Attempt::EXPIRED);
  EXPECT_EQ(state_.status, v1::Order::EXPIRED);
}

TEST_F(OrderDecideTest, QueryLadderFindsLostCallback) {
  paying();
  now_ = state_.find("P1")->due_ms;
  answer(timer("P1"), state(ChannelPayState::kSuccess, "T5"));
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.find("P1")->channel_trade_no, "T5");
}

TEST_F(OrderDecideTest, UnknownPrepayThatExistsIsReversed) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  now_ = state_.find("P1")->due_ms;
  Step close = answer(timer("P1"), state(ChannelPayState::kNotPay));
  ASSERT_TRUE(close.call);
  EXPECT_EQ(close.call->op, ChannelOp::kClose);
  answer(close, ok());
  EXPECT_EQ(status_of("P1"), v1::Attempt::CLOSED);
}

// Issue #10 (4): a reversed UNKNOWN prepay does not shorten the order's
// life: the order stays payable until the ladder's end counted from the
// first attempt, then expires.
TEST_F(OrderDecideTest, ReversedUnknownPrepayKeepsOrderPayableUntilItsDeadline) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  now_ = state_.find("P1")->due_ms;
  answer(answer(timer("P1"), state(ChannelPayState::kNotPay)), ok());
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  EXPECT_EQ(state_.expiry_due_ms, kT0 + 4'000) << "first attempt + the ladder's last offset";
  now_ = kT0 + 3'999;
  EXPECT_TRUE(
      record(decide_timer(state_, "", v1::TimerArmed::ORDER_EXPIRY, 0, ctx())).events.empty())
      << "an early timer decides nothing";
  now_ = kT0 + 4'000;
  record(decide_timer(state_, "", v1::TimerArmed::ORDER_EXPIRY, 0, ctx()));
  EXPECT_EQ(state_.status, v1::Order::EXPIRED);
  EXPECT_EQ(state_.expiry_due_ms, 0);
  expect_replay_equal();
}

TEST_F(OrderDecideTest, RetryAfterReversedUnknownPrepayCreatesTheNextAttempt) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  now_ = state_.find("P1")->due_ms;
  answer(answer(timer("P1"), state(ChannelPayState::kNotPay)), ok());
  Step again = pay();
  ASSERT_TRUE(again.call);
  EXPECT_EQ(again.call->op, ChannelOp::kPrepay);
  EXPECT_EQ(again.call->payment_no, "P2");
  Step created = answer(again, prepaid());
  ASSERT_TRUE(created.reply);
  EXPECT_EQ(created.reply->code, Code::kCreated);
  // The deadline timer finds an open attempt: it disarms; P2's ladder decides.
  now_ = kT0 + 4'000;
  record(decide_timer(state_, "", v1::TimerArmed::ORDER_EXPIRY, 0, ctx()));
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  EXPECT_EQ(state_.expiry_due_ms, 0);
}

TEST_F(OrderDecideTest, PayAfterTheDeadlinePassedUnseenExpiresTheOrder) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  now_ = state_.find("P1")->due_ms;
  answer(answer(timer("P1"), state(ChannelPayState::kNotPay)), ok());
  now_ = kT0 + 5'000;  // the deadline timer has not fired yet (e.g. a restart)
  Step late = pay();
  ASSERT_TRUE(late.reply);
  EXPECT_EQ(late.reply->code, Code::kOrderClosed);
  EXPECT_EQ(state_.status, v1::Order::EXPIRED);
}

TEST_F(OrderDecideTest, UnknownPrepayTheChannelNeverSawFails) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  now_ = state_.find("P1")->due_ms;
  answer(timer("P1"), outcome(ChannelOutcome::kNotFound));
  EXPECT_EQ(status_of("P1"), v1::Attempt::FAILED);
}

TEST_F(OrderDecideTest, StaleTimerDecidesNothing) {
  paying();
  Step s = record(decide_timer(state_, "P1", v1::TimerArmed::QUERY, 2, ctx()));
  EXPECT_FALSE(s.call);
  EXPECT_TRUE(s.events.empty());
}

TEST_F(OrderDecideTest, FastExpiryCatchesSuccessThatCrossedTheClose) {
  paying();
  now_ += 11'000;
  Step c = answer(pay(), state(ChannelPayState::kNotPay));
  answer(answer(c, ok()), prepaid());
  const AttemptState* p1 = state_.find("P1");
  EXPECT_EQ(p1->step, 1);
  EXPECT_EQ(p1->due_ms, now_ + 500);
  now_ += 500;
  Step q = timer("P1");
  ASSERT_TRUE(q.call);
  EXPECT_EQ(q.call->op, ChannelOp::kQuery);
  answer(q, state(ChannelPayState::kSuccess, "T-cross"));
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.status, v1::Order::PAYING);
}

TEST_F(OrderDecideTest, RefundDuplicatesStartsNewAttemptWithoutWaiting) {
  policy_ = Policy::kRefundDuplicates;
  paying();
  now_ += 11'000;
  Step p = pay();
  ASSERT_TRUE(p.call);
  EXPECT_EQ(p.call->op, ChannelOp::kPrepay) << "no query first";
  EXPECT_EQ(p.call->payment_no, "P2");
  const AttemptState* p1 = state_.find("P1");
  EXPECT_TRUE(p1->superseded);
  EXPECT_EQ(p1->ladder, v1::TimerArmed::FAST_EXPIRY);
  EXPECT_EQ(p1->due_ms, now_) << "closed in the background at once";
  answer(p, prepaid());
  Step close = timer("P1");
  ASSERT_TRUE(close.call);
  EXPECT_EQ(close.call->op, ChannelOp::kClose);
  answer(close, ok());
  EXPECT_EQ(status_of("P1"), v1::Attempt::CLOSED);
}

TEST_F(OrderDecideTest, RefundDuplicatesFirstSuccessOnSupersededAttemptCounts) {
  policy_ = Policy::kRefundDuplicates;
  paying();
  now_ += 11'000;
  answer(pay(), prepaid());
  notice(ChannelNotice::Kind::kSuccess, "P1");
  EXPECT_EQ(state_.paid_payment_no, "P1");
  const AttemptState* p2 = state_.find("P2");
  EXPECT_TRUE(p2->superseded) << "the other open attempt must be closed";
  EXPECT_EQ(p2->ladder, v1::TimerArmed::FAST_EXPIRY);
}

TEST_F(OrderDecideTest, StrictStormGivesOneAttempt) {
  Step first = pay();
  answer(first, prepaid());
  for (int i = 0; i < 63; ++i) {
    Step s = pay();
    EXPECT_FALSE(s.call);
    EXPECT_EQ(s.reply->payment_no, "P1");
  }
  EXPECT_EQ(state_.attempts.size(), 1u);
}

TEST_F(OrderDecideTest, ReplayingEventsRebuildsTheSameState) {
  paying();
  now_ += 11'000;
  Step c = answer(pay(), state(ChannelPayState::kNotPay));
  answer(answer(c, ok()), prepaid());
  notice(ChannelNotice::Kind::kSuccess, "P1", "T-late");
  answer(timer("P1"), ok());
  notice(ChannelNotice::Kind::kSuccess, "P2", "T2");
  OrderState replayed;
  for (const auto& e : log_) apply(replayed, e);
  google::protobuf::util::MessageDifferencer diff;
  std::string report;
  diff.ReportDifferencesToString(&report);
  EXPECT_TRUE(diff.Compare(order_view(state_), order_view(replayed))) << report;
  EXPECT_EQ(replayed.find("P1")->status, v1::Attempt::AUTO_REFUNDED);
  EXPECT_EQ(replayed.paid_payment_no, "P2");
}

TEST_F(OrderDecideTest, RefundOfAnUnpaidOrderIsRefused) {
  paying();
  Step s = refund("r-1", 500);
  EXPECT_EQ(s.reply->code, Code::kOrderNotPaid);
  EXPECT_TRUE(s.events.empty());
}

TEST_F(OrderDecideTest, PartialThenFullRefundThroughTheChannel) {
  paid();
  Step s = refund("r-1", 500);
  EXPECT_EQ(s.reply->code, Code::kAccepted);
  EXPECT_EQ(s.reply->refund_no, "r-1");
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::PENDING);
  Step call = refund_timer("r-1");
  ASSERT_TRUE(call.call);
  EXPECT_EQ(call.call->op, ChannelOp::kRefund);
  EXPECT_EQ(call.call->payment_no, "P1");
  EXPECT_EQ(call.call->refund_no, "r-1");
  EXPECT_EQ(call.call->amount_minor, 500);
  answer(call, ok());
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::SUCCEEDED);
  EXPECT_EQ(state_.refunded_minor, 500);
  EXPECT_EQ(state_.status, v1::Order::PARTIALLY_REFUNDED);
  refund("r-2", 1499);
  answer(refund_timer("r-2"), ok());
  EXPECT_EQ(state_.refunded_minor, 1999);
  EXPECT_EQ(state_.status, v1::Order::REFUNDED);
  EXPECT_EQ(pay().reply->code, Code::kOrderAlreadyPaid) << "a refunded order stays paid";
}

TEST_F(OrderDecideTest, RefundIsIdempotentOnRefundNo) {
  paid();
  refund("r-1", 500);
  Step again = refund("r-1", 500);
  EXPECT_EQ(again.reply->code, Code::kAccepted);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(state_.refunds.size(), 1u);
  Step other = refund("r-1", 600);
  EXPECT_EQ(other.reply->code, Code::kRefundNoConflict);
  EXPECT_TRUE(other.events.empty());
}

TEST_F(OrderDecideTest, RefundsNeverSumAboveThePaidAmount) {
  paid();
  refund("r-1", 1500);  // still pending: it counts
  Step s = refund("r-2", 500);
  EXPECT_EQ(s.reply->code, Code::kRefundExceedsPaid);
  EXPECT_NE(s.reply->message.find("499"), std::string::npos) << s.reply->message;
  EXPECT_EQ(refund("r-3", 499).reply->code, Code::kAccepted);
}

TEST_F(OrderDecideTest, RejectedRefundFailsAndFreesItsAmount) {
  paid();
  refund("r-1", 1999);
  answer(refund_timer("r-1"), outcome(ChannelOutcome::kRejected));
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::FAILED);
  EXPECT_EQ(state_.refunded_minor, 0);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(refund("r-2", 1999).reply->code, Code::kAccepted);
}

TEST_F(OrderDecideTest, UnansweredRefundIsRetriedThenLeftPending) {
  paid();
  refund("r-1", 100);
  answer(refund_timer("r-1"), outcome(ChannelOutcome::kUnavailable));
  EXPECT_EQ(state_.find_refund("r-1")->step, 1);
  EXPECT_EQ(state_.find_refund("r-1")->due_ms, now_ + 1'000);
  now_ += 1'000;
  answer(refund_timer("r-1"), outcome(ChannelOutcome::kUnavailable));
  now_ += 4'000;
  answer(refund_timer("r-1"), outcome(ChannelOutcome::kUnavailable));
  const RefundState* r = state_.find_refund("r-1");
  EXPECT_EQ(r->status, v1::Refund::PENDING);
  Step stale = refund_timer("r-1");
  EXPECT_FALSE(stale.call) << "no retries left: reconciliation settles it";
}

TEST_F(OrderDecideTest, RefundNotificationSettlesAPendingRefund) {
  paid();
  refund("r-1", 100);
  ChannelNotice n;
  n.kind = ChannelNotice::Kind::kRefundSuccess;
  n.channel = "sandbox";
  n.payment_no = "P1";
  n.refund_no = "r-1";
  n.amount_minor = 100;
  record(decide_notice(state_, n, ctx()));
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::SUCCEEDED);
  Step late = refund_timer("r-1");
  EXPECT_FALSE(late.call) << "a settled refund is not asked again";
  record(decide_notice(state_, n, ctx()));
  EXPECT_EQ(state_.refunded_minor, 100) << "a duplicate notification changes nothing";
}

TEST_F(OrderDecideTest, ReplayRebuildsRefunds) {
  paid();
  refund("r-1", 500);
  answer(refund_timer("r-1"), ok());
  refund("r-2", 100);
  OrderState replayed;
  for (const auto& e : log_) apply(replayed, e);
  EXPECT_EQ(replayed, state_);
}

// ---------------------------------------------------------------- webhooks

class WebhookDecideTest : public OrderDecideTest {
 protected:
  WebhookDecideTest() { config_.notify_retry_ladder_ms = {100, 200}; }

  static PayCommand notify_cmd() {
    PayCommand cmd = pay_cmd();
    cmd.notify_url = "http://127.0.0.1:9/hook";
    return cmd;
  }
  void paying_with_url() { answer(pay(notify_cmd()), prepaid()); }
  Step webhook_timer(const std::string& event_id) {
    const WebhookState* w = state_.find_webhook(event_id);
    return record(decide_webhook_timer(state_, event_id, w->step, ctx()));
  }
  Step deliver(const Step& pending, int32_t http_status) {
    EXPECT_TRUE(pending.webhook.has_value());
    EXPECT_FALSE(pending.call.has_value());
    ChannelReply r{http_status >= 200 && http_status < 300 ? ChannelOutcome::kOk
                                                           : ChannelOutcome::kUnavailable};
    r.http_status = http_status;
    if (http_status == 0) r.detail = "connection refused";
    return record(resume(state_, pending.flow, r, ctx()));
  }
  int count_queued(std::string_view type) const {
    int n = 0;
    for (const auto& e : log_) n += e.has_webhook_queued() && e.webhook_queued().type() == type;
    return n;
  }
};

TEST_F(WebhookDecideTest, PaidOrderWithNotifyUrlQueuesOneOrderPaid) {
  paying_with_url();
  Step s = notice(ChannelNotice::Kind::kSuccess, "P1");
  EXPECT_EQ(count_queued("order.paid"), 1);
  ASSERT_EQ(state_.webhooks.size(), 1u);
  const WebhookState& w = state_.webhooks[0];
  EXPECT_EQ(w.event_id, order_paid_event_id("P1"));
  EXPECT_EQ(w.type, "order.paid");
  EXPECT_EQ(w.status, v1::Webhook::PENDING);
  EXPECT_EQ(w.ladder, v1::TimerArmed::WEBHOOK);
  EXPECT_EQ(w.step, 0);
  EXPECT_EQ(w.due_ms, now_) << "the first delivery is due at once";
  bool armed = false;
  for (const auto& e : s.events) {
    armed |= e.has_timer_armed() && e.timer_armed().event_id() == w.event_id;
  }
  EXPECT_TRUE(armed);
  expect_replay_equal();
}

TEST_F(WebhookDecideTest, NoNotifyUrlQueuesNothing) {
  paid();
  EXPECT_TRUE(state_.webhooks.empty());
}

TEST_F(WebhookDecideTest, DuplicateSuccessDoesNotQueueTwice) {
  paying_with_url();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  notice(ChannelNotice::Kind::kSuccess, "P1");
  EXPECT_EQ(pay(notify_cmd()).reply->code, Code::kOrderAlreadyPaid);
  EXPECT_EQ(count_queued("order.paid"), 1);
  EXPECT_EQ(state_.webhooks.size(), 1u);
}

TEST_F(WebhookDecideTest, TwoXxDeliversAndEndsTheLadder) {
  paying_with_url();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  const std::string id = order_paid_event_id("P1");
  Step s = webhook_timer(id);
  ASSERT_TRUE(s.webhook);
  EXPECT_EQ(*s.webhook, id);
  deliver(s, 204);
  const WebhookState* w = state_.find_webhook(id);
  EXPECT_EQ(w->status, v1::Webhook::DELIVERED);
  EXPECT_EQ(w->attempts, 1);
  EXPECT_EQ(w->last_status, 204);
  EXPECT_EQ(state_.timeline.back().type, "webhook.delivered");
  EXPECT_TRUE(deliver(s, 500).events.empty()) << "a late answer for a settled step is stale";
  EXPECT_FALSE(decide_webhook_timer(state_, id, 0, ctx()).webhook) << "a stale timer does nothing";
  expect_replay_equal();
}

TEST_F(WebhookDecideTest, FailedDeliveriesRetryOnTheLadderThenStop) {
  paying_with_url();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  const std::string id = order_paid_event_id("P1");
  const int64_t queued_at = now_;
  deliver(webhook_timer(id), 500);
  const WebhookState* w = state_.find_webhook(id);
  EXPECT_EQ(w->status, v1::Webhook::PENDING);
  EXPECT_EQ(w->step, 1);
  EXPECT_EQ(w->due_ms, queued_at + 100);
  now_ = w->due_ms + 30;  // a late timer does not push the ladder back
  deliver(webhook_timer(id), 0);
  EXPECT_EQ(w->step, 2);
  EXPECT_EQ(w->due_ms, queued_at + 300);
  now_ = w->due_ms;
  deliver(webhook_timer(id), 503);
  EXPECT_EQ(w->status, v1::Webhook::UNDELIVERED);
  EXPECT_EQ(w->attempts, 3);
  EXPECT_EQ(w->ladder, v1::TimerArmed::LADDER_UNSPECIFIED);
  EXPECT_EQ(state_.timeline[state_.timeline.size() - 2].type, "webhook.undelivered");
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].reason, kReviewWebhookExhausted);
  EXPECT_EQ(state_.reviews[0].item_id, review_item_id(kReviewWebhookExhausted, id));
  int attempted = 0;
  for (const auto& entry : state_.timeline) attempted += entry.type == "webhook.attempted";
  EXPECT_EQ(attempted, 3) << "every attempt is in the timeline";
  EXPECT_FALSE(decide_webhook_timer(state_, id, 2, ctx()).webhook);
  expect_replay_equal();
}

TEST_F(WebhookDecideTest, AutoRefundedDuplicateNeverQueuesOrderPaid) {
  paying_with_url();
  now_ += 11'000;
  Step c = answer(pay(notify_cmd()), state(ChannelPayState::kNotPay));
  answer(answer(c, ok()), prepaid());                     // P1 closed, P2 PAYING
  notice(ChannelNotice::Kind::kSuccess, "P1", "T-late");  // crossed the close: refunded
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_TRUE(state_.webhooks.empty());
  notice(ChannelNotice::Kind::kSuccess, "P2", "T2");
  ASSERT_EQ(state_.webhooks.size(), 1u);
  EXPECT_EQ(state_.webhooks[0].event_id, order_paid_event_id("P2"));
  expect_replay_equal();
}

TEST_F(WebhookDecideTest, SuccessAfterPaidIsRefundedWithoutAWebhook) {
  policy_ = Policy::kRefundDuplicates;
  paying_with_url();
  now_ += 11'000;
  answer(pay(notify_cmd()), prepaid());  // P1 superseded, P2 PAYING
  notice(ChannelNotice::Kind::kSuccess, "P2", "T2");
  notice(ChannelNotice::Kind::kSuccess, "P1", "T1");
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(count_queued("order.paid"), 1);
  EXPECT_EQ(state_.webhooks.size(), 1u);
}

TEST_F(WebhookDecideTest, RefundSucceededIsQueued) {
  paying_with_url();
  notice(ChannelNotice::Kind::kSuccess, "P1");
  refund("r-1", 500);
  answer(refund_timer("r-1"), ok());
  EXPECT_EQ(count_queued("refund.succeeded"), 1);
  const WebhookState* w = state_.find_webhook(refund_succeeded_event_id("P1", "r-1"));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->type, "refund.succeeded");
  EXPECT_EQ(w->ladder, v1::TimerArmed::WEBHOOK);
  expect_replay_equal();
}

TEST(PaymentConfigTest, DefaultsAreValidAndBadValuesAreNamed) {
  PaymentConfig c;
  EXPECT_EQ(validate(c), "");
  c.query_ladder_ms = {};
  EXPECT_NE(validate(c).find("payment.query-ladder"), std::string::npos);
  c = PaymentConfig{};
  c.max_attempts = 0;
  EXPECT_NE(validate(c).find("payment.max-attempts"), std::string::npos);
  c = PaymentConfig{};
  c.query_ladder_ms = {2'000, 1'000};
  EXPECT_NE(validate(c).find("increase"), std::string::npos);
}

TEST(FormatTimeTest, Rfc3339WithMillis) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(1'800'000'000'123), "2027-01-15T08:00:00.123Z");
}

// ------------------------------------------------------------ channel results bound to the attempt

class BindingTest : public OrderDecideTest {
 protected:
  Step notify(ChannelNotice::Kind kind, const std::string& payment_no, int64_t amount,
              std::string currency = {}, std::string channel = "sandbox",
              std::string refund_no = {}) {
    ChannelNotice n;
    n.kind = kind;
    n.channel = std::move(channel);
    n.payment_no = payment_no;
    n.channel_trade_no = "T1";
    n.amount_minor = amount;
    n.currency = std::move(currency);
    n.refund_no = std::move(refund_no);
    return record(decide_notice(state_, n, ctx()));
  }
  static ChannelReply paid_state(int64_t amount, std::string currency = "CNY") {
    ChannelReply r{ChannelOutcome::kOk, ChannelPayState::kSuccess};
    r.channel_trade_no = "T1";
    r.paid_amount_minor = amount;
    r.paid_currency = std::move(currency);
    return r;
  }
  size_t count(std::string_view type) const {
    size_t n = 0;
    for (const auto& e : state_.timeline) n += e.type == type;
    return n;
  }
};

TEST_F(BindingTest, NoticeFromAnotherChannelIsPaymentNotFound) {
  paying();
  Step s = notify(ChannelNotice::Kind::kSuccess, "P1", 1999, "CNY", "sim");
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kPaymentNotFound);
  EXPECT_TRUE(s.events.empty()) << "nothing changes";
  EXPECT_EQ(state_.status, v1::Order::PAYING);
}

TEST_F(BindingTest, NoticeForAPaymentNeverCreatedIsPaymentNotFound) {
  paying();
  Step s = notify(ChannelNotice::Kind::kSuccess, "P-none", 1999);
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kPaymentNotFound);
  EXPECT_TRUE(s.events.empty());
}

TEST_F(BindingTest, NotifiedSuccessOfAnotherAmountIsCheckedAtTheChannel) {
  paying();
  Step s = notify(ChannelNotice::Kind::kSuccess, "P1", 1);
  ASSERT_TRUE(s.reply);
  EXPECT_EQ(s.reply->code, Code::kOk) << "acknowledged once the mismatch is durable";
  EXPECT_EQ(state_.status, v1::Order::PAYING) << "not PAID";
  EXPECT_TRUE(state_.paid_payment_no.empty());
  EXPECT_TRUE(state_.webhooks.empty()) << "no order.paid";
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].reason, kReviewAmountMismatch);
  EXPECT_NE(state_.reviews[0].detail.find("1 CNY, expected 1999 CNY"), std::string::npos)
      << state_.reviews[0].detail;
  EXPECT_EQ(count("channel.mismatch"), 1u);
  ASSERT_TRUE(s.call) << "the channel's record decides what moved";
  EXPECT_EQ(s.call->op, ChannelOp::kQuery);
  // The channel's record says 1 was paid: that money goes back.
  answer(s, paid_state(1));
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.find("P1")->auto_refund_amount_minor, 1) << "what moved goes back";
  EXPECT_EQ(state_.reviews.size(), 1u) << "the same item";
  EXPECT_TRUE(state_.webhooks.empty()) << "no order.paid";
  Step refund = timer("P1");
  ASSERT_TRUE(refund.call);
  EXPECT_EQ(refund.call->op, ChannelOp::kRefund);
  EXPECT_EQ(refund.call->amount_minor, 1);
  expect_replay_equal();
}

TEST_F(BindingTest, SuccessOfALargerAmountIsRefundedInFull) {
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 999999), paid_state(999999));
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  Step refund = timer("P1");
  ASSERT_TRUE(refund.call);
  EXPECT_EQ(refund.call->amount_minor, 999999);
}

TEST_F(BindingTest, SuccessOfAnotherCurrencyIsAMismatch) {
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1999, "USD"), paid_state(1999, "USD"));
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_NE(state_.reviews[0].detail.find("1999 USD"), std::string::npos);
}

TEST_F(BindingTest, DuplicateMismatchChangesNothing) {
  paying();
  notify(ChannelNotice::Kind::kSuccess, "P1", 1);
  Step again = notify(ChannelNotice::Kind::kSuccess, "P1", 1);
  EXPECT_TRUE(again.events.empty());
  EXPECT_FALSE(again.call) << "no second check";
  ASSERT_TRUE(again.reply);
  EXPECT_EQ(again.reply->code, Code::kOk);
}

// payment.confirm-notified-success: the channel's record decides, then the
// notification is answered.
TEST_F(BindingTest, ConfirmModeKeepsANotifiedSuccessTheRecordHas) {
  config_.confirm_notified_success = true;
  paying();
  Step s = notify(ChannelNotice::Kind::kSuccess, "P1", 1999);
  EXPECT_FALSE(s.reply) << "no answer before the record decided";
  ASSERT_TRUE(s.call);
  EXPECT_EQ(s.call->op, ChannelOp::kQuery);
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  Step done = answer(s, paid_state(1999));
  ASSERT_TRUE(done.reply);
  EXPECT_EQ(done.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::PAID);
}

TEST_F(BindingTest, ConfirmModeRefutesASuccessTheRecordDoesNotHave) {
  config_.confirm_notified_success = true;
  paying();
  Step done =
      answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1999), state(ChannelPayState::kNotPay));
  ASSERT_TRUE(done.reply);
  EXPECT_EQ(done.reply->code, Code::kOk) << "acknowledged, not applied";
  EXPECT_TRUE(done.events.empty());
  EXPECT_EQ(status_of("P1"), v1::Attempt::PAYING);
  EXPECT_EQ(state_.status, v1::Order::PAYING);
}

TEST_F(BindingTest, ConfirmModeAsksForTheNotificationAgainWhenTheRecordIsUnreadable) {
  config_.confirm_notified_success = true;
  paying();
  Step done = answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1999),
                     outcome(ChannelOutcome::kUnavailable));
  ASSERT_TRUE(done.reply);
  EXPECT_EQ(done.reply->code, Code::kPaymentStatusUnknown) << "503: the channel sends it again";
  EXPECT_EQ(state_.status, v1::Order::PAYING);
}

TEST_F(BindingTest, ConfirmModeDoesNotAskForARecordedSuccess) {
  config_.confirm_notified_success = true;
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1999), paid_state(1999));
  Step again = notify(ChannelNotice::Kind::kSuccess, "P1", 1999);
  EXPECT_FALSE(again.call);
  ASSERT_TRUE(again.reply);
  EXPECT_EQ(again.reply->code, Code::kOk);
}

TEST_F(BindingTest, ADifferentSecondMismatchIsRecordedToo) {
  paying();
  notify(ChannelNotice::Kind::kSuccess, "P1", 1);
  Step second = notify(ChannelNotice::Kind::kSuccess, "P1", 2);
  EXPECT_EQ(count("channel.mismatch"), 2u) << "each different report is recorded";
  EXPECT_EQ(state_.reviews.size(), 1u) << "one review item for the attempt";
  EXPECT_TRUE(second.call) << "and checked at the channel";
  Step repeat = notify(ChannelNotice::Kind::kSuccess, "P1", 2);
  EXPECT_TRUE(repeat.events.empty()) << "a repeat changes nothing";
  EXPECT_FALSE(repeat.call);
  expect_replay_equal();
}

TEST_F(BindingTest, SettledRefundReportedWithAnotherAmountIsReviewed) {
  paid();
  refund("r-1", 500);
  notify(ChannelNotice::Kind::kRefundSuccess, "P1", 500, "CNY", "sandbox", "r-1");
  ASSERT_EQ(state_.find_refund("r-1")->status, v1::Refund::SUCCEEDED);
  notify(ChannelNotice::Kind::kRefundSuccess, "P1", 7, "CNY", "sandbox", "r-1");
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::SUCCEEDED) << "it stays settled";
  EXPECT_EQ(state_.refunded_minor, 500);
  EXPECT_EQ(count("channel.mismatch"), 1u);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].item_id, review_item_id(kReviewAmountMismatch, "P1:r-1"));
}

TEST_F(BindingTest, PayerCanPayAgainAfterAMismatch) {
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1), paid_state(1));
  Step again = pay();
  ASSERT_TRUE(again.call);
  EXPECT_EQ(again.call->op, ChannelOp::kPrepay);
  EXPECT_EQ(again.call->payment_no, "P2");
  answer(again, prepaid());
  notify(ChannelNotice::Kind::kSuccess, "P2", 1999);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.paid_payment_no, "P2");
}

TEST_F(BindingTest, MismatchOnAPaidAttemptIsReviewedOnly) {
  paying();
  notify(ChannelNotice::Kind::kSuccess, "P1", 1999);
  Step odd = notify(ChannelNotice::Kind::kSuccess, "P1", 5);
  EXPECT_EQ(state_.status, v1::Order::PAID) << "the kept success stays";
  EXPECT_EQ(status_of("P1"), v1::Attempt::SUCCESS);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].reason, kReviewAmountMismatch);
}

TEST_F(BindingTest, MismatchTheChannelDoesNotHaveDecidesNothing) {
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1), state(ChannelPayState::kNotPay));
  EXPECT_EQ(status_of("P1"), v1::Attempt::PAYING) << "the payer may still pay it";
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  EXPECT_EQ(state_.reviews.size(), 1u) << "a person looks at the notification";
  // The payer then pays the right amount: the order is paid.
  notify(ChannelNotice::Kind::kSuccess, "P1", 1999);
  EXPECT_EQ(state_.status, v1::Order::PAID);
}

TEST_F(BindingTest, MismatchWhoseRecordMatchesIsThePayment) {
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 5), paid_state(1999));
  EXPECT_EQ(state_.status, v1::Order::PAID) << "the channel's record is the payment";
  EXPECT_EQ(state_.reviews.size(), 1u) << "the wrong notification stays for review";
}

TEST_F(BindingTest, SuccessRecordOfNoMoneyRefundsNothing) {
  paying();
  now_ = state_.find("P1")->due_ms;
  answer(timer("P1"), paid_state(0));
  EXPECT_EQ(status_of("P1"), v1::Attempt::PAYING);
  EXPECT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.find("P1")->step, 1) << "the ladder goes on";
}

TEST_F(BindingTest, QueryAnswerOfAnotherAmountIsAMismatch) {
  paying();
  now_ = state_.find("P1")->due_ms;
  answer(timer("P1"), paid_state(10));
  EXPECT_EQ(state_.status, v1::Order::PAYING);
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.reviews.size(), 1u);
}

TEST_F(BindingTest, QueryAnswerOfTheSameAmountPays) {
  paying();
  now_ = state_.find("P1")->due_ms;
  answer(timer("P1"), paid_state(1999));
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_TRUE(state_.reviews.empty());
}

TEST_F(BindingTest, RetryAfterTheWindowFindingAMismatchAsksThePayerToRetry) {
  config_.in_flight_window_ms = 500;  // the window ends before the 4 s deadline here
  paying();
  now_ += 1'000;
  Step query = pay();
  ASSERT_TRUE(query.call);
  Step r = answer(query, paid_state(7));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->code, Code::kPaymentStatusUnknown);
  EXPECT_EQ(state_.status, v1::Order::PAYING);
}

TEST_F(BindingTest, RefundResultOfAnotherAmountIsReviewedAndChangesNoRefund) {
  paid();
  refund("r-1", 100);
  notify(ChannelNotice::Kind::kRefundSuccess, "P1", 90, "CNY", "sandbox", "r-1");
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::PENDING);
  EXPECT_EQ(state_.refunded_minor, 0);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].item_id, review_item_id(kReviewAmountMismatch, "P1:r-1"));
  notify(ChannelNotice::Kind::kRefundSuccess, "P1", 100, "CNY", "sandbox", "r-1");
  EXPECT_EQ(state_.find_refund("r-1")->status, v1::Refund::SUCCEEDED);
  expect_replay_equal();
}

TEST_F(BindingTest, AutoRefundResultOfAnotherAmountIsReviewed) {
  paying();
  answer(notify(ChannelNotice::Kind::kSuccess, "P1", 1), paid_state(1));
  notify(ChannelNotice::Kind::kRefundSuccess, "P1", 1999, "CNY", "sandbox", auto_refund_no("P1"));
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.reviews.size(), 2u);
  notify(ChannelNotice::Kind::kRefundSuccess, "P1", 1, "CNY", "sandbox", auto_refund_no("P1"));
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDED);
}

// ------------------------------------------------------------ review list

TEST_F(BindingTest, AutoRefundOutOfRetriesOpensAReviewThatItsSuccessCloses) {
  paid();
  state_.attempts.push_back(state_.attempts[0]);
  state_.attempts[1].payment_no = "PX";
  state_.attempts[1].status = v1::Attempt::CLOSED;
  notify(ChannelNotice::Kind::kSuccess, "PX", 1999);
  ASSERT_EQ(status_of("PX"), v1::Attempt::AUTO_REFUNDING);
  for (int i = 0; i < 3; ++i) {
    now_ = std::max(now_, state_.find("PX")->due_ms);
    answer(timer("PX"), outcome(ChannelOutcome::kUnavailable));
  }
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].reason, kReviewAutoRefundFailed);
  EXPECT_EQ(state_.reviews[0].payment_no, "PX");
  notify(ChannelNotice::Kind::kRefundSuccess, "PX", 1999, "CNY", "sandbox", auto_refund_no("PX"));
  EXPECT_EQ(status_of("PX"), v1::Attempt::AUTO_REFUNDED);
  EXPECT_TRUE(state_.reviews.empty()) << "the cause is resolved";
}

TEST_F(BindingTest, AttemptNeverConfirmedOpensUnknownUnresolvedUntilTheChannelSpeaks) {
  answer(pay(), outcome(ChannelOutcome::kUnavailable));
  // Every query and close goes unanswered until the ladders end.
  for (int i = 0; i < 12 && state_.find("P1")->open(); ++i) {
    const AttemptState* a = state_.find("P1");
    now_ = std::max(now_, a->due_ms);
    Step s = timer("P1");
    if (!s.call) break;
    Step next = answer(s, outcome(ChannelOutcome::kUnavailable));
    if (next.call) answer(next, outcome(ChannelOutcome::kUnavailable));
  }
  ASSERT_EQ(status_of("P1"), v1::Attempt::EXPIRED);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].reason, kReviewUnknownUnresolved);
  notify(ChannelNotice::Kind::kSuccess, "P1", 1999);
  EXPECT_EQ(status_of("P1"), v1::Attempt::AUTO_REFUNDING) << "it no longer counts";
  EXPECT_TRUE(state_.reviews.empty());
  expect_replay_equal();
}

}  // namespace
}  // namespace oncepay::core
