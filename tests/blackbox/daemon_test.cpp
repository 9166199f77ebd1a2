// Black box: the real oncepayd on a free port with short ladders, walked
// through API.md's pay table over HTTP, with the sandbox's faults. Waits are
// bounded polls on the daemon's answers, never fixed sleeps for outcomes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

#include "codec/json.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "daemon_process.hpp"
#include "http/http_client.hpp"
#include "http/http_server.hpp"
#include "oncepay.pb.h"
#include "tests/support/throwaway_pki.hpp"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kKey = "Bearer sk_test_demo";
constexpr const char* kPayBody = R"({"amount":1999,"currency":"CNY","channel":"sandbox"})";

class DaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // The merchants' https receivers get certificates from this throwaway CA,
    // which the daemon trusts through --notify.tls-ca-file.
    ca_ = new tls_testing::TestCa();
    if (!ca_->ok() || !ca_->write(ca_file())) throw std::runtime_error("cannot make the test CA");
    daemon_ = new testing::DaemonProcess(
        ONCEPAYD_PATH,
        {"--http.port=0", "--data-dir=" + dir_->path(), "--payment.in-flight-window=400ms",
         "--payment.max-attempts=3", "--payment.query-ladder=600ms,1200ms,2400ms",
         "--payment.fast-expiry-ladder=300ms,600ms", "--channel.timeout=1s",
         "--sandbox.notify-retry=100ms,200ms,400ms", "--notify.retry-ladder=200ms,200ms,400ms",
         "--notify.tls-ca-file=" + ca_file()},
        20s, stderr_path());
    if (!daemon_->wait_ready()) throw std::runtime_error("oncepayd did not become ready");
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete ca_;
    delete dir_;
  }

  static std::string ca_file() { return dir_->path() + "/webhook-ca.pem"; }

  static http::HttpClientResult call(const std::string& method, const std::string& path,
                                     const std::string& body = {}, std::string auth = kKey) {
    Headers headers{{"Content-Type", "application/json"}};
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    auto r = daemon_->request(method, path, headers, body, 5s);
    EXPECT_TRUE(r.ok) << method << " " << path << ": " << r.error;
    return r;
  }

  static http::HttpClientResult pay(const std::string& order, const std::string& body = kPayBody) {
    return call("POST", "/v1/orders/" + order + "/pay", body);
  }

  template <class Message>
  static Message parse(const http::HttpClientResult& r) {
    Message m;
    std::string error;
    EXPECT_TRUE(codec::parse_json(r.body, &m, &error)) << error << " in " << r.body;
    return m;
  }

  static v1::OrderView order(const std::string& order) {
    return parse<v1::OrderView>(call("GET", "/v1/orders/" + order));
  }

  // Channel notifications answered 200 so far (the sandbox's go through the
  // same route in-process), from /metrics.
  static double notify_acks() {
    auto r = daemon_->request("GET", "/metrics");
    const std::string series =
        R"(oncepay_http_requests_total{route="/v1/channels/{channel}/notify",status="200"} )";
    const size_t at = r.body.find(series);
    return at == std::string::npos ? 0 : std::stod(r.body.substr(at + series.size()));
  }

  static std::string error_code(const http::HttpClientResult& r) {
    return parse<v1::ErrorResponse>(r).error().code();
  }

  // Polls GET /v1/orders/{order} until `done` holds (bounded).
  template <class Pred>
  static v1::OrderView wait_for(const std::string& name, Pred done,
                                std::chrono::milliseconds limit = 8s) {
    auto view = testing::poll_until([&] { return order(name); }, done, limit);
    if (!done(view)) {
      ADD_FAILURE() << "condition not reached for " << name << ": " << codec::to_json(view);
    }
    return view;
  }

  // The daemon's stderr: its state-change log among other lines.
  static std::string stderr_path() { return dir_->path() + "/oncepayd.stderr"; }
  static std::string stderr_text() {
    std::ifstream in(stderr_path());
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static void faults(const std::string& json) {
    ASSERT_EQ(call("PUT", "/sandbox/faults", json, "").status, 200);
  }

  static void wait_past_window() { std::this_thread::sleep_for(450ms); }

  static testing::TempDir* dir_;
  static tls_testing::TestCa* ca_;
  static testing::DaemonProcess* daemon_;
};

testing::TempDir* DaemonTest::dir_ = nullptr;
tls_testing::TestCa* DaemonTest::ca_ = nullptr;
testing::DaemonProcess* DaemonTest::daemon_ = nullptr;

