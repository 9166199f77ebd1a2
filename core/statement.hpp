// StatementLine and StatementSummary: one line of a channel's daily statement
// (对账单) and the statement's own totals, in the channel-neutral terms the
// reconciliation classifier (core/recon_decide.hpp) works on. The channel
// parsers (channels/wechatpay/tradebill.hpp, channels/alipay/trade_bill.hpp)
// produce them; the formats are in docs/channels/PROTOCOLS.md part C.
//
// Units
// - Money is int64 minor units (fen for CNY). A statement's fee is kept
//   exactly in thousandths of a minor unit (`fee_milli_minor`): WeChat prints
//   fees in yuan with 5 decimals (PROTOCOLS.md C.1, `0.01000`), and 1e-5 yuan
//   = 1/1000 fen. A fee is positive when the channel charged the merchant and
//   negative when it gave a fee back (Alipay refund rows).
// - Times: `time_text` is the statement's text; `time_ms` its unix ms when it
//   parsed as `yyyy-MM-dd HH:mm:ss` in China Standard Time (UTC+08:00, the
//   time both channels print), else -1.
// - `line` is the 1-based line of the file (the first line of the file is 1:
//   WeChat's header, Alipay's first `#` preamble line).
//
// Threads and ownership: plain values; the helpers are pure and may be called
// from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oncepay::core {

struct StatementLine {
  enum class Kind : uint8_t { kPayment, kRefund };
  Kind kind = Kind::kPayment;
  // Payments: the channel shows the trade paid (WeChat 交易状态 SUCCESS; every
  // Alipay 交易 row). Refunds: the refund went through (WeChat 退款状态
  // SUCCESS; every Alipay 退款 row). False: the line is listed but not settled
  // (e.g. WeChat REVOKED, or a refund still PROCESSING).
  bool settled = true;
  std::string payment_no;         // out_trade_no (商户订单号)
  std::string refund_no;          // out_refund_no / out_request_no; refunds only
  std::string channel_trade_no;   // 微信订单号 / 支付宝交易号
  std::string channel_refund_no;  // 微信退款单号; empty for Alipay
  std::string account_id;         // 商户号 / the preamble's 账号
  // Payments: the order amount (WeChat 订单金额, Alipay 订单金额（元）).
  // Refunds: the refund asked for (WeChat 申请退款金额, Alipay |订单金额（元）|),
  // always positive: what oncepay's own record of the refund holds.
  int64_t amount_minor = 0;
  // What the channel settles to the merchant (WeChat 应结订单金额 / 退款金额,
  // Alipay 商家实收（元）, sign as printed: Alipay refunds are negative).
  int64_t settled_amount_minor = 0;
  std::string currency;  // ISO 4217; "CNY" for Alipay (its bill has no column)
  std::string
      channel_status;  // the status text as printed (WeChat 交易状态/退款状态, Alipay 业务类型)
  int64_t fee_milli_minor = 0;
  std::string time_text;
  int64_t time_ms = -1;
  uint64_t line = 0;
};

// The statement's own totals (WeChat's summary row, Alipay's footer), already
// checked against the rows by the parser that produced it.
struct StatementSummary {
  uint64_t payment_lines = 0;
  uint64_t refund_lines = 0;
  int64_t payment_amount_minor = 0;  // sum of amount_minor over payment lines
  int64_t refund_amount_minor = 0;   // sum of amount_minor over refund lines
  int64_t fee_milli_minor = 0;       // sum of fee_milli_minor
  std::string account_id;
  uint64_t last_line = 0;  // the file's last line (its line count)
};

// A statement the parser refused: the 1-based line and why. Nothing from a
// refused statement may be applied (the caller discards every line it got).
struct StatementError {
  uint64_t line = 0;
  std::string reason;
};

// Exact decimal text to an integer scaled by 10^decimals: "0.01" with 2 -> 1,
// "-88.88" with 2 -> -8888, "0.01000" with 5 -> 1000, "45.0" with 0 -> 45
// (trailing zeros beyond `decimals` are accepted, other digits are not).
// False for anything else (empty, spaces, exponent, more than 15 whole
// digits, whole digits + decimals over 18: the value must fit int64). No
// floating point.
bool parse_decimal(std::string_view text, int decimals, int64_t* out);

// Appends value / 10^decimals as decimal text with exactly `decimals` digits
// after the point ("0.01"); the inverse of parse_decimal.
void append_decimal(std::string* out, int64_t value, int decimals);

// `yyyy-MM-dd HH:mm:ss` in UTC+08:00 to unix ms; nullopt when malformed.
std::optional<int64_t> parse_china_time_ms(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool valid_utf8(std::string_view text);

}  // namespace oncepay::core
