// The HTTP API of docs/API.md as a request-to-response function: routing
// (a table of small handlers, gateway/routes.hpp), authentication, JSON
// decoding and validation, then one engine call, then the engine's answer as
// JSON. It does no socket I/O (http/http_server.hpp moves the bytes), so
// tests and the built-in sandbox's notifier call handle() directly. The
// channels come from a channels::ChannelRegistry: the notify route hands a
// channel's callback to its decoder, the channel's own routes (such as the
// sandbox's /sandbox/...) are served after the readiness checks, and their
// health goes into /readyz and /metrics. No channel is named here.
//
// Thread-safety: handle() may be called from any thread concurrently; the
// responder runs on the calling thread or on a CAF worker.
// Failure modes: every refusal is an API.md error body; a rejected request
// never reaches the engine, so it changes nothing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/engine.hpp"
#include "actors/reconciler.hpp"
#include "channels/registry.hpp"
#include "gateway/admin_access.hpp"
#include "gateway/routes.hpp"
#include "http/http_server.hpp"
#include "http/http_types.hpp"

namespace oncepay::gateway {

class Metrics;

struct ApiOptions {
  // admin.token: the operator "admin" (role admin), besides admin.operators.
  std::string admin_token;
  // Reconciliation (docs/RECONCILIATION.md); null: its routes answer 503.
  actors::Reconciler* reconciler = nullptr;
  // The operators, sessions and audit log of /admin (its admin_token is
  // taken from the field above).
  AdminAccessOptions admin;
};

class Api {
 public:
  // The registry must outlive the Api. A channel route under a prefix of
  // the API's own (v1, admin, healthz, readyz, metrics) is a programmer
  // error.
  Api(actors::Engine& engine, const channels::ChannelRegistry& channels, ApiOptions options);
  ~Api();

  void handle(http::HttpRequest request, http::Responder respond);

  // The HTTP server's large-body hook (http::HttpServerOptions::large_body):
  // a statement upload (POST /admin/reconciliations with a query: the JSON
  // fetch form has none) by an operator who may start a run streams to a file of the reconciler's
  // work dir, up to recon.max-statement-bytes. Anything else: nullopt.
  std::optional<http::HttpServerOptions::LargeBody> large_body(const http::HttpRequest& head) const;

  // The API.md error shape; also the HTTP server's ErrorFactory.
  static http::HttpResponse error(int status, std::string_view code, std::string_view message);

  Metrics& metrics() { return *metrics_; }
  AdminAccess& admin() { return *admin_; }

 private:
  // Runs the checks of Access in order, then the route table's handler;
  // *route is set to the matched pattern (the metrics label).
  void dispatch(const http::HttpRequest& request, http::Responder respond, std::string* route);

  actors::Engine& engine_;
  const channels::ChannelRegistry& channels_;
  // The channels' own routes (pointing into the registry), looked up like
  // the API's table.
  std::vector<Route<const channels::ChannelRoute*>> channel_routes_;
  ApiOptions options_;
  // Shared with in-flight callbacks, like metrics_.
  std::shared_ptr<AdminAccess> admin_;
  // Shared with in-flight callbacks, which may complete after the Api is gone.
  std::shared_ptr<Metrics> metrics_;
};

}  // namespace oncepay::gateway
