// HttpClient: a small asynchronous HTTP/1.1 client (Boost.Beast over Asio)
// for outgoing calls: merchant webhooks, the channel simulator, tests.
//
// Plain http:// only (no TLS yet). One connection per request, sent with
// `Connection: close`; no pooling. Every request is bounded: resolving and
// connecting by connect_timeout, writing the request and reading the whole
// response by request_timeout, the response body by body_limit_bytes.
//
// Threads: request() may be called from any thread. `done` is called exactly
// once, on one of the client's I/O threads, except when the URL is invalid or
// the client is stopped: then it is called on the calling thread before
// request() returns. `done` must not block and must not call stop().
//
// Failure modes are values: HttpClientResult::ok is false, with a readable
// `error`, on an invalid URL, resolve/connect/write/read errors, timeouts, a
// malformed or oversized response, and requests cut short by stop(). Any HTTP
// status, 4xx and 5xx included, is ok == true.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace oncepay::net {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{3000};  // resolve + TCP connect
  std::chrono::milliseconds request_timeout{5000};  // write request + read response
  size_t body_limit_bytes = 1 << 20;                // response body
};

struct HttpClientResult {
  bool ok = false;    // false on connect/timeout/protocol errors
  std::string error;  // why, when !ok
  int status = 0;     // HTTP status, when ok
  std::string body;
  // Header names lower-cased; values as received.
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options, int threads = 1);
  ~HttpClient();  // runs stop()

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method` `url` (http://host[:port]/path?query) with `headers`
  // (Host, Content-Length, Connection and User-Agent are set by the client)
  // and `body`, then calls `done` with the outcome.
  void request(std::string method, std::string url,
               std::vector<std::pair<std::string, std::string>> headers, std::string body,
               std::function<void(HttpClientResult)> done);

  // Cancels requests in flight (their `done` gets ok == false, "client
  // stopped"), then joins the I/O threads. A request whose name resolution
  // cannot be interrupted may never call `done`. Idempotent. Not from `done`.
  void stop();

  class Impl;  // in http_client.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

// Blocking convenience, mostly for tests: one request on a temporary client
// whose connect and request timeouts are both `timeout`, so the call returns
// within about twice `timeout`.
HttpClientResult http_request_blocking(
    std::string method, std::string url,
    std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

}  // namespace oncepay::net
