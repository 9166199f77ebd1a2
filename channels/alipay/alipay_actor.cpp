#include "channels/alipay/alipay_actor.hpp"

#include <mutex>
#include <optional>
#include <unordered_map>

#include "channels/alipay/account.hpp"
#include "channels/alipay/alipay_amount.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "channels/breaker.hpp"
#include "channels/network.hpp"
#include "channels/registry.hpp"
#include "core/check.hpp"
#include "core/wall_clock.hpp"
#include "http/http_client.hpp"

namespace oncepay::channels::alipay {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Gateway answers are small JSON objects; a bill file is not fetched here.
constexpr size_t kMaxAnswerBytes = 64 * 1024;

// A worker's messages to itself: one HTTP request's result (sent from the
// client's I/O thread) and a call's deadline.
struct AlipayRequestDone {
  uint64_t call_id = 0;
  int request = 0;  // which request of the call (a refund may make two)
  http::HttpClientResult result;
};

struct AlipayCallDeadline {
  uint64_t call_id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, AlipayRequestDone& x) {
  return f(caf::meta::type_name("oncepay.AlipayRequestDone"), x.call_id, x.request, x.result);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, AlipayCallDeadline& x) {
  return f(caf::meta::type_name("oncepay.AlipayCallDeadline"), x.call_id);
}

core::ChannelReply reply_of(core::ChannelOutcome outcome, std::string detail) {
  core::ChannelReply reply;
  reply.outcome = outcome;
  reply.detail = std::move(detail);
  return reply;
}

core::ChannelReply unavailable(std::string detail) {
  return reply_of(core::ChannelOutcome::kUnavailable, std::move(detail));
}

core::ChannelReply rejected(std::string detail) {
  return reply_of(core::ChannelOutcome::kRejected, std::move(detail));
}

}  // namespace

// ---------------------------------------------------------------- options

std::string validate(const AlipayChannelOptions& o) {
  if (o.name.empty()) return "name must not be empty";
  if (!o.accounts) return "accounts must be set";
  if (o.timeout <= milliseconds::zero()) return "timeout must be positive";
  if (o.workers < 1) return "workers must be at least 1";
  if (o.io_threads < 1) return "io_threads must be at least 1";
  if (o.breaker_failures < 1) return "breaker failures must be at least 1";
  if (o.breaker_open < milliseconds::zero()) return "breaker open time must not be negative";
  if (o.pay_expire <= milliseconds::zero()) return "pay_expire must be positive";
  return {};
}

// ----------------------------------------------------------------- shared

struct AlipayChannel::Shared {
  AlipayChannelOptions options;
  http::HttpClient client;
  EndpointBreakers breakers;  // by the account's base_url

  explicit Shared(AlipayChannelOptions o)
      : options(std::move(o)),
        client(call_client_options(options.timeout, kMaxAnswerBytes, options.tls_ca_file),
               options.io_threads),
        breakers(options.breaker_failures, options.breaker_open.count()) {}

  bool admit(const std::string& endpoint) { return breakers.allow(endpoint, steady_now_ms()); }
  void report(const std::string& endpoint, bool answered) {
    breakers.report(endpoint, answered, steady_now_ms());
  }
};

