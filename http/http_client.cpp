#include "http/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

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
#include <future>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "core/check.hpp"
#include "http/http_types.hpp"
#include "http/url.hpp"

namespace oncepay::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// How long stop() waits for cancelled requests to report before giving up.
constexpr std::chrono::milliseconds kStopTimeout{2000};

HttpClientResult failure(std::string error) {
  HttpClientResult result;
  result.error = std::move(error);
  return result;
}

// The pool's key: one pool per (scheme, host, port).
std::string pool_key(const Url& url) {
  return (url.tls ? "https://[" : "http://[") + url.host + "]:" + url.port;
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The client side of TLS for every https:// connection of one client: TLS
// 1.2+, no compression, the system trust store plus options.tls_ca_file,
// peer verification on. Null with *error naming what failed.
std::unique_ptr<asio::ssl::context> make_tls_context(const HttpClientOptions& options,
                                                     std::string* error) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    *error = "TLS: cannot require TLS 1.2";
    return nullptr;
  }
  context->set_options(asio::ssl::context::default_workarounds |
                       asio::ssl::context::no_compression);
  beast::error_code ec;
  if (context->set_default_verify_paths(ec)) {
    *error = "TLS: cannot use the system trust store: " + ec.message();
    return nullptr;
  }
  if (!options.tls_ca_file.empty() && context->load_verify_file(options.tls_ca_file, ec)) {
    *error = "TLS CA file " + options.tls_ca_file + ": " + ec.message();
    return nullptr;
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  return context;
}

// Why a handshake failed: the certificate check's own reason when that was
// it ("hostname mismatch", "self-signed certificate", ...), else `ec`'s.
std::string handshake_failure(TlsStream& stream, beast::error_code ec) {
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify == X509_V_OK || ec == beast::error::timeout) return ec.message();
  return std::string("certificate verification failed (")
      .append(X509_verify_cert_error_string(verify))
      .append(")");
}

// Requests that may be sent twice with the effect of once (RFC 9110 9.2.2),
// or that the caller marked so with an Idempotency-Key header.
bool idempotent(const http::request<http::string_body>& request) {
  switch (request.method()) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return request.find("Idempotency-Key") != request.end();
  }
}

// True when the peer has neither closed `socket` nor sent anything on it: a
// read that must not block would block. Consumes nothing. For TLS this looks
// below the TLS layer, which is right: a live idle TLS connection carries no
// bytes either (session tickets came before the last response).
bool quiet_and_open(tcp::socket& socket) {
  beast::error_code ec;
  socket.non_blocking(true, ec);
  if (ec) return false;
  char byte = 0;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  const bool open = ec == asio::error::would_block;
  socket.non_blocking(false, ec);
  return open && !ec;
}

// One connection to a (scheme, host, port), plain or TLS, and the strand it
// lives on. Used on that strand only, by the Call that owns it or, while
// idle, by the pool's watch handlers; `key` is immutable.
struct Connection {
  // `tls` null: plain HTTP; else the client's TLS context.
  Connection(asio::any_io_executor strand, std::string pool_key, asio::ssl::context* tls)
      : idle_timer(strand), key(std::move(pool_key)) {
    if (tls != nullptr) {
      tls_stream.emplace(strand, *tls);
    } else {
      plain_stream.emplace(strand);
    }
  }

  // The TCP layer, which carries the timeouts either way.
  beast::tcp_stream& tcp() {
    return tls_stream ? beast::get_lowest_layer(*tls_stream) : *plain_stream;
  }

  // Calls f(stream) with the stream HTTP is spoken on.
  template <class F>
  void with_stream(F&& f) {
    if (tls_stream) {
      f(*tls_stream);
    } else {
      f(*plain_stream);
    }
  }

  void close() {
    beast::error_code ignored;
    idle_timer.cancel();
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  std::optional<beast::tcp_stream> plain_stream;  // exactly one of these two is set
  std::optional<TlsStream> tls_stream;
  asio::steady_timer idle_timer;  // idle_timeout while in the pool
  const std::string key;
  // Bumped whenever the connection enters or leaves the pool: a watch handler
  // that finds another value than it started with belongs to an old idle spell.
  uint64_t idle_generation = 0;
};

class Call;

}  // namespace