TEST_F(DaemonTest, HealthAndReadiness) {
  EXPECT_EQ(call("GET", "/healthz", "", "").status, 200);
  EXPECT_EQ(call("GET", "/readyz", "", "").status, 200);
  auto metrics = call("GET", "/metrics", "", "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("oncepay_http_requests_total"), std::string::npos);
}

// The observability of docs/API.md: a paid order shows in /metrics (attempts,
// channel calls, WAL histograms) and leaves one JSON line per state change.
TEST_F(DaemonTest, PaymentShowsInMetricsAndTheStateLog) {
  auto first = pay("bb-observe");
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string payment_no = parse<v1::OrderView>(first).attempt().payment_no();
  ASSERT_EQ(call("POST", "/sandbox/payments/" + payment_no + "/pay", "", "").status, 200);
  wait_for("bb-observe", [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; });

  const std::string metrics = call("GET", "/metrics", "", "").body;
  for (const char* needle :
       {"oncepay_attempts_total{status=\"created\"} ",
        "oncepay_attempts_total{status=\"succeeded\"} ",
        "oncepay_channel_calls_total{channel=\"sandbox\",op=\"prepay\",outcome=\"ok\"} ",
        "oncepay_order_events_total{event=\"order_opened\"} ", "oncepay_refunds_total{",
        "oncepay_ladder_timers_total{ladder=\"query\"} ", "oncepay_webhook_deliveries_total{",
        "oncepay_wal_batch_records_bucket{le=\"1\"} ", "oncepay_wal_fsync_seconds_count ",
        "oncepay_live_order_actors "}) {
    EXPECT_NE(metrics.find(needle), std::string::npos) << needle;
  }
  // Counters are positive where this test made them move.
  auto value_of = [&](const std::string& series) {
    auto at = metrics.find(series + " ");
    if (at == std::string::npos) return -1.0;
    return std::stod(metrics.substr(at + series.size() + 1));
  };
  EXPECT_GE(value_of("oncepay_attempts_total{status=\"succeeded\"}"), 1);
  EXPECT_GE(value_of("oncepay_wal_fsync_seconds_count"), 1);

  // The log is flushed every 100 ms: poll (bounded) for this order's lines.
  std::vector<v1::OrderStateChange> lines;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    lines.clear();
    std::istringstream in(stderr_text());
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"bb-observe\"") == std::string::npos) continue;
      v1::OrderStateChange change;
      std::string error;
      ASSERT_TRUE(codec::parse_json(line, &change, &error)) << error << ": " << line;
      lines.push_back(change);
    }
    if (!lines.empty() && lines.back().order_status() == v1::Order::PAID) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(lines.empty());
  std::vector<std::string> events;
  for (const auto& l : lines) {
    EXPECT_EQ(l.log(), "order_state");
    EXPECT_EQ(l.merchant_id(), "demo");
    EXPECT_FALSE(l.ts().empty());
    events.push_back(l.event());
  }
  auto has = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) != events.end();
  };
  EXPECT_TRUE(has("order_opened"));
  EXPECT_TRUE(has("attempt_created"));
  EXPECT_TRUE(has("prepay_accepted"));
  EXPECT_TRUE(has("attempt_succeeded"));
  EXPECT_FALSE(has("timer_armed")) << "ladder bookkeeping is not a state change";
  for (const auto& l : lines) {
    if (l.event() == "attempt_succeeded") {
      EXPECT_EQ(l.payment_no(), payment_no);
      EXPECT_EQ(l.order_status(), v1::Order::PAID);
      EXPECT_EQ(l.detail().attempt_succeeded().payment_no(), payment_no);
    }
  }
}

TEST_F(DaemonTest, FirstPayIs201AndRepeatInWindowIs200SameAttempt) {
  auto first = pay("bb-window");
  ASSERT_EQ(first.status, 201) << first.body;
  auto a = parse<v1::OrderView>(first);
  EXPECT_EQ(a.attempt().attempt(), 1);
  EXPECT_FALSE(a.attempt().prepay().prepay_id().empty());
  auto again = pay("bb-window");
  ASSERT_EQ(again.status, 200) << again.body;
  auto b = parse<v1::OrderView>(again);
  EXPECT_EQ(b.attempt().payment_no(), a.attempt().payment_no());
  EXPECT_EQ(b.attempt().prepay().prepay_id(), a.attempt().prepay().prepay_id());
}

