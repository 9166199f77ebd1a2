#include "bench/recon_bench.hpp"

#include <malloc.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/recon_classify.hpp"
#include "channels/statement_source.hpp"
#include "channels/wechatpay/tradebill.hpp"
#include "core/check.hpp"
#include "core/narrow.hpp"
#include "core/order_state.hpp"
#include "core/recon_decide.hpp"
#include "core/statement.hpp"
#include "oncepay.pb.h"
#include "storage/recon_store.hpp"
#include "storage/snapshot_layout.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::bench {
namespace {

using Clock = std::chrono::steady_clock;
using core::checked_cast;
using core::ReconClass;
using storage::Status;

constexpr const char* kMerchant = "bench";  // also the statement's 商户号 (account id)
constexpr const char* kChannel = "wechatpay";
constexpr const char* kDate = "2026-11-29";
// 2026-11-29 00:00 in Asia/Shanghai (UTC+08:00, no DST) as unix ms, and the
// civil day number (days since 1970-01-01) of that date.
constexpr int64_t kDayStartMs = 1'795'881'600'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr int32_t kDay = 20786;
static_assert(kDayStartMs + 8 * 3'600'000 == int64_t{kDay} * kDayMs);
constexpr int32_t kHoldDays = 3;  // recon.hold-days (its default)
constexpr size_t kStatementReadBytes = 64 * 1024;
constexpr size_t kFlushBytes = 1 << 20;
constexpr uint64_t kOrdersPerCommit = 50'000;
constexpr uint64_t kMaxLines = 40'000'000;  // payment_no's counter has 8 digits

struct Options {
  uint64_t lines = 1'000'000;
  uint64_t seed = 1;
  std::string dir;  // empty: a temp dir, removed at the end
  bool keep = false;
};

constexpr char kUsage[] =
    R"(usage: oncepay-bench recon [--lines=N] [--seed=S] [--dir=D] [--keep]

  --lines=N   statement lines (default 1000000)
  --seed=S    the mix's random seed (default 1)
  --dir=D     build the statement and the stores in D (kept); default: a temp dir
  --keep      do not remove the temp dir
)";

// Concatenation by appending: GCC 12 warns falsely (-Wrestrict) on
// `"literal" + std::string` chains at -O2 (as in bench/oncepay_bench.cpp).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

bool parse_count(std::string_view text, uint64_t* out) {
  const std::string s(text);
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || s.front() == '-') return false;
  *out = v;
  return true;
}

bool parse_options(int argc, char** argv, Options* out, std::string* error) {
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    bool ok = true;
    if (a.starts_with("--lines=")) {
      ok = parse_count(a.substr(8), &out->lines) && out->lines > 0 && out->lines <= kMaxLines;
    } else if (a.starts_with("--seed=")) {
      ok = parse_count(a.substr(7), &out->seed);
    } else if (a.starts_with("--dir=")) {
      out->dir = std::string(a.substr(6));
      ok = !out->dir.empty();
    } else if (a == "--keep") {
      out->keep = true;
    } else {
      ok = false;
    }
    if (!ok) {
      *error = cat("bad option '", a, "'");
      return false;
    }
  }
  return true;
}

// splitmix64: small, fast and the same on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

// What the generator plants; each gives one class (planted_class).
enum class Plant : uint8_t {
  kMatchedPayment,
  kMatchedRefund,
  kChannelOnly,           // oncepay has the attempt PAYING or EXPIRED
  kAmountMismatch,        // the line's amount is one fen more
  kRevoked,               // a REVOKED line of a paid payment
  kRefundPending,         // a settled refund oncepay has pending
  kRefundChannelOnly,     // a refund oncepay has no record of
  kRefundAmountMismatch,  // the line's refund amount is one fen more
  kUnknownPayment,        // a payment_no oncepay never created
  kDuplicate,             // the previous matched payment's line again
  kHeldReleased,          // in the held pool (since yesterday) and on the statement
  // Not on the statement:
  kPlatformOnly,  // paid on the day
  kHeldStill,     // in the held pool since yesterday
  kHeldMissing,   // in the held pool for kHoldDays: channel_missing
};