class HttpClient::Impl {
 public:
  Impl(HttpClientOptions options, int threads);
  void request(std::string method, std::string url,
               std::vector<std::pair<std::string, std::string>> headers, std::string body,
               std::function<void(HttpClientResult)> done);
  void stop();
  void remove(Call* call);
  const HttpClientOptions& options() const { return options_; }

  // The TLS context of https:// connections, made on first use; null with
  // *error when it cannot be made (then never retried: the files are read
  // once). Any thread.
  asio::ssl::context* tls_context(std::string* error);

  // On the connection's strand, after a complete keep-alive response: the
  // connection joins its host's pool, or is closed when that is full or the
  // client is stopping.
  void park(std::shared_ptr<Connection> connection);
  size_t idle_connections() const;

 private:
  // mutex_ held. The most recently parked idle connection to `key`, if any.
  std::shared_ptr<Connection> take_idle(const std::string& key);
  // On the connection's strand, while idle: closes it unless a request took
  // it from the pool meanwhile.
  void evict(const std::shared_ptr<Connection>& connection);
  void watch(const std::shared_ptr<Connection>& connection);

  const HttpClientOptions options_;
  // Declared before ioc_, so destroyed after the connections in its handlers.
  std::once_flag tls_once_;
  std::unique_ptr<asio::ssl::context> tls_;  // set by tls_context()
  std::string tls_error_;                    // when tls_ is null after tls_context()
  asio::io_context ioc_;                     // declared before the rest: destroyed after it
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;  // guards stopped_, calls_, idle_, idle_count_
  std::condition_variable calls_changed_;
  bool stopped_ = false;
  std::unordered_map<Call*, std::shared_ptr<Call>> calls_;
  // Per pool key, idle connections, most recently parked last; each holds at
  // most options_.max_idle_per_host.
  std::unordered_map<std::string, std::vector<std::shared_ptr<Connection>>> idle_;
  size_t idle_count_ = 0;
};

namespace {

// One request: on a pooled connection (on that connection's strand) or on a
// fresh one (resolve, connect), then write, read, done. Members are used on
// the strand only.
class Call : public std::enable_shared_from_this<Call> {
 public:
  // `tls` is the client's TLS context for an https:// url, else null.
  Call(asio::any_io_executor strand, HttpClient::Impl* client, Url url, std::string key,
       asio::ssl::context* tls, http::request<http::string_body> request,
       std::shared_ptr<Connection> pooled, std::function<void(HttpClientResult)> done)
      : strand_(strand),
        resolver_(strand),
        resolve_timer_(strand),
        client_(client),
        url_(std::move(url)),
        tls_(tls),
        key_(std::move(key)),
        request_(std::move(request)),
        idempotent_(idempotent(request_)),
        connection_(std::move(pooled)),
        done_(std::move(done)) {}

  void start() { asio::post(strand_, beast::bind_front_handler(&Call::begin, shared_from_this())); }

  // Any thread.
  void cancel() {
    asio::post(strand_, [self = shared_from_this()] {
      self->cancelled_ = true;
      self->resolver_.cancel();
      if (self->connection_) self->connection_->tcp().cancel();
    });
  }

 private:
  void begin() {
    if (cancelled_) return fail({}, "cancelled");
    if (connection_) {
      // Taken from the pool: end its idle spell, then check that the server
      // has not closed it meanwhile. Nothing was sent yet, so a dead one is
      // simply replaced by a fresh connection.
      ++connection_->idle_generation;
      connection_->idle_timer.cancel();
      beast::error_code ignored;
      connection_->tcp().socket().cancel(ignored);
      if (quiet_and_open(connection_->tcp().socket())) {
        reused_ = true;
        return send();
      }
      connection_->close();
      connection_.reset();
    }
    resolve();
  }

