// The Alipay trade bill (业务明细): the zip that
// alipay.data.dataservice.bill.downloadurl.query points at, read as
// core::StatementLine values, and the writer of the same zip (the simulator
// serves it).
//
// Format (docs/channels/PROTOCOLS.md C.2; reconstructed from several
// independent third-party parsers, no official fixture; sample:
// tests/channels/vectors/generated_locally.json alipay_trade_bill_sample):
// - a zip holding `<account>_<yyyyMMdd>_业务明细.csv` and `…_业务明细(汇总).csv`;
//   entry names are GBK without the zip's UTF-8 flag. The detail entry is the
//   one whose name has 业务明细 and not 汇总.
// - the CSV is GBK. `#` lines first (the preamble: title, `#账号：[…]`, dates,
//   `#-----…业务明细列表-----`), then the 25-column header (full-width
//   parentheses, kTradeBillColumns), then rows whose id fields end with a TAB
//   (stripped here), then `#` footer lines: `#交易合计：N笔，商家实收共X元，商家优惠共Y元`
//   and `#退款合计：M笔，商家实收退款共-Z元，商家优惠退款共W元`, both required and
//   checked against the rows.
// - 业务类型 交易 rows are payments, 退款 rows refunds with negative amounts;
//   refund_no is 退款批次号/请求号 (= out_request_no; when empty, Alipay's
//   default out_request_no, the out_trade_no). Amounts are yuan, 2 decimals.
//   The fee is 服务费 negated (the bill prints a charged fee as negative).
//   Every line's account_id is the preamble's 账号; currency is CNY.
// - Line numbers count every line of the CSV, preamble included (line 1 is
//   `#支付宝业务明细查询`).
//
// Threads and ownership
// - TradeBillParser (UTF-8 text, streaming) belongs to one thread; on_line
//   runs inside feed()/finish() with a line valid only during the call.
// - A zip needs random access (its central directory is at the end), so the
//   upload or download is either held in memory (parse_trade_bill_zip) or
//   spooled to a temp file (parse_trade_bill_zip_file). Decompression, GBK to
//   UTF-8 (iconv) and parsing then stream in 64 KiB chunks: memory is the
//   zip (in-memory variant only) plus O(one chunk + the longest line).
//
// Failure modes: every function returns false with a core::StatementError
// (1-based line, reason): not a zip / no 业务明细 entry (line 0), invalid GBK,
// no header or a wrong one, wrong column count, bad amount (or one, or a
// total, past int64 in its unit: the fee in thousandths of a fen), an unknown
// 业务类型, a missing footer (truncated), footer totals that differ from the
// rows, rows after the footer. A refused bill applies nothing.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/statement.hpp"

namespace oncepay::channels::alipay {

inline constexpr size_t kTradeBillColumnCount = 25;
inline constexpr std::array<std::string_view, kTradeBillColumnCount> kTradeBillColumns = {
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注"};

class TradeBillParser {
 public:
  using LineFn = std::function<void(const core::StatementLine&)>;
  explicit TradeBillParser(LineFn on_line);
  ~TradeBillParser();
  TradeBillParser(const TradeBillParser&) = delete;
  TradeBillParser& operator=(const TradeBillParser&) = delete;

  bool feed(std::string_view utf8_chunk);
  bool finish(core::StatementSummary* summary);
  const core::StatementError& error() const;
  uint64_t lines_seen() const;  // whole lines so far (for errors found outside the parser)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// GBK -> UTF-8 in chunks (glibc iconv); a character split between chunks is
// carried over. False on bytes that are not GBK (or a cut character at end()).
class GbkDecoder {
 public:
  GbkDecoder();
  ~GbkDecoder();
  GbkDecoder(const GbkDecoder&) = delete;
  GbkDecoder& operator=(const GbkDecoder&) = delete;
  bool decode(std::string_view gbk, std::string* utf8_out);  // appends
  bool end() const { return carry_.empty(); }

 private:
  void* cd_;
  std::string carry_;
};

// The whole text (UTF-8) of a 业务明细 CSV, in memory.
bool parse_trade_bill_text(std::string_view utf8, const TradeBillParser::LineFn& on_line,
                           core::StatementSummary* summary, core::StatementError* error);

// The downloaded or uploaded zip, held in memory.
bool parse_trade_bill_zip(std::string_view zip, const TradeBillParser::LineFn& on_line,
                          core::StatementSummary* summary, core::StatementError* error);

// The same from a zip file on disk (an upload spooled to a temp file): only
// the central directory and one 64 KiB chunk at a time are in memory.
bool parse_trade_bill_zip_file(const std::string& path, const TradeBillParser::LineFn& on_line,
                               core::StatementSummary* summary, core::StatementError* error);

// What the writer needs besides the lines.
struct TradeBillHeader {
  std::string account_id;  // 账号 (the Alipay pid + 0156 in real files)
  std::string date;        // yyyy-MM-dd, the business day
};

// The UTF-8 text of the 业务明细 CSV for `lines` (payments with amount_minor /
// settled_amount_minor; refunds with amount_minor positive, printed negative,
// and settled_amount_minor as the parser reports it: negative). fee_milli_minor
// must be whole fen (a multiple of 1000).
std::string write_trade_bill_text(const TradeBillHeader& header,
                                  const std::vector<core::StatementLine>& lines);

// The zip as Alipay serves it: the detail CSV and a 汇总 CSV, both GBK, with
// GBK entry names. False (and *error set) when the text does not convert to GBK.
bool write_trade_bill_zip(const TradeBillHeader& header,
                          const std::vector<core::StatementLine>& lines, std::string* zip,
                          std::string* error);

}  // namespace oncepay::channels::alipay
