#include "channels/sim/sim_actor.hpp"

#include <algorithm>
#include <unordered_map>

#include "channels/breaker.hpp"
#include "channels/network.hpp"
#include "channels/sim/sim_protocol.hpp"
#include "core/check.hpp"
#include "core/wall_clock.hpp"
#include "http/http_client.hpp"

namespace oncepay::channels::sim {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A worker's messages to itself: an HTTP attempt's result (sent from the
// client's I/O thread), a call's deadline, a retry after backoff.
struct SimAttemptDone {
  uint64_t call_id = 0;
  int attempt = 0;
  http::HttpClientResult result;
};

struct SimCallDeadline {
  uint64_t call_id = 0;
};

struct SimCallRetry {
  uint64_t call_id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, SimAttemptDone& x) {
  return f(caf::meta::type_name("oncepay.SimAttemptDone"), x.call_id, x.attempt, x.result);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, SimCallDeadline& x) {
  return f(caf::meta::type_name("oncepay.SimCallDeadline"), x.call_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, SimCallRetry& x) {
  return f(caf::meta::type_name("oncepay.SimCallRetry"), x.call_id);
}

}  // namespace

// ---------------------------------------------------------------- options

std::string validate(const SimChannelOptions& o) {
  if (o.url.rfind("http://", 0) != 0 || o.url.size() <= 7) return "url must be http://HOST:PORT";
  if (o.secret.empty()) return "secret must not be empty";
  if (o.name.empty()) return "name must not be empty";
  if (o.timeout <= milliseconds::zero()) return "timeout must be positive";
  if (o.workers < 1) return "workers must be at least 1";
  if (o.io_threads < 1) return "io_threads must be at least 1";
  if (o.max_attempts < 1) return "max_attempts must be at least 1";
  if (o.retry_backoff < milliseconds::zero() || o.max_backoff < o.retry_backoff) {
    return "retry_backoff must be in [0, max_backoff]";
  }
  if (o.breaker_failures < 1) return "breaker_failures must be at least 1";
  if (o.breaker_open < milliseconds::zero()) return "breaker_open must not be negative";
  return {};
}

// ----------------------------------------------------------------- shared

struct SimChannel::Shared {
  SimChannelOptions options;
  http::HttpClient client;
  mutable std::mutex breaker_mutex;
  CircuitBreaker breaker;  // guarded by breaker_mutex

  explicit Shared(SimChannelOptions o)
      : options(std::move(o)),
        client(call_client_options(options.timeout, kMaxBodyBytes), options.io_threads),
        breaker(options.breaker_failures, options.breaker_open.count()) {}

  bool admit() {
    std::lock_guard lock(breaker_mutex);
    return breaker.allow(steady_now_ms());
  }

  // answered: the channel gave an HTTP answer (of any status) to the call's
  // last attempt; false for connect errors and timeouts.
  void report(bool answered) {
    std::lock_guard lock(breaker_mutex);
    if (answered) {
      breaker.on_success();
    } else {
      breaker.on_failure(steady_now_ms());
    }
  }
};

namespace {

bool retryable(core::ChannelOp op) { return op != core::ChannelOp::kPrepay; }

core::ChannelReply unavailable(std::string detail) {
  core::ChannelReply reply;
  reply.outcome = core::ChannelOutcome::kUnavailable;
  reply.detail = std::move(detail);
  return reply;
}

std::string_view header_of(const http::HttpClientResult& result, std::string_view lower_name) {
  for (const auto& [name, value] : result.headers) {
    if (name == lower_name) return value;
  }
  return {};
}

struct PendingCall {
  core::ChannelCall call;
  caf::typed_response_promise<core::ChannelReply> promise;
  WireRequest wire;
  int attempts = 0;  // HTTP requests started
  Clock::time_point deadline;
};

struct WorkerState {
  std::unordered_map<uint64_t, PendingCall> calls;
  uint64_t next_id = 1;
  static inline const char* name = "sim_channel_worker";
};

using Worker = caf::stateful_actor<WorkerState>;
using SharedPtr = std::shared_ptr<SimChannel::Shared>;

void finish(Worker* self, const SharedPtr& shared, uint64_t id, core::ChannelReply reply,
            bool answered) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end()) return;
  // The breaker learns first: whoever gets the reply sees its new state.
  shared->report(answered);
  it->second.promise.deliver(std::move(reply));
  self->state.calls.erase(it);
}

void start_attempt(Worker* self, const SharedPtr& shared, uint64_t id) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end()) return;
  PendingCall& p = it->second;
  const int attempt = ++p.attempts;
  const auto& o = shared->options;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"X-Channel-Signature",
       sign_request(o.secret, core::unix_seconds(), p.wire.method, p.wire.path, p.wire.body)},
  };
  caf::weak_actor_ptr weak{self->ctrl()};
  // The callback runs on an I/O thread (or here, when the client is stopped):
  // it only hands the result to the worker's mailbox.
  shared->client.request(p.wire.method, o.url + p.wire.path, std::move(headers), p.wire.body,
                         [weak, id, attempt](http::HttpClientResult result) {
                           auto strong = weak.lock();
                           if (!strong) return;
                           caf::anon_send(caf::actor_cast<caf::actor>(strong),
                                          SimAttemptDone{id, attempt, std::move(result)});
                         });
}

