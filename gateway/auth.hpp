// Who is calling /admin (docs/API.md "Operators and roles", "Sessions"):
// the operators of admin.tokens-file and admin.token, the console's
// cookie sessions with their CSRF tokens, and the limit on failed sign-ins.
//
// The tokens file (docs/CONSOLE.md "The tokens file") has one operator per
// line, `name role sha256hex-of-token`, fields separated by spaces or tabs;
// blank lines and lines starting with '#' are skipped. It may be read by its
// owner only (mode 0600 or 0400): it names every operator and their powers.
// Tokens are never stored, only their SHA-256; an operator is found by
// comparing the SHA-256 of the presented token with every operator's, each
// comparison in constant time, all of them always made.
//
// A session is the value of the `oncepay_session` cookie: 256 random bits
// (64 hex characters), kept only as its SHA-256, with the operator it
// signed in, a CSRF token (also 256 random bits) and an expiry on the
// server's clock. Sessions live in memory: a restart signs everyone out.
//
// Threads and ownership: Operators is immutable after construction and may
// be read from any thread. Sessions and SignInLimiter lock a mutex in every
// call and may be used from any thread; the clock passed in must be too.
// Failure modes: parse_operators / load_operators_file refuse the whole
// file with the first bad line's number and what is wrong; nothing here
// throws. A session that expired is gone (find() erases it); when
// kMaxSessions are open, create() drops the one that expires first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/role.hpp"

namespace oncepay::gateway {

struct Operator {
  std::string name;  // 1-64 characters of A-Z a-z 0-9 _ . -
  Role role = Role::kViewer;
  std::string token_sha256;  // 64 lower-case hex characters
};

// The operator admin.token stands for: name "admin", role admin.
inline constexpr std::string_view kAdminTokenOperator = "admin";

// Parses the text of a tokens file. On a bad line: false, *error is
// "line N: what" and *out is untouched. Duplicate names or token hashes are
// bad lines (the second one).
bool parse_operators(std::string_view text, std::vector<Operator>* out, std::string* error);

// Reads and parses the tokens file at `path`. Refused (false, *error names
// the file): it cannot be read, it is not a regular file, its mode lets its
// group or others read or write it, or a line is bad.
bool load_operators_file(const std::string& path, std::vector<Operator>* out, std::string* error);

class Operators {
 public:
  Operators() = default;
  explicit Operators(std::vector<Operator> operators);

  // The operator whose token is `token`, if any. Empty tokens match nobody.
  std::optional<Operator> authenticate(std::string_view token) const;
  size_t size() const { return operators_.size(); }

 private:
  std::vector<Operator> operators_;
};

// The name of the session cookie.
inline constexpr std::string_view kSessionCookie = "oncepay_session";
// Sessions open at once, at most.
inline constexpr size_t kMaxSessions = 10'000;
// admin.session-ttl's default: 8 hours.
inline constexpr int64_t kDefaultSessionTtlMs = 8 * 3600 * 1000;

struct Session {
  std::string operator_name;
  Role role = Role::kViewer;
  std::string csrf_token;  // 64 hex characters
  int64_t expires_at_ms = 0;
};

// What create() hands out once: the cookie value and the session.
struct NewSession {
  std::string cookie_value;  // 64 hex characters; only its SHA-256 is kept
  Session session;
};

class Sessions {
 public:
  using Clock = std::function<int64_t()>;  // unix ms

  Sessions(int64_t ttl_ms, Clock now_ms, size_t max_sessions = kMaxSessions);

  NewSession create(const Operator& op);
  // The session of a cookie value, unless it expired (then it is erased) or
  // was ended.
  std::optional<Session> find(std::string_view cookie_value);
  // Ends the session of a cookie value; false when there was none.
  bool end(std::string_view cookie_value);
  size_t size() const;
  int64_t ttl_ms() const { return ttl_ms_; }

 private:
  void make_room();  // with mutex_ held

  const int64_t ttl_ms_;
  const Clock now_ms_;
  const size_t max_sessions_;
  mutable std::mutex mutex_;
  std::map<std::string, Session, std::less<>> by_cookie_sha256_;
};

// True when a state-changing request of a cookie session carries the
// session's CSRF token in X-CSRF-Token (constant-time comparison).
bool csrf_matches(const Session& session, std::string_view header_value);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

// Set-Cookie values: the session cookie (HttpOnly, SameSite=Strict, Path=/,
// Max-Age, and Secure when the server runs TLS) and its removal.
std::string session_set_cookie(std::string_view value, int64_t max_age_s, bool secure);
std::string session_clear_cookie(bool secure);

// Failed sign-ins per client address: at most kMaxFailures in any
// kWindowMs; past that the client is refused (429) until its window ends.
// Remembers at most kMaxClients addresses (then forgets the stale ones, or
// all when none is stale).
class SignInLimiter {
 public:
  static constexpr int kMaxFailures = 10;
  static constexpr int64_t kWindowMs = 60'000;
  static constexpr size_t kMaxClients = 10'000;

  // May `client` try to sign in now?
  bool allowed(std::string_view client, int64_t now_ms);
  void failed(std::string_view client, int64_t now_ms);

 private:
  struct Window {
    int64_t start_ms = 0;
    int failures = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Window, std::less<>> clients_;
};

}  // namespace oncepay::gateway
