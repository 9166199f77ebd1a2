#include "bench/http_driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <sstream>

namespace oncepay::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kResponseBodyLimitBytes = 1 << 20;
constexpr std::chrono::milliseconds kWaitPoll{1};
constexpr std::chrono::milliseconds kReconnectDelay{10};
constexpr char kPayBodyPrefix[] = "{\"amount\":";
constexpr char kPayBodyMiddle[] = ",\"currency\":\"CNY\",\"channel\":\"";
constexpr char kPayBodySuffix[] = "\",\"subject\":\"bench\"}";

// The string value that follows `key` (e.g. "\"code\":\"") in a compact JSON
// body, searched from `from`; empty when absent.
std::string_view string_after(std::string_view body, std::string_view key, size_t from = 0) {
  const size_t at = body.find(key, from);
  if (at == std::string_view::npos) return {};
  const size_t begin = at + key.size();
  const size_t end = body.find('"', begin);
  if (end == std::string_view::npos) return {};
  return body.substr(begin, end - begin);
}

// The API's answer in the Scenario's terms. Cheap string searches, not a
// JSON parse: the bench must not spend its CPU on that (bodies are the
// daemon's compact to_json output).
Outcome outcome_of(const http::response<http::string_body>& response, OpKind kind) {
  Outcome out;
  out.http_status = static_cast<int>(response.result_int());
  std::string_view body = response.body();
  if (out.http_status == 201) {
    out.code = "created";
  } else if (out.http_status == 202) {
    out.code = "accepted";
  } else if (out.http_status / 100 == 2) {
    out.code = "ok";
  } else {
    out.code = std::string(string_after(body, "\"code\":\""));
  }
  if (kind == OpKind::kPay && out.http_status / 100 == 2) {
    const size_t attempt = body.find("\"attempt\":{");
    if (attempt != std::string_view::npos) {
      out.payment_no = std::string(string_after(body, "\"payment_no\":\"", attempt));
    }
  }
  return out;
}

// Sums the samples of one metric in Prometheus text; nullopt when absent.
std::optional<double> metric_sum(const std::string& text, std::string_view name) {
  std::istringstream lines(text);
  std::string line;
  std::optional<double> sum;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      sum = sum.value_or(0) + std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      continue;
    }
  }
  return sum;
}

}  // namespace

bool parse_target(const std::string& url, std::string* host, std::string* port) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return false;
  std::string rest = url.substr(kScheme.size());
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    if (rest.find_first_not_of('/', slash) != std::string::npos) return false;
    rest.resize(slash);
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    *host = rest;
    *port = "80";
  } else {
    *host = rest.substr(0, colon);
    *port = rest.substr(colon + 1);
  }
  return !host->empty() && !port->empty();
}

struct HttpDriver::Impl {
  explicit Impl(HttpDriverOptions o) : options(std::move(o)) {}

  // One blocking GET on a fresh connection; false on any transport error.
  bool get(const std::string& path, int* status, std::string* body) {
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.expires_after(options.request_timeout);
      stream.connect(endpoint);
      http::request<http::empty_body> request{http::verb::get, path, 11};
      request.set(http::field::host, host_header);
      http::write(stream, request);
      beast::flat_buffer buffer;
      http::response<http::string_body> response;
      http::read(stream, buffer, response);
      *status = static_cast<int>(response.result_int());
      *body = std::move(response.body());
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  std::optional<std::pair<double, double>> wal_metrics() {
    int status = 0;
    std::string body;
    if (!get("/metrics", &status, &body) || status != 200) return std::nullopt;
    auto fsyncs = metric_sum(body, "oncepay_wal_fsyncs_total");
    auto records = metric_sum(body, "oncepay_wal_records_total");
    if (!fsyncs || !records) return std::nullopt;
    return std::make_pair(*fsyncs, *records);
  }

  HttpDriverOptions options;
  std::string host, port, host_header;
  tcp::endpoint endpoint;
  std::string pay_body;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::thread> threads;
  std::atomic<size_t> active{0};
  Scenario* scenario = nullptr;
  Recorder* recorder = nullptr;
  Clock::time_point deadline;
  std::optional<std::pair<double, double>> metrics_before;
};

namespace {

// One keep-alive connection running requests back to back until the
// deadline. Owned by the handlers in flight (shared_from_this).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpDriver::Impl& driver, asio::io_context& io)
      : driver_(driver), stream_(io), timer_(io) {
    request_.version(11);
    request_.keep_alive(true);
    request_.set(http::field::host, driver_.host_header);
    request_.set(http::field::user_agent, "oncepay-bench");
    authorization_ = "Bearer ";
    authorization_ += driver_.options.api_key;
  }

  void next() {
    const auto now = Clock::now();
    Scenario::Next next =
        now >= driver_.deadline ? Scenario::Next::kDone : driver_.scenario->next(&op_, now);
    if (next == Scenario::Next::kDone) return finish();
    if (next == Scenario::Next::kWait) return retry_after(kWaitPoll);
    started_ = now;
    if (!connected_) return connect();
    send();
  }

