// Reconciliation results applied to an order (core/order_decide.hpp
// "reconciliation and review"): a statement's success or refund from source
// "reconciliation", recon_<class> review items, and operators' resolutions;
// and the ledger an order gives reconciliation (core/recon_ledger.hpp).
#include <gtest/gtest.h>

#include "core/order_decide.hpp"
#include "core/order_snapshot.hpp"
#include "core/recon_ledger.hpp"

namespace oncepay::core {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;
constexpr int64_t kChannelTime = 1'799'990'000'000;  // the statement's trade time

class ReconReviewTest : public ::testing::Test {
 protected:
  ReconReviewTest() {
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
    c.new_payment_no = [this] {
      std::string id(1, 'P');
      id += std::to_string(++ids_);
      return id;
    };
    return c;
  }

  Step record(Step step) {
    for (const auto& e : step.events) log_.push_back(e);
    return step;
  }

  // P1 PAYING.
  void paying() {
    PayCommand cmd;
    cmd.merchant_id = "demo";
    cmd.merchant_order_no = "o-1";
    cmd.amount_minor = 1999;
    cmd.currency = "CNY";
    cmd.channel = "sandbox";
    cmd.subject = "coffee";
    Step s = record(decide_pay(state_, cmd, ctx()));
    ChannelReply r{ChannelOutcome::kOk};
    r.prepay_id = "wx-1";
    record(resume(state_, s.flow, r, ctx()));
  }

  Step statement_success(int64_t amount = 1999, std::string currency = "CNY") {
    ChannelNotice n;
    n.kind = ChannelNotice::Kind::kSuccess;
    n.channel = "sandbox";
    n.payment_no = "P1";
    n.channel_trade_no = "T-stmt";
    n.amount_minor = amount;
    n.currency = std::move(currency);
    n.source = "reconciliation";
    n.channel_time_ms = kChannelTime;
    return record(decide_notice(state_, n, ctx()));
  }

  Step recon_review(const std::string& reason, ReconFacts facts) {
    ReconReviewCommand cmd{reason, "P1", "what the run saw", std::move(facts)};
    return record(decide_recon_review(state_, cmd, ctx()));
  }

  Step resolve(const std::string& item_id, std::string_view resolution) {
    ResolveCommand cmd{item_id, std::string(resolution), "alice", "checked the channel's console"};
    return record(decide_resolve(state_, cmd, ctx()));
  }

  static ReconFacts settled(int64_t amount, std::string refund_no = {}) {
    ReconFacts f;
    f.reconciliation_id = "rc_000000000001";
    f.line = 7;
    f.refund_no = std::move(refund_no);
    f.channel_trade_no = "T-stmt";
    f.has_channel_amount = true;
    f.channel_amount_minor = amount;
    f.channel_currency = "CNY";
    f.channel_status = "SUCCESS";
    f.channel_settled = true;
    f.channel_time_ms = kChannelTime;
    return f;
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

TEST_F(ReconReviewTest, StatementSuccessPaysWithTheChannelsTimeAndSource) {
  paying();
  Step s = statement_success();
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_EQ(state_.find("P1")->paid_ms, kChannelTime) << "the business day is the channel's";
  EXPECT_EQ(state_.find("P1")->channel_trade_no, "T-stmt");
  EXPECT_NE(state_.timeline.back().detail.find("reconciliation"), std::string::npos);
  expect_replay_equal();
}

TEST_F(ReconReviewTest, StatementSuccessIsNotAskedAgainInConfirmMode) {
  config_.confirm_notified_success = true;
  paying();
  Step s = statement_success();
  EXPECT_FALSE(s.call) << "a statement is the channel's record, not a notification";
  EXPECT_EQ(state_.status, v1::Order::PAID);
}

TEST_F(ReconReviewTest, StatementSuccessOfAnotherAmountIsRefundedAtOnce) {
  paying();
  Step s = statement_success(1000);
  EXPECT_FALSE(s.call) << "no verifying query: the record itself says 1000";
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.find("P1")->auto_refund_amount_minor, 1000);
  EXPECT_EQ(state_.find("P1")->paid_ms, kChannelTime);
  EXPECT_NE(state_.status, v1::Order::PAID);
  expect_replay_equal();
}

TEST_F(ReconReviewTest, PaidAttemptTimeIsWhenOncepayLearnedItWithoutAChannelTime) {
  paying();
  ChannelNotice n;
  n.kind = ChannelNotice::Kind::kSuccess;
  n.channel = "sandbox";
  n.payment_no = "P1";
  n.amount_minor = 1999;
  record(decide_notice(state_, n, ctx()));
  EXPECT_EQ(state_.find("P1")->paid_ms, kT0);
}

TEST_F(ReconReviewTest, ReviewOpensOnceWithTheStatementsFacts) {
  paying();
  statement_success();
  Step s = recon_review("recon_amount_mismatch", settled(1000));
  EXPECT_EQ(s.reply->code, Code::kOk);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].item_id, "recon_amount_mismatch:P1");
  EXPECT_EQ(state_.reviews[0].recon.channel_amount_minor, 1000);
  EXPECT_EQ(state_.reviews[0].recon.line, 7u);
  Step again = recon_review("recon_amount_mismatch", settled(1000));
  EXPECT_TRUE(again.events.empty()) << "a re-run opens nothing twice";
  expect_replay_equal();
}

