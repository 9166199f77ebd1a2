// End to end over the network channel: oncepayd with the `sim` channel
// pointed at a running oncepay-channel-sim, which notifies the daemon back.
// Covers paying through the simulator, duplicated and lost notifications, a
// hung channel (SIGSTOP: bounded 503, the sandbox unaffected, then SIGCONT
// and resolution), and an engine SIGKILL while the payer pays at the
// channel (after the restart the order is PAID, once).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "codec/json.hpp"
#include "daemon_process.hpp"
#include "oncepay.pb.h"

namespace oncepay {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "Bearer sk_test_demo";
constexpr const char* kSecret = "chsec_sim_e2e";
constexpr const char* kSimBody = R"({"amount":1999,"currency":"CNY","channel":"sim"})";

// A port that was free a moment ago (the daemon must be known to the
// simulator before it starts).
uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class SimE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    sim_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAY_CHANNEL_SIM_PATH,
        std::vector<std::string>{
            "--listen=127.0.0.1:0", std::string("--secret=") + kSecret,
            "--notify-url=http://127.0.0.1:" + std::to_string(port_) + "/v1/channels/sim/notify",
            "--notify-retry=200ms,200ms,400ms,800ms,1s,1s,1s"});
    start_daemon();
  }

  void start_daemon() {
    daemon_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAYD_PATH,
        std::vector<std::string>{
            "--http.port=" + std::to_string(port_), "--data-dir=" + dir_.path(),
            "--channel-sim.url=" + sim_->base_url(), std::string("--channel-sim.secret=") + kSecret,
            "--channel-sim.timeout=700ms", "--payment.in-flight-window=300ms",
            "--payment.query-ladder=1s,2s,4s", "--payment.fast-expiry-ladder=300ms,600ms",
            "--log.state-changes=false"});
    ASSERT_TRUE(daemon_->wait_ready());
  }

  http::HttpClientResult call(const std::string& method, const std::string& path,
                              const std::string& body = {}, bool auth = true) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (auth) headers.emplace_back("Authorization", kKey);
    return daemon_->request(method, path, headers, body, 5s);
  }
  // A counter of the simulator's GET /sim/stats (docs/CHANNEL_SIM.md).
  uint64_t sim_stat(const std::string& name) {
    auto r = sim("GET", "/sim/stats");
    const std::string key = "\"" + name + "\":";
    const size_t at = r.body.find(key);
    if (at == std::string::npos) return 0;
    return std::stoull(r.body.substr(at + key.size()));
  }

  // Polls /sim/stats until `delivered` notifications were acknowledged and
  // none is pending: the event that proves a duplicate or a retry has
  // arrived by now (bounded).
  void wait_deliveries_done(uint64_t delivered) {
    const bool done = testing::poll_until(
        [&] {
          return sim_stat("notifications_delivered") >= delivered &&
                 sim_stat("notifications_pending") == 0;
        },
        [](bool finished) { return finished; }, 8s);
    if (!done) ADD_FAILURE() << "the simulator did not finish delivering " << delivered;
  }

  http::HttpClientResult sim(const std::string& method, const std::string& path,
                             const std::string& body = {}) {
    return sim_->request(method, path, {}, body, 5s);
  }

  v1::OrderView order(const std::string& no) {
    v1::OrderView v;
    auto r = call("GET", "/v1/orders/" + no);
    EXPECT_TRUE(codec::parse_json(r.body, &v, nullptr)) << r.body;
    return v;
  }

  template <class Pred>
  v1::OrderView wait_for(const std::string& no, Pred done, std::chrono::milliseconds limit = 10s) {
    auto v = testing::poll_until([&] { return order(no); }, done, limit);
    if (!done(v)) ADD_FAILURE() << "not reached for " << no << ": " << codec::to_json(v);
    return v;
  }

  std::string pay_sim(const std::string& no) {
    auto r = call("POST", "/v1/orders/" + no + "/pay", kSimBody);
    EXPECT_EQ(r.status, 201) << r.body;
    v1::OrderView v;
    EXPECT_TRUE(codec::parse_json(r.body, &v, nullptr));
    return v.attempt().payment_no();
  }

  static int paid_events(const v1::OrderView& v) {
    int n = 0;
    for (const auto& e : v.events()) n += e.type() == "order.paid";
    return n;
  }

  testing::TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<testing::DaemonProcess> sim_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
};