TEST_F(DaemonTest, RetryAfterWindowClosesAndStartsNextThenPayerPays) {
  auto first = parse<v1::OrderView>(pay("bb-flow"));
  const std::string p1 = first.attempt().payment_no();
  wait_past_window();
  auto second = pay("bb-flow");
  ASSERT_EQ(second.status, 201) << second.body;
  auto view = parse<v1::OrderView>(second);
  const std::string p2 = view.attempt().payment_no();
  EXPECT_EQ(view.attempt().attempt(), 2);
  EXPECT_EQ(view.attempts(0).status(), v1::Attempt::CLOSED);
  auto channel = parse<v1::ChannelPaymentView>(call("GET", "/sandbox/payments/" + p1, "", ""));
  EXPECT_EQ(channel.status(), v1::ChannelPaymentView::CLOSED);
  EXPECT_EQ(call("POST", "/sandbox/payments/" + p1 + "/pay", "", "").status, 409);

  ASSERT_EQ(call("POST", "/sandbox/payments/" + p2 + "/pay", "", "").status, 200);
  auto paid =
      wait_for("bb-flow", [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; });
  EXPECT_EQ(paid.paid_payment_no(), p2);
  auto again = pay("bb-flow");
  EXPECT_EQ(again.status, 409);
  auto err = parse<v1::ErrorResponse>(again);
  EXPECT_EQ(err.error().code(), "order_already_paid");
  EXPECT_EQ(err.error().payment_no(), p2);
  auto payment = parse<v1::PaymentView>(call("GET", "/v1/payments/" + p2));
  EXPECT_EQ(payment.status(), v1::Attempt::SUCCESS);
  EXPECT_EQ(payment.merchant_order_no(), "bb-flow");
}

TEST_F(DaemonTest, QueryAfterWindowFindsThePaymentSo409) {
  auto first = parse<v1::OrderView>(pay("bb-found"));
  faults(R"({"notify_drop":1.0})");
  ASSERT_EQ(
      call("POST", "/sandbox/payments/" + first.attempt().payment_no() + "/pay", "", "").status,
      200);
  faults("{}");
  wait_past_window();
  auto r = pay("bb-found");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(error_code(r), "order_already_paid");
}

TEST_F(DaemonTest, ParamsMismatchIs409) {
  auto first = pay("bb-mismatch");
  ASSERT_EQ(first.status, 201) << first.body;
  auto r = pay("bb-mismatch", R"({"amount":2000,"currency":"CNY","channel":"sandbox"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "order_params_mismatch");
}

TEST_F(DaemonTest, AttemptsExhaustedIs429) {
  ASSERT_EQ(pay("bb-exhaust").status, 201);
  for (int i = 0; i < 2; ++i) {
    wait_past_window();
    ASSERT_EQ(pay("bb-exhaust").status, 201);
  }
  wait_past_window();
  auto r = pay("bb-exhaust");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(error_code(r), "attempts_exhausted");
}

TEST_F(DaemonTest, ClosedOrderIs409OrderClosed) {
  ASSERT_EQ(pay("bb-close").status, 201);
  auto closed = call("POST", "/v1/orders/bb-close/close");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(parse<v1::OrderView>(closed).status(), v1::Order::CLOSED);
  auto r = pay("bb-close");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "order_closed");
}

TEST_F(DaemonTest, PrepayTimeoutIs503WithRetryAfter) {
  faults(R"({"prepay_timeout":1.0})");
  auto r = pay("bb-unknown");
  faults("{}");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(error_code(r), "payment_status_unknown");
  bool retry_after = false;
  for (auto& [k, v] : r.headers) retry_after |= (k == "retry-after" && !v.empty());
  EXPECT_TRUE(retry_after);
  // The ladder resolves it: the channel has it unpaid, so it is reversed.
  auto view = wait_for("bb-unknown", [](const v1::OrderView& v) {
    return v.attempts(0).status() == v1::Attempt::CLOSED;
  });
  EXPECT_EQ(view.attempts(0).status(), v1::Attempt::CLOSED);
}

TEST_F(DaemonTest, ChannelUnreachableForTheQueryIs503) {
  ASSERT_EQ(pay("bb-query-down").status, 201);
  wait_past_window();
  faults(R"({"query_unavailable":1.0})");
  auto r = pay("bb-query-down");
  faults("{}");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(order("bb-query-down").attempts_size(), 1);
}

TEST_F(DaemonTest, SuccessAfterCloseIsRefundedAutomatically) {
  auto first = parse<v1::OrderView>(pay("bb-race"));
  const std::string p1 = first.attempt().payment_no();
  wait_past_window();
  ASSERT_EQ(pay("bb-race").status, 201);
  ASSERT_EQ(call("POST", "/sandbox/payments/" + p1 + "/pay", R"({"after_close":true})", "").status,
            200);
  auto view = wait_for("bb-race", [](const v1::OrderView& v) {
    return v.attempts(0).status() == v1::Attempt::AUTO_REFUNDED;
  });
  EXPECT_EQ(view.status(), v1::Order::PAYING);
  EXPECT_FALSE(view.has_paid_payment_no());
  auto channel = parse<v1::ChannelPaymentView>(call("GET", "/sandbox/payments/" + p1, "", ""));
  EXPECT_EQ(channel.status(), v1::ChannelPaymentView::REFUND);
}