  // Resolving, connecting and the TLS handshake share one deadline.
  void resolve() {
    if (cancelled_) return fail({}, "cancelled");
    resolve_timed_out_ = false;
    connect_deadline_ = std::chrono::steady_clock::now() + client_->options().connect_timeout;
    resolve_timer_.expires_at(connect_deadline_);
    resolve_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the resolve finished first
      self->resolve_timed_out_ = true;
      self->resolver_.cancel();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            beast::bind_front_handler(&Call::on_resolve, shared_from_this()));
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type endpoints) {
    resolve_timer_.cancel();
    if (resolve_timed_out_) ec = beast::error::timeout;
    if (ec || cancelled_) return fail(ec, "resolve");
    connection_ = std::make_shared<Connection>(strand_, key_, tls_);
    connection_->tcp().expires_at(connect_deadline_);
    connection_->tcp().async_connect(
        endpoints, beast::bind_front_handler(&Call::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint& /*endpoint*/) {
    if (ec || cancelled_) return fail(ec, "connect");
    if (connection_->tls_stream) return handshake();
    send();
  }

  // Still under the connect deadline set in resolve().
  void handshake() {
    TlsStream& stream = *connection_->tls_stream;
    SSL* ssl = stream.native_handle();
    // OpenSSL checks the name while it verifies the chain, so a mismatch is
    // reported like any other verification failure, with its reason
    // (X509_V_ERR_HOSTNAME_MISMATCH); the checks are those of
    // asio::ssl::host_name_verification (X509_check_host, X509_check_ip_asc).
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    bool configured = false;
    if (is_ip_address(url_.host)) {
      configured = X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str()) == 1;
    } else {
      configured = X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size()) == 1 &&
                   SSL_set_tlsext_host_name(ssl, url_.host.c_str()) == 1;  // SNI
    }
    if (!configured) return fail({}, "tls setup", "cannot set the expected host name");
    stream.async_handshake(asio::ssl::stream_base::client,
                           beast::bind_front_handler(&Call::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec || cancelled_) {
      return fail(ec, "tls handshake", handshake_failure(*connection_->tls_stream, ec));
    }
    send();
  }

  void send() {
    connection_->tcp().expires_after(client_->options().request_timeout);
    connection_->with_stream([this](auto& stream) {
      http::async_write(stream, request_,
                        beast::bind_front_handler(&Call::on_write, shared_from_this()));
    });
  }

  void on_write(beast::error_code ec, size_t /*bytes*/) {
    if (ec || cancelled_) {
      if (may_retry(ec, /*request_written=*/false)) return retry();
      return fail(ec, "write");
    }
    buffer_.clear();
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(client_->options().body_limit_bytes));
    if (request_.method() == http::verb::head) parser_->skip(true);
    connection_->with_stream([this](auto& stream) {
      http::async_read(stream, buffer_, *parser_,
                       beast::bind_front_handler(&Call::on_read, shared_from_this()));
    });
  }

  void on_read(beast::error_code ec, size_t /*bytes*/) {
    if (ec) {
      if (may_retry(ec, /*request_written=*/true)) return retry();
      return fail(ec, "read");
    }
    http::response<http::string_body> response = parser_->release();
    // Bytes after the response would be a pipelined answer nobody asked for.
    reusable_ = request_.keep_alive() && response.keep_alive() && buffer_.size() == 0;
    HttpClientResult result;
    result.ok = true;
    result.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      result.headers.emplace_back(ascii_lower(field.name_string()), std::string(field.value()));
    }
    result.body = std::move(response.body());
    finish(std::move(result));
  }

  // The reuse rule (see the header): once, only for a pooled connection,
  // never after a timeout or a response byte, and after a complete write only
  // for requests that are safe to repeat.
  bool may_retry(beast::error_code ec, bool request_written) const {
    if (!reused_ || retried_ || cancelled_ || ec == beast::error::timeout) return false;
    if (!request_written) return true;
    const bool response_started = parser_->got_some() || buffer_.size() > 0;
    return !response_started && idempotent_;
  }

  void retry() {
    retried_ = true;
    reused_ = false;
    connection_->close();
    connection_.reset();
    resolve();
  }

  // The one error path. `detail` says what went wrong when `ec` alone does
  // not (or there is no `ec`).
  void fail(beast::error_code ec, const char* what, std::string detail = {}) {
    if (cancelled_) return finish(failure("client stopped"));
    std::string error = std::string(what) + " " + url_.host + ":" + url_.port + ": " +
                        (detail.empty() ? ec.message() : detail);
    if (reused_) error += " (on a reused connection)";
    finish(failure(std::move(error)));
  }

  void finish(HttpClientResult result) {
    if (connection_) {
      if (reusable_ && !cancelled_) {
        client_->park(std::move(connection_));
      } else {
        connection_->close();
      }
      connection_.reset();
    }
    auto done = std::move(done_);
    client_->remove(this);
    done(std::move(result));
  }

  asio::any_io_executor strand_;
  tcp::resolver resolver_;
  asio::steady_timer resolve_timer_;
  HttpClient::Impl* client_;
  Url url_;
  asio::ssl::context* tls_;  // the client's, for https://; null for http://
  std::string key_;
  http::request<http::string_body> request_;
  const bool idempotent_;
  std::shared_ptr<Connection> connection_;  // null until connected (or taken from the pool)
  std::function<void(HttpClientResult)> done_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::chrono::steady_clock::time_point connect_deadline_;  // of resolve, connect, handshake
  bool resolve_timed_out_ = false;
  bool cancelled_ = false;
  bool reused_ = false;    // the current connection came from the pool
  bool retried_ = false;   // the one retry on a fresh connection was used
  bool reusable_ = false;  // complete keep-alive response: the connection may be pooled
};

