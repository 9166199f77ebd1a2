#include "gateway/admin_access.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <utility>

#include "codec/json.hpp"
#include "core/codes.hpp"
#include "core/order_state.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "gateway/api.hpp"
#include "gateway/validate.hpp"
#include "http/query.hpp"
#include "oncepay.pb.h"

namespace oncepay::gateway {

namespace {

using core::Code;
using http::HttpRequest;
using http::HttpResponse;

HttpResponse error_of(Code code, std::string_view message) {
  return Api::error(core::http_status(code), core::to_string(code), message);
}

HttpResponse json_object(int status, const boost::json::object& body) {
  HttpResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  // Answers that carry a CSRF token or an operator's records are not stored.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string_view bearer_of(const HttpRequest& request) {
  std::string_view h = request.header("authorization");
  constexpr std::string_view kPrefix = "bearer ";
  if (h.size() <= kPrefix.size() || http::ascii_lower(h.substr(0, kPrefix.size())) != kPrefix) {
    return {};
  }
  return h.substr(kPrefix.size());
}

std::string_view session_cookie_of(const HttpRequest& request) {
  return cookie_value(request.header("cookie"), kSessionCookie);
}

boost::json::object caller_object(std::string_view name, Role role) {
  boost::json::object o;
  o["operator"] = name;
  o["role"] = to_string(role);
  return o;
}

std::vector<Operator> all_operators(AdminAccessOptions& options) {
  std::vector<Operator> out;
  if (!options.admin_token.empty()) {
    out.push_back(
        {std::string(kAdminTokenOperator), Role::kAdmin, core::sha256_hex(options.admin_token)});
  }
  for (auto& op : options.operators) out.push_back(std::move(op));
  return out;
}

std::function<int64_t()> clock_or_wall(std::function<int64_t()> now_ms) {
  if (now_ms) return now_ms;
  return [] { return core::unix_ms(); };
}

}  // namespace

bool changes_state(std::string_view method) { return method != "GET" && method != "HEAD"; }

AdminAccess::AdminAccess(AdminAccessOptions options)
    : now_ms_(clock_or_wall(options.now_ms)),
      secure_cookies_(options.secure_cookies),
      operators_(all_operators(options)),
      sessions_(options.session_ttl_ms, now_ms_),
      audit_(options.audit ? options.audit : std::make_shared<AuditLog>()) {}

std::optional<Caller> AdminAccess::identify(const HttpRequest& request, bool count) {
  if (!request.header("authorization").empty()) {
    auto op = operators_.authenticate(bearer_of(request));
    if (!op) {
      if (count) limiter_.failed(request.remote_address, now());
      return std::nullopt;
    }
    return Caller{op->name, op->role, std::nullopt};
  }
  auto session = sessions_.find(session_cookie_of(request));
  if (!session) return std::nullopt;
  return Caller{session->operator_name, session->role, std::move(session)};
}

std::optional<HttpResponse> AdminAccess::bearer_refusal(const HttpRequest& request) {
  if (request.header("authorization").empty()) return std::nullopt;
  if (limiter_.allowed(request.remote_address, now())) return std::nullopt;
  HttpResponse r =
      error_of(Code::kRateLimited, "too many failed tokens from this address; retry in a minute");
  r.headers.emplace_back("Retry-After", std::to_string(SignInLimiter::kWindowMs / 1000));
  return r;
}

std::optional<HttpResponse> AdminAccess::refusal(const Caller& caller, const HttpRequest& request,
                                                 Role min_role) const {
  const bool writes = changes_state(request.method);
  if (writes && caller.session && !csrf_matches(*caller.session, request.header("x-csrf-token"))) {
    return error_of(Code::kCsrfTokenInvalid,
                    "a state change in a session needs the session's X-CSRF-Token header");
  }
  if (!role_allows(caller.role, min_role)) {
    return error_of(Code::kForbidden, "this needs the role " + std::string(to_string(min_role)) +
                                          "; operator \"" + caller.operator_name + "\" is " +
                                          std::string(to_string(caller.role)));
  }
  if (writes && !audit_->healthy()) {
    return error_of(Code::kStorageUnavailable,
                    "the audit log cannot be written; admin state changes are refused");
  }
  return std::nullopt;
}

HttpResponse AdminAccess::sign_in(const HttpRequest& request) {
  const std::string& client = request.remote_address;
  if (!limiter_.allowed(client, now())) {
    record_session("", "", request, 429);
    HttpResponse r = error_of(Code::kRateLimited, "too many failed sign-ins; retry in a minute");
    r.headers.emplace_back("Retry-After", std::to_string(SignInLimiter::kWindowMs / 1000));
    return r;
  }
  v1::SignInRequest body;
  std::string why;
  if (!codec::parse_json(request.body, &body, &why)) {
    record_session("", "", request, 400);
    return error_of(Code::kInvalidRequest, why);
  }
  auto op = operators_.authenticate(body.token());
  if (!op) {
    limiter_.failed(client, now());
    record_session("", "", request, 401);
    return error_of(Code::kUnauthorized, "the token is not an operator's");
  }
  if (!audit_->healthy()) {
    return error_of(Code::kStorageUnavailable, "the audit log cannot be written");
  }
  NewSession created = sessions_.create(*op);
  boost::json::object o = caller_object(op->name, op->role);
  o["expires_at"] = core::format_time(created.session.expires_at_ms);
  o["csrf_token"] = created.session.csrf_token;
  HttpResponse r = json_object(200, o);
  r.headers.emplace_back(
      "Set-Cookie",
      session_set_cookie(created.cookie_value, sessions_.ttl_ms() / 1000, secure_cookies_));
  record_session(op->name, to_string(op->role), request, 200);
  return r;
}

HttpResponse AdminAccess::who_am_i(const HttpRequest& request) {
  auto caller = identify(request);
  if (!caller) return error_of(Code::kUnauthorized, "an operator's token or session is required");
  boost::json::object o = caller_object(caller->operator_name, caller->role);
  if (caller->session) {
    o["expires_at"] = core::format_time(caller->session->expires_at_ms);
    o["csrf_token"] = caller->session->csrf_token;
  }
  return json_object(200, o);
}

HttpResponse AdminAccess::sign_out(const HttpRequest& request) {
  const std::string_view cookie = session_cookie_of(request);
  auto session = sessions_.find(cookie);
  if (!session) {
    HttpResponse r = error_of(Code::kUnauthorized, "no session to end");
    r.headers.emplace_back("Set-Cookie", session_clear_cookie(secure_cookies_));
    return r;
  }
  if (!csrf_matches(*session, request.header("x-csrf-token"))) {
    record_session(session->operator_name, to_string(session->role), request, 403);
    return error_of(Code::kCsrfTokenInvalid, "signing out needs the session's X-CSRF-Token header");
  }
  sessions_.end(cookie);
  record_session(session->operator_name, to_string(session->role), request, 204);
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  r.headers.emplace_back("Set-Cookie", session_clear_cookie(secure_cookies_));
  return r;
}

HttpResponse AdminAccess::audit_list(const HttpRequest& request) const {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(request.query, &params, &why)) return error_of(Code::kInvalidRequest, why);
  size_t limit = kDefaultAuditPage;
  std::string cursor;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      if (!parse_limit(value, kMaxAuditPage, &limit)) {
        return error_of(Code::kInvalidRequest,
                        "limit must be an integer from 1 to " + std::to_string(kMaxAuditPage));
      }
    } else if (name == "cursor") {
      cursor = value;
    } else {
      return error_of(Code::kInvalidRequest, "unknown query parameter \"" + name + "\"");
    }
  }
  AuditLog::Page page;
  if (!audit_->list(cursor, limit, &page)) {
    return error_of(Code::kInvalidRequest,
                    "cursor is malformed: pass back a `next` this list returned");
  }
  boost::json::array items;
  for (const auto& entry : page.items) items.push_back(AuditLog::to_object(entry));
  boost::json::object o;
  o["items"] = std::move(items);
  o["next"] = page.next;
  return json_object(200, o);
}

void AdminAccess::record(const Caller& caller, const HttpRequest& request, std::string_view route,
                         int status) {
  AuditEntry entry;
  entry.at_ms = now();
  entry.operator_name = caller.operator_name;
  entry.role = std::string(to_string(caller.role));
  entry.method = request.method;
  entry.route = std::string(route);
  entry.target = request.path;
  entry.status = status;
  entry.reason = reason_of(request.body);
  audit_->append(std::move(entry));
}

void AdminAccess::record_session(std::string_view name, std::string_view role,
                                 const HttpRequest& request, int status) {
  AuditEntry entry;
  entry.at_ms = now();
  entry.operator_name = std::string(name);
  entry.role = std::string(role);
  entry.method = request.method;
  entry.route = "/admin/session";
  entry.target = request.path;
  entry.status = status;
  audit_->append(std::move(entry));
}

}  // namespace oncepay::gateway
