#include "channels/wechatpay/wechatpay_actor.hpp"

#include <mutex>
#include <unordered_map>

#include "channels/breaker.hpp"
#include "channels/network.hpp"
#include "channels/registry.hpp"
#include "channels/wechatpay/account.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/replies.hpp"
#include "channels/wechatpay/signature.hpp"
#include "core/check.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "http/http_client.hpp"

namespace oncepay::channels::wechatpay {

namespace {

using Clock = std::chrono::steady_clock;
using core::ChannelOp;
using core::ChannelOutcome;
using core::ChannelReply;
using std::chrono::milliseconds;

// A worker's messages to itself: one HTTP request's result (mailed from the
// client's I/O thread) and a call's deadline.
struct WxRequestDone {
  uint64_t call_id = 0;
  int step = 0;
  http::HttpClientResult result;
};

struct WxCallDeadline {
  uint64_t call_id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WxRequestDone& x) {
  return f(caf::meta::type_name("oncepay.WxRequestDone"), x.call_id, x.step, x.result);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WxCallDeadline& x) {
  return f(caf::meta::type_name("oncepay.WxCallDeadline"), x.call_id);
}

// A.1: response bodies are small JSON; 1 MiB bounds a hostile one.
constexpr size_t kMaxAnswerBytes = 1 << 20;
// A.5: nonce_str, 32 characters.
constexpr size_t kNonceBytes = 16;

}  // namespace

// ---------------------------------------------------------------- options

std::string validate(const WechatPayChannelOptions& o) {
  if (o.timeout <= milliseconds::zero()) return "timeout must be positive";
  if (o.workers < 1) return "workers must be at least 1";
  if (o.io_threads < 1) return "io_threads must be at least 1";
  if (o.breaker_failures < 1) return "breaker_failures must be at least 1";
  if (o.breaker_open < milliseconds::zero()) return "breaker_open must not be negative";
  return {};
}

// ----------------------------------------------------------------- shared

struct WechatPayChannel::Shared {
  WechatPayChannelOptions options;
  std::shared_ptr<ChannelAccounts> accounts;
  std::string public_url;
  http::HttpClient client;
  EndpointBreakers breakers;  // by the account's base_url

  Shared(WechatPayChannelOptions o, std::shared_ptr<ChannelAccounts> a, std::string url)
      : options(std::move(o)),
        accounts(std::move(a)),
        public_url(std::move(url)),
        client(call_client_options(options.timeout, kMaxAnswerBytes, options.tls_ca_file),
               options.io_threads),
        breakers(options.breaker_failures, options.breaker_open.count()) {}

