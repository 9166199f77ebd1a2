// The webhook delivery actor: POSTs signed merchant webhooks (docs/API.md
// "Merchant notifications") through one shared http::HttpClient, so a slow
// merchant never occupies an order actor's or a scheduler thread: the HTTP
// exchange runs on the client's I/O thread and its result comes back to this
// actor as a message (WebhookDoneMsg), which answers the requester.
//
// Contract: order actors request a WebhookPost with a timeout longer than
// the client's connect + request timeouts (OrderEnv::webhook_timeout); the
// reply is a core::ChannelReply: kOk for a 2xx, kUnavailable otherwise, with
// the HTTP status (0 when no response came back) and a readable detail.
// Bounded: at most WebhookOptions::max_in_flight POSTs run at once, and at
// most max_in_flight_per_destination to one host:port, so a slow merchant
// holds only its own slots; up to max_queued more wait, started in FIFO
// order as soon as their destination has a free slot; beyond that a post is
// answered at once as undelivered ("webhook queue full") and retried on the
// order's ladder.
// Redelivery is the order's business (its WEBHOOK ladder), never this actor's.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/messages.hpp"
#include "http/http_client.hpp"

namespace oncepay::actors {

// One delivery: `body` (JSON) to `url`, signed with `secret` at send time.
// `event_id` goes out as the Idempotency-Key header too: receivers dedupe on
// it, so the client may repeat the POST once on a stale keep-alive
// connection instead of counting a failed attempt.
struct WebhookPost {
  std::string url;
  std::string body;
  std::string secret;
  std::string event_id;
};

// Internal: the HTTP client's answer for one post (token: which promise).
struct WebhookDoneMsg {
  uint64_t token = 0;
  http::HttpClientResult result;
};

struct WebhookOptions {
  size_t max_in_flight = 64;
  size_t max_in_flight_per_destination = 8;
  size_t max_queued = 10'000;
};

// "host:port" of an http:// or https:// URL, the port defaulting by scheme
// (the unit of per-destination concurrency).
std::string webhook_destination(std::string_view url);

using webhook_actor = caf::typed_actor<caf::replies_to<WebhookPost>::with<core::ChannelReply>,
                                       caf::reacts_to<WebhookDoneMsg>>;

struct WebhookActorState {
  std::shared_ptr<http::HttpClient> client;
  WebhookOptions options;
  uint64_t next_token = 0;
  std::unordered_map<uint64_t, caf::typed_response_promise<core::ChannelReply>> waiting;
  std::deque<std::pair<uint64_t, WebhookPost>> queued;
  size_t in_flight = 0;
  std::unordered_map<std::string, size_t> in_flight_by_destination;
  std::unordered_map<uint64_t, std::string> destination_of;  // running posts
  static inline const char* name = "oncepay.webhooks";
};

using webhook_pointer = webhook_actor::stateful_pointer<WebhookActorState>;

webhook_actor::behavior_type webhook_actor_impl(webhook_pointer self,
                                                std::shared_ptr<http::HttpClient> client,
                                                WebhookOptions options);

// The answer a post gets for an HTTP result: kOk only for a 2xx.
core::ChannelReply webhook_reply(const http::HttpClientResult& result);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WebhookPost& x) {
  return f(caf::meta::type_name("oncepay.WebhookPost"), x.url, x.body, x.secret, x.event_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WebhookDoneMsg& x) {
  return f(caf::meta::type_name("oncepay.WebhookDoneMsg"), x.token, x.result);
}

}  // namespace oncepay::actors
