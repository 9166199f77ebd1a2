// Tests for http/http_client.{hpp,cpp}: requests against a real HttpServer on
// 127.0.0.1 (port 0), failures as values, timeouts and stop(); the keep-alive
// pool against CountingServer, a tiny synchronous Beast server that counts
// accepted connections and closes them on cue.
#include "http/http_client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server.hpp"

namespace oncepay::http {
namespace {

using namespace std::chrono_literals;

HttpResponse make_error(int status, std::string_view code, std::string_view message) {
  return HttpResponse{.status = status, .body = std::string(code) + ": " + std::string(message)};
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.drain_timeout = 100ms;
    server_ = std::make_unique<HttpServer>(
        options, [this](HttpRequest request, Responder respond) { handle(request, respond); },
        make_error);
    std::string error;
    ASSERT_TRUE(server_->start(&error)) << error;
  }

  void TearDown() override { server_->stop(); }

  // /echo answers with what it saw; /status/N answers N; /big answers a
  // large body; /never holds the request until the server stops.
  void handle(const HttpRequest& request, const Responder& respond) {
    if (request.path == "/never") {
      std::lock_guard lock(mutex_);
      held_.push_back(respond);
      return;
    }
    HttpResponse response;
    response.content_type = "text/plain";
    if (request.path.starts_with("/status/")) {
      response.status = std::stoi(request.path.substr(8));
    } else if (request.path == "/big") {
      response.body = std::string(4096, 'b');
    } else {
      response.headers.emplace_back("X-Seen-Header", std::string(request.header("x-test")));
      response.body = request.method + " " + request.target + " " + request.body;
    }
    respond(std::move(response));
  }

  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(target);
  }

  static HttpClientResult send(HttpClient& client, std::string method, std::string url,
                               std::string body = {}) {
    std::promise<HttpClientResult> promise;
    auto future = promise.get_future();
    client.request(std::move(method), std::move(url), {{"X-Test", "yes"}}, std::move(body),
                   [&promise](HttpClientResult result) { promise.set_value(std::move(result)); });
    return future.get();
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::vector<Responder> held_;
};

std::string header(const HttpClientResult& result, std::string_view name) {
  for (const auto& [key, value] : result.headers) {
    if (key == name) return value;
  }
  return {};
}

TEST_F(HttpClientTest, PostsAndReadsResponse) {
  HttpClient client(HttpClientOptions{});
  HttpClientResult result = send(client, "POST", url("/echo?q=1"), "payload");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "POST /echo?q=1 payload");
  EXPECT_EQ(header(result, "x-seen-header"), "yes");
  EXPECT_EQ(header(result, "server"), "oncepay");
}

TEST_F(HttpClientTest, UrlWithoutPathTargetsRoot) {
  HttpClientResult result = http_request_blocking("GET", url(""));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.body, "GET / ");
}

TEST_F(HttpClientTest, ErrorStatusIsStillOk) {
  HttpClientResult result = http_request_blocking("GET", url("/status/404"));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 404);
}

TEST_F(HttpClientTest, InvalidUrlFailsAtOnce) {
  HttpClient client(HttpClientOptions{});
  for (std::string bad :
       {"ftp://127.0.0.1/", "127.0.0.1:80/", "http://:80/", "http://h:x/", "https://:443/"}) {
    bool called = false;
    client.request("GET", bad, {}, {}, [&](HttpClientResult result) {
      called = true;
      EXPECT_FALSE(result.ok);
      EXPECT_NE(result.error.find("invalid URL"), std::string::npos) << result.error;
    });
    EXPECT_TRUE(called) << bad;
  }
}

TEST_F(HttpClientTest, ConnectionRefusedIsAValue) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t unused_port = probe.local_endpoint().port();
  probe.close();
  HttpClientResult result = http_request_blocking(
      "GET", "http://127.0.0.1:" + std::to_string(unused_port) + "/", {}, {}, 500ms);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
}

