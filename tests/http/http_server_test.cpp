// Tests for http/http_server.{hpp,cpp}: the HTTP/1.1 transport. They run a
// real server on 127.0.0.1 (port 0) and talk to it over raw sockets, waiting
// for real (short) timeouts where a timeout is what is tested.
#include "http/http_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codec/json.hpp"
#include "http/http_client.hpp"
#include "oncepay.pb.h"

namespace oncepay::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A raw socket must never hang a test: reads give up after this.
constexpr auto kSocketReadTimeout = 3s;
// Long enough for the server to see bytes sent or connections made.
constexpr auto kSettle = 50ms;

// The application's error shape, as the gateway will build it.
HttpResponse make_error(int status, std::string_view code, std::string_view message) {
  v1::ErrorResponse error;
  error.mutable_error()->set_code(std::string(code));
  error.mutable_error()->set_message(std::string(message));
  return HttpResponse{.status = status, .body = codec::to_json(error)};
}

// Answers at once with what it saw.
void echo(HttpRequest request, Responder respond) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.headers.emplace_back("X-Echo-Path", request.path);
  response.body = request.method + " " + request.path + " " + request.query + " " + request.body;
  respond(std::move(response));
}

// A blocking client socket for byte-level control over what is sent.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : socket_(ioc_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, connect_error_);
    if (connect_error_) return;
    timeval tv{.tv_sec = std::chrono::seconds(kSocketReadTimeout).count(), .tv_usec = 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  bool connected() const { return !connect_error_; }

  void send(std::string_view bytes) {
    beast::error_code ignored;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ignored);
  }

  std::optional<http::response<http::string_body>> read_response() {
    http::response<http::string_body> response;
    beast::error_code ec;
    http::read(socket_, buffer_, response, ec);
    if (ec) return std::nullopt;
    return response;
  }

  // A response to a HEAD request: headers only, whatever Content-Length says.
  std::optional<http::response<http::empty_body>> read_head_response() {
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    if (ec) return std::nullopt;
    return parser.release();
  }

  // True when the server closed the connection (EOF or reset) before the
  // read timeout; any bytes before the close are skipped.
  bool closed_by_server() {
    char scratch[1024];
    for (;;) {
      beast::error_code ec;
      socket_.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec) return false;  // timeout
    }
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::error_code connect_error_;
  beast::flat_buffer buffer_;
};

std::string get_request(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra_headers) +
         "\r\n";
}

std::string error_code_of(const http::response<http::string_body>& response) {
  v1::ErrorResponse error;
  std::string parse_error;
  if (!codec::parse_json(response.body(), &error, &parse_error))
    return "unparsable: " + parse_error;
  return error.error().code();
}

// Holds responders for requests the test answers later.
class PendingRequests {
 public:
  Handler handler() {
    return [this](HttpRequest request, Responder respond) {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(request));
      responders_.push_back(std::move(respond));
      changed_.notify_all();
    };
  }

  bool wait_for(size_t count, std::chrono::milliseconds timeout = 2000ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return responders_.size() >= count; });
  }

  Responder responder(size_t i) {
    std::lock_guard lock(mutex_);
    return responders_.at(i);
  }

  HttpRequest request(size_t i) {
    std::lock_guard lock(mutex_);
    return requests_.at(i);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<HttpRequest> requests_;
  std::vector<Responder> responders_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  static HttpServerOptions test_options() {
    HttpServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.read_timeout = 1000ms;
    options.idle_timeout = 1000ms;
    options.drain_timeout = 1000ms;
    return options;
  }

  HttpServer& start(HttpServerOptions options, Handler handler) {
    server_ = std::make_unique<HttpServer>(std::move(options), std::move(handler), make_error);
    std::string error;
    EXPECT_TRUE(server_->start(&error)) << error;
    return *server_;
  }

  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(target);
  }

  bool wait_for_connections(size_t count, std::chrono::milliseconds timeout = 1000ms) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (server_->connections() != count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, BindsAnEphemeralPort) {
  HttpServer& server = start(test_options(), echo);
  EXPECT_NE(server.port(), 0);
}

TEST_F(HttpServerTest, StartTwiceFails) {
  HttpServer& server = start(test_options(), echo);
  std::string error;
  EXPECT_FALSE(server.start(&error));
  EXPECT_FALSE(error.empty());
}

TEST_F(HttpServerTest, BindFailureIsReported) {
  HttpServer& first = start(test_options(), echo);
  HttpServerOptions options = test_options();
  options.port = first.port();
  options.threads = 1;
  HttpServer second(options, echo, make_error);
  std::string error;
  EXPECT_FALSE(second.start(&error));
  EXPECT_NE(error.find("bind"), std::string::npos) << error;
}

