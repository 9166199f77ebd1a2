#include "http/http_server.hpp"

#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/check.hpp"

namespace oncepay::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Bytes asked for while waiting for the first bytes of a request.
constexpr size_t kFirstReadBytes = 4096;
// After an error response (or `Connection: close`) the server stops sending
// and reads and discards what the peer still sends, so that closing does not
// reset the connection before the peer has read the response. Bounded both ways.
constexpr std::chrono::milliseconds kLingerTimeout{500};
constexpr size_t kLingerMaxBytes = 256 * 1024;
// Pause after a failed accept (e.g. out of file descriptors) before retrying.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// How long stop() waits for the acceptor to close and, after drain_timeout,
// for forcibly closed connections to go.
constexpr std::chrono::milliseconds kStopStepTimeout{2000};
// At the cap: how many idle candidates to try before answering 503.
constexpr int kEvictAttempts = 4;
// How long a closing TLS connection waits for the peer's close_notify after
// sending its own. Well below kStopStepTimeout, so that stop() sees it end.
constexpr std::chrono::milliseconds kTlsShutdownTimeout{500};

static_assert(kFirstReadBytes > 0 && kLingerMaxBytes >= kFirstReadBytes);
static_assert(kTlsShutdownTimeout < kStopStepTimeout);

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// A transport-level error the server answers itself.
struct TransportError {
  int status;
  std::string_view code;
  std::string message;
};

// Which response a failed request read deserves, if any: malformed requests
// and exceeded limits are answered; the peer leaving, timeouts and socket
// errors are not.
std::optional<TransportError> transport_error(beast::error_code ec,
                                              const HttpServerOptions& options) {
  if (ec == http::error::header_limit) {
    return TransportError{
        431, "headers_too_large",
        "request headers exceed " + std::to_string(options.header_limit_bytes) + " bytes"};
  }
  if (ec == http::error::body_limit) {
    return TransportError{
        413, "payload_too_large",
        "request body exceeds " + std::to_string(options.body_limit_bytes) + " bytes"};
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return TransportError{400, "bad_request", "malformed HTTP request: " + ec.message()};
  }
  return std::nullopt;
}

template <class Fields>
HttpRequest head_of(const http::request_header<Fields>& message, std::string remote) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : message) {
    request.headers.emplace_back(ascii_lower(field.name_string()), std::string(field.value()));
  }
  request.remote_address = std::move(remote);
  return request;
}

HttpRequest to_http_request(http::request<http::string_body>&& message, std::string remote) {
  HttpRequest request = head_of(message, std::move(remote));
  request.body = std::move(message.body());
  return request;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Lets Responders outlive the server: they post only while the gate is open,
// and stop() closes it before the io_context goes away.
struct Gate {
  std::shared_mutex mutex;
  bool open = true;
};

// What the server needs of a connection, whatever its stream. state() and
// idle_since_ns() are read by the acceptor and stop() to pick idle
// connections; try_evict() and close_soon() may be called from any thread.
class SessionBase {
 public:
  enum class State { kIdle, kReading, kHandling, kWriting, kEvicted };

  virtual ~SessionBase() = default;

  // Serves requests until the connection closes.
  virtual void start() = 0;
  // Answers `response` and closes without reading a request (the cap).
  virtual void reject(HttpResponse response) = 0;
  virtual void close_soon() = 0;

  // Claims an idle connection for closing; false when it is busy or gone.
  bool try_evict() {
    State expected = State::kIdle;
    return state_.compare_exchange_strong(expected, State::kEvicted);
  }

  State state() const { return state_.load(); }
  int64_t idle_since_ns() const { return idle_since_ns_.load(); }

 protected:
  // A connection is idle from the moment it is accepted (a TLS handshake
  // included: it is not a request yet).
  std::atomic<State> state_{State::kIdle};
  std::atomic<int64_t> idle_since_ns_{now_ns()};
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, Handler handler, ErrorFactory make_error);

  bool start(std::string* error);
  void stop();
  uint16_t port() const { return port_.load(); }
  size_t connections() const;

  // For sessions (any thread).
  const HttpServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  HttpResponse make_error(const TransportError& error) const {
    return make_error_(error.status, error.code, error.message);
  }
  bool draining() const { return draining_.load(); }
  const std::shared_ptr<Gate>& gate() const { return gate_; }
  void remove(SessionBase* session);

 private:
  bool configure_tls(std::string* error);
  bool listen(std::string* error);
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  std::shared_ptr<SessionBase> make_session(tcp::socket socket);
  void admit(tcp::socket socket);
  bool evict_idlest_locked();
  void close_acceptor();
  void close_sessions(bool idle_only);
  void wait_for_no_connections(std::chrono::milliseconds timeout);

  const HttpServerOptions options_;
  const Handler handler_;
  const ErrorFactory make_error_;
  // Set by start() when options_ ask for TLS; outlives every session.
  std::optional<asio::ssl::context> tls_;
  // Declared before everything that uses it, so destroyed last.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;  // on its own strand
  asio::steady_timer accept_retry_timer_;
  std::vector<std::thread> threads_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> draining_{false};
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();

  mutable std::mutex mutex_;  // guards sessions_
  std::condition_variable sessions_changed_;
  std::unordered_map<SessionBase*, std::shared_ptr<SessionBase>> sessions_;

  std::mutex lifecycle_mutex_;  // guards started_, stopped_
  bool started_ = false;
  bool stopped_ = false;
};

