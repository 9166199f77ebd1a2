// The LMDB layout of a durable engine's snapshot (docs/DURABILITY.md,
// "Snapshot tables"): the table names and the key encodings, shared by the
// checkpointer (durability.cpp), on-demand loading (stored_orders.cpp) and
// the recovery bench, so that all of them read and write the same bytes.
//
// Contract: pure functions and constants, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/order_key.hpp"
#include "core/order_state.hpp"

namespace oncepay::storage {

inline constexpr const char* kOrdersTable = "orders";
inline constexpr const char* kPaymentsTable = "payments";
inline constexpr const char* kMerchantsTable = "merchants";
inline constexpr const char* kTimersTable = "timers";
// Merchants' channel accounts: key channel_account_key_bytes(), value
// v1::ChannelAccountSet (the latest record of that merchant and channel).
inline constexpr const char* kChannelAccountsTable = "channel_accounts";
// Every open review item of every stored order (GET /admin/review), so that
// recovery can list them without loading the orders: key review_key_bytes(),
// value v1::ReviewSnapshot. Written by checkpoints like `timers`.
inline constexpr const char* kReviewsTable = "reviews";
// `layout` holds one key, `version`: "2" once `timers` holds every armed
// timer of every stored order (attempts, refunds, webhooks), which lazy
// recovery relies on. A store without it (layout 1: attempt timers only) is
// migrated once at startup (Durability::recover).
inline constexpr const char* kLayoutTable = "layout";
inline constexpr const char* kLayoutVersionKey = "version";
inline constexpr const char* kLayoutVersion = "4";
// Layout 3 adds the reconciliation ledger (`recon_payments`, `recon_days`);
// a layout-2 store gets them rebuilt from its orders once at startup.
// Layout 4 adds `channel_trades`; a layout 1-3 store gets its rows rebuilt
// from its orders once at startup (with the other tables it lacks).
// `layout` also holds `shards`: the shard count the data dir was created
// with (decimal ASCII). It is part of every payment_no
// (actors/shard_router.hpp), so an engine configured with another count
// refuses to start; a store without the key adopts the configured count at
// its first start (Durability::recover).
inline constexpr const char* kLayoutShardsKey = "shards";

// The reconciliation ledger (core/recon_ledger.hpp), rows derived from
// every stored order by the checkpoint:
// `recon_payments`: key payment_no, value v1::LedgerPaymentRecord (every
// attempt, so a statement line finds any payment oncepay created);
// `recon_days`: key ledger_day_key(), value v1::LedgerDayRecord (every
// success and settled refund, by merchant, channel and business time).
inline constexpr const char* kLedgerPaymentsTable = "recon_payments";
inline constexpr const char* kLedgerDaysTable = "recon_days";

// The channels' own trade ids (WeChat Pay transaction_id, Alipay trade_no)
// of every stored attempt that has one, for the operators' search
// (GET /admin/orders?channel_trade_no=): key channel_trade_key_bytes(),
// value the order key. Written by checkpoints like `timers`: a trade no is
// usually learned after the attempt was first stored.
inline constexpr const char* kChannelTradesTable = "channel_trades";

// Every table above, for storage::SnapshotOptions::tables.
std::vector<std::string> snapshot_tables();

// `merchant_id` 0x1F `merchant_order_no` (0x1F is never part of an id).
std::string order_key_bytes(const std::string& merchant_id, const std::string& merchant_order_no);
// The inverse; false if `bytes` is not an order key.
bool parse_order_key(std::string_view bytes, core::OrderKey* out);

// `merchant_id` 0x1F `channel`.
std::string channel_account_key_bytes(const std::string& merchant_id, const std::string& channel);

// A timer key: `due_ms` as 8 bytes big-endian (keys sort by due time), then
// what makes it unique: an attempt's payment_no; for a refund the paid
// payment_no, 0x1F, 'R', refund_no; for a webhook the paid payment_no, 0x1F,
// 'W', event_id.
std::string timer_key_bytes(int64_t due_ms, const std::string& payment_no);
// The due time of a timer key (its first 8 bytes; 0 if shorter).
int64_t timer_key_due_ms(std::string_view key);
// The keys of every armed timer of the order (attempts, refunds, webhooks,
// the order's deadline), sorted.
std::vector<std::string> timer_keys(const core::OrderState& state);

// A review key: the order key, 0x1E, the item_id.
std::string review_key_bytes(const std::string& order_key, const std::string& item_id);
// The order of a review key; false if `bytes` is not one.
bool parse_review_key(std::string_view bytes, core::OrderKey* out);
// The keys of the order's open review items, sorted.
std::vector<std::string> review_keys(const core::OrderState& state);

// The longest channel_trade_no `channel_trades` indexes and the search
// accepts. WeChat Pay's transaction_id (docs/channels/PROTOCOLS.md A.3) is
// digits (28 in tests/channels/vectors; WXDOC query page 4013070356 gives
// string(32)); Alipay's trade_no (B.2, B.4) is up to 64 characters
// (alipay.trade.query response field: String(64)); the
// sandbox and oncepay-channel-sim make short ASCII ids. So 64 printable
// ASCII characters cover all of them.
inline constexpr size_t kMaxChannelTradeNoBytes = 64;
// True for 1..kMaxChannelTradeNoBytes printable ASCII characters without a
// space (0x21..0x7E): the trade nos `channel_trades` holds (an attempt with
// another one is not indexed, so its row key stays far below LMDB's
// 511-byte limit and the 0x1F separator cannot occur in it).
bool searchable_channel_trade_no(std::string_view channel_trade_no);
// `channel_trade_no` 0x1F `channel` 0x1F `payment_no`: one prefix scan of
// channel_trade_prefix() finds the number at every channel.
std::string channel_trade_key_bytes(const std::string& channel_trade_no, const std::string& channel,
                                    const std::string& payment_no);
// `channel_trade_no` 0x1F.
std::string channel_trade_prefix(const std::string& channel_trade_no);
// The channel and payment_no after the prefix; false if it is not a row key.
struct ChannelTradeKey {
  std::string channel;
  std::string payment_no;
};
bool parse_channel_trade_key(std::string_view after_prefix, ChannelTradeKey* out);
// The `channel_trades` keys of the order's attempts with a searchable
// channel_trade_no, sorted.
std::vector<std::string> channel_trade_keys(const core::OrderState& state);

// A row of the ledger tables.
struct LedgerRow {
  const char* table = nullptr;  // kLedgerPaymentsTable or kLedgerDaysTable
  std::string key;
  std::string value;
};
// The ledger rows of one order, sorted by (table, key).
std::vector<LedgerRow> ledger_rows(const core::OrderState& state);

// `merchant_id` 0x1F `channel` 0x1F, then the time as 8 bytes big-endian
// (unix ms; keys sort by time), then 'P' payment_no (a success) or 'R'
// payment_no 0x1F refund_no (a settled refund).
std::string ledger_day_prefix(const std::string& merchant_id, const std::string& channel);
std::string ledger_day_key(const std::string& merchant_id, const std::string& channel,
                           int64_t time_ms, char kind, const std::string& payment_no,
                           const std::string& refund_no);
struct LedgerDayKey {
  int64_t time_ms = 0;
  char kind = 0;  // 'P' | 'R'
  std::string payment_no;
  std::string refund_no;
};
// The part after ledger_day_prefix; false if it is not one.
bool parse_ledger_day_key(std::string_view after_prefix, LedgerDayKey* out);

}  // namespace oncepay::storage
