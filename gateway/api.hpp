// The HTTP API of docs/API.md as a request-to-response function: routing
// (a table of small handlers, gateway/routes.hpp), authentication, JSON
// decoding and validation, then one engine call, then the engine's answer as
// JSON. It does no socket I/O (http/http_server.hpp moves the bytes), so
// tests and the built-in sandbox's notifier call handle() directly.
//
// Thread-safety: handle() may be called from any thread concurrently; the
// responder runs on the calling thread or on a CAF worker.
// Failure modes: every refusal is an API.md error body; a rejected request
// never reaches the engine, so it changes nothing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/engine.hpp"
#include "http/http_types.hpp"

namespace oncepay::gateway {

class Metrics;

// The circuit breaker of a network channel, for /readyz and /metrics.
struct ChannelHealth {
  std::string channel;
  std::string breaker;  // "closed" | "open" | "half-open"
  uint64_t breaker_opened_total = 0;
};

struct ApiOptions {
  std::string admin_token;
  bool sandbox_enabled = true;
  // Callback signing secret per channel name.
  std::map<std::string, std::string, std::less<>> channel_secrets;
  int64_t signature_tolerance_s = 300;
  // Network channels' breakers (empty when there are none). Any thread.
  std::function<std::vector<ChannelHealth>()> channel_health;
};

class Api {
 public:
  Api(actors::Engine& engine, ApiOptions options);
  ~Api();

  void handle(http::HttpRequest request, http::Responder respond);

  // The API.md error shape; also the HTTP server's ErrorFactory.
  static http::HttpResponse error(int status, std::string_view code, std::string_view message);

  Metrics& metrics() { return *metrics_; }

 private:
  // Runs the checks of Access in order, then the route table's handler;
  // *route is set to the matched pattern (the metrics label).
  void dispatch(const http::HttpRequest& request, http::Responder respond, std::string* route);

  actors::Engine& engine_;
  ApiOptions options_;
  // Shared with in-flight callbacks, which may complete after the Api is gone.
  std::shared_ptr<Metrics> metrics_;
};

}  // namespace oncepay::gateway
