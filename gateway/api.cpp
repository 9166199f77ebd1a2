#include "gateway/api.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "channels/accounts.hpp"
#include "codec/json.hpp"
#include "core/check.hpp"
#include "core/signature.hpp"
#include "core/statement.hpp"
#include "core/wall_clock.hpp"
#include "gateway/console.hpp"
#include "gateway/metrics.hpp"
#include "gateway/routes.hpp"
#include "gateway/validate.hpp"
#include "http/query.hpp"
#include "storage/snapshot_layout.hpp"

namespace oncepay::gateway {

namespace {

using core::Code;
using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

HttpResponse json_response(int status, const google::protobuf::Message& body) {
  HttpResponse r;
  r.status = status;
  r.body = codec::to_json(body);
  return r;
}

HttpResponse error_of(Code code, std::string_view message) {
  return Api::error(core::http_status(code), core::to_string(code), message);
}

HttpResponse invalid(std::string_view message) { return error_of(Code::kInvalidRequest, message); }

HttpResponse not_found() { return error_of(Code::kNotFound, "no such route"); }

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
    r.body = codec::to_json(body);
    r.headers.emplace_back("Retry-After", std::to_string(reply.retry_after_s));
  }
  return r;
}

std::string_view bearer(const HttpRequest& request) {
  std::string_view h = request.header("authorization");
  // The scheme name is case-insensitive (RFC 9110 11.1); the token is not.
  constexpr std::string_view kPrefix = "bearer ";
  if (h.size() <= kPrefix.size() || http::ascii_lower(h.substr(0, kPrefix.size())) != kPrefix) {
    return {};
  }
  return h.substr(kPrefix.size());
}

// A body that may be empty (optional JSON object).
bool parse_optional(const std::string& body, google::protobuf::Message* out, std::string* error) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  return codec::parse_json(body, out, error);
}

// One request on its way through the table: what a handler may use. The
// access checks fill merchant (kMerchant) or caller (kAdmin: the operator,
// whose name an action records).
struct Call {
  actors::Engine& engine;
  const channels::ChannelRegistry& channels;
  const std::vector<Route<const channels::ChannelRoute*>>& channel_routes;
  const ApiOptions& options;
  const std::shared_ptr<Metrics>& metrics;
  const HttpRequest& req;
  const std::vector<std::string_view>& parts;
  Responder respond;
  // Shared with in-flight callbacks (the audit of an answer that comes late).
  const std::shared_ptr<AdminAccess>& admin;
  std::optional<actors::Merchant> merchant;
  std::optional<Caller> caller;
  // A streamed upload's file (HttpRequest::body_file) that a handler took
  // over; the Api removes it otherwise.
  std::shared_ptr<bool> file_claimed = std::make_shared<bool>(false);

  // The {name} segment of the path: every pattern with one has it third.
  std::string param() const {
    ONCEPAY_CHECK(parts.size() > 2);
    return std::string(parts[2]);
  }
};

using Handler = void (*)(Call&);

// ---------------------------------------------------------------- ops

void healthz(Call& c) {
  v1::Health h;
  h.set_status("ok");
  c.respond(json_response(200, h));
}

void readyz(Call& c) {
  v1::Health h;
  const bool ok = c.engine.ready() && c.engine.storage_healthy();
  h.set_status(ok ? "ready" : "unavailable");
  std::string detail = c.engine.status_detail();
  for (const auto& channel : c.channels.health()) {
    detail += "; channel " + channel.channel + ": breaker " + channel.breaker;
  }
  h.set_detail(std::move(detail));
  c.respond(json_response(ok ? 200 : 503, h));
}

