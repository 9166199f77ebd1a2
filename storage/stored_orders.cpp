#include "storage/stored_orders.hpp"

#include <mutex>

#include "core/order_snapshot.hpp"
#include "storage/snapshot_layout.hpp"

namespace oncepay::storage {

namespace {

Status closed() { return Status::io_error("the snapshot store is closed"); }

// A key no checkpoint can have written (LMDB keys are 1..max_key_bytes) is
// simply not there; asking LMDB would be an invalid_argument, which must not
// count as a storage failure (a client chooses the ids it asks for).
bool storable(const SnapshotStore& store, const std::string& key) {
  return !key.empty() && key.size() <= store.max_key_bytes();
}

Status absent() { return Status::not_found("not in the snapshot"); }

}  // namespace

void StoredOrders::attach(const SnapshotStore* store) {
  std::unique_lock lock(mutex_);
  store_ = store;
}

void StoredOrders::detach() {
  std::unique_lock lock(mutex_);  // waits for the reads in progress
  store_ = nullptr;
}

Status StoredOrders::load(const core::OrderKey& key, core::OrderState* out) const {
  std::string bytes;
  {
    std::shared_lock lock(mutex_);
    if (store_ == nullptr) return closed();
    const std::string k = order_key_bytes(key.merchant_id, key.merchant_order_no);
    if (!storable(*store_, k)) return absent();
    Status st = store_->read(kOrdersTable, k, &bytes);
    if (!st.is_ok()) return st;
  }
  v1::OrderSnapshot snapshot;
  if (!snapshot.ParseFromString(bytes)) {
    return Status::corruption("the stored snapshot of order " + key.merchant_id + "/" +
                              key.merchant_order_no + " does not parse");
  }
  *out = core::from_snapshot(snapshot);
  return Status::ok();
}

Status StoredOrders::find_payment(const std::string& payment_no, core::OrderKey* out) const {
  std::string bytes;
  {
    std::shared_lock lock(mutex_);
    if (store_ == nullptr) return closed();
    if (!storable(*store_, payment_no)) return absent();
    Status st = store_->read(kPaymentsTable, payment_no, &bytes);
    if (!st.is_ok()) return st;
  }
  if (!parse_order_key(bytes, out)) {
    return Status::corruption("the stored order key of payment " + payment_no + " is not one");
  }
  return Status::ok();
}

Status StoredOrders::find_channel_trade(const std::string& channel_trade_no, size_t max,
                                        std::vector<ChannelTradeMatch>* out, bool* more) const {
  out->clear();
  *more = false;
  if (!searchable_channel_trade_no(channel_trade_no)) {
    std::shared_lock lock(mutex_);
    return store_ == nullptr ? closed() : Status::ok();
  }
  const std::string prefix = channel_trade_prefix(channel_trade_no);
  std::shared_lock lock(mutex_);
  if (store_ == nullptr) return closed();
  Status bad;
  Status st = store_->read_range(
      kChannelTradesTable, prefix, [&](std::string_view key, std::string_view value) {
        // The separator ends the prefix: a longer number that starts with
        // this one sorts after it and does not match.
        if (!key.starts_with(prefix)) return false;
        if (out->size() == max) {
          *more = true;
          return false;
        }
        ChannelTradeMatch match;
        ChannelTradeKey k;
        if (!parse_channel_trade_key(key.substr(prefix.size()), &k) ||
            !parse_order_key(value, &match.order)) {
          bad = Status::corruption("a channel_trades row does not parse");
          return false;
        }
        match.channel = std::move(k.channel);
        match.payment_no = std::move(k.payment_no);
        out->push_back(std::move(match));
        return true;
      });
  if (!st.is_ok()) return st;
  return bad;
}

Status StoredOrders::scan_timers(int64_t from_ms, int64_t until_ms, const TimerFn& fn,
                                 std::optional<int64_t>* next_due_ms) const {
  next_due_ms->reset();
  if (until_ms <= from_ms) return Status::ok();
  std::shared_lock lock(mutex_);
  if (store_ == nullptr) return closed();
  const std::string from_key = timer_key_bytes(from_ms < 0 ? 0 : from_ms, "");
  Status bad;
  Status st =
      store_->read_range(kTimersTable, from_key, [&](std::string_view key, std::string_view value) {
        const int64_t due = timer_key_due_ms(key);
        if (due >= until_ms) {
          *next_due_ms = due;
          return false;
        }
        core::OrderKey order;
        if (!parse_order_key(value, &order)) {
          bad = Status::corruption("a stored timer's order key is not one");
          return false;
        }
        fn(due, std::move(order));
        return true;
      });
  if (!st.is_ok()) return st;
  return bad;
}

Status StoredOrders::ledger_payment(const std::string& payment_no, core::LedgerPayment* out) const {
  std::string bytes;
  {
    std::shared_lock lock(mutex_);
    if (store_ == nullptr) return closed();
    if (!storable(*store_, payment_no)) return absent();
    Status st = store_->read(kLedgerPaymentsTable, payment_no, &bytes);
    if (!st.is_ok()) return st;
  }
  v1::LedgerPaymentRecord r;
  if (!r.ParseFromString(bytes) || r.status() < 0 || r.status() > 4) {
    return Status::corruption("the ledger row of payment " + payment_no + " does not parse");
  }
  out->payment.merchant_id = r.merchant_id();
  out->payment.merchant_order_no = r.merchant_order_no();
  out->payment.payment_no = payment_no;
  out->payment.status = static_cast<core::PlatformPayment::Status>(r.status());
  out->payment.amount_minor = r.amount();
  out->payment.currency = r.currency();
  out->payment.refunds.clear();
  for (const auto& x : r.refunds()) {
    if (x.status() < 0 || x.status() > 2) {
      return Status::corruption("a refund in the ledger row of " + payment_no + " is not one");
    }
    out->payment.refunds.push_back(
        {x.refund_no(), x.amount(), static_cast<core::PlatformRefund::Status>(x.status())});
  }
  out->channel = r.channel();
  out->paid_ms = r.paid_ms();
  return Status::ok();
}

Status StoredOrders::scan_ledger_days(const std::string& merchant_id, const std::string& channel,
                                      int64_t from_ms, int64_t until_ms,
                                      const LedgerDayFn& fn) const {
  if (until_ms <= from_ms) return Status::ok();
  std::shared_lock lock(mutex_);
  if (store_ == nullptr) return closed();
  const std::string prefix = ledger_day_prefix(merchant_id, channel);
  const std::string from_key = prefix + timer_key_bytes(from_ms < 0 ? 0 : from_ms, "");
  Status bad;
  core::PlatformSuccess success;
  core::PlatformDayRefund refund;
  success.merchant_id = refund.merchant_id = merchant_id;
  Status st = store_->read_range(
      kLedgerDaysTable, from_key, [&](std::string_view key, std::string_view value) {
        if (!key.starts_with(prefix)) return false;
        LedgerDayKey k;
        v1::LedgerDayRecord r;
        if (!parse_ledger_day_key(key.substr(prefix.size()), &k) ||
            !r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = Status::corruption("a ledger day row does not parse");
          return false;
        }
        if (k.time_ms >= until_ms) return false;
        if (k.kind == 'P') {
          success.merchant_order_no = r.merchant_order_no();
          success.payment_no = std::move(k.payment_no);
          success.amount_minor = r.amount();
          success.currency = r.currency();
          fn(&success, nullptr);
        } else {
          refund.merchant_order_no = r.merchant_order_no();
          refund.payment_no = std::move(k.payment_no);
          refund.refund_no = std::move(k.refund_no);
          refund.amount_minor = r.amount();
          fn(nullptr, &refund);
        }
        return true;
      });
  if (!st.is_ok()) return st;
  return bad;
}

}  // namespace oncepay::storage