namespace {

using SharedPtr = std::shared_ptr<AlipayChannel::Shared>;

// What a call sends first: a gateway method and its biz_content, or (page /
// wap pay) the answer itself.
struct Plan {
  std::string method;
  std::string biz_content;
  bool with_notify_url = false;
  std::optional<core::ChannelReply> answer;  // set: no request is made
};

std::optional<std::string> check_prepay(const core::ChannelCall& call) {
  if (call.currency != "CNY") return "alipay takes CNY only, not \"" + call.currency + "\"";
  if (call.amount_minor <= 0 || call.amount_minor > kMaxAmountFen) {
    return "alipay amount must be from 1 to " + std::to_string(kMaxAmountFen) + " fen";
  }
  return std::nullopt;
}

// The product_code of a trade type (B.2), or nullopt for an unknown one.
std::optional<std::string_view> product_code(std::string_view trade_type) {
  if (trade_type.empty() || trade_type == "precreate") return std::string_view();
  if (trade_type == "page") return std::string_view("FAST_INSTANT_TRADE_PAY");
  if (trade_type == "wap") return std::string_view("QUICK_WAP_WAY");
  return std::nullopt;
}

RequestSpec spec_of(const Account& account, std::string method, std::string biz_content,
                    std::string notify) {
  RequestSpec spec;
  spec.app_id = account.app_id;
  spec.method = std::move(method);
  spec.biz_content = std::move(biz_content);
  spec.notify_url = std::move(notify);
  spec.now_unix_ms = core::unix_ms();
  return spec;
}

Plan plan_prepay(const AlipayChannelOptions& o, const Account& account,
                 const core::ChannelCall& call) {
  Plan plan;
  if (auto problem = check_prepay(call)) {
    plan.answer = rejected(*problem);
    return plan;
  }
  const std::optional<std::string_view> product = product_code(call.trade_type);
  if (!product) {
    plan.answer = rejected("alipay trade_type must be \"precreate\", \"page\" or \"wap\", not \"" +
                           call.trade_type + "\"");
    return plan;
  }
  PayOrder order;
  order.out_trade_no = call.payment_no;
  order.amount_fen = call.amount_minor;
  order.subject = call.subject.empty() ? "oncepay " + call.payment_no : call.subject;
  order.expire_unix_ms = core::unix_ms() + o.pay_expire.count();
  order.product_code = std::string(*product);
  plan.biz_content = pay_biz_content(order);
  plan.with_notify_url = true;
  if (product->empty()) {
    plan.method = std::string(kMethodPrecreate);
    return plan;
  }
  // page / wap: the signed URL is the prepay (B.2: no server call).
  const std::string method(call.trade_type == "page" ? kMethodPagePay : kMethodWapPay);
  RequestSpec spec = spec_of(account, method, plan.biz_content,
                             merchant_notify_url(o.public_url, o.name, call.merchant_id));
  core::ChannelReply reply = reply_of(core::ChannelOutcome::kOk, "alipay " + method + " URL");
  reply.pay_url = build_gateway_url(account.base_url, spec, *account.app_key);
  plan.answer = std::move(reply);
  return plan;
}

Plan plan_call(const AlipayChannelOptions& o, const Account& account,
               const core::ChannelCall& call) {
  Plan plan;
  if (!is_valid_out_trade_no(call.payment_no)) {
    plan.answer = rejected("payment_no is no alipay out_trade_no");
    return plan;
  }
  switch (call.op) {
    case core::ChannelOp::kPrepay:
      return plan_prepay(o, account, call);
    case core::ChannelOp::kQuery:
      plan.method = std::string(kMethodQuery);
      break;
    case core::ChannelOp::kClose:
      plan.method = std::string(kMethodClose);
      break;
    case core::ChannelOp::kReverse:
      plan.method = std::string(kMethodCancel);
      break;
    case core::ChannelOp::kRefund:
      if (!is_valid_out_trade_no(call.refund_no) || call.amount_minor <= 0 ||
          call.amount_minor > kMaxAmountFen) {
        plan.answer = rejected("refund needs an out_request_no-shaped refund_no and an amount");
        return plan;
      }
      plan.method = std::string(kMethodRefund);
      plan.biz_content = refund_biz_content(call.payment_no, call.amount_minor, call.refund_no);
      plan.with_notify_url = true;
      return plan;
  }
  plan.biz_content = trade_biz_content(call.payment_no);
  return plan;
}

struct PendingCall {
  core::ChannelCall call;
  caf::typed_response_promise<core::ChannelReply> promise;
  std::shared_ptr<const Account> account;  // as it was when the call started
  std::string method;                      // of the request in flight
  int request = 0;                         // requests started
};

struct WorkerState {
  std::unordered_map<uint64_t, PendingCall> calls;
  uint64_t next_id = 1;
  static inline const char* name = "alipay_channel_worker";
};

using Worker = caf::stateful_actor<WorkerState>;

void finish(Worker* self, const SharedPtr& shared, uint64_t id, core::ChannelReply reply,
            bool answered) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end()) return;
  // First: whoever gets the reply sees the new state.
  shared->report(it->second.account->base_url, answered);
  it->second.promise.deliver(std::move(reply));
  self->state.calls.erase(it);
}

void send_request(Worker* self, const SharedPtr& shared, uint64_t id, std::string method,
                  std::string biz_content, bool with_notify_url) {
  PendingCall& p = self->state.calls.at(id);
  const auto& o = shared->options;
  const int request = ++p.request;
  p.method = method;
  std::string notify = with_notify_url
                           ? merchant_notify_url(o.public_url, o.name, p.call.merchant_id)
                           : std::string();
  RequestSpec spec =
      spec_of(*p.account, std::move(method), std::move(biz_content), std::move(notify));
  std::string body = build_request_body(spec, *p.account->app_key);
  caf::weak_actor_ptr weak{self->ctrl()};
  // The callback runs on an I/O thread (or here, when the client is
  // stopped): it only hands the result to the worker's mailbox.
  shared->client.request("POST", p.account->base_url,
                         {{"Content-Type", std::string(kFormContentType)}}, std::move(body),
                         [weak, id, request](http::HttpClientResult result) {
                           auto strong = weak.lock();
                           if (!strong) return;
                           caf::anon_send(caf::actor_cast<caf::actor>(strong),
                                          AlipayRequestDone{id, request, std::move(result)});
                         });
}