  bool admit(const std::string& endpoint) { return breakers.allow(endpoint, steady_now_ms()); }
  void report(const std::string& endpoint, bool answered) {
    breakers.report(endpoint, answered, steady_now_ms());
  }
};

namespace {

using SharedPtr = std::shared_ptr<WechatPayChannel::Shared>;

// Which API a request is: decides how its answer is read.
enum class Api : uint8_t { kNative, kJsapi, kQuery, kClose, kRefund, kRefundQuery };

struct Request {
  Api api = Api::kQuery;
  std::string method;
  std::string canonical_url;  // path + query: what is sent and signed (A.5)
  std::string body;
};

ChannelReply reply_of(ChannelOutcome outcome, std::string detail) {
  ChannelReply r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  return r;
}

size_t utf8_chars(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The notify_url of the merchant's calls (the gateway route that decodes with
// the merchant's account, wechatpay_plugin.hpp).
std::string notify_url(const std::string& public_url, const core::ChannelCall& call) {
  return merchant_notify_url(public_url, kChannelName, call.merchant_id);
}

// The prepay request of `call`, or the refusal (non-empty) why not.
std::string plan_prepay(const core::ChannelCall& call, const Account& account,
                        const std::string& public_url, Request* out) {
  const bool jsapi = call.trade_type == "jsapi";
  if (!jsapi && !call.trade_type.empty() && call.trade_type != "native") {
    return "wechatpay: trade_type \"" + call.trade_type + "\" is not native or jsapi";
  }
  if (jsapi && call.payer_openid.empty()) return "wechatpay: jsapi needs payer_openid";
  if (call.amount_minor < 1) return "wechatpay: the amount must be at least 1 fen";
  PrepayRequest r;
  r.appid = account.appid;
  r.mchid = account.mchid;
  r.description = call.subject.empty() ? "oncepay " + call.payment_no : call.subject;
  if (utf8_chars(r.description) > kMaxDescriptionChars) {
    return "wechatpay: the subject is longer than 127 characters";
  }
  r.out_trade_no = call.payment_no;
  r.notify_url = notify_url(public_url, call);
  r.total_fen = call.amount_minor;
  r.currency = "CNY";
  if (jsapi) r.payer_openid = call.payer_openid;
  *out = Request{jsapi ? Api::kJsapi : Api::kNative, "POST",
                 std::string(jsapi ? kJsapiPrepayPath : kNativePrepayPath), prepay_body(r)};
  return {};
}

std::string plan_refund(const core::ChannelCall& call, const std::string& public_url,
                        Request* out) {
  if (!is_valid_out_refund_no(call.refund_no)) {
    return "wechatpay: refund_no is not 1-64 characters of [0-9A-Za-z_-|*@]";
  }
  if (call.amount_minor < 1 || call.total_minor < call.amount_minor) {
    return "wechatpay: the refund must be 1 fen up to the order's total";
  }
  RefundRequest r;
  r.out_trade_no = call.payment_no;
  r.out_refund_no = call.refund_no;
  r.notify_url = notify_url(public_url, call);  // REFUND.* notifications (A.4)
  r.refund_fen = call.amount_minor;
  r.total_fen = call.total_minor;
  r.currency = "CNY";
  *out = Request{Api::kRefund, "POST", std::string(kRefundPath), refund_body(r)};
  return {};
}

Request query_request(const core::ChannelCall& call, const Account& account) {
  return Request{Api::kQuery, "GET", query_url(call.payment_no, account.mchid), ""};
}

// The first request of `call`, or the refusal (non-empty) why none is sent.
std::string plan(const core::ChannelCall& call, const Account& account,
                 const std::string& public_url, Request* out) {
  if (call.currency != "CNY") return "wechatpay: currency " + call.currency + " is not CNY";
  if (!is_valid_out_trade_no(call.payment_no)) {
    return "wechatpay: payment_no is not 6-32 characters of [0-9A-Za-z_-|*]";
  }
  switch (call.op) {
    case ChannelOp::kPrepay:
      return plan_prepay(call, account, public_url, out);
    case ChannelOp::kQuery:
      *out = query_request(call, account);
      return {};
    case ChannelOp::kClose:
    case ChannelOp::kReverse:  // A.1: no cancel for NATIVE/JSAPI; close it
      *out = Request{Api::kClose, "POST", close_url(call.payment_no), close_body(account.mchid)};
      return {};
    case ChannelOp::kRefund:
      return plan_refund(call, public_url, out);
  }
  return "wechatpay: unknown operation";
}

struct PendingCall {
  core::ChannelCall call;
  std::shared_ptr<const Account> account;  // the one the call started with
  caf::typed_response_promise<ChannelReply> promise;
  Request request;
  int step = 0;        // requests sent so far - 1
  ChannelReply first;  // the first request's reply, when a follow-up runs
};

struct WorkerState {
  std::unordered_map<uint64_t, PendingCall> calls;
  uint64_t next_id = 1;
  static inline const char* name = "wechatpay_channel_worker";
};

using Worker = caf::stateful_actor<WorkerState>;

void finish(Worker* self, const SharedPtr& shared, uint64_t id, ChannelReply reply, bool answered) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end()) return;
  // First, so that the reply's reader sees the new state.
  shared->report(it->second.account->base_url, answered);
  it->second.promise.deliver(std::move(reply));
  self->state.calls.erase(it);
}

void send_request(Worker* self, const SharedPtr& shared, uint64_t id, PendingCall& p) {
  const Account& account = *p.account;
  std::string authorization;
  const Error signed_ok =
      sign_request(account.merchant_key, account.mchid, account.merchant_serial_no,
                   p.request.method, p.request.canonical_url, core::unix_seconds(),
                   core::random_token(kNonceBytes), p.request.body, &authorization);
  if (signed_ok != Error::kOk) {
    return finish(self, shared, id,
                  reply_of(ChannelOutcome::kUnavailable, "wechatpay: signing failed"), true);
  }
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", std::move(authorization)},
      {"Accept", "application/json"},
  };
  if (!p.request.body.empty()) headers.emplace_back("Content-Type", "application/json");
  caf::weak_actor_ptr weak{self->ctrl()};
  const int step = p.step;
  // Runs on an I/O thread (or here, when the client is stopped): it only
  // mails the result to the worker.
  shared->client.request(p.request.method, account.base_url + p.request.canonical_url,
                         std::move(headers), p.request.body,
                         [weak, id, step](http::HttpClientResult result) {
                           auto strong = weak.lock();
                           if (!strong) return;
                           caf::anon_send(caf::actor_cast<caf::actor>(strong),
                                          WxRequestDone{id, step, std::move(result)});
                         });
}