 private:
  void retry_after(std::chrono::milliseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->next(); });
  }

  void connect() {
    stream_.expires_after(driver_.options.connect_timeout);
    stream_.async_connect(driver_.endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail(ec, "connect");
      self->connected_ = true;
      beast::error_code ignored;
      self->stream_.socket().set_option(tcp::no_delay(true), ignored);
      self->send();
    });
  }

  void build() {
    std::string target;
    request_.erase(http::field::authorization);
    request_.erase(http::field::content_type);
    switch (op_.kind) {
      case OpKind::kPay:
        target = "/v1/orders/";
        target += op_.merchant_order_no;
        target += "/pay";
        request_.method(http::verb::post);
        request_.set(http::field::authorization, authorization_);
        request_.set(http::field::content_type, "application/json");
        request_.body() = driver_.pay_body;
        break;
      case OpKind::kQuery:
        target = "/v1/orders/";
        target += op_.merchant_order_no;
        request_.method(http::verb::get);
        request_.set(http::field::authorization, authorization_);
        request_.body().clear();
        break;
      case OpKind::kConfirm:
        target = "/sandbox/payments/";
        target += op_.payment_no;
        target += "/pay";
        request_.method(http::verb::post);
        request_.set(http::field::content_type, "application/json");
        request_.body() = "{}";
        break;
    }
    request_.target(target);
    request_.prepare_payload();
  }

  void send() {
    build();
    stream_.expires_after(driver_.options.request_timeout);
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail(ec, "write");
      self->read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kResponseBodyLimitBytes);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->fail(ec, "read");
                       self->answered();
                     });
  }

  void answered() {
    const auto now = Clock::now();
    const auto& response = parser_->get();
    driver_.recorder->record(now - started_);
    driver_.scenario->complete(op_, outcome_of(response, op_.kind), now);
    if (!response.keep_alive()) close();
    next();
  }

  void fail(beast::error_code ec, const char* what) {
    Outcome out;
    out.transport_ok = false;
    if (ec == beast::error::timeout) {
      out.transport_error = "timeout";
    } else {
      out.transport_error = what;
    }
    driver_.scenario->complete(op_, out, Clock::now());
    close();
    retry_after(kReconnectDelay);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  void finish() {
    if (connected_) close();
    driver_.active.fetch_sub(1, std::memory_order_acq_rel);
  }

  HttpDriver::Impl& driver_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::string authorization_;
  Op op_;
  Clock::time_point started_;
  bool connected_ = false;
};

}  // namespace

HttpDriver::HttpDriver(HttpDriverOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpDriver::~HttpDriver() {
  for (auto& io : impl_->contexts) io->stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

bool HttpDriver::prepare(std::string* error) {
  Impl& d = *impl_;
  if (!parse_target(d.options.target, &d.host, &d.port)) {
    *error = "--target must be http://HOST:PORT, got '";
    *error += d.options.target;
    *error += "'";
    return false;
  }
  d.host_header = d.host;
  d.host_header += ':';
  d.host_header += d.port;
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(d.host, d.port);
    if (results.empty()) throw std::runtime_error("no address");
    d.endpoint = results.begin()->endpoint();
  } catch (const std::exception& e) {
    *error = "cannot resolve ";
    *error += d.host;
    *error += ": ";
    *error += e.what();
    return false;
  }
  d.pay_body = kPayBodyPrefix;
  d.pay_body += std::to_string(d.options.amount_minor);
  d.pay_body += kPayBodyMiddle;
  d.pay_body += d.options.channel;
  d.pay_body += kPayBodySuffix;

  const auto give_up = Clock::now() + d.options.ready_timeout;
  for (;;) {
    int status = 0;
    std::string body;
    if (d.get("/readyz", &status, &body) && status == 200) break;
    if (Clock::now() >= give_up) {
      *error = "the daemon at ";
      *error += d.options.target;
      *error += " did not answer GET /readyz with 200 in time";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  d.metrics_before = d.wal_metrics();
  return true;
}

void HttpDriver::launch(Scenario* scenario, Recorder* recorder, Clock::time_point deadline) {
  Impl& d = *impl_;
  d.scenario = scenario;
  d.recorder = recorder;
  d.deadline = deadline;
  const int threads = std::max(1, d.options.threads);
  for (int i = 0; i < threads; ++i) d.contexts.push_back(std::make_unique<asio::io_context>(1));
  d.active.store(d.options.connections, std::memory_order_release);
  for (size_t i = 0; i < d.options.connections; ++i) {
    auto& io = *d.contexts[i % d.contexts.size()];
    auto connection = std::make_shared<Connection>(d, io);
    asio::post(io, [connection] { connection->next(); });
  }
  for (auto& io : d.contexts) {
    d.threads.emplace_back([&io] { io->run(); });
  }
}

size_t HttpDriver::active() const { return impl_->active.load(std::memory_order_acquire); }

void HttpDriver::finish(JsonLine* summary) {
  Impl& d = *impl_;
  // Loops still waiting after the drain limit are abandoned, not awaited.
  if (active() != 0) {
    for (auto& io : d.contexts) io->stop();
  }
  for (auto& t : d.threads) {
    if (t.joinable()) t.join();
  }
  summary->add("target", d.options.target);
  summary->add("connections", static_cast<uint64_t>(d.options.connections));
  summary->add("client_threads", static_cast<int64_t>(d.options.threads));
  auto after = d.wal_metrics();
  if (d.metrics_before && after) {
    const double fsyncs = after->first - d.metrics_before->first;
    const double records = after->second - d.metrics_before->second;
    summary->add("fsyncs", static_cast<uint64_t>(fsyncs));
    summary->add("wal_records", static_cast<uint64_t>(records));
    summary->add("mean_batch_records", fsyncs > 0 ? records / fsyncs : 0.0);
  } else {
    summary->add_null("fsyncs");
    summary->add_null("wal_records");
    summary->add_null("mean_batch_records");
  }
}

}  // namespace oncepay::bench
