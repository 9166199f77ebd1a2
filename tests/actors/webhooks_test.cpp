// The webhook delivery actor against real local receivers: per-destination
// concurrency keeps a slow merchant from holding every delivery slot.
#include "actors/webhooks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "actors/message_types.hpp"
#include "http/http_server.hpp"

namespace oncepay::actors {
namespace {

using namespace std::chrono_literals;

TEST(WebhookDestinationTest, HostAndPortOfTheUrl) {
  EXPECT_EQ(webhook_destination("http://127.0.0.1:9000/hook"), "127.0.0.1:9000");
  EXPECT_EQ(webhook_destination("http://Shop.Example/x?y=1"), "shop.example:80");
  EXPECT_EQ(webhook_destination("http://a:1"), "a:1");
}

TEST(WebhookDestinationTest, HttpsDefaultsToPort443) {
  EXPECT_EQ(webhook_destination("https://Shop.Example/hook"), "shop.example:443");
  EXPECT_EQ(webhook_destination("https://shop.example:8443/hook"), "shop.example:8443");
  EXPECT_EQ(webhook_destination("HTTPS://Shop.Example/hook"), "shop.example:443");
}

TEST(WebhookDestinationTest, Ipv6LiteralAndQueryWithoutPath) {
  EXPECT_EQ(webhook_destination("http://[::1]/hook"), "[::1]:80");
  EXPECT_EQ(webhook_destination("https://[::1]:9443/hook"), "[::1]:9443");
  EXPECT_EQ(webhook_destination("https://shop.example?x=1"), "shop.example:443");
}

// A receiver that holds every request until released (a slow merchant), or
// answers at once.
class Receiver {
 public:
  explicit Receiver(bool hold) : hold_(hold) {
    http::HttpServerOptions o;
    o.port = 0;
    server_ = std::make_unique<http::HttpServer>(
        o,
        [this](http::HttpRequest, http::Responder respond) {
          ++received_;
          http::HttpResponse ok;
          ok.status = 200;
          if (!hold_) return respond(ok);
          std::lock_guard lock(mutex_);
          held_.push_back(std::move(respond));
        },
        [](int status, std::string_view, std::string_view) {
          http::HttpResponse r;
          r.status = status;
          return r;
        });
    EXPECT_TRUE(server_->start(nullptr));
  }
  ~Receiver() {
    release();
    server_->stop();
  }
  void release() {
    std::lock_guard lock(mutex_);
    for (auto& r : held_) {
      http::HttpResponse ok;
      ok.status = 200;
      r(ok);
    }
    held_.clear();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/h"; }
  int received() const { return received_.load(); }

 private:
  bool hold_;
  std::atomic<int> received_{0};
  std::mutex mutex_;
  std::vector<http::Responder> held_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST(WebhookActorTest, SlowMerchantHoldsOnlyItsOwnSlots) {
  caf::actor_system_config cfg;
  caf::actor_system system{add_message_types(cfg)};
  auto client = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  WebhookOptions options;
  options.max_in_flight = 4;
  options.max_in_flight_per_destination = 2;
  auto webhooks = system.spawn(webhook_actor_impl, client, options);
  Receiver slow(/*hold=*/true);
  Receiver fast(/*hold=*/false);
  caf::scoped_actor self{system};
  for (int i = 0; i < 3; ++i) {  // the third waits for a slot at the slow merchant
    self->send(webhooks, WebhookPost{slow.url(), "{}", "whsec", "evt_slow_" + std::to_string(i)});
  }
  core::ChannelReply fast_reply;
  self->request(webhooks, 5s, WebhookPost{fast.url(), "{}", "whsec", "evt_fast"})
      .receive([&](core::ChannelReply& r) { fast_reply = r; },
               [&](caf::error& e) { ADD_FAILURE() << to_string(e); });
  EXPECT_EQ(fast_reply.outcome, core::ChannelOutcome::kOk) << fast_reply.detail;
  for (int i = 0; i < 100 && slow.received() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(slow.received(), 2) << "only two slots for one destination";
  slow.release();
  for (int i = 0; i < 200 && slow.received() < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(slow.received(), 3) << "the queued post starts once a slot frees";
  slow.release();
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    self->receive([&](core::ChannelReply&) { ++answered; }, caf::after(5s) >> [] {});
  }
  EXPECT_EQ(answered, 3);
  caf::anon_send_exit(webhooks, caf::exit_reason::user_shutdown);
  client->stop();
}

}  // namespace
}  // namespace oncepay::actors
