#include "net/api.hpp"

#include <chrono>
#include <string_view>
#include <vector>

#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "net/json.hpp"
#include "net/metrics.hpp"
#include "net/query.hpp"
#include "net/validate.hpp"

namespace oncepay::net {

namespace {

using core::Code;

HttpResponse json_response(int status, const google::protobuf::Message& body) {
  HttpResponse r;
  r.status = status;
  r.body = to_json(body);
  return r;
}

HttpResponse error_of(Code code, std::string_view message) {
  return Api::error(core::http_status(code), core::to_string(code), message);
}

HttpResponse invalid(std::string_view message) { return error_of(Code::kInvalidRequest, message); }

HttpResponse method_not_allowed(std::string_view allow) {
  HttpResponse r =
      error_of(Code::kMethodNotAllowed, "method not allowed; use " + std::string(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

// An engine answer as HTTP: the view on success, else the error shape with
// the extras API.md names (payment_no of the paid attempt, Retry-After).
HttpResponse from_reply(const actors::OrderReply& reply, bool payment_view = false) {
  if (core::is_success(reply.code)) {
    if (payment_view) return json_response(core::http_status(reply.code), reply.payment);
    return json_response(core::http_status(reply.code), reply.order);
  }
  v1::ErrorResponse body;
  auto* e = body.mutable_error();
  e->set_code(std::string(core::to_string(reply.code)));
  e->set_message(reply.message.empty() ? std::string(core::to_string(reply.code)) : reply.message);
  if (!reply.payment_no.empty() &&
      (reply.code == Code::kOrderAlreadyPaid || reply.code == Code::kPaymentStatusUnknown)) {
    e->set_payment_no(reply.payment_no);
  }
  HttpResponse r = json_response(core::http_status(reply.code), body);
  if (reply.retry_after_s > 0) {
    e->set_retry_after_s(reply.retry_after_s);
    r.body = to_json(body);
    r.headers.emplace_back("Retry-After", std::to_string(reply.retry_after_s));
  }
  return r;
}

std::string_view bearer(const HttpRequest& request) {
  std::string_view h = request.header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size() || h.substr(0, kPrefix.size()) != kPrefix) return {};
  return h.substr(kPrefix.size());
}

// A body that may be empty (optional JSON object).
bool parse_optional(const std::string& body, google::protobuf::Message* out, std::string* error) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  return parse_json(body, out, error);
}

}  // namespace

// GET /admin/review?cursor=&limit=&reason= (docs/API.md "Review list").
static HttpResponse review_page(const actors::ReviewIndex& reviews, const HttpRequest& req) {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!parse_query(req.query, &params, &why)) return invalid(why);
  size_t limit = actors::kDefaultReviewPage;
  std::string_view cursor;
  std::string_view reason;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      if (!parse_limit(value, actors::kMaxReviewPage, &limit)) {
        return invalid("limit must be an integer from 1 to " +
                       std::to_string(actors::kMaxReviewPage));
      }
    } else if (name == "cursor") {
      cursor = value;
    } else if (name == "reason") {
      if (!core::is_review_reason(value)) {
        return invalid(
            "reason must be one of amount_mismatch, auto_refund_failed, "
            "unknown_unresolved, webhook_exhausted");
      }
      reason = value;
    } else {
      return invalid("unknown query parameter \"" + name + "\"");
    }
  }
  actors::ReviewIndex::Page page;
  if (!reviews.list(cursor, limit, reason, &page)) {
    return invalid("cursor is not one this server returned");
  }
  v1::ReviewListView view;
  for (const auto& entry : page.items) {
    auto* item = view.add_items();
    item->set_item_id(entry.item.item_id);
    item->set_merchant_id(entry.order.merchant_id);
    item->set_merchant_order_no(entry.order.merchant_order_no);
    item->set_payment_no(entry.item.payment_no);
    item->set_reason(entry.item.reason);
    item->set_since(core::format_time(entry.item.opened_ms));
    item->set_detail(entry.item.detail);
  }
  view.set_next(page.next);
  return json_response(200, view);
}

HttpResponse Api::error(int status, std::string_view code, std::string_view message) {
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(code));
  body.mutable_error()->set_message(std::string(message));
  return json_response(status, body);
}

Api::Api(actors::Engine& engine, ApiOptions options)
    : engine_(engine), options_(std::move(options)), metrics_(std::make_shared<Metrics>()) {}

Api::~Api() = default;

