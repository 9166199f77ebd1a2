// Payer appeals (core/order_decide.hpp decide_appeal): the appeal is
// recorded and its review item opened, every attempt is asked at the
// channel in turn, each answer applied by the order's own rules and
// recorded as a finding, then the summary; one test per edge case.
#include "decide_fixture.hpp"

namespace oncepay::core {
namespace {

class AppealDecideTest : public testing::DecideFixture {
 protected:
  // Answers a pay flow's calls as a channel that saw nothing paid.
  void settle_pay(Step s) {
    while (s.call) {
      ChannelReply r{ChannelOutcome::kOk};
      if (s.call->op == ChannelOp::kPrepay) r.prepay_id = "wx-" + s.call->payment_no;
      if (s.call->op == ChannelOp::kQuery) r.state = ChannelPayState::kNotPay;
      s = answer(s, r);
    }
  }

  // Attempt P1 PAYING.
  void one_attempt() { settle_pay(record(decide_pay(state_, pay_command(), ctx()))); }
  // P1 closed at the channel and P2 PAYING (the payer retried after the window).
  void two_attempts() {
    one_attempt();
    now_ += 20'000;
    settle_pay(record(decide_pay(state_, pay_command(), ctx())));
    ASSERT_EQ(state_.attempts.size(), 2u);
    ASSERT_EQ(state_.find("P1")->status, v1::Attempt::CLOSED);
  }
  // P2 paid, by its notification.
  void second_paid() {
    two_attempts();
    ChannelNotice n;
    n.channel = "sandbox";
    n.payment_no = "P2";
    n.channel_trade_no = "T2";
    n.amount_minor = 1999;
    record(decide_notice(state_, n, ctx()));
    ASSERT_EQ(state_.status, v1::Order::PAID);
  }

  static AppealCommand appeal(std::string kind = "charged_twice") {
    return AppealCommand{std::move(kind), "the payer's bank shows two debits", "otto"};
  }
  static ChannelReply paid_at_channel(std::string trade_no) {
    ChannelReply r{ChannelOutcome::kOk, ChannelPayState::kSuccess};
    r.channel_trade_no = std::move(trade_no);
    r.paid_amount_minor = 1999;
    r.paid_currency = "CNY";
    return r;
  }
  static ChannelReply state_at_channel(ChannelPayState state) {
    return ChannelReply{ChannelOutcome::kOk, state};
  }

  const AppealState& only_appeal() const {
    EXPECT_EQ(state_.appeals.size(), 1u);
    return state_.appeals.front();
  }
};

TEST_F(AppealDecideTest, RecordsTheAppealOpensItsItemAndAsksAboutTheFirstAttempt) {
  second_paid();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  ASSERT_EQ(s.events.size(), 3u);
  EXPECT_EQ(s.events[0].operator_action().action(), "appeal");
  EXPECT_EQ(s.events[0].operator_action().operator_(), "otto");
  EXPECT_EQ(s.events[0].operator_action().target(), "appeal:P1:1");
  EXPECT_EQ(s.events[1].appeal_recorded().kind(), "charged_twice");
  EXPECT_EQ(s.events[2].review_opened().reason(), "appeal");
  EXPECT_EQ(s.events[2].review_opened().item_id(), "appeal:P1:1");
  EXPECT_EQ(s.events[2].review_opened().payment_no(), "P2");  // the paid attempt
  ASSERT_TRUE(s.call.has_value());
  EXPECT_EQ(s.call->op, ChannelOp::kQuery);
  EXPECT_EQ(s.call->payment_no, "P1");
  EXPECT_FALSE(s.reply.has_value());  // the requester waits for the whole check
}

TEST_F(AppealDecideTest, ASecondChargeOnAClosedAttemptIsRefundedAutomatically) {
  second_paid();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  s = answer(s, paid_at_channel("T1"));
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::AUTO_REFUNDING);
  ASSERT_TRUE(s.call.has_value());
  EXPECT_EQ(s.call->payment_no, "P2");
  s = answer(s, paid_at_channel("T2"));
  EXPECT_FALSE(s.call.has_value());
  ASSERT_TRUE(s.reply.has_value());
  EXPECT_EQ(s.reply->code, Code::kCreated);
  const AppealState& a = only_appeal();
  ASSERT_EQ(a.findings.size(), 2u);
  EXPECT_TRUE(a.findings[0].charged);
  EXPECT_EQ(a.findings[0].channel_state, "SUCCESS");
  EXPECT_NE(a.findings[0].finding.find("refunded automatically now"), std::string::npos);
  EXPECT_NE(a.findings[1].finding.find("is the order's payment"), std::string::npos);
  EXPECT_TRUE(a.checked);
  EXPECT_EQ(a.summary.rfind("2 charges at the channel: attempt 1 (P1)", 0), 0u) << a.summary;
  const ReviewState* item = state_.find_review("appeal:P1:1");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->detail, "charged_twice: " + a.summary);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  expect_replay_equal();
}