void metrics_text(Call& c) {
  c.metrics->set_live_orders(
      static_cast<double>(c.engine.env().live_orders.load(std::memory_order_relaxed)));
  for (const auto& channel : c.channels.health()) {
    c.metrics->set_breaker(channel.channel, channel.breaker, channel.breaker_opened_total);
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = c.metrics->serialize(&c.engine);
  c.respond(std::move(r));
}

// ---------------------------------------------------------------- channels

// The channel's decoder reads the raw request (signature, body); its notice
// goes to the engine, and the engine's outcome back through the channel's
// answer builder: every channel acknowledges in its own way.
void channel_notify(Call& c) {
  const std::string name = c.param();
  const channels::ChannelEntry* channel = c.channels.find(name);
  if (channel == nullptr || !channel->decode_notice || !c.engine.has_channel(name)) {
    return c.respond(error_of(Code::kNotFound, "no such channel"));
  }
  auto decision = channel->decode_notice(c.req, core::unix_seconds());
  if (!decision.notice) return c.respond(std::move(decision.refusal));
  // /v1/channels/{channel}/notify/{merchant_id}: that merchant's payments only.
  std::string merchant_id = c.parts.size() > 4 ? std::string(c.parts[4]) : std::string();
  c.engine.notify(
      name, std::move(*decision.notice),
      [respond = c.respond, answer = channel->answer_notice](actors::OrderReply reply) {
        channels::NoticeOutcome outcome;
        outcome.code = reply.code;
        if (!core::is_success(reply.code)) outcome.api_answer = from_reply(reply);
        respond(answer(outcome));
      },
      std::move(merchant_id));
}

// ---------------------------------------------------------------- admin

void create_merchant(Call& c) {
  v1::CreateMerchantRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (!is_token(body.merchant_id(), 64)) {
    return c.respond(invalid("merchant_id must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'"));
  }
  core::Policy policy = core::Policy::kStrict;
  if (!body.policy().empty() && !core::parse_policy(body.policy(), &policy)) {
    return c.respond(invalid("policy must be \"strict\" or \"refund_duplicates\""));
  }
  c.engine.create_merchant(
      body.merchant_id(), policy,
      [respond = c.respond](Code code, actors::Merchant merchant, std::string api_key) {
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

void get_merchant(Call& c) {
  auto merchant = c.engine.merchants().get(c.param());
  if (!merchant) return c.respond(error_of(Code::kMerchantNotFound, "no such merchant"));
  v1::MerchantView view;
  view.set_merchant_id(merchant->merchant_id);
  view.set_policy(std::string(core::to_string(merchant->policy)));
  c.respond(json_response(200, view));
}

// PUT/GET /admin/merchants/{id}/channels/{channel} (docs/API.md "Channel
// accounts"): the account's view (channels/accounts.hpp public_view: no
// secrets) under the merchant and channel.
HttpResponse account_response(const std::string& merchant_id, std::string_view channel,
                              const channels::ChannelAccount& account) {
  boost::json::object body;
  body["merchant_id"] = merchant_id;
  body["channel"] = channel;
  body["account"] = account.public_view();
  HttpResponse r;
  r.status = 200;
  r.body = boost::json::serialize(body);
  return r;
}

// The channel segment of an account route, after the merchant and the
// channel are known to exist: null response when both do.
std::optional<HttpResponse> account_route_refusal(Call& c, std::string* merchant_id,
                                                  std::string* channel) {
  *merchant_id = c.param();
  *channel = std::string(c.parts[4]);
  if (!c.engine.merchants().get(*merchant_id)) {
    return error_of(Code::kMerchantNotFound, "no such merchant");
  }
  if (!c.engine.channel_accounts().takes_accounts(*channel)) {
    return error_of(Code::kNotFound, "no channel \"" + *channel + "\" with accounts here");
  }
  return std::nullopt;
}

void put_channel_account(Call& c) {
  std::string merchant_id, channel;
  if (auto refusal = account_route_refusal(c, &merchant_id, &channel)) {
    return c.respond(std::move(*refusal));
  }
  std::shared_ptr<const channels::ChannelAccount> account;
  std::string canonical;
  if (auto bad = c.engine.channel_accounts().parse(channel, c.req.body, &account, &canonical)) {
    v1::ErrorResponse body;
    body.mutable_error()->set_code(std::string(core::to_string(Code::kInvalidRequest)));
    body.mutable_error()->set_message(bad->message);
    if (!bad->field.empty()) body.mutable_error()->set_field(bad->field);
    return c.respond(json_response(core::http_status(Code::kInvalidRequest), body));
  }
  c.engine.set_channel_account(
      merchant_id, channel, std::move(canonical), account,
      [respond = c.respond, merchant_id, channel, account](Code code) {
        if (code != Code::kOk) {
          return respond(error_of(code, "the channel account could not be stored"));
        }
        respond(account_response(merchant_id, channel, *account));
      });
}

void get_channel_account(Call& c) {
  std::string merchant_id, channel;
  if (auto refusal = account_route_refusal(c, &merchant_id, &channel)) {
    return c.respond(std::move(*refusal));
  }
  auto account = c.engine.channel_accounts().get(merchant_id, channel);
  if (!account) {
    return c.respond(error_of(Code::kNotFound, "the merchant has no account at this channel"));
  }
  c.respond(account_response(merchant_id, channel, *account));
}

// The query of GET /admin/review?cursor=&limit=&reason= (docs/API.md
// "Review list"); an empty string when it is valid, else what is wrong.
std::string review_query(const HttpRequest& req, size_t* limit, std::string* cursor,
                         std::string* reason) {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(req.query, &params, &why)) return why;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      if (!parse_limit(value, actors::kMaxReviewPage, limit)) {
        return "limit must be an integer from 1 to " + std::to_string(actors::kMaxReviewPage);
      }
    } else if (name == "cursor") {
      *cursor = value;
    } else if (name == "reason") {
      if (!core::is_review_reason(value)) {
        std::string one_of;
        for (std::string_view r : core::kReviewReasons) {
          one_of += (one_of.empty() ? "" : ", ") + std::string(r);
        }
        return "reason must be one of " + one_of + ", or recon_<class> (docs/RECONCILIATION.md)";
      }
      *reason = value;
    } else {
      return "unknown query parameter \"" + name + "\"";
    }
  }
  return {};
}

void review_list(Call& c) {
  size_t limit = actors::kDefaultReviewPage;
  std::string cursor;
  std::string reason;
  if (auto e = review_query(c.req, &limit, &cursor, &reason); !e.empty()) {
    return c.respond(invalid(e));
  }
  actors::ReviewIndex::Page page;
  if (!c.engine.reviews().list(cursor, limit, reason, &page)) {
    return c.respond(invalid("cursor is malformed: pass back a `next` this list returned"));
  }
  v1::ReviewListView view;
  for (const auto& entry : page.items) {
    *view.add_items() =
        core::review_item_view(entry.order.merchant_id, entry.order.merchant_order_no, entry.item);
  }
  view.set_next(page.next);
  c.respond(json_response(200, view));
}

constexpr size_t kMaxMerchantPage = 1000;
constexpr size_t kDefaultMerchantPage = 100;

// GET /admin/merchants?cursor=&limit= (docs/API.md "Admin endpoints"):
// merchants in id order without their secrets; the cursor is the last id shown.
void list_merchants(Call& c) {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(c.req.query, &params, &why)) return c.respond(invalid(why));
  size_t limit = kDefaultMerchantPage;
  std::string cursor;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      if (!parse_limit(value, kMaxMerchantPage, &limit)) {
        return c.respond(
            invalid("limit must be an integer from 1 to " + std::to_string(kMaxMerchantPage)));
      }
    } else if (name == "cursor") {
      if (!is_token(value, 64)) return c.respond(invalid("cursor is malformed"));
      cursor = value;
    } else {
      return c.respond(invalid("unknown query parameter \"" + name + "\""));
    }
  }
  bool more = false;
  v1::MerchantListView view;
  for (const auto& merchant : c.engine.merchants().list(cursor, limit, &more)) {
    auto* item = view.add_items();
    item->set_merchant_id(merchant.merchant_id);
    item->set_policy(std::string(core::to_string(merchant.policy)));
  }
  if (more && view.items_size() > 0) view.set_next(view.items(view.items_size() - 1).merchant_id());
  c.respond(json_response(200, view));
}