TEST_F(ReconReviewTest, ReviewOfAPaymentTheOrderDoesNotHaveIsNotFound) {
  paying();
  ReconReviewCommand cmd{"recon_amount_mismatch", "P9", "x", settled(1)};
  Step s = record(decide_recon_review(state_, cmd, ctx()));
  EXPECT_EQ(s.reply->code, Code::kPaymentNotFound);
  EXPECT_TRUE(s.events.empty());
}

TEST_F(ReconReviewTest, DismissClosesAndTheSameDiscrepancyDoesNotReopen) {
  paying();
  statement_success();
  recon_review("recon_amount_mismatch", settled(1000));
  Step s = resolve("recon_amount_mismatch:P1", kResolutionDismiss);
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_TRUE(state_.reviews.empty());
  EXPECT_NE(state_.timeline.back().detail.find("alice"), std::string::npos)
      << "the operator is in the order's events";
  Step rerun = recon_review("recon_amount_mismatch", settled(1000));
  EXPECT_TRUE(rerun.events.empty());
  EXPECT_TRUE(state_.reviews.empty());
  Step other = recon_review("recon_amount_mismatch", settled(900));
  EXPECT_EQ(state_.reviews.size(), 1u) << "another discrepancy is another finding";
  (void)other;
  expect_replay_equal();
}

TEST_F(ReconReviewTest, TrustPlatformKeepsTheItemMarkedUntilAMatch) {
  paying();
  statement_success();
  ReconFacts missing;
  missing.reconciliation_id = "rc_000000000002";
  missing.platform_amount_minor = 1999;
  recon_review("recon_channel_missing", missing);
  Step s = resolve("recon_channel_missing:P1", kResolutionTrustPlatform);
  EXPECT_EQ(s.reply->code, Code::kOk);
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].resolution, "trust_platform");
  EXPECT_EQ(state_.reviews[0].resolved_by, "alice");
  Step matched = record(decide_recon_matched(state_, "P1", "", ctx()));
  EXPECT_EQ(matched.reply->code, Code::kOk);
  EXPECT_TRUE(state_.reviews.empty()) << "the channel corrected its record";
  expect_replay_equal();
}

TEST_F(ReconReviewTest, MatchedRefundClosesOnlyThatRefundsItems) {
  paying();
  statement_success();
  recon_review("recon_refund_amount_mismatch", settled(500, "R1"));
  recon_review("recon_amount_mismatch", settled(1000));
  record(decide_recon_matched(state_, "P1", "R1", ctx()));
  ASSERT_EQ(state_.reviews.size(), 1u);
  EXPECT_EQ(state_.reviews[0].reason, "recon_amount_mismatch");
}

TEST_F(ReconReviewTest, TrustChannelAppliesTheChannelsSuccess) {
  paying();
  recon_review("recon_status_mismatch", settled(1999));
  Step s = resolve("recon_status_mismatch:P1", kResolutionTrustChannel);
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_EQ(state_.status, v1::Order::PAID);
  EXPECT_TRUE(state_.reviews.empty());
  expect_replay_equal();
}

TEST_F(ReconReviewTest, TrustChannelOfAnotherAmountRefundsWhatMoved) {
  paying();
  recon_review("recon_amount_mismatch", settled(1500));
  Step s = resolve("recon_amount_mismatch:P1", kResolutionTrustChannel);
  EXPECT_EQ(s.reply->code, Code::kOk);
  EXPECT_EQ(state_.find("P1")->status, v1::Attempt::AUTO_REFUNDING);
  EXPECT_EQ(state_.find("P1")->auto_refund_amount_minor, 1500);
}

TEST_F(ReconReviewTest, TrustChannelRecordsTheChannelsRefundOncepayNeverHad) {
  paying();
  statement_success();
  recon_review("recon_refund_channel_only", settled(500, "R-chan"));
  Step s = resolve("recon_refund_channel_only:P1:R-chan", kResolutionTrustChannel);
  EXPECT_EQ(s.reply->code, Code::kOk);
  const RefundState* r = state_.find_refund("R-chan");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, v1::Refund::SUCCEEDED);
  EXPECT_EQ(r->succeeded_ms, kChannelTime);
  EXPECT_EQ(state_.status, v1::Order::PARTIALLY_REFUNDED);
  expect_replay_equal();
}