TEST_F(DaemonTest, LostCallbackIsFoundByTheLadder) {
  auto first = parse<v1::OrderView>(pay("bb-lost"));
  faults(R"({"notify_drop":1.0})");
  ASSERT_EQ(
      call("POST", "/sandbox/payments/" + first.attempt().payment_no() + "/pay", "", "").status,
      200);
  faults("{}");
  auto view =
      wait_for("bb-lost", [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; });
  bool via_query = false;
  for (const auto& e : view.events())
    via_query |= e.type() == "order.paid" && e.detail() == "via query";
  EXPECT_TRUE(via_query);
}

TEST_F(DaemonTest, DuplicatedAndDelayedNotificationsAreHarmless) {
  const double acks_before = notify_acks();
  auto first = parse<v1::OrderView>(pay("bb-dup"));
  faults(R"({"notify_duplicate":1.0,"notify_delay_ms":100})");
  ASSERT_EQ(
      call("POST", "/sandbox/payments/" + first.attempt().payment_no() + "/pay", "", "").status,
      200);
  auto view =
      wait_for("bb-dup", [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; });
  faults("{}");
  // The duplicate is acknowledged too (by this test's own daemon): wait for
  // the second 200 of the notify route before counting.
  const double acks = testing::poll_until([] { return notify_acks(); },
                                          [&](double n) { return n >= acks_before + 2; }, 5s);
  ASSERT_GE(acks, acks_before + 2) << "the duplicate never arrived";
  view = order("bb-dup");
  int paid = 0;
  for (const auto& e : view.events()) paid += e.type() == "order.paid";
  EXPECT_EQ(paid, 1);
}

TEST_F(DaemonTest, SixtyFourConcurrentIdenticalPaysMakeOneAttempt) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, same{0}, other{0};
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      auto r = daemon_->request("POST", "/v1/orders/bb-storm/pay",
                                {{"Authorization", kKey}, {"Content-Type", "application/json"}},
                                kPayBody, 10s);
      if (r.status == 201) {
        ++created;
      } else if (r.status == 200) {
        ++same;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(same.load(), 63);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(order("bb-storm").attempts_size(), 1);
}

