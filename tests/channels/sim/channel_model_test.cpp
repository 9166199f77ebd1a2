// Tests for channels/channel_model: every state transition of the wallet
// channel, idempotency, fault injection with fixed seeds, and the outbox.
#include "channels/sim/channel_model.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>

namespace oncepay::channels {
namespace {

using Notify = v1::ChannelNotification;

constexpr uint64_t kSeed = 42;
constexpr int64_t kAmount = 1999;
constexpr int64_t kT0 = 1'700'000'000'000;

class ChannelModelTest : public ::testing::Test {
 protected:
  PrepayResult open(const std::string& payment_no, int64_t amount_minor = kAmount) {
    return model_.prepay(payment_no, amount_minor, "CNY", "coffee", kT0);
  }
  // A payment that succeeded, with the outbox drained.
  void open_and_pay(const std::string& payment_no) {
    ASSERT_EQ(open(payment_no).outcome, CallOutcome::kOk);
    ASSERT_EQ(model_.pay(payment_no, false, kT0 + 1), CallOutcome::kOk);
    model_.take_outbox();
  }
  PayState state_of(const std::string& payment_no) { return model_.get(payment_no)->state; }

  ChannelModel model_{"sandbox", kSeed};
};

// "<prefix><i>", built by appending: GCC 12 warns falsely (-Wrestrict) on
// "literal" + std::to_string(i).
std::string numbered(std::string_view prefix, size_t i) {
  std::string text(prefix);
  text += std::to_string(i);
  return text;
}

Faults faults_with_drop(double probability) {
  Faults faults;
  faults.notify_drop = probability;
  return faults;
}

// ---------------------------------------------------------------- prepay

TEST_F(ChannelModelTest, PrepayCreatesNotPayPayment) {
  PrepayResult result = open("p1");
  EXPECT_EQ(result.outcome, CallOutcome::kOk);
  EXPECT_EQ(result.prepay_id, "sandbox-prepay-p1");
  EXPECT_EQ(result.pay_url, "sandbox://pay/p1");
  std::optional<ChannelPayment> payment = model_.get("p1");
  ASSERT_TRUE(payment.has_value());
  EXPECT_EQ(payment->state, PayState::kNotPay);
  EXPECT_EQ(payment->amount_minor, kAmount);
  EXPECT_EQ(payment->currency, "CNY");
  EXPECT_EQ(payment->subject, "coffee");
  EXPECT_EQ(payment->created_ms, kT0);
  EXPECT_EQ(payment->updated_ms, kT0);
  EXPECT_TRUE(payment->channel_trade_no.empty());
  EXPECT_EQ(model_.size(), 1u);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, PrepayRepeatReturnsSamePrepayId) {
  PrepayResult first = open("p1");
  PrepayResult second = model_.prepay("p1", kAmount, "CNY", "coffee", kT0 + 5000);
  EXPECT_EQ(second.outcome, CallOutcome::kOk);
  EXPECT_EQ(second.prepay_id, first.prepay_id);
  EXPECT_EQ(second.pay_url, first.pay_url);
  EXPECT_EQ(model_.size(), 1u);
  EXPECT_EQ(model_.get("p1")->created_ms, kT0);
}

TEST_F(ChannelModelTest, PrepayRepeatWithOtherParametersIsRejected) {
  open("p1");
  EXPECT_EQ(model_.prepay("p1", kAmount + 1, "CNY", "coffee", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.prepay("p1", kAmount, "USD", "coffee", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.prepay("p1", kAmount, "CNY", "tea", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.get("p1")->amount_minor, kAmount);
}

TEST_F(ChannelModelTest, PrepayInvalidArgumentsAreRejected) {
  EXPECT_EQ(model_.prepay("", kAmount, "CNY", "", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.prepay("p1", 0, "CNY", "", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.prepay("p1", -5, "CNY", "", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.prepay("p1", kAmount, "", "", kT0).outcome, CallOutcome::kRejected);
  std::string long_no(kMaxPaymentNoBytes + 1, 'p');
  EXPECT_EQ(model_.prepay(long_no, kAmount, "CNY", "", kT0).outcome, CallOutcome::kRejected);
  std::string long_subject(kMaxSubjectBytes + 1, 's');
  EXPECT_EQ(model_.prepay("p1", kAmount, "CNY", long_subject, kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.size(), 0u);
}

TEST_F(ChannelModelTest, PrepayOfPaidPaymentIsAlreadyPaid) {
  open_and_pay("p1");
  EXPECT_EQ(open("p1").outcome, CallOutcome::kAlreadyPaid);
}

TEST_F(ChannelModelTest, PrepayOfClosedPaymentIsClosed) {
  open("p1");
  model_.close("p1", kT0);
  EXPECT_EQ(open("p1").outcome, CallOutcome::kClosed);
}

TEST_F(ChannelModelTest, PrepayPastMaxPaymentsIsRejected) {
  ChannelModel small("sandbox", kSeed, 2);
  EXPECT_EQ(small.prepay("p1", kAmount, "CNY", "", kT0).outcome, CallOutcome::kOk);
  EXPECT_EQ(small.prepay("p2", kAmount, "CNY", "", kT0).outcome, CallOutcome::kOk);
  EXPECT_EQ(small.prepay("p3", kAmount, "CNY", "", kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(small.prepay("p1", kAmount, "CNY", "", kT0).outcome, CallOutcome::kOk);
  EXPECT_EQ(small.size(), 2u);
}

TEST_F(ChannelModelTest, PrepayTimeoutStillCreatesPayment) {
  Faults faults;
  faults.prepay_timeout = 1.0;
  model_.set_faults(faults);
  PrepayResult result = open("p1");
  EXPECT_EQ(result.outcome, CallOutcome::kTimeout);
  EXPECT_TRUE(result.prepay_id.empty());
  ASSERT_TRUE(model_.get("p1").has_value());
  EXPECT_EQ(state_of("p1"), PayState::kNotPay);

  model_.set_faults(Faults{});
  EXPECT_EQ(open("p1").outcome, CallOutcome::kOk);  // the retry finds it
  EXPECT_EQ(model_.size(), 1u);
}

// ---------------------------------------------------------------- query

TEST_F(ChannelModelTest, QueryUnknownIsNotFound) {
  EXPECT_EQ(model_.query("nope").outcome, CallOutcome::kNotFound);
}

TEST_F(ChannelModelTest, QueryReportsStateTradeNoAndRefunds) {
  open("p1");
  QueryResult before = model_.query("p1");
  EXPECT_EQ(before.outcome, CallOutcome::kOk);
  EXPECT_EQ(before.state, PayState::kNotPay);
  EXPECT_TRUE(before.channel_trade_no.empty());

  model_.pay("p1", false, kT0);
  model_.refund("p1", "r1", 500, kT0);
  QueryResult after = model_.query("p1");
  EXPECT_EQ(after.state, PayState::kRefund);
  EXPECT_EQ(after.channel_trade_no, model_.get("p1")->channel_trade_no);
  EXPECT_EQ(after.refunded_minor, 500);
}

TEST_F(ChannelModelTest, QueryUnavailableFaultAtOneAlwaysFails) {
  open("p1");
  Faults faults;
  faults.query_unavailable = 1.0;
  model_.set_faults(faults);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(model_.query("p1").outcome, CallOutcome::kUnavailable);
  EXPECT_EQ(model_.query("nope").outcome, CallOutcome::kUnavailable);
}

TEST_F(ChannelModelTest, QueryUnavailableFaultAtHalfFailsSometimes) {
  open("p1");
  Faults faults;
  faults.query_unavailable = 0.5;
  model_.set_faults(faults);
  int unavailable = 0;
  for (int i = 0; i < 1000; ++i) unavailable += model_.query("p1").outcome != CallOutcome::kOk;
  EXPECT_GT(unavailable, 400);
  EXPECT_LT(unavailable, 600);
}

// ---------------------------------------------------------------- close

TEST_F(ChannelModelTest, CloseNotPayCloses) {
  open("p1");
  CloseResult result = model_.close("p1", kT0 + 7);
  EXPECT_EQ(result.outcome, CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kClosed);
  EXPECT_EQ(model_.get("p1")->updated_ms, kT0 + 7);
}

TEST_F(ChannelModelTest, CloseClosedIsOk) {
  open("p1");
  model_.close("p1", kT0);
  EXPECT_EQ(model_.close("p1", kT0 + 9).outcome, CallOutcome::kOk);
  EXPECT_EQ(model_.get("p1")->updated_ms, kT0);
}

TEST_F(ChannelModelTest, ClosePayErrorCloses) {
  open("p1");
  model_.fail("p1", kT0);
  EXPECT_EQ(model_.close("p1", kT0).outcome, CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kClosed);
}

TEST_F(ChannelModelTest, ClosePaidIsAlreadyPaidWithTradeNo) {
  open_and_pay("p1");
  CloseResult result = model_.close("p1", kT0);
  EXPECT_EQ(result.outcome, CallOutcome::kAlreadyPaid);
  EXPECT_EQ(result.channel_trade_no, model_.get("p1")->channel_trade_no);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
}

TEST_F(ChannelModelTest, CloseRefundedIsAlreadyPaid) {
  open_and_pay("p1");
  model_.refund("p1", "r1", 1, kT0);
  EXPECT_EQ(model_.close("p1", kT0).outcome, CallOutcome::kAlreadyPaid);
  EXPECT_EQ(state_of("p1"), PayState::kRefund);
}

TEST_F(ChannelModelTest, CloseUnknownIsNotFound) {
  EXPECT_EQ(model_.close("nope", kT0).outcome, CallOutcome::kNotFound);
}

// ---------------------------------------------------------------- reverse

TEST_F(ChannelModelTest, ReverseNotPayCloses) {
  open("p1");
  CloseResult result = model_.reverse("p1", kT0);
  EXPECT_EQ(result.outcome, CallOutcome::kOk);
  EXPECT_TRUE(result.channel_trade_no.empty());
  EXPECT_EQ(state_of("p1"), PayState::kClosed);
}

TEST_F(ChannelModelTest, ReverseClosedIsOk) {
  open("p1");
  model_.close("p1", kT0);
  EXPECT_EQ(model_.reverse("p1", kT0).outcome, CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kClosed);
}

TEST_F(ChannelModelTest, ReversePaidRefundsInFull) {
  open_and_pay("p1");
  CloseResult result = model_.reverse("p1", kT0 + 3);
  EXPECT_EQ(result.outcome, CallOutcome::kOk);
  std::optional<ChannelPayment> payment = model_.get("p1");
  EXPECT_EQ(result.channel_trade_no, payment->channel_trade_no);
  EXPECT_EQ(payment->state, PayState::kRefund);
  EXPECT_EQ(payment->refunded_minor, kAmount);
  EXPECT_EQ(payment->updated_ms, kT0 + 3);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, ReverseAfterPartialRefundRefundsTheRest) {
  open_and_pay("p1");
  model_.refund("p1", "r1", 500, kT0);
  EXPECT_EQ(model_.reverse("p1", kT0).outcome, CallOutcome::kOk);
  EXPECT_EQ(model_.get("p1")->refunded_minor, kAmount);
  EXPECT_EQ(model_.reverse("p1", kT0).outcome, CallOutcome::kOk);  // repeat is harmless
  EXPECT_EQ(model_.get("p1")->refunded_minor, kAmount);
  EXPECT_EQ(model_.refund("p1", "r2", 1, kT0).outcome, CallOutcome::kExceeds);
}

TEST_F(ChannelModelTest, ReverseUnknownIsNotFound) {
  EXPECT_EQ(model_.reverse("nope", kT0).outcome, CallOutcome::kNotFound);
}

// ---------------------------------------------------------------- refund

TEST_F(ChannelModelTest, RefundOfPaidPaymentNotifies) {
  open_and_pay("p1");
  RefundResult result = model_.refund("p1", "r1", 500, kT0 + 2);
  EXPECT_EQ(result.outcome, CallOutcome::kOk);
  EXPECT_EQ(result.refunded_minor, 500);
  std::optional<ChannelPayment> payment = model_.get("p1");
  EXPECT_EQ(payment->state, PayState::kRefund);
  EXPECT_EQ(payment->refunds.at("r1"), 500);
  EXPECT_EQ(payment->updated_ms, kT0 + 2);

  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 1u);
  const v1::ChannelNotification& body = outbox[0].body;
  EXPECT_EQ(body.status(), Notify::REFUND_SUCCESS);
  EXPECT_EQ(body.payment_no(), "p1");
  EXPECT_EQ(body.refund_no(), "r1");
  EXPECT_EQ(body.amount(), 500);
  EXPECT_EQ(body.channel_trade_no(), payment->channel_trade_no);
  EXPECT_FALSE(body.notify_id().empty());
}

TEST_F(ChannelModelTest, RefundsSumUpToTheAmount) {
  open_and_pay("p1");
  EXPECT_EQ(model_.refund("p1", "r1", 1000, kT0).refunded_minor, 1000);
  EXPECT_EQ(model_.refund("p1", "r2", 999, kT0).refunded_minor, kAmount);
  RefundResult over = model_.refund("p1", "r3", 1, kT0);
  EXPECT_EQ(over.outcome, CallOutcome::kExceeds);
  EXPECT_EQ(over.refunded_minor, kAmount);
  EXPECT_EQ(model_.get("p1")->refunds.size(), 2u);
  EXPECT_EQ(model_.take_outbox().size(), 2u);
}

TEST_F(ChannelModelTest, RefundAboveAmountIsExceeds) {
  open_and_pay("p1");
  EXPECT_EQ(model_.refund("p1", "r1", kAmount + 1, kT0).outcome, CallOutcome::kExceeds);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, RefundRepeatIsIdempotentWithoutNotification) {
  open_and_pay("p1");
  model_.refund("p1", "r1", 500, kT0);
  model_.take_outbox();
  RefundResult again = model_.refund("p1", "r1", 500, kT0 + 1);
  EXPECT_EQ(again.outcome, CallOutcome::kOk);
  EXPECT_EQ(again.refunded_minor, 500);
  EXPECT_EQ(model_.get("p1")->refunded_minor, 500);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, RefundRepeatWithOtherAmountIsRejected) {
  open_and_pay("p1");
  model_.refund("p1", "r1", 500, kT0);
  EXPECT_EQ(model_.refund("p1", "r1", 600, kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.get("p1")->refunded_minor, 500);
}

TEST_F(ChannelModelTest, RefundOfUnpaidPaymentIsNotPaid) {
  open("p1");
  EXPECT_EQ(model_.refund("p1", "r1", 1, kT0).outcome, CallOutcome::kNotPaid);
  model_.fail("p1", kT0);
  EXPECT_EQ(model_.refund("p1", "r1", 1, kT0).outcome, CallOutcome::kNotPaid);
  model_.close("p1", kT0);
  EXPECT_EQ(model_.refund("p1", "r1", 1, kT0).outcome, CallOutcome::kNotPaid);
  EXPECT_EQ(model_.get("p1")->refunded_minor, 0);
}

TEST_F(ChannelModelTest, RefundUnknownIsNotFound) {
  EXPECT_EQ(model_.refund("nope", "r1", 1, kT0).outcome, CallOutcome::kNotFound);
}

TEST_F(ChannelModelTest, RefundInvalidArgumentsAreRejected) {
  open_and_pay("p1");
  EXPECT_EQ(model_.refund("p1", "", 1, kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.refund("p1", "r1", 0, kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.refund("p1", "r1", -1, kT0).outcome, CallOutcome::kRejected);
  std::string long_no(kMaxRefundNoBytes + 1, 'r');
  EXPECT_EQ(model_.refund("p1", long_no, 1, kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
}

TEST_F(ChannelModelTest, RefundPastMaxRefundsIsRejected) {
  open_and_pay("p1");
  for (size_t i = 0; i < kMaxRefundsPerPayment; ++i) {
    ASSERT_EQ(model_.refund("p1", numbered("r", i), 1, kT0).outcome, CallOutcome::kOk);
  }
  EXPECT_EQ(model_.refund("p1", "one-more", 1, kT0).outcome, CallOutcome::kRejected);
  EXPECT_EQ(model_.refund("p1", "r0", 1, kT0).outcome, CallOutcome::kOk);  // replays still answer
}

// ---------------------------------------------------------------- pay

TEST_F(ChannelModelTest, PaySucceedsAndNotifies) {
  open("p1");
  EXPECT_EQ(model_.pay("p1", false, kT0 + 4), CallOutcome::kOk);
  std::optional<ChannelPayment> payment = model_.get("p1");
  EXPECT_EQ(payment->state, PayState::kSuccess);
  EXPECT_EQ(payment->updated_ms, kT0 + 4);
  EXPECT_EQ(payment->channel_trade_no.rfind("sandbox-", 0), 0u);

  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 1u);
  const v1::ChannelNotification& body = outbox[0].body;
  EXPECT_EQ(body.status(), Notify::SUCCESS);
  EXPECT_EQ(body.payment_no(), "p1");
  EXPECT_EQ(body.channel_trade_no(), payment->channel_trade_no);
  EXPECT_EQ(body.amount(), kAmount);
  EXPECT_FALSE(body.has_refund_no());
  EXPECT_EQ(outbox[0].delay_ms, 0);
}

TEST_F(ChannelModelTest, PayUnknownIsNotFound) {
  EXPECT_EQ(model_.pay("nope", false, kT0), CallOutcome::kNotFound);
  EXPECT_EQ(model_.pay("nope", true, kT0), CallOutcome::kNotFound);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, PayClosedIsClosed) {
  open("p1");
  model_.close("p1", kT0);
  EXPECT_EQ(model_.pay("p1", false, kT0), CallOutcome::kClosed);
  EXPECT_EQ(state_of("p1"), PayState::kClosed);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, PayAfterCloseRaceSucceedsAnyway) {
  open("p1");
  model_.close("p1", kT0);
  EXPECT_EQ(model_.pay("p1", true, kT0 + 1), CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
  EXPECT_FALSE(model_.get("p1")->channel_trade_no.empty());
  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].body.status(), Notify::SUCCESS);
  // The engine's automatic refund of that success goes through.
  EXPECT_EQ(model_.refund("p1", "auto-p1", kAmount, kT0 + 2).outcome, CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kRefund);
}

TEST_F(ChannelModelTest, PayWithAfterCloseOnOpenPaymentJustPays) {
  open("p1");
  EXPECT_EQ(model_.pay("p1", true, kT0), CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
}

TEST_F(ChannelModelTest, PayAgainResendsSameNotification) {
  open("p1");
  model_.pay("p1", false, kT0);
  std::string trade_no = model_.get("p1")->channel_trade_no;
  std::vector<Notification> first = model_.take_outbox();
  EXPECT_EQ(model_.pay("p1", false, kT0 + 10), CallOutcome::kOk);
  std::vector<Notification> second = model_.take_outbox();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].body.notify_id(), first[0].body.notify_id());
  EXPECT_EQ(second[0].body.SerializeAsString(), first[0].body.SerializeAsString());
  EXPECT_EQ(model_.get("p1")->channel_trade_no, trade_no);
  EXPECT_EQ(model_.get("p1")->updated_ms, kT0);
}

TEST_F(ChannelModelTest, PayAfterRefundResendsSuccessAndStaysRefunded) {
  open_and_pay("p1");
  model_.refund("p1", "r1", 100, kT0);
  model_.take_outbox();
  EXPECT_EQ(model_.pay("p1", false, kT0), CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kRefund);
  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].body.status(), Notify::SUCCESS);
}

TEST_F(ChannelModelTest, PayAfterPayErrorSucceeds) {
  open("p1");
  model_.fail("p1", kT0);
  std::string failure_id = model_.take_outbox().at(0).body.notify_id();
  EXPECT_EQ(model_.pay("p1", false, kT0), CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].body.status(), Notify::SUCCESS);
  EXPECT_NE(outbox[0].body.notify_id(), failure_id);
}

TEST_F(ChannelModelTest, TradeNumbersAndNotifyIdsAreUnique) {
  std::set<std::string> ids;
  for (size_t i = 0; i < 50; ++i) {
    std::string payment_no = numbered("p", i);
    open_and_pay(payment_no);
    ids.insert(model_.get(payment_no)->channel_trade_no);
    model_.refund(payment_no, "r", 1, kT0);
    ids.insert(model_.take_outbox().at(0).body.notify_id());
  }
  EXPECT_EQ(ids.size(), 100u);
}

// ---------------------------------------------------------------- fail

TEST_F(ChannelModelTest, FailSetsPayErrorAndNotifies) {
  open("p1");
  EXPECT_EQ(model_.fail("p1", kT0 + 6), CallOutcome::kOk);
  EXPECT_EQ(state_of("p1"), PayState::kPayError);
  EXPECT_EQ(model_.get("p1")->updated_ms, kT0 + 6);
  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].body.status(), Notify::PAYERROR);
  EXPECT_EQ(outbox[0].body.payment_no(), "p1");
  EXPECT_TRUE(outbox[0].body.channel_trade_no().empty());
}

TEST_F(ChannelModelTest, FailAgainResendsSameNotification) {
  open("p1");
  model_.fail("p1", kT0);
  std::string id = model_.take_outbox().at(0).body.notify_id();
  EXPECT_EQ(model_.fail("p1", kT0), CallOutcome::kOk);
  EXPECT_EQ(model_.take_outbox().at(0).body.notify_id(), id);
}

TEST_F(ChannelModelTest, FailPaidIsAlreadyPaid) {
  open_and_pay("p1");
  EXPECT_EQ(model_.fail("p1", kT0), CallOutcome::kAlreadyPaid);
  EXPECT_EQ(state_of("p1"), PayState::kSuccess);
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, FailClosedIsClosed) {
  open("p1");
  model_.close("p1", kT0);
  EXPECT_EQ(model_.fail("p1", kT0), CallOutcome::kClosed);
}

TEST_F(ChannelModelTest, FailUnknownIsNotFound) {
  EXPECT_EQ(model_.fail("nope", kT0), CallOutcome::kNotFound);
}

// ---------------------------------------------------------------- view

TEST_F(ChannelModelTest, ViewBeforeSuccessHasNoTradeNo) {
  open("p1");
  v1::ChannelPaymentView view = model_.view(*model_.get("p1"));
  EXPECT_EQ(view.payment_no(), "p1");
  EXPECT_EQ(view.status(), v1::ChannelPaymentView::NOTPAY);
  EXPECT_EQ(view.amount(), kAmount);
  EXPECT_EQ(view.currency(), "CNY");
  EXPECT_EQ(view.refunded_amount(), 0);
  EXPECT_FALSE(view.has_channel_trade_no());
}

TEST_F(ChannelModelTest, ViewOfRefundedPayment) {
  open_and_pay("p1");
  model_.refund("p1", "r1", 300, kT0);
  v1::ChannelPaymentView view = model_.view(*model_.get("p1"));
  EXPECT_EQ(view.status(), v1::ChannelPaymentView::REFUND);
  EXPECT_EQ(view.refunded_amount(), 300);
  EXPECT_EQ(view.channel_trade_no(), model_.get("p1")->channel_trade_no);
}

TEST_F(ChannelModelTest, ViewStatusesMatchEveryState) {
  open("a");
  open("b");
  model_.close("b", kT0);
  open("c");
  model_.fail("c", kT0);
  open_and_pay("d");
  EXPECT_EQ(model_.view(*model_.get("a")).status(), v1::ChannelPaymentView::NOTPAY);
  EXPECT_EQ(model_.view(*model_.get("b")).status(), v1::ChannelPaymentView::CLOSED);
  EXPECT_EQ(model_.view(*model_.get("c")).status(), v1::ChannelPaymentView::PAYERROR);
  EXPECT_EQ(model_.view(*model_.get("d")).status(), v1::ChannelPaymentView::SUCCESS);
}

TEST(ChannelModelNamesTest, PayStateNamesMatchTheApi) {
  EXPECT_EQ(to_string(PayState::kNotPay), "NOTPAY");
  EXPECT_EQ(to_string(PayState::kSuccess), "SUCCESS");
  EXPECT_EQ(to_string(PayState::kClosed), "CLOSED");
  EXPECT_EQ(to_string(PayState::kRefund), "REFUND");
  EXPECT_EQ(to_string(PayState::kPayError), "PAYERROR");
  EXPECT_EQ(to_string(CallOutcome::kAlreadyPaid), "already_paid");
}

TEST_F(ChannelModelTest, GetUnknownIsEmpty) { EXPECT_FALSE(model_.get("nope").has_value()); }

// ---------------------------------------------------------------- outbox and faults

TEST_F(ChannelModelTest, TakeOutboxDrains) {
  open("p1");
  open("p2");
  model_.pay("p1", false, kT0);
  model_.fail("p2", kT0);
  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[0].body.payment_no(), "p1");  // in order
  EXPECT_EQ(outbox[1].body.payment_no(), "p2");
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, DropAtOneDeliversNothing) {
  model_.set_faults(faults_with_drop(1.0));
  for (size_t i = 0; i < 20; ++i) {
    std::string payment_no = numbered("p", i);
    open(payment_no);
    EXPECT_EQ(model_.pay(payment_no, false, kT0), CallOutcome::kOk);
    EXPECT_EQ(state_of(payment_no), PayState::kSuccess);  // paid, just not told
  }
  EXPECT_TRUE(model_.take_outbox().empty());
}

TEST_F(ChannelModelTest, DuplicateAtOneDeliversTwoIdenticalCopies) {
  Faults faults;
  faults.notify_duplicate = 1.0;
  model_.set_faults(faults);
  open("p1");
  model_.pay("p1", false, kT0);
  std::vector<Notification> outbox = model_.take_outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[0].body.SerializeAsString(), outbox[1].body.SerializeAsString());
}

TEST_F(ChannelModelTest, DelayAppliesToEveryDelivery) {
  Faults faults;
  faults.notify_delay_ms = 2500;
  faults.notify_duplicate = 1.0;
  model_.set_faults(faults);
  open("p1");
  model_.pay("p1", false, kT0);
  for (const Notification& notification : model_.take_outbox()) {
    EXPECT_EQ(notification.delay_ms, 2500);
  }
}

TEST_F(ChannelModelTest, DropAtHalfDropsAPlausibleShare) {
  model_.set_faults(faults_with_drop(0.5));
  open_and_pay("p1");
  for (int i = 0; i < 1000; ++i) model_.pay("p1", false, kT0);
  size_t delivered = model_.take_outbox().size();
  EXPECT_GT(delivered, 400u);
  EXPECT_LT(delivered, 600u);
}

TEST_F(ChannelModelTest, DuplicateAtHalfDuplicatesAPlausibleShare) {
  Faults faults;
  faults.notify_duplicate = 0.5;
  model_.set_faults(faults);
  open_and_pay("p1");
  for (int i = 0; i < 1000; ++i) model_.pay("p1", false, kT0);
  size_t delivered = model_.take_outbox().size();
  EXPECT_GT(delivered, 1400u);
  EXPECT_LT(delivered, 1600u);
}

TEST_F(ChannelModelTest, ZeroFaultsDeliverExactlyOnce) {
  open_and_pay("p1");
  for (int i = 0; i < 1000; ++i) model_.pay("p1", false, kT0);
  EXPECT_EQ(model_.take_outbox().size(), 1000u);
}

TEST(ChannelModelSeedTest, SameSeedSameBehavior) {
  auto run = [](uint64_t seed) {
    ChannelModel model("sandbox", seed);
    Faults faults;
    faults.notify_drop = 0.3;
    faults.notify_duplicate = 0.3;
    model.set_faults(faults);
    std::string trace;
    for (size_t i = 0; i < 100; ++i) {
      std::string payment_no = numbered("p", i);
      model.prepay(payment_no, 100, "CNY", "", 0);
      model.pay(payment_no, false, 0);
    }
    for (const Notification& notification : model.take_outbox()) {
      trace += notification.body.notify_id() + "/" + notification.body.channel_trade_no() + ";";
    }
    return trace;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(ChannelModelSeedTest, IdsStartWithChannelName) {
  ChannelModel model("wallet", 1);
  model.prepay("p1", 100, "CNY", "", 0);
  model.pay("p1", false, 0);
  EXPECT_EQ(model.get("p1")->channel_trade_no.rfind("wallet-", 0), 0u);
  EXPECT_EQ(model.take_outbox().at(0).body.notify_id().rfind("wallet-", 0), 0u);
  EXPECT_EQ(model.channel_name(), "wallet");
}

TEST_F(ChannelModelTest, SetFaultsIsReadBack) {
  Faults faults;
  faults.notify_drop = 0.25;
  faults.notify_delay_ms = 10;
  model_.set_faults(faults);
  EXPECT_EQ(model_.faults().notify_drop, 0.25);
  EXPECT_EQ(model_.faults().notify_delay_ms, 10);
  model_.set_faults(Faults{});
  EXPECT_EQ(model_.faults().notify_drop, 0.0);
}

// ---------------------------------------------------------------- fault validation

TEST(FaultsTest, EmptyProtoIsNoFaults) {
  v1::SandboxFaults proto;
  std::string error;
  EXPECT_TRUE(validate_faults(proto, &error));
  Faults faults = faults_from_proto(proto);
  EXPECT_EQ(faults.notify_drop, 0.0);
  EXPECT_EQ(faults.notify_duplicate, 0.0);
  EXPECT_EQ(faults.notify_delay_ms, 0);
  EXPECT_EQ(faults.query_unavailable, 0.0);
  EXPECT_EQ(faults.prepay_timeout, 0.0);
}

TEST(FaultsTest, FromProtoCopiesEveryField) {
  v1::SandboxFaults proto;
  proto.set_notify_drop(0.1);
  proto.set_notify_duplicate(0.2);
  proto.set_notify_delay_ms(300);
  proto.set_query_unavailable(0.4);
  proto.set_prepay_timeout(1.0);
  EXPECT_TRUE(validate_faults(proto, nullptr));
  Faults faults = faults_from_proto(proto);
  EXPECT_EQ(faults.notify_drop, 0.1);
  EXPECT_EQ(faults.notify_duplicate, 0.2);
  EXPECT_EQ(faults.notify_delay_ms, 300);
  EXPECT_EQ(faults.query_unavailable, 0.4);
  EXPECT_EQ(faults.prepay_timeout, 1.0);
}

TEST(FaultsTest, ProbabilityOutOfRangeIsInvalid) {
  v1::SandboxFaults proto;
  proto.set_notify_duplicate(1.5);
  std::string error;
  EXPECT_FALSE(validate_faults(proto, &error));
  EXPECT_EQ(error.rfind("notify_duplicate ", 0), 0u) << error;

  v1::SandboxFaults negative;
  negative.set_query_unavailable(-0.1);
  EXPECT_FALSE(validate_faults(negative, &error));
  EXPECT_EQ(error.rfind("query_unavailable ", 0), 0u) << error;
}

TEST(FaultsTest, NanProbabilityIsInvalid) {
  v1::SandboxFaults proto;
  proto.set_prepay_timeout(std::numeric_limits<double>::quiet_NaN());
  std::string error;
  EXPECT_FALSE(validate_faults(proto, &error));
  EXPECT_EQ(error.rfind("prepay_timeout ", 0), 0u) << error;
}

TEST(FaultsTest, DelayOutOfRangeIsInvalid) {
  v1::SandboxFaults proto;
  proto.set_notify_delay_ms(-1);
  std::string error;
  EXPECT_FALSE(validate_faults(proto, &error));
  EXPECT_EQ(error.rfind("notify_delay_ms ", 0), 0u) << error;
  proto.set_notify_delay_ms(kMaxNotifyDelayMs + 1);
  EXPECT_FALSE(validate_faults(proto, &error));
  proto.set_notify_delay_ms(kMaxNotifyDelayMs);
  EXPECT_TRUE(validate_faults(proto, &error));
}

TEST(FaultsTest, BoundaryProbabilitiesAreValid) {
  Faults faults;
  faults.notify_drop = 1.0;
  faults.notify_duplicate = 0.0;
  EXPECT_TRUE(validate_faults(faults, nullptr));
}

}  // namespace
}  // namespace oncepay::channels
