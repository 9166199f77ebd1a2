// Black-box tests of the `oncepay-channel-sim` binary: its command line, its
// signed channel API, the /sandbox control endpoints, and signed
// notifications arriving (and being retried) at a receiver in the test.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "channels/sim/sim_protocol.hpp"
#include "codec/json.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "daemon_process.hpp"
#include "http/http_client.hpp"
#include "http/http_server.hpp"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
namespace sim = channels::sim;

constexpr const char* kSecret = "chsec_sim_blackbox";

std::string sim_binary() {
#ifdef ONCEPAY_CHANNEL_SIM_PATH
  return ONCEPAY_CHANNEL_SIM_PATH;
#else
  // Built next to oncepayd (apps/); the test target may not name it yet.
  return (std::filesystem::path(ONCEPAYD_PATH).parent_path() / "oncepay-channel-sim").string();
#endif
}

// A notification receiver: records every delivery; answers 500 to the first
// `refuse` of them, then 200 {"code":"SUCCESS"}.
class Receiver {
 public:
  struct Delivery {
    std::string body;
    std::string signature;
  };

  explicit Receiver(int refuse, uint16_t port = 0) : refuse_(refuse) {
    http::HttpServerOptions http;
    http.port = port;
    http.drain_timeout = 200ms;
    server_ = std::make_unique<http::HttpServer>(
        http,
        [this](http::HttpRequest request, http::Responder respond) {
          http::HttpResponse response;
          {
            std::lock_guard lock(mutex_);
            deliveries_.push_back(
                {request.body, std::string(request.header(sim::kSignatureHeader))});
            if (static_cast<int>(deliveries_.size()) <= refuse_) {
              response.status = 500;
              response.body = R"({"code":"FAIL"})";
            } else {
              response.body = R"({"code":"SUCCESS"})";
            }
          }
          changed_.notify_all();
          respond(std::move(response));
        },
        [](int status, std::string_view, std::string_view) {
          http::HttpResponse r;
          r.status = status;
          return r;
        });
    std::string error;
    if (!server_->start(&error)) throw std::runtime_error("receiver: " + error);
  }

  ~Receiver() { server_->stop(); }

  uint16_t port() const { return server_->port(); }
  std::string url() const {
    return std::string("http://127.0.0.1:")
        .append(std::to_string(port()))
        .append("/v1/channels/sim/notify");
  }

  // Waits (bounded) until `n` deliveries arrived; returns them.
  std::vector<Delivery> wait_for(size_t n, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return deliveries_.size() >= n; });
    return deliveries_;
  }

 private:
  int refuse_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Delivery> deliveries_;
  std::unique_ptr<http::HttpServer> server_;
};

class ChannelSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(sim_binary())) {
      GTEST_SKIP() << sim_binary() << " is not built";
    }
  }

  void start(std::string notify_url, std::string retry = "100ms,100ms,100ms") {
    std::vector<std::string> args = {"--listen=127.0.0.1:0", std::string("--secret=") + kSecret,
                                     "--notify-retry=" + retry};
    if (!notify_url.empty()) args.push_back("--notify-url=" + notify_url);
    sim_ = std::make_unique<testing::DaemonProcess>(sim_binary(), args);
  }

  // A signed channel API call, its answer's signature checked.
  http::HttpClientResult channel_call(const core::ChannelCall& call, bool sign = true) {
    auto wire = sim::encode_call(call);
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (sign) {
      headers.emplace_back("X-Channel-Signature", sim::sign_request(kSecret, core::unix_seconds(),
                                                                    "POST", wire.path, wire.body));
    }
    auto result = http::http_request_blocking("POST", sim_->base_url() + wire.path, headers,
                                              wire.body, 3000ms);
    EXPECT_TRUE(result.ok) << result.error;
    std::string_view signature;
    for (const auto& [name, value] : result.headers) {
      if (name == sim::kSignatureHeader) signature = value;
    }
    EXPECT_EQ(sim::verify_response(kSecret, signature, result.status, wire.path, result.body,
                                   core::unix_seconds()),
              core::SignatureCheck::kOk);
    return result;
  }

  core::ChannelReply reply_of(const core::ChannelCall& call) {
    auto result = channel_call(call);
    sim::CallAnswer answer;
    std::string error;
    EXPECT_TRUE(sim::decode_answer(call, result.status, result.body, &answer, &error)) << error;
    return sim::to_reply(call.op, answer);
  }

  // A counter of GET /sim/stats (docs/CHANNEL_SIM.md).
  uint64_t stat(const std::string& name) {
    auto r = http("GET", "/sim/stats");
    const std::string key = "\"" + name + "\":";
    const size_t at = r.body.find(key);
    if (at == std::string::npos) return 0;
    return std::stoull(r.body.substr(at + key.size()));
  }

  http::HttpClientResult http(const std::string& method, const std::string& path,
                              std::string body = {}) {
    auto r =
        http::http_request_blocking(method, sim_->base_url() + path, {}, std::move(body), 3000ms);
    EXPECT_TRUE(r.ok) << r.error;
    return r;
  }

  static core::ChannelCall prepay(std::string payment_no) {
    core::ChannelCall call;
    call.op = core::ChannelOp::kPrepay;
    call.payment_no = std::move(payment_no);
    call.amount_minor = 1999;
    call.currency = "CNY";
    call.subject = "coffee";
    return call;
  }

  static core::ChannelCall query(std::string payment_no) {
    core::ChannelCall call;
    call.op = core::ChannelOp::kQuery;
    call.payment_no = std::move(payment_no);
    return call;
  }

  std::unique_ptr<testing::DaemonProcess> sim_;
};