TEST_F(DaemonTest, RefundsArePartialIdempotentAndBounded) {
  auto first = parse<v1::OrderView>(pay("bb-refund"));
  EXPECT_EQ(
      call("POST", "/v1/orders/bb-refund/refunds", R"({"refund_no":"r-1","amount":500})").status,
      409)
      << "order_not_paid";
  ASSERT_EQ(
      call("POST", "/sandbox/payments/" + first.attempt().payment_no() + "/pay", "", "").status,
      200);
  wait_for("bb-refund", [](const v1::OrderView& v) { return v.status() == v1::Order::PAID; });
  auto r = call("POST", "/v1/orders/bb-refund/refunds",
                R"({"refund_no":"r-1","amount":500,"reason":"one coffee"})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto refund = parse<v1::RefundView>(r);
  EXPECT_EQ(refund.refund_no(), "r-1");
  EXPECT_EQ(refund.amount(), 500);
  auto again = call("POST", "/v1/orders/bb-refund/refunds", R"({"refund_no":"r-1","amount":500})");
  EXPECT_EQ(again.status, 202);
  auto over = call("POST", "/v1/orders/bb-refund/refunds", R"({"refund_no":"r-2","amount":1500})");
  EXPECT_EQ(over.status, 409);
  EXPECT_EQ(error_code(over), "refund_exceeds_paid");
  EXPECT_EQ(
      call("POST", "/v1/orders/bb-refund/refunds", R"({"refund_no":"r 3","amount":1})").status,
      400);
  auto view = wait_for("bb-refund", [](const v1::OrderView& v) {
    return v.status() == v1::Order::PARTIALLY_REFUNDED;
  });
  EXPECT_EQ(view.refunded_amount(), 500);
  ASSERT_EQ(view.refunds_size(), 1);
  EXPECT_EQ(view.refunds(0).status(), v1::Refund::SUCCEEDED);
  auto rest = call("POST", "/v1/orders/bb-refund/refunds", R"({"refund_no":"r-4","amount":1499})");
  EXPECT_EQ(rest.status, 202);
  wait_for("bb-refund", [](const v1::OrderView& v) { return v.status() == v1::Order::REFUNDED; });
}

TEST_F(DaemonTest, HostileInputIsRefusedAndChangesNothing) {
  EXPECT_EQ(call("POST", "/v1/orders/bb-bad/pay", kPayBody, "Bearer nope").status, 401);
  EXPECT_EQ(call("POST", "/v1/orders/bb-bad/pay", kPayBody, "").status, 401);
  EXPECT_EQ(pay("bb-bad", R"({"amount":-1,"currency":"CNY","channel":"sandbox"})").status, 400);
  EXPECT_EQ(pay("bb-bad", R"({"amount":1,"currency":"CNY","channel":"nope"})").status, 400);
  EXPECT_EQ(pay("bb-bad", R"({"amount":1,"currency":"CNY","channel":"sandbox","x":1})").status,
            400);
  EXPECT_EQ(pay("bb-bad", "not json").status, 400);
  EXPECT_EQ(pay("bad!id").status, 400);
  EXPECT_EQ(call("GET", "/v1/orders/bb-bad/pay").status, 405);
  EXPECT_EQ(call("GET", "/nope").status, 404);
  auto big = pay("bb-bad", std::string(70 * 1024, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(call("GET", "/v1/orders/bb-bad").status, 404) << "nothing was created";
  // A forged channel callback.
  auto forged =
      call("POST", "/v1/channels/sandbox/notify", R"({"payment_no":"P1","status":"SUCCESS"})", "");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(error_code(forged), "invalid_signature");
}

// docs/API.md "Conventions": every breach of the strict JSON contract is
// 400 invalid_request naming the field, and creates nothing.
TEST_F(DaemonTest, StrictJsonBreachesAre400NamingTheFieldAndCreateNothing) {
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {R"({"amount":1999.0,"currency":"CNY","channel":"sandbox"})",
       R"(field "amount": expected an integer, got 1999.0)"},
      {R"({"amount":1e3,"currency":"CNY","channel":"sandbox"})",
       R"(field "amount": expected an integer, got 1e3)"},
      {R"({"amount":"1999","currency":"CNY","channel":"sandbox"})",
       R"(field "amount": expected an integer, got "1999")"},
      {R"({"amount":true,"currency":"CNY","channel":"sandbox"})",
       R"(field "amount": expected an integer, got true)"},
      {R"({"amount":100,"amount":200,"currency":"CNY","channel":"sandbox"})",
       R"(duplicate field "amount")"},
      {R"({"amount":1,"currency":"CNY","channel":"sandbox","notifyUrl":"http://h/x"})",
       R"(unknown field "notifyUrl")"},
      {R"({"amount":9007199254740992,"currency":"CNY","channel":"sandbox"})",
       R"(field "amount": must be from 1 to 9007199254740991 minor units, got 9007199254740992)"},
  };
  for (const auto& [body, message] : bodies) {
    auto r = pay("bb-strict", body);
    EXPECT_EQ(r.status, 400) << body;
    auto error = parse<v1::ErrorResponse>(r);
    EXPECT_EQ(error.error().code(), "invalid_request") << body;
    EXPECT_EQ(error.error().message(), message) << body;
  }
  EXPECT_EQ(call("GET", "/v1/orders/bb-strict").status, 404) << "nothing was created";

  auto refund = call("POST", "/v1/orders/bb-strict/refunds", R"({"refund_no":"r1","amount":5.0})");
  EXPECT_EQ(refund.status, 400);
  EXPECT_EQ(parse<v1::ErrorResponse>(refund).error().message(),
            R"(field "amount": expected an integer, got 5.0)");
  auto faults = call("PUT", "/sandbox/faults", R"({"notify_drop":"0.5"})", "");
  EXPECT_EQ(faults.status, 400);
  EXPECT_EQ(parse<v1::ErrorResponse>(faults).error().message(),
            R"(field "notify_drop": expected a number, got "0.5")");
  auto merchant =
      call("POST", "/admin/merchants", R"({"merchant_id":"bb-strict-m","merchantId":"x"})",
           "Bearer admin-dev-token");
  EXPECT_EQ(merchant.status, 400);
  EXPECT_EQ(call("GET", "/admin/merchants/bb-strict-m", {}, "Bearer admin-dev-token").status, 404);
  // A correctly signed channel callback is held to the same contract.
  const std::string notify =
      R"({"notify_id":"n1","payment_no":"P1","payment_no":"P2","status":"SUCCESS"})";
  Headers headers{
      {"Content-Type", "application/json"},
      {"X-Channel-Signature", core::sign_header("chsec_sandbox", core::unix_seconds(), notify)}};
  auto callback = http::http_request_blocking(
      "POST", daemon_->base_url() + "/v1/channels/sandbox/notify", headers, notify, 5s);
  ASSERT_TRUE(callback.ok) << callback.error;
  EXPECT_EQ(callback.status, 400);
  EXPECT_EQ(parse<v1::ErrorResponse>(callback).error().message(),
            R"(duplicate field "payment_no")");
}

TEST_F(DaemonTest, MerchantsAreIsolatedAndAdminNeedsItsToken) {
  ASSERT_EQ(pay("bb-mine").status, 201);
  auto created = call("POST", "/admin/merchants", R"({"merchant_id":"bb-m2","policy":"strict"})",
                      "Bearer admin-dev-token");
  ASSERT_EQ(created.status, 201) << created.body;
  auto merchant = parse<v1::MerchantView>(created);
  EXPECT_EQ(call("POST", "/admin/merchants", R"({"merchant_id":"bb-m2"})", "Bearer admin-dev-token")
                .status,
            409);
  EXPECT_EQ(call("POST", "/admin/merchants", R"({"merchant_id":"x"})", "Bearer wrong").status, 401);
  auto other = call("GET", "/v1/orders/bb-mine", "", "Bearer " + merchant.api_key());
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(error_code(other), "order_not_found");
  auto shown =
      parse<v1::MerchantView>(call("GET", "/admin/merchants/bb-m2", "", "Bearer admin-dev-token"));
  EXPECT_FALSE(shown.has_api_key());
  EXPECT_FALSE(shown.has_webhook_secret());
}

// A merchant's webhook receiver: a real local HTTP server that answers 500
// to the first delivery and 200 afterwards.
TEST_F(DaemonTest, WebhookIsSignedAndRetriedUntilTheReceiverAnswers2xx) {
  std::mutex mutex;
  std::vector<http::HttpRequest> received;
  http::HttpServerOptions options;
  options.port = 0;
  http::HttpServer receiver(
      options,
      [&](http::HttpRequest request, http::Responder respond) {
        size_t n = 0;
        {
          std::lock_guard lock(mutex);
          received.push_back(std::move(request));
          n = received.size();
        }
        http::HttpResponse response;
        response.status = n == 1 ? 500 : 200;
        response.body = "{}";
        respond(std::move(response));
      },
      [](int status, std::string_view, std::string_view) {
        http::HttpResponse response;
        response.status = status;
        return response;
      });
  std::string error;
  ASSERT_TRUE(receiver.start(&error)) << error;
  const std::string url =
      std::string("http://127.0.0.1:").append(std::to_string(receiver.port())).append("/hooks");
  const std::string body =
      std::string(R"({"amount":1999,"currency":"CNY","channel":"sandbox","notify_url":")")
          .append(url)
          .append(R"("})");

  auto first = pay("bb-webhook", body);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string p1 = parse<v1::OrderView>(first).attempt().payment_no();
  ASSERT_EQ(call("POST", "/sandbox/payments/" + p1 + "/pay", "", "").status, 200);
  auto view = wait_for("bb-webhook", [](const v1::OrderView& v) {
    for (const auto& e : v.events()) {
      if (e.type() == "webhook.delivered") return true;
    }
    return false;
  });
  bool saw_500 = false;
  for (const auto& e : view.events()) {
    saw_500 |= e.type() == "webhook.attempted" && e.detail().find("HTTP 500") != std::string::npos;
  }
  EXPECT_TRUE(saw_500) << codec::to_json(view);

  std::lock_guard lock(mutex);
  ASSERT_EQ(received.size(), 2u) << "one failed delivery, one retry";
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  std::string event_id;
  for (const auto& request : received) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.path, "/hooks");
    EXPECT_EQ(core::verify_header("whsec_test_demo", request.header("x-oncepay-signature"),
                                  request.body, now_s),
              core::SignatureCheck::kOk)
        << request.header("x-oncepay-signature");
    EXPECT_EQ(core::verify_header("whsec_other", request.header("x-oncepay-signature"),
                                  request.body, now_s),
              core::SignatureCheck::kMismatch);
    v1::WebhookEvent event;
    ASSERT_TRUE(codec::parse_json(request.body, &event, &error)) << error << request.body;
    EXPECT_EQ(event.type(), "order.paid");
    EXPECT_EQ(event.data().merchant_order_no(), "bb-webhook");
    EXPECT_EQ(event.data().paid_payment_no(), p1);
    EXPECT_FALSE(event.created_at().empty());
    if (event_id.empty()) event_id = event.event_id();
    EXPECT_EQ(event.event_id(), event_id) << "a retry keeps the event_id";
  }
}