// /admin/session and /admin/audit (gateway/admin_access.hpp).
void session_sign_in(Call& c) { c.respond(c.admin->sign_in(c.req)); }
void session_who_am_i(Call& c) { c.respond(c.admin->who_am_i(c.req)); }
void session_sign_out(Call& c) { c.respond(c.admin->sign_out(c.req)); }
void audit_list(Call& c) { c.respond(c.admin->audit_list(c.req)); }

// ---------------------------------------------------------------- reconciliation

constexpr size_t kDefaultReconItemPage = 100;
constexpr size_t kMaxReconItemPage = 1000;

std::optional<HttpResponse> recon_unavailable(const Call& c) {
  if (c.options.reconciler != nullptr) return std::nullopt;
  return error_of(Code::kNotReady, "reconciliation is not configured (it needs a data dir)");
}

HttpResponse recon_answer(const actors::ReconAnswer& a) {
  if (a.code == Code::kAccepted) return json_response(202, a.run);
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(core::to_string(a.code)));
  body.mutable_error()->set_message(a.message);
  if (a.code == Code::kInvalidStatement) body.mutable_error()->set_line(a.line);
  return json_response(core::http_status(a.code), body);
}

// POST /admin/reconciliations: a JSON body fetches the statement from the
// channel; any other body is the statement itself (streamed to a file by
// the server: Api::large_body), with merchant_id, channel and date in the
// query.
void recon_start(Call& c) {
  if (auto no = recon_unavailable(c)) return c.respond(std::move(*no));
  actors::Reconciler::Job job;
  if (!c.req.body_file.empty()) {
    std::map<std::string, std::string, std::less<>> params;
    std::string why;
    if (!http::parse_query(c.req.query, &params, &why)) return c.respond(invalid(why));
    for (const auto& [name, value] : params) {
      if (name == "merchant_id") {
        job.merchant_id = value;
      } else if (name == "channel") {
        job.channel = value;
      } else if (name == "date") {
        job.date = value;
      } else {
        return c.respond(invalid("unknown query parameter \"" + name + "\""));
      }
    }
    if (job.merchant_id.empty() || job.channel.empty() || job.date.empty()) {
      return c.respond(invalid("an upload needs ?merchant_id=&channel=&date=YYYY-MM-DD"));
    }
    const channels::ChannelEntry* entry = c.channels.find(job.channel);
    if (entry != nullptr && entry->statements.parse) {
      const std::string_view type = c.req.header("content-type");
      const std::string_view want = entry->statements.media == channels::StatementMedia::kZip
                                        ? "application/zip"
                                        : "text/csv";
      if (http::ascii_lower(type.substr(0, type.find(';'))) != want) {
        return c.respond(invalid("a " + job.channel + " statement is uploaded as Content-Type " +
                                 std::string(want)));
      }
    }
    job.source = "upload";
    job.upload_path = c.req.body_file;
  } else {
    const std::string_view type = c.req.header("content-type");
    if (!c.req.query.empty() && c.req.body.empty() &&
        http::ascii_lower(type.substr(0, type.find(';'))) != "application/json") {
      // An empty upload has no body file (the server streams none): it is a
      // statement without even its header.
      actors::ReconAnswer empty;
      empty.code = Code::kInvalidStatement;
      empty.message = "line 1: the statement is empty";
      empty.line = 1;
      return c.respond(recon_answer(empty));
    }
    if (!c.req.query.empty()) {
      return c.respond(
          invalid("an upload's body must not be JSON; to fetch from the channel, "
                  "send {\"merchant_id\",\"channel\",\"date\"} without a query"));
    }
    v1::ReconciliationRequest body;
    std::string why;
    if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
    job.merchant_id = body.merchant_id();
    job.channel = body.channel();
    job.date = body.date();
    job.source = "fetch";
  }
  if (!is_token(job.merchant_id, 64)) {
    return c.respond(invalid("merchant_id must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'"));
  }
  if (!is_token(job.channel, 32)) return c.respond(invalid("channel is not a channel name"));
  job.done = [respond = c.respond](actors::ReconAnswer a) { respond(recon_answer(a)); };
  // The job owns the upload from here (any refusal above leaves it to the
  // Api, which removes it).
  *c.file_claimed = !job.upload_path.empty();
  c.options.reconciler->submit(std::move(job));
}

void recon_get(Call& c) {
  if (auto no = recon_unavailable(c)) return c.respond(std::move(*no));
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(c.req.query, &params, &why)) return c.respond(invalid(why));
  size_t limit = kDefaultReconItemPage;
  uint64_t after = 0;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      if (!parse_limit(value, kMaxReconItemPage, &limit)) {
        return c.respond(
            invalid("limit must be an integer from 1 to " + std::to_string(kMaxReconItemPage)));
      }
    } else if (name == "cursor") {
      size_t parsed = 0;
      if (value.size() < 2 || value[0] != 'i' || !parse_limit(value.substr(1), SIZE_MAX, &parsed)) {
        return c.respond(invalid("cursor is malformed: pass back a `next` this run returned"));
      }
      after = parsed;
    } else {
      return c.respond(invalid("unknown query parameter \"" + name + "\""));
    }
  }
  v1::ReconciliationView run;
  const std::string id = c.param();
  if (!is_token(id, 64)) {
    return c.respond(error_of(Code::kReconciliationNotFound, "no such reconciliation"));
  }
  storage::Status st = c.options.reconciler->store().get_run(id, &run);
  if (st.is_not_found()) {
    return c.respond(error_of(Code::kReconciliationNotFound, "no such reconciliation"));
  }
  if (!st.is_ok()) return c.respond(error_of(Code::kStorageUnavailable, st.to_string()));
  std::vector<v1::ReconItemView> items;
  uint64_t next = 0;
  st = c.options.reconciler->store().items(run.reconciliation_id(), after, limit, &items, &next);
  if (!st.is_ok()) return c.respond(error_of(Code::kStorageUnavailable, st.to_string()));
  for (auto& item : items) *run.add_items() = std::move(item);
  if (next != 0) run.set_next("i" + std::to_string(next));
  c.respond(json_response(200, run));
}