TEST_F(AppealDecideTest, OneChargeSaysThereIsNoSecondCharge) {
  second_paid();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  s = answer(s, state_at_channel(ChannelPayState::kClosed));
  s = answer(s, paid_at_channel("T2"));
  const AppealState& a = only_appeal();
  EXPECT_FALSE(a.findings[0].charged);
  EXPECT_EQ(a.findings[0].channel_state, "CLOSED");
  EXPECT_NE(a.summary.find("1 charge at the channel"), std::string::npos) << a.summary;
  EXPECT_NE(a.summary.find("no second charge at the channel"), std::string::npos);
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::CLOSED);
  expect_replay_equal();
}

TEST_F(AppealDecideTest, PaidNotCreditedFindsTheMissedSuccessAndPaysTheOrder) {
  one_attempt();
  Step s = record(decide_appeal(state_, appeal("paid_not_credited"), ctx()));
  s = answer(s, paid_at_channel("T1"));
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.paid_payment_no, "P1");
  EXPECT_NE(state_.find_webhook(order_paid_event_id("P1")), nullptr);  // the merchant is told
  const AppealState& a = only_appeal();
  EXPECT_NE(a.findings[0].finding.find("oncepay had not learned it"), std::string::npos);
  EXPECT_EQ(a.summary.find("no second charge"), std::string::npos);  // not charged_twice
  EXPECT_EQ(s.reply->code, Code::kCreated);
  expect_replay_equal();
}

TEST_F(AppealDecideTest, APaymentOnAClosedOrderIsRefundedAndTheFindingSaysWhy) {
  one_attempt();
  Step close = record(decide_close(state_, ctx()));
  answer(close, ChannelReply{ChannelOutcome::kOk});
  ASSERT_EQ(state_.status, v1::Order::CLOSED);
  Step s = record(decide_appeal(state_, appeal("paid_not_credited"), ctx()));
  s = answer(s, paid_at_channel("T1"));
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.status, v1::Order::CLOSED);
  const AppealState& a = only_appeal();
  EXPECT_EQ(a.findings[0].finding,
            "attempt 1 (P1) was paid at the channel although it no longer counted (the order is "
            "CLOSED) and oncepay had not learned it: it is being refunded automatically now (" +
                auto_refund_no("P1") + ")");
  expect_replay_equal();
}

TEST_F(AppealDecideTest, NoChargeAnywhereSaysSo) {
  two_attempts();
  Step s = record(decide_appeal(state_, appeal("other"), ctx()));
  s = answer(s, ChannelReply{ChannelOutcome::kNotFound});
  s = answer(s, state_at_channel(ChannelPayState::kNotPay));
  const AppealState& a = only_appeal();
  EXPECT_EQ(a.findings[0].channel_state, "not_found");
  EXPECT_EQ(a.findings[1].channel_state, "NOTPAY");
  EXPECT_NE(a.findings[1].finding.find("still open"), std::string::npos);
  EXPECT_EQ(a.summary, "no charge at the channel on any of the 2 attempts");
  EXPECT_EQ(state_.find("P2")->status, v1::Attempt::PAYING);  // NOTPAY changes nothing
  expect_replay_equal();
}

