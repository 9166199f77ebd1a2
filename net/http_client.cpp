#include "net/http_client.hpp"

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
#include <string_view>
#include <thread>
#include <unordered_map>

namespace oncepay::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// How long stop() waits for cancelled requests to report before giving up.
constexpr std::chrono::milliseconds kStopTimeout{2000};
constexpr std::string_view kDefaultPort = "80";

struct Url {
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string target;  // path and query, at least "/"
};

// http://host[:port][/path][?query]; nullopt for anything else.
std::optional<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  const size_t slash = std::min(url.find('/'), url.find('?'));
  std::string_view authority = url.substr(0, slash);
  Url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.target.starts_with('?')) out.target.insert(0, "/");
  size_t colon = authority.rfind(':');
  if (authority.starts_with('[')) {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    colon = authority.find(':', close);
  } else {
    out.host = std::string(authority.substr(0, colon));
  }
  out.port = colon == std::string_view::npos ? std::string(kDefaultPort)
                                             : std::string(authority.substr(colon + 1));
  const bool digits =
      !out.port.empty() && std::all_of(out.port.begin(), out.port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
  if (out.host.empty() || !digits) return std::nullopt;
  return out;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpClientResult failure(std::string error) {
  HttpClientResult result;
  result.error = std::move(error);
  return result;
}

// The pool's key: one pool per (host, port).
std::string pool_key(const Url& url) { return "[" + url.host + "]:" + url.port; }

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
// read that must not block would block. Consumes nothing.
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

// One TCP connection to a (host, port) and the strand it lives on. Used on
// that strand only, by the Call that owns it or, while idle, by the pool's
// watch handlers; `key` is immutable.
struct Connection {
  Connection(asio::any_io_executor strand, std::string pool_key)
      : stream(strand), idle_timer(strand), key(std::move(pool_key)) {}

  void close() {
    beast::error_code ignored;
    idle_timer.cancel();
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }

  beast::tcp_stream stream;
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
  asio::io_context ioc_;  // declared first: destroyed last
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
  Call(asio::any_io_executor strand, HttpClient::Impl* client, Url url, std::string key,
       http::request<http::string_body> request, std::shared_ptr<Connection> pooled,
       std::function<void(HttpClientResult)> done)
      : strand_(strand),
        resolver_(strand),
        resolve_timer_(strand),
        client_(client),
        url_(std::move(url)),
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
      if (self->connection_) self->connection_->stream.cancel();
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
      connection_->stream.socket().cancel(ignored);
      if (quiet_and_open(connection_->stream.socket())) {
        reused_ = true;
        return send();
      }
      connection_->close();
      connection_.reset();
    }
    resolve();
  }

  void resolve() {
    if (cancelled_) return fail({}, "cancelled");
    resolve_timed_out_ = false;
    resolve_timer_.expires_after(client_->options().connect_timeout);
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
    connection_ = std::make_shared<Connection>(strand_, key_);
    connection_->stream.expires_after(client_->options().connect_timeout);
    connection_->stream.async_connect(
        endpoints, beast::bind_front_handler(&Call::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint& /*endpoint*/) {
    if (ec || cancelled_) return fail(ec, "connect");
    send();
  }

  void send() {
    connection_->stream.expires_after(client_->options().request_timeout);
    http::async_write(connection_->stream, request_,
                      beast::bind_front_handler(&Call::on_write, shared_from_this()));
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
    http::async_read(connection_->stream, buffer_, *parser_,
                     beast::bind_front_handler(&Call::on_read, shared_from_this()));
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
      result.headers.emplace_back(lower_case(field.name_string()), std::string(field.value()));
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

  // The one error path.
  void fail(beast::error_code ec, const char* what) {
    if (cancelled_) return finish(failure("client stopped"));
    std::string error = std::string(what) + " " + url_.host + ":" + url_.port + ": " + ec.message();
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
  std::string key_;
  http::request<http::string_body> request_;
  const bool idempotent_;
  std::shared_ptr<Connection> connection_;  // null until connected (or taken from the pool)
  std::function<void(HttpClientResult)> done_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
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
  request.set(http::field::host, url.port == kDefaultPort ? host : host + ":" + url.port);
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
  assert(threads >= 1);
  assert(options_.idle_timeout > std::chrono::milliseconds::zero());
  work_.emplace(ioc_.get_executor());
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void HttpClient::Impl::request(std::string method, std::string url,
                               std::vector<std::pair<std::string, std::string>> headers,
                               std::string body, std::function<void(HttpClientResult)> done) {
  assert(done);
  std::optional<Url> parsed = parse_url(url);
  if (!parsed) return done(failure("invalid URL (want http://host[:port]/path): " + url));
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
    asio::any_io_executor strand = pooled ? pooled->stream.get_executor() : asio::make_strand(ioc_);
    call = std::make_shared<Call>(strand, this, std::move(*parsed), std::move(key),
                                  std::move(message), std::move(pooled), std::move(done));
    calls_.emplace(call.get(), call);
  }
  call->start();
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
  assert(!it->second.empty());
  std::shared_ptr<Connection> connection = std::move(it->second.back());
  it->second.pop_back();
  if (it->second.empty()) idle_.erase(it);
  assert(idle_count_ > 0);
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
  connection->stream.socket().async_wait(tcp::socket::wait_read, on_wake);
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
  assert(!ioc_.get_executor().running_in_this_thread() && "HttpClient::stop() from `done`");
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

}  // namespace oncepay::net