namespace {

// One connection over Stream: beast::tcp_stream (plain HTTP) or TlsStream.
// The HTTP logic is the same for both; only the TLS handshake before the first
// request and the TLS shutdown at close are TLS's own. All members are used on
// the connection's strand, except what SessionBase says.
//
// Closing: close() stops HTTP at once (a late Responder finds closing_ set).
// A plain connection is closed there and then, which aborts what is pending.
// A TLS connection whose handshake completed first says goodbye with
// close_notify; as that must not run beside a pending read or write, close()
// cancels the pending operation and its completion handler, seeing closing_,
// carries on with shut_down().
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  static_assert(kTls || std::is_same_v<Stream, beast::tcp_stream>);

  // `tls` is null for a plain connection and required for a TLS one.
  Session(tcp::socket&& socket, asio::ssl::context* tls, HttpServer::Impl* server)
      : stream_(make_stream(std::move(socket), tls)), server_(server) {
    beast::error_code ec;
    const auto remote = tcp_layer().socket().remote_endpoint(ec);
    if (!ec) remote_address_ = remote.address().to_string();
  }

  void start() override {
    asio::post(stream_.get_executor(), beast::bind_front_handler(&Session::begin, self()));
  }

  void reject(HttpResponse response) override {
    state_.store(State::kWriting);
    reject_ = std::move(response);
    start();
  }

  void close_soon() override {
    asio::post(stream_.get_executor(), beast::bind_front_handler(&Session::close, self()));
  }

