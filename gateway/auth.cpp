#include "gateway/auth.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "core/check.hpp"
#include "core/signature.hpp"

namespace oncepay::gateway {

namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kRandomBytes = 32;  // 256 bits

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// 64 hex digits, returned lower case; empty when it is not one.
std::string sha256_hex_field(std::string_view text) {
  if (text.size() != 64) return {};
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return out;
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    size_t j = line.find_first_of(" \t", i);
    if (j == std::string_view::npos) j = line.size();
    fields.push_back(line.substr(i, j - i));
    i = j;
  }
  return fields;
}

// One non-blank, non-comment line; an empty string when it is good.
std::string parse_line(std::string_view line, Operator* out) {
  const auto fields = fields_of(line);
  if (fields.size() != 3) {
    return "expected 3 fields `name role sha256hex-of-token`, found " +
           std::to_string(fields.size());
  }
  if (!valid_name(fields[0])) {
    return "the name must be 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-'";
  }
  if (!parse_role(fields[1], &out->role)) {
    return "the role must be viewer, operator or admin, not \"" + std::string(fields[1]) + "\"";
  }
  out->token_sha256 = sha256_hex_field(fields[2]);
  if (out->token_sha256.empty()) return "the token's SHA-256 must be 64 hex digits";
  out->name = std::string(fields[0]);
  return {};
}

}  // namespace

bool parse_operators(std::string_view text, std::vector<Operator>* out, std::string* error) {
  std::vector<Operator> parsed;
  std::set<std::string, std::less<>> names;
  std::set<std::string, std::less<>> hashes;
  size_t line_no = 0;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    Operator op;
    std::string why = parse_line(line, &op);
    if (why.empty() && names.count(op.name) > 0) why = "operator \"" + op.name + "\" appears twice";
    if (why.empty() && hashes.count(op.token_sha256) > 0) {
      why = "the token of \"" + op.name + "\" is another operator's";
    }
    if (!why.empty()) {
      *error = "line " + std::to_string(line_no) + ": " + why;
      return false;
    }
    names.insert(op.name);
    hashes.insert(op.token_sha256);
    parsed.push_back(std::move(op));
  }
  *out = std::move(parsed);
  return true;
}

bool load_operators_file(const std::string& path, std::vector<Operator>* out, std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *error = path + ": cannot be read";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = path + ": not a regular file";
    return false;
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    *error = path + ": its group or others may access it; chmod 600 it";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    *error = path + ": cannot be read";
    return false;
  }
  std::string why;
  if (!parse_operators(text.str(), out, &why)) {
    *error = path + ": " + why;
    return false;
  }
  return true;
}

Operators::Operators(std::vector<Operator> operators) : operators_(std::move(operators)) {
  for (const auto& op : operators_) ONCEPAY_CHECK(op.token_sha256.size() == 64);
}

std::optional<Operator> Operators::authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const std::string presented = core::sha256_hex(token);
  // Every comparison is made, so the time does not tell which one matched.
  const Operator* found = nullptr;
  for (const auto& op : operators_) {
    if (core::constant_time_equal(presented, op.token_sha256)) found = &op;
  }
  if (found == nullptr) return std::nullopt;
  return *found;
}

// ---------------------------------------------------------------- sessions

Sessions::Sessions(int64_t ttl_ms, Clock now_ms, size_t max_sessions)
    : ttl_ms_(ttl_ms), now_ms_(std::move(now_ms)), max_sessions_(max_sessions) {
  ONCEPAY_CHECK(ttl_ms_ > 0 && max_sessions_ > 0 && now_ms_);
}

NewSession Sessions::create(const Operator& op) {
  NewSession out;
  out.cookie_value = core::random_token(kRandomBytes);
  out.session.operator_name = op.name;
  out.session.role = op.role;
  out.session.csrf_token = core::random_token(kRandomBytes);
  out.session.expires_at_ms = now_ms_() + ttl_ms_;
  std::lock_guard lock(mutex_);
  make_room();
  by_cookie_sha256_[core::sha256_hex(out.cookie_value)] = out.session;
  return out;
}

void Sessions::make_room() {
  if (by_cookie_sha256_.size() < max_sessions_) return;
  const int64_t now = now_ms_();
  std::erase_if(by_cookie_sha256_,
                [now](const auto& entry) { return entry.second.expires_at_ms <= now; });
  if (by_cookie_sha256_.size() < max_sessions_) return;
  auto first = std::min_element(
      by_cookie_sha256_.begin(), by_cookie_sha256_.end(),
      [](const auto& a, const auto& b) { return a.second.expires_at_ms < b.second.expires_at_ms; });
  by_cookie_sha256_.erase(first);
}

std::optional<Session> Sessions::find(std::string_view cookie_value) {
  if (cookie_value.empty()) return std::nullopt;
  const std::string key = core::sha256_hex(cookie_value);
  std::lock_guard lock(mutex_);
  auto it = by_cookie_sha256_.find(key);
  if (it == by_cookie_sha256_.end()) return std::nullopt;
  if (it->second.expires_at_ms <= now_ms_()) {
    by_cookie_sha256_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

bool Sessions::end(std::string_view cookie_value) {
  if (cookie_value.empty()) return false;
  const std::string key = core::sha256_hex(cookie_value);
  std::lock_guard lock(mutex_);
  return by_cookie_sha256_.erase(key) > 0;
}

size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return by_cookie_sha256_.size();
}

bool csrf_matches(const Session& session, std::string_view header_value) {
  if (header_value.empty() || session.csrf_token.empty()) return false;
  return core::constant_time_equal(header_value, session.csrf_token);
}

std::string_view cookie_value(std::string_view cookie_header, std::string_view name) {
  size_t at = 0;
  while (at < cookie_header.size()) {
    size_t end = cookie_header.find(';', at);
    if (end == std::string_view::npos) end = cookie_header.size();
    std::string_view pair = cookie_header.substr(at, end - at);
    at = end + 1;
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return value;
  }
  return {};
}

std::string session_set_cookie(std::string_view value, int64_t max_age_s, bool secure) {
  std::string out = std::string(kSessionCookie) + "=" + std::string(value) +
                    "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age_s);
  if (secure) out += "; Secure";
  return out;
}

std::string session_clear_cookie(bool secure) { return session_set_cookie("", 0, secure); }

// ---------------------------------------------------------------- sign-in limit

bool SignInLimiter::allowed(std::string_view client, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return true;
  if (now_ms - it->second.start_ms >= kWindowMs) {
    clients_.erase(it);
    return true;
  }
  return it->second.failures < kMaxFailures;
}

void SignInLimiter::failed(std::string_view client, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (clients_.size() >= kMaxClients && clients_.find(client) == clients_.end()) {
    std::erase_if(clients_, [now_ms](const auto& entry) {
      return now_ms - entry.second.start_ms >= kWindowMs;
    });
    if (clients_.size() >= kMaxClients) clients_.clear();
  }
  auto [it, inserted] = clients_.try_emplace(std::string(client));
  if (inserted || now_ms - it->second.start_ms >= kWindowMs) it->second = Window{now_ms, 0};
  ++it->second.failures;
}

}  // namespace oncepay::gateway
