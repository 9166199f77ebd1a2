// The engine's `sim` channel adapter: the one channel interface
// (channels/channel_actor.hpp) served over HTTP by a remote wallet channel,
// the `oncepay-channel-sim` simulator (docs/CHANNEL_SIM.md; wire format in
// channels/sim/sim_protocol.hpp).
//
// A pool of channel actors (round robin) does the calls with an
// asynchronous http::HttpClient; a worker never blocks: it sends the request,
// keeps the response promise, and answers when the client's callback (on an
// I/O thread) sends it the result as a message. Guarantees:
// - Every call is answered within `timeout` (plus scheduling jitter): a hung
//   or unreachable channel gives kUnavailable, never a stuck worker or order.
// - query, close, reverse and refund (idempotent at the channel) are retried
//   on transport failures and on 503/504 answers, with exponential backoff,
//   while the timeout budget lasts. prepay is never retried here: its unknown
//   outcome goes back to the engine (UNKNOWN attempt, resolved by query).
// - A circuit breaker (channels/breaker.hpp) per SimChannel: `breaker_failures` calls in a row that
//   got no HTTP answer at all (connect error, timeout) open it; while open,
//   calls fail fast with kUnavailable "circuit open"; after `breaker_open`
//   one probe call is let through (half-open): its success closes the
//   breaker, its failure opens it again. HTTP answers of any status count as
//   success: the channel is reachable, and injected 503s are its business.
// - Answers are checked: a bad signature (when verify_answers) or a body the
//   protocol does not allow is kUnavailable (outcome unknown), never trusted.
//
// Threads: the constructor and destructor from a non-actor thread (the
// daemon's main); actor() and breaker_state() from any thread. The object
// must outlive the calls made through actor(); the destructor stops the pool
// and the client (calls in flight get "client stopped" -> kUnavailable, or a
// broken promise if their worker is already gone).
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "channels/channel_actor.hpp"

namespace oncepay::channels::sim {

struct SimChannelOptions {
  std::string url;     // the simulator's base URL, e.g. "http://127.0.0.1:9100"
  std::string secret;  // shared with the simulator: signs requests, checks answers
  std::string name = "sim";
  std::chrono::milliseconds timeout{3000};  // whole call, retries included
  size_t workers = 2;                       // channel actors in the pool
  int io_threads = 1;                       // HttpClient threads
  // Retries (query, close, reverse, refund): at most `max_attempts` HTTP
  // requests per call; the n-th retry waits retry_backoff * 2^(n-1), at most
  // max_backoff, and only if it can start before the timeout.
  int max_attempts = 3;
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds max_backoff{1000};
  // Circuit breaker.
  int breaker_failures = 5;                      // calls in a row without an answer
  std::chrono::milliseconds breaker_open{5000};  // open -> half-open
  bool verify_answers = true;                    // check the answers' signatures
  int64_t signature_tolerance_s = 300;
};

// Empty when usable, else what is wrong ("url must start with http://", ...).
std::string validate(const SimChannelOptions& options);

class SimChannel {
 public:
  // Checks validate(options) (a programmer error to pass invalid ones).
  SimChannel(caf::actor_system& system, SimChannelOptions options);
  ~SimChannel();

  SimChannel(const SimChannel&) = delete;
  SimChannel& operator=(const SimChannel&) = delete;

  // The engine's handle on the channel (a pool of channel actors).
  channel_actor actor() const { return pool_; }

  // "closed", "open" or "half-open", for /readyz detail and metrics.
  std::string breaker_state() const;
  // How often the breaker opened since start (a metrics counter).
  uint64_t breaker_opened_total() const;

  struct Shared;  // options, client, breaker: outlives the actors using it

 private:
  std::shared_ptr<Shared> shared_;
  channel_actor pool_;
};

}  // namespace oncepay::channels::sim