TEST_F(HttpServerTest, HeadGetsTheHeadersAndNoBody) {
  HttpServer& server = start(test_options(), echo);
  RawConnection connection(server.port());
  connection.send("HEAD /head-check HTTP/1.1\r\nHost: t\r\n\r\n" + get_request("/next"));
  // The HEAD response carries the Content-Length a GET would get, and no
  // body: the next response on the connection must parse cleanly.
  auto head = connection.read_head_response();
  ASSERT_TRUE(head.has_value());
  EXPECT_NE((*head)[http::field::content_length], "0");
  auto next = connection.read_response();
  ASSERT_TRUE(next.has_value()) << "a body after the HEAD response broke the stream";
  EXPECT_EQ(next->result_int(), 200);
}

TEST_F(HttpServerTest, FillsHttpRequest) {
  PendingRequests pending;
  HttpServer& server = start(test_options(), pending.handler());
  RawConnection connection(server.port());
  connection.send(
      "POST /v1/orders/7/pay?x=1&y=2 HTTP/1.1\r\nHost: t\r\nX-Api-Key: Secret\r\n"
      "Content-Length: 4\r\n\r\nbody");
  ASSERT_TRUE(pending.wait_for(1));
  const HttpRequest request = pending.request(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/orders/7/pay?x=1&y=2");
  EXPECT_EQ(request.path, "/v1/orders/7/pay");
  EXPECT_EQ(request.query, "x=1&y=2");
  EXPECT_EQ(request.header("x-api-key"), "Secret");
  EXPECT_EQ(request.body, "body");
  EXPECT_EQ(request.remote_address, "127.0.0.1");
  pending.responder(0)(HttpResponse{});
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  HttpServer& server = start(test_options(), echo);
  RawConnection connection(server.port());
  connection.send(get_request("/first?a=1"));
  auto first = connection.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result_int(), 200u);
  EXPECT_EQ(first->body(), "GET /first a=1 ");
  EXPECT_TRUE(first->keep_alive());
  EXPECT_EQ((*first)[http::field::server], "oncepay");
  EXPECT_EQ((*first)[http::field::content_type], "text/plain");
  EXPECT_EQ((*first)["X-Echo-Path"], "/first");

  connection.send("POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  auto second = connection.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body(), "POST /second  hi");
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonored) {
  HttpServer& server = start(test_options(), echo);
  RawConnection connection(server.port());
  connection.send(get_request("/", "Connection: close\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, Http10ClosesAfterResponse) {
  HttpServer& server = start(test_options(), echo);
  RawConnection connection(server.port());
  connection.send("GET / HTTP/1.0\r\n\r\n");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "GET /  ");
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, ResponderFromAnotherThreadLater) {
  std::vector<std::thread> workers;
  std::mutex workers_mutex;
  HttpServer& server = start(test_options(), [&](HttpRequest request, Responder respond) {
    std::lock_guard lock(workers_mutex);
    workers.emplace_back([request = std::move(request), respond = std::move(respond)] {
      std::this_thread::sleep_for(50ms);
      respond(HttpResponse{.status = 202, .body = "later " + request.path});
    });
  });
  HttpClientResult result = http_request_blocking("GET", url("/slow"));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 202);
  EXPECT_EQ(result.body, "later /slow");
  server.stop();
  for (auto& worker : workers) worker.join();
}

TEST_F(HttpServerTest, SecondResponderCallIsIgnored) {
  HttpServer& server = start(test_options(), [](HttpRequest, Responder respond) {
    respond(HttpResponse{.body = "one"});
    respond(HttpResponse{.body = "two"});
  });
  RawConnection connection(server.port());
  connection.send(get_request("/a"));
  auto first = connection.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body(), "one");
  connection.send(get_request("/b"));
  auto second = connection.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body(), "one");
}

TEST_F(HttpServerTest, ResponderAfterConnectionGoneIsSafe) {
  PendingRequests pending;
  HttpServer& server = start(test_options(), pending.handler());
  {
    RawConnection connection(server.port());
    connection.send(get_request("/"));
    ASSERT_TRUE(pending.wait_for(1));
  }
  std::this_thread::sleep_for(kSettle);
  pending.responder(0)(HttpResponse{});
  std::this_thread::sleep_for(kSettle);
  EXPECT_EQ(server.connections(), 0u);
}

TEST_F(HttpServerTest, ResponderAfterServerDestroyedIsSafe) {
  PendingRequests pending;
  start(test_options(), pending.handler());
  RawConnection connection(server_->port());
  connection.send(get_request("/"));
  ASSERT_TRUE(pending.wait_for(1));
  server_.reset();  // drains for drain_timeout, then closes
  pending.responder(0)(HttpResponse{});
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, BodyOverLimitGets413) {
  HttpServerOptions options = test_options();
  options.body_limit_bytes = 16;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  connection.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" +
                  std::string(100, 'x'));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_EQ(error_code_of(*response), "payload_too_large");
  EXPECT_EQ((*response)[http::field::content_type], "application/json");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitGets413) {
  HttpServerOptions options = test_options();
  options.body_limit_bytes = 16;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  connection.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" +
                  std::string(32, 'x') + "\r\n0\r\n\r\n");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413u);
}

