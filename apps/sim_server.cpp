#include "apps/sim_server.hpp"

#include <charconv>
#include <random>

#include "apps/sim_statements.hpp"
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

// The oncepay protocol (channels/sim_protocol.hpp): the engine-facing API,
// signature first (a bad one changes nothing), then the call against the
// model, then the signed answer; and its daily statement.
class OncepayFront final : public SimFront {
 public:
  explicit OncepayFront(const SimServerOptions& options)
      : secret_(options.secret),
        channel_name_(options.channel_name),
        merchant_id_(options.merchant_id.empty() ? options.channel_name : options.merchant_id),
        tolerance_s_(options.signature_tolerance_s) {}

  bool owns(const http::HttpRequest& request) const override {
    const std::string_view path = request.path;
    return path.substr(0, sim::kPaymentsPath.size()) == sim::kPaymentsPath ||
           path.substr(0, kStatementsPath.size()) == kStatementsPath;
  }

  http::HttpResponse handle_channel_request(const http::HttpRequest& request,
                                            SimCore& core) override {
    auto check =
        sim::verify_request(secret_, request.header(sim::kSignatureHeader), request.method,
                            request.path, request.body, core::unix_seconds(), tolerance_s_);
    if (check != core::SignatureCheck::kOk) {
      return finish(request, 401,
                    sim::error_body("unauthorized", "bad X-Channel-Signature: " +
                                                        std::string(core::to_string(check))));
    }
    if (request.path.substr(0, kStatementsPath.size()) == kStatementsPath) {
      return statement(request, core);
    }
    core::ChannelCall call;
    int status = 400;
    std::string why;
    if (!sim::decode_call(request.method, request.path, request.body, channel_name_, &call, &status,
                          &why)) {
      std::string_view code = status == 404   ? "not_found"
                              : status == 405 ? "method_not_allowed"
                                              : "invalid_request";
      return finish(request, status, sim::error_body(code, why));
    }
    sim::CallAnswer answer;
    core.with_model(call.payment_no, [&](channels::ChannelModel& model) {
      answer = sim::apply_call(model, call, core::unix_ms());
    });
    auto wire = sim::encode_answer(call.op, answer);
    return finish(request, wire.status, std::move(wire.body));
  }

  std::optional<WireNotification> encode_notification(
      const v1::ChannelNotification& notification) override {
    WireNotification wire;
    wire.body = codec::to_json(notification);
    wire.headers = {
        {"Content-Type", "application/json"},
        {"X-Channel-Signature", core::sign_header(secret_, core::unix_seconds(), wire.body)},
    };
    return wire;
  }

  bool is_acknowledged(int status, std::string_view) const override { return status / 100 == 2; }

 private:
  static constexpr std::string_view kStatementsPath = sim::kStatementsPath;

  http::HttpResponse finish(const http::HttpRequest& request, int status, std::string body) const {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers.emplace_back("X-Channel-Signature", sim::sign_response(secret_, core::unix_seconds(),
                                                                     status, request.path, r.body));
    return r;
  }

  // GET /channel/v1/statements/{yyyy-MM-dd}[/{merchant_id}]
  // (sim_protocol.hpp kStatementsPath): the day's WeChat ALL bill, signed
  // like every answer; with a merchant_id only that merchant's payments and
  // 商户号 = merchant_id, without one every payment and 商户号 = the
  // simulator's merchant_id option.
  http::HttpResponse statement(const http::HttpRequest& request, SimCore& core) const {
    std::string day, merchant_id;
    if (!sim::parse_statement_path(request.path, &day, &merchant_id)) {
      return finish(request, 404, sim::error_body("not_found", "no such route"));
    }
    if (request.method != "GET") {
      return finish(request, 405, sim::error_body("method_not_allowed", "use GET"));
    }
    if (!is_day(day)) {
      return finish(request, 400, sim::error_body("invalid_request", "the day is yyyy-MM-dd"));
    }
    if (day > business_day(core::unix_ms())) {
      return finish(request, 404,
                    sim::error_body(sim::kStatementNotReadyCode,
                                    "the statement of that day does not exist yet"));
    }
    const std::string& account = merchant_id.empty() ? merchant_id_ : merchant_id;
    http::HttpResponse r = finish(
        request, 200, wechat_tradebill(core.settled_on(day, merchant_id), channel_name_, account));
    r.content_type = "text/csv; charset=utf-8";
    return r;
  }

  std::string secret_;
  std::string channel_name_;
  std::string merchant_id_;
  int64_t tolerance_s_;
};

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

SimServer::SimServer(SimServerOptions options, std::unique_ptr<SimFront> front)
    : options_(std::move(options)),
      model_(options_.channel_name, seed_or_random(options_.seed)),
      front_(front != nullptr ? std::move(front) : std::make_unique<OncepayFront>(options_)) {
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
  if (front_->owns(request)) {
    SimCore& core = *this;
    return respond(front_->handle_channel_request(request, core));
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
  front_->payer_touched(payment_no);
  channels::CallOutcome outcome = channels::CallOutcome::kNotFound;
  with_model(payment_no, [&](channels::ChannelModel& model) {
    outcome = pay ? model.pay(payment_no, body.after_close(), core::unix_ms())
                  : model.fail(payment_no, core::unix_ms());
  });
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

void SimServer::with_model(std::string_view payment_no,
                           const std::function<void(channels::ChannelModel&)>& fn) {
  std::lock_guard lock(model_mutex_);
  auto before = model_.get(payment_no);
  fn(model_);
  ledger_.record(before, model_.get(payment_no));
  flush_outbox();
}

std::vector<SettledEntry> SimServer::settled_on(std::string_view day,
                                                std::string_view merchant_id) const {
  std::lock_guard lock(model_mutex_);
  return ledger_.settled_on(day, merchant_id);
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
    const bool no_target = options_.notify_url.empty() && !front_->carries_notify_url();
    if (no_target || queue_.size() >= options_.max_pending_notifications) {
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

// One delivery, encoded and signed afresh by the front (the receiver checks
// the timestamp against its clock). Its answer schedules the next one on the
// retry schedule.
void SimServer::deliver(Delivery delivery) {
  std::optional<WireNotification> wire = front_->encode_notification(delivery.body);
  if (!wire) return;  // the protocol sends none for this one
  if (wire->url.empty()) wire->url = options_.notify_url;
  if (wire->url.empty()) {
    std::lock_guard lock(queue_mutex_);
    ++stats_.notifications_abandoned;
    return;
  }
  client_->request("POST", std::move(wire->url), std::move(wire->headers), std::move(wire->body),
                   [this, delivery = std::move(delivery)](http::HttpClientResult result) mutable {
                     const bool acked =
                         result.ok && front_->is_acknowledged(result.status, result.body);
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
