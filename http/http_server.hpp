// HttpServer: the HTTP/1.1 transport of the gateway (Boost.Beast over Asio).
// It only moves bytes: it parses requests into HttpRequest, hands them to the
// application's Handler and writes back the HttpResponse it is given. The
// only responses it makes up itself are transport errors, built through the
// application's ErrorFactory so that they share the API's JSON error shape:
//   400 bad_request        unparsable HTTP
//   413 payload_too_large  body over body_limit_bytes
//   431 headers_too_large  request line + headers over header_limit_bytes
//   503 overloaded         new connection while at max_connections (see below)
//   503 shutting_down      request completed while stop() is draining
// Each of these is sent with `Connection: close`, then the connection closes.
//
// Threads: `threads` I/O threads run one io_context; each connection runs on
// its own strand. The Handler is called on that strand and must not block or
// throw; it may answer at once or later. The Responder may be called from any
// thread, exactly once (later calls are ignored); it posts back to the
// connection's strand. Calling it after the connection closed or after stop()
// is safe and does nothing. A handler that never answers holds its connection
// until stop() (or the peer closes and a later write fails).
//
// Connections: one request at a time (no pipelining); the next request is read
// only after the response is written. Keep-alive follows HTTP/1.1 (HTTP/1.0
// and `Connection: close` close after the response). Timeouts:
// - idle_timeout bounds waiting for the first byte of a request (a fresh
//   connection or a kept-alive one);
// - read_timeout bounds reading one whole request from its first byte (this
//   is what closes trickling slow-loris clients), and also writing a response.
// A timed-out connection is closed without a response.
//
// The connection cap: every open connection counts toward max_connections,
// idle ones included. When a new connection arrives at the cap, the server
// closes the connection that has been idle (waiting for a request's first
// byte) the longest and serves the new one; only when every connection is in
// a request (reading, in the handler, or writing) is the new one answered 503
// overloaded and closed. Existing connections are never disturbed by this.
// Closing an idle keep-alive connection is allowed by HTTP/1.1; a client that
// sent a request into that race sees the connection close and may retry.
//
// TLS (optional): with tls_cert_file and tls_key_file set, every connection
// is HTTPS (TLS 1.2 or later, no compression) and served exactly as above once
// its handshake completes. The handshake is bounded by read_timeout and counts
// as idle for the connection cap. A plain-HTTP client on a TLS port gets no
// HTTP response: its handshake fails and the connection closes. Closing a
// connection whose handshake completed sends close_notify and waits briefly
// for the peer's. The files are read once, by start().
//
// Lifetime: start() once, then stop() (idempotent; also run by the
// destructor). stop() must not be called from an I/O thread (it joins them),
// e.g. not from inside the Handler. A stopped server cannot be restarted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_types.hpp"

namespace oncepay::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an address or a name resolved at start()
  uint16_t port = 8080;            // 0: any free port, see HttpServer::port()
  int threads = 1;                 // I/O threads
  size_t max_connections = 1024;
  size_t header_limit_bytes = 8 * 1024;  // request line and headers
  size_t body_limit_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{10000};   // one request, from its first byte
  std::chrono::milliseconds idle_timeout{60000};   // waiting for the next request
  std::chrono::milliseconds drain_timeout{10000};  // stop() waits this long for requests
  // TLS: both empty serves plain HTTP; both set serves HTTPS only.
  std::string tls_cert_file;  // PEM: the certificate, then any intermediates
  std::string tls_key_file;   // PEM: its private key, unencrypted
  // Routes whose body may be far larger than body_limit_bytes (a statement
  // upload): called on an I/O thread with the request's line and headers
  // (body empty) once they are read; a LargeBody streams the body to that
  // file (created 0600, never overwriting one) within its limit and time,
  // and the handler gets HttpRequest::body_file. nullopt: the ordinary
  // limits. Must not block. Unset: every request has the ordinary limits.
  struct LargeBody {
    std::string file_path;
    uint64_t limit_bytes = 0;
    std::chrono::milliseconds read_timeout{600'000};
  };
  std::function<std::optional<LargeBody>(const HttpRequest& head)> large_body;
};

// Builds the response for a transport-level error, e.g.
// (413, "payload_too_large", "request body exceeds 65536 bytes").
// Called on I/O threads; must not block or throw.
using ErrorFactory =
    std::function<HttpResponse(int status, std::string_view code, std::string_view message)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler, ErrorFactory make_error);
  ~HttpServer();  // runs stop()

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS files if any, binds, listens and starts the I/O threads.
  // False with *error (may be null) when only one of the TLS files is set, a
  // TLS file cannot be read or used (the error names it), the address cannot
  // be resolved or bound, or when called twice.
  bool start(std::string* error);

  // The bound port (the real one when options.port was 0); 0 before start().
  uint16_t port() const;

  // Stops accepting (new connections are refused by the OS), closes idle
  // connections, lets requests in flight finish for up to drain_timeout
  // (requests that complete reading meanwhile get 503 shutting_down), then
  // closes whatever is left and joins the I/O threads. Idempotent.
  void stop();

  // Open connections, idle ones included.
  size_t connections() const;

  class Impl;  // in http_server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncepay::http
