#include "core/recon_decide.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace oncepay::core {
namespace {

constexpr std::array<std::string_view, kReconClassCount> kClassNames = {"matched",
                                                                        "channel_only_success",
                                                                        "platform_only_success",
                                                                        "channel_missing",
                                                                        "amount_mismatch",
                                                                        "currency_mismatch",
                                                                        "status_mismatch",
                                                                        "refund_channel_only",
                                                                        "refund_platform_only",
                                                                        "refund_amount_mismatch",
                                                                        "unknown_payment",
                                                                        "duplicate_line"};
static_assert(static_cast<size_t>(ReconClass::kDuplicateLine) + 1 == kReconClassCount);

constexpr std::array<std::string_view, 7> kActionNames = {
    "none", "apply_success", "apply_refund_success", "hold", "release_hold", "wait", "review"};
static_assert(static_cast<size_t>(ReconAction::kReview) + 1 == kActionNames.size());

bool paid(PlatformPayment::Status s) {
  return s == PlatformPayment::Status::kSuccess || s == PlatformPayment::Status::kRefunded;
}

std::string_view status_name(PlatformPayment::Status s) {
  constexpr std::array<std::string_view, 5> kNames = {"pending", "success", "refunded", "closed",
                                                      "failed"};
  return kNames[static_cast<size_t>(s)];
}

std::string_view refund_status_name(PlatformRefund::Status s) {
  constexpr std::array<std::string_view, 3> kNames = {"pending", "success", "failed"};
  return kNames[static_cast<size_t>(s)];
}

// Resets a reused item to a statement line's facts.
void reset(ReconItem* item, const StatementLine& line, ReconClass cls, ReconAction action) {
  item->cls = cls;
  item->action = action;
  item->line = line.line;
  item->payment_no = line.payment_no;
  item->refund_no = line.refund_no;
  item->merchant_id.clear();
  item->merchant_order_no.clear();
  item->channel_trade_no = line.channel_trade_no;
  item->channel_amount_minor = line.amount_minor;
  item->platform_amount_minor.reset();
  item->channel_currency = line.currency;
  item->platform_currency.clear();
  item->held_since_day = 0;
  item->fee_milli_minor = line.fee_milli_minor;
  item->detail.clear();
}

void set_platform(ReconItem* item, const PlatformPayment& p, int64_t amount_minor) {
  item->merchant_id = p.merchant_id;
  item->merchant_order_no = p.merchant_order_no;
  item->platform_amount_minor = amount_minor;
  item->platform_currency = p.currency;
}

}  // namespace

std::string_view recon_class_name(ReconClass c) { return kClassNames[static_cast<size_t>(c)]; }

std::string_view recon_action_name(ReconAction a) { return kActionNames[static_cast<size_t>(a)]; }

bool recon_class_needs_review(ReconClass c) {
  return c != ReconClass::kMatched && c != ReconClass::kChannelOnlySuccess &&
         c != ReconClass::kPlatformOnlySuccess;
}

bool parse_recon_class(std::string_view name, ReconClass* out) {
  for (size_t i = 0; i < kReconClassCount; ++i) {
    if (kClassNames[i] == name) {
      *out = static_cast<ReconClass>(i);
      return true;
    }
  }
  return false;
}

bool Reconciliation::KeySet::to_short(std::string_view key, Short* out) {
  if (key.size() > out->size() - 1) return false;
  out->fill(0);
  (*out)[0] = static_cast<char>(key.size());
  std::copy(key.begin(), key.end(), out->begin() + 1);
  return true;
}

size_t Reconciliation::KeySet::ShortHash::operator()(const Short& k) const noexcept {
  return std::hash<std::string_view>{}(
      std::string_view(k.data() + 1, static_cast<unsigned char>(k[0])));
}

bool Reconciliation::KeySet::insert(std::string_view key) {
  Short k;
  if (to_short(key, &k)) return short_.insert(k).second;
  return long_.emplace(key).second;
}

bool Reconciliation::KeySet::contains(std::string_view key) const {
  Short k;
  if (to_short(key, &k)) return short_.contains(k);
  return long_.contains(std::string(key));
}

Reconciliation::Reconciliation(ReconInput input, ItemFn on_item)
    : input_(std::move(input)), on_item_(std::move(on_item)) {
  ONCEPAY_CHECK(input_.find_payment);
  for (const auto& h : input_.held) {
    auto [it, fresh] = held_since_.emplace(h.success.payment_no, h.held_since_day);
    if (!fresh) it->second = std::min(it->second, h.held_since_day);
  }
}

