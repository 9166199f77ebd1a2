// The reconciliation classifier: one channel statement (core/statement.hpp)
// against oncepay's own records of the same business day, both ways
// (statement -> oncepay and oncepay -> statement). Pure: no clock (the
// statement's business day comes in), no I/O, no CAF. The shell (the
// reconciliation run) parses the file with the channel's parser, feeds every
// line to add_line() as it is parsed, then calls finish() with the statement's
// checked summary; items come out through the ItemFn as they are decided.
// Issue #13 lists the classes; docs/RECONCILIATION.md explains them.
//
// Contract for the shell
// - Parse the whole statement BEFORE acting on any item: a statement the
//   parser refuses (core::StatementError) applies nothing, so items are
//   collected (or persisted as a pending run) and their actions start only
//   after finish() and after the parser's own finish() succeeded.
// - What the shell does with each action (ReconAction):
//   kNone              matched: nothing.
//   kApplySuccess      channel_only_success: send the line as a channel success
//                      (ChannelNotice kSuccess with amount, currency,
//                      channel_trade_no) to the order actor of merchant_id /
//                      merchant_order_no with source `reconciliation`; the
//                      order's own success rules decide: PAID + webhook, or an
//                      automatic refund when that success must not count (a
//                      closed attempt, an order paid by another attempt).
//                      The order actor is idempotent on payment_no, so a re-run
//                      that finds the order already PAID classifies `matched`.
//   kApplyRefundSuccess status_mismatch of a refund oncepay still has pending:
//                      send a refund success (ChannelNotice kRefundSuccess) to
//                      the order actor, source `reconciliation`.
//   kHold              platform_only_success: put (or keep) the payment in the
//                      scratch pool with held_since_day; re-checked by the
//                      next statements.
//   kReleaseHold       a held payment that today's statement shows: drop it
//                      from the pool (the item itself is `matched`).
//   kWait              platform_only_success of an intraday (partial)
//                      statement: nothing; the day's full statement decides.
//   kReview            every other class (channel_missing, amount_mismatch,
//                      currency_mismatch, status_mismatch, refund_*,
//                      unknown_payment, duplicate_line): add to the review
//                      list with reason `recon_<class>`. Never auto-paid.
// - Same inputs give the same items in the same order (re-runs are
//   idempotent); the actions themselves must be idempotent in the shell too
//   (a fix is applied once: the second run finds the order changed and says
//   `matched`).
//
// Threads and ownership: a Reconciliation belongs to one thread. find_payment
// is called during add_line() and its pointer is used only during that call.
// Memory is O(platform records of the day + held pool + distinct keys of the
// statement), never O(file): matched lines are counted and passed on, not kept.
//
// Failure modes: none; every line gets a class. Programmer errors
// (ONCEPAY_CHECK): add_line() after finish(), finish() twice.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/statement.hpp"

