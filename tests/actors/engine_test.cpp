// The order actors, shards and the sandbox channel together, on CAF's test
// coordinator: time is simulated (advance_time), never slept for.
#include "actors/engine.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <caf/scheduler/test_coordinator.hpp>
#include <map>

#include "actors/message_types.hpp"
#include "actors/shard.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "codec/json.hpp"

namespace oncepay::actors {
namespace {

using namespace std::chrono_literals;

struct TestConfig : caf::actor_system_config {
  TestConfig() {
    set("scheduler.policy", caf::atom("testing"));
    actors::add_message_types(*this);
  }
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : system_(config_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {}

  void SetUp() override { start(EngineOptions{}); }

  void start(EngineOptions options) {
    options.payment.query_ladder_ms = {60'000, 120'000, 240'000};
    options.payment.fast_expiry_ladder_ms = {10'000, 30'000};
    options.shards = 4;
    options.routers = 1;
    if (customize_) customize_(options);
    // A fresh sandbox channel per engine, as a restarted daemon has.
    engine_.reset();
    run();
    channels_ = std::make_unique<channels::ChannelRegistry>();
    channels::sandbox::SandboxOptions sandbox;
    sandbox.seed = 7;
    std::string error;
    sandbox_ = channels::sandbox::register_sandbox(*channels_, system_, sandbox, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    for (const auto& [name, actor] : channels_->actors()) options.channels.emplace(name, actor);
    engine_ = std::make_unique<Engine>(system_, options);
    engine_->merchants().add("demo", "sk_test_demo", "whsec", core::Policy::kStrict);
    engine_->merchants().add("m2", "sk_m2", "whsec2", core::Policy::kRefundDuplicates);
    // The sandbox notifies the engine directly here; the daemon routes the
    // same notifications through its signed HTTP handler.
    sandbox_->set_sink([this](const v1::ChannelNotification& body, auto acked) {
      core::ChannelNotice notice;
      ASSERT_TRUE(core::notice_from_proto(body, &notice));
      ++notifications_;
      engine_->notify("sandbox", notice,
                      [acked](OrderReply r) { acked(core::is_success(r.code)); });
    });
    run();
  }

  void TearDown() override {
    engine_.reset();
    channels_.reset();
    run();
  }

  void run() { sched_.run(); }
  void advance(caf::timespan d) {
    sched_.clock().advance_time(d);
    run();
  }

  static PayMsg pay_msg(std::string order = "o-1", std::string merchant = "demo",
                        int64_t amount = 1999) {
    PayMsg m;
    m.command.merchant_id = std::move(merchant);
    m.command.merchant_order_no = std::move(order);
    m.command.amount_minor = amount;
    m.command.currency = "CNY";
    m.command.channel = "sandbox";
    m.policy =
        m.command.merchant_id == "m2" ? core::Policy::kRefundDuplicates : core::Policy::kStrict;
    return m;
  }

  OrderReply pay(PayMsg m = pay_msg()) {
    std::optional<OrderReply> out;
    engine_->pay(std::move(m), [&](OrderReply r) { out = std::move(r); });
    run();
    EXPECT_TRUE(out.has_value());
    return out.value_or(OrderReply{core::Code::kInternal});
  }

  OrderReply get(std::string order = "o-1", std::string merchant = "demo") {
    std::optional<OrderReply> out;
    engine_->get_order(GetOrderMsg{{std::move(merchant), std::move(order)}},
                       [&](OrderReply r) { out = std::move(r); });
    run();
    EXPECT_TRUE(out.has_value());
    return out.value_or(OrderReply{core::Code::kInternal});
  }

  v1::Attempt::Status attempt_status(const OrderReply& r, int i) {
    return r.order.attempts(i).status();
  }

  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  std::function<void(EngineOptions&)> customize_;
  // Declared before the engine: it outlives it.
  std::unique_ptr<channels::ChannelRegistry> channels_;
  channels::sandbox::SandboxChannel* sandbox_ = nullptr;
  std::unique_ptr<Engine> engine_;
  int notifications_ = 0;
};

TEST_F(EngineTest, FirstPayCreatesAttemptWithPrepay) {
  OrderReply r = pay();
  EXPECT_EQ(r.code, core::Code::kCreated);
  ASSERT_TRUE(r.order.has_attempt());
  EXPECT_EQ(r.order.attempt().attempt(), 1);
  EXPECT_FALSE(r.order.attempt().prepay().prepay_id().empty());
  EXPECT_EQ(r.order.status(), v1::Order::PAYING);
  auto channel = sandbox_->get(r.order.attempt().payment_no());
  ASSERT_TRUE(channel);
  EXPECT_EQ(channel->status(), v1::ChannelPaymentView::NOTPAY);
}

TEST_F(EngineTest, StormOf64IdenticalRequestsMakesOnePrepay) {
  std::vector<OrderReply> replies;
  for (int i = 0; i < 64; ++i) {
    engine_->pay(pay_msg("storm"), [&](OrderReply r) { replies.push_back(std::move(r)); });
  }
  run();
  ASSERT_EQ(replies.size(), 64u);
  int created = 0;
  for (const auto& r : replies) {
    created += r.code == core::Code::kCreated;
    EXPECT_TRUE(r.code == core::Code::kCreated || r.code == core::Code::kOk);
    EXPECT_EQ(r.order.attempt().payment_no(), replies[0].order.attempt().payment_no());
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(get("storm").order.attempts_size(), 1);
}

TEST_F(EngineTest, RepeatAfterWindowClosesLiveAttemptAndStartsNext) {
  OrderReply first = pay();
  advance(11s);
  OrderReply second = pay();
  EXPECT_EQ(second.code, core::Code::kCreated);
  EXPECT_EQ(second.order.attempt().attempt(), 2);
  EXPECT_EQ(attempt_status(second, 0), v1::Attempt::CLOSED);
  auto channel = sandbox_->get(first.order.attempt().payment_no());
  EXPECT_EQ(channel->status(), v1::ChannelPaymentView::CLOSED);
}

TEST_F(EngineTest, PayerPaysThenNotificationMarksOrderPaid) {
  OrderReply r = pay();
  const std::string payment_no = r.order.attempt().payment_no();
  EXPECT_EQ(sandbox_->pay(payment_no, false), channels::CallOutcome::kOk);
  run();
  OrderReply after = get();
  EXPECT_EQ(after.order.status(), v1::Order::PAID);
  EXPECT_EQ(after.order.paid_payment_no(), payment_no);
  EXPECT_EQ(pay().code, core::Code::kOrderAlreadyPaid);
}

TEST_F(EngineTest, DuplicatedNotificationsChangeNothing) {
  v1::SandboxFaults f;
  f.set_notify_duplicate(1.0);
  sandbox_->set_faults(channels::faults_from_proto(f));
  OrderReply r = pay();
  sandbox_->pay(r.order.attempt().payment_no(), false);
  run();
  EXPECT_EQ(notifications_, 2);
  OrderReply after = get();
  EXPECT_EQ(after.order.status(), v1::Order::PAID);
  int paid_events = 0;
  for (const auto& e : after.order.events()) paid_events += e.type() == "order.paid";
  EXPECT_EQ(paid_events, 1);
}

TEST_F(EngineTest, LostCallbackIsFoundByTheQueryLadder) {
  v1::SandboxFaults f;
  f.set_notify_drop(1.0);
  sandbox_->set_faults(channels::faults_from_proto(f));
  OrderReply r = pay();
  sandbox_->pay(r.order.attempt().payment_no(), false);
  run();
  EXPECT_EQ(get().order.status(), v1::Order::PAYING);
  advance(60s);
  EXPECT_EQ(get().order.status(), v1::Order::PAID);
}

TEST_F(EngineTest, SuccessThatCrossedTheCloseIsRefundedAutomatically) {
  OrderReply first = pay();
  const std::string p1 = first.order.attempt().payment_no();
  advance(11s);
  OrderReply second = pay();
  ASSERT_EQ(second.code, core::Code::kCreated);
  EXPECT_EQ(sandbox_->pay(p1, true), channels::CallOutcome::kOk);
  run();
  OrderReply after = get();
  EXPECT_EQ(after.order.status(), v1::Order::PAYING) << "never reported as the order's payment";
  EXPECT_EQ(attempt_status(after, 0), v1::Attempt::AUTO_REFUNDED);
  auto channel = sandbox_->get(p1);
  EXPECT_EQ(channel->status(), v1::ChannelPaymentView::REFUND);
  EXPECT_EQ(channel->refunded_amount(), 1999);
}

TEST_F(EngineTest, PrepayTimeoutIs503ThenTheLadderReversesIt) {
  v1::SandboxFaults f;
  f.set_prepay_timeout(1.0);
  sandbox_->set_faults(channels::faults_from_proto(f));
  OrderReply r = pay();
  EXPECT_EQ(r.code, core::Code::kPaymentStatusUnknown);
  EXPECT_GT(r.retry_after_s, 0);
  EXPECT_EQ(attempt_status(r, 0), v1::Attempt::UNKNOWN);
  sandbox_->set_faults({});
  advance(60s);
  OrderReply after = get();
  EXPECT_EQ(attempt_status(after, 0), v1::Attempt::CLOSED);
  auto channel = sandbox_->get(after.order.attempts(0).payment_no());
  EXPECT_EQ(channel->status(), v1::ChannelPaymentView::CLOSED);
}

TEST_F(EngineTest, UnpaidAttemptExpiresAtTheEndOfTheLadder) {
  OrderReply r = pay();
  advance(60s);
  advance(60s);
  EXPECT_EQ(get().order.status(), v1::Order::PAYING);
  advance(120s);
  OrderReply after = get();
  EXPECT_EQ(attempt_status(after, 0), v1::Attempt::EXPIRED);
  EXPECT_EQ(after.order.status(), v1::Order::EXPIRED);
  EXPECT_EQ(pay().code, core::Code::kOrderClosed);
}

TEST_F(EngineTest, RefundDuplicatesPolicyDoesNotWaitAndRefundsTheSecondSuccess) {
  OrderReply first = pay(pay_msg("o-1", "m2"));
  const std::string p1 = first.order.attempt().payment_no();
  advance(11s);
  OrderReply second = pay(pay_msg("o-1", "m2"));
  ASSERT_EQ(second.code, core::Code::kCreated);
  const std::string p2 = second.order.attempt().payment_no();
  // The payer pays the new attempt; the old one was closed in the background.
  sandbox_->pay(p2, false);
  run();
  EXPECT_EQ(sandbox_->get(p1)->status(), v1::ChannelPaymentView::CLOSED);
  sandbox_->pay(p1, true);
  run();
  OrderReply after = get("o-1", "m2");
  EXPECT_EQ(after.order.paid_payment_no(), p2);
  EXPECT_EQ(attempt_status(after, 0), v1::Attempt::AUTO_REFUNDED);
}

TEST_F(EngineTest, AttemptsExhaustedAfterMaxAttempts) {
  pay();
  advance(11s);
  pay();
  advance(11s);
  EXPECT_EQ(pay().code, core::Code::kCreated);
  advance(11s);
  OrderReply r = pay();
  EXPECT_EQ(r.code, core::Code::kAttemptsExhausted);
  EXPECT_EQ(r.order.attempts_size(), 3);
}

TEST_F(EngineTest, OtherMerchantsOrderIsNotFound) {
  pay();
  EXPECT_EQ(get("o-1", "m2").code, core::Code::kOrderNotFound);
  EXPECT_EQ(get("never", "demo").code, core::Code::kOrderNotFound);
}

TEST_F(EngineTest, PaymentLookupIsScopedToTheMerchant) {
  OrderReply r = pay();
  const std::string payment_no = r.order.attempt().payment_no();
  std::optional<OrderReply> own, other;
  engine_->get_payment("demo", payment_no, [&](OrderReply x) { own = x; });
  engine_->get_payment("m2", payment_no, [&](OrderReply x) { other = x; });
  run();
  ASSERT_TRUE(own && other);
  EXPECT_EQ(own->code, core::Code::kOk);
  EXPECT_EQ(own->payment.merchant_order_no(), "o-1");
  EXPECT_EQ(other->code, core::Code::kPaymentNotFound);
}

TEST_F(EngineTest, MerchantCloseClosesAtTheChannel) {
  OrderReply r = pay();
  std::optional<OrderReply> closed;
  engine_->close(CloseMsg{{"demo", "o-1"}}, [&](OrderReply x) { closed = x; });
  run();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->order.status(), v1::Order::CLOSED);
  EXPECT_EQ(sandbox_->get(r.order.attempt().payment_no())->status(),
            v1::ChannelPaymentView::CLOSED);
  EXPECT_EQ(pay().code, core::Code::kOrderClosed);
}

TEST_F(EngineTest, MerchantRefundGoesThroughTheChannel) {
  OrderReply r = pay();
  const std::string payment_no = r.order.attempt().payment_no();
  sandbox_->pay(payment_no, false);
  run();
  std::optional<OrderReply> refunded;
  RefundMsg msg{{"demo", "o-1"}, {"r-1", 500, "one coffee"}};
  engine_->refund(msg, [&](OrderReply x) { refunded = x; });
  run();
  ASSERT_TRUE(refunded);
  EXPECT_EQ(refunded->code, core::Code::kAccepted);
  ASSERT_TRUE(refunded->has_refund);
  EXPECT_EQ(refunded->refund.status(), v1::Refund::PENDING);
  OrderReply after = get();
  EXPECT_EQ(after.order.status(), v1::Order::PARTIALLY_REFUNDED);
  EXPECT_EQ(after.order.refunded_amount(), 500);
  ASSERT_EQ(after.order.refunds_size(), 1);
  EXPECT_EQ(after.order.refunds(0).status(), v1::Refund::SUCCEEDED);
  auto channel = sandbox_->get(payment_no);
  EXPECT_EQ(channel->refunded_amount(), 500);
  std::optional<OrderReply> too_much;
  engine_->refund(RefundMsg{{"demo", "o-1"}, {"r-2", 1500, ""}},
                  [&](OrderReply x) { too_much = x; });
  run();
  EXPECT_EQ(too_much->code, core::Code::kRefundExceedsPaid);
}

// A channel that never answers: every call must end within channel_timeout.
channel_actor::behavior_type hung_channel(channel_actor::pointer self) {
  return {
      [self](core::ChannelCall&) -> caf::typed_response_promise<core::ChannelReply> {
        return self->make_response_promise<core::ChannelReply>();
      },
  };
}

// Reads what a StateLog wrote into a pipe, split into lines.
std::vector<std::string> read_lines(int fd) {
  std::string all;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    all.append(chunk, static_cast<size_t>(n));
  }
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(all.substr(start, nl - start));
  }
  EXPECT_EQ(start, all.size()) << "every line ends with a newline";
  return lines;
}

TEST_F(EngineTest, ObserverCountsEventsLadderTimersAndChannelCalls) {
  v1::SandboxFaults f;
  f.set_notify_drop(1.0);
  sandbox_->set_faults(channels::faults_from_proto(f));
  OrderReply r = pay();
  pay();  // a duplicate in the window: no event, no call
  sandbox_->pay(r.order.attempt().payment_no(), false);
  run();
  advance(60s);  // the query ladder finds the success
  ASSERT_EQ(get().order.status(), v1::Order::PAID);

  const auto& o = engine_->observer();
  using Kind = v1::Event::KindCase;
  EXPECT_EQ(o.events(Kind::kOrderOpened), 1u);
  EXPECT_EQ(o.events(Kind::kAttemptCreated), 1u);
  EXPECT_EQ(o.events(Kind::kPrepayAccepted), 1u);
  EXPECT_EQ(o.events(Kind::kAttemptSucceeded), 1u);
  EXPECT_EQ(o.events(Kind::kAutoRefundStarted), 0u);
  EXPECT_EQ(o.timers(v1::TimerArmed::QUERY), 1u);
  EXPECT_EQ(o.timers(v1::TimerArmed::FAST_EXPIRY), 0u);
  std::map<std::pair<core::ChannelOp, core::ChannelOutcome>, uint64_t> calls;
  for (const auto& c : o.channel_calls()) {
    EXPECT_EQ(c.channel, "sandbox");
    calls[{c.op, c.outcome}] += c.count;
  }
  EXPECT_EQ((calls[{core::ChannelOp::kPrepay, core::ChannelOutcome::kOk}]), 1u);
  EXPECT_EQ((calls[{core::ChannelOp::kQuery, core::ChannelOutcome::kOk}]), 1u);
  EXPECT_EQ(calls.size(), 2u);
}

TEST_F(EngineTest, StateLogHasOneJsonLinePerStateChange) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  auto log = std::make_shared<StateLog>(fds[1], std::chrono::hours(1));  // flushed by hand
  engine_.reset();
  run();
  customize_ = [log](EngineOptions& o) { o.state_log = log; };
  start(EngineOptions{});