TEST_F(ChannelSimTest, PrintsItsListeningLineAndExitsZeroOnSigterm) {
  start("");
  EXPECT_EQ(sim_->base_url().rfind("http://127.0.0.1:", 0), 0u) << sim_->base_url();
  EXPECT_EQ(http("GET", "/healthz").status, 200);
  EXPECT_EQ(sim_->stop(SIGTERM), 0);
}

TEST_F(ChannelSimTest, RefusesABadCommandLine) {
  EXPECT_THROW(testing::DaemonProcess(sim_binary(), {"--listen=nonsense", "--secret=x"}, 5000ms),
               std::runtime_error);
  EXPECT_THROW(testing::DaemonProcess(sim_binary(), {"--listen=127.0.0.1:0"}, 5000ms),
               std::runtime_error);
  EXPECT_THROW(
      testing::DaemonProcess(sim_binary(),
                             {"--listen=127.0.0.1:0", "--secret=x", "--notify-retry=5y"}, 5000ms),
      std::runtime_error);
}

TEST_F(ChannelSimTest, SignedPrepayThenQuery) {
  start("");
  auto created = reply_of(prepay("bb-1"));
  EXPECT_EQ(created.outcome, core::ChannelOutcome::kOk) << created.detail;
  EXPECT_FALSE(created.prepay_id.empty());
  auto q = reply_of(query("bb-1"));
  EXPECT_EQ(q.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(q.state, core::ChannelPayState::kNotPay);
  EXPECT_EQ(reply_of(query("bb-none")).outcome, core::ChannelOutcome::kNotFound);
}

TEST_F(ChannelSimTest, UnsignedOrMissignedRequestsAre401AndChangeNothing) {
  start("");
  auto unsigned_call = channel_call(prepay("bb-2"), /*sign=*/false);
  EXPECT_EQ(unsigned_call.status, 401);
  EXPECT_NE(unsigned_call.body.find("unauthorized"), std::string::npos) << unsigned_call.body;

  // Signed for another path: a replayed signature does not carry over.
  auto wire = sim::encode_call(prepay("bb-2"));
  auto other = sim::sign_request(kSecret, core::unix_seconds(), "POST",
                                 "/channel/v1/payments/bb-3/prepay", wire.body);
  auto r = http::http_request_blocking("POST", sim_->base_url() + wire.path,
                                       {{"X-Channel-Signature", other}}, wire.body, 3000ms);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(http("GET", "/sandbox/payments/bb-2").status, 404);
}

TEST_F(ChannelSimTest, SandboxControlEndpointsMatchTheBuiltInSandbox) {
  start("");
  auto missing = http("GET", "/sandbox/payments/bb-4");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("payment_not_found"), std::string::npos) << missing.body;
  EXPECT_EQ(http("POST", "/sandbox/payments/bb-4/pay").status, 404);

  ASSERT_EQ(reply_of(prepay("bb-4")).outcome, core::ChannelOutcome::kOk);
  auto record = http("GET", "/sandbox/payments/bb-4");
  ASSERT_EQ(record.status, 200);
  v1::ChannelPaymentView view;
  ASSERT_TRUE(codec::parse_json(record.body, &view, nullptr)) << record.body;
  EXPECT_EQ(view.status(), v1::ChannelPaymentView::NOTPAY);
  EXPECT_EQ(view.amount(), 1999);

  auto paid = http("POST", "/sandbox/payments/bb-4/pay");
  ASSERT_EQ(paid.status, 200) << paid.body;
  ASSERT_TRUE(codec::parse_json(paid.body, &view, nullptr));
  EXPECT_EQ(view.status(), v1::ChannelPaymentView::SUCCESS);
  auto fail = http("POST", "/sandbox/payments/bb-4/fail");
  EXPECT_EQ(fail.status, 409);
  EXPECT_NE(fail.body.find("channel_conflict"), std::string::npos) << fail.body;

  // Closed at the channel: pay is refused unless it races the close.
  ASSERT_EQ(reply_of(prepay("bb-5")).outcome, core::ChannelOutcome::kOk);
  core::ChannelCall close = query("bb-5");
  close.op = core::ChannelOp::kClose;
  EXPECT_EQ(reply_of(close).outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(http("POST", "/sandbox/payments/bb-5/pay").status, 409);
  EXPECT_EQ(http("POST", "/sandbox/payments/bb-5/pay", R"({"after_close": true})").status, 200);
  EXPECT_EQ(reply_of(query("bb-5")).state, core::ChannelPayState::kSuccess);

  EXPECT_EQ(http("PUT", "/sandbox/faults", R"({"notify_drop": 2})").status, 400);
  EXPECT_EQ(http("PUT", "/sandbox/faults", R"({"query_unavailable": 1})").status, 200);
  EXPECT_EQ(reply_of(query("bb-5")).outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(http("PUT", "/sandbox/faults", "{}").status, 200);
  EXPECT_EQ(reply_of(query("bb-5")).outcome, core::ChannelOutcome::kOk);
}

TEST_F(ChannelSimTest, SignedNotificationArrivesAndIsRetriedUntilAcknowledged) {
  Receiver receiver(/*refuse=*/2);
  start(receiver.url());
  ASSERT_EQ(reply_of(prepay("bb-6")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(http("POST", "/sandbox/payments/bb-6/pay").status, 200);

  auto deliveries = receiver.wait_for(3);
  ASSERT_EQ(deliveries.size(), 3u);
  std::string notify_id;
  for (const auto& d : deliveries) {
    EXPECT_EQ(core::verify_header(kSecret, d.signature, d.body, core::unix_seconds()),
              core::SignatureCheck::kOk)
        << d.signature;
    v1::ChannelNotification n;
    ASSERT_TRUE(codec::parse_json(d.body, &n, nullptr)) << d.body;
    EXPECT_EQ(n.payment_no(), "bb-6");
    EXPECT_EQ(n.status(), v1::ChannelNotification::SUCCESS);
    EXPECT_EQ(n.amount(), 1999);
    EXPECT_FALSE(n.channel_trade_no().empty());
    if (notify_id.empty()) notify_id = n.notify_id();
    EXPECT_EQ(n.notify_id(), notify_id);  // one logical notification
  }
  // Acknowledged: the simulator holds nothing more to deliver, so there is
  // no fourth delivery.
  testing::poll_until(
      [&] { return stat("notifications_delivered") >= 1 && stat("notifications_pending") == 0; },
      [](bool finished) { return finished; }, 5s);
  EXPECT_EQ(stat("notifications_delivered"), 1u);
  EXPECT_EQ(stat("notifications_pending"), 0u);
  EXPECT_EQ(receiver.wait_for(4, 0ms).size(), 3u);
}

TEST_F(ChannelSimTest, NotificationsReachAReceiverThatComesBackLater) {
  // The engine is down while the payer pays: the simulator keeps retrying
  // and keeps its state; the engine, back on its port, gets the notification.
  uint16_t port = 0;
  { port = Receiver(0).port(); }
  start(std::string("http://127.0.0.1:")
            .append(std::to_string(port))
            .append("/v1/channels/sim/notify"),
        "200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms");
  ASSERT_EQ(reply_of(prepay("bb-7")).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(http("POST", "/sandbox/payments/bb-7/pay").status, 200);
  // Wait until a couple of deliveries were refused (nobody listens yet).
  ASSERT_GE(testing::poll_until([&] { return stat("delivery_attempts_failed"); },
                                [](uint64_t failed) { return failed >= 2; }, 5s),
            2u);
  Receiver back(0, port);
  auto deliveries = back.wait_for(1, 3000ms);
  ASSERT_EQ(deliveries.size(), 1u);
  v1::ChannelNotification n;
  ASSERT_TRUE(codec::parse_json(deliveries[0].body, &n, nullptr));
  EXPECT_EQ(n.payment_no(), "bb-7");
  EXPECT_EQ(reply_of(query("bb-7")).state, core::ChannelPayState::kSuccess);
}

}  // namespace
}  // namespace oncepay