 private:
  static Stream make_stream(tcp::socket&& socket, asio::ssl::context* tls) {
    if constexpr (kTls) {
      ONCEPAY_CHECK(tls != nullptr);
      return Stream(std::move(socket), *tls);
    } else {
      ONCEPAY_CHECK(tls == nullptr);
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<Session> self() { return this->shared_from_this(); }
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  // Every completion handler starts here: false when close() has cancelled
  // the operation, and the handler must only finish closing.
  bool resume() {
    io_pending_ = false;
    if (!closing_) return true;
    shut_down();
    return false;
  }

  void begin() {
    if constexpr (kTls) {
      // A handshake is bounded like a request: it is the client's to finish.
      tcp_layer().expires_after(server_->options().read_timeout);
      io_pending_ = true;
      stream_.async_handshake(asio::ssl::stream_base::server,
                              beast::bind_front_handler(&Session::on_handshake, self()));
    } else {
      serve();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (!resume()) return;
    if (ec) return fail(ec, "handshake");
    handshaken_ = true;
    serve();
  }

  // The connection is ready for HTTP.
  void serve() {
    if (!reject_) return wait_for_request();
    keep_alive_ = false;
    write(*std::exchange(reject_, std::nullopt));
  }

  void wait_for_request() {
    idle_since_ns_.store(now_ns());
    State state = state_.load();
    do {
      if (state == State::kEvicted) return close();
    } while (!state_.compare_exchange_weak(state, State::kIdle));
    if (server_->draining() && try_evict()) return close();
    if (buffer_.size() > 0) return begin_request();  // bytes left from the last read
    tcp_layer().expires_after(server_->options().idle_timeout);
    io_pending_ = true;
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            beast::bind_front_handler(&Session::on_first_bytes, self()));
  }

  void on_first_bytes(beast::error_code ec, size_t bytes) {
    if (!resume()) return;
    if (ec) return fail(ec, "wait for request");
    buffer_.commit(bytes);
    begin_request();
  }

  void begin_request() {
    State expected = State::kIdle;
    if (!state_.compare_exchange_strong(expected, State::kReading)) return close();  // evicted
    const HttpServerOptions& options = server_->options();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options.header_limit_bytes));
    parser_->body_limit(static_cast<uint64_t>(options.body_limit_bytes));
    tcp_layer().expires_after(options.read_timeout);
    io_pending_ = true;
    if (options.large_body) {
      // Which limit a body has is known once the headers are in (on_header):
      // Beast checks a Content-Length against the limit when the header is
      // parsed, so none may be set yet or a large-body route could never
      // take more than body_limit_bytes.
      parser_->body_limit(boost::none);
      http::async_read_header(stream_, buffer_, *parser_,
                              beast::bind_front_handler(&Session::on_header, self()));
      return;
    }
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, self()));
  }

  // With HttpServerOptions::large_body: the headers are in; the body goes
  // to a file on a large-body route, else it is read as usual.
  void on_header(beast::error_code ec, size_t /*bytes*/) {
    if (!resume()) return;
    if (ec) return fail(ec, "read header");
    const HttpServerOptions& options = server_->options();
    std::optional<HttpServerOptions::LargeBody> large;
    if (!parser_->is_done()) large = options.large_body(head_of(parser_->get(), remote_address_));
    // A limit set after the header is enforced by Beast for chunked bodies
    // only; a Content-Length is checked here.
    const boost::optional<uint64_t> length = parser_->content_length();
    if (!large) {
      parser_->body_limit(static_cast<uint64_t>(options.body_limit_bytes));
      if (length && *length > options.body_limit_bytes)
        return fail(http::error::body_limit, "read");
      io_pending_ = true;
      http::async_read(stream_, buffer_, *parser_,
                       beast::bind_front_handler(&Session::on_read, self()));
      return;
    }
    if (length && *length > large->limit_bytes) {
      return send_error({413, "payload_too_large",
                         "request body exceeds " + std::to_string(large->limit_bytes) + " bytes"});
    }
    io_pending_ = true;
    file_parser_.emplace(std::move(*parser_));
    parser_.reset();
    file_parser_->body_limit(large->limit_bytes);
    file_path_ = large->file_path;
    large_limit_ = large->limit_bytes;
    file_parser_->get().body().open(file_path_.c_str(), beast::file_mode::write_new, ec);
    if (!ec) ::chmod(file_path_.c_str(), 0600);
    if (ec) {
      io_pending_ = false;
      file_path_.clear();
      return send_error({500, "internal", "the upload cannot be stored"});
    }
    tcp_layer().expires_after(large->read_timeout);
    http::async_read(stream_, buffer_, *file_parser_,
                     beast::bind_front_handler(&Session::on_read_file, self()));
  }

  void on_read_file(beast::error_code ec, size_t /*bytes*/) {
    const std::string path = std::exchange(file_path_, {});
    if (!resume()) {
      ::unlink(path.c_str());  // the session is going away: the partial upload too
      return;
    }
    if (ec) {
      file_parser_->get().body().close();
      file_parser_.reset();
      ::unlink(path.c_str());
      if (ec == http::error::body_limit) {
        return send_error({413, "payload_too_large",
                           "request body exceeds " + std::to_string(large_limit_) + " bytes"});
      }
      return fail(ec, "read body");
    }
    tcp_layer().expires_never();
    auto& message = file_parser_->get();
    message.body().close();
    HttpRequest request = head_of(message, remote_address_);
    request.body_file = path;
    request.body_file_bytes = file_parser_->content_length().value_or(0);
    if (request.body_file_bytes == 0) {
      std::error_code size_ec;
      request.body_file_bytes = std::filesystem::file_size(path, size_ec);
    }
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    head_ = message.method() == http::verb::head;
    file_parser_.reset();
    if (server_->draining()) {
      ::unlink(path.c_str());
      return send_error({503, "shutting_down", "the server is shutting down"});
    }
    state_.store(State::kHandling);
    server_->handler()(std::move(request), make_responder());
  }

  void on_read(beast::error_code ec, size_t /*bytes*/) {
    if (!resume()) return;
    if (ec) return fail(ec, "read");
    tcp_layer().expires_never();  // the handler's time is the application's to bound
    if (server_->draining()) {
      return send_error({503, "shutting_down", "the server is shutting down"});
    }
    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    head_ = message.method() == http::verb::head;
    state_.store(State::kHandling);
    server_->handler()(to_http_request(std::move(message), remote_address_), make_responder());
  }

  Responder make_responder() {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    return
        [gate = server_->gate(), answered, weak = this->weak_from_this()](HttpResponse response) {
          if (answered->exchange(true)) return;  // called twice: ignore
          std::shared_lock lock(gate->mutex);
          if (!gate->open) return;
          auto self = weak.lock();
          if (!self) return;
          asio::post(self->stream_.get_executor(), [self, r = std::move(response)]() mutable {
            if (self->state_.load() == State::kHandling && !self->closing_) {
              self->write(std::move(r));
            }
          });
        };
  }

  void send_error(const TransportError& error) {
    keep_alive_ = false;
    write(server_->make_error(error));
  }

  void write(HttpResponse response) {
    ONCEPAY_CHECK(response.status >= 100 && response.status <= 999);
    state_.store(State::kWriting);
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "oncepay");
    if (!response.content_type.empty()) {
      response_.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) response_.insert(name, value);
    response_.keep_alive(keep_alive_ && !server_->draining());
    if (head_) {
      // RFC 9110 9.3.2: the headers a GET would get, and no body; a body
      // here would be read as the start of the next response.
      response_.content_length(response.body.size());
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    tcp_layer().expires_after(server_->options().read_timeout);
    io_pending_ = true;
    http::async_write(stream_, response_, beast::bind_front_handler(&Session::on_write, self()));
  }

  void on_write(beast::error_code ec, size_t /*bytes*/) {
    if (!resume()) return;
    if (ec) return fail(ec, "write");
    if (!response_.keep_alive()) return linger_close();
    wait_for_request();
  }

  // The one error path: answer what deserves an answer, close the rest.
  // `what` names the failed step for a debugger; the transport has no log.
  void fail(beast::error_code ec, [[maybe_unused]] const char* what) {
    if (state_.load() == State::kReading) {
      if (auto error = transport_error(ec, server_->options())) return send_error(*error);
    }
    close();
  }

  // Closes after a last response without resetting the connection before the
  // peer has read it. TLS's close_notify exchange (see shut_down()) does that.
  void linger_close() {
    if constexpr (kTls) {
      close();
    } else {
      beast::error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
      buffer_.clear();
      tcp_layer().expires_after(kLingerTimeout);
      linger_read(0);
    }
  }

  void linger_read(size_t discarded) {
    if (discarded >= kLingerMaxBytes) return close();
    io_pending_ = true;
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = self(), discarded](beast::error_code ec, size_t n) {
                              if (!self->resume()) return;
                              if (ec) return self->close();
                              self->linger_read(discarded + n);
                            });
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    if (!kTls || !handshaken_) return finish_close();
    if (io_pending_) return tcp_layer().cancel();  // its handler calls shut_down()
    shut_down();
  }

  // Runs once nothing is pending on the stream.
  void shut_down() {
    if constexpr (kTls) {
      if (handshaken_ && !closed_) {
        tcp_layer().expires_after(kTlsShutdownTimeout);
        return stream_.async_shutdown([self = self()](beast::error_code /*ec*/) {
          self->finish_close();  // an unanswered close_notify is no error of ours
        });
      }
    }
    finish_close();
  }

  void finish_close() {
    if (closed_) return;
    closed_ = true;
    tcp_layer().close();
    server_->remove(this);
  }

  Stream stream_;
  HttpServer::Impl* server_;
  std::string remote_address_;
  std::optional<HttpResponse> reject_;  // set by reject(): sent instead of reading
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;  // large_body routes
  std::string file_path_;  // while file_parser_ writes it
  uint64_t large_limit_ = 0;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  bool head_ = false;  // the request being answered is a HEAD
  unsigned version_ = 11;
  bool handshaken_ = false;  // TLS only: close with close_notify
  bool io_pending_ = false;  // a read, write or handshake is in progress
  bool closing_ = false;     // no more HTTP; shutting down or closed
  bool closed_ = false;      // the socket is closed and the server told
};

}  // namespace