ReconClass planted_class(Plant p) {
  switch (p) {
    case Plant::kMatchedPayment:
    case Plant::kMatchedRefund:
    case Plant::kHeldReleased:
      return ReconClass::kMatched;
    case Plant::kChannelOnly:
      return ReconClass::kChannelOnlySuccess;
    case Plant::kAmountMismatch:
      return ReconClass::kAmountMismatch;
    case Plant::kRevoked:
    case Plant::kRefundPending:
      return ReconClass::kStatusMismatch;
    case Plant::kRefundChannelOnly:
      return ReconClass::kRefundChannelOnly;
    case Plant::kRefundAmountMismatch:
      return ReconClass::kRefundAmountMismatch;
    case Plant::kUnknownPayment:
      return ReconClass::kUnknownPayment;
    case Plant::kDuplicate:
      return ReconClass::kDuplicateLine;
    case Plant::kPlatformOnly:
    case Plant::kHeldStill:
      return ReconClass::kPlatformOnlySuccess;
    case Plant::kHeldMissing:
      return ReconClass::kChannelMissing;
  }
  ONCEPAY_CHECK(false);
  return ReconClass::kMatched;
}

struct Share {
  Plant plant;
  uint64_t per_10000;
};
// Per statement line; the rest (~92.65 %) are matched payments.
constexpr std::array<Share, 10> kLineMix = {{{Plant::kChannelOnly, 75},
                                             {Plant::kAmountMismatch, 75},
                                             {Plant::kRevoked, 40},
                                             {Plant::kRefundPending, 35},
                                             {Plant::kRefundChannelOnly, 75},
                                             {Plant::kRefundAmountMismatch, 75},
                                             {Plant::kUnknownPayment, 75},
                                             {Plant::kDuplicate, 75},
                                             {Plant::kMatchedRefund, 200},
                                             {Plant::kHeldReleased, 10}}};
// Drawn once per statement line too: an order besides the statement, or none.
constexpr std::array<Share, 3> kExtraMix = {
    {{Plant::kPlatformOnly, 50}, {Plant::kHeldStill, 10}, {Plant::kHeldMissing, 10}}};

template <size_t N>
const Share* pick(const std::array<Share, N>& mix, Rng* rng) {
  uint64_t r = rng->below(10'000);
  for (const auto& s : mix) {
    if (r < s.per_10000) return &s;
    r -= s.per_10000;
  }
  return nullptr;
}

// What was planted: the run is checked against it.
struct Planted {
  std::array<uint64_t, core::kReconClassCount> counts{};
  uint64_t lines = 0;
  uint64_t orders = 0;
  uint64_t statement_bytes = 0;
  uint64_t fixes = 0;         // kApplySuccess and kApplyRefundSuccess items
  uint64_t held_changes = 0;  // Classified::held entries
  std::vector<std::pair<std::string, v1::HeldRecord>> held;  // the scratch pool passed in
};

// Ids in the engine's shapes: payment_no is 30 characters, P + 4-digit
// shard + 13-digit ms + nonce + 8-digit counter (actors/order_env.cpp). One
// order per ms, shards round robin: each shard's keys grow, as the engine's
// checkpoints write them.
std::string payment_no(uint64_t n) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "P%04llu%013lldbnch%08llu",
                static_cast<unsigned long long>(n % 64),
                static_cast<long long>(kDayStartMs - 4 * kDayMs + checked_cast<int64_t>(n)),
                static_cast<unsigned long long>(n));
  return buffer;
}

std::string numbered(const char* prefix, uint64_t n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s%020llu", prefix, static_cast<unsigned long long>(n));
  return buffer;
}

// "2026-11-29 HH:MM:SS" of a time inside the business day.
std::string china_time_text(int64_t time_ms) {
  const int64_t s = (time_ms - kDayStartMs) / 1000;
  ONCEPAY_CHECK(s >= 0 && s < kDayMs / 1000);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s %02lld:%02lld:%02lld", kDate,
                static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60),
                static_cast<long long>(s % 60));
  return buffer;
}

// Streams the statement (a TradebillWriter into a file, flushed every
// kFlushBytes) and the ledger rows (committed every kOrdersPerCommit
// orders): memory stays O(one batch), whatever --lines is.
class Generator {
 public:
  Generator(const Options& options, storage::SnapshotStore* store, std::FILE* statement)
      : options_(options),
        rng_(options.seed),
        store_(store),
        file_(statement),
        writer_("wxbench00000000001") {}