TEST_F(AppealDecideTest, NoAnswerIsNeverReportedAsNoCharge) {
  two_attempts();
  Step s = record(decide_appeal(state_, appeal("paid_not_credited"), ctx()));
  s = answer(s, state_at_channel(ChannelPayState::kClosed));
  s = answer(s, ChannelReply{ChannelOutcome::kUnavailable});
  const AppealState& a = only_appeal();
  EXPECT_EQ(a.summary,
            "no charge on the 1 of 2 attempts the channel answered for; 1 attempt could not be "
            "asked: whether the payer was charged there is unknown, query again later");
  EXPECT_EQ(state_.find_review("appeal:P1:1")->detail, "paid_not_credited: " + a.summary);
}

TEST_F(AppealDecideTest, AnOpenAttemptTheChannelNeverSawFails) {
  one_attempt();
  Step s = record(decide_appeal(state_, appeal("other"), ctx()));
  s = answer(s, ChannelReply{ChannelOutcome::kNotFound});
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::FAILED);
  EXPECT_EQ(s.reply->code, Code::kCreated);
  expect_replay_equal();
}

TEST_F(AppealDecideTest, AnUnansweredQueryIsAFindingAndTheSummarySaysToAskAgain) {
  second_paid();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  ChannelReply timeout{ChannelOutcome::kUnavailable};
  timeout.detail = "timeout after 5000 ms";
  s = answer(s, timeout);
  s = answer(s, paid_at_channel("T2"));
  const AppealState& a = only_appeal();
  EXPECT_EQ(a.findings[0].channel_state, "no_answer");
  EXPECT_NE(a.findings[0].finding.find("timeout after 5000 ms"), std::string::npos);
  EXPECT_NE(a.summary.find("1 attempt could not be asked: whether the payer was charged there is "
                           "unknown"),
            std::string::npos)
      << a.summary;
  EXPECT_EQ(a.summary.find("no second charge"), std::string::npos);  // not known
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::CLOSED);
  expect_replay_equal();
}

TEST_F(AppealDecideTest, AnAlreadyRefundedDuplicateIsReportedNotRefundedAgain) {
  second_paid();
  // P1's success arrives and is refunded automatically before the appeal.
  ChannelNotice late;
  late.channel = "sandbox";
  late.payment_no = "P1";
  late.channel_trade_no = "T1";
  late.amount_minor = 1999;
  record(decide_notice(state_, late, ctx()));
  ASSERT_EQ(state_.find("P1")->status, v1::Attempt::AUTO_REFUNDING);
  const size_t events_before = log_.size();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  s = answer(s, state_at_channel(ChannelPayState::kRefund));
  const AppealState& a = state_.appeals.front();
  EXPECT_NE(a.findings[0].finding.find("its automatic refund (" + auto_refund_no("P1") +
                                       ") is under way"),
            std::string::npos)
      << a.findings[0].finding;
  for (size_t i = events_before; i < log_.size(); ++i) {
    EXPECT_FALSE(log_[i].has_auto_refund_started());
  }
}

TEST_F(AppealDecideTest, TheItemStaysOpenUntilAnOperatorClosesIt) {
  second_paid();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  s = answer(s, state_at_channel(ChannelPayState::kClosed));
  s = answer(s, paid_at_channel("T2"));
  ResolveCommand trust{"appeal:P1:1", "trust_channel", "olga", "the channel is right"};
  Step refused = record(decide_resolve(state_, trust, ctx()));
  EXPECT_EQ(refused.reply->code, Code::kResolutionNotApplicable);
  EXPECT_TRUE(refused.events.empty());
  ResolveCommand dismiss{"appeal:P1:1", "dismiss", "olga", "told the payer: one charge only"};
  Step closed = record(decide_resolve(state_, dismiss, ctx()));
  EXPECT_EQ(closed.reply->code, Code::kOk);
  EXPECT_EQ(state_.find_review("appeal:P1:1"), nullptr);
  const AppealState& a = only_appeal();
  EXPECT_TRUE(a.closed);
  EXPECT_EQ(a.closed_by, "olga");
  EXPECT_EQ(a.resolution, "told the payer: one charge only");
  EXPECT_EQ(appeal_view(a).status(), "closed");
  expect_replay_equal();
}

