// HttpClient: a small asynchronous HTTP/1.1 client (Boost.Beast over Asio)
// for outgoing calls: merchant webhooks, the channel simulator, tests.
//
// http:// and https:// (TLS over OpenSSL). Every request is bounded:
// resolving, connecting and, for https, the TLS handshake together by
// connect_timeout; writing the request and reading the whole response by
// request_timeout; the response body by body_limit_bytes.
//
// TLS (https:// URLs): TLS 1.2 or later; SNI with the URL's host name (not
// for IP literals, RFC 6066); the server's certificate chain must verify
// against the system trust store (OpenSSL's default paths) plus, when set,
// the PEM certificates of HttpClientOptions::tls_ca_file; and its
// subjectAltName (or CN) must match the URL's host (a name, or an IP
// address). A failed verification is an ordinary failed request whose
// error says why, e.g. "tls handshake shop.example:443: certificate
// verification failed (hostname mismatch)". There is no way to switch
// verification off. The TLS configuration is loaded on the first https://
// request; when tls_ca_file cannot be used every https:// request fails
// naming it (check_tls_client_options() tells up front). The client closes
// a TLS connection without close_notify: it does so only between requests
// or after a failure, and its requests are framed by Content-Length, so a
// server cannot take the close for a truncated request.
//
// Keep-alive pool (HttpClientOptions::keep_alive, on by default): per
// (scheme, host, port) the client keeps up to max_idle_per_host idle
// connections and a request takes the most recently used one before opening
// a new one (for https, a reused connection skips the handshake). One
// request at a time per connection (no pipelining); the number of open
// connections is not capped, only the idle ones. A connection goes back to
// the pool after a complete response unless the server answered
// `Connection: close` (or HTTP/1.0 without keep-alive), an error or timeout
// occurred, or the client is stopping. Idle connections are closed after
// idle_timeout, or as soon as the server closes them (the client watches
// them while idle). Keep idle_timeout below the server's own idle timeout.
//
// Stale connections (the server closed a pooled connection while it was
// idle, or in a race with the request being sent):
// - Before a pooled connection is reused, the client checks without
//   blocking that the server has not closed it (and sent nothing
//   unsolicited); a dead one is closed and a fresh connection is opened.
//   Nothing was sent, so this is always safe.
// - If a reused connection still fails, the request is retried ONCE on a
//   fresh connection when no byte of a response was received, the failure
//   was not a timeout and either the request was not completely written
//   (the server cannot have acted on an incomplete request) or the request
//   is safe to repeat: method GET, HEAD, OPTIONS, TRACE, PUT or DELETE, or an
//   `Idempotency-Key` header. A POST (or PATCH) without that header whose
//   bytes were all written gets ok == false instead: the server may have
//   processed it, so whether to repeat it is the caller's decision (the
//   `sim` channel adapter retries query/close/refund itself and turns a
//   prepay into an unknown outcome). Requests on fresh connections are never
//   retried. A retried request gets connect_timeout and request_timeout
//   afresh, after a failure that is typically immediate (EOF or reset).
//
// Threads: request() may be called from any thread. `done` is called exactly
// once, on one of the client's I/O threads, except when the URL is invalid or
// the client is stopped: then it is called on the calling thread before
// request() returns. `done` must not block and must not call stop().
//
// Failure modes are values: HttpClientResult::ok is false, with a readable
// `error`, on an invalid URL, resolve/connect/TLS/write/read errors (an
// untrusted certificate or a host name mismatch included), timeouts, a
// malformed or oversized response, and requests cut short by stop(). Any HTTP
// status, 4xx and 5xx included, is ok == true.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oncepay::http {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{3000};  // resolve + TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{5000};  // write request + read response
  size_t body_limit_bytes = 1 << 20;                // response body
  // Keep-alive pool; keep_alive == false sends `Connection: close` and opens
  // one connection per request.
  bool keep_alive = true;
  size_t max_idle_per_host = 16;                  // idle connections kept per (scheme, host, port)
  std::chrono::milliseconds idle_timeout{30000};  // an idle connection is closed after this
  // https:// only: a PEM file of further CA certificates to trust, on top of
  // the system trust store (a private CA, a test's throwaway CA). Empty: the
  // system trust store alone.
  std::string tls_ca_file;
};

struct HttpClientResult {
  bool ok = false;    // false on connect/timeout/protocol errors
  std::string error;  // why, when !ok
  int status = 0;     // HTTP status, when ok
  std::string body;
  // Header names lower-cased; values as received.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Every field, for the actor messages that carry a result (CAF finds this by
// argument-dependent lookup; http/ itself does not depend on CAF).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, HttpClientResult& x) {
  return f(x.ok, x.error, x.status, x.body, x.headers);
}

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options, int threads = 1);
  ~HttpClient();  // runs stop()

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method` `url` (http[s]://host[:port]/path?query) with `headers`
  // (Host, Content-Length, Connection and User-Agent are set by the client)
  // and `body`, then calls `done` with the outcome.
  void request(std::string method, std::string url,
               std::vector<std::pair<std::string, std::string>> headers, std::string body,
               std::function<void(HttpClientResult)> done);

  // Cancels requests in flight (their `done` gets ok == false, "client
  // stopped"), joins the I/O threads and closes the idle pooled connections.
  // A request whose name resolution cannot be interrupted may never call
  // `done`. Idempotent. Not from `done`.
  void stop();

  // Idle pooled connections, all hosts together. Any thread.
  size_t idle_connections() const;

  class Impl;  // in http_client.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

// request() takes exactly the URLs is_http_url() (http/url.hpp) accepts.

// Empty when the TLS settings of `options` are usable, else why not, naming
// the file (e.g. a tls_ca_file that is missing or holds no certificate). For
// a daemon to refuse such a configuration at startup rather than fail every
// https:// request later. Any thread.
std::string check_tls_client_options(const HttpClientOptions& options);

// Blocking convenience, mostly for tests: one request on a temporary client
// (so no connection reuse) whose connect and request timeouts are both
// `timeout`, so the call returns within about twice `timeout`.
HttpClientResult http_request_blocking(
    std::string method, std::string url,
    std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

}  // namespace oncepay::http