void recon_list(Call& c) {
  if (auto no = recon_unavailable(c)) return c.respond(std::move(*no));
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(c.req.query, &params, &why)) return c.respond(invalid(why));
  std::string date, merchant_id, channel;
  for (const auto& [name, value] : params) {
    if (name == "date") {
      date = value;
    } else if (name == "merchant_id") {
      merchant_id = value;
    } else if (name == "channel") {
      channel = value;
    } else {
      return c.respond(invalid("unknown query parameter \"" + name + "\""));
    }
  }
  if (!c.options.reconciler->calendar().window(date)) {
    return c.respond(invalid("date must be a day as YYYY-MM-DD"));
  }
  // Filters name a merchant and a channel as everywhere else: a malformed
  // one is a mistake to report, not a filter that matches nothing.
  if (!merchant_id.empty() && !is_token(merchant_id, 64)) {
    return c.respond(invalid("merchant_id must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'"));
  }
  if (!channel.empty() && !is_token(channel, 64)) {
    return c.respond(invalid("channel must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'"));
  }
  std::vector<v1::ReconciliationView> runs;
  storage::Status st = c.options.reconciler->store().runs_of_date(date, &runs);
  if (!st.is_ok()) return c.respond(error_of(Code::kStorageUnavailable, st.to_string()));
  v1::ReconciliationListView view;
  for (auto& run : runs) {
    if (!merchant_id.empty() && run.merchant_id() != merchant_id) continue;
    if (!channel.empty() && run.channel() != channel) continue;
    *view.add_reconciliations() = std::move(run);
  }
  c.respond(json_response(200, view));
}

// POST /admin/review/{item_id}/resolve
void review_resolve(Call& c) {
  v1::ResolveReviewRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (body.resolution() != core::kResolutionTrustChannel &&
      body.resolution() != core::kResolutionTrustPlatform &&
      body.resolution() != core::kResolutionDismiss) {
    return c.respond(invalid("resolution must be trust_channel, trust_platform or dismiss"));
  }
  if (body.operator_().size() > 64 || !core::valid_utf8(body.operator_()) ||
      (!body.operator_().empty() && !is_operator_text(body.operator_()))) {
    return c.respond(invalid("operator must be at most 64 bytes of UTF-8: who resolves the item"));
  }
  // Who resolved it is who signed in; a different name in the body is kept
  // beside it ("admin for alice": a shared token used on someone's behalf).
  std::string who = c.caller ? c.caller->operator_name : std::string("admin");
  if (!body.operator_().empty() && body.operator_() != who) who += " for " + body.operator_();
  if (!is_operator_text(body.reason())) {
    return c.respond(
        invalid("reason must be 1-500 bytes of UTF-8 with a visible character and no control "
                "character: why"));
  }
  const std::string item_id = c.param();
  auto entry = c.engine.reviews().find(item_id);
  if (!entry)
    return c.respond(error_of(Code::kReviewItemNotFound, "no open review item " + item_id));
  core::ResolveCommand cmd{item_id, body.resolution(), who, body.reason()};
  if (entry->order.merchant_order_no.empty()) {
    if (c.options.reconciler == nullptr) {
      return c.respond(error_of(Code::kReviewItemNotFound, "no open review item " + item_id));
    }
    return c.options.reconciler->resolve_unattached(
        cmd, [respond = c.respond, item_id, resolution = cmd.resolution](Code code,
                                                                         std::string message) {
          if (code != Code::kOk) return respond(error_of(code, message));
          boost::json::object answer;
          answer["item_id"] = item_id;
          answer["resolution"] = resolution;
          HttpResponse r;
          r.status = 200;
          r.body = boost::json::serialize(answer);
          respond(std::move(r));
        });
  }
  actors::ReviewMsg msg;
  msg.key = entry->order;
  msg.kind = actors::ReviewMsg::Kind::kResolve;
  msg.resolve = std::move(cmd);
  c.engine.review(std::move(msg),
                  [respond = c.respond](actors::OrderReply reply) { respond(from_reply(reply)); });
}

// ---------------------------------------------------------------- orders for operators

// The order key of /admin/orders/{merchant_id}/{merchant_order_no}[/...], or
// the refusal (docs/API.md "Orders for operators").
std::optional<HttpResponse> admin_order_key(const Call& c, core::OrderKey* key) {
  ONCEPAY_CHECK(c.parts.size() > 3);
  if (!is_token(c.parts[2], 64)) {
    return invalid("merchant_id must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'");
  }
  if (auto e = check_order_no(c.parts[3]); !e.empty()) return invalid(e);
  *key = {std::string(c.parts[2]), std::string(c.parts[3])};
  return std::nullopt;
}

// GET /admin/orders/{merchant_id}/{merchant_order_no}
void admin_order_get(Call& c) {
  actors::GetOrderMsg msg;
  if (auto refusal = admin_order_key(c, &msg.key)) return c.respond(std::move(*refusal));
  msg.admin = true;
  c.engine.get_order(std::move(msg), [respond = c.respond](actors::OrderReply reply) {
    if (!core::is_success(reply.code) || !reply.has_admin) return respond(from_reply(reply));
    respond(json_response(200, reply.admin));
  });
}