TEST_F(AppealDecideTest, ACheckCutShortLeavesTheAppealInterruptedAndItsItemOpen) {
  second_paid();
  record(decide_appeal(state_, appeal(), ctx()));  // the engine stops before the answer
  const AppealState& a = only_appeal();
  EXPECT_FALSE(a.checked);
  EXPECT_EQ(appeal_view(a).status(), "interrupted");
  EXPECT_NE(state_.find_review("appeal:P1:1"), nullptr);
  expect_replay_equal();
}

TEST_F(AppealDecideTest, EachAppealOfAnOrderGetsItsOwnItem) {
  one_attempt();
  Step s = record(decide_appeal(state_, appeal("other"), ctx()));
  answer(s, state_at_channel(ChannelPayState::kNotPay));
  s = record(decide_appeal(state_, appeal("other"), ctx()));
  answer(s, state_at_channel(ChannelPayState::kNotPay));
  ASSERT_EQ(state_.appeals.size(), 2u);
  EXPECT_EQ(state_.appeals[1].appeal_id, "appeal:P1:2");
  EXPECT_NE(state_.find_review("appeal:P1:1"), nullptr);
  EXPECT_NE(state_.find_review("appeal:P1:2"), nullptr);
  EXPECT_EQ(appeal_view(state_.appeals[1]).status(), "open");
}

TEST_F(AppealDecideTest, TheOpenAppealLimitRecordsNothingUntilOneIsClosed) {
  one_attempt();
  for (size_t i = 0; i < kMaxOpenAppealsPerOrder; ++i) {
    Step s = record(decide_appeal(state_, appeal("other"), ctx()));
    answer(s, state_at_channel(ChannelPayState::kNotPay));
  }
  Step refused = record(decide_appeal(state_, appeal("other"), ctx()));
  EXPECT_EQ(refused.reply->code, Code::kAppealLimit);
  EXPECT_TRUE(refused.events.empty());
  EXPECT_FALSE(refused.call.has_value());
  EXPECT_EQ(state_.appeals.size(), kMaxOpenAppealsPerOrder);
  // Closing one makes room: the channel can be asked again.
  record(
      decide_resolve(state_, ResolveCommand{"appeal:P1:1", "dismiss", "olga", "answered"}, ctx()));
  Step again = record(decide_appeal(state_, appeal("other"), ctx()));
  EXPECT_TRUE(again.call.has_value());
}

TEST_F(AppealDecideTest, AnOrderKeepsAtMostTheAppealCapInAll) {
  one_attempt();
  for (size_t i = 0; i < kMaxAppealsPerOrder; ++i) {
    Step s = record(decide_appeal(state_, appeal("other"), ctx()));
    answer(s, state_at_channel(ChannelPayState::kNotPay));
    const std::string id = state_.appeals.back().appeal_id;
    record(decide_resolve(state_, ResolveCommand{id, "dismiss", "olga", "answered"}, ctx()));
  }
  Step refused = record(decide_appeal(state_, appeal("other"), ctx()));
  EXPECT_EQ(refused.reply->code, Code::kAppealLimit);
  EXPECT_TRUE(refused.events.empty());
  EXPECT_EQ(state_.appeals.size(), kMaxAppealsPerOrder);
}

TEST_F(AppealDecideTest, TheTimelineSaysWhoRecordedItAndWhatWasFound) {
  second_paid();
  Step s = record(decide_appeal(state_, appeal(), ctx()));
  s = answer(s, state_at_channel(ChannelPayState::kClosed));
  answer(s, paid_at_channel("T2"));
  std::vector<std::string> types;
  for (const auto& e : state_.timeline) {
    if (e.type.starts_with("appeal.") || e.type == "operator.action") types.push_back(e.type);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"operator.action", "appeal.recorded", "appeal.finding",
                                             "appeal.finding", "appeal.checked"}));
}

}  // namespace
}  // namespace oncepay::core