// ---------------------------------------------------------------- server

HttpServer::Impl::Impl(HttpServerOptions options, Handler handler, ErrorFactory make_error)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      make_error_(std::move(make_error)),
      ioc_(std::max(options_.threads, 1)),
      acceptor_(asio::make_strand(ioc_)),
      accept_retry_timer_(acceptor_.get_executor()) {
  ONCEPAY_CHECK(options_.threads >= 1);
  ONCEPAY_CHECK(options_.max_connections >= 1);
  ONCEPAY_CHECK(options_.header_limit_bytes <= UINT32_MAX);  // Beast takes a 32-bit header limit
  ONCEPAY_CHECK(handler_ && make_error_);
}

bool HttpServer::Impl::start(std::string* error) {
  std::lock_guard lock(lifecycle_mutex_);
  if (started_ || stopped_) {
    if (error != nullptr) *error = "HttpServer::start called twice";
    return false;
  }
  if (!configure_tls(error) || !listen(error)) return false;
  started_ = true;
  work_.emplace(ioc_.get_executor());
  do_accept();
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  return true;
}

bool HttpServer::Impl::configure_tls(std::string* error) {
  const std::string& cert_file = options_.tls_cert_file;
  const std::string& key_file = options_.tls_key_file;
  auto failed = [&](std::string message) {
    if (error != nullptr) *error = std::move(message);
    tls_.reset();
    return false;
  };
  if (cert_file.empty() && key_file.empty()) return true;  // plain HTTP
  if (cert_file.empty() || key_file.empty()) {
    return failed(cert_file.empty()
                      ? "TLS: a key file is set (" + key_file + ") but no certificate file"
                      : "TLS: a certificate file is set (" + cert_file + ") but no key file");
  }
  tls_.emplace(asio::ssl::context::tls_server);
  SSL_CTX* native = tls_->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return failed("TLS: cannot require TLS 1.2");
  }
  tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                    asio::ssl::context::single_dh_use);
  beast::error_code ec;
  if (tls_->use_certificate_chain_file(cert_file, ec)) {
    return failed("TLS certificate file " + cert_file + ": " + ec.message());
  }
  if (tls_->use_private_key_file(key_file, asio::ssl::context::pem, ec)) {
    return failed("TLS key file " + key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return failed("TLS key file " + key_file + " does not match certificate file " + cert_file);
  }
  return true;
}