  OrderReply first = pay();
  const std::string p1 = first.order.attempt().payment_no();
  advance(11s);
  OrderReply second = pay();  // closes attempt 1, opens attempt 2
  ASSERT_EQ(second.code, core::Code::kCreated);
  EXPECT_EQ(sandbox_->pay(p1, true), channels::CallOutcome::kOk);
  run();  // the late success of attempt 1 is refunded automatically
  log->flush();

  std::vector<v1::OrderStateChange> changes;
  for (const auto& line : read_lines(fds[0])) {
    v1::OrderStateChange c;
    std::string error;
    ASSERT_TRUE(codec::parse_json(line, &c, &error)) << error << ": " << line;
    EXPECT_EQ(c.log(), "order_state");
    EXPECT_EQ(c.merchant_id(), "demo");
    EXPECT_EQ(c.merchant_order_no(), "o-1");
    EXPECT_EQ(c.ts().size(), 24u) << c.ts();
    EXPECT_NE(c.event(), "timer_armed");
    changes.push_back(c);
  }
  close(fds[0]);
  close(fds[1]);
  std::vector<std::string> events;
  for (const auto& c : changes) events.push_back(c.event());
  const std::vector<std::string> expected = {
      "order_opened",        "attempt_created",      "prepay_accepted",  // first pay
      "attempt_closed",      "attempt_created",      "prepay_accepted",  // after the window
      "auto_refund_started", "auto_refund_succeeded"};
  EXPECT_EQ(events, expected);
  ASSERT_EQ(changes.size(), expected.size());
  EXPECT_EQ(changes[1].payment_no(), p1);
  EXPECT_EQ(changes[3].payment_no(), p1);
  EXPECT_EQ(changes[4].payment_no(), second.order.attempt().payment_no());
  EXPECT_EQ(changes[6].payment_no(), p1);
  EXPECT_EQ(changes[6].detail().auto_refund_started().payment_no(), p1);
  EXPECT_EQ(changes.back().order_status(), v1::Order::PAYING);
}

TEST_F(EngineTest, HungChannelGives503WithinTheChannelTimeout) {
  auto env = std::make_shared<OrderEnv>();
  env->steady_base = system_.clock().now();
  env->channel_timeout = 2s;
  env->channels.emplace("sandbox", system_.spawn(hung_channel));
  auto shard = system_.spawn(shard_impl, std::shared_ptr<const OrderEnv>(env));
  caf::scoped_actor self{system_};
  self->send(shard, pay_msg());
  run();
  bool answered = false;
  self->receive([&](OrderReply&) { answered = true; }, caf::after(0s) >> [] {});
  EXPECT_FALSE(answered) << "no answer before the timeout";
  advance(2s);
  OrderReply reply;
  self->receive(
      [&](OrderReply& r) {
        reply = r;
        answered = true;
      },
      caf::after(0s) >> [] {});
  ASSERT_TRUE(answered);
  EXPECT_EQ(reply.code, core::Code::kPaymentStatusUnknown);
  EXPECT_EQ(reply.order.attempts(0).status(), v1::Attempt::UNKNOWN);
  caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace oncepay::actors

namespace oncepay::actors {
namespace {

TEST(OperatorAnswerBoundTest, AnAppealWaitsRequestTimeoutPerAttemptEveryOtherActionOnce) {
  EngineOptions options;
  options.request_timeout = std::chrono::milliseconds(5000);
  options.payment.max_attempts = 3;
  OperatorMsg appeal;
  appeal.kind = OperatorMsg::Kind::kAppeal;
  EXPECT_EQ(operator_answer_bound(appeal, options), std::chrono::milliseconds(15000));
  for (auto kind : {OperatorMsg::Kind::kClose, OperatorMsg::Kind::kRefund,
                    OperatorMsg::Kind::kQuery, OperatorMsg::Kind::kRetryWebhook}) {
    OperatorMsg msg;
    msg.kind = kind;
    EXPECT_EQ(operator_answer_bound(msg, options), std::chrono::milliseconds(5000));
  }
  options.payment.max_attempts = 0;  // never below one request_timeout
  EXPECT_EQ(operator_answer_bound(appeal, options), std::chrono::milliseconds(5000));
}

}  // namespace
}  // namespace oncepay::actors
