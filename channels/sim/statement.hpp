// What a wallet channel built on ChannelModel settled, day by day: the
// ledger the HTTP simulator (apps/sim_server) and the built-in sandbox keep
// for their daily statements, and the statement itself in WeChat Pay's
// trade bill ALL layout (channels/wechatpay/tradebill.hpp,
// docs/channels/PROTOCOLS.md C.1), which both serve.
//
// A payment is settled when it first reaches SUCCESS (or REFUND); a refund
// when its refund_no first appears; a reversal's full refund (no refund_no)
// under the payment_no, as Alipay's default out_request_no (C.2). Each entry
// keeps the payment's merchant_id (ChannelPayment::merchant_id). Amounts are
// int64 minor units; the business day is the date in UTC+8 (C.1 交易时间),
// as both real channels print it. The statement writes 商户号 = the account
// id asked for, 订单金额 = 应结订单金额 = the amount, no fee (the wallet
// charges none), 退款状态 SUCCESS.
//
// Threads and ownership: a SettlementLedger belongs to its owner, who
// serializes calls with the model's own lock. The functions are pure.
//
// Failure modes: none; the ledger grows with the model, which bounds its
// payments (and each payment's refunds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/sim/channel_model.hpp"
#include "core/statement.hpp"

namespace oncepay::channels::sim {

// One payment or refund the channel settled: a row of its daily statement.
struct SettledEntry {
  bool refund = false;
  std::string payment_no;
  std::string refund_no;  // refunds; a reversal's refund uses the payment_no
  std::string channel_trade_no;
  std::string channel_refund_no;  // refunds
  int64_t amount_minor = 0;       // the payment's amount, or the refund's; > 0
  std::string currency;
  int64_t time_ms = 0;      // when the channel settled it (unix ms)
  std::string merchant_id;  // the payment's; "" when its prepay named none
};

class SettlementLedger {
 public:
  // Records what changed between `before` and `after` of one payment (the
  // model's get() around one call).
  void record(const std::optional<ChannelPayment>& before,
              const std::optional<ChannelPayment>& after);
  // The entries of business day `day` ("yyyy-MM-dd", UTC+8) in the order
  // they were settled; only `merchant_id`'s unless it is empty (then all).
  std::vector<SettledEntry> settled_on(std::string_view day, std::string_view merchant_id) const;

 private:
  std::vector<SettledEntry> entries_;
};

// One settled entry as a statement line of account `account_id` (WeChat's
// layout: SUCCESS / REFUND; the Alipay writer adjusts sign and status).
core::StatementLine statement_line(const SettledEntry& entry, std::string_view account_id);

// Unix ms -> "yyyy-MM-dd" in UTC+8 (unix_ms >= 0).
std::string china_day(int64_t unix_ms);

// The ALL bill of `entries`: header, one row each, summary. 公众账号ID is
// `appid`, 商户号 `account_id`; times print in UTC+8.
std::string wechat_statement(const std::vector<SettledEntry>& entries, std::string_view appid,
                             std::string_view account_id);

}  // namespace oncepay::channels::sim
