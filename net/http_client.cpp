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

 private:
  const HttpClientOptions options_;
  asio::io_context ioc_;  // declared first: destroyed last
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  std::mutex mutex_;  // guards stopped_, calls_
  std::condition_variable calls_changed_;
  bool stopped_ = false;
  std::unordered_map<Call*, std::shared_ptr<Call>> calls_;
};

namespace {

// One request on its own connection and strand: resolve, connect, write,
// read, done. Members are used on the strand only.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(asio::any_io_executor strand, HttpClient::Impl* client, Url url,
       http::request<http::string_body> request, std::function<void(HttpClientResult)> done)
      : resolver_(strand),
        resolve_timer_(strand),
        stream_(strand),
        client_(client),
        url_(std::move(url)),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void start() {
    asio::post(stream_.get_executor(),
               beast::bind_front_handler(&Call::resolve, shared_from_this()));
  }

  // Any thread.
  void cancel() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->cancelled_ = true;
      self->resolver_.cancel();
      self->stream_.cancel();
    });
  }

 private:
  void resolve() {
    if (cancelled_) return fail({}, "cancelled");
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
    stream_.expires_after(client_->options().connect_timeout);
    stream_.async_connect(endpoints,
                          beast::bind_front_handler(&Call::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint& /*endpoint*/) {
    if (ec || cancelled_) return fail(ec, "connect");
    stream_.expires_after(client_->options().request_timeout);
    http::async_write(stream_, request_,
                      beast::bind_front_handler(&Call::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t /*bytes*/) {
    if (ec || cancelled_) return fail(ec, "write");
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(client_->options().body_limit_bytes));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Call::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return fail(ec, "read");
    http::response<http::string_body> response = parser_->release();
    HttpClientResult result;
    result.ok = true;
    result.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      result.headers.emplace_back(lower_case(field.name_string()), std::string(field.value()));
    }
    result.body = std::move(response.body());
    finish(std::move(result));
  }

  // The one error path.
  void fail(beast::error_code ec, const char* what) {
    if (cancelled_) return finish(failure("client stopped"));
    finish(failure(std::string(what) + " " + url_.host + ":" + url_.port + ": " + ec.message()));
  }

  void finish(HttpClientResult result) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    auto done = std::move(done_);
    client_->remove(this);
    done(std::move(result));
  }

  tcp::resolver resolver_;
  asio::steady_timer resolve_timer_;
  beast::tcp_stream stream_;
  HttpClient::Impl* client_;
  Url url_;
  http::request<http::string_body> request_;
  std::function<void(HttpClientResult)> done_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool resolve_timed_out_ = false;
  bool cancelled_ = false;
};

http::request<http::string_body> make_request(
    std::string_view method, const Url& url,
    std::vector<std::pair<std::string, std::string>>& headers, std::string& body) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(url.target);
  request.version(11);
  for (auto& [name, value] : headers) request.insert(name, value);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + url.host + "]" : url.host;
  request.set(http::field::host, url.port == kDefaultPort ? host : host + ":" + url.port);
  request.set(http::field::user_agent, "oncepay");
  request.keep_alive(false);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

}  // namespace

HttpClient::Impl::Impl(HttpClientOptions options, int threads)
    : options_(std::move(options)), ioc_(std::max(threads, 1)) {
  assert(threads >= 1);
  work_.emplace(ioc_.get_executor());
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void HttpClient::Impl::request(std::string method, std::string url,
                               std::vector<std::pair<std::string, std::string>> headers,
                               std::string body, std::function<void(HttpClientResult)> done) {
  assert(done);
  std::optional<Url> parsed = parse_url(url);
  if (!parsed) return done(failure("invalid URL (want http://host[:port]/path): " + url));
  std::shared_ptr<Call> call;
  {
    std::unique_lock lock(mutex_);
    if (stopped_) {
      lock.unlock();
      return done(failure("client stopped"));
    }
    call = std::make_shared<Call>(asio::make_strand(ioc_), this, *parsed,
                                  make_request(method, *parsed, headers, body), std::move(done));
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
  std::lock_guard lock(mutex_);
  calls_.clear();  // only calls stuck in name resolution are left
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