std::string header_of(const http::HttpClientResult& r, std::string_view lower_name) {
  for (const auto& [name, value] : r.headers) {
    if (name == lower_name) return value;
  }
  return {};
}

// A.6: the answer's signature over its exact body, by the account's keys.
Error verify_answer(const http::HttpClientResult& r, const Account& account) {
  SignedHeaders h;
  h.timestamp = header_of(r, "wechatpay-timestamp");
  h.nonce = header_of(r, "wechatpay-nonce");
  h.signature = header_of(r, "wechatpay-signature");
  h.serial = header_of(r, "wechatpay-serial");
  return verify_signed(h, r.body, account.platform_keys, core::unix_seconds());
}

// A.1 second table: the JSAPI client parameters for a prepay_id.
void add_jsapi_params(const Account& account, ChannelReply* r) {
  JsapiPayParams params;
  const Error e = jsapi_pay_params(account.merchant_key, account.appid, core::unix_seconds(),
                                   core::random_token(kNonceBytes), r->prepay_id, &params);
  if (e != Error::kOk) {
    *r = reply_of(ChannelOutcome::kUnavailable, "wechatpay: signing the pay parameters failed");
    return;
  }
  r->pay_params = {{"appId", params.app_id},       {"timeStamp", params.time_stamp},
                   {"nonceStr", params.nonce_str}, {"package", params.package},
                   {"signType", params.sign_type}, {"paySign", params.pay_sign}};
}

// The close's "already paid" with what the follow-up query showed.
ChannelReply merge_close_query(ChannelReply close, const ChannelReply& query) {
  if (query.outcome == ChannelOutcome::kOk) {
    close.channel_trade_no = query.channel_trade_no;
    close.paid_amount_minor = query.paid_amount_minor;
    close.paid_currency = query.paid_currency;
    close.detail += "; " + query.detail;
  }
  return close;
}

// The reply for an answer to p.request; sets *follow_up when another
// request must run first.
ChannelReply read_answer(const PendingCall& p, const Answer& a, Request* follow_up) {
  switch (p.request.api) {
    case Api::kNative:
      return prepay_reply(a, false);
    case Api::kJsapi: {
      ChannelReply r = prepay_reply(a, true);
      if (r.outcome == ChannelOutcome::kOk) add_jsapi_params(*p.account, &r);
      return r;
    }
    case Api::kQuery: {
      ChannelReply r = query_reply(a, p.call.payment_no);
      return p.step == 0 ? r : merge_close_query(p.first, r);
    }
    case Api::kClose: {
      ChannelReply r = close_reply(a);
      if (r.outcome == ChannelOutcome::kAlreadyPaid) *follow_up = query_request(p.call, *p.account);
      return r;
    }
    case Api::kRefund: {
      ChannelReply r = refund_reply(a, p.call.refund_no);
      const bool processing = r.outcome == ChannelOutcome::kUnavailable &&
                              a.verification == Error::kOk && a.http_status == 200;
      if (processing) {
        *follow_up = Request{Api::kRefundQuery, "GET", refund_query_url(p.call.refund_no), ""};
      }
      return r;
    }
    case Api::kRefundQuery:
      return refund_reply(a, p.call.refund_no);
  }
  return reply_of(ChannelOutcome::kUnavailable, "wechatpay: unknown request");
}