http::request<http::string_body> make_request(
    std::string_view method, const Url& url,
    std::vector<std::pair<std::string, std::string>>& headers, std::string& body, bool keep_alive) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(url.target);
  request.version(11);
  for (auto& [name, value] : headers) request.insert(name, value);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + url.host + "]" : url.host;
  request.set(http::field::host, url.port == default_port(url.tls) ? host : host + ":" + url.port);
  request.set(http::field::user_agent, "oncepay");
  request.erase(http::field::connection);
  request.keep_alive(keep_alive);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

}  // namespace

HttpClient::Impl::Impl(HttpClientOptions options, int threads)
    : options_(std::move(options)), ioc_(std::max(threads, 1)) {
  ONCEPAY_CHECK(threads >= 1);
  ONCEPAY_CHECK(options_.idle_timeout > std::chrono::milliseconds::zero());
  work_.emplace(ioc_.get_executor());
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void HttpClient::Impl::request(std::string method, std::string url,
                               std::vector<std::pair<std::string, std::string>> headers,
                               std::string body, std::function<void(HttpClientResult)> done) {
  ONCEPAY_CHECK(done);
  std::optional<Url> parsed = parse_url(url);
  if (!parsed) return done(failure("invalid URL (want http[s]://host[:port]/path): " + url));
  asio::ssl::context* tls = nullptr;
  if (parsed->tls) {
    std::string error;
    tls = tls_context(&error);
    if (tls == nullptr) return done(failure(std::move(error)));
  }
  std::string key = pool_key(*parsed);
  http::request<http::string_body> message =
      make_request(method, *parsed, headers, body, options_.keep_alive);
  std::shared_ptr<Call> call;
  {
    std::unique_lock lock(mutex_);
    if (stopped_) {
      lock.unlock();
      return done(failure("client stopped"));
    }
    std::shared_ptr<Connection> pooled = take_idle(key);
    // A pooled connection's strand serializes its new request with its watch.
    asio::any_io_executor strand = pooled ? pooled->tcp().get_executor() : asio::make_strand(ioc_);
    call = std::make_shared<Call>(strand, this, std::move(*parsed), std::move(key), tls,
                                  std::move(message), std::move(pooled), std::move(done));
    calls_.emplace(call.get(), call);
  }
  call->start();
}

asio::ssl::context* HttpClient::Impl::tls_context(std::string* error) {
  std::call_once(tls_once_, [this] { tls_ = make_tls_context(options_, &tls_error_); });
  if (!tls_) *error = tls_error_;
  return tls_.get();
}

void HttpClient::Impl::remove(Call* call) {
  {
    std::lock_guard lock(mutex_);
    calls_.erase(call);
  }
  calls_changed_.notify_all();
}

std::shared_ptr<Connection> HttpClient::Impl::take_idle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  ONCEPAY_CHECK(!it->second.empty());
  std::shared_ptr<Connection> connection = std::move(it->second.back());
  it->second.pop_back();
  if (it->second.empty()) idle_.erase(it);
  ONCEPAY_CHECK(idle_count_ > 0);
  --idle_count_;
  return connection;
}

