// The `sim` channel adapter against the simulator's request handling served
// in-process (apps/sim_server behind a real http::HttpServer on port 0), on
// CAF's normal scheduler: real sockets, real time, every wait bounded.
//
// These tests need the simulator's library (oncepay_sim_server, which also
// brings oncepay_http). Its INTERFACE compile definition ONCEPAY_HAVE_SIM_SERVER
// switches them on once the test target links it; until then one skipped
// test says so (the file must not break the test target's link).
#include <gtest/gtest.h>

#ifdef ONCEPAY_HAVE_SIM_SERVER

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/message_types.hpp"
#include "apps/sim_server.hpp"
#include "channels/sim/sim_actor.hpp"
#include "http/http_client.hpp"
#include "http/http_server.hpp"

namespace oncepay::channels::sim {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "chsec_sim_test";

core::ChannelCall make_call(core::ChannelOp op, std::string payment_no) {
  core::ChannelCall call;
  call.op = op;
  call.channel = "sim";
  call.payment_no = std::move(payment_no);
  if (op == core::ChannelOp::kPrepay) {
    call.amount_minor = 1999;
    call.currency = "CNY";
    call.subject = "coffee";
  }
  return call;
}

class SimChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    system_ = std::make_unique<caf::actor_system>(actors::add_message_types(cfg_));
    apps::SimServerOptions sim_options;
    sim_options.secret = kSecret;
    sim_options.seed = 1;
    sim_ = std::make_unique<apps::SimServer>(sim_options);
    http::HttpServerOptions http;
    http.host = "127.0.0.1";
    http.port = 0;
    http.threads = 1;
    http.drain_timeout = 200ms;
    server_ = std::make_unique<http::HttpServer>(
        http,
        [this](http::HttpRequest request, http::Responder respond) {
          if (request.path.rfind("/channel/", 0) == 0) {
            ++channel_requests_;
            if (hang_) {  // the channel accepted the request and went silent
              std::lock_guard lock(held_mutex_);
              held_.push_back(std::move(respond));
              return;
            }
          }
          sim_->handle(std::move(request), std::move(respond));
        },
        &apps::SimServer::error);
    std::string error;
    ASSERT_TRUE(server_->start(&error)) << error;
    base_url_ = std::string("http://127.0.0.1:").append(std::to_string(server_->port()));
  }

  void TearDown() override {
    channel_.reset();
    {
      std::lock_guard lock(held_mutex_);
      for (auto& respond : held_) respond(apps::SimServer::error(503, "unavailable", "teardown"));
      held_.clear();
    }
    server_->stop();
    sim_->stop();
  }

  SimChannelOptions options() {
    SimChannelOptions o;
    o.url = base_url_;
    o.secret = kSecret;
    o.timeout = 1000ms;
    o.retry_backoff = 20ms;
    o.max_backoff = 100ms;
    return o;
  }

  SimChannel& channel(SimChannelOptions o) {
    channel_ = std::make_unique<SimChannel>(*system_, std::move(o));
    return *channel_;
  }

  // One call through the pool, as an order actor makes it; the wait is
  // bounded well above the channel's own timeout.
  core::ChannelReply call(core::ChannelCall c, std::chrono::milliseconds* elapsed = nullptr) {
    caf::scoped_actor self{*system_};
    core::ChannelReply out;
    out.detail = "no reply";
    auto start = Clock::now();
    self->request(channel_->actor(), std::chrono::seconds(10), std::move(c))
        .receive([&](core::ChannelReply& reply) { out = std::move(reply); },
                 [&](caf::error& e) { ADD_FAILURE() << "request failed: " << to_string(e); });
    if (elapsed != nullptr) {
      *elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }
    return out;
  }

  http::HttpClientResult sandbox_post(const std::string& path, std::string body = {}) {
    return http::http_request_blocking("POST", base_url_ + path, {}, std::move(body), 2000ms);
  }

  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<apps::SimServer> sim_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<SimChannel> channel_;
  std::string base_url_;
  std::atomic<bool> hang_{false};
  std::atomic<int> channel_requests_{0};
  std::mutex held_mutex_;
  std::vector<http::Responder> held_;
};