// A merchant's https webhook receiver: the gateway's own HttpServer serving
// TLS with `cert_file` and `key_file`, answering 200 and keeping what it got.
class HttpsReceiver {
 public:
  HttpsReceiver(const std::string& cert_file, const std::string& key_file) {
    http::HttpServerOptions options;
    options.port = 0;
    options.drain_timeout = 500ms;
    options.tls_cert_file = cert_file;
    options.tls_key_file = key_file;
    server_ = std::make_unique<http::HttpServer>(
        options,
        [this](http::HttpRequest request, http::Responder respond) {
          {
            std::lock_guard lock(mutex_);
            received_.push_back(std::move(request));
          }
          respond(http::HttpResponse{.status = 200, .body = "{}"});
        },
        [](int status, std::string_view, std::string_view) {
          return http::HttpResponse{.status = status};
        });
  }

  bool start(std::string* error) { return server_->start(error); }

  std::string url(std::string_view path) const {
    return std::string("https://127.0.0.1:").append(std::to_string(server_->port())).append(path);
  }

  std::vector<http::HttpRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<http::HttpRequest> received_;
  std::unique_ptr<http::HttpServer> server_;  // last: stopped before the rest goes
};

std::string pay_body_with_notify_url(const std::string& url) {
  return std::string(R"({"amount":1999,"currency":"CNY","channel":"sandbox","notify_url":")")
      .append(url)
      .append(R"("})");
}