void HttpClient::Impl::park(std::shared_ptr<Connection> connection) {
  ++connection->idle_generation;
  {
    std::lock_guard lock(mutex_);
    auto& pool = idle_[connection->key];
    if (stopped_ || pool.size() >= options_.max_idle_per_host) {
      if (pool.empty()) idle_.erase(connection->key);
      connection->close();
      return;
    }
    pool.push_back(connection);
    ++idle_count_;
  }
  // A request that takes it now runs on this strand, after this handler.
  watch(connection);
}

// While idle, a connection waits for the server to close it (or to send
// something unsolicited, which also ends its use) and for idle_timeout.
void HttpClient::Impl::watch(const std::shared_ptr<Connection>& connection) {
  const uint64_t generation = connection->idle_generation;
  auto on_wake = [this, connection, generation](beast::error_code /*ec*/) {
    if (connection->idle_generation == generation) evict(connection);
  };
  connection->idle_timer.expires_after(options_.idle_timeout);
  connection->idle_timer.async_wait(on_wake);
  connection->tcp().socket().async_wait(tcp::socket::wait_read, on_wake);
}

void HttpClient::Impl::evict(const std::shared_ptr<Connection>& connection) {
  ++connection->idle_generation;  // the other watch handler is now stale
  {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(connection->key);
    if (it == idle_.end()) return;  // taken by a request: its Call checks it
    auto& pool = it->second;
    auto found = std::find(pool.begin(), pool.end(), connection);
    if (found == pool.end()) return;
    pool.erase(found);
    if (pool.empty()) idle_.erase(it);
    --idle_count_;
  }
  connection->close();
}

size_t HttpClient::Impl::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_count_;
}

void HttpClient::Impl::stop() {
  ONCEPAY_CHECK(!ioc_.get_executor().running_in_this_thread() && "HttpClient::stop() from `done`");
  {
    std::unique_lock lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (const auto& [raw, call] : calls_) call->cancel();
    calls_changed_.wait_for(lock, kStopTimeout, [this] { return calls_.empty(); });
  }
  work_.reset();
  ioc_.stop();
  for (auto& thread : threads_) thread.join();
  decltype(idle_) idle;
  {
    std::lock_guard lock(mutex_);
    calls_.clear();  // only calls stuck in name resolution are left
    idle.swap(idle_);
    idle_count_ = 0;
  }
  // No I/O thread runs any more: closing here races with nothing.
  for (auto& [key, pool] : idle) {
    for (auto& connection : pool) connection->close();
  }
}

// ---------------------------------------------------------------- facade

HttpClient::HttpClient(HttpClientOptions options, int threads)
    : impl_(std::make_unique<Impl>(std::move(options), threads)) {}

HttpClient::~HttpClient() { impl_->stop(); }

void HttpClient::request(std::string method, std::string url,
                         std::vector<std::pair<std::string, std::string>> headers, std::string body,
                         std::function<void(HttpClientResult)> done) {
  impl_->request(std::move(method), std::move(url), std::move(headers), std::move(body),
                 std::move(done));
}

void HttpClient::stop() { impl_->stop(); }

size_t HttpClient::idle_connections() const { return impl_->idle_connections(); }

std::string check_tls_client_options(const HttpClientOptions& options) {
  std::string error;
  make_tls_context(options, &error);
  return error;
}

HttpClientResult http_request_blocking(std::string method, std::string url,
                                       std::vector<std::pair<std::string, std::string>> headers,
                                       std::string body, std::chrono::milliseconds timeout) {
  HttpClient client(HttpClientOptions{.connect_timeout = timeout, .request_timeout = timeout});
  std::promise<HttpClientResult> promise;
  std::future<HttpClientResult> future = promise.get_future();
  client.request(std::move(method), std::move(url), std::move(headers), std::move(body),
                 [&promise](HttpClientResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace oncepay::http
