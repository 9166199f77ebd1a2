// Tests for net/http_client.{hpp,cpp}: requests against a real HttpServer on
// 127.0.0.1 (port 0), failures as values, timeouts and stop().
#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/http_server.hpp"

namespace oncepay::net {
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
  for (std::string bad : {"https://127.0.0.1/", "127.0.0.1:80/", "http://:80/", "http://h:x/"}) {
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
  constexpr int kRequests = 50;
  std::vector<std::promise<HttpClientResult>> promises(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    client.request(
        "POST", url("/echo"), {}, std::to_string(i),
        [&promises, i](HttpClientResult result) { promises[i].set_value(std::move(result)); });
  }
  for (int i = 0; i < kRequests; ++i) {
    HttpClientResult result = promises[i].get_future().get();
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.body, "POST /echo " + std::to_string(i));
  }
}

}  // namespace
}  // namespace oncepay::net