void on_request_done(Worker* self, const SharedPtr& shared, WxRequestDone& done) {
  auto it = self->state.calls.find(done.call_id);
  if (it == self->state.calls.end() || it->second.step != done.step) return;  // late
  PendingCall& p = it->second;
  const auto& r = done.result;
  if (!r.ok) {
    return finish(self, shared, done.call_id,
                  reply_of(ChannelOutcome::kUnavailable, "wechatpay unreachable: " + r.error),
                  false);
  }
  Answer answer;
  answer.http_status = r.status;
  answer.body = r.body;
  answer.verification = verify_answer(r, *p.account);
  Request follow_up;
  ChannelReply reply = read_answer(p, answer, &follow_up);
  if (follow_up.method.empty() || p.step > 0) {
    return finish(self, shared, done.call_id, std::move(reply), true);
  }
  p.first = std::move(reply);
  p.request = std::move(follow_up);
  ++p.step;
  send_request(self, shared, done.call_id, p);
}

// Starts `call`, or answers it at once (circuit open, no account, refused).
void start_call(Worker* self, const SharedPtr& shared, core::ChannelCall& call,
                caf::typed_response_promise<ChannelReply> promise) {
  auto account = shared->accounts->get_as<Account>(call.merchant_id, kChannelName);
  Request request;
  std::string refusal =
      account == nullptr ? "wechatpay: merchant " + call.merchant_id + " has no wechatpay account"
                         : plan(call, *account, shared->public_url, &request);
  if (!refusal.empty()) {  // no request is made: the breaker is not asked
    promise.deliver(reply_of(ChannelOutcome::kRejected, std::move(refusal)));
    return;
  }
  if (!shared->admit(account->base_url)) {
    promise.deliver(
        reply_of(ChannelOutcome::kUnavailable,
                 "circuit open: wechatpay at " + account->base_url + " failed repeatedly"));
    return;
  }
  const uint64_t id = self->state.next_id++;
  PendingCall p;
  p.call = std::move(call);
  p.account = std::move(account);
  p.promise = promise;
  p.request = std::move(request);
  auto& pending = self->state.calls.emplace(id, std::move(p)).first->second;
  self->delayed_send(self, shared->options.timeout, WxCallDeadline{id});
  send_request(self, shared, id, pending);
}

caf::behavior worker_impl(Worker* self, SharedPtr shared) {
  return {
      [self, shared](core::ChannelCall& call) {
        auto promise = self->make_response_promise<ChannelReply>();
        start_call(self, shared, call, promise);
        return promise;
      },
      [self, shared](WxRequestDone& done) { on_request_done(self, shared, done); },
      [self, shared](const WxCallDeadline& deadline) {
        finish(self, shared, deadline.call_id,
               reply_of(ChannelOutcome::kUnavailable,
                        "wechatpay: no answer within " +
                            std::to_string(shared->options.timeout.count()) + " ms"),
               false);
      },
  };
}

}  // namespace

// ------------------------------------------------------- WechatPayChannel

WechatPayChannel::WechatPayChannel(caf::actor_system& system, WechatPayChannelOptions options,
                                   std::shared_ptr<ChannelAccounts> accounts,
                                   std::string public_url) {
  ONCEPAY_CHECK(validate(options).empty());
  ONCEPAY_CHECK(accounts != nullptr);
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  shared_ =
      std::make_shared<Shared>(std::move(options), std::move(accounts), std::move(public_url));
  auto shared = shared_;
  auto factory = [shared, &system] { return system.spawn(worker_impl, shared); };
  pool_ = caf::actor_cast<channel_actor>(caf::actor_pool::make(system.dummy_execution_unit(),
                                                               shared_->options.workers, factory,
                                                               caf::actor_pool::round_robin()));
}

WechatPayChannel::~WechatPayChannel() {
  caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  shared_->client.stop();
}

std::string WechatPayChannel::breaker_state() const {
  return std::string(to_string(shared_->breakers.state(steady_now_ms())));
}

uint64_t WechatPayChannel::breaker_opened_total() const { return shared_->breakers.times_opened(); }

}  // namespace oncepay::channels::wechatpay