bool HttpServer::Impl::listen(std::string* error) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  auto failed = [&](const char* step, const beast::error_code& ec) {
    if (error != nullptr) *error = std::string(step) + " " + where + ": " + ec.message();
    beast::error_code ignored;
    acceptor_.close(ignored);
    return false;
  };
  beast::error_code ec;
  tcp::resolver resolver(ioc_);
  const auto endpoints =
      resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
  if (ec) return failed("resolve", ec);
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  if (acceptor_.open(endpoint.protocol(), ec)) return failed("open", ec);
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) {
    return failed("set_option", ec);
  }
  if (acceptor_.bind(endpoint, ec)) return failed("bind", ec);
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) return failed("listen", ec);
  port_.store(acceptor_.local_endpoint(ec).port());
  return true;
}

void HttpServer::Impl::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         beast::bind_front_handler(&Impl::on_accept, this));
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;  // stop() closed it
  if (ec) {
    accept_retry_timer_.expires_after(kAcceptRetryDelay);
    accept_retry_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) do_accept();
    });
    return;
  }
  admit(std::move(socket));
  do_accept();
}

std::shared_ptr<SessionBase> HttpServer::Impl::make_session(tcp::socket socket) {
  if (tls_) return std::make_shared<Session<TlsStream>>(std::move(socket), &*tls_, this);
  return std::make_shared<Session<beast::tcp_stream>>(std::move(socket), nullptr, this);
}