TEST_F(SimChannelTest, PrepayQueryCloseRoundTrip) {
  channel(options());
  auto prepay = call(make_call(core::ChannelOp::kPrepay, "p-1"));
  ASSERT_EQ(prepay.outcome, core::ChannelOutcome::kOk) << prepay.detail;
  EXPECT_FALSE(prepay.prepay_id.empty());
  EXPECT_FALSE(prepay.pay_url.empty());

  auto again = call(make_call(core::ChannelOp::kPrepay, "p-1"));
  EXPECT_EQ(again.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(again.prepay_id, prepay.prepay_id);

  auto query = call(make_call(core::ChannelOp::kQuery, "p-1"));
  EXPECT_EQ(query.outcome, core::ChannelOutcome::kOk) << query.detail;
  EXPECT_EQ(query.state, core::ChannelPayState::kNotPay);

  auto close = call(make_call(core::ChannelOp::kClose, "p-1"));
  EXPECT_EQ(close.outcome, core::ChannelOutcome::kOk) << close.detail;

  query = call(make_call(core::ChannelOp::kQuery, "p-1"));
  EXPECT_EQ(query.state, core::ChannelPayState::kClosed);
  EXPECT_EQ(channel_->breaker_state(), "closed");
}

TEST_F(SimChannelTest, PaymentAtTheChannelIsSeenByQueryAndRefusesClose) {
  channel(options());
  ASSERT_EQ(call(make_call(core::ChannelOp::kPrepay, "p-2")).outcome, core::ChannelOutcome::kOk);
  auto paid = sandbox_post("/sandbox/payments/p-2/pay");
  ASSERT_TRUE(paid.ok) << paid.error;
  ASSERT_EQ(paid.status, 200) << paid.body;

  auto query = call(make_call(core::ChannelOp::kQuery, "p-2"));
  EXPECT_EQ(query.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(query.state, core::ChannelPayState::kSuccess);
  EXPECT_FALSE(query.channel_trade_no.empty());

  auto close = call(make_call(core::ChannelOp::kClose, "p-2"));
  EXPECT_EQ(close.outcome, core::ChannelOutcome::kAlreadyPaid);
  EXPECT_EQ(close.channel_trade_no, query.channel_trade_no);

  auto refund = make_call(core::ChannelOp::kRefund, "p-2");
  refund.refund_no = "r-1";
  refund.amount_minor = 1999;
  EXPECT_EQ(call(refund).outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(call(make_call(core::ChannelOp::kQuery, "p-2")).state, core::ChannelPayState::kRefund);
}

TEST_F(SimChannelTest, UnknownPaymentIsNotFound) {
  channel(options());
  EXPECT_EQ(call(make_call(core::ChannelOp::kQuery, "nope")).outcome,
            core::ChannelOutcome::kNotFound);
}

TEST_F(SimChannelTest, HungChannelIsUnavailableWithinTheTimeout) {
  auto o = options();
  o.timeout = 300ms;
  channel(o);
  hang_ = true;
  std::chrono::milliseconds elapsed{0};
  auto prepay = call(make_call(core::ChannelOp::kPrepay, "p-3"), &elapsed);
  EXPECT_EQ(prepay.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1000ms);
  EXPECT_EQ(channel_requests_.load(), 1);  // prepay is never retried

  auto query = call(make_call(core::ChannelOp::kQuery, "p-3"), &elapsed);
  EXPECT_EQ(query.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(SimChannelTest, HungCallDoesNotBlockOtherCalls) {
  auto o = options();
  o.timeout = 1500ms;
  o.workers = 1;  // one worker: a blocking one would serialize the calls
  channel(o);
  ASSERT_EQ(call(make_call(core::ChannelOp::kPrepay, "p-4")).outcome, core::ChannelOutcome::kOk);
  hang_ = true;
  caf::scoped_actor self{*system_};
  auto hung = self->request(channel_->actor(), std::chrono::seconds(10),
                            make_call(core::ChannelOp::kPrepay, "p-5"));
  std::this_thread::sleep_for(100ms);
  hang_ = false;
  std::chrono::milliseconds elapsed{0};
  auto query = call(make_call(core::ChannelOp::kQuery, "p-4"), &elapsed);
  EXPECT_EQ(query.outcome, core::ChannelOutcome::kOk) << query.detail;
  EXPECT_LT(elapsed, 1000ms);
  hung.receive(
      [](core::ChannelReply& r) { EXPECT_EQ(r.outcome, core::ChannelOutcome::kUnavailable); },
      [](caf::error& e) { ADD_FAILURE() << to_string(e); });
}

TEST_F(SimChannelTest, QueryIsRetriedThroughInjectedUnavailability) {
  auto o = options();
  o.max_attempts = 3;
  channel(o);
  ASSERT_EQ(call(make_call(core::ChannelOp::kPrepay, "p-6")).outcome, core::ChannelOutcome::kOk);
  auto faults = http::http_request_blocking("PUT", base_url_ + "/sandbox/faults", {},
                                            R"({"query_unavailable": 1.0})", 2000ms);
  ASSERT_EQ(faults.status, 200) << faults.body;
  channel_requests_ = 0;
  auto query = call(make_call(core::ChannelOp::kQuery, "p-6"));
  EXPECT_EQ(query.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(channel_requests_.load(), 3);
  EXPECT_EQ(channel_->breaker_state(), "closed");  // it answered: reachable
}

TEST_F(SimChannelTest, PrepayTimeoutFaultIsUnavailableAndNotRetried) {
  channel(options());
  auto faults = http::http_request_blocking("PUT", base_url_ + "/sandbox/faults", {},
                                            R"({"prepay_timeout": 1.0})", 2000ms);
  ASSERT_EQ(faults.status, 200) << faults.body;
  channel_requests_ = 0;
  auto prepay = call(make_call(core::ChannelOp::kPrepay, "p-7"));
  EXPECT_EQ(prepay.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(prepay.detail, "prepay timed out");
  EXPECT_EQ(channel_requests_.load(), 1);
  // It took effect at the channel: the query finds it.
  EXPECT_EQ(call(make_call(core::ChannelOp::kQuery, "p-7")).outcome, core::ChannelOutcome::kOk);
}

TEST_F(SimChannelTest, WrongSecretIsUnavailable) {
  auto o = options();
  o.secret = "not-the-secret";
  channel(o);
  auto prepay = call(make_call(core::ChannelOp::kPrepay, "p-8"));
  EXPECT_EQ(prepay.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_NE(prepay.detail.find("signature"), std::string::npos) << prepay.detail;
  EXPECT_FALSE(sim_->stats().payments > 0);  // the simulator changed nothing
}

TEST_F(SimChannelTest, UnreachableChannelIsUnavailable) {
  std::string url;
  {
    http::HttpServerOptions http;
    http.port = 0;
    http::HttpServer closed{http, [](http::HttpRequest, http::Responder) {},
                            &apps::SimServer::error};
    ASSERT_TRUE(closed.start(nullptr));
    url = std::string("http://127.0.0.1:").append(std::to_string(closed.port()));
  }
  auto o = options();
  o.url = url;
  channel(o);
  std::chrono::milliseconds elapsed{0};
  auto query = call(make_call(core::ChannelOp::kQuery, "p-9"), &elapsed);
  EXPECT_EQ(query.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_NE(query.detail.find("unreachable"), std::string::npos) << query.detail;
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(SimChannelTest, BreakerOpensAfterFailuresFailsFastThenHalfOpensAndCloses) {
  auto o = options();
  o.timeout = 150ms;
  o.breaker_failures = 3;
  o.breaker_open = 400ms;
  channel(o);
  hang_ = true;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(channel_->breaker_state(), "closed") << i;
    auto r = call(make_call(core::ChannelOp::kPrepay, std::string("b-").append(std::to_string(i))));
    EXPECT_EQ(r.outcome, core::ChannelOutcome::kUnavailable) << r.detail;
  }
  EXPECT_EQ(channel_->breaker_state(), "open");
  EXPECT_EQ(channel_->breaker_opened_total(), 1u);

  const int before = channel_requests_.load();
  std::chrono::milliseconds elapsed{0};
  auto fast = call(make_call(core::ChannelOp::kPrepay, "b-fast"), &elapsed);
  EXPECT_EQ(fast.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_NE(fast.detail.find("circuit open"), std::string::npos) << fast.detail;
  EXPECT_LT(elapsed, 100ms);
  EXPECT_EQ(channel_requests_.load(), before);  // no request reached the channel

  std::this_thread::sleep_for(450ms);
  EXPECT_EQ(channel_->breaker_state(), "half-open");
  // The probe hangs too: open again.
  EXPECT_EQ(call(make_call(core::ChannelOp::kPrepay, "b-probe")).outcome,
            core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(channel_->breaker_state(), "open");
  EXPECT_EQ(channel_->breaker_opened_total(), 2u);

  hang_ = false;
  std::this_thread::sleep_for(450ms);
  EXPECT_EQ(channel_->breaker_state(), "half-open");
  auto probe = call(make_call(core::ChannelOp::kPrepay, "b-ok"));
  EXPECT_EQ(probe.outcome, core::ChannelOutcome::kOk) << probe.detail;
  EXPECT_EQ(channel_->breaker_state(), "closed");
}

TEST(SimChannelOptionsTest, ValidateNamesTheProblem) {
  SimChannelOptions o;
  o.url = "http://127.0.0.1:1";
  o.secret = "s";
  EXPECT_EQ(validate(o), "");
  o.url = "https://x";
  EXPECT_NE(validate(o), "");
  o.url = "http://127.0.0.1:1";
  o.timeout = std::chrono::milliseconds(0);
  EXPECT_NE(validate(o), "");
}

}  // namespace
}  // namespace oncepay::channels::sim

#else  // !ONCEPAY_HAVE_SIM_SERVER

TEST(SimChannelTest, NeedsTheSimulatorLibrary) {
  GTEST_SKIP() << "link sim_channel_tests with oncepay_sim_server to run the sim channel tests";
}

#endif
