#include "apps/sim_server.hpp"

#include <charconv>
#include <random>

#include "channels/sim/sim_protocol.hpp"
#include "codec/json.hpp"
#include "core/codes.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::apps {

namespace {

using core::Code;
namespace sim = channels::sim;

uint64_t seed_or_random(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

http::HttpResponse json_response(int status, const google::protobuf::Message& body) {
  http::HttpResponse r;
  r.status = status;
  r.body = codec::to_json(body);
  return r;
}

http::HttpResponse error_of(Code code, std::string_view message) {
  return SimServer::error(core::http_status(code), core::to_string(code), message);
}

http::HttpResponse method_not_allowed(std::string_view allow) {
  http::HttpResponse r =
      error_of(Code::kMethodNotAllowed, std::string("method not allowed; use ").append(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

bool blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

std::vector<int64_t> wechat_notify_retry_ms() {
  constexpr int64_t s = 1000, min = 60 * s, h = 60 * min;
  return {15 * s,   15 * s,   30 * s, 3 * min, 10 * min, 20 * min, 30 * min, 30 * min,
          30 * min, 60 * min, 3 * h,  3 * h,   3 * h,    6 * h,    6 * h};
}

bool parse_duration_ms(std::string_view text, int64_t* ms) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data() || value <= 0) return false;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t factor = 0;
  if (unit.empty() || unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "min") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    return false;
  }
  constexpr int64_t kMaxMs = int64_t{7} * 24 * 3'600'000;  // a week: beyond any schedule
  if (value > kMaxMs / factor) return false;
  *ms = value * factor;
  return true;
}

bool parse_duration_list(std::string_view text, std::vector<int64_t>* ms, std::string* error) {
  ms->clear();
  if (text.empty()) return true;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    int64_t value = 0;
    std::string_view item = text.substr(i, j - i);
    if (!parse_duration_ms(item, &value)) {
      if (error != nullptr) {
        *error = "invalid duration \"";
        error->append(item).append("\" (use ms, s, min or h)");
      }
      return false;
    }
    ms->push_back(value);
    i = j + 1;
  }
  return true;
}

SimServer::SimServer(SimServerOptions options)
    : options_(std::move(options)), model_(options_.channel_name, seed_or_random(options_.seed)) {
  http::HttpClientOptions client_options;
  client_options.connect_timeout = options_.notify_timeout;
  client_options.request_timeout = options_.notify_timeout;
  client_options.body_limit_bytes = 64 * 1024;
  client_ = std::make_unique<http::HttpClient>(client_options, 1);
  notifier_ = std::thread([this] { notifier_loop(); });
}

SimServer::~SimServer() { stop(); }

void SimServer::stop() {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  queue_changed_.notify_all();
  if (notifier_.joinable()) notifier_.join();
  client_->stop();
}

http::HttpResponse SimServer::error(int status, std::string_view code, std::string_view message) {
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(code));
  body.mutable_error()->set_message(std::string(message));
  return json_response(status, body);
}

SimServerStats SimServer::stats() const {
  SimServerStats s;
  {
    std::lock_guard lock(queue_mutex_);
    s = stats_;
    s.notifications_pending = queue_.size();
  }
  std::lock_guard lock(model_mutex_);
  s.payments = model_.size();
  return s;
}

void SimServer::handle(http::HttpRequest request, http::Responder respond) {
  const std::string_view path = request.path;
  if (path.substr(0, sim::kPaymentsPath.size()) == sim::kPaymentsPath) {
    return respond(channel_api(request));
  }
  auto parts = http::split_path(path);
  if (!parts.empty() && parts[0] == "sandbox") return respond(sandbox(request, parts));
  if (parts.size() == 1 && parts[0] == "healthz") {
    if (request.method != "GET") return respond(method_not_allowed("GET"));
    v1::Health health;
    health.set_status("ok");
    return respond(json_response(200, health));
  }
  if (parts.size() == 2 && parts[0] == "sim" && parts[1] == "stats") {
    if (request.method != "GET") return respond(method_not_allowed("GET"));
    return respond(stats_response());
  }
  respond(error_of(Code::kNotFound, "no such route"));
}