// Runs on the acceptor's strand. See the header for the cap policy.
void HttpServer::Impl::admit(tcp::socket socket) {
  auto session = make_session(std::move(socket));
  bool admitted = false;
  {
    std::lock_guard lock(mutex_);
    admitted = sessions_.size() < options_.max_connections || evict_idlest_locked();
    if (admitted) sessions_.emplace(session.get(), session);
  }
  if (!admitted) return session->reject(make_error({503, "overloaded", "too many connections"}));
  session->start();
}

bool HttpServer::Impl::evict_idlest_locked() {
  for (int attempt = 0; attempt < kEvictAttempts; ++attempt) {
    SessionBase* idlest = nullptr;
    for (const auto& [raw, session] : sessions_) {
      if (session->state() != SessionBase::State::kIdle) continue;
      if (idlest == nullptr || session->idle_since_ns() < idlest->idle_since_ns()) idlest = raw;
    }
    if (idlest == nullptr) return false;
    if (!idlest->try_evict()) continue;  // it just became busy
    idlest->close_soon();
    sessions_.erase(idlest);  // counts as gone now; its close() finds nothing
    return true;
  }
  return false;
}

void HttpServer::Impl::remove(SessionBase* session) {
  {
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
  }
  sessions_changed_.notify_all();
}

size_t HttpServer::Impl::connections() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void HttpServer::Impl::stop() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;
  ONCEPAY_CHECK(!ioc_.get_executor().running_in_this_thread() && "stop() from an I/O thread");
  draining_.store(true);
  close_acceptor();
  close_sessions(/*idle_only=*/true);
  wait_for_no_connections(options_.drain_timeout);
  close_sessions(/*idle_only=*/false);
  wait_for_no_connections(kStopStepTimeout);
  work_.reset();
  ioc_.stop();
  for (auto& thread : threads_) thread.join();
  {
    std::unique_lock gate_lock(gate_->mutex);
    gate_->open = false;
  }
  std::lock_guard lock(mutex_);
  sessions_.clear();  // handlers still queued are destroyed with ioc_
}

void HttpServer::Impl::close_acceptor() {
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> done = closed->get_future();
  asio::post(acceptor_.get_executor(), [this, closed] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
    closed->set_value();
  });
  done.wait_for(kStopStepTimeout);
}

void HttpServer::Impl::close_sessions(bool idle_only) {
  std::lock_guard lock(mutex_);
  for (const auto& [raw, session] : sessions_) {
    if (!idle_only || session->try_evict()) session->close_soon();
  }
}

void HttpServer::Impl::wait_for_no_connections(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  sessions_changed_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
}

// ---------------------------------------------------------------- facade

HttpServer::HttpServer(HttpServerOptions options, Handler handler, ErrorFactory make_error)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(make_error))) {
}

HttpServer::~HttpServer() { impl_->stop(); }

bool HttpServer::start(std::string* error) { return impl_->start(error); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::stop() { impl_->stop(); }

size_t HttpServer::connections() const { return impl_->connections(); }

}  // namespace oncepay::http