void Reconciliation::emit(ReconItem& item) {
  ++report_.counts[static_cast<size_t>(item.cls)];
  on_item_(item);
}

void Reconciliation::add_line(const StatementLine& line) {
  ONCEPAY_CHECK(!finished_);
  ++report_.lines;
  report_.fee_total_milli_minor += line.fee_milli_minor;
  if (line.kind == StatementLine::Kind::kRefund) {
    ++refund_lines_;
    refund_amount_minor_ += line.amount_minor;
    classify_refund(line);
  } else {
    ++payment_lines_;
    payment_amount_minor_ += line.amount_minor;
    classify_payment(line);
  }
}

void Reconciliation::classify_payment(const StatementLine& line) {
  ReconItem& item = item_;
  if (!seen_payments_.insert(line.payment_no)) {
    reset(&item, line, ReconClass::kDuplicateLine, ReconAction::kReview);
    item.detail = "payment_no listed again in the same statement";
    emit(item);
    return;
  }
  const PlatformPayment* p = input_.find_payment(line.payment_no);
  if (p == nullptr) {
    reset(&item, line, ReconClass::kUnknownPayment, ReconAction::kReview);
    item.detail = "no payment oncepay created has this payment_no";
    emit(item);
    return;
  }
  reset(&item, line, ReconClass::kMatched, ReconAction::kNone);
  set_platform(&item, *p, p->amount_minor);
  if (!line.settled) {
    if (paid(p->status)) {
      item.cls = ReconClass::kStatusMismatch;
      item.action = ReconAction::kReview;
      item.detail = "the channel shows " + line.channel_status + ", oncepay has the payment " +
                    std::string(status_name(p->status));
    }
    emit(item);
    return;
  }
  if (line.currency != p->currency) {
    item.cls = ReconClass::kCurrencyMismatch;
    item.action = ReconAction::kReview;
    item.detail = "the channel's currency differs from the payment's";
  } else if (line.amount_minor != p->amount_minor) {
    item.cls = ReconClass::kAmountMismatch;
    item.action = ReconAction::kReview;
    item.detail = "the channel's amount differs from the payment's";
  } else if (!paid(p->status)) {
    item.cls = ReconClass::kChannelOnlySuccess;
    item.action = ReconAction::kApplySuccess;
    item.detail = "the channel has a success oncepay has as " + std::string(status_name(p->status));
  } else if (held_since_.contains(line.payment_no)) {
    item.action = ReconAction::kReleaseHold;
    item.detail = "held payment found on the statement";
  }
  emit(item);
}

void Reconciliation::classify_refund(const StatementLine& line) {
  ReconItem& item = item_;
  if (!seen_refunds_.insert(line.refund_no)) {
    reset(&item, line, ReconClass::kDuplicateLine, ReconAction::kReview);
    item.detail = "refund_no listed again in the same statement";
    emit(item);
    return;
  }
  const PlatformPayment* p = input_.find_payment(line.payment_no);
  if (p == nullptr) {
    reset(&item, line, ReconClass::kUnknownPayment, ReconAction::kReview);
    item.detail = "a refund of a payment_no oncepay never created";
    emit(item);
    return;
  }
  const auto r = std::find_if(p->refunds.begin(), p->refunds.end(), [&](const PlatformRefund& x) {
    return x.refund_no == line.refund_no;
  });
  reset(&item, line, ReconClass::kMatched, ReconAction::kNone);
  if (r == p->refunds.end()) {
    set_platform(&item, *p, 0);
    item.platform_amount_minor.reset();
    item.cls = ReconClass::kRefundChannelOnly;
    item.action = ReconAction::kReview;
    item.detail = "the channel has a refund oncepay has no record of";
    emit(item);
    return;
  }
  set_platform(&item, *p, r->amount_minor);
  const std::string status(refund_status_name(r->status));
  if (!line.settled) {
    if (r->status == PlatformRefund::Status::kSuccess) {
      item.cls = ReconClass::kStatusMismatch;
      item.action = ReconAction::kReview;
      item.detail = "the channel shows the refund " + line.channel_status + ", oncepay success";
    }
  } else if (line.amount_minor != r->amount_minor) {
    item.cls = ReconClass::kRefundAmountMismatch;
    item.action = ReconAction::kReview;
    item.detail = "the channel's refund amount differs from oncepay's";
  } else if (r->status == PlatformRefund::Status::kPending) {
    item.cls = ReconClass::kStatusMismatch;
    item.action = ReconAction::kApplyRefundSuccess;
    item.detail = "the channel settled a refund oncepay has pending";
  } else if (r->status == PlatformRefund::Status::kFailed) {
    item.cls = ReconClass::kStatusMismatch;
    item.action = ReconAction::kReview;
    item.detail = "the channel settled a refund oncepay has as " + status;
  }
  emit(item);
}