// The engine-facing API: signature first (a bad one changes nothing), then
// the call against the model, then the signed answer.
http::HttpResponse SimServer::channel_api(const http::HttpRequest& request) {
  auto finish = [&](int status, std::string body) {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers.emplace_back(
        "X-Channel-Signature",
        sim::sign_response(options_.secret, core::unix_seconds(), status, request.path, r.body));
    return r;
  };
  auto check = sim::verify_request(options_.secret, request.header(sim::kSignatureHeader),
                                   request.method, request.path, request.body, core::unix_seconds(),
                                   options_.signature_tolerance_s);
  if (check != core::SignatureCheck::kOk) {
    return finish(401, sim::error_body("unauthorized", "bad X-Channel-Signature: " +
                                                           std::string(core::to_string(check))));
  }
  core::ChannelCall call;
  int status = 400;
  std::string why;
  if (!sim::decode_call(request.method, request.path, request.body, options_.channel_name, &call,
                        &status, &why)) {
    std::string_view code = status == 404   ? "not_found"
                            : status == 405 ? "method_not_allowed"
                                            : "invalid_request";
    return finish(status, sim::error_body(code, why));
  }
  sim::CallAnswer answer;
  {
    std::lock_guard lock(model_mutex_);
    answer = sim::apply_call(model_, call, core::unix_ms());
    flush_outbox();
  }
  auto wire = sim::encode_answer(call.op, answer);
  return finish(wire.status, std::move(wire.body));
}

http::HttpResponse SimServer::record_of(const std::string& payment_no) {
  std::optional<v1::ChannelPaymentView> view;
  {
    std::lock_guard lock(model_mutex_);
    auto payment = model_.get(payment_no);
    if (payment) view = model_.view(*payment);
  }
  if (!view) return error_of(Code::kPaymentNotFound, "the channel never saw that payment_no");
  return json_response(200, *view);
}

// API.md "Built-in sandbox channel": the same routes, bodies and error codes
// as the daemon's /sandbox endpoints (gateway/api.cpp).
http::HttpResponse SimServer::sandbox(const http::HttpRequest& req,
                                      const std::vector<std::string_view>& parts) {
  const std::string& m = req.method;
  if (parts.size() == 2 && parts[1] == "faults") {
    if (m != "PUT") return method_not_allowed("PUT");
    v1::SandboxFaults faults;
    std::string why;
    if (!codec::parse_json(req.body, &faults, &why)) return error_of(Code::kInvalidRequest, why);
    if (!channels::validate_faults(faults, &why)) return error_of(Code::kInvalidRequest, why);
    {
      std::lock_guard lock(model_mutex_);
      model_.set_faults(channels::faults_from_proto(faults));
    }
    return json_response(200, faults);
  }
  if (parts.size() < 3 || parts.size() > 4 || parts[1] != "payments") {
    return error_of(Code::kNotFound, "no such route");
  }
  const std::string payment_no(parts[2]);
  if (parts.size() == 3) {
    if (m != "GET") return method_not_allowed("GET");
    return record_of(payment_no);
  }
  const bool pay = parts[3] == "pay";
  if (!pay && parts[3] != "fail") return error_of(Code::kNotFound, "no such route");
  if (m != "POST") return method_not_allowed("POST");
  v1::SandboxPayRequest body;
  std::string why;
  if (!blank(req.body) && !codec::parse_json(req.body, &body, &why)) {
    return error_of(Code::kInvalidRequest, why);
  }
  if (!pay && body.after_close()) {
    return error_of(Code::kInvalidRequest, "after_close applies to pay only");
  }
  channels::CallOutcome outcome;
  {
    std::lock_guard lock(model_mutex_);
    outcome = pay ? model_.pay(payment_no, body.after_close(), core::unix_ms())
                  : model_.fail(payment_no, core::unix_ms());
    flush_outbox();
  }
  switch (outcome) {
    case channels::CallOutcome::kOk:
      return record_of(payment_no);
    case channels::CallOutcome::kNotFound:
      return error_of(Code::kPaymentNotFound, "the channel never saw that payment_no");
    case channels::CallOutcome::kClosed:
      return error_of(Code::kChannelConflict,
                      "the payment was closed at the channel (use after_close to race it)");
    case channels::CallOutcome::kAlreadyPaid:
      return error_of(Code::kChannelConflict, "the payment already succeeded");
    default:
      return error_of(Code::kChannelConflict,
                      std::string("the channel refused: ").append(channels::to_string(outcome)));
  }
}

