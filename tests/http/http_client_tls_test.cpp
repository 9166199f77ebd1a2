// Tests for the https:// side of http/http_client.{hpp,cpp}. Each test makes a
// throwaway CA (tests/support/throwaway_pki.hpp) in a temporary directory,
// has it issue a certificate for the gateway's own HttpServer serving TLS on
// 127.0.0.1 (port 0), and points the client at it with the CA as its
// HttpClientOptions::tls_ca_file: success, an untrusted certificate, a host
// name mismatch, a stalled handshake, a plain server, keep-alive reuse, SNI.
// The plain-HTTP client is tested in http_client_test.cpp.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "http/http_client.hpp"
#include "http/http_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/throwaway_pki.hpp"

namespace oncepay::http {
namespace {

using namespace std::chrono_literals;

HttpResponse make_error(int status, std::string_view code, std::string_view message) {
  return HttpResponse{.status = status, .body = std::string(code) + ": " + std::string(message)};
}

// Answers at once with what it saw.
void echo(HttpRequest request, Responder respond) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = request.method + " " + request.target + " " + request.body;
  respond(std::move(response));
}

using test_support::TempDir;

// A one-shot HTTPS server that records the SNI host name the client sent:
// it accepts one connection, completes the handshake, answers one request
// with 200 and closes.
class SniRecorder {
 public:
  SniRecorder(const std::string& cert_file, const std::string& key_file)
      : tls_(boost::asio::ssl::context::tls_server),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain_file(cert_file);
    tls_.use_private_key_file(key_file, boost::asio::ssl::context::pem);
    SSL_CTX_set_tlsext_servername_callback(tls_.native_handle(), &SniRecorder::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(tls_.native_handle(), this);
    thread_ = std::thread([this] { serve(); });
  }
  ~SniRecorder() { finish(); }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // After the one exchange: the name the client asked for, "" for none.
  std::string server_name() {
    finish();
    return server_name_;
  }

 private:
  static int on_server_name(SSL* ssl, int* /*alert*/, void* self) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    static_cast<SniRecorder*>(self)->server_name_ = name != nullptr ? name : "";
    return SSL_TLSEXT_ERR_OK;
  }

  void serve() {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::ip::tcp::socket socket(ioc_);
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    if (ec) return;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(std::move(socket), tls_);
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    http::response<http::string_body> response{http::status::ok, 11};
    response.keep_alive(false);
    response.prepare_payload();
    http::write(stream, response, ec);
    stream.shutdown(ec);
  }

  // Joins the server thread, first waking it with a connection of our own
  // in case the client never came (it then fails that one's handshake).
  void finish() {
    if (!thread_.joinable()) return;
    {
      boost::asio::ip::tcp::socket poke(ioc_);
      boost::system::error_code ignored;
      poke.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string server_name_;  // written by the server thread before finish() joins it
  std::thread thread_;
};

HttpClientResult send(HttpClient& client, const std::string& url, std::string body = "hi") {
  std::promise<HttpClientResult> promise;
  auto future = promise.get_future();
  client.request("POST", url, {{"Content-Type", "text/plain"}}, std::move(body),
                 [&promise](HttpClientResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class HttpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_TRUE(ca_.ok());
    ASSERT_TRUE(ca_.write(ca_file()));
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  std::string ca_file() const { return dir_.file("ca.pem"); }

  // An HTTPS echo server whose certificate, issued by the test CA, names
  // `subject_alt_name`.
  HttpServer& start_server(const std::string& subject_alt_name) {
    EXPECT_TRUE(ca_.issue(subject_alt_name, dir_.file("server.pem"), dir_.file("server-key.pem")));
    HttpServerOptions options;
    options.port = 0;
    options.read_timeout = 2000ms;
    options.drain_timeout = 500ms;
    options.tls_cert_file = dir_.file("server.pem");
    options.tls_key_file = dir_.file("server-key.pem");
    return start(std::move(options));
  }

  HttpServer& start(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options), echo, make_error);
    std::string error;
    EXPECT_TRUE(server_->start(&error)) << error;
    return *server_;
  }

  std::string url(std::string_view host, std::string_view target = "/hook") const {
    return std::string("https://")
        .append(host)
        .append(":")
        .append(std::to_string(server_->port()))
        .append(target);
  }

  HttpClientOptions trusting_ca() const {
    HttpClientOptions options;
    options.connect_timeout = 2000ms;
    options.request_timeout = 2000ms;
    options.tls_ca_file = ca_file();
    return options;
  }

  TempDir dir_{"oncepay_client_tls"};
  tls_testing::TestCa ca_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpClientTlsTest, TrustedCaFileServesRequest) {
  start_server("IP:127.0.0.1");
  HttpClient client(trusting_ca());
  HttpClientResult result = send(client, url("127.0.0.1", "/hook?x=1"), "payload");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "POST /hook?x=1 payload");
}

TEST_F(HttpClientTlsTest, HostNameIsMatchedAgainstDnsName) {
  start_server("DNS:localhost");
  HttpClient client(trusting_ca());
  HttpClientResult result = send(client, url("localhost"));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.body, "POST /hook hi");
}

TEST_F(HttpClientTlsTest, SniCarriesTheHostName) {
  ASSERT_TRUE(ca_.issue("DNS:localhost", dir_.file("sni.pem"), dir_.file("sni-key.pem")));
  SniRecorder server(dir_.file("sni.pem"), dir_.file("sni-key.pem"));
  HttpClient client(trusting_ca());
  const std::string target =
      std::string("https://localhost:").append(std::to_string(server.port())).append("/hook");
  HttpClientResult result = send(client, target);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(server.server_name(), "localhost");
}