void Reconciliation::platform_only(const PlatformSuccess& s, int32_t held_since_day) {
  ReconItem& item = item_;
  item = ReconItem{};
  item.payment_no = s.payment_no;
  item.merchant_id = s.merchant_id;
  item.merchant_order_no = s.merchant_order_no;
  item.platform_amount_minor = s.amount_minor;
  item.platform_currency = s.currency;
  item.held_since_day = held_since_day;
  item.cls = ReconClass::kPlatformOnlySuccess;
  if (input_.intraday) {
    item.action = ReconAction::kWait;
    item.detail = "not on the partial (intraday) statement yet";
  } else if (input_.statement_day - held_since_day >= input_.hold_days) {
    item.cls = ReconClass::kChannelMissing;
    item.action = ReconAction::kReview;
    item.detail = "oncepay's success has been missing from the channel's statements for " +
                  std::to_string(input_.statement_day - held_since_day) + " days";
  } else {
    item.action = ReconAction::kHold;
    item.detail = "oncepay's success is not on the statement; held for later statements";
  }
  emit(item);
}

ReconReport Reconciliation::finish(const StatementSummary& summary) {
  ONCEPAY_CHECK(!finished_);
  finished_ = true;
  // A held payment may also be a day success: each is reported once.
  std::unordered_set<std::string> done;
  const auto day_success = [&](const PlatformSuccess& s, bool dedupe) {
    if (seen_payments_.contains(s.payment_no)) return;
    const auto held = held_since_.find(s.payment_no);
    if ((dedupe || held != held_since_.end()) && !done.insert(s.payment_no).second) return;
    platform_only(s, held == held_since_.end() ? input_.statement_day : held->second);
  };
  for (const auto& s : input_.day_successes) day_success(s, true);
  if (input_.each_day_success) {
    input_.each_day_success([&](const PlatformSuccess& s) { day_success(s, false); });
  }
  for (const auto& h : input_.held) {
    const std::string& no = h.success.payment_no;
    if (seen_payments_.contains(no) || !done.insert(no).second) continue;
    platform_only(h.success, held_since_.at(no));
  }
  std::unordered_set<std::string> refunds_done;
  const auto day_refund = [&](const PlatformDayRefund& r, bool dedupe) {
    if (seen_refunds_.contains(r.refund_no)) return;
    if (dedupe && !refunds_done.insert(r.refund_no).second) return;
    ReconItem& item = item_;
    item = ReconItem{};
    item.cls = ReconClass::kRefundPlatformOnly;
    item.action = ReconAction::kReview;
    item.payment_no = r.payment_no;
    item.refund_no = r.refund_no;
    item.merchant_id = r.merchant_id;
    item.merchant_order_no = r.merchant_order_no;
    item.platform_amount_minor = r.amount_minor;
    item.detail = "oncepay's refund is not on the channel's statement";
    emit(item);
  };
  for (const auto& r : input_.day_refunds) day_refund(r, true);
  if (input_.each_day_refund) {
    input_.each_day_refund([&](const PlatformDayRefund& r) { day_refund(r, false); });
  }
  report_.summary_ok = summary.payment_lines == payment_lines_ &&
                       summary.refund_lines == refund_lines_ &&
                       summary.payment_amount_minor == payment_amount_minor_ &&
                       summary.refund_amount_minor == refund_amount_minor_ &&
                       summary.fee_milli_minor == report_.fee_total_milli_minor;
  if (!report_.summary_ok) {
    report_.summary_detail = "the summary (" + std::to_string(summary.payment_lines) +
                             " payments, " + std::to_string(summary.refund_lines) +
                             " refunds) differs from the lines classified (" +
                             std::to_string(payment_lines_) + " payments, " +
                             std::to_string(refund_lines_) + " refunds) or their totals";
  }
  return report_;
}

}  // namespace oncepay::core