TEST_F(HttpServerTest, BodyAtLimitIsServed) {
  HttpServerOptions options = test_options();
  options.body_limit_bytes = 16;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  connection.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\n\r\n" +
                  std::string(16, 'x'));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200u);
}

// A large-body route (HttpServerOptions::large_body) streams its body to a
// file up to its own limit, far above body_limit_bytes; a Content-Length is
// held to that limit, not to the ordinary one.
class LargeBodyTest : public HttpServerTest {
 protected:
  HttpServer& start_large(const std::string& path) {
    HttpServerOptions options = test_options();
    options.body_limit_bytes = 16;
    options.large_body =
        [path](const HttpRequest& head) -> std::optional<HttpServerOptions::LargeBody> {
      if (head.path != "/upload") return std::nullopt;
      HttpServerOptions::LargeBody large;
      large.file_path = path;
      large.limit_bytes = 64;
      return large;
    };
    return start(options, [](HttpRequest request, Responder respond) {
      HttpResponse r;
      r.status = 200;
      r.body = request.body_file.empty() ? "inline " + std::to_string(request.body.size())
                                         : "file " + std::to_string(request.body_file_bytes);
      if (!request.body_file.empty()) ::unlink(request.body_file.c_str());
      respond(std::move(r));
    });
  }
  std::string path_ = ::testing::TempDir() + "large-body-" + std::to_string(::getpid());
};

TEST_F(LargeBodyTest, ContentLengthAboveTheOrdinaryLimitIsStreamed) {
  HttpServer& server = start_large(path_);
  RawConnection connection(server.port());
  connection.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n" +
                  std::string(40, 'x'));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200u);
  EXPECT_EQ(response->body(), "file 40");
}

TEST_F(LargeBodyTest, ContentLengthAboveTheRoutesLimitGets413) {
  HttpServer& server = start_large(path_);
  RawConnection connection(server.port());
  connection.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" +
                  std::string(100, 'x'));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_EQ(error_code_of(*response), "payload_too_large");
  EXPECT_NE(response->body().find("64 bytes"), std::string::npos) << response->body();
}

TEST_F(LargeBodyTest, OtherRoutesKeepTheOrdinaryLimit) {
  HttpServer& server = start_large(path_);
  RawConnection connection(server.port());
  connection.send("POST /other HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n" +
                  std::string(40, 'x'));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_NE(response->body().find("16 bytes"), std::string::npos) << response->body();
}

TEST_F(LargeBodyTest, ChunkedBodiesKeepTheirRoutesLimit) {
  HttpServer& server = start_large(path_);
  {
    RawConnection connection(server.port());
    connection.send("POST /other HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" +
                    std::string(32, 'x') + "\r\n0\r\n\r\n");
    auto response = connection.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413u);
  }
  {
    RawConnection connection(server.port());
    connection.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" +
                    std::string(32, 'x') + "\r\n0\r\n\r\n");
    auto response = connection.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200u);
    EXPECT_EQ(response->body(), "file 32");
  }
  {
    RawConnection connection(server.port());
    connection.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" +
                    std::string(80, 'x') + "\r\n0\r\n\r\n");
    auto response = connection.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413u);
  }
}

TEST_F(LargeBodyTest, OtherRoutesBelowTheLimitAreReadInline) {
  HttpServer& server = start_large(path_);
  RawConnection connection(server.port());
  connection.send("POST /other HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n" +
                  std::string(10, 'x'));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200u);
  EXPECT_EQ(response->body(), "inline 10");
}

