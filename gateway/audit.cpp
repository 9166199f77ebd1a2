#include "gateway/audit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <utility>

#include "core/check.hpp"
#include "core/order_state.hpp"

namespace oncepay::gateway {

namespace {

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return std::string(text.substr(0, n));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string string_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->as_string());
}

}  // namespace

AuditLog::AuditLog(size_t capacity) : capacity_(capacity) { ONCEPAY_CHECK(capacity_ > 0); }

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<AuditLog> AuditLog::open(const std::string& path, size_t capacity,
                                         std::string* error) {
  auto log = std::make_unique<AuditLog>(capacity);
  {
    std::ifstream in(path);
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      AuditEntry entry;
      if (!from_json(line, &entry)) {
        *error = path + ": line " + std::to_string(line_no) + " is not an audit entry";
        return nullptr;
      }
      log->keep(std::move(entry));
    }
  }
  log->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log->fd_ < 0) {
    *error = path + ": cannot be opened: " + std::strerror(errno);
    return nullptr;
  }
  return log;
}

void AuditLog::keep(AuditEntry entry) {
  if (entry.seq > last_seq_) last_seq_ = entry.seq;
  ring_.push_back(std::move(entry));
  while (ring_.size() > capacity_) ring_.pop_front();
}

bool AuditLog::append(AuditEntry entry) {
  std::lock_guard lock(mutex_);
  entry.seq = last_seq_ + 1;
  if (fd_ >= 0 && healthy_) {
    const std::string line = to_json(entry) + "\n";
    if (!write_all(fd_, line) || ::fsync(fd_) != 0) healthy_ = false;
  }
  keep(std::move(entry));
  return healthy_;
}

bool AuditLog::healthy() const {
  std::lock_guard lock(mutex_);
  return healthy_;
}

bool AuditLog::list(std::string_view cursor, size_t limit, Page* out) const {
  uint64_t before = UINT64_MAX;
  if (!cursor.empty()) {
    const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), before);
    if (ec != std::errc() || end != cursor.data() + cursor.size() || before == 0) return false;
  }
  out->items.clear();
  out->next.clear();
  std::lock_guard lock(mutex_);
  // The ring is in seq order: walk back from the newest entry below `before`.
  auto it = ring_.rbegin();
  while (it != ring_.rend() && it->seq >= before) ++it;
  for (; it != ring_.rend() && out->items.size() < limit; ++it) out->items.push_back(*it);
  if (it != ring_.rend() && !out->items.empty()) {
    out->next = std::to_string(out->items.back().seq);
  }
  return true;
}

std::string AuditLog::to_json(const AuditEntry& e) { return boost::json::serialize(to_object(e)); }

boost::json::object AuditLog::to_object(const AuditEntry& e) {
  boost::json::object o;
  o["seq"] = e.seq;
  o["at"] = core::format_time(e.at_ms);
  o["at_ms"] = e.at_ms;
  o["operator"] = e.operator_name;
  o["role"] = e.role;
  o["method"] = e.method;
  o["route"] = e.route;
  o["target"] = e.target;
  o["status"] = e.status;
  if (!e.reason.empty()) o["reason"] = e.reason;
  return o;
}

bool AuditLog::from_json(std::string_view line, AuditEntry* out) {
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  if (ec || !value.is_object()) return false;
  const auto& o = value.as_object();
  const auto* seq = o.if_contains("seq");
  const auto* at = o.if_contains("at_ms");
  const auto* status = o.if_contains("status");
  if (seq == nullptr || at == nullptr || status == nullptr) return false;
  if (!seq->is_number() || !at->is_int64() || !status->is_int64()) return false;
  boost::system::error_code number_ec;
  out->seq = seq->to_number<uint64_t>(number_ec);
  if (number_ec || out->seq == 0) return false;
  out->at_ms = at->as_int64();
  if (!std::in_range<int>(status->as_int64())) return false;
  out->status = static_cast<int>(status->as_int64());
  out->operator_name = string_at(o, "operator");
  out->role = string_at(o, "role");
  out->method = string_at(o, "method");
  out->route = string_at(o, "route");
  out->target = string_at(o, "target");
  out->reason = string_at(o, "reason");
  return true;
}

std::string reason_of(std::string_view body) {
  const bool has_reason = body.find("\"reason\"") != std::string_view::npos;
  if (!has_reason && body.find("\"detail\"") == std::string_view::npos) return {};
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return {};
  std::string reason = string_at(value.as_object(), "reason");
  if (reason.empty()) reason = string_at(value.as_object(), "detail");
  return cut_utf8(reason, kMaxAuditReasonBytes);
}

}  // namespace oncepay::gateway