http::HttpResponse SimServer::stats_response() const {
  // Counters as a small JSON object; Health would not fit them.
  SimServerStats s = stats();
  std::string body;
  body.reserve(256);
  body.push_back('{');
  auto field = [&body](std::string_view name, uint64_t value, char end) {
    body.push_back('"');
    body.append(name);
    body.append("\":");
    body.append(std::to_string(value));
    body.push_back(end);
  };
  field("notifications_delivered", s.notifications_delivered, ',');
  field("delivery_attempts_failed", s.delivery_attempts_failed, ',');
  field("notifications_abandoned", s.notifications_abandoned, ',');
  field("notifications_pending", s.notifications_pending, ',');
  field("payments", s.payments, '}');
  http::HttpResponse r;
  r.body = std::move(body);
  return r;
}

void SimServer::flush_outbox() {
  for (auto& n : model_.take_outbox()) {
    schedule(Delivery{std::move(n.body), 0}, std::chrono::milliseconds(n.delay_ms));
  }
}

void SimServer::schedule(Delivery delivery, std::chrono::milliseconds delay) {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return;
    if (options_.notify_url.empty() || queue_.size() >= options_.max_pending_notifications) {
      ++stats_.notifications_abandoned;
      return;
    }
    queue_.emplace(Clock::now() + delay, std::move(delivery));
  }
  queue_changed_.notify_one();
}

void SimServer::notifier_loop() {
  std::unique_lock lock(queue_mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      queue_changed_.wait(lock);
      continue;
    }
    auto due = queue_.begin()->first;
    if (Clock::now() < due) {
      queue_changed_.wait_until(lock, due);
      continue;
    }
    Delivery delivery = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    lock.unlock();
    deliver(std::move(delivery));
    lock.lock();
  }
}

// One delivery, signed afresh (the receiver checks t against its clock). Its
// answer schedules the next one on the retry schedule.
void SimServer::deliver(Delivery delivery) {
  std::string body = codec::to_json(delivery.body);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"X-Channel-Signature", core::sign_header(options_.secret, core::unix_seconds(), body)},
  };
  client_->request("POST", options_.notify_url, std::move(headers), std::move(body),
                   [this, delivery = std::move(delivery)](http::HttpClientResult result) mutable {
                     const bool acked = result.ok && result.status / 100 == 2;
                     std::chrono::milliseconds next{0};
                     {
                       std::lock_guard lock(queue_mutex_);
                       if (acked) {
                         ++stats_.notifications_delivered;
                         return;
                       }
                       ++stats_.delivery_attempts_failed;
                       if (stopping_) return;
                       if (delivery.attempt >= options_.notify_retry_ms.size()) {
                         ++stats_.notifications_abandoned;
                         return;
                       }
                       next = std::chrono::milliseconds(options_.notify_retry_ms[delivery.attempt]);
                     }
                     ++delivery.attempt;
                     schedule(std::move(delivery), next);
                   });
}

}  // namespace oncepay::apps
