// The audit log of /admin (docs/API.md "Audit"): one entry per
// state-changing admin request (any method but GET and HEAD) of a known
// operator, whatever its answer (a 403 refusal is recorded too), and per
// sign-in (success or failure) and sign-out. An entry has who (operator
// name and role), what (method, route pattern, target path, the body's
// `reason` field when it has one), the answer's status and when; never a
// token or another secret.
//
// Entries are numbered from 1 (seq) and kept in memory in a ring of at
// most `capacity` (kAuditCapacity: 100,000) for GET /admin/audit, newest
// first, paginated by a cursor (the seq of the last entry shown). With a
// file (open()), every entry is also appended to it as one JSON line
// (docs/CONSOLE.md "The audit file") and fsync'd before append() returns;
// open() reads the file's last `capacity` entries back, so the list
// survives restarts. The file is created 0600 and only grows.
//
// Threads and ownership: every call locks a mutex; any thread.
// Failure modes: open() fails (false, *error) when the file cannot be
// opened or created or a line of it does not parse (the error names the
// line). append() returns false when the write or the fsync failed; from
// then on healthy() is false and the gateway refuses state-changing admin
// requests (503 storage_unavailable), as the engine does after a storage
// failure: an action it cannot record is not taken.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace oncepay::gateway {

inline constexpr size_t kAuditCapacity = 100'000;
inline constexpr size_t kMaxAuditPage = 1000;
inline constexpr size_t kDefaultAuditPage = 100;
// A longer `reason` is cut to this many bytes (at a UTF-8 boundary).
inline constexpr size_t kMaxAuditReasonBytes = 512;

struct AuditEntry {
  uint64_t seq = 0;  // set by append()
  int64_t at_ms = 0;
  std::string operator_name;  // empty for a failed sign-in
  std::string role;           // "viewer" | "operator" | "admin" | ""
  std::string method;
  std::string route;   // the route pattern, e.g. "/admin/merchants/{id}"
  std::string target;  // the request's path
  int status = 0;
  std::string reason;
};

class AuditLog {
 public:
  // In memory only.
  explicit AuditLog(size_t capacity = kAuditCapacity);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens (or creates, 0600) the file at `path` and loads its tail.
  static std::unique_ptr<AuditLog> open(const std::string& path, size_t capacity,
                                        std::string* error);

  // Numbers the entry, keeps it and writes it; false when the write failed.
  bool append(AuditEntry entry);
  bool healthy() const;

  struct Page {
    std::vector<AuditEntry> items;  // newest first
    std::string next;               // "" on the last page
  };
  // Entries older than `cursor` ("" = from the newest), at most `limit`.
  // False when the cursor is not a number this list hands out.
  bool list(std::string_view cursor, size_t limit, Page* out) const;

  // One entry as its JSON line (no newline), and back; GET /admin/audit
  // answers the same object (to_object).
  static boost::json::object to_object(const AuditEntry& entry);
  static std::string to_json(const AuditEntry& entry);
  static bool from_json(std::string_view line, AuditEntry* out);

 private:
  void keep(AuditEntry entry);  // with mutex_ held

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<AuditEntry> ring_;  // oldest first
  uint64_t last_seq_ = 0;
  int fd_ = -1;
  bool healthy_ = true;
};

// The `reason` string field of a JSON object body (a payer appeal's
// `detail` when it has no `reason`), cut to kMaxAuditReasonBytes; empty when
// the body has neither.
std::string reason_of(std::string_view body);

}  // namespace oncepay::gateway
