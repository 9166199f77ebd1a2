#include "actors/webhooks.hpp"

#include <chrono>
#include <optional>

#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "http/http_types.hpp"
#include "http/url.hpp"

namespace oncepay::actors {

namespace {

bool has_room(const WebhookActorState& st, const std::string& destination) {
  if (st.in_flight >= st.options.max_in_flight) return false;
  auto it = st.in_flight_by_destination.find(destination);
  return it == st.in_flight_by_destination.end() ||
         it->second < st.options.max_in_flight_per_destination;
}

void start(webhook_pointer self, uint64_t token, const WebhookPost& post) {
  auto& st = self->state;
  std::string destination = webhook_destination(post.url);
  ++st.in_flight;
  ++st.in_flight_by_destination[destination];
  st.destination_of.emplace(token, std::move(destination));
  std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "application/json"},
      {"X-Oncepay-Signature", core::sign_header(post.secret, core::unix_seconds(), post.body)},
      {"Idempotency-Key", post.event_id},
  };
  webhook_actor me = self;
  self->state.client->request("POST", post.url, std::move(headers), post.body,
                              [me, token](http::HttpClientResult result) {
                                caf::anon_send(me, WebhookDoneMsg{token, std::move(result)});
                              });
}

// Starts queued posts, oldest first, whose destination has a free slot.
void start_queued(webhook_pointer self) {
  auto& st = self->state;
  for (auto it = st.queued.begin();
       it != st.queued.end() && st.in_flight < st.options.max_in_flight;) {
    if (!has_room(st, webhook_destination(it->second.url))) {
      ++it;
      continue;
    }
    auto [token, post] = std::move(*it);
    it = st.queued.erase(it);
    start(self, token, post);
  }
}

}  // namespace

std::string webhook_destination(std::string_view url) {
  // The host and port the client connects to (http/url.hpp); a URL it would
  // not take is never sent, so any stable key will do for it.
  const std::optional<http::Url> parsed = http::parse_url(url);
  if (!parsed) return http::ascii_lower(url);
  const bool ipv6 = parsed->host.find(':') != std::string::npos;
  std::string out;
  if (ipv6) out.push_back('[');
  out += http::ascii_lower(parsed->host);
  if (ipv6) out.push_back(']');
  out.push_back(':');
  out += parsed->port;
  return out;
}

core::ChannelReply webhook_reply(const http::HttpClientResult& result) {
  core::ChannelReply reply;
  if (!result.ok) {
    reply.outcome = core::ChannelOutcome::kUnavailable;
    reply.detail = result.error.empty() ? std::string("no response") : result.error;
    return reply;
  }
  reply.http_status = result.status;
  const bool success = result.status >= 200 && result.status < 300;
  reply.outcome = success ? core::ChannelOutcome::kOk : core::ChannelOutcome::kUnavailable;
  reply.detail = std::string("HTTP ").append(std::to_string(result.status));
  return reply;
}

webhook_actor::behavior_type webhook_actor_impl(webhook_pointer self,
                                                std::shared_ptr<http::HttpClient> client,
                                                WebhookOptions options) {
  self->state.client = std::move(client);
  self->state.options = options;
  return {
      [self](WebhookPost& post) -> caf::result<core::ChannelReply> {
        auto& st = self->state;
        if (st.in_flight >= st.options.max_in_flight && st.queued.size() >= st.options.max_queued) {
          core::ChannelReply full;
          full.detail = "webhook queue full";
          return full;
        }
        const uint64_t token = st.next_token++;
        auto promise = self->make_response_promise<core::ChannelReply>();
        st.waiting.emplace(token, promise);
        if (has_room(st, webhook_destination(post.url))) {
          start(self, token, post);
        } else {
          st.queued.emplace_back(token, std::move(post));
        }
        return promise;
      },
      [self](WebhookDoneMsg& done) {
        auto& st = self->state;
        --st.in_flight;
        if (auto d = st.destination_of.find(done.token); d != st.destination_of.end()) {
          auto count = st.in_flight_by_destination.find(d->second);
          if (count != st.in_flight_by_destination.end() && --count->second == 0) {
            st.in_flight_by_destination.erase(count);
          }
          st.destination_of.erase(d);
        }
        if (auto it = st.waiting.find(done.token); it != st.waiting.end()) {
          it->second.deliver(webhook_reply(done.result));
          st.waiting.erase(it);
        }
        start_queued(self);
      },
  };
}

}  // namespace oncepay::actors
