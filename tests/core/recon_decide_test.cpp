// Drives the reconciliation classifier directly: one named test per class
// and per edge case (duplicates, refunds of unknown refunds, intraday
// statements, the scratch pool's hold days, re-runs).
#include "core/recon_decide.hpp"

#include <gtest/gtest.h>

#include <map>

namespace oncepay::core {
namespace {

constexpr int32_t kDay = 20'000;  // the statement's business day (days since 1970-01-01)

using PStatus = PlatformPayment::Status;
using RStatus = PlatformRefund::Status;

class ReconDecideTest : public ::testing::Test {
 protected:
  PlatformPayment& payment(const std::string& no, PStatus status, int64_t amount = 1999) {
    PlatformPayment& p = payments_[no];
    p.merchant_id = "demo";
    p.merchant_order_no = "o-" + no;
    p.payment_no = no;
    p.status = status;
    p.amount_minor = amount;
    p.currency = "CNY";
    return p;
  }

  static StatementLine pay_line(const std::string& no, int64_t amount = 1999, uint64_t line = 2) {
    StatementLine l;
    l.payment_no = no;
    l.channel_trade_no = "T" + no;
    l.account_id = "demo";
    l.amount_minor = amount;
    l.settled_amount_minor = amount;
    l.currency = "CNY";
    l.channel_status = "SUCCESS";
    l.fee_milli_minor = 12000;
    l.line = line;
    return l;
  }

  static StatementLine refund_line(const std::string& no, const std::string& refund_no,
                                   int64_t amount = 500, uint64_t line = 3) {
    StatementLine l = pay_line(no, amount, line);
    l.kind = StatementLine::Kind::kRefund;
    l.refund_no = refund_no;
    l.fee_milli_minor = -3000;
    return l;
  }

  static PlatformSuccess success(const std::string& no, int64_t amount = 1999) {
    return {"demo", "o-" + no, no, amount, "CNY"};
  }

  ReconInput input() {
    ReconInput in;
    in.statement_day = day_;
    in.hold_days = 3;
    in.intraday = intraday_;
    in.find_payment = [this](std::string_view no) -> const PlatformPayment* {
      auto it = payments_.find(std::string(no));
      return it == payments_.end() ? nullptr : &it->second;
    };
    in.day_successes = day_successes_;
    in.day_refunds = day_refunds_;
    in.held = held_;
    return in;
  }

  // Runs the lines with a summary that equals them.
  ReconReport run(const std::vector<StatementLine>& lines) {
    StatementSummary summary;
    for (const auto& l : lines) {
      const bool refund = l.kind == StatementLine::Kind::kRefund;
      (refund ? summary.refund_lines : summary.payment_lines)++;
      (refund ? summary.refund_amount_minor : summary.payment_amount_minor) += l.amount_minor;
      summary.fee_milli_minor += l.fee_milli_minor;
    }
    return run(lines, summary);
  }

  ReconReport run(const std::vector<StatementLine>& lines, const StatementSummary& summary) {
    items_.clear();
    Reconciliation recon(input(), [this](const ReconItem& item) { items_.push_back(item); });
    for (const auto& l : lines) recon.add_line(l);
    return recon.finish(summary);
  }

  const ReconItem& only_item() {
    EXPECT_EQ(items_.size(), 1u);
    return items_.at(0);
  }

