// The simulator's daily statements: what it settled on one business day
// (SettledEntry values from SimServer's ledger) written in each channel's
// file format, with the protocol parts' writers:
// - WeChat Pay trade bill, type ALL (channels/wechatpay/tradebill.hpp;
//   docs/channels/PROTOCOLS.md C.1): served by the wechatpay-v3 front and,
//   in the same layout, by the oncepay front;
// - Alipay 业务明细 zip of GBK CSVs (channels/alipay/trade_bill.hpp; C.2).
// Amounts are int64 fen; times print in UTC+8.
//
// Threads and ownership: pure functions over their arguments, any thread.
//
// Failure modes: the WeChat writer cannot fail; the Alipay one returns false
// with *error when the text does not convert to GBK (a subject cannot reach
// it: statements carry ids and amounts only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "apps/sim_front.hpp"
#include "channels/wechatpay/statements.hpp"

namespace oncepay::apps {

// The ALL bill: header, one row per entry, summary. 商户号 is `mchid`.
std::string wechat_tradebill(const std::vector<SettledEntry>& entries, std::string_view appid,
                             std::string_view mchid);

// The 业务明细 zip for `day` of account `account_id`.
bool alipay_trade_bill_zip(const std::vector<SettledEntry>& entries, std::string_view account_id,
                           std::string_view day, std::string* zip, std::string* error);

// Lower-hex SHA-1 of `bytes` (the tradebill answer's hash_value, C.1 / A.1).
using channels::wechatpay::sha1_hex;

// `n` random characters of [0-9A-Za-z] from OpenSSL's CSPRNG (nonces, bill
// download tokens). Thread-safe.
std::string random_alnum(size_t n);

}  // namespace oncepay::apps
