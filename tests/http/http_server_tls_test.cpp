// Tests for the TLS side of http/http_server.{hpp,cpp}. Each test makes a
// throwaway self-signed certificate (EC P-256, CN and IP SAN 127.0.0.1; see
// tests/support/throwaway_pki.hpp) in a temporary directory, runs an HTTPS
// server on 127.0.0.1 (port 0) and talks to it with a small Beast TLS client
// whose only trust anchor is that certificate. The plain-HTTP behaviour is
// tested in http_server_test.cpp.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "http/http_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/throwaway_pki.hpp"

namespace oncepay::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// No client operation may hang a test: each gives up after this.
constexpr auto kClientTimeout = 3s;

HttpResponse make_error(int status, std::string_view code, std::string_view message) {
  return HttpResponse{.status = status, .body = std::string(code) + ": " + std::string(message)};
}

// Answers at once with what it saw.
void echo(HttpRequest request, Responder respond) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = request.method + " " + request.path + " " + request.query + " " + request.body;
  respond(std::move(response));
}

using test_support::TempDir;

using tls_testing::make_certificate;
using tls_testing::make_key;
using tls_testing::PkeyPtr;
using tls_testing::write_certificate;
using tls_testing::write_key;
using tls_testing::X509Ptr;

// A self-signed certificate for 127.0.0.1 (CN and IP SAN).
X509Ptr make_certificate(EVP_PKEY* key) {
  return make_certificate(key, tls_testing::CertificateSpec{});
}

// Runs `ioc` until the one operation started on it completes; the operation
// carries its own deadline (the streams below expire after kClientTimeout).
void run(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

// An HTTPS client that trusts only `ca_file` and checks the name 127.0.0.1.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_file) : tls_(ssl::context::tls_client) {
    tls_.load_verify_file(ca_file);
    tls_.set_verify_mode(ssl::verify_peer);
    stream_.emplace(ioc_, tls_);
    stream_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    connect_error_ = connect(port);
  }

  // The TCP connect and TLS handshake.
  beast::error_code connect_error() const { return connect_error_; }

  beast::error_code request(http::request<http::string_body> request,
                            http::response<http::string_body>* response) {
    request.prepare_payload();
    beast::error_code result;
    lowest().expires_after(kClientTimeout);
    http::async_write(*stream_, request, [&](beast::error_code ec, size_t) { result = ec; });
    run(ioc_);
    if (result) return result;
    lowest().expires_after(kClientTimeout);
    http::async_read(*stream_, buffer_, *response,
                     [&](beast::error_code ec, size_t) { result = ec; });
    run(ioc_);
    return result;
  }

  // Reads until the server ends the connection: asio::error::eof when it
  // sent close_notify, another error when it just closed, beast::error::timeout
  // when it did neither.
  beast::error_code read_until_closed() {
    beast::error_code result;
    while (!result) {
      char scratch[512];
      lowest().expires_after(kClientTimeout);
      stream_->async_read_some(asio::buffer(scratch),
                               [&](beast::error_code ec, size_t) { result = ec; });
      run(ioc_);
    }
    return result;
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(*stream_); }

  beast::error_code connect(uint16_t port) {
    beast::error_code result;
    lowest().expires_after(kClientTimeout);
    lowest().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                           [&](beast::error_code ec) { result = ec; });
    run(ioc_);
    if (result) return result;
    lowest().expires_after(kClientTimeout);
    stream_->async_handshake(ssl::stream_base::client, [&](beast::error_code ec) { result = ec; });
    run(ioc_);
    return result;
  }

  asio::io_context ioc_;
  ssl::context tls_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

// A TCP client without TLS.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : stream_(ioc_) {
    stream_.expires_after(kClientTimeout);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code ec) { connect_error_ = ec; });
    run(ioc_);
  }

  bool connected() const { return !connect_error_; }

  void send(std::string_view bytes) {
    stream_.expires_after(kClientTimeout);
    asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                      [](beast::error_code, size_t) {});
    run(ioc_);
  }

  // Reads until the server closes; returns what it sent and how it ended
  // (beast::error::timeout when it did not close within kClientTimeout).
  std::string read_until_closed(beast::error_code* end) {
    std::string received;
    beast::error_code result;
    while (!result) {
      char scratch[512];
      stream_.expires_after(kClientTimeout);
      stream_.async_read_some(asio::buffer(scratch), [&](beast::error_code ec, size_t n) {
        received.append(scratch, n);
        result = ec;
      });
      run(ioc_);
    }
    *end = result;
    return received;
  }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::error_code connect_error_;
};