  Status run(Planted* out) {
    out_ = out;
    writer_.header(&buffer_);
    for (uint64_t i = 0; i < options_.lines; ++i) {
      const int64_t t = line_time_ms(i);
      statement_line(t);
      if (const Share* extra = pick(kExtraMix, &rng_)) extra_order(extra->plant, t);
      if (!flush(false) || (batch_orders_ >= kOrdersPerCommit && !commit().is_ok())) break;
    }
    writer_.summary(&buffer_);
    if (!flush(true)) return Status::io_error("cannot write the statement file");
    return failure_.is_ok() ? commit() : failure_;
  }

 private:
  int64_t line_time_ms(uint64_t i) const {
    const int64_t t =
        kDayStartMs + checked_cast<int64_t>(i * uint64_t{kDayMs - 1000} / options_.lines);
    return t - t % 1000;  // the statement prints seconds
  }

  int64_t draw_amount() { return 1 + checked_cast<int64_t>(rng_.below(99'999)); }

  void count(Plant p) { ++out_->counts[static_cast<size_t>(planted_class(p))]; }

  // An order of one attempt (payment_no(n)) on the channel, opened 4 days ago.
  core::OrderState order(uint64_t n, int64_t amount_minor) {
    core::OrderState s;
    s.merchant_id = kMerchant;
    s.merchant_order_no = numbered("ord-", n);
    s.status = v1::Order::PAYING;
    s.amount_minor = amount_minor;
    s.currency = "CNY";
    s.channel = kChannel;
    s.created_ms = kDayStartMs - 4 * kDayMs;
    core::AttemptState a;
    a.payment_no = payment_no(n);
    a.number = 1;
    a.channel = kChannel;
    a.created_ms = a.updated_ms = s.created_ms;
    s.attempts.push_back(std::move(a));
    return s;
  }

  core::OrderState paid_order(uint64_t n, int64_t amount_minor, int64_t paid_ms) {
    core::OrderState s = order(n, amount_minor);
    core::AttemptState& a = s.attempts.front();
    s.status = v1::Order::PAID;
    s.paid_payment_no = a.payment_no;
    a.status = v1::Attempt::SUCCESS;
    a.paid_ms = a.updated_ms = paid_ms;
    a.channel_trade_no = numbered("42", n);
    return s;
  }

  static void add_refund(core::OrderState* s, uint64_t n, int64_t amount_minor,
                         core::RefundStatus status, int64_t at_ms) {
    core::RefundState r;
    r.refund_no = numbered("RF", n);
    r.amount_minor = amount_minor;
    r.status = status;
    r.created_ms = r.updated_ms = at_ms - 60'000;
    if (status == v1::Refund::SUCCEEDED) {
      r.succeeded_ms = r.updated_ms = at_ms;
      s->refunded_minor += amount_minor;
      s->status = s->refunded_minor == s->amount_minor ? v1::Order::REFUNDED
                                                       : v1::Order::PARTIALLY_REFUNDED;
    }
    s->refunds.push_back(std::move(r));
  }

  void add_order(const core::OrderState& s) {
    for (auto& row : storage::ledger_rows(s)) {
      mutations_.push_back({row.table, std::move(row.key), std::move(row.value)});
    }
    ++batch_orders_;
    ++out_->orders;
  }

  void hold(const core::OrderState& s, int32_t since_day) {
    v1::HeldRecord h;
    h.set_merchant_order_no(s.merchant_order_no);
    h.set_amount(s.amount_minor);
    h.set_currency(s.currency);
    h.set_held_since_day(since_day);
    out_->held.emplace_back(s.attempts.front().payment_no, std::move(h));
    ++out_->held_changes;  // released, held again, or turned into a review item
  }

  core::StatementLine payment_line(const std::string& pno, uint64_t n, int64_t amount_minor,
                                   int64_t t) const {
    core::StatementLine l;
    l.kind = core::StatementLine::Kind::kPayment;
    l.payment_no = pno;
    l.channel_trade_no = numbered("42", n);
    l.account_id = kMerchant;
    l.amount_minor = l.settled_amount_minor = amount_minor;
    l.currency = "CNY";
    l.channel_status = "SUCCESS";
    l.fee_milli_minor = amount_minor * 6;  // 0.6 %
    l.time_text = china_time_text(t);
    return l;
  }

  core::StatementLine refund_line(const std::string& pno, uint64_t n, int64_t amount_minor,
                                  int64_t t) const {
    core::StatementLine l = payment_line(pno, n, amount_minor, t);
    l.kind = core::StatementLine::Kind::kRefund;
    l.refund_no = numbered("RF", n);
    l.channel_refund_no = numbered("50", n);
    l.fee_milli_minor = 0;
    return l;
  }

  void statement_line(int64_t t) {
    const Share* share = pick(kLineMix, &rng_);
    Plant p = share == nullptr ? Plant::kMatchedPayment : share->plant;
    if (p == Plant::kDuplicate && last_paid_.empty()) p = Plant::kMatchedPayment;
    const uint64_t n = next_++;
    const int64_t amount = draw_amount();
    const int64_t refund_amount =
        1 + checked_cast<int64_t>(rng_.below(checked_cast<uint64_t>(amount)));
    count(p);
    ++out_->lines;
    switch (p) {
      case Plant::kMatchedPayment:
      case Plant::kAmountMismatch:
      case Plant::kRevoked: {
        const core::OrderState s = paid_order(n, amount, t);
        add_order(s);
        core::StatementLine l = payment_line(s.paid_payment_no, n, amount, t);
        if (p == Plant::kAmountMismatch) l.amount_minor = l.settled_amount_minor = amount + 1;
        if (p == Plant::kRevoked) {
          l.settled = false;
          l.channel_status = "REVOKED";
          l.settled_amount_minor = 0;
        }
        if (p == Plant::kMatchedPayment) {
          last_paid_ = s.paid_payment_no;
          last_paid_n_ = n;
          last_amount_ = amount;
        }
        return write(l);
      }
      case Plant::kChannelOnly: {
        core::OrderState s = order(n, amount);
        if (n % 2 == 1) {
          s.status = v1::Order::EXPIRED;
          s.attempts.front().status = v1::Attempt::EXPIRED;
        }
        add_order(s);
        ++out_->fixes;
        return write(payment_line(s.attempts.front().payment_no, n, amount, t));
      }
      case Plant::kUnknownPayment:
        return write(payment_line(payment_no(n), n, amount, t));
      case Plant::kDuplicate:
        return write(payment_line(last_paid_, last_paid_n_, last_amount_, t));
      case Plant::kHeldReleased: {
        const core::OrderState s = paid_order(n, amount, t - kDayMs);
        add_order(s);
        hold(s, kDay - 1);
        return write(payment_line(s.paid_payment_no, n, amount, t));
      }
      default:
        return refund(p, n, amount, refund_amount, t);
    }
  }

  // The refund plants: the payment was paid yesterday (its success is not
  // the day's), the refund line is today's.
  void refund(Plant p, uint64_t n, int64_t amount, int64_t refund_amount, int64_t t) {
    core::OrderState s = paid_order(n, amount, t - kDayMs);
    core::StatementLine l = refund_line(s.paid_payment_no, n, refund_amount, t);
    switch (p) {
      case Plant::kMatchedRefund:
        add_refund(&s, n, refund_amount, v1::Refund::SUCCEEDED, t);
        break;
      case Plant::kRefundPending:
        add_refund(&s, n, refund_amount, v1::Refund::PENDING, t);
        ++out_->fixes;
        break;
      case Plant::kRefundAmountMismatch:
        add_refund(&s, n, refund_amount, v1::Refund::SUCCEEDED, t);
        l.amount_minor = l.settled_amount_minor = refund_amount + 1;
        break;
      case Plant::kRefundChannelOnly:
        break;
      default:
        ONCEPAY_CHECK(false);
    }
    add_order(s);
    write(l);
  }

  void extra_order(Plant p, int64_t t) {
    const uint64_t n = next_++;
    const int64_t amount = draw_amount();
    count(p);
    switch (p) {
      case Plant::kPlatformOnly:
        add_order(paid_order(n, amount, t));
        ++out_->held_changes;  // held for the next statements
        return;
      case Plant::kHeldStill: {
        const core::OrderState s = paid_order(n, amount, t - kDayMs);
        add_order(s);
        return hold(s, kDay - 1);
      }
      case Plant::kHeldMissing: {
        const core::OrderState s = paid_order(n, amount, t - kHoldDays * kDayMs);
        add_order(s);
        return hold(s, kDay - kHoldDays);
      }
      default:
        ONCEPAY_CHECK(false);
    }
  }

  void write(const core::StatementLine& l) { writer_.row(l, &buffer_); }

  bool flush(bool last) {
    if (buffer_.size() < kFlushBytes && !last) return true;
    const size_t written = std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
    out_->statement_bytes += written;
    const bool ok = written == buffer_.size() && (!last || std::fflush(file_) == 0);
    buffer_.clear();
    if (!ok && failure_.is_ok()) failure_ = Status::io_error("cannot write the statement file");
    return ok;
  }

  Status commit() {
    Status st = store_->commit_checkpoint(1, mutations_);
    if (!st.is_ok() && failure_.is_ok()) failure_ = st;
    mutations_.clear();
    batch_orders_ = 0;
    return st;
  }

  const Options& options_;
  Rng rng_;
  storage::SnapshotStore* store_;
  std::FILE* file_;
  channels::wechatpay::TradebillWriter writer_;
  Planted* out_ = nullptr;
  std::string buffer_;
  std::vector<storage::Mutation> mutations_;
  uint64_t batch_orders_ = 0;
  uint64_t next_ = 1;  // the next order / payment number
  std::string last_paid_;
  uint64_t last_paid_n_ = 0;
  int64_t last_amount_ = 0;
  Status failure_;
};

// The heap in use (malloc'd and not freed), in bytes.
uint64_t heap_in_use_bytes() { return mallinfo2().uordblks; }

// The statement source of the bench: the file streamed through the WeChat
// parser in kStatementReadBytes reads (what a channel's `statements` does).
// *heap_at_end gets the heap in use when the last line has been classified
// (before Reconciliation::finish): the classifier's per-line state at its
// largest.
channels::StatementSource tradebill_source(uint64_t* heap_at_end) {
  channels::StatementSource source;
  source.media = channels::StatementMedia::kCsv;
  source.parse = [heap_at_end](const std::string& path,
                               const std::function<void(const core::StatementLine&)>& on_line,
                               core::StatementSummary* summary, core::StatementError* error) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file) {
      *error = {0, "cannot open the statement file"};
      return false;
    }
    std::setvbuf(file.get(), nullptr, _IONBF, 0);  // reads go straight into `chunk`
    channels::wechatpay::TradebillParser parser(on_line);
    std::vector<char> chunk(kStatementReadBytes);
    for (;;) {
      const size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
      if (n > 0 && !parser.feed(std::string_view(chunk.data(), n))) {
        *error = parser.error();
        return false;
      }
      if (n < chunk.size()) break;
    }
    if (std::ferror(file.get()) != 0) {
      *error = {0, "cannot read the statement file"};
      return false;
    }
    if (!parser.finish(summary)) {
      *error = parser.error();
      return false;
    }
    *heap_at_end = heap_in_use_bytes();
    return true;
  };
  source.account_id = [](const std::string& merchant_id) { return merchant_id; };
  return source;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double peak_rss_mib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

std::string group_digits(uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void set_count(v1::ReconCounts* counts, ReconClass cls, uint64_t n) {
  const auto* field =
      counts->GetDescriptor()->FindFieldByName(std::string(core::recon_class_name(cls)));
  ONCEPAY_CHECK(field != nullptr);
  counts->GetReflection()->SetUInt64(counts, field, n);
}

// The run's record, as the Reconciler's step 6 makes it.
v1::ReconciliationView run_view(const std::string& id, const actors::Classified& rs) {
  v1::ReconciliationView run;
  run.set_reconciliation_id(id);
  run.set_merchant_id(kMerchant);
  run.set_channel(kChannel);
  run.set_date(kDate);
  run.set_status("DONE");
  run.set_source("upload");
  run.set_lines(rs.report.lines);
  for (size_t c = 0; c < core::kReconClassCount; ++c) {
    set_count(run.mutable_counts(), static_cast<ReconClass>(c), rs.report.counts[c]);
  }
  run.set_fee_total_milli(rs.report.fee_total_milli_minor);
  run.set_summary_ok(rs.report.summary_ok);
  run.set_summary_detail(rs.report.summary_detail);
  run.set_items_total(rs.items.size());
  return run;
}

// Empty when the run found exactly what was planted; else why not.
std::string check(const Planted& planted, const actors::Classified& rs) {
  if (rs.parse_error) return cat("the statement did not parse: ", rs.parse_error->reason);
  if (!rs.storage_error.is_ok()) return cat("storage: ", rs.storage_error.to_string());
  if (!rs.report.summary_ok) return cat("summary: ", rs.report.summary_detail);
  if (rs.report.lines != planted.lines) {
    return cat("lines ", std::to_string(rs.report.lines), ", planted ",
               std::to_string(planted.lines));
  }
  std::string why;
  uint64_t items = 0;
  for (size_t c = 0; c < core::kReconClassCount; ++c) {
    if (c != static_cast<size_t>(ReconClass::kMatched)) items += planted.counts[c];
    if (rs.report.counts[c] != planted.counts[c]) {
      why +=
          cat(why.empty() ? "" : "; ", core::recon_class_name(static_cast<ReconClass>(c)), " ",
              std::to_string(rs.report.counts[c]), ", planted ", std::to_string(planted.counts[c]));
    }
  }
  if (!why.empty()) return why;
  if (rs.items.size() != items) return cat("items ", std::to_string(rs.items.size()));
  if (rs.fixes.size() != planted.fixes) return cat("fixes ", std::to_string(rs.fixes.size()));
  if (rs.held.size() != planted.held_changes) {
    return cat("held changes ", std::to_string(rs.held.size()), ", expected ",
               std::to_string(planted.held_changes));
  }
  return {};
}

// VmRSS and its anonymous (heap) and file-backed (LMDB's map) parts, in
// KiB, from /proc/self/status.
struct Rss {
  unsigned long long total_kib = 0, anon_kib = 0, file_kib = 0;

  static Rss now() {
    Rss r;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen("/proc/self/status", "r"),
                                                      &std::fclose);
    char line[256];
    while (f && std::fgets(line, sizeof line, f.get()) != nullptr) {
      std::sscanf(line, "VmRSS: %llu", &r.total_kib);
      std::sscanf(line, "RssAnon: %llu", &r.anon_kib);
      std::sscanf(line, "RssFile: %llu", &r.file_kib);
    }
    return r;
  }
  std::string text() const {
    char out[96];
    std::snprintf(out, sizeof out, "%4llu MiB (anon %4llu, file %4llu)", total_kib / 1024,
                  anon_kib / 1024, file_kib / 1024);
    return out;
  }
};

struct Timings {
  std::array<Rss, 4> rss;                // after the generation, validate, classify, store
  uint64_t heap_end_of_lines_bytes = 0;  // heap in use when classify has read every line
  uint64_t heap_after_classify_bytes = 0;
  double validate_s = 0;
  double classify_s = 0;
  double store_s = 0;
  double total_s = 0;
};

struct Stores {
  std::unique_ptr<storage::SnapshotStore> snapshot;
  std::unique_ptr<storage::ReconStore> recon;
};

// The timed part: what a run does with a statement file (validate, classify, store).
std::string timed_run(const std::string& dir, const Planted& planted, Stores* stores,
                      actors::Classified* rs, Timings* t) {
  const channels::StatementSource source = tradebill_source(&t->heap_end_of_lines_bytes);
  const std::string path = dir + "/statement.csv";
  storage::StoredOrders stored;
  stored.attach(stores->snapshot.get());
  const auto start = Clock::now();
  const auto invalid = actors::validate_statement(source, path, kMerchant, kMerchant);
  t->validate_s = seconds_since(start);
  t->rss[1] = Rss::now();
  if (invalid) {
    return cat("validate_statement: line ", std::to_string(invalid->line), ": ", invalid->reason);
  }
  const auto classify_start = Clock::now();
  actors::ClassifyRequest rq;
  rq.source = &source;
  rq.path = path;
  rq.merchant_id = kMerchant;
  rq.channel = kChannel;
  rq.window = {kDayStartMs, kDayStartMs + kDayMs, kDay};
  rq.hold_days = kHoldDays;
  rq.stored = &stored;
  rq.held = planted.held;
  *rs = actors::classify_statement(rq);
  t->classify_s = seconds_since(classify_start);
  t->rss[2] = Rss::now();
  t->heap_after_classify_bytes = heap_in_use_bytes();
  stored.detach();
  if (rs->parse_error || !rs->storage_error.is_ok()) return check(planted, *rs);
  const auto store_start = Clock::now();
  const v1::ReconciliationView run = run_view(stores->recon->next_id(), *rs);
  const Status st = stores->recon->finish_run(run, rs->items, rs->held);
  t->store_s = seconds_since(store_start);
  t->total_s = seconds_since(start);
  t->rss[3] = Rss::now();
  if (!st.is_ok()) return cat("finish_run: ", st.to_string());
  return check(planted, *rs);
}

Status open_stores(const std::string& dir, Stores* out) {
  storage::SnapshotOptions o;
  o.dir = dir + "/snapshot";
  o.tables = storage::snapshot_tables();
  Status st = storage::SnapshotStore::open(o, &out->snapshot);
  if (!st.is_ok()) return st;
  return storage::ReconStore::open(dir + "/recon", &out->recon);
}

void print_table(const Options& options, const Planted& planted, const actors::Classified& rs,
                 const Timings& t, double generate_s, double generated_rss_mib) {
  const double lines = static_cast<double>(options.lines);
  std::printf("generated %s statement lines (%s bytes) and %s orders' ledger rows in %.1f s\n",
              group_digits(options.lines).c_str(), group_digits(planted.statement_bytes).c_str(),
              group_digits(planted.orders).c_str(), generate_s);
  std::printf("\n%-24s %10s %14s   %s\n", "phase", "seconds", "lines/s", "VmRSS after");
  std::printf("%-24s %10s %14s   %s\n", "(generation)", "", "", t.rss[0].text().c_str());
  const std::pair<const char*, double> phases[] = {{"validate_statement", t.validate_s},
                                                   {"classify_statement", t.classify_s},
                                                   {"ReconStore::finish_run", t.store_s},
                                                   {"total", t.total_s}};
  for (size_t i = 0; i < std::size(phases); ++i) {
    const double s = phases[i].second;
    std::printf("%-24s %10.3f %14s   %s\n", phases[i].first, s,
                group_digits(static_cast<uint64_t>(s > 0 ? lines / s : 0)).c_str(),
                i + 1 < t.rss.size() ? t.rss[i + 1].text().c_str() : "");
  }
  std::printf("\n%-24s %10s %10s\n", "class", "planted", "found");
  for (size_t c = 0; c < core::kReconClassCount; ++c) {
    std::printf("%-24s %10s %10s\n",
                std::string(core::recon_class_name(static_cast<ReconClass>(c))).c_str(),
                group_digits(planted.counts[c]).c_str(), group_digits(rs.report.counts[c]).c_str());
  }
  std::printf("\nitems %s, fixes %s, reviews %s, held changes %s (held pool in: %s)\n",
              group_digits(rs.items.size()).c_str(), group_digits(rs.fixes.size()).c_str(),
              group_digits(rs.reviews.size()).c_str(), group_digits(rs.held.size()).c_str(),
              group_digits(planted.held.size()).c_str());
  std::printf("peak RSS (ru_maxrss) %.0f MiB; %.0f MiB by the end of the generation\n",
              peak_rss_mib(), generated_rss_mib);
  std::printf(
      "heap in use (mallinfo2): %.0f MiB when classify has read every line, %.0f MiB after it "
      "returned (its result)\n",
      static_cast<double>(t.heap_end_of_lines_bytes) / 1048576.0,
      static_cast<double>(t.heap_after_classify_bytes) / 1048576.0);
}

void print_json(const Options& options, const Planted& planted, const actors::Classified& rs,
                const Timings& t) {
  std::string counts;
  for (size_t c = 0; c < core::kReconClassCount; ++c) {
    counts += c == 0 ? "{" : ",";
    counts += cat("\"", core::recon_class_name(static_cast<ReconClass>(c)),
                  "\":", std::to_string(rs.report.counts[c]));
  }
  counts += "}";
  unsigned long long anon_kib = 0, file_kib = 0;
  for (const Rss& r : t.rss) {
    anon_kib = std::max(anon_kib, r.anon_kib);
    file_kib = std::max(file_kib, r.file_kib);
  }
  std::printf(
      "{\"bench\":\"recon\",\"lines\":%llu,\"seed\":%llu,\"seconds\":%.3f,\"lines_per_s\":%.0f,"
      "\"peak_rss_mib\":%.0f,\"anon_mib\":%llu,\"file_mib\":%llu,\"validate_s\":%.3f,\"classify_"
      "s\":%.3f,\"store_s\":%.3f,"
      "\"counts\":%s,\"statement_bytes\":%llu}\n",
      static_cast<unsigned long long>(options.lines), static_cast<unsigned long long>(options.seed),
      t.total_s, t.total_s > 0 ? static_cast<double>(options.lines) / t.total_s : 0.0,
      peak_rss_mib(), anon_kib / 1024, file_kib / 1024, t.validate_s, t.classify_s, t.store_s,
      counts.c_str(), static_cast<unsigned long long>(planted.statement_bytes));
  std::fflush(stdout);
}

// Builds, times and checks, in `dir`; 0 when the run found what was planted.
int bench_in(const Options& options, const std::string& dir) {
  Stores stores;
  Status st = open_stores(dir, &stores);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen((dir + "/statement.csv").c_str(), "wb"), &std::fclose);
  if (!st.is_ok() || !file) {
    std::fprintf(stderr, "oncepay-bench recon: cannot create the stores or the statement in %s%s\n",
                 dir.c_str(), st.is_ok() ? "" : cat(": ", st.to_string()).c_str());
    return 1;
  }
  Planted planted;
  const auto generate_start = Clock::now();
  st = Generator(options, stores.snapshot.get(), file.get()).run(&planted);
  file.reset();
  const double generate_s = seconds_since(generate_start);
  const double generated_rss_mib = peak_rss_mib();
  if (!st.is_ok()) {
    std::fprintf(stderr, "oncepay-bench recon: generating: %s\n", st.to_string().c_str());
    return 1;
  }
  actors::Classified rs;
  Timings t;
  t.rss[0] = Rss::now();
  const std::string why = timed_run(dir, planted, &stores, &rs, &t);
  print_table(options, planted, rs, t, generate_s, generated_rss_mib);
  if (!why.empty()) {
    std::fprintf(stderr, "oncepay-bench recon: the run is wrong: %s\n", why.c_str());
    return 1;
  }
  print_json(options, planted, rs, t);
  return 0;
}

}  // namespace