TEST_F(SimE2ETest, PayThroughTheSimulatorAndItsNotification) {
  const std::string p = pay_sim("e2e-pay");
  auto channel = sim("GET", "/sandbox/payments/" + p);
  EXPECT_EQ(channel.status, 200) << "the simulator holds the prepay";
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  auto v = wait_for("e2e-pay", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(v.paid_payment_no(), p);
  EXPECT_EQ(v.attempts(0).channel(), "sim");
  // The channel's circuit breaker shows in /readyz and /metrics.
  auto ready = call("GET", "/readyz", "", false);
  EXPECT_NE(ready.body.find("channel sim: breaker closed"), std::string::npos) << ready.body;
  auto metrics = call("GET", "/metrics", "", false);
  EXPECT_NE(metrics.body.find("oncepay_channel_breaker_state{channel=\"sim\",state=\"closed\"} 1"),
            std::string::npos);
}

TEST_F(SimE2ETest, DuplicatedNotificationsCountOnce) {
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"notify_duplicate":1.0})").status, 200);
  const std::string p = pay_sim("e2e-dup");
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  wait_for("e2e-dup", [](auto& o) { return o.status() == v1::Order::PAID; });
  // Both copies were delivered and acknowledged before counting.
  wait_deliveries_done(2);
  EXPECT_EQ(paid_events(order("e2e-dup")), 1);
}

TEST_F(SimE2ETest, LostNotificationIsFoundByTheLadder) {
  ASSERT_EQ(sim("PUT", "/sandbox/faults", R"({"notify_drop":1.0})").status, 200);
  const std::string p = pay_sim("e2e-lost");
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  auto v = wait_for("e2e-lost", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(v.events(v.events_size() - 1).detail(), "via query");
}

TEST_F(SimE2ETest, HungChannelGivesBounded503AndOtherChannelsAreUnaffected) {
  kill(sim_->pid(), SIGSTOP);
  const auto start = std::chrono::steady_clock::now();
  auto r = call("POST", "/v1/orders/e2e-hung/pay", kSimBody);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_LT(took, 2s) << "bounded by --channel-sim.timeout";
  // The sandbox keeps serving while the simulator hangs.
  auto other = call("POST", "/v1/orders/e2e-other/pay",
                    R"({"amount":100,"currency":"CNY","channel":"sandbox"})");
  EXPECT_EQ(other.status, 201) << other.body;
  kill(sim_->pid(), SIGCONT);
  // The UNKNOWN attempt is resolved on the ladder once the channel is back.
  auto v = wait_for("e2e-hung", [](auto& o) {
    return o.attempts(0).status() != v1::Attempt::UNKNOWN &&
           o.attempts(0).status() != v1::Attempt::PAYING;
  });
  EXPECT_TRUE(v.attempts(0).status() == v1::Attempt::CLOSED ||
              v.attempts(0).status() == v1::Attempt::FAILED)
      << codec::to_json(v);
}

TEST_F(SimE2ETest, PaymentWhileTheEngineIsDownIsFoundAfterRestart) {
  const std::string p = pay_sim("e2e-crash");
  EXPECT_EQ(daemon_->stop(SIGKILL), -SIGKILL);
  // The payer pays while the engine is down; the simulator keeps retrying.
  ASSERT_EQ(sim("POST", "/sandbox/payments/" + p + "/pay").status, 200);
  std::this_thread::sleep_for(300ms);
  start_daemon();
  auto v = wait_for("e2e-crash", [](auto& o) { return o.status() == v1::Order::PAID; });
  EXPECT_EQ(v.paid_payment_no(), p);
  // The simulator's retries have all been acknowledged before counting.
  wait_deliveries_done(1);
  EXPECT_EQ(paid_events(order("e2e-crash")), 1) << "paid once";
}

}  // namespace
}  // namespace oncepay