http::request<http::string_body> get(std::string_view target, bool keep_alive = true) {
  http::request<http::string_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.keep_alive(keep_alive);
  return request;
}

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    PkeyPtr key = make_key();
    ASSERT_TRUE(key);
    X509Ptr cert = make_certificate(key.get());
    ASSERT_TRUE(cert);
    ASSERT_TRUE(write_key(key.get(), key_file()));
    ASSERT_TRUE(write_certificate(cert.get(), cert_file()));
  }

  std::string cert_file() const { return dir_.file("cert.pem"); }
  std::string key_file() const { return dir_.file("key.pem"); }

  HttpServerOptions tls_options() const {
    HttpServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.read_timeout = 1000ms;
    options.idle_timeout = 1000ms;
    options.drain_timeout = 1000ms;
    options.tls_cert_file = cert_file();
    options.tls_key_file = key_file();
    return options;
  }

  HttpServer& start(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options), echo, make_error);
    std::string error;
    EXPECT_TRUE(server_->start(&error)) << error;
    return *server_;
  }

  // start() that must fail; returns its error.
  std::string start_error(HttpServerOptions options) {
    HttpServer server(std::move(options), echo, make_error);
    std::string error;
    EXPECT_FALSE(server.start(&error));
    EXPECT_EQ(server.port(), 0);
    return error;
  }

  bool wait_for_connections(size_t count, std::chrono::milliseconds timeout = 1000ms) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (server_->connections() != count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  TempDir dir_{"oncepay_tls"};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTlsTest, KeepAliveServesTwoRequestsOnOneConnection) {
  HttpServer& server = start(tls_options());
  TlsClient client(server.port(), cert_file());
  ASSERT_FALSE(client.connect_error()) << client.connect_error().message();

  http::response<http::string_body> first;
  ASSERT_FALSE(client.request(get("/first?a=1"), &first));
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_EQ(first.body(), "GET /first a=1 ");
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(first[http::field::server], "oncepay");

  http::request<http::string_body> post(http::verb::post, "/second", 11);
  post.set(http::field::host, "127.0.0.1");
  post.body() = "hi";
  http::response<http::string_body> second;
  ASSERT_FALSE(client.request(std::move(post), &second));
  EXPECT_EQ(second.body(), "POST /second  hi");
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpServerTlsTest, ConnectionCloseEndsWithCloseNotify) {
  HttpServer& server = start(tls_options());
  TlsClient client(server.port(), cert_file());
  ASSERT_FALSE(client.connect_error()) << client.connect_error().message();
  http::response<http::string_body> response;
  ASSERT_FALSE(client.request(get("/", /*keep_alive=*/false), &response));
  EXPECT_FALSE(response.keep_alive());
  // eof, not stream_truncated: the server closed TLS properly.
  EXPECT_EQ(client.read_until_closed(), asio::error::eof);
  EXPECT_TRUE(wait_for_connections(0));
}

TEST_F(HttpServerTlsTest, ClientTrustingAnotherCertificateFailsHandshake) {
  HttpServer& server = start(tls_options());
  PkeyPtr other_key = make_key();
  X509Ptr other = make_certificate(other_key.get());
  ASSERT_TRUE(other);
  ASSERT_TRUE(write_certificate(other.get(), dir_.file("other.pem")));
  TlsClient client(server.port(), dir_.file("other.pem"));
  EXPECT_TRUE(client.connect_error());
  EXPECT_TRUE(wait_for_connections(0));
}

