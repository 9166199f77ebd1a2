// SimServer: the request handling of `oncepay-channel-sim`, a third-party
// wallet channel over HTTP (docs/CHANNEL_SIM.md). It serves
// - the channel API the engine's `sim` adapter calls (prepay, query, close,
//   reverse, refund; channels/sim/sim_protocol.hpp), signed requests only;
// - the payer / test control endpoints of API.md's built-in sandbox
//   (/sandbox/payments/{payment_no}[/pay|/fail], PUT /sandbox/faults), same
//   paths, bodies and error codes;
// - GET /healthz and GET /sim/stats (notification delivery counters).
// The channel API is a pluggable front (apps/sim_front.hpp): by default the
// oncepay protocol above (plus its daily statement,
// GET /channel/v1/statements/{yyyy-MM-dd}, in WeChat's ALL layout), or
// WeChat Pay APIv3 (apps/sim_wechatpay.hpp) or Alipay (apps/sim_alipay.hpp).
// Every payment and refund the wallet settles is kept with its business day
// for the statements.
// The wallet is a channels::ChannelModel, the same model the built-in
// sandbox runs. Its notifications are POSTed as v1::ChannelNotification JSON
// to notify_url with `X-Channel-Signature` (core/signature.hpp over the body),
// after each one's injected delay, and redelivered on notify_retry_ms until
// the receiver answers 2xx (or the schedule ends: the notification is dropped,
// as a real channel gives up).
//
// State lives in memory for the life of the object: the engine may restart
// while the simulator keeps its payments and keeps retrying notifications.
//
// Threads: handle() may be called from any thread concurrently (it is the
// HttpServer's Handler: it answers at once and never blocks beyond a short
// mutex). A notifier thread of its own waits for due deliveries; an
// HttpClient sends them. The destructor (or stop()) cancels pending
// deliveries and joins both; not from inside handle().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apps/sim_front.hpp"
#include "channels/sim/channel_model.hpp"
#include "http/http_client.hpp"
#include "http/http_types.hpp"

namespace oncepay::apps {

// WeChat Pay's callback schedule: 15s,15s,30s,3m,10m,20m,30m,30m,30m,60m,3h,
// 3h,3h,6h,6h after the first delivery (16 deliveries over about 24 hours).
std::vector<int64_t> wechat_notify_retry_ms();

// A queue of deliveries past this refuses new ones (they are dropped).
inline constexpr size_t kMaxPendingNotifications = 100'000;

struct SimServerOptions {
  std::string channel_name = "sim";  // the model's name: prefix of its ids
  std::string secret;                // signs notifications, checks requests
  std::string notify_url;            // empty: notifications are dropped
  // 商户号 of the oncepay front's statements; empty: channel_name.
  std::string merchant_id;
  // Delays between deliveries of one notification (the first goes out after
  // its injected notify_delay_ms).
  std::vector<int64_t> notify_retry_ms = wechat_notify_retry_ms();
  std::chrono::milliseconds notify_timeout{5000};  // one delivery: connect + answer
  uint64_t seed = 0;                               // 0: from the random device
  int64_t signature_tolerance_s = 300;
  size_t max_pending_notifications = kMaxPendingNotifications;
};

struct SimServerStats {
  uint64_t notifications_delivered = 0;  // acknowledged with 2xx
  uint64_t delivery_attempts_failed = 0;
  uint64_t notifications_abandoned = 0;  // schedule ended, queue full, or no notify_url
  size_t notifications_pending = 0;
  size_t payments = 0;
};

class SimServer : private SimCore {
 public:
  // `front` null: the oncepay protocol (channels/sim_protocol.hpp).
  explicit SimServer(SimServerOptions options, std::unique_ptr<SimFront> front = nullptr);
  ~SimServer();  // runs stop()

  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // The HttpServer Handler. Answers every request at once.
  void handle(http::HttpRequest request, http::Responder respond);

  // The API.md error shape; also the HttpServer's ErrorFactory.
  static http::HttpResponse error(int status, std::string_view code, std::string_view message);

  SimServerStats stats() const;

  // Cancels pending deliveries and joins the notifier. Idempotent.
  void stop();

 private:
  struct Delivery {
    v1::ChannelNotification body;
    size_t attempt = 0;  // deliveries made before this one
  };
  using Clock = std::chrono::steady_clock;

  // SimCore
  void with_model(std::string_view payment_no,
                  const std::function<void(channels::ChannelModel&)>& fn) override;
  std::vector<SettledEntry> settled_on(std::string_view day,
                                       std::string_view merchant_id) const override;

  http::HttpResponse sandbox(const http::HttpRequest& request,
                             const std::vector<std::string_view>& parts);
  http::HttpResponse record_of(const std::string& payment_no);
  http::HttpResponse stats_response() const;
  // Moves the model's outbox to the delivery queue. Caller holds model_mutex_.
  void flush_outbox();
  void schedule(Delivery delivery, std::chrono::milliseconds delay);
  void deliver(Delivery delivery);
  void notifier_loop();

  SimServerOptions options_;

  mutable std::mutex model_mutex_;
  channels::ChannelModel model_;
  channels::sim::SettlementLedger ledger_;  // guarded by model_mutex_; bounded by the model's
  std::unique_ptr<SimFront> front_;         // set once in the constructor

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::multimap<Clock::time_point, Delivery> queue_;  // guarded by queue_mutex_
  bool stopping_ = false;                             // guarded by queue_mutex_
  SimServerStats stats_;                              // counters guarded by queue_mutex_

  std::unique_ptr<http::HttpClient> client_;
  std::thread notifier_;
};

// "250ms", "15s", "3min", "6h" (a bare number is milliseconds) -> *ms > 0.
bool parse_duration_ms(std::string_view text, int64_t* ms);
// A comma-separated list of durations; an empty text is an empty list.
bool parse_duration_list(std::string_view text, std::vector<int64_t>* ms, std::string* error);

}  // namespace oncepay::apps
