// The channel registry: every payment channel the daemon runs, by name, with
// what the engine and the gateway need of it. Built in one place (the
// daemon's channel list, apps/daemon_channels.cpp, one line per channel;
// docs/CHANNELS.md "Adding a channel"), then handed to the engine (its
// adapter actors, ChannelRegistry::actors()) and to the gateway (the
// notification route, the channel's own HTTP routes, health). Neither names
// a channel: they iterate the registry.
//
// Per channel (ChannelEntry):
// - the adapter actor the order actors call (channels/channel_actor.hpp);
// - notification handling: a decoder from the raw HTTP request of
//   POST /v1/channels/{name}/notify to a core::ChannelNotice or a refusal,
//   and an answer builder from the engine's outcome to the channel's own
//   HTTP answer (channels/notice.hpp);
// - health: its circuit breaker (network channels; channels/breaker.hpp),
//   for /readyz and /metrics;
// - its own HTTP routes (the sandbox's /sandbox/... payer controls), which
//   the gateway serves after its readiness checks;
// - for in-process channels, `connect`: where their notifications go (the
//   gateway's handler, so that they take exactly the path a network channel's
//   take).
//
// Threads and ownership: build it on one thread (add), then it is read-only
// and may be read from any thread. It owns the adapters (ChannelEntry::owner)
// and releases them, in reverse order of registration, when destroyed; the
// engine and the gateway that use it must be destroyed first.
// Failure modes: add() refuses (false, *error) an empty or taken name, a
// route pattern that is not absolute, and a route whose first path segment
// another channel's routes use; nothing is added then.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/channel_actor.hpp"
#include "channels/notice.hpp"
#include "channels/statement_source.hpp"
#include "http/http_types.hpp"

namespace oncepay::channels {

// One of a channel's own HTTP routes. The pattern is an absolute path whose
// segments are literals or "{name}" (one segment, any value), like the
// gateway's own routes; it is also the route's metrics label. The handler
// gets the request and its path segments (http::split_path) and answers at
// once; it runs on a gateway thread and must not block.
struct ChannelRoute {
  std::string method;   // "GET", "POST", "PUT"
  std::string pattern;  // "/sandbox/payments/{payment_no}/pay"
  std::function<http::HttpResponse(const http::HttpRequest& request,
                                   const std::vector<std::string_view>& parts)>
      handler;
};

struct ChannelEntry {
  std::string name;  // as in PayRequest.channel and /v1/channels/{name}/notify
  channel_actor actor;
  // Empty: the channel takes no notifications (404 "no such channel").
  // now_s is the wall clock in Unix seconds (signature windows).
  std::function<NoticeDecision(const http::HttpRequest& request, int64_t now_s)> decode_notice;
  // Required with decode_notice.
  std::function<http::HttpResponse(const NoticeOutcome& outcome)> answer_notice;
  // Empty: no breaker to report.
  std::function<ChannelHealth()> health;
  // The pay request's channel-specific fields (PayRequest.trade_type,
  // payer_openid), checked by the gateway before anything is created: ""
  // when they are fine, else the 400 message naming the field. Empty
  // function: the channel takes neither (both must be empty).
  std::function<std::string(std::string_view trade_type, std::string_view payer_openid)> check_pay;
  std::vector<ChannelRoute> routes;
  // Daily statements for reconciliation (channels/statement_source.hpp).
  // statements.parse empty: the channel cannot be reconciled.
  StatementSource statements;
  // In-process channels: sets (or, with nullptr, clears) the handler their
  // notifications are delivered to. Empty for network channels.
  std::function<void(http::Handler handler)> connect;
  // The adapter behind `actor` (and the closures above): kept alive by the
  // registry.
  std::shared_ptr<void> owner;
};

// The gateway's notify routes (gateway/api.cpp): the path a channel's
// notifications take, "/v1/channels/<channel>/notify", and the URL a
// channel that acts per merchant gives the channel for one merchant,
// "<public_url>/v1/channels/<channel>/notify/<merchant_id>" (answered only
// for that merchant's payments). Pure.
std::string notify_path(std::string_view channel);
std::string merchant_notify_url(std::string_view public_url, std::string_view channel,
                                std::string_view merchant_id);

class ChannelRegistry {
 public:
  ChannelRegistry() = default;
  ~ChannelRegistry();
  ChannelRegistry(const ChannelRegistry&) = delete;
  ChannelRegistry& operator=(const ChannelRegistry&) = delete;

  // Adds a channel; false with *error when it is refused (see above).
  bool add(ChannelEntry entry, std::string* error);

  // The entry of that name, or null.
  const ChannelEntry* find(std::string_view name) const;
  // Every entry, in registration order.
  const std::vector<ChannelEntry>& entries() const { return entries_; }
  // name -> adapter actor, for actors::EngineOptions::channels.
  std::map<std::string, channel_actor, std::less<>> actors() const;
  // The health of every channel that reports one, in registration order.
  std::vector<ChannelHealth> health() const;
  // Points every in-process channel's notifications at `handler` (nullptr:
  // nowhere, before the handler's owner goes away).
  void connect(const http::Handler& handler) const;

 private:
  std::vector<ChannelEntry> entries_;
};

}  // namespace oncepay::channels