TEST_F(ReconReviewTest, TrustChannelRefundBeyondTheRefundableIsRefused) {
  paying();
  statement_success();
  recon_review("recon_refund_channel_only", settled(5000, "R-big"));
  Step s = resolve("recon_refund_channel_only:P1:R-big", kResolutionTrustChannel);
  EXPECT_EQ(s.reply->code, Code::kRefundExceedsPaid);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(state_.reviews.size(), 1u);
}

TEST_F(ReconReviewTest, TrustChannelWithoutAChannelSuccessIsNotApplicable) {
  paying();
  statement_success();
  ReconFacts missing;
  missing.platform_amount_minor = 1999;
  recon_review("recon_channel_missing", missing);
  Step s = resolve("recon_channel_missing:P1", kResolutionTrustChannel);
  EXPECT_EQ(s.reply->code, Code::kResolutionNotApplicable);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(state_.status, v1::Order::PAID) << "never un-paid";
}

TEST_F(ReconReviewTest, ResolvingAnUnknownItemIsNotFound) {
  paying();
  Step s = resolve("recon_amount_mismatch:P1", kResolutionDismiss);
  EXPECT_EQ(s.reply->code, Code::kReviewItemNotFound);
  EXPECT_TRUE(s.events.empty());
}

TEST_F(ReconReviewTest, TrustResolutionsOfOtherReasonsAreNotApplicable) {
  paying();
  // An amount_mismatch item from a notification (not a reconciliation).
  ChannelNotice n;
  n.kind = ChannelNotice::Kind::kSuccess;
  n.channel = "sandbox";
  n.payment_no = "P1";
  n.amount_minor = 10;
  record(decide_notice(state_, n, ctx()));
  ASSERT_EQ(state_.reviews.size(), 1u);
  Step s = resolve(state_.reviews[0].item_id, kResolutionTrustPlatform);
  EXPECT_EQ(s.reply->code, Code::kResolutionNotApplicable);
  Step d = resolve(state_.reviews[0].item_id, kResolutionDismiss);
  EXPECT_EQ(d.reply->code, Code::kOk);
  EXPECT_TRUE(state_.reviews.empty());
}

TEST_F(ReconReviewTest, ReconReasonsAreReviewReasons) {
  EXPECT_TRUE(is_review_reason("recon_amount_mismatch"));
  EXPECT_TRUE(is_review_reason("recon_unknown_payment"));
  EXPECT_FALSE(is_review_reason("recon_matched"));
  EXPECT_FALSE(is_review_reason("recon_channel_only_success"));
  EXPECT_FALSE(is_review_reason("recon_nope"));
}

TEST_F(ReconReviewTest, LedgerOfAPaidAndRefundedOrder) {
  paying();
  statement_success();
  record(decide_refund(state_, RefundCommand{"R1", 500, "broken"}, ctx()));
  ChannelNotice n;
  n.kind = ChannelNotice::Kind::kRefundSuccess;
  n.channel = "sandbox";
  n.payment_no = "P1";
  n.refund_no = "R1";
  n.amount_minor = 500;
  now_ += 1000;
  record(decide_notice(state_, n, ctx()));
  const OrderLedger ledger = ledger_of(state_);
  ASSERT_EQ(ledger.payments.size(), 1u);
  const LedgerPayment& p = ledger.payments[0];
  EXPECT_EQ(p.payment.status, PlatformPayment::Status::kSuccess);
  EXPECT_EQ(p.paid_ms, kChannelTime);
  EXPECT_EQ(p.channel, "sandbox");
  ASSERT_EQ(p.payment.refunds.size(), 1u);
  EXPECT_EQ(p.payment.refunds[0].status, PlatformRefund::Status::kSuccess);
  ASSERT_EQ(ledger.settled_refunds.size(), 1u);
  EXPECT_EQ(ledger.settled_refunds[0].succeeded_ms, kT0 + 1000);
}

TEST_F(ReconReviewTest, LedgerOfAnAutoRefundedAttemptListsItsRefund) {
  paying();
  statement_success(1000);  // refunded automatically: another amount
  OrderLedger ledger = ledger_of(state_);
  ASSERT_EQ(ledger.payments.size(), 1u);
  EXPECT_EQ(ledger.payments[0].payment.status, PlatformPayment::Status::kRefunded);
  ASSERT_EQ(ledger.payments[0].payment.refunds.size(), 1u);
  EXPECT_EQ(ledger.payments[0].payment.refunds[0].amount_minor, 1000);
  EXPECT_EQ(ledger.payments[0].payment.refunds[0].status, PlatformRefund::Status::kPending);
  EXPECT_TRUE(ledger.settled_refunds.empty());
}

TEST_F(ReconReviewTest, LedgerOfAnUnpaidAttemptHasNoSuccessTime) {
  paying();
  const OrderLedger ledger = ledger_of(state_);
  ASSERT_EQ(ledger.payments.size(), 1u);
  EXPECT_EQ(ledger.payments[0].payment.status, PlatformPayment::Status::kPending);
  EXPECT_EQ(ledger.payments[0].paid_ms, 0);
}

}  // namespace
}  // namespace oncepay::core