// One item of a search answer: the order of an operator view, and the
// payment_no searched for ("" when searched by order).
void add_match(const actors::OrderReply& reply, const std::string& payment_no,
               v1::OrderSearchView* view) {
  if (!reply.has_admin) return;
  const v1::OrderView& order = reply.admin.order();
  auto* match = view->add_items();
  match->set_merchant_id(reply.admin.merchant_id());
  match->set_merchant_order_no(order.merchant_order_no());
  match->set_payment_no(payment_no);
  match->set_status(order.status());
  match->set_amount(order.amount());
  match->set_currency(order.currency());
  match->set_created_at(order.created_at());
}

// The answer of a search: the order found, none (200 with no items), or
// the engine's refusal (not ready, storage).
actors::Engine::Done search_answer(Responder respond, std::string payment_no) {
  return
      [respond = std::move(respond), payment_no = std::move(payment_no)](actors::OrderReply reply) {
        if (reply.code == Code::kOrderNotFound || reply.code == Code::kPaymentNotFound) {
          return respond(json_response(200, v1::OrderSearchView{}));
        }
        if (!core::is_success(reply.code)) return respond(from_reply(reply));
        v1::OrderSearchView view;
        add_match(reply, payment_no, &view);
        respond(json_response(200, view));
      };
}

// ?channel_trade_no=: every order whose attempt carries it (any merchant,
// any channel), each with that attempt's payment_no.
void search_channel_trade(Call& c, const std::string& channel_trade_no) {
  if (!storage::searchable_channel_trade_no(channel_trade_no)) {
    return c.respond(invalid("channel_trade_no must be 1-" +
                             std::to_string(storage::kMaxChannelTradeNoBytes) +
                             " printable ASCII characters without spaces"));
  }
  c.engine.find_channel_trade(
      channel_trade_no,
      [respond = c.respond](Code code, std::string message,
                            std::vector<actors::Engine::ChannelTradeMatch> matches) {
        if (!core::is_success(code)) return respond(error_of(code, message));
        v1::OrderSearchView view;
        for (const auto& m : matches) add_match(m.order, m.payment_no, &view);
        respond(json_response(200, view));
      });
}

// GET /admin/orders?merchant_id=&merchant_order_no= | ?payment_no= |
// ?channel_trade_no=
void admin_order_search(Call& c) {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(c.req.query, &params, &why)) return c.respond(invalid(why));
  for (const auto& [name, value] : params) {
    if (name != "merchant_id" && name != "merchant_order_no" && name != "payment_no" &&
        name != "channel_trade_no") {
      return c.respond(invalid("unknown query parameter \"" + name + "\""));
    }
  }
  const auto payment_no = params.find("payment_no");
  if (payment_no != params.end()) {
    if (params.size() != 1) return c.respond(invalid("payment_no is searched alone"));
    if (!is_token(payment_no->second, 64)) return c.respond(invalid("payment_no is malformed"));
    return c.engine.find_payment(payment_no->second, search_answer(c.respond, payment_no->second));
  }
  const auto trade_no = params.find("channel_trade_no");
  if (trade_no != params.end()) {
    if (params.size() != 1) return c.respond(invalid("channel_trade_no is searched alone"));
    return search_channel_trade(c, trade_no->second);
  }
  const auto merchant_id = params.find("merchant_id");
  const auto order_no = params.find("merchant_order_no");
  if (merchant_id == params.end() || order_no == params.end()) {
    return c.respond(invalid(
        "search by payment_no, by channel_trade_no, or by merchant_id and merchant_order_no"));
  }
  if (!is_token(merchant_id->second, 64)) {
    return c.respond(invalid("merchant_id must be 1-64 characters of A-Z, a-z, 0-9, '_', '-'"));
  }
  if (auto e = check_order_no(order_no->second); !e.empty()) return c.respond(invalid(e));
  actors::GetOrderMsg msg{{merchant_id->second, order_no->second}, /*admin=*/true};
  c.engine.get_order(std::move(msg), search_answer(c.respond, {}));
}

// ---------------------------------------------------------------- operator actions

std::optional<HttpResponse> operator_command(const Call& c, const std::string& reason,
                                             core::OperatorCommand* out) {
  if (!is_operator_text(reason)) {
    return invalid(
        "reason must be 1-500 bytes of UTF-8 with a visible character and no control "
        "character: why");
  }
  out->operator_name = c.caller ? c.caller->operator_name : std::string("admin");
  out->reason = reason;
  return std::nullopt;
}

// The order's operator view once the action is done, else the refusal.
void operate(Call& c, actors::OperatorMsg msg) {
  c.engine.operate(std::move(msg), [respond = c.respond](actors::OrderReply reply) {
    if (!core::is_success(reply.code) || !reply.has_admin) return respond(from_reply(reply));
    respond(json_response(core::http_status(reply.code), reply.admin));
  });
}

// POST .../close and .../query: {"reason"}.
void admin_order_simple_action(Call& c, actors::OperatorMsg::Kind kind) {
  actors::OperatorMsg msg;
  msg.kind = kind;
  if (auto refusal = admin_order_key(c, &msg.key)) return c.respond(std::move(*refusal));
  v1::OperatorActionRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (auto refusal = operator_command(c, body.reason(), &msg.command)) {
    return c.respond(std::move(*refusal));
  }
  operate(c, std::move(msg));
}

void admin_order_close(Call& c) { admin_order_simple_action(c, actors::OperatorMsg::Kind::kClose); }
void admin_order_query(Call& c) { admin_order_simple_action(c, actors::OperatorMsg::Kind::kQuery); }

// POST .../webhooks/{event_id}/retry: {"reason"}.
void admin_order_webhook_retry(Call& c) {
  ONCEPAY_CHECK(c.parts.size() > 5);
  if (!is_token(c.parts[5], 200)) return c.respond(invalid("event_id is malformed"));
  actors::OperatorMsg msg;
  msg.event_id = std::string(c.parts[5]);
  msg.kind = actors::OperatorMsg::Kind::kRetryWebhook;
  if (auto refusal = admin_order_key(c, &msg.key)) return c.respond(std::move(*refusal));
  v1::OperatorActionRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (auto refusal = operator_command(c, body.reason(), &msg.command)) {
    return c.respond(std::move(*refusal));
  }
  operate(c, std::move(msg));
}

