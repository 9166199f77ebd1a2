// The operator side of /admin as request-to-response functions
// (docs/API.md "Operators and roles", "Sessions", "Audit"): who a request
// comes from (a bearer token or a session cookie), sign-in, who-am-I and
// sign-out at /admin/session, the audit entries of state-changing requests
// and GET /admin/audit. gateway/api.cpp's dispatch calls these; the route
// table says which role each route needs (Route::min_role).
//
// Threads and ownership: AdminAccess is owned by the Api and shared by the
// gateway's threads; each member is thread-safe (gateway/auth.hpp,
// gateway/audit.hpp). The functions do no socket I/O.
// Failure modes: every refusal is an API.md error body; a refused sign-in
// never says whether the token was unknown or malformed; no answer or audit
// entry carries a token.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit.hpp"
#include "gateway/auth.hpp"
#include "gateway/role.hpp"
#include "http/http_types.hpp"

namespace oncepay::gateway {

struct AdminAccessOptions {
  // admin.token: the operator "admin" with role admin (empty: none).
  std::string admin_token;
  // admin.tokens-file's operators.
  std::vector<Operator> operators;
  int64_t session_ttl_ms = kDefaultSessionTtlMs;
  // The server runs TLS: the session cookie says Secure.
  bool secure_cookies = false;
  // Where audit entries go; null: a log in memory only.
  std::shared_ptr<AuditLog> audit;
  // Unix ms for sessions, the sign-in limit and audit times; null: the wall clock.
  std::function<int64_t()> now_ms;
};

// The operator a request comes from.
struct Caller {
  std::string operator_name;
  Role role = Role::kViewer;
  // Signed in by cookie (then state changes need the session's CSRF token).
  std::optional<Session> session;
};

class AdminAccess {
 public:
  explicit AdminAccess(AdminAccessOptions options);

  // The caller of a request: by its bearer token when it has an
  // Authorization header (only then), else by its session cookie. A bearer
  // token that is no operator's counts as a failed attempt of the client
  // (SignInLimiter, shared with sign-in) unless `count` is false (a look
  // ahead at a request that is identified again when it is dispatched).
  std::optional<Caller> identify(const http::HttpRequest& request, bool count = true);

  // 429 rate_limited (with Retry-After) for a request with an Authorization
  // header from a client whose sign-ins or bearer tokens failed
  // SignInLimiter::kMaxFailures times within the window: its token is not
  // even compared until the window ends. Session cookies (256 random bits)
  // are not counted. Nothing otherwise.
  std::optional<http::HttpResponse> bearer_refusal(const http::HttpRequest& request);

  // The refusal of a request of `caller` to a route needing `min_role`,
  // in this order: a cookie session's state change without its CSRF token
  // (403 csrf_token_invalid), a role below min_role (403 forbidden), a
  // state change while the audit log cannot be written (503
  // storage_unavailable). Nothing when it may go ahead.
  std::optional<http::HttpResponse> refusal(const Caller& caller, const http::HttpRequest& request,
                                            Role min_role) const;

  // POST, GET, DELETE /admin/session.
  http::HttpResponse sign_in(const http::HttpRequest& request);
  http::HttpResponse who_am_i(const http::HttpRequest& request);
  http::HttpResponse sign_out(const http::HttpRequest& request);
  // GET /admin/audit?cursor=&limit=.
  http::HttpResponse audit_list(const http::HttpRequest& request) const;

  // Records a state-changing request of `caller` to `route` answered `status`.
  void record(const Caller& caller, const http::HttpRequest& request, std::string_view route,
              int status);

  AuditLog& audit() { return *audit_; }
  Sessions& sessions() { return sessions_; }

 private:
  void record_session(std::string_view name, std::string_view role,
                      const http::HttpRequest& request, int status);
  int64_t now() const { return now_ms_(); }

  const std::function<int64_t()> now_ms_;
  const bool secure_cookies_;
  Operators operators_;
  Sessions sessions_;
  SignInLimiter limiter_;
  std::shared_ptr<AuditLog> audit_;
};

// Does a request of this method change state (anything but GET and HEAD)?
bool changes_state(std::string_view method);

}  // namespace oncepay::gateway