  std::map<std::string, PlatformPayment> payments_;
  std::vector<PlatformSuccess> day_successes_;
  std::vector<PlatformDayRefund> day_refunds_;
  std::vector<HeldSuccess> held_;
  int32_t day_ = kDay;
  bool intraday_ = false;
  std::vector<ReconItem> items_;
};

TEST_F(ReconDecideTest, MatchedPaymentNeedsNothing) {
  payment("P1", PStatus::kSuccess);
  day_successes_ = {success("P1")};
  ReconReport report = run({pay_line("P1")});
  const ReconItem& item = only_item();
  EXPECT_EQ(item.cls, ReconClass::kMatched);
  EXPECT_EQ(item.action, ReconAction::kNone);
  EXPECT_EQ(item.line, 2u);
  EXPECT_EQ(item.merchant_order_no, "o-P1");
  EXPECT_EQ(report.count(ReconClass::kMatched), 1u);
  EXPECT_TRUE(report.summary_ok);
}

TEST_F(ReconDecideTest, ChannelOnlySuccessOfAPendingAttemptIsAppliedAsSuccess) {
  payment("P1", PStatus::kPending);
  run({pay_line("P1")});
  const ReconItem& item = only_item();
  EXPECT_EQ(item.cls, ReconClass::kChannelOnlySuccess);
  EXPECT_EQ(item.action, ReconAction::kApplySuccess);
  EXPECT_EQ(item.channel_trade_no, "TP1");
  EXPECT_EQ(item.merchant_id, "demo");
}

TEST_F(ReconDecideTest, ChannelOnlySuccessOfAClosedAttemptGoesToTheOrderActorToo) {
  payment("P1", PStatus::kClosed);
  run({pay_line("P1")});
  EXPECT_EQ(only_item().cls, ReconClass::kChannelOnlySuccess);
  EXPECT_EQ(only_item().action, ReconAction::kApplySuccess);  // its rules refund it
}

TEST_F(ReconDecideTest, PlatformOnlySuccessIsHeld) {
  payment("P1", PStatus::kSuccess);
  day_successes_ = {success("P1")};
  ReconReport report = run({});
  const ReconItem& item = only_item();
  EXPECT_EQ(item.cls, ReconClass::kPlatformOnlySuccess);
  EXPECT_EQ(item.action, ReconAction::kHold);
  EXPECT_EQ(item.held_since_day, kDay);
  EXPECT_EQ(item.line, 0u);
  EXPECT_EQ(report.count(ReconClass::kPlatformOnlySuccess), 1u);
}

TEST_F(ReconDecideTest, HeldSuccessFoundOnALaterStatementIsReleased) {
  payment("P1", PStatus::kSuccess);
  held_ = {{success("P1"), kDay - 1}};
  run({pay_line("P1")});
  EXPECT_EQ(only_item().cls, ReconClass::kMatched);
  EXPECT_EQ(only_item().action, ReconAction::kReleaseHold);
}

TEST_F(ReconDecideTest, HeldSuccessStillMissingWithinHoldDaysStaysHeld) {
  held_ = {{success("P1"), kDay - 2}};
  run({});
  EXPECT_EQ(only_item().cls, ReconClass::kPlatformOnlySuccess);
  EXPECT_EQ(only_item().action, ReconAction::kHold);
  EXPECT_EQ(only_item().held_since_day, kDay - 2);
}

TEST_F(ReconDecideTest, HeldSuccessMissingForHoldDaysBecomesChannelMissing) {
  held_ = {{success("P1"), kDay - 3}};
  ReconReport report = run({});
  EXPECT_EQ(only_item().cls, ReconClass::kChannelMissing);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
  EXPECT_EQ(report.count(ReconClass::kChannelMissing), 1u);
}

TEST_F(ReconDecideTest, HeldSuccessThatIsAlsoADaySuccessIsReportedOnceWithItsOldDate) {
  held_ = {{success("P1"), kDay - 1}};
  day_successes_ = {success("P1")};
  run({});
  EXPECT_EQ(only_item().held_since_day, kDay - 1);
}

TEST_F(ReconDecideTest, IntradayStatementPlatformSuccessJustWaits) {
  intraday_ = true;
  day_successes_ = {success("P1")};
  held_ = {{success("P0"), kDay - 5}};
  run({});
  ASSERT_EQ(items_.size(), 2u);
  for (const auto& item : items_) {
    EXPECT_EQ(item.cls, ReconClass::kPlatformOnlySuccess);
    EXPECT_EQ(item.action, ReconAction::kWait);
  }
}

TEST_F(ReconDecideTest, AmountMismatchIsReviewedNeverPaid) {
  payment("P1", PStatus::kPending, 1999);
  run({pay_line("P1", 1000)});
  EXPECT_EQ(only_item().cls, ReconClass::kAmountMismatch);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
  EXPECT_EQ(only_item().channel_amount_minor, 1000);
  EXPECT_EQ(only_item().platform_amount_minor, 1999);
}

TEST_F(ReconDecideTest, CurrencyMismatchIsReviewedNeverPaid) {
  payment("P1", PStatus::kPending);
  StatementLine line = pay_line("P1");
  line.currency = "USD";
  run({line});
  EXPECT_EQ(only_item().cls, ReconClass::kCurrencyMismatch);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
  EXPECT_EQ(only_item().platform_currency, "CNY");
}

TEST_F(ReconDecideTest, StatusMismatchWhenTheChannelShowsRevokedAndOncepayPaid) {
  payment("P1", PStatus::kSuccess);
  StatementLine line = pay_line("P1");
  line.settled = false;
  line.channel_status = "REVOKED";
  run({line});
  EXPECT_EQ(only_item().cls, ReconClass::kStatusMismatch);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
}

TEST_F(ReconDecideTest, UnsettledLineOfAnUnpaidAttemptMatches) {
  payment("P1", PStatus::kClosed);
  StatementLine line = pay_line("P1");
  line.settled = false;
  line.channel_status = "REVOKED";
  run({line});
  EXPECT_EQ(only_item().cls, ReconClass::kMatched);
}

TEST_F(ReconDecideTest, RefundedPaymentStillMatchesItsSuccessLine) {
  payment("P1", PStatus::kRefunded);
  run({pay_line("P1")});
  EXPECT_EQ(only_item().cls, ReconClass::kMatched);
}

TEST_F(ReconDecideTest, RefundMatched) {
  payment("P1", PStatus::kRefunded).refunds = {{"R1", 500, RStatus::kSuccess}};
  run({refund_line("P1", "R1")});
  EXPECT_EQ(only_item().cls, ReconClass::kMatched);
  EXPECT_EQ(only_item().refund_no, "R1");
}

TEST_F(ReconDecideTest, RefundRowOfAnUnknownRefundIsRefundChannelOnly) {
  payment("P1", PStatus::kSuccess);
  run({refund_line("P1", "R9")});
  EXPECT_EQ(only_item().cls, ReconClass::kRefundChannelOnly);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
  EXPECT_FALSE(only_item().platform_amount_minor.has_value());
}

TEST_F(ReconDecideTest, RefundPlatformOnlyIsReviewed) {
  payment("P1", PStatus::kRefunded).refunds = {{"R1", 500, RStatus::kSuccess}};
  day_refunds_ = {{"demo", "o-P1", "P1", "R1", 500}};
  ReconReport report = run({});
  EXPECT_EQ(only_item().cls, ReconClass::kRefundPlatformOnly);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
  EXPECT_EQ(report.count(ReconClass::kRefundPlatformOnly), 1u);
}

TEST_F(ReconDecideTest, RefundOnTheStatementIsNotPlatformOnly) {
  payment("P1", PStatus::kRefunded).refunds = {{"R1", 500, RStatus::kSuccess}};
  day_refunds_ = {{"demo", "o-P1", "P1", "R1", 500}};
  run({refund_line("P1", "R1")});
  EXPECT_EQ(only_item().cls, ReconClass::kMatched);
}

TEST_F(ReconDecideTest, RefundAmountMismatchIsReviewed) {
  payment("P1", PStatus::kSuccess).refunds = {{"R1", 500, RStatus::kSuccess}};
  run({refund_line("P1", "R1", 400)});
  EXPECT_EQ(only_item().cls, ReconClass::kRefundAmountMismatch);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
}

TEST_F(ReconDecideTest, PendingRefundSettledByTheChannelIsAppliedAsRefundSuccess) {
  payment("P1", PStatus::kSuccess).refunds = {{"R1", 500, RStatus::kPending}};
  run({refund_line("P1", "R1")});
  EXPECT_EQ(only_item().cls, ReconClass::kStatusMismatch);
  EXPECT_EQ(only_item().action, ReconAction::kApplyRefundSuccess);
}

TEST_F(ReconDecideTest, FailedRefundSettledByTheChannelIsReviewed) {
  payment("P1", PStatus::kSuccess).refunds = {{"R1", 500, RStatus::kFailed}};
  run({refund_line("P1", "R1")});
  EXPECT_EQ(only_item().cls, ReconClass::kStatusMismatch);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
}

TEST_F(ReconDecideTest, UnknownPaymentIsReviewed) {
  ReconReport report = run({pay_line("X1")});
  EXPECT_EQ(only_item().cls, ReconClass::kUnknownPayment);
  EXPECT_EQ(only_item().action, ReconAction::kReview);
  EXPECT_TRUE(only_item().merchant_id.empty());
  EXPECT_EQ(report.count(ReconClass::kUnknownPayment), 1u);
}

TEST_F(ReconDecideTest, RefundOfAnUnknownPaymentIsUnknownPayment) {
  run({refund_line("X1", "R1")});
  EXPECT_EQ(only_item().cls, ReconClass::kUnknownPayment);
}

TEST_F(ReconDecideTest, DuplicatePaymentLineIsReviewedAndTheFirstStillCounts) {
  payment("P1", PStatus::kPending);
  ReconReport report = run({pay_line("P1", 1999, 2), pay_line("P1", 1999, 3)});
  ASSERT_EQ(items_.size(), 2u);
  EXPECT_EQ(items_[0].cls, ReconClass::kChannelOnlySuccess);
  EXPECT_EQ(items_[1].cls, ReconClass::kDuplicateLine);
  EXPECT_EQ(items_[1].action, ReconAction::kReview);
  EXPECT_EQ(items_[1].line, 3u);
  EXPECT_EQ(report.count(ReconClass::kDuplicateLine), 1u);
}

TEST_F(ReconDecideTest, DuplicateRefundLineIsReviewed) {
  payment("P1", PStatus::kSuccess).refunds = {{"R1", 500, RStatus::kSuccess}};
  run({refund_line("P1", "R1", 500, 3), refund_line("P1", "R1", 500, 4)});
  ASSERT_EQ(items_.size(), 2u);
  EXPECT_EQ(items_[1].cls, ReconClass::kDuplicateLine);
  EXPECT_EQ(items_[1].refund_no, "R1");
}

TEST_F(ReconDecideTest, PaymentAndItsRefundOnOneStatementAreNoDuplicates) {
  payment("P1", PStatus::kRefunded).refunds = {{"R1", 500, RStatus::kSuccess}};
  run({pay_line("P1"), refund_line("P1", "R1")});
  ASSERT_EQ(items_.size(), 2u);
  EXPECT_EQ(items_[0].cls, ReconClass::kMatched);
  EXPECT_EQ(items_[1].cls, ReconClass::kMatched);
}

TEST_F(ReconDecideTest, ReRunWithTheSameInputsGivesTheSameItems) {
  payment("P1", PStatus::kPending);
  payment("P2", PStatus::kSuccess, 100);
  day_successes_ = {success("P2", 100), success("P3")};
  const std::vector<StatementLine> lines = {pay_line("P1"), pay_line("P2", 200), pay_line("X")};
  run(lines);
  std::vector<ReconItem> first = items_;
  run(lines);
  ASSERT_EQ(items_.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(items_[i].cls, first[i].cls) << i;
    EXPECT_EQ(items_[i].action, first[i].action) << i;
    EXPECT_EQ(items_[i].payment_no, first[i].payment_no) << i;
    EXPECT_EQ(items_[i].line, first[i].line) << i;
  }
}

TEST_F(ReconDecideTest, ReRunAfterTheFixWasAppliedFindsItMatched) {
  payment("P1", PStatus::kPending);
  run({pay_line("P1")});
  EXPECT_EQ(only_item().action, ReconAction::kApplySuccess);
  payment("P1", PStatus::kSuccess);  // the order actor applied it
  day_successes_ = {success("P1")};
  run({pay_line("P1")});
  EXPECT_EQ(only_item().cls, ReconClass::kMatched);
  EXPECT_EQ(only_item().action, ReconAction::kNone);
}

TEST_F(ReconDecideTest, FeeTotalAndLineCountCoverEveryLine) {
  payment("P1", PStatus::kSuccess).refunds = {{"R1", 500, RStatus::kSuccess}};
  ReconReport report = run({pay_line("P1"), refund_line("P1", "R1"), pay_line("X")});
  EXPECT_EQ(report.lines, 3u);
  EXPECT_EQ(report.fee_total_milli_minor, 12000 - 3000 + 12000);
  EXPECT_TRUE(report.summary_ok);
}

TEST_F(ReconDecideTest, SummaryThatDiffersFromTheLinesIsReported) {
  payment("P1", PStatus::kSuccess);
  StatementSummary summary;
  summary.payment_lines = 2;
  summary.payment_amount_minor = 1999;
  summary.fee_milli_minor = 12000;
  ReconReport report = run({pay_line("P1")}, summary);
  EXPECT_FALSE(report.summary_ok);
  EXPECT_FALSE(report.summary_detail.empty());
}

TEST_F(ReconDecideTest, EveryClassHasItsName) {
  EXPECT_EQ(recon_class_name(ReconClass::kMatched), "matched");
  EXPECT_EQ(recon_class_name(ReconClass::kChannelOnlySuccess), "channel_only_success");
  EXPECT_EQ(recon_class_name(ReconClass::kRefundAmountMismatch), "refund_amount_mismatch");
  EXPECT_EQ(recon_class_name(ReconClass::kDuplicateLine), "duplicate_line");
  EXPECT_EQ(recon_action_name(ReconAction::kApplySuccess), "apply_success");
  EXPECT_EQ(recon_action_name(ReconAction::kReview), "review");
}

}  // namespace
}  // namespace oncepay::core