TEST_F(HttpClientTest, RequestTimeoutIsAValue) {
  HttpClient client(HttpClientOptions{.request_timeout = 200ms});
  const auto began = std::chrono::steady_clock::now();
  HttpClientResult result = send(client, "GET", url("/never"));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("read"), std::string::npos) << result.error;
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1000ms);
}

TEST_F(HttpClientTest, ResponseBodyOverLimitIsAValue) {
  HttpClient client(HttpClientOptions{.body_limit_bytes = 1024});
  HttpClientResult result = send(client, "GET", url("/big"));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("read"), std::string::npos) << result.error;
}

TEST_F(HttpClientTest, StopCancelsRequestsInFlight) {
  HttpClient client(HttpClientOptions{});
  std::promise<HttpClientResult> promise;
  client.request("GET", url("/never"), {}, {},
                 [&promise](HttpClientResult result) { promise.set_value(std::move(result)); });
  for (int i = 0; i < 100 && server_->connections() == 0; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  client.stop();
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  HttpClientResult result = future.get();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "client stopped");
}

TEST_F(HttpClientTest, RequestAfterStopFailsAtOnce) {
  HttpClient client(HttpClientOptions{});
  client.stop();
  client.stop();  // idempotent
  bool called = false;
  client.request("GET", url("/echo"), {}, {}, [&](HttpClientResult result) {
    called = true;
    EXPECT_EQ(result.error, "client stopped");
  });
  EXPECT_TRUE(called);
}

TEST_F(HttpClientTest, ManyConcurrentRequests) {
  HttpClient client(HttpClientOptions{}, 2);
  constexpr std::size_t kRequests = 50;
  std::vector<std::promise<HttpClientResult>> promises(kRequests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    client.request(
        "POST", url("/echo"), {}, std::to_string(i),
        [&promises, i](HttpClientResult result) { promises[i].set_value(std::move(result)); });
  }
  for (std::size_t i = 0; i < kRequests; ++i) {
    HttpClientResult result = promises[i].get_future().get();
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.body, "POST /echo " + std::to_string(i));
  }
}

// ------------------------------------------------------------ keep-alive pool

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Polls `condition` every 5 ms for up to `limit`.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit = 2s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// HTTP/1.1 with keep-alive on 127.0.0.1, one thread per connection. Answers
// 200 "TARGET BODY" to everything, except:
//   /close          answers with `Connection: close` and closes
//   /ok-then-close  answers with keep-alive, then closes (an idle close)
// and while drop_requests() > 0 it reads a request and closes without
// answering (a server that closed in a race with the request).
class CountingServer {
 public:
  CountingServer() : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~CountingServer() { stop(); }

  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           std::string(target);
  }
  int accepts() const { return accepts_; }
  int open() const { return open_; }
  std::atomic<int>& drop_requests() { return drop_requests_; }

  void stop() {
    if (stopped_.exchange(true)) return;
    {  // wake accept() with a connection of our own
      tcp::socket poke(ioc_);
      beast::error_code ignored;
      poke.connect(acceptor_.local_endpoint(), ignored);
    }
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // wakes blocked reads
    }
    for (auto& thread : threads_) thread.join();
  }

 private:
  void accept_loop() {
    for (;;) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopped_) return;
      ++accepts_;
      ++open_;
      std::lock_guard lock(mutex_);
      fds_.insert(socket.native_handle());
      threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      beast::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) break;
      if (drop_requests_.fetch_sub(1) > 0) break;
      drop_requests_.fetch_add(1);
      const bool close = request.target() == "/close" || !request.keep_alive();
      http::response<http::string_body> response{http::status::ok, 11};
      response.body() = std::string(request.target()) + " " + request.body();
      response.keep_alive(!close);
      response.prepare_payload();
      http::write(socket, response, ec);
      if (ec || close || request.target() == "/ok-then-close") break;
    }
    {
      std::lock_guard lock(mutex_);
      fds_.erase(socket.native_handle());
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    --open_;
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> accepts_{0};
  std::atomic<int> open_{0};
  std::atomic<int> drop_requests_{0};
  std::mutex mutex_;  // guards fds_, threads_
  std::set<int> fds_;
  std::vector<std::thread> threads_;
};

