#include "net/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cassert>
#include <cctype>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace oncepay::net {
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

static_assert(kFirstReadBytes > 0 && kLingerMaxBytes >= kFirstReadBytes);

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

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpRequest to_http_request(http::request<http::string_body>&& message, std::string remote) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : message) {
    request.headers.emplace_back(lower_case(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = std::move(remote);
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

class Session;

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
  void remove(Session* session);

 private:
  bool listen(std::string* error);
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void admit(tcp::socket socket);
  bool evict_idlest_locked();
  void close_acceptor();
  void close_sessions(bool idle_only);
  void wait_for_no_connections(std::chrono::milliseconds timeout);

  const HttpServerOptions options_;
  const Handler handler_;
  const ErrorFactory make_error_;
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
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;

  std::mutex lifecycle_mutex_;  // guards started_, stopped_
  bool started_ = false;
  bool stopped_ = false;
};

namespace {

// One connection. All members are used on the connection's strand, except
// state_ and idle_since_ns_, which the acceptor and stop() read to pick idle
// connections, and try_evict()/close_soon(), which any thread may call.
class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class State { kIdle, kReading, kHandling, kWriting, kEvicted };

  Session(tcp::socket&& socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = remote.address().to_string();
  }

  void start() {
    asio::post(stream_.get_executor(),
               beast::bind_front_handler(&Session::wait_for_request, shared_from_this()));
  }

  // Answers `response` and closes without reading a request (the cap).
  void reject(HttpResponse response) {
    state_.store(State::kWriting);
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), r = std::move(response)]() mutable {
                 self->keep_alive_ = false;
                 self->write(std::move(r));
               });
  }

  // Claims an idle connection for closing; false when it is busy or gone.
  bool try_evict() {
    State expected = State::kIdle;
    return state_.compare_exchange_strong(expected, State::kEvicted);
  }

  void close_soon() {
    asio::post(stream_.get_executor(),
               beast::bind_front_handler(&Session::close, shared_from_this()));
  }

  State state() const { return state_.load(); }
  int64_t idle_since_ns() const { return idle_since_ns_.load(); }

 private:
  void wait_for_request() {
    idle_since_ns_.store(now_ns());
    State state = state_.load();
    do {
      if (state == State::kEvicted) return close();
    } while (!state_.compare_exchange_weak(state, State::kIdle));
    if (server_->draining() && try_evict()) return close();
    if (buffer_.size() > 0) return begin_request();  // bytes left from the last read
    stream_.expires_after(server_->options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kFirstReadBytes),
        beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, size_t bytes) {
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
    stream_.expires_after(options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return fail(ec, "read");
    stream_.expires_never();  // the handler's time is the application's to bound
    if (server_->draining()) {
      return send_error({503, "shutting_down", "the server is shutting down"});
    }
    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    state_.store(State::kHandling);
    server_->handler()(to_http_request(std::move(message), remote_address_), make_responder());
  }

  Responder make_responder() {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    return [gate = server_->gate(), answered, weak = weak_from_this()](HttpResponse response) {
      if (answered->exchange(true)) return;  // called twice: ignore
      std::shared_lock lock(gate->mutex);
      if (!gate->open) return;
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->stream_.get_executor(), [self, r = std::move(response)]() mutable {
        if (self->state_.load() == State::kHandling && !self->closed_) self->write(std::move(r));
      });
    };
  }

  void send_error(const TransportError& error) {
    keep_alive_ = false;
    write(server_->make_error(error));
  }

  void write(HttpResponse response) {
    assert(response.status >= 100 && response.status <= 999);
    state_.store(State::kWriting);
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "oncepay");
    if (!response.content_type.empty()) {
      response_.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) response_.insert(name, value);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive_ && !server_->draining());
    response_.prepare_payload();
    stream_.expires_after(server_->options().read_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t /*bytes*/) {
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

  void linger_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    stream_.expires_after(kLingerTimeout);
    linger_read(0);
  }

  void linger_read(size_t discarded) {
    if (discarded >= kLingerMaxBytes) return close();
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this(), discarded](beast::error_code ec, size_t n) {
                              if (ec) return self->close();
                              self->linger_read(discarded + n);
                            });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    stream_.close();
    server_->remove(this);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool closed_ = false;
  // A connection is idle from the moment it is accepted.
  std::atomic<State> state_{State::kIdle};
  std::atomic<int64_t> idle_since_ns_{now_ns()};
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
  assert(options_.threads >= 1);
  assert(options_.max_connections >= 1);
  assert(options_.header_limit_bytes <= UINT32_MAX);  // Beast takes a 32-bit header limit
  assert(handler_ && make_error_);
}

bool HttpServer::Impl::start(std::string* error) {
  std::lock_guard lock(lifecycle_mutex_);
  if (started_ || stopped_) {
    if (error != nullptr) *error = "HttpServer::start called twice";
    return false;
  }
  if (!listen(error)) return false;
  started_ = true;
  work_.emplace(ioc_.get_executor());
  do_accept();
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
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

// Runs on the acceptor's strand. See the header for the cap policy.
void HttpServer::Impl::admit(tcp::socket socket) {
  auto session = std::make_shared<Session>(std::move(socket), this);
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
    Session* idlest = nullptr;
    for (const auto& [raw, session] : sessions_) {
      if (session->state() != Session::State::kIdle) continue;
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

void HttpServer::Impl::remove(Session* session) {
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
  assert(!ioc_.get_executor().running_in_this_thread() && "stop() from an I/O thread");
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

}  // namespace oncepay::net