bool has_event(const v1::OrderView& view, std::string_view type) {
  for (const auto& e : view.events()) {
    if (e.type() == type) return true;
  }
  return false;
}

TEST_F(DaemonTest, HttpsWebhookIsDeliveredToAReceiverOfTheTrustedCa) {
  const std::string cert_file = dir_->path() + "/receiver.pem";
  const std::string key_file = dir_->path() + "/receiver-key.pem";
  ASSERT_TRUE(ca_->issue("IP:127.0.0.1", cert_file, key_file));
  HttpsReceiver receiver(cert_file, key_file);
  std::string error;
  ASSERT_TRUE(receiver.start(&error)) << error;

  auto first = pay("bb-https-webhook", pay_body_with_notify_url(receiver.url("/hooks")));
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string p1 = parse<v1::OrderView>(first).attempt().payment_no();
  ASSERT_EQ(call("POST", "/sandbox/payments/" + p1 + "/pay", "", "").status, 200);
  auto view = wait_for("bb-https-webhook",
                       [](const v1::OrderView& v) { return has_event(v, "webhook.delivered"); });
  EXPECT_TRUE(has_event(view, "webhook.delivered")) << codec::to_json(view);

  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 1u) << codec::to_json(view);
  const auto& request = received.front();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/hooks");
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  EXPECT_EQ(core::verify_header("whsec_test_demo", request.header("x-oncepay-signature"),
                                request.body, now_s),
            core::SignatureCheck::kOk)
      << request.header("x-oncepay-signature");
  v1::WebhookEvent event;
  ASSERT_TRUE(codec::parse_json(request.body, &event, &error)) << error << request.body;
  EXPECT_EQ(event.type(), "order.paid");
  EXPECT_EQ(event.data().merchant_order_no(), "bb-https-webhook");
  EXPECT_EQ(event.data().paid_payment_no(), p1);
}

// A receiver whose certificate no trusted CA issued: each attempt fails in
// the handshake, the timeline says why, nothing reaches the receiver.
TEST_F(DaemonTest, HttpsWebhookToAnUntrustedReceiverIsAFailedAttemptWithTheReason) {
  const std::string cert_file = dir_->path() + "/untrusted.pem";
  const std::string key_file = dir_->path() + "/untrusted-key.pem";
  tls_testing::TestCa stranger("a CA the daemon does not trust");
  ASSERT_TRUE(stranger.ok());
  ASSERT_TRUE(stranger.issue("IP:127.0.0.1", cert_file, key_file));
  HttpsReceiver receiver(cert_file, key_file);
  std::string error;
  ASSERT_TRUE(receiver.start(&error)) << error;

  auto first = pay("bb-https-untrusted", pay_body_with_notify_url(receiver.url("/hooks")));
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string p1 = parse<v1::OrderView>(first).attempt().payment_no();
  ASSERT_EQ(call("POST", "/sandbox/payments/" + p1 + "/pay", "", "").status, 200);
  auto view = wait_for("bb-https-untrusted", [](const v1::OrderView& v) {
    for (const auto& e : v.events()) {
      if (e.type() == "webhook.attempted") return true;
    }
    return false;
  });
  bool explained = false;
  for (const auto& e : view.events()) {
    explained |= e.type() == "webhook.attempted" &&
                 e.detail().find("certificate verification failed") != std::string::npos;
  }
  EXPECT_TRUE(explained) << codec::to_json(view);
  EXPECT_FALSE(has_event(view, "webhook.delivered"));
  EXPECT_TRUE(receiver.received().empty());
  EXPECT_EQ(call("GET", "/healthz", "", "").status, 200);
}