// POST .../refunds: {"refund_no", "amount", "reason"}, as the merchant's.
void admin_order_refund(Call& c) {
  actors::OperatorMsg msg;
  msg.kind = actors::OperatorMsg::Kind::kRefund;
  if (auto refusal = admin_order_key(c, &msg.key)) return c.respond(std::move(*refusal));
  v1::RefundRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (auto e = check_refund(body); !e.empty()) return c.respond(invalid(e));
  if (auto refusal = operator_command(c, body.reason(), &msg.command)) {
    return c.respond(std::move(*refusal));
  }
  msg.refund = {body.refund_no(), body.amount(), body.reason()};
  operate(c, std::move(msg));
}

// POST .../appeals: {"kind", "detail"}: a payer's appeal, checked at the
// channel attempt by attempt before the answer (201 with the operator's view).
void admin_order_appeal(Call& c) {
  actors::OperatorMsg msg;
  msg.kind = actors::OperatorMsg::Kind::kAppeal;
  if (auto refusal = admin_order_key(c, &msg.key)) return c.respond(std::move(*refusal));
  v1::AppealRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (std::find(core::kAppealKinds.begin(), core::kAppealKinds.end(), body.kind()) ==
      core::kAppealKinds.end()) {
    return c.respond(invalid("kind must be charged_twice, paid_not_credited or other"));
  }
  if (!is_operator_text(body.detail())) {
    return c.respond(
        invalid("detail must be 1-500 bytes of UTF-8 with a visible character and no control "
                "character: what the payer says"));
  }
  if (auto refusal = operator_command(c, body.detail(), &msg.command)) {
    return c.respond(std::move(*refusal));
  }
  msg.appeal = {body.kind(), body.detail(), msg.command.operator_name};
  operate(c, std::move(msg));
}

// ---------------------------------------------------------------- merchant