int run_recon(int argc, char** argv) {
  Options options;
  std::string error;
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (!parse_options(argc, argv, &options, &error)) {
    std::fprintf(stderr, "oncepay-bench recon: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  std::string dir = options.dir;
  std::error_code ec;
  if (dir.empty()) {
    std::string templ =
        (std::filesystem::temp_directory_path(ec) / "oncepay-recon-XXXXXX").string();
    if (ec || ::mkdtemp(templ.data()) == nullptr) {
      std::fprintf(stderr, "oncepay-bench recon: cannot create a temp dir\n");
      return 1;
    }
    dir = templ;
  } else if (std::filesystem::exists(dir + "/snapshot", ec)) {
    std::fprintf(stderr, "oncepay-bench recon: %s already holds a snapshot/\n", dir.c_str());
    return 1;
  } else {
    std::filesystem::create_directories(dir, ec);
  }
  std::printf("recon bench: %s lines, seed %llu, merchant %s, channel %s, day %s, dir %s\n",
              group_digits(options.lines).c_str(), static_cast<unsigned long long>(options.seed),
              kMerchant, kChannel, kDate, dir.c_str());
  std::fflush(stdout);
  const int status = bench_in(options, dir);
  if (options.dir.empty() && !options.keep) std::filesystem::remove_all(dir, ec);
  return status;
}

}  // namespace oncepay::bench