TEST(DaemonLifecycleTest, SigtermDrainsAndExitsZero) {
  testing::TempDir dir;
  testing::DaemonProcess daemon(ONCEPAYD_PATH, {"--http.port=0", "--data-dir=" + dir.path()});
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(DaemonLifecycleTest, RefusesTestSecretsWithoutSandbox) {
  testing::TempDir dir;
  EXPECT_THROW(testing::DaemonProcess(
                   ONCEPAYD_PATH,
                   {"--http.port=0", "--data-dir=" + dir.path(), "--sandbox.enabled=false"}, 5s),
               std::runtime_error);
}

// The listening line means "ready": a request sent right after it, while a
// restart has orders to recover, is answered normally, never 503 not_ready.
TEST(DaemonLifecycleTest, FirstRequestAfterTheListeningLineIsServedAfterRecovery) {
  testing::TempDir dir;
  const std::vector<std::string> args = {"--http.port=0", "--data-dir=" + dir.path(),
                                         "--log.state-changes=false",
                                         "--payment.max-amount=100000"};
  Headers headers{{"Content-Type", "application/json"}, {"Authorization", kKey}};
  constexpr int kOrders = 200;
  {
    testing::DaemonProcess daemon(ONCEPAYD_PATH, args);
    for (int i = 0; i < kOrders; ++i) {
      auto r = http::http_request_blocking(
          "POST", daemon.base_url() + "/v1/orders/restart-" + std::to_string(i) + "/pay", headers,
          kPayBody, 5s);
      ASSERT_TRUE(r.ok && r.status == 201) << r.status << " " << r.body;
    }
    ASSERT_EQ(daemon.stop(SIGTERM), 0);
  }
  testing::DaemonProcess daemon(ONCEPAYD_PATH, args);
  // No wait_ready(): the line alone must be enough.
  auto first = http::http_request_blocking(
      "GET", daemon.base_url() + "/v1/orders/restart-" + std::to_string(kOrders - 1), headers, {},
      5s);
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.status, 200) << first.body;
  auto ready = http::http_request_blocking("GET", daemon.base_url() + "/readyz", {}, {}, 5s);
  EXPECT_EQ(ready.status, 200) << ready.body;
  // payment.max-amount is in force.
  auto over = http::http_request_blocking(
      "POST", daemon.base_url() + "/v1/orders/restart-over/pay", headers,
      R"({"amount":100001,"currency":"CNY","channel":"sandbox"})", 5s);
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_NE(over.body.find("payment.max-amount"), std::string::npos) << over.body;
  auto at_limit = http::http_request_blocking(
      "POST", daemon.base_url() + "/v1/orders/restart-limit/pay", headers,
      R"({"amount":100000,"currency":"CNY","channel":"sandbox"})", 5s);
  EXPECT_EQ(at_limit.status, 201) << at_limit.body;
}

TEST(DaemonLifecycleTest, HelpListsEngineOptionsWithDefaults) {
  FILE* pipe = popen(ONCEPAYD_PATH " --help", "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(text.find("--payment.query-ladder  (default: 5min,10min,20min,1h,3h,8h,24h)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("--payment.max-amount  (default: 0)"), std::string::npos) << text;
  EXPECT_NE(text.find("--http.port  (default: 8080)"), std::string::npos) << text;
  EXPECT_NE(text.find("--notify.retry-ladder  (default: 15s,"), std::string::npos) << text;
}

// trade_type and payer_openid are the channel's to take: the sandbox takes
// neither, and a refused pay request creates nothing.
TEST_F(DaemonTest, TradeTypeTheChannelDoesNotTakeIs400AndCreatesNothing) {
  for (const char* body :
       {R"({"amount":100,"currency":"CNY","channel":"sandbox","trade_type":"jsapi"})",
        R"({"amount":100,"currency":"CNY","channel":"sandbox","payer_openid":"o-1"})"}) {
    auto r = call("POST", "/v1/orders/tt-1/pay", body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("invalid_request"), std::string::npos) << r.body;
  }
  EXPECT_EQ(call("GET", "/v1/orders/tt-1").status, 404);
}

// The data dir holds webhook secrets and channel accounts' private keys: a
// data dir the daemon creates, its wal/ and snapshot/ folders are 0700 and
// every file in them 0600.
TEST(DaemonDataDirTest, FreshDataDirAndItsFilesAreTheOwnersOnly) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/fresh/var";
  testing::DaemonProcess daemon(ONCEPAYD_PATH, {"--http.port=0", "--data-dir=" + data}, 20s,
                                dir.path() + "/stderr.log");
  ASSERT_TRUE(daemon.wait_ready());
  auto r = daemon.request("POST", "/admin/merchants", {{"Authorization", "Bearer admin-dev-token"}},
                          R"({"merchant_id":"m_modes"})", 5s);
  ASSERT_EQ(r.status, 201) << r.body;
  auto mode_of = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  };
  EXPECT_EQ(mode_of(data), 0700u);
  size_t files = 0;
  for (const char* sub : {"wal", "snapshot"}) {
    EXPECT_EQ(mode_of(data + "/" + sub), 0700u) << sub;
    for (const auto& entry : std::filesystem::directory_iterator(data + "/" + sub)) {
      EXPECT_EQ(mode_of(entry.path().string()), 0600u) << entry.path();
      ++files;
    }
  }
  EXPECT_GE(files, 3u);  // the WAL segment and lock, LMDB's data and lock
}

}  // namespace
}  // namespace oncepay