void Api::handle(HttpRequest request, Responder respond) {
  auto route = std::make_shared<std::string>("unknown");
  auto counted = [respond = std::move(respond), route, metrics = metrics_](HttpResponse r) {
    metrics->request(*route, r.status);
    respond(std::move(r));
  };
  dispatch(request, std::move(counted), route.get());
}

void Api::dispatch(const HttpRequest& req, Responder respond, std::string* route) {
  const auto parts = split_path(req.path);
  const std::string& m = req.method;
  auto is = [&](std::initializer_list<std::string_view> want) {
    if (parts.size() != want.size()) return false;
    size_t i = 0;
    for (auto w : want) {
      if (w != "*" && parts[i] != w) return false;
      ++i;
    }
    return true;
  };

  // ---------------------------------------------------------------- ops
  if (is({"healthz"})) {
    *route = "/healthz";
    if (m != "GET") return respond(method_not_allowed("GET"));
    v1::Health h;
    h.set_status("ok");
    return respond(json_response(200, h));
  }
  if (is({"readyz"})) {
    *route = "/readyz";
    if (m != "GET") return respond(method_not_allowed("GET"));
    v1::Health h;
    const bool ok = engine_.ready() && engine_.storage_healthy();
    h.set_status(ok ? "ready" : "unavailable");
    std::string detail = engine_.status_detail();
    if (options_.channel_health) {
      for (const auto& c : options_.channel_health()) {
        detail += "; channel " + c.channel + ": breaker " + c.breaker;
      }
    }
    h.set_detail(std::move(detail));
    return respond(json_response(ok ? 200 : 503, h));
  }
  if (is({"metrics"})) {
    *route = "/metrics";
    if (m != "GET") return respond(method_not_allowed("GET"));
    metrics_->set_live_orders(
        static_cast<double>(engine_.env().live_orders.load(std::memory_order_relaxed)));
    if (options_.channel_health) {
      for (const auto& c : options_.channel_health()) {
        metrics_->set_breaker(c.channel, c.breaker, c.breaker_opened_total);
      }
    }
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_->serialize(&engine_);
    return respond(std::move(r));
  }

  const bool known_prefix = !parts.empty() && (parts[0] == "v1" || parts[0] == "admin" ||
                                               (parts[0] == "sandbox" && options_.sandbox_enabled));
  if (!known_prefix) return respond(error_of(Code::kNotFound, "no such route"));
  if (!engine_.ready()) {
    return respond(error_of(Code::kNotReady, "recovery has not finished; retry shortly"));
  }
  const bool writes = m != "GET";
  if (writes && !engine_.storage_healthy()) {
    return respond(
        error_of(Code::kStorageUnavailable, "durable storage failed; state changes are refused"));
  }

  // ---------------------------------------------------------------- channels
  if (is({"v1", "channels", "*", "notify"})) {
    *route = "/v1/channels/{channel}/notify";
    if (m != "POST") return respond(method_not_allowed("POST"));
    const std::string channel(parts[2]);
    auto secret = options_.channel_secrets.find(channel);
    if (secret == options_.channel_secrets.end() || !engine_.has_channel(channel)) {
      return respond(error_of(Code::kNotFound, "no such channel"));
    }
    auto check = core::verify_header(secret->second, req.header("x-channel-signature"), req.body,
                                     core::unix_seconds(), options_.signature_tolerance_s);
    if (check != core::SignatureCheck::kOk) {
      return respond(Api::error(401, "invalid_signature",
                                "X-Channel-Signature is " + std::string(core::to_string(check))));
    }
    v1::ChannelNotification body;
    std::string why;
    if (!parse_json(req.body, &body, &why)) return respond(invalid(why));
    if (auto e = check_notification(body); !e.empty()) return respond(invalid(e));
    core::ChannelNotice notice;
    if (body.payment_no().empty() || !core::notice_from_proto(body, &notice)) {
      return respond(invalid("payment_no and a known status are required"));
    }
    return engine_.notify(channel, std::move(notice), [respond](actors::OrderReply reply) {
      if (!core::is_success(reply.code)) return respond(from_reply(reply));
      v1::ChannelAck ack;
      ack.set_code("SUCCESS");
      respond(json_response(200, ack));
    });
  }

  // ---------------------------------------------------------------- admin
  if (parts[0] == "admin") {
    if (!core::constant_time_equal(bearer(req), options_.admin_token)) {
      *route = "/admin";
      return respond(error_of(Code::kUnauthorized, "admin token required"));
    }
    if (is({"admin", "merchants"})) {
      *route = "/admin/merchants";
      if (m != "POST") return respond(method_not_allowed("POST"));
      v1::CreateMerchantRequest body;
      std::string why;
      if (!parse_json(req.body, &body, &why)) return respond(invalid(why));
      if (!is_token(body.merchant_id(), 64)) {
        return respond(invalid("merchant_id must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'"));
      }
      core::Policy policy = core::Policy::kStrict;
      if (!body.policy().empty() && !core::parse_policy(body.policy(), &policy)) {
        return respond(invalid("policy must be \"strict\" or \"refund_duplicates\""));
      }
      return engine_.create_merchant(
          body.merchant_id(), policy,
          [respond](Code code, actors::Merchant merchant, std::string api_key) {
            if (code != Code::kCreated) {
              return respond(error_of(code, code == Code::kMerchantExists
                                                ? "a merchant with that id exists"
                                                : "the merchant could not be created"));
            }
            v1::MerchantView view;
            view.set_merchant_id(merchant.merchant_id);
            view.set_api_key(api_key);
            view.set_webhook_secret(merchant.webhook_secret);
            view.set_policy(std::string(core::to_string(merchant.policy)));
            respond(json_response(201, view));
          });
    }
    if (is({"admin", "merchants", "*"})) {
      *route = "/admin/merchants/{id}";
      if (m != "GET") return respond(method_not_allowed("GET"));
      auto merchant = engine_.merchants().get(std::string(parts[2]));
      if (!merchant) return respond(error_of(Code::kMerchantNotFound, "no such merchant"));
      v1::MerchantView view;
      view.set_merchant_id(merchant->merchant_id);
      view.set_policy(std::string(core::to_string(merchant->policy)));
      return respond(json_response(200, view));
    }
    if (is({"admin", "review"})) {
      *route = "/admin/review";
      if (m != "GET") return respond(method_not_allowed("GET"));
      return respond(review_page(engine_.reviews(), req));
    }
    return respond(error_of(Code::kNotFound, "no such route"));
  }

  // ---------------------------------------------------------------- sandbox
  if (parts[0] == "sandbox") return sandbox(req, parts, std::move(respond), route);

  // ---------------------------------------------------------------- merchant
  auto merchant = engine_.merchants().authenticate(bearer(req));
  if (!merchant) {
    *route = "/v1";
    return respond(error_of(Code::kUnauthorized, "a valid API key is required"));
  }
  if (is({"v1", "orders", "*", "pay"})) {
    *route = "/v1/orders/{no}/pay";
    if (m != "POST") return respond(method_not_allowed("POST"));
    if (auto e = check_order_no(parts[2]); !e.empty()) return respond(invalid(e));
    v1::PayRequest body;
    std::string why;
    if (!parse_json(req.body, &body, &why)) return respond(invalid(why));
    if (auto e = check_pay(body, engine_.env().payment.max_amount_minor); !e.empty()) {
      return respond(invalid(e));
    }
    if (!engine_.has_channel(body.channel())) {
      return respond(invalid("unknown channel \"" + body.channel() + "\""));
    }
    actors::PayMsg msg;
    msg.command.merchant_id = merchant->merchant_id;
    msg.command.merchant_order_no = std::string(parts[2]);
    msg.command.amount_minor = body.amount();
    msg.command.currency = body.currency();
    msg.command.channel = body.channel();
    msg.command.subject = body.subject();
    msg.command.notify_url = body.notify_url();
    msg.policy = merchant->policy;
    auto metrics = metrics_;
    return engine_.pay(std::move(msg), [respond, metrics](actors::OrderReply reply) {
      metrics->pay_outcome(core::to_string(reply.code));
      respond(from_reply(reply));
    });
  }
  if (is({"v1", "orders", "*", "close"})) {
    *route = "/v1/orders/{no}/close";
    if (m != "POST") return respond(method_not_allowed("POST"));
    if (auto e = check_order_no(parts[2]); !e.empty()) return respond(invalid(e));
    v1::CloseRequest body;
    std::string why;
    if (!parse_optional(req.body, &body, &why)) return respond(invalid(why));
    actors::CloseMsg msg{{merchant->merchant_id, std::string(parts[2])}, merchant->policy};
    return engine_.close(std::move(msg),
                         [respond](actors::OrderReply reply) { respond(from_reply(reply)); });
  }
  if (is({"v1", "orders", "*", "refunds"})) {
    *route = "/v1/orders/{no}/refunds";
    if (m != "POST") return respond(method_not_allowed("POST"));
    if (auto e = check_order_no(parts[2]); !e.empty()) return respond(invalid(e));
    v1::RefundRequest body;
    std::string why;
    if (!parse_json(req.body, &body, &why)) return respond(invalid(why));
    if (auto e = check_refund(body); !e.empty()) return respond(invalid(e));
    actors::RefundMsg msg;
    msg.key = {merchant->merchant_id, std::string(parts[2])};
    msg.command = {body.refund_no(), body.amount(), body.reason()};
    msg.policy = merchant->policy;
    return engine_.refund(std::move(msg), [respond](actors::OrderReply reply) {
      if (!core::is_success(reply.code) || !reply.has_refund) return respond(from_reply(reply));
      respond(json_response(core::http_status(reply.code), reply.refund));
    });
  }
  if (is({"v1", "orders", "*"})) {
    *route = "/v1/orders/{no}";
    if (m != "GET") return respond(method_not_allowed("GET"));
    if (auto e = check_order_no(parts[2]); !e.empty()) return respond(invalid(e));
    actors::GetOrderMsg msg{{merchant->merchant_id, std::string(parts[2])}};
    return engine_.get_order(std::move(msg),
                             [respond](actors::OrderReply reply) { respond(from_reply(reply)); });
  }
  if (is({"v1", "payments", "*"})) {
    *route = "/v1/payments/{payment_no}";
    if (m != "GET") return respond(method_not_allowed("GET"));
    return engine_.get_payment(
        merchant->merchant_id, std::string(parts[2]),
        [respond](actors::OrderReply reply) { respond(from_reply(reply, /*payment_view=*/true)); });
  }
  respond(error_of(Code::kNotFound, "no such route"));
}

