#include "storage/snapshot_layout.hpp"

#include <algorithm>

#include "core/recon_ledger.hpp"
#include "snapshot.pb.h"

namespace oncepay::storage {

namespace {

constexpr char kKeySeparator = '\x1f';     // never part of an id
constexpr char kReviewSeparator = '\x1e';  // never part of an id
constexpr size_t kDueBytes = 8;

void add_timer(std::vector<std::string>* keys, core::Ladder ladder, int64_t due_ms,
               const std::string& payment_no, char kind, const std::string& id) {
  if (ladder == v1::TimerArmed::LADDER_UNSPECIFIED) return;
  std::string key = timer_key_bytes(due_ms, payment_no);
  if (kind != 0) {
    key += kKeySeparator;
    key += kind;
    key += id;
  }
  keys->push_back(std::move(key));
}

}  // namespace

std::vector<std::string> snapshot_tables() {
  return {kOrdersTable,     kPaymentsTable,     kMerchantsTable,       kTimersTable,
          kReviewsTable,    kLayoutTable,       kChannelAccountsTable, kLedgerPaymentsTable,
          kLedgerDaysTable, kChannelTradesTable};
}

bool searchable_channel_trade_no(std::string_view channel_trade_no) {
  if (channel_trade_no.empty() || channel_trade_no.size() > kMaxChannelTradeNoBytes) return false;
  return std::all_of(channel_trade_no.begin(), channel_trade_no.end(),
                     [](char c) { return c > ' ' && c < '\x7f'; });
}

std::string channel_trade_prefix(const std::string& channel_trade_no) {
  std::string key = channel_trade_no;
  key += kKeySeparator;
  return key;
}

std::string channel_trade_key_bytes(const std::string& channel_trade_no, const std::string& channel,
                                    const std::string& payment_no) {
  std::string key = channel_trade_prefix(channel_trade_no);
  key += channel;
  key += kKeySeparator;
  key += payment_no;
  return key;
}

bool parse_channel_trade_key(std::string_view rest, ChannelTradeKey* out) {
  const size_t at = rest.find(kKeySeparator);
  if (at == std::string_view::npos || at == 0 || at + 1 == rest.size()) return false;
  out->channel.assign(rest.substr(0, at));
  out->payment_no.assign(rest.substr(at + 1));
  return true;
}

std::vector<std::string> channel_trade_keys(const core::OrderState& state) {
  std::vector<std::string> keys;
  for (const auto& a : state.attempts) {
    if (!searchable_channel_trade_no(a.channel_trade_no)) continue;
    keys.push_back(channel_trade_key_bytes(a.channel_trade_no, a.channel, a.payment_no));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string channel_account_key_bytes(const std::string& merchant_id, const std::string& channel) {
  std::string key = merchant_id;
  key += kKeySeparator;
  key += channel;
  return key;
}

std::string order_key_bytes(const std::string& merchant_id, const std::string& merchant_order_no) {
  std::string key;
  key.reserve(merchant_id.size() + 1 + merchant_order_no.size());
  key += merchant_id;
  key += kKeySeparator;
  key += merchant_order_no;
  return key;
}

bool parse_order_key(std::string_view bytes, core::OrderKey* out) {
  const size_t at = bytes.find(kKeySeparator);
  if (at == std::string_view::npos || at == 0 || at + 1 == bytes.size()) return false;
  out->merchant_id.assign(bytes.substr(0, at));
  out->merchant_order_no.assign(bytes.substr(at + 1));
  return true;
}

std::string timer_key_bytes(int64_t due_ms, const std::string& payment_no) {
  // Big-endian, so that keys sort by due time.
  std::string key(kDueBytes, '\0');
  const auto due = static_cast<uint64_t>(due_ms);
  for (size_t i = 0; i < kDueBytes; ++i) key[i] = static_cast<char>(due >> (56 - 8 * i));
  key += payment_no;
  return key;
}

std::string ledger_day_prefix(const std::string& merchant_id, const std::string& channel) {
  std::string key = merchant_id;
  key += kKeySeparator;
  key += channel;
  key += kKeySeparator;
  return key;
}

std::string ledger_day_key(const std::string& merchant_id, const std::string& channel,
                           int64_t time_ms, char kind, const std::string& payment_no,
                           const std::string& refund_no) {
  std::string key = ledger_day_prefix(merchant_id, channel);
  key += timer_key_bytes(time_ms, {});
  key += kind;
  key += payment_no;
  if (kind == 'R') {
    key += kKeySeparator;
    key += refund_no;
  }
  return key;
}

bool parse_ledger_day_key(std::string_view rest, LedgerDayKey* out) {
  if (rest.size() < kDueBytes + 2) return false;
  out->time_ms = timer_key_due_ms(rest);
  out->kind = rest[kDueBytes];
  std::string_view ids = rest.substr(kDueBytes + 1);
  if (out->kind == 'P') {
    out->payment_no.assign(ids);
    out->refund_no.clear();
    return true;
  }
  if (out->kind != 'R') return false;
  const size_t at = ids.find(kKeySeparator);
  if (at == std::string_view::npos || at == 0 || at + 1 == ids.size()) return false;
  out->payment_no.assign(ids.substr(0, at));
  out->refund_no.assign(ids.substr(at + 1));
  return true;
}

std::vector<LedgerRow> ledger_rows(const core::OrderState& state) {
  std::vector<LedgerRow> rows;
  const core::OrderLedger ledger = core::ledger_of(state);
  for (const auto& p : ledger.payments) {
    v1::LedgerPaymentRecord record;
    record.set_merchant_id(p.payment.merchant_id);
    record.set_merchant_order_no(p.payment.merchant_order_no);
    record.set_channel(p.channel);
    record.set_status(static_cast<int32_t>(p.payment.status));
    record.set_amount(p.payment.amount_minor);
    record.set_currency(p.payment.currency);
    record.set_paid_ms(p.paid_ms);
    for (const auto& r : p.payment.refunds) {
      auto* refund = record.add_refunds();
      refund->set_refund_no(r.refund_no);
      refund->set_amount(r.amount_minor);
      refund->set_status(static_cast<int32_t>(r.status));
    }
    rows.push_back({kLedgerPaymentsTable, p.payment.payment_no, record.SerializeAsString()});
    if (p.paid_ms > 0) {
      v1::LedgerDayRecord day;
      day.set_merchant_order_no(state.merchant_order_no);
      day.set_amount(p.payment.amount_minor);
      day.set_currency(p.payment.currency);
      rows.push_back(
          {kLedgerDaysTable,
           ledger_day_key(state.merchant_id, p.channel, p.paid_ms, 'P', p.payment.payment_no, {}),
           day.SerializeAsString()});
    }
  }
  for (const auto& r : ledger.settled_refunds) {
    const core::AttemptState* attempt = state.find(r.payment_no);
    v1::LedgerDayRecord day;
    day.set_merchant_order_no(state.merchant_order_no);
    day.set_amount(r.amount_minor);
    day.set_currency(state.currency);
    rows.push_back({kLedgerDaysTable,
                    ledger_day_key(state.merchant_id, attempt != nullptr ? attempt->channel : "",
                                   r.succeeded_ms, 'R', r.payment_no, r.refund_no),
                    day.SerializeAsString()});
  }
  std::sort(rows.begin(), rows.end(), [](const LedgerRow& a, const LedgerRow& b) {
    const int t = std::string_view(a.table).compare(b.table);
    return t != 0 ? t < 0 : a.key < b.key;
  });
  return rows;
}

int64_t timer_key_due_ms(std::string_view key) {
  if (key.size() < kDueBytes) return 0;
  uint64_t due = 0;
  for (size_t i = 0; i < kDueBytes; ++i) due = (due << 8) | static_cast<unsigned char>(key[i]);
  return static_cast<int64_t>(due);
}

std::vector<std::string> timer_keys(const core::OrderState& state) {
  std::vector<std::string> keys;
  for (const auto& a : state.attempts) add_timer(&keys, a.ladder, a.due_ms, a.payment_no, 0, {});
  for (const auto& r : state.refunds) {
    add_timer(&keys, r.ladder, r.due_ms, state.paid_payment_no, 'R', r.refund_no);
  }
  for (const auto& w : state.webhooks) {
    add_timer(&keys, w.ladder, w.due_ms, state.paid_payment_no, 'W', w.event_id);
  }
  if (state.expiry_due_ms != 0 && !state.attempts.empty()) {
    // The order's deadline: named after its first attempt, which is unique.
    add_timer(&keys, v1::TimerArmed::ORDER_EXPIRY, state.expiry_due_ms,
              state.attempts.front().payment_no, 'E', {});
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string review_key_bytes(const std::string& order_key, const std::string& item_id) {
  std::string key = order_key;
  key += kReviewSeparator;
  key += item_id;
  return key;
}

bool parse_review_key(std::string_view bytes, core::OrderKey* out) {
  const size_t at = bytes.find(kReviewSeparator);
  if (at == std::string_view::npos || at + 1 == bytes.size()) return false;
  return parse_order_key(bytes.substr(0, at), out);
}

std::vector<std::string> review_keys(const core::OrderState& state) {
  std::vector<std::string> keys;
  const std::string order = order_key_bytes(state.merchant_id, state.merchant_order_no);
  for (const auto& r : state.reviews) keys.push_back(review_key_bytes(order, r.item_id));
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace oncepay::storage