// RFC 6066 allows only host names in SNI, never IP literals.
TEST_F(HttpClientTlsTest, NoSniForAnIpAddress) {
  ASSERT_TRUE(ca_.issue("IP:127.0.0.1", dir_.file("sni.pem"), dir_.file("sni-key.pem")));
  SniRecorder server(dir_.file("sni.pem"), dir_.file("sni-key.pem"));
  HttpClient client(trusting_ca());
  const std::string target =
      std::string("https://127.0.0.1:").append(std::to_string(server.port())).append("/hook");
  HttpClientResult result = send(client, target);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(server.server_name(), "");
}

TEST_F(HttpClientTlsTest, UntrustedCertificateFailsWithReason) {
  start_server("IP:127.0.0.1");
  HttpClient system_store_only(HttpClientOptions{.connect_timeout = 2000ms});
  HttpClientResult result = send(system_store_only, url("127.0.0.1"));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "tls handshake 127.0.0.1:")) << result.error;
  EXPECT_TRUE(contains(result.error, "certificate verification failed")) << result.error;
}

TEST_F(HttpClientTlsTest, CertificateOfAnotherCaFails) {
  start_server("IP:127.0.0.1");
  tls_testing::TestCa other("another test CA");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other.write(dir_.file("other-ca.pem")));
  HttpClientOptions options = trusting_ca();
  options.tls_ca_file = dir_.file("other-ca.pem");
  HttpClient client(options);
  HttpClientResult result = send(client, url("127.0.0.1"));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "certificate verification failed")) << result.error;
}

TEST_F(HttpClientTlsTest, HostNameMismatchFails) {
  start_server("DNS:shop.example");
  HttpClient client(trusting_ca());
  HttpClientResult result = send(client, url("localhost"));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "certificate verification failed (hostname mismatch)"))
      << result.error;
}

TEST_F(HttpClientTlsTest, IpAddressMismatchFails) {
  start_server("DNS:localhost, IP:127.0.0.2");
  HttpClient client(trusting_ca());
  HttpClientResult result = send(client, url("127.0.0.1"));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "certificate verification failed (IP address mismatch)"))
      << result.error;
}

TEST_F(HttpClientTlsTest, PlainHttpServerFailsHandshake) {
  start(HttpServerOptions{.port = 0, .drain_timeout = 500ms});
  HttpClient client(trusting_ca());
  HttpClientResult result = send(client, url("127.0.0.1"));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "tls handshake")) << result.error;
}

// The kernel completes TCP connections to a listening socket nobody accepts
// from, so the client connects, sends its hello and never hears back.
TEST_F(HttpClientTlsTest, StalledHandshakeEndsAtConnectTimeout) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor silent(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string silent_url =
      std::string("https://127.0.0.1:").append(std::to_string(silent.local_endpoint().port()));
  HttpClientOptions options = trusting_ca();
  options.connect_timeout = 300ms;
  options.request_timeout = 5000ms;  // so that only the connect bound can end it
  HttpClient client(options);
  const auto began = std::chrono::steady_clock::now();
  HttpClientResult result = send(client, silent_url + "/hook");
  const auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "tls handshake")) << result.error;
  EXPECT_TRUE(contains(result.error, "timeout")) << result.error;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2000ms);
}

TEST_F(HttpClientTlsTest, KeepAliveReusesOneTlsConnection) {
  HttpServer& server = start_server("IP:127.0.0.1");
  HttpClient client(trusting_ca());
  for (int i = 0; i < 3; ++i) {
    HttpClientResult result = send(client, url("127.0.0.1"), std::to_string(i));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.body, "POST /hook " + std::to_string(i));
    // A second connection would have left the first one idle in the pool,
    // so both counts would grow.
    EXPECT_EQ(client.idle_connections(), 1u);
    EXPECT_EQ(server.connections(), 1u);
  }
}

TEST_F(HttpClientTlsTest, HttpAndHttpsToOneHostPortArePooledApart) {
  start_server("IP:127.0.0.1");
  HttpClient client(trusting_ca());
  ASSERT_TRUE(send(client, url("127.0.0.1")).ok);
  ASSERT_EQ(client.idle_connections(), 1u);
  // The same host and port over plain HTTP must not get the TLS connection.
  const std::string plain =
      std::string("http://127.0.0.1:").append(std::to_string(server_->port())).append("/hook");
  EXPECT_FALSE(send(client, plain).ok);
  EXPECT_EQ(client.idle_connections(), 1u);
  HttpClientResult again = send(client, url("127.0.0.1"));
  EXPECT_TRUE(again.ok) << again.error;
}

TEST_F(HttpClientTlsTest, UnusableCaFileFailsHttpsRequestsNamingIt) {
  start_server("IP:127.0.0.1");
  HttpClientOptions options = trusting_ca();
  options.tls_ca_file = dir_.file("missing-ca.pem");
  EXPECT_TRUE(contains(check_tls_client_options(options), options.tls_ca_file));
  HttpClient client(options);
  HttpClientResult result = send(client, url("127.0.0.1"));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, options.tls_ca_file)) << result.error;

  std::ofstream(dir_.file("garbage.pem")) << "not a certificate\n";
  options.tls_ca_file = dir_.file("garbage.pem");
  EXPECT_TRUE(contains(check_tls_client_options(options), options.tls_ca_file));
}

TEST_F(HttpClientTlsTest, CheckAcceptsUsableCaFileAndSystemStore) {
  EXPECT_EQ(check_tls_client_options(trusting_ca()), "");
  EXPECT_EQ(check_tls_client_options(HttpClientOptions{}), "");
}

}  // namespace
}  // namespace oncepay::http
