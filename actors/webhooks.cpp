#include "actors/webhooks.hpp"

#include <chrono>

#include "core/signature.hpp"

namespace oncepay::actors {

namespace {

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void start(webhook_pointer self, uint64_t token, const WebhookPost& post) {
  ++self->state.in_flight;
  std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "application/json"},
      {"X-Oncepay-Signature", core::sign_header(post.secret, unix_seconds(), post.body)},
      {"Idempotency-Key", post.event_id},
  };
  webhook_actor me = self;
  self->state.client->request("POST", post.url, std::move(headers), post.body,
                              [me, token](net::HttpClientResult result) {
                                caf::anon_send(me, WebhookDoneMsg{token, std::move(result)});
                              });
}

}  // namespace

core::ChannelReply webhook_reply(const net::HttpClientResult& result) {
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
                                                std::shared_ptr<net::HttpClient> client,
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
        if (st.in_flight < st.options.max_in_flight) {
          start(self, token, post);
        } else {
          st.queued.emplace_back(token, std::move(post));
        }
        return promise;
      },
      [self](WebhookDoneMsg& done) {
        auto& st = self->state;
        --st.in_flight;
        if (auto it = st.waiting.find(done.token); it != st.waiting.end()) {
          it->second.deliver(webhook_reply(done.result));
          st.waiting.erase(it);
        }
        if (!st.queued.empty()) {
          auto [token, post] = std::move(st.queued.front());
          st.queued.pop_front();
          start(self, token, post);
        }
      },
  };
}

}  // namespace oncepay::actors