HttpClientResult send_to(HttpClient& client, std::string method, std::string url,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
  std::promise<HttpClientResult> promise;
  auto future = promise.get_future();
  client.request(std::move(method), std::move(url), std::move(headers), "b",
                 [&promise](HttpClientResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

TEST(HttpClientPoolTest, SequentialRequestsReuseOneConnection) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  for (int i = 0; i < 3; ++i) {
    HttpClientResult result = send_to(client, "POST", server.url("/ok"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.body, "/ok b");
    EXPECT_EQ(header(result, "connection"), "");  // HTTP/1.1 default: keep-alive
  }
  EXPECT_EQ(server.accepts(), 1);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClientPoolTest, KeepAliveOffOpensOneConnectionPerRequest) {
  CountingServer server;
  HttpClient client(HttpClientOptions{.keep_alive = false});
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(send_to(client, "GET", server.url("/ok")).ok);
  EXPECT_EQ(server.accepts(), 2);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClientPoolTest, ZeroIdlePerHostKeepsNothing) {
  CountingServer server;
  HttpClient client(HttpClientOptions{.max_idle_per_host = 0});
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(send_to(client, "GET", server.url("/ok")).ok);
  EXPECT_EQ(server.accepts(), 2);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClientPoolTest, ConnectionCloseFromServerIsNotReused) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  for (int i = 0; i < 2; ++i) {
    HttpClientResult result = send_to(client, "POST", server.url("/close"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(header(result, "connection"), "close");
    EXPECT_EQ(client.idle_connections(), 0u);
  }
  EXPECT_EQ(server.accepts(), 2);
}

TEST(HttpClientPoolTest, IdleConnectionClosedByServerIsReplaced) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "POST", server.url("/ok-then-close")).ok);
  ASSERT_TRUE(wait_until([&] { return server.open() == 0; }));
  // POST is not safe to repeat: this passes only because the dead connection
  // is noticed before anything is sent on it.
  HttpClientResult result = send_to(client, "POST", server.url("/ok"));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(server.accepts(), 2);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClientPoolTest, IdleConnectionClosedByServerLeavesThePool) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "GET", server.url("/ok-then-close")).ok);
  EXPECT_TRUE(wait_until([&] { return client.idle_connections() == 0; }));
}

TEST(HttpClientPoolTest, StaleConnectionRetriesIdempotentRequestOnce) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "GET", server.url("/ok")).ok);
  server.drop_requests() = 1;  // the pooled connection dies with the request
  HttpClientResult result = send_to(client, "GET", server.url("/ok"));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(server.accepts(), 2);
}

TEST(HttpClientPoolTest, StaleConnectionRetriesPostWithIdempotencyKey) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "POST", server.url("/ok")).ok);
  server.drop_requests() = 1;
  HttpClientResult result = send_to(client, "POST", server.url("/ok"), {{"Idempotency-Key", "k1"}});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(server.accepts(), 2);
}

TEST(HttpClientPoolTest, StaleConnectionDoesNotRepeatWrittenPost) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "POST", server.url("/ok")).ok);
  server.drop_requests() = 1;
  HttpClientResult result = send_to(client, "POST", server.url("/ok"));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("read"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("reused connection"), std::string::npos) << result.error;
  EXPECT_EQ(server.accepts(), 1);
  // The client is fine afterwards.
  ASSERT_TRUE(send_to(client, "POST", server.url("/ok")).ok);
}