void order_pay(Call& c) {
  if (auto e = check_order_no(c.parts[2]); !e.empty()) return c.respond(invalid(e));
  v1::PayRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (auto e = check_pay(body, c.engine.env().payment.max_amount_minor); !e.empty()) {
    return c.respond(invalid(e));
  }
  if (!c.engine.has_channel(body.channel())) {
    return c.respond(invalid("unknown channel \"" + body.channel() + "\""));
  }
  // How the payer pays is the channel's to say (channels/registry.hpp).
  if (const channels::ChannelEntry* channel = c.channels.find(body.channel())) {
    std::string refusal;
    if (channel->check_pay) {
      refusal = channel->check_pay(body.trade_type(), body.payer_openid());
    } else if (!body.trade_type().empty() || !body.payer_openid().empty()) {
      refusal = "channel \"" + body.channel() + "\" takes no trade_type or payer_openid";
    }
    if (!refusal.empty()) return c.respond(invalid(refusal));
  }
  actors::PayMsg msg;
  msg.command.merchant_id = c.merchant->merchant_id;
  msg.command.merchant_order_no = c.param();
  msg.command.amount_minor = body.amount();
  msg.command.currency = body.currency();
  msg.command.channel = body.channel();
  msg.command.subject = body.subject();
  msg.command.notify_url = body.notify_url();
  msg.command.trade_type = body.trade_type();
  msg.command.payer_openid = body.payer_openid();
  msg.policy = c.merchant->policy;
  const auto started = std::chrono::steady_clock::now();
  c.engine.pay(
      std::move(msg), [respond = c.respond, metrics = c.metrics, started](actors::OrderReply r) {
        metrics->pay_outcome(core::to_string(r.code));
        metrics->pay_latency(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        respond(from_reply(r));
      });
}

void order_close(Call& c) {
  if (auto e = check_order_no(c.parts[2]); !e.empty()) return c.respond(invalid(e));
  v1::CloseRequest body;
  std::string why;
  if (!parse_optional(c.req.body, &body, &why)) return c.respond(invalid(why));
  actors::CloseMsg msg{{c.merchant->merchant_id, c.param()}, c.merchant->policy};
  c.engine.close(std::move(msg),
                 [respond = c.respond](actors::OrderReply reply) { respond(from_reply(reply)); });
}

void order_refund(Call& c) {
  if (auto e = check_order_no(c.parts[2]); !e.empty()) return c.respond(invalid(e));
  v1::RefundRequest body;
  std::string why;
  if (!codec::parse_json(c.req.body, &body, &why)) return c.respond(invalid(why));
  if (auto e = check_refund(body); !e.empty()) return c.respond(invalid(e));
  actors::RefundMsg msg;
  msg.key = {c.merchant->merchant_id, c.param()};
  msg.command = {body.refund_no(), body.amount(), body.reason()};
  msg.policy = c.merchant->policy;
  c.engine.refund(std::move(msg), [respond = c.respond](actors::OrderReply reply) {
    if (!core::is_success(reply.code) || !reply.has_refund) return respond(from_reply(reply));
    respond(json_response(core::http_status(reply.code), reply.refund));
  });
}

void get_order(Call& c) {
  if (auto e = check_order_no(c.parts[2]); !e.empty()) return c.respond(invalid(e));
  actors::GetOrderMsg msg{{c.merchant->merchant_id, c.param()}};
  c.engine.get_order(std::move(msg), [respond = c.respond](actors::OrderReply reply) {
    respond(from_reply(reply));
  });
}

void get_payment(Call& c) {
  c.engine.get_payment(c.merchant->merchant_id, c.param(),
                       [respond = c.respond](actors::OrderReply reply) {
                         respond(from_reply(reply, /*payment_view=*/true));
                       });
}

// ---------------------------------------------------------------- the table

// Every route of docs/API.md. Within one Access group the paths differ, so
// the order only sets the order of methods in an Allow header. An admin
// route needs the role admin unless its line ends with another
// (Route::min_role): viewer reads, operator acts on orders.
constexpr auto kRoutes = std::to_array<Route<Handler>>({
    {Access::kOps, "GET", "/healthz", healthz},
    {Access::kOps, "GET", "/readyz", readyz},
    {Access::kOps, "GET", "/metrics", metrics_text},
    {Access::kChannel, "POST", "/v1/channels/{channel}/notify", channel_notify},
    {Access::kChannel, "POST", "/v1/channels/{channel}/notify/{merchant_id}", channel_notify},
    {Access::kAdminSession, "POST", "/admin/session", session_sign_in},
    {Access::kAdminSession, "GET", "/admin/session", session_who_am_i},
    {Access::kAdminSession, "DELETE", "/admin/session", session_sign_out},
    {Access::kAdmin, "POST", "/admin/merchants", create_merchant},
    {Access::kAdmin, "GET", "/admin/merchants", list_merchants, Role::kViewer},
    {Access::kAdmin, "GET", "/admin/merchants/{id}", get_merchant, Role::kViewer},
    {Access::kAdmin, "PUT", "/admin/merchants/{id}/channels/{channel}", put_channel_account},
    {Access::kAdmin, "GET", "/admin/merchants/{id}/channels/{channel}", get_channel_account,
     Role::kViewer},
    {Access::kAdmin, "GET", "/admin/review", review_list, Role::kViewer},
    {Access::kAdmin, "POST", "/admin/review/{item_id}/resolve", review_resolve, Role::kOperator},
    {Access::kAdmin, "POST", "/admin/reconciliations", recon_start, Role::kOperator},
    {Access::kAdmin, "GET", "/admin/reconciliations", recon_list, Role::kViewer},
    {Access::kAdmin, "GET", "/admin/reconciliations/{id}", recon_get, Role::kViewer},
    {Access::kAdmin, "GET", "/admin/audit", audit_list, Role::kViewer},
    {Access::kAdmin, "GET", "/admin/orders", admin_order_search, Role::kViewer},
    {Access::kAdmin, "GET", "/admin/orders/{merchant_id}/{merchant_order_no}", admin_order_get,
     Role::kViewer},
    {Access::kAdmin, "POST", "/admin/orders/{merchant_id}/{merchant_order_no}/close",
     admin_order_close, Role::kOperator},
    {Access::kAdmin, "POST", "/admin/orders/{merchant_id}/{merchant_order_no}/query",
     admin_order_query, Role::kOperator},
    {Access::kAdmin, "POST", "/admin/orders/{merchant_id}/{merchant_order_no}/refunds",
     admin_order_refund, Role::kOperator},
    {Access::kAdmin, "POST", "/admin/orders/{merchant_id}/{merchant_order_no}/appeals",
     admin_order_appeal, Role::kOperator},
    {Access::kAdmin, "POST",
     "/admin/orders/{merchant_id}/{merchant_order_no}/webhooks/{event_id}/retry",
     admin_order_webhook_retry, Role::kOperator},
    {Access::kMerchant, "POST", "/v1/orders/{no}/pay", order_pay},
    {Access::kMerchant, "POST", "/v1/orders/{no}/close", order_close},
    {Access::kMerchant, "POST", "/v1/orders/{no}/refunds", order_refund},
    {Access::kMerchant, "GET", "/v1/orders/{no}", get_order},
    {Access::kMerchant, "GET", "/v1/payments/{payment_no}", get_payment},
});

// Runs the route of `access` that has the request's path: its handler, or
// 405 with Allow for another method. False (nothing sent) when no route of
// the group has the path.
bool run_route(Access access, Call& c, std::string* route) {
  const auto match = find_route<Handler>(kRoutes, access, c.parts, c.req.method);
  if (match.pattern.empty()) return false;
  *route = std::string(match.pattern);
  if (match.route == nullptr) {
    c.respond(method_not_allowed(match.allow));
  } else {
    match.route->handler(c);
  }
  return true;
}

// The first path segment of a channel route's pattern.
std::string_view route_prefix(std::string_view pattern) {
  const auto parts = http::split_path(pattern);
  return parts.empty() ? std::string_view{} : parts.front();
}

// Is the request under a prefix of a channel's own routes?
bool channel_prefix(const Call& c) {
  return std::any_of(c.channel_routes.begin(), c.channel_routes.end(),
                     [&c](const auto& route) { return route_prefix(route.pattern) == c.parts[0]; });
}

// Runs the channel route that has the request's path, as run_route does.
bool run_channel_route(Call& c, std::string* route) {
  const auto match = find_route<const channels::ChannelRoute*>(
      c.channel_routes, Access::kChannelRoute, c.parts, c.req.method);
  if (match.pattern.empty()) return false;
  *route = std::string(match.pattern);
  if (match.route == nullptr) {
    c.respond(method_not_allowed(match.allow));
  } else {
    c.respond(match.route->handler->handler(c.req, c.parts));
  }
  return true;
}

// The refusal every request outside the ops routes gets before any other
// check: an unknown prefix (404), recovery not done (503), or a state
// change after a storage failure (503).
std::optional<HttpResponse> gate(const Call& c) {
  const auto& parts = c.parts;
  const bool known_prefix =
      !parts.empty() && (parts[0] == "v1" || parts[0] == "admin" || channel_prefix(c));
  if (!known_prefix) return not_found();
  if (!c.engine.ready()) {
    return error_of(Code::kNotReady, "recovery has not finished; retry shortly");
  }
  const bool writes = c.req.method != "GET";
  if (writes && !c.engine.storage_healthy()) {
    return error_of(Code::kStorageUnavailable, "durable storage failed; state changes are refused");
  }
  return std::nullopt;
}

// An admin route: the operator (bearer token or session), the route, then
// AdminAccess::refusal (CSRF, role, audit health), then the handler. Every
// state-changing request of a known operator is audited with its answer,
// refusals included; /admin/session audits itself.
void run_admin_route(Call& c, std::string* route) {
  if (run_route(Access::kAdminSession, c, route)) return;
  if (auto slowed = c.admin->bearer_refusal(c.req)) {
    *route = "/admin";
    return c.respond(std::move(*slowed));
  }
  c.caller = c.admin->identify(c.req);
  if (!c.caller) {
    *route = "/admin";
    return c.respond(error_of(Code::kUnauthorized, "an operator's token or session is required"));
  }
  const auto match = find_route<Handler>(kRoutes, Access::kAdmin, c.parts, c.req.method);
  if (match.pattern.empty()) return c.respond(not_found());
  *route = std::string(match.pattern);
  if (match.route == nullptr) return c.respond(method_not_allowed(match.allow));
  if (changes_state(c.req.method)) {
    c.respond = [respond = std::move(c.respond), admin = c.admin, caller = *c.caller, req = c.req,
                 pattern = match.pattern](HttpResponse r) {
      admin->record(caller, req, pattern, r.status);
      respond(std::move(r));
    };
  }
  if (auto refusal = c.admin->refusal(*c.caller, c.req, match.route->min_role)) {
    return c.respond(std::move(*refusal));
  }
  match.route->handler(c);
}

}  // namespace

