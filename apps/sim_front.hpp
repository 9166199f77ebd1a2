// SimFront: the protocol a `oncepay-channel-sim` speaks, as a pluggable front
// of SimServer (apps/sim_server.hpp). SimServer owns what every protocol
// shares: the wallet (channels::ChannelModel), the /sandbox payer and fault
// controls, the statement ledger, and the notification queue with its
// delivery thread and retry schedule. A front turns the channel's own API
// requests into calls on that model, and the model's notifications into the
// channel's own wire form:
// - oncepay (apps/sim_server.cpp, OncepayFront): channels/sim_protocol.hpp;
// - wechatpay-v3 (apps/sim_wechatpay.hpp): WeChat Pay APIv3;
// - alipay (apps/sim_alipay.hpp): Alipay OpenAPI, RSA2.
//
// Threads and ownership
// - SimServer owns its front. handle_channel_request() runs on HTTP I/O
//   threads, encode_notification() and is_acknowledged() on the notifier
//   thread, payer_touched() on I/O threads, concurrently: a front guards its
//   own tables with its own mutex.
// - Lock order: a front may call SimCore::with_model() while holding its own
//   mutex; SimServer never calls into the front while holding the model lock.
//
// Failure modes: a front answers every request (refusals in its protocol's
// error shape) and never throws; encode_notification() returns nullopt for
// a notification its protocol does not send (WeChat and Alipay send none for
// a failed payment).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/sim/channel_model.hpp"
#include "channels/sim/statement.hpp"
#include "http/http_types.hpp"
#include "oncepay.pb.h"

namespace oncepay::apps {

// One payment or refund the channel settled: a row of its daily statement
// (the ledger is shared with the built-in sandbox).
using SettledEntry = channels::sim::SettledEntry;

// One delivery of a notification as it goes on the wire.
struct WireNotification {
  std::string url;  // empty: SimServerOptions::notify_url
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// What a front reaches of its SimServer.
class SimCore {
 public:
  // Runs fn on the model under the model lock, then records in the ledger
  // what the call settled for `payment_no` and queues the notifications it
  // caused. fn must not block or call back into the server.
  virtual void with_model(std::string_view payment_no,
                          const std::function<void(channels::ChannelModel&)>& fn) = 0;
  // Everything settled on business day `day` ("yyyy-MM-dd" in UTC+8, the
  // channels' day: PROTOCOLS.md C.1, C.2), in the order it was settled;
  // only merchant_id's payments unless it is "" (then every payment).
  virtual std::vector<SettledEntry> settled_on(std::string_view day,
                                               std::string_view merchant_id) const = 0;

 protected:
  ~SimCore() = default;
};

class SimFront {
 public:
  virtual ~SimFront() = default;

  // True when the request belongs to this front's channel API (it is then
  // given to handle_channel_request; other paths are SimServer's own).
  virtual bool owns(const http::HttpRequest& request) const = 0;
  // Verifies and answers one channel API request.
  virtual http::HttpResponse handle_channel_request(const http::HttpRequest& request,
                                                    SimCore& core) = 0;
  // A payer opened or acted on payment_no through /sandbox (before the model
  // sees it): Alipay's trade exists from then on (PROTOCOLS.md B.3).
  virtual void payer_touched(std::string_view /*payment_no*/) {}
  // The delivery of `notification`, signed afresh; nullopt: none is sent.
  virtual std::optional<WireNotification> encode_notification(
      const v1::ChannelNotification& notification) = 0;
  // Did the receiver take it (its answer's status and body)?
  virtual bool is_acknowledged(int status, std::string_view body) const = 0;
  // True when notifications carry their own target (the notify_url of the
  // prepay request), so they are queued without SimServerOptions::notify_url.
  virtual bool carries_notify_url() const { return false; }
};

// Unix ms -> the channel business day "yyyy-MM-dd" (UTC+8).
std::string business_day(int64_t unix_ms);
// Unix ms -> "yyyy-MM-dd HH:mm:ss" in UTC+8 (statements, Alipay).
std::string china_time(int64_t unix_ms);
// Unix ms -> RFC 3339 in UTC+8, "2026-11-30T19:51:12+08:00" (WeChat, A.2).
std::string china_rfc3339(int64_t unix_ms);
// True for "yyyy-MM-dd" with digits in those places.
bool is_day(std::string_view text);

}  // namespace oncepay::apps