TEST(HttpClientPoolTest, RetriesOnlyOnce) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "GET", server.url("/ok")).ok);
  server.drop_requests() = 2;  // the retry's fresh connection fails too
  HttpClientResult result = send_to(client, "GET", server.url("/ok"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(server.accepts(), 2);
}

TEST(HttpClientPoolTest, FreshConnectionIsNotRetried) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  server.drop_requests() = 1;
  HttpClientResult result = send_to(client, "GET", server.url("/ok"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.find("reused"), std::string::npos) << result.error;
  EXPECT_EQ(server.accepts(), 1);
}

TEST(HttpClientPoolTest, IdleTimeoutClosesConnection) {
  CountingServer server;
  HttpClient client(HttpClientOptions{.idle_timeout = 100ms});
  ASSERT_TRUE(send_to(client, "GET", server.url("/ok")).ok);
  EXPECT_EQ(client.idle_connections(), 1u);
  EXPECT_TRUE(wait_until([&] { return client.idle_connections() == 0 && server.open() == 0; }));
  ASSERT_TRUE(send_to(client, "GET", server.url("/ok")).ok);
  EXPECT_EQ(server.accepts(), 2);
}

TEST(HttpClientPoolTest, StopClosesIdleConnections) {
  CountingServer server;
  HttpClient client(HttpClientOptions{});
  ASSERT_TRUE(send_to(client, "GET", server.url("/a")).ok);
  ASSERT_TRUE(send_to(client, "GET", server.url("/b")).ok);
  EXPECT_EQ(client.idle_connections(), 1u);
  EXPECT_EQ(server.open(), 1);
  const auto began = std::chrono::steady_clock::now();
  client.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 500ms);
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_TRUE(wait_until([&] { return server.open() == 0; }));
  bool called = false;
  client.request("GET", server.url("/ok"), {}, {}, [&](HttpClientResult result) {
    called = true;
    EXPECT_EQ(result.error, "client stopped");
  });
  EXPECT_TRUE(called);
}

TEST(HttpClientPoolTest, HostsHaveSeparatePools) {
  CountingServer first;
  CountingServer second;
  HttpClient client(HttpClientOptions{});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(send_to(client, "GET", first.url("/ok")).ok);
    ASSERT_TRUE(send_to(client, "GET", second.url("/ok")).ok);
  }
  EXPECT_EQ(first.accepts(), 1);
  EXPECT_EQ(second.accepts(), 1);
  EXPECT_EQ(client.idle_connections(), 2u);
}

// Against the engine's own HttpServer: 32 requests at once with at most 4
// idle connections kept; twice, so the second wave runs on pooled ones too.
TEST_F(HttpClientTest, ParallelRequestsWithSmallPool) {
  HttpClient client(HttpClientOptions{.max_idle_per_host = 4}, 2);
  constexpr std::size_t kRequests = 32;
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<std::promise<HttpClientResult>> promises(kRequests);
    for (std::size_t i = 0; i < kRequests; ++i) {
      client.request(
          "POST", url("/echo"), {}, std::to_string(i),
          [&promises, i](HttpClientResult result) { promises[i].set_value(std::move(result)); });
    }
    for (std::size_t i = 0; i < kRequests; ++i) {
      HttpClientResult result = promises[i].get_future().get();
      ASSERT_TRUE(result.ok) << result.error;
      EXPECT_EQ(result.body, "POST /echo " + std::to_string(i));
    }
    EXPECT_LE(client.idle_connections(), 4u);
    EXPECT_TRUE(wait_until([&] { return server_->connections() <= 4; })) << server_->connections();
  }
}

TEST_F(HttpClientTest, SequentialRequestsKeepOneServerConnection) {
  HttpClient client(HttpClientOptions{});
  for (int i = 0; i < 3; ++i) {
    HttpClientResult result = send(client, "GET", url("/echo"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(server_->connections(), 1u);
  }
}

}  // namespace
}  // namespace oncepay::http