HttpResponse Api::error(int status, std::string_view code, std::string_view message) {
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(code));
  body.mutable_error()->set_message(std::string(message));
  return json_response(status, body);
}

Api::Api(actors::Engine& engine, const channels::ChannelRegistry& channels, ApiOptions options)
    : engine_(engine),
      channels_(channels),
      options_(std::move(options)),
      metrics_(std::make_shared<Metrics>()) {
  AdminAccessOptions admin = options_.admin;
  admin.admin_token = options_.admin_token;
  admin_ = std::make_shared<AdminAccess>(std::move(admin));
  for (const auto& channel : channels_.entries()) {
    for (const auto& route : channel.routes) {
      const std::string_view prefix = route_prefix(route.pattern);
      ONCEPAY_CHECK(prefix != "v1" && prefix != "admin" && prefix != "healthz" &&
                    prefix != "readyz" && prefix != "metrics" && prefix != "console");
      channel_routes_.push_back({Access::kChannelRoute, route.method, route.pattern, &route});
    }
  }
}

Api::~Api() = default;

void Api::handle(HttpRequest request, Responder respond) {
  auto route = std::make_shared<std::string>("unknown");
  auto counted = [respond = std::move(respond), route, metrics = metrics_](HttpResponse r) {
    metrics->request(*route, r.status);
    respond(std::move(r));
  };
  dispatch(request, std::move(counted), route.get());
}

std::optional<http::HttpServerOptions::LargeBody> Api::large_body(const HttpRequest& head) const {
  if (options_.reconciler == nullptr || head.method != "POST" ||
      head.path != "/admin/reconciliations") {
    return std::nullopt;
  }
  // The upload names its merchant, channel and date in the query; the fetch
  // form (a JSON body) has none.
  if (head.query.empty()) return std::nullopt;
  // Only an operator who may start a run streams a large body to disk;
  // anyone else's request is read with the ordinary limits (and refused).
  // Not counted here: dispatch identifies the request again (and counts a
  // wrong token once), or refuses a slowed client before that.
  if (admin_->bearer_refusal(head)) return std::nullopt;
  const auto caller = admin_->identify(head, /*count=*/false);
  if (!caller || admin_->refusal(*caller, head, Role::kOperator)) return std::nullopt;
  http::HttpServerOptions::LargeBody large;
  large.file_path = options_.reconciler->upload_path();
  large.limit_bytes = options_.reconciler->max_statement_bytes();
  return large;
}

// Credentials are checked before the route (an unauthenticated caller learns
// nothing about which paths exist under /admin and /v1); the channel
// callback authenticates by its signature in its handler instead.
void Api::dispatch(const HttpRequest& req, Responder respond, std::string* route) {
  const auto parts = http::split_path(req.path);
  Call c{engine_, channels_, channel_routes_,    options_, metrics_,
         req,     parts,     std::move(respond), admin_};
  if (!req.body_file.empty()) {
    // An upload no handler took is removed before its answer goes out (a
    // client that sees the answer finds no file left), or when nothing
    // answers.
    c.respond = [respond = std::move(c.respond), claimed = c.file_claimed,
                 path = req.body_file](HttpResponse r) {
      if (!*claimed) ::unlink(path.c_str());
      respond(std::move(r));
    };
  }
  struct FileGuard {
    const Call& call;
    ~FileGuard() {
      if (!call.req.body_file.empty() && !*call.file_claimed) {
        ::unlink(call.req.body_file.c_str());
      }
    }
  } file_guard{c};
  if (run_route(Access::kOps, c, route)) return;
  if (auto console = serve_console(req)) {
    *route = "/console";
    return c.respond(std::move(*console));
  }
  if (auto refusal = gate(c)) return c.respond(std::move(*refusal));
  if (parts[0] == "admin") return run_admin_route(c, route);
  if (channel_prefix(c)) {
    if (!run_channel_route(c, route)) c.respond(not_found());
    return;
  }
  if (run_route(Access::kChannel, c, route)) return;
  c.merchant = engine_.merchants().authenticate(bearer(req));
  if (!c.merchant) {
    *route = "/v1";
    return c.respond(error_of(Code::kUnauthorized, "a valid API key is required"));
  }
  if (!run_route(Access::kMerchant, c, route)) c.respond(not_found());
}

}  // namespace oncepay::gateway