TEST_F(HttpServerTlsTest, PlainHttpClientGetsNoHttpResponse) {
  HttpServer& server = start(tls_options());
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  beast::error_code end;
  const std::string received = client.read_until_closed(&end);
  EXPECT_NE(end, beast::error::timeout) << "the server did not close the connection";
  EXPECT_EQ(received.find("HTTP/"), std::string::npos) << received;
  EXPECT_TRUE(wait_for_connections(0));
}

TEST_F(HttpServerTlsTest, StalledHandshakeIsClosedByReadTimeoutWithoutBlockingOthers) {
  HttpServerOptions options = tls_options();
  options.read_timeout = 300ms;
  options.idle_timeout = 5000ms;  // so that only the read timeout can close it
  HttpServer& server = start(options);
  RawClient stalled(server.port());  // connects and never says hello
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(wait_for_connections(1));
  const auto stalled_since = std::chrono::steady_clock::now();

  TlsClient client(server.port(), cert_file());
  ASSERT_FALSE(client.connect_error()) << client.connect_error().message();
  http::response<http::string_body> response;
  ASSERT_FALSE(client.request(get("/meanwhile"), &response));
  EXPECT_EQ(response.body(), "GET /meanwhile  ");

  beast::error_code end;
  EXPECT_EQ(stalled.read_until_closed(&end), "");
  EXPECT_NE(end, beast::error::timeout) << "the stalled handshake was not closed";
  const auto waited = std::chrono::steady_clock::now() - stalled_since;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2000ms);
  EXPECT_TRUE(wait_for_connections(1));  // the well-behaved client is still connected
}

TEST_F(HttpServerTlsTest, StopClosesIdleTlsConnectionsWithCloseNotify) {
  HttpServer& server = start(tls_options());
  TlsClient client(server.port(), cert_file());
  ASSERT_FALSE(client.connect_error()) << client.connect_error().message();
  http::response<http::string_body> response;
  ASSERT_FALSE(client.request(get("/"), &response));
  ASSERT_TRUE(wait_for_connections(1));

  const auto started = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&] { server.stop(); });
  EXPECT_EQ(client.read_until_closed(), asio::error::eof);
  stopped.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_EQ(server.connections(), 0u);
}

TEST_F(HttpServerTlsTest, CertificateWithoutKeyFails) {
  HttpServerOptions options = tls_options();
  options.tls_key_file.clear();
  const std::string error = start_error(options);
  EXPECT_NE(error.find("no key file"), std::string::npos) << error;
}

TEST_F(HttpServerTlsTest, KeyWithoutCertificateFails) {
  HttpServerOptions options = tls_options();
  options.tls_cert_file.clear();
  const std::string error = start_error(options);
  EXPECT_NE(error.find("no certificate file"), std::string::npos) << error;
}

TEST_F(HttpServerTlsTest, MissingKeyFileIsNamed) {
  HttpServerOptions options = tls_options();
  options.tls_key_file = dir_.file("missing-key.pem");
  const std::string error = start_error(options);
  EXPECT_NE(error.find(options.tls_key_file), std::string::npos) << error;
}

TEST_F(HttpServerTlsTest, MissingCertificateFileIsNamed) {
  HttpServerOptions options = tls_options();
  options.tls_cert_file = dir_.file("missing-cert.pem");
  const std::string error = start_error(options);
  EXPECT_NE(error.find(options.tls_cert_file), std::string::npos) << error;
}

TEST_F(HttpServerTlsTest, GarbageCertificateFileIsNamed) {
  HttpServerOptions options = tls_options();
  options.tls_cert_file = dir_.file("garbage.pem");
  std::ofstream(options.tls_cert_file) << "not a certificate\n";
  const std::string error = start_error(options);
  EXPECT_NE(error.find(options.tls_cert_file), std::string::npos) << error;
}

TEST_F(HttpServerTlsTest, KeyNotMatchingCertificateFails) {
  PkeyPtr other = make_key();
  ASSERT_TRUE(write_key(other.get(), dir_.file("other-key.pem")));
  HttpServerOptions options = tls_options();
  options.tls_key_file = dir_.file("other-key.pem");
  const std::string error = start_error(options);
  EXPECT_NE(error.find(options.tls_key_file), std::string::npos) << error;
}

}  // namespace
}  // namespace oncepay::http