TEST_F(HttpServerTest, HugeHeadersGet431) {
  HttpServerOptions options = test_options();
  options.header_limit_bytes = 1024;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  connection.send(get_request("/", "X-Big: " + std::string(4096, 'h') + "\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 431u);
  EXPECT_EQ(error_code_of(*response), "headers_too_large");
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, GarbageGets400) {
  HttpServer& server = start(test_options(), echo);
  RawConnection connection(server.port());
  connection.send("this is not http\r\n\r\n");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 400u);
  EXPECT_EQ(error_code_of(*response), "bad_request");
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, IdleTimeoutClosesConnection) {
  HttpServerOptions options = test_options();
  options.idle_timeout = 200ms;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  ASSERT_TRUE(wait_for_connections(1));
  const auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(connection.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1000ms);
  EXPECT_TRUE(wait_for_connections(0));
}

TEST_F(HttpServerTest, IdleTimeoutClosesKeptAliveConnection) {
  HttpServerOptions options = test_options();
  options.idle_timeout = 200ms;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  connection.send(get_request("/"));
  ASSERT_TRUE(connection.read_response());
  EXPECT_TRUE(connection.closed_by_server());
}

TEST_F(HttpServerTest, ReadTimeoutClosesTricklingClient) {
  HttpServerOptions options = test_options();
  options.read_timeout = 200ms;
  options.idle_timeout = 5000ms;
  HttpServer& server = start(options, echo);
  RawConnection connection(server.port());
  const auto began = std::chrono::steady_clock::now();
  connection.send("GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(100ms);
  connection.send("Host: t\r\n");  // still trickling when read_timeout ends
  EXPECT_TRUE(connection.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1000ms);
}

TEST_F(HttpServerTest, ConnectionCapClosesIdlestToServeNewClient) {
  HttpServerOptions options = test_options();
  options.max_connections = 4;
  HttpServer& server = start(options, echo);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (size_t i = 0; i < options.max_connections; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(wait_for_connections(i + 1));
  }
  HttpClientResult result = http_request_blocking("GET", url("/served"));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(idle.front()->closed_by_server());  // the one idle longest
  EXPECT_LE(server.connections(), options.max_connections);
}

TEST_F(HttpServerTest, ConnectionCapAnswers503WhenAllBusy) {
  HttpServerOptions options = test_options();
  options.max_connections = 1;
  PendingRequests pending;
  HttpServer& server = start(options, pending.handler());
  RawConnection busy(server.port());
  busy.send(get_request("/busy"));
  ASSERT_TRUE(pending.wait_for(1));

  RawConnection rejected(server.port());
  rejected.send(get_request("/new"));
  auto refusal = rejected.read_response();
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->result_int(), 503u);
  EXPECT_EQ(error_code_of(*refusal), "overloaded");
  EXPECT_TRUE(rejected.closed_by_server());

  pending.responder(0)(HttpResponse{.body = "done"});
  auto answer = busy.read_response();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body(), "done");
}

TEST_F(HttpServerTest, StopDrainsInFlightRequestThenRefusesConnections) {
  PendingRequests pending;
  HttpServer& server = start(test_options(), pending.handler());
  RawConnection in_flight(server.port());
  in_flight.send(get_request("/slow"));
  ASSERT_TRUE(pending.wait_for(1));

  const uint16_t port = server.port();
  std::thread stopper([&] { server.stop(); });
  std::this_thread::sleep_for(kSettle);
  pending.responder(0)(HttpResponse{.body = "finished"});
  auto response = in_flight.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "finished");
  EXPECT_FALSE(response->keep_alive());
  stopper.join();

  RawConnection late(port);
  EXPECT_FALSE(late.connected());
  server.stop();  // idempotent
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsAtOnce) {
  HttpServer& server = start(test_options(), echo);
  RawConnection idle(server.port());
  ASSERT_TRUE(wait_for_connections(1));
  const auto began = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 500ms);
  EXPECT_TRUE(idle.closed_by_server());
}

TEST_F(HttpServerTest, RequestCompletedDuringDrainGets503) {
  HttpServer& server = start(test_options(), echo);
  RawConnection connection(server.port());
  connection.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nab");
  std::this_thread::sleep_for(kSettle);
  std::thread stopper([&] { server.stop(); });
  std::this_thread::sleep_for(kSettle);
  connection.send("cde");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 503u);
  EXPECT_EQ(error_code_of(*response), "shutting_down");
  stopper.join();
}

TEST_F(HttpServerTest, StopGivesUpAfterDrainTimeout) {
  HttpServerOptions options = test_options();
  options.drain_timeout = 200ms;
  PendingRequests pending;
  HttpServer& server = start(options, pending.handler());
  RawConnection stuck(server.port());
  stuck.send(get_request("/never"));
  ASSERT_TRUE(pending.wait_for(1));
  const auto began = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1000ms);
  EXPECT_TRUE(stuck.closed_by_server());
  pending.responder(0)(HttpResponse{});  // after stop: ignored
}

TEST_F(HttpServerTest, ManyConcurrentClients) {
  HttpServer& server = start(test_options(), echo);
  constexpr std::size_t kClients = 32;
  std::vector<std::future<HttpClientResult>> results;
  for (std::size_t i = 0; i < kClients; ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      return http_request_blocking("POST", url("/c"), {}, std::to_string(i));
    }));
  }
  for (std::size_t i = 0; i < kClients; ++i) {
    HttpClientResult result = results[i].get();
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.body, "POST /c  " + std::to_string(i));
  }
  EXPECT_TRUE(wait_for_connections(0));
  (void)server;
}

}  // namespace
}  // namespace oncepay::http