namespace oncepay::core {

enum class ReconClass : uint8_t {
  kMatched,
  kChannelOnlySuccess,
  kPlatformOnlySuccess,
  kChannelMissing,
  kAmountMismatch,
  kCurrencyMismatch,
  kStatusMismatch,
  kRefundChannelOnly,
  kRefundPlatformOnly,
  kRefundAmountMismatch,
  kUnknownPayment,
  kDuplicateLine,
};
inline constexpr size_t kReconClassCount = 12;
std::string_view recon_class_name(ReconClass c);  // "matched", "channel_only_success", ...
// Whether items of this class can go to the review list (reason
// "recon_<class>"): every class but matched, channel_only_success and
// platform_only_success (those are fixed, or held, automatically).
bool recon_class_needs_review(ReconClass c);
// The class of that name; false when there is none.
bool parse_recon_class(std::string_view name, ReconClass* out);

enum class ReconAction : uint8_t {
  kNone,
  kApplySuccess,
  kApplyRefundSuccess,
  kHold,
  kReleaseHold,
  kWait,
  kReview,
};
std::string_view recon_action_name(ReconAction a);  // "none", "apply_success", ...

// oncepay's record of one refund of a payment.
struct PlatformRefund {
  enum class Status : uint8_t { kPending, kSuccess, kFailed };
  std::string refund_no;
  int64_t amount_minor = 0;
  Status status = Status::kPending;
};

// oncepay's record of one payment attempt (payment_no), as find_payment
// returns it.
struct PlatformPayment {
  // kSuccess: the attempt was paid (the order PAID by it); kRefunded: paid,
  // then refunded in full (the payment itself still succeeded); kPending: no
  // result yet; kClosed / kFailed: closed or failed without a success.
  enum class Status : uint8_t { kPending, kSuccess, kRefunded, kClosed, kFailed };
  std::string merchant_id;
  std::string merchant_order_no;
  std::string payment_no;
  Status status = Status::kPending;
  int64_t amount_minor = 0;
  std::string currency;
  std::vector<PlatformRefund> refunds;
};

// A success oncepay recorded on the statement's business day (or one held in
// the scratch pool from an earlier day).
struct PlatformSuccess {
  std::string merchant_id;
  std::string merchant_order_no;
  std::string payment_no;
  int64_t amount_minor = 0;
  std::string currency;
};

// A scratch-pool entry: a platform-only success first missed on held_since_day.
struct HeldSuccess {
  PlatformSuccess success;
  int32_t held_since_day = 0;  // days since 1970-01-01 in recon.timezone
};

// A refund oncepay recorded as succeeded on the business day.
struct PlatformDayRefund {
  std::string merchant_id;
  std::string merchant_order_no;
  std::string payment_no;
  std::string refund_no;
  int64_t amount_minor = 0;
};

struct ReconInput {
  int32_t statement_day = 0;  // the business day, days since 1970-01-01 in recon.timezone
  int32_t hold_days = 3;      // recon.hold-days
  bool intraday = false;      // the statement covers part of the day (today's)
  std::function<const PlatformPayment*(std::string_view payment_no)> find_payment;
  std::vector<PlatformSuccess> day_successes;
  std::vector<PlatformDayRefund> day_refunds;
  std::vector<HeldSuccess> held;
  // Besides the vectors: finish() calls these once to stream oncepay's day
  // records (the ledger's scan), so a large day is never held in memory.
  // Each record must come at most once per stream.
  std::function<void(const std::function<void(const PlatformSuccess&)>&)> each_day_success;
  std::function<void(const std::function<void(const PlatformDayRefund&)>&)> each_day_refund;
};

struct ReconItem {
  ReconClass cls = ReconClass::kMatched;
  ReconAction action = ReconAction::kNone;
  uint64_t line = 0;  // the statement line; 0 for items found on oncepay's side only
  std::string payment_no;
  std::string refund_no;
  std::string merchant_id;  // empty when oncepay has no record (unknown_payment)
  std::string merchant_order_no;
  std::string channel_trade_no;
  std::optional<int64_t> channel_amount_minor;
  std::optional<int64_t> platform_amount_minor;
  std::string channel_currency;
  std::string platform_currency;
  int32_t held_since_day = 0;   // kHold / channel_missing: when the pool got it
  int64_t fee_milli_minor = 0;  // the line's fee (StatementLine::fee_milli_minor); 0 without a line
  std::string detail;           // a sentence for the review list
};

struct ReconReport {
  std::array<uint64_t, kReconClassCount> counts{};
  uint64_t lines = 0;
  int64_t fee_total_milli_minor = 0;
  bool summary_ok = false;  // the statement's summary equals the lines fed here
  std::string summary_detail;
  uint64_t count(ReconClass c) const { return counts[static_cast<size_t>(c)]; }
};

class Reconciliation {
 public:
  using ItemFn = std::function<void(const ReconItem&)>;
  Reconciliation(ReconInput input, ItemFn on_item);

  void add_line(const StatementLine& line);
  // The oncepay -> statement direction, and the summary comparison.
  ReconReport finish(const StatementSummary& summary);

 private:
  void classify_payment(const StatementLine& line);
  void classify_refund(const StatementLine& line);
  void platform_only(const PlatformSuccess& s, int32_t held_since_day);
  void emit(ReconItem& item);

  ReconInput input_;
  ItemFn on_item_;
  ReconReport report_;
  bool finished_ = false;
  // The keys seen in the statement. Exact, and compact: keys of up to 32
  // bytes (every engine payment_no) are kept inline in a fixed array, so a
  // million-line statement costs one hash node each and no string
  // allocation; longer keys (a channel allows up to 64) go to `long_`.
  class KeySet {
   public:
    bool insert(std::string_view key);  // false when it was there
    bool contains(std::string_view key) const;

   private:
    using Short = std::array<char, 33>;  // [0] = length, then the bytes
    struct ShortHash {
      size_t operator()(const Short& k) const noexcept;
    };
    static bool to_short(std::string_view key, Short* out);
    std::unordered_set<Short, ShortHash> short_;
    std::unordered_set<std::string> long_;
  };
  KeySet seen_payments_;
  KeySet seen_refunds_;
  std::unordered_map<std::string, int32_t> held_since_;  // payment_no -> held_since_day
  uint64_t payment_lines_ = 0, refund_lines_ = 0;
  int64_t payment_amount_minor_ = 0, refund_amount_minor_ = 0;
  ReconItem item_;  // reused: no allocation per matched line once warm
};

}  // namespace oncepay::core