void Api::sandbox(const HttpRequest& req, const std::vector<std::string_view>& parts,
                  Responder respond, std::string* route) {
  actors::SandboxChannel* channel = engine_.sandbox();
  if (channel == nullptr) return respond(error_of(Code::kNotFound, "the sandbox is disabled"));
  const std::string& m = req.method;
  if (parts.size() == 2 && parts[1] == "faults") {
    *route = "/sandbox/faults";
    if (m != "PUT") return respond(method_not_allowed("PUT"));
    v1::SandboxFaults faults;
    std::string why;
    if (!parse_json(req.body, &faults, &why)) return respond(invalid(why));
    if (!channels::validate_faults(faults, &why)) return respond(invalid(why));
    channel->set_faults(channels::faults_from_proto(faults));
    return respond(json_response(200, faults));
  }
  if (parts.size() < 3 || parts.size() > 4 || parts[1] != "payments") {
    return respond(error_of(Code::kNotFound, "no such route"));
  }
  const std::string payment_no(parts[2]);
  auto record = [&]() {
    auto view = channel->get(payment_no);
    if (!view) return error_of(Code::kPaymentNotFound, "the channel never saw that payment_no");
    return json_response(200, *view);
  };
  if (parts.size() == 3) {
    *route = "/sandbox/payments/{payment_no}";
    if (m != "GET") return respond(method_not_allowed("GET"));
    return respond(record());
  }
  const bool pay = parts[3] == "pay";
  if (!pay && parts[3] != "fail") return respond(error_of(Code::kNotFound, "no such route"));
  *route = pay ? "/sandbox/payments/{payment_no}/pay" : "/sandbox/payments/{payment_no}/fail";
  if (m != "POST") return respond(method_not_allowed("POST"));
  v1::SandboxPayRequest body;
  std::string why;
  if (!parse_optional(req.body, &body, &why)) return respond(invalid(why));
  if (!pay && body.after_close()) return respond(invalid("after_close applies to pay only"));
  auto outcome = pay ? channel->pay(payment_no, body.after_close()) : channel->fail(payment_no);
  switch (outcome) {
    case channels::CallOutcome::kOk:
      return respond(record());
    case channels::CallOutcome::kNotFound:
      return respond(error_of(Code::kPaymentNotFound, "the channel never saw that payment_no"));
    case channels::CallOutcome::kClosed:
      return respond(
          error_of(Code::kChannelConflict,
                   "the payment was closed at the channel (use after_close to race it)"));
    case channels::CallOutcome::kAlreadyPaid:
      return respond(error_of(Code::kChannelConflict, "the payment already succeeded"));
    default:
      return respond(error_of(Code::kChannelConflict,
                              "the channel refused: " + std::string(channels::to_string(outcome))));
  }
}

}  // namespace oncepay::net
