// The WeChat Pay trade bill (交易账单), type ALL: a streaming parser that turns
// the CSV into core::StatementLine values, and the writer of the same format
// (the sandbox and the simulator serve their statements in it, the benchmark
// generates large ones with it).
//
// Format (docs/channels/PROTOCOLS.md C.1; the official PHP SDK's
// tests/fixtures/bill.ALL.csv, tests/channels/vectors/wechatpay_tradebill_sample.json):
// UTF-8, optional BOM, CRLF or LF. Line 1 is the header of 27 columns
// (kTradebillColumns). Then one detail row per trade or refund, every field
// prefixed with a backquote '`'. Then the summary header (7 columns,
// kTradebillSummaryColumns) and one summary row, also backquoted. Amounts are
// yuan with up to 2 decimals; the fee (手续费) has up to 5; the summary's count
// prints as `45.0`. Every amount is parsed exactly (core::parse_decimal).
// 交易状态 SUCCESS rows are payments (amount 订单金额); REFUND rows are refunds
// (amount 申请退款金额, refund_no 商户退款单号, settled when 退款状态 is SUCCESS).
// Other 交易状态 values (REVOKED, ...) are payments with settled = false.
//
// Threads and ownership
// - A TradebillParser belongs to one thread. The on_line callback runs inside
//   feed()/finish() with a line that is valid only during the call (the parser
//   reuses it: no per-line allocation once warm). The callback must not call
//   back into the parser.
// - Memory is O(longest line), whatever the file size: feed it chunks as they
//   arrive (an upload of recon.max-statement-bytes is never held whole).
//
// Failure modes
// - feed()/finish() return false on the first error and keep returning false;
//   error() names the 1-based file line (header = 1) and the reason: wrong
//   header, wrong column count, a field without its backquote, a bad amount
//   (or one, or a column total, that does not fit an int64 in its unit),
//   invalid UTF-8, data after the summary, a file that ends before its summary
//   (truncated), and a summary that does not equal the rows' counts and sums.
//   Lines delivered before an error must be discarded by the caller: a refused
//   statement applies nothing.
// - Whether 商户号 (account_id) is the expected account is the caller's check
//   (the summary's account_id is the first row's; rows of another account are
//   an error here, a bill covers one account).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/statement.hpp"

namespace oncepay::channels::wechatpay {

inline constexpr size_t kTradebillColumnCount = 27;
inline constexpr std::array<std::string_view, kTradebillColumnCount> kTradebillColumns = {
    "交易时间",     "公众账号ID",   "商户号",       "特约商户号",   "设备号",   "微信订单号",
    "商户订单号",   "用户标识",     "交易类型",     "交易状态",     "付款银行", "货币种类",
    "应结订单金额", "代金券金额",   "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额",
    "退款类型",     "退款状态",     "商品名称",     "商户数据包",   "手续费",   "费率",
    "订单金额",     "申请退款金额", "费率备注"};
inline constexpr size_t kTradebillSummaryColumnCount = 7;
inline constexpr std::array<std::string_view, kTradebillSummaryColumnCount>
    kTradebillSummaryColumns = {"总交易单数",       "应结订单总金额", "退款总金额",
                                "充值券退款总金额", "手续费总金额",   "订单总金额",
                                "申请退款总金额"};

class TradebillParser {
 public:
  using LineFn = std::function<void(const core::StatementLine&)>;
  explicit TradebillParser(LineFn on_line);
  ~TradebillParser();
  TradebillParser(const TradebillParser&) = delete;
  TradebillParser& operator=(const TradebillParser&) = delete;

  // Parses the next bytes of the file (any split, even inside a character).
  bool feed(std::string_view chunk);
  // The end of the file: checks that the summary came and adds up, and fills
  // *summary. Call once, after the last feed().
  bool finish(core::StatementSummary* summary);
  const core::StatementError& error() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Parses a whole file held in memory (tests, small uploads).
bool parse_tradebill(std::string_view file, const TradebillParser::LineFn& on_line,
                     core::StatementSummary* summary, core::StatementError* error);

// Writes the ALL format: header() once, row() per line, summary() at the end.
// Each appends to *out, so a large file may be flushed between calls.
// Payment lines write 交易状态 SUCCESS (or channel_status when not settled);
// refund lines REFUND with 退款状态 SUCCESS (or PROCESSING when not settled).
// Amounts are written with 2 decimals (amount_minor as 订单金额 / 申请退款金额,
// settled_amount_minor as 应结订单金额 / 退款金额), fees with 5, so
// fee_milli_minor is kept exactly.
class TradebillWriter {
 public:
  explicit TradebillWriter(std::string appid) : appid_(std::move(appid)) {}
  void header(std::string* out) const;  // with a UTF-8 BOM, like the official file
  void row(const core::StatementLine& line, std::string* out);
  void summary(std::string* out) const;

 private:
  std::string appid_;
  uint64_t lines_ = 0;
  int64_t settled_total_minor_ = 0;
  int64_t refund_total_minor_ = 0;
  int64_t fee_total_milli_minor_ = 0;
  int64_t order_total_minor_ = 0;
  int64_t refund_asked_total_minor_ = 0;
};

}  // namespace oncepay::channels::wechatpay