// After a failed attempt: another one after backoff if the op is retryable
// and it can start within the budget, else `reply` is the answer.
void retry_or_finish(Worker* self, const SharedPtr& shared, uint64_t id, core::ChannelReply reply,
                     bool answered) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end()) return;
  PendingCall& p = it->second;
  const auto& o = shared->options;
  if (retryable(p.call.op) && p.attempts < o.max_attempts) {
    auto backoff = o.retry_backoff * (int64_t{1} << std::min(p.attempts - 1, 20));
    backoff = std::min(backoff, o.max_backoff);
    if (Clock::now() + backoff < p.deadline) {
      self->delayed_send(self, backoff, SimCallRetry{id});
      return;
    }
  }
  finish(self, shared, id, std::move(reply), answered);
}

void on_attempt_done(Worker* self, const SharedPtr& shared, SimAttemptDone& done) {
  auto it = self->state.calls.find(done.call_id);
  if (it == self->state.calls.end() || it->second.attempts != done.attempt) return;  // late
  PendingCall& p = it->second;
  const auto& o = shared->options;
  const auto& r = done.result;
  if (!r.ok) {
    return retry_or_finish(self, shared, done.call_id,
                           unavailable("channel unreachable: " + r.error), false);
  }
  if (o.verify_answers) {
    auto check = verify_response(o.secret, header_of(r, kSignatureHeader), r.status, p.wire.path,
                                 r.body, core::unix_seconds(), o.signature_tolerance_s);
    if (check != core::SignatureCheck::kOk) {
      return finish(self, shared, done.call_id,
                    unavailable(std::string("answer signature ")
                                    .append(core::to_string(check))
                                    .append(" (HTTP ")
                                    .append(std::to_string(r.status))
                                    .append(")")),
                    true);
    }
  }
  CallAnswer answer;
  std::string why;
  if (!decode_answer(p.call, r.status, r.body, &answer, &why)) {
    return finish(self, shared, done.call_id, unavailable("unexpected answer: " + why), true);
  }
  auto reply = to_reply(p.call.op, answer);
  if (answer.outcome == CallOutcome::kUnavailable || answer.outcome == CallOutcome::kTimeout) {
    return retry_or_finish(self, shared, done.call_id, std::move(reply), true);
  }
  finish(self, shared, done.call_id, std::move(reply), true);
}

caf::behavior worker_impl(Worker* self, SharedPtr shared) {
  return {
      [self, shared](core::ChannelCall& call) {
        auto promise = self->make_response_promise<core::ChannelReply>();
        if (!shared->admit()) {
          promise.deliver(
              unavailable("circuit open: channel " + shared->options.name + " failed repeatedly"));
          return promise;
        }
        const uint64_t id = self->state.next_id++;
        PendingCall p;
        p.wire = encode_call(call);
        p.call = std::move(call);
        p.promise = promise;
        p.deadline = Clock::now() + shared->options.timeout;
        self->state.calls.emplace(id, std::move(p));
        self->delayed_send(self, shared->options.timeout, SimCallDeadline{id});
        start_attempt(self, shared, id);
        return promise;
      },
      [self, shared](SimAttemptDone& done) { on_attempt_done(self, shared, done); },
      [self, shared](const SimCallRetry& retry) { start_attempt(self, shared, retry.call_id); },
      [self, shared](const SimCallDeadline& deadline) {
        finish(self, shared, deadline.call_id,
               unavailable(std::string("no answer within ")
                               .append(std::to_string(shared->options.timeout.count()))
                               .append(" ms")),
               false);
      },
  };
}

}  // namespace

// ------------------------------------------------------------- SimChannel

SimChannel::SimChannel(caf::actor_system& system, SimChannelOptions options) {
  ONCEPAY_CHECK(validate(options).empty());
  while (options.url.size() > 7 && options.url.back() == '/') options.url.pop_back();
  shared_ = std::make_shared<Shared>(std::move(options));
  auto shared = shared_;
  auto factory = [shared, &system] { return system.spawn(worker_impl, shared); };
  pool_ = caf::actor_cast<channel_actor>(caf::actor_pool::make(system.dummy_execution_unit(),
                                                               shared_->options.workers, factory,
                                                               caf::actor_pool::round_robin()));
}

SimChannel::~SimChannel() {
  caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  shared_->client.stop();
}

std::string SimChannel::breaker_state() const {
  std::lock_guard lock(shared_->breaker_mutex);
  return std::string(to_string(shared_->breaker.state(steady_now_ms())));
}

uint64_t SimChannel::breaker_opened_total() const {
  std::lock_guard lock(shared_->breaker_mutex);
  return shared_->breaker.times_opened();
}

}  // namespace oncepay::channels::sim