// A refund answered 10000 with fund_change N (or none): Alipay's rule is to
// confirm with the refund query (B.2) before calling it done.
bool needs_refund_query(const std::string& method, const SignedResponse& verified,
                        const core::ChannelReply& reply) {
  if (method != kMethodRefund || verified.verdict != Verdict::kOk) return false;
  if (reply.outcome != core::ChannelOutcome::kUnavailable) return false;
  std::optional<ResponseCommon> common = read_common(verified.content);
  return common && common->code == kCodeSuccess;
}

void on_request_done(Worker* self, const SharedPtr& shared, AlipayRequestDone& done) {
  auto it = self->state.calls.find(done.call_id);
  if (it == self->state.calls.end() || it->second.request != done.request) return;  // late
  PendingCall& p = it->second;
  const auto& r = done.result;
  if (!r.ok)
    return finish(self, shared, done.call_id, unavailable("alipay unreachable: " + r.error), false);
  if (r.status != 200) {
    return finish(self, shared, done.call_id,
                  unavailable("alipay answered HTTP " + std::to_string(r.status)), true);
  }
  const SignedResponse verified = verify_response(r.body, p.method, *p.account->alipay_key);
  core::ChannelReply reply = read_reply(p.method, verified);
  if (needs_refund_query(p.method, verified, reply)) {
    return send_request(self, shared, done.call_id, std::string(kMethodRefundQuery),
                        refund_query_biz_content(p.call.payment_no, p.call.refund_no), false);
  }
  if (p.method == kMethodRefundQuery && reply.outcome != core::ChannelOutcome::kOk) {
    reply.outcome = core::ChannelOutcome::kUnavailable;  // the refund's fate stays unknown
  }
  if (p.method == kMethodPrecreate && reply.outcome == core::ChannelOutcome::kOk) {
    reply.qr_code = std::move(reply.pay_url);  // read_reply puts the QR text in pay_url
    reply.pay_url.clear();
  }
  finish(self, shared, done.call_id, std::move(reply), true);
}

// Starts a call: its account, its plan, its deadline, its first request.
void start_call(Worker* self, const SharedPtr& shared, core::ChannelCall& call,
                caf::typed_response_promise<core::ChannelReply> promise) {
  const auto& o = shared->options;
  auto account = o.accounts->get_as<Account>(call.merchant_id, o.name);
  if (!account || !account->app_key || !account->alipay_key) {
    promise.deliver(rejected("merchant \"" + call.merchant_id + "\" has no alipay account"));
    return;
  }
  Plan plan = plan_call(o, *account, call);
  if (plan.answer) {
    promise.deliver(std::move(*plan.answer));
    return;
  }
  if (!shared->admit(account->base_url)) {
    promise.deliver(unavailable("circuit open: channel " + o.name + " at " + account->base_url +
                                " failed repeatedly"));
    return;
  }
  const uint64_t id = self->state.next_id++;
  PendingCall p;
  p.call = std::move(call);
  p.promise = std::move(promise);
  p.account = std::move(account);
  self->state.calls.emplace(id, std::move(p));
  // The bounded wait: whatever the network does, the call ends by then.
  self->delayed_send(self, o.timeout, AlipayCallDeadline{id});
  send_request(self, shared, id, std::move(plan.method), std::move(plan.biz_content),
               plan.with_notify_url);
}

caf::behavior worker_impl(Worker* self, SharedPtr shared) {
  return {
      [self, shared](core::ChannelCall& call) {
        auto promise = self->make_response_promise<core::ChannelReply>();
        start_call(self, shared, call, promise);
        return promise;
      },
      [self, shared](AlipayRequestDone& done) { on_request_done(self, shared, done); },
      [self, shared](const AlipayCallDeadline& deadline) {
        finish(self, shared, deadline.call_id,
               unavailable(std::string("no alipay answer within ")
                               .append(std::to_string(shared->options.timeout.count()))
                               .append(" ms")),
               false);
      },
  };
}

}  // namespace

// ---------------------------------------------------------- AlipayChannel

AlipayChannel::AlipayChannel(caf::actor_system& system, AlipayChannelOptions options) {
  ONCEPAY_CHECK(validate(options).empty());
  shared_ = std::make_shared<Shared>(std::move(options));
  auto shared = shared_;
  auto factory = [shared, &system] { return system.spawn(worker_impl, shared); };
  pool_ = caf::actor_cast<channel_actor>(caf::actor_pool::make(system.dummy_execution_unit(),
                                                               shared_->options.workers, factory,
                                                               caf::actor_pool::round_robin()));
}

AlipayChannel::~AlipayChannel() {
  caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  shared_->client.stop();
}

std::string AlipayChannel::breaker_state() const {
  return std::string(to_string(shared_->breakers.state(steady_now_ms())));
}

uint64_t AlipayChannel::breaker_opened_total() const { return shared_->breakers.times_opened(); }

}  // namespace oncepay::channels::alipay
