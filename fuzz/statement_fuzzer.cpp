// libFuzzer target: the two daily-statement parsers on hostile files
// (issue 13): channels/wechatpay/tradebill (streaming CSV) and
// channels/alipay/trade_bill (zip -> GBK -> CSV). Formats:
// docs/channels/PROTOCOLS.md C.1 and C.2.
//
// Input: byte 0 picks the format and the chunk size, the rest is the file.
// - byte0 % 3 == 0: a WeChat ALL bill (parse_tradebill, and TradebillParser
//   fed in chunks of 1 + byte0 / 3 bytes);
// - byte0 % 3 == 1: an Alipay zip (parse_trade_bill_zip);
// - byte0 % 3 == 2: the Alipay detail CSV as UTF-8 text (parse_trade_bill_text,
//   and TradeBillParser fed in chunks of 1 + byte0 / 3 bytes), which reaches
//   the CSV parser without the zip and GBK layers in the way.
//
// Properties asserted (a failure aborts and libFuzzer keeps the input):
// - a refusal names a line and a non-empty reason; for CSV text the line is
//   1-based and at most the file's line count + 1 (the +1 is the line that
//   should have come: "truncated", "empty file"); a zip refused as a whole
//   says line 0;
// - an accepted statement's summary equals its lines: payment and refund
//   counts, the amounts summed per kind, the fees; every line's number is
//   within 1..summary.last_line and increasing; refund lines have a
//   refund_no, every line a payment_no;
// - the chunked parse gives exactly what the one-chunk parse gives (result,
//   lines with their numbers, summary or error).
// UBSan and ASan catch the rest (signed overflow in the sums included).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "channels/alipay/trade_bill.hpp"
#include "channels/wechatpay/tradebill.hpp"
#include "core/statement.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using oncepay::core::StatementError;
using oncepay::core::StatementLine;
using oncepay::core::StatementSummary;

struct Outcome {
  bool ok = false;
  std::vector<StatementLine> lines;
  StatementSummary summary;
  StatementError error;
};

// Lines as libcsv ends them (CSV_REPALL_NL): LF, CR, CRLF; a last line
// without an end counts too.
uint64_t line_count(std::string_view text) {
  uint64_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++n;
    }
  }
  if (!text.empty() && text.back() != '\n' && text.back() != '\r') ++n;
  return n;
}

std::string describe(const Outcome& o) {
  return (o.ok ? "ok, lines " : "refused at line ") +
         std::to_string(o.ok ? o.lines.size() : o.error.line) + ": " + o.error.reason;
}

// The summary equals the lines; lines are numbered within the file.
void check_accepted(const Outcome& o) {
  uint64_t payments = 0, refunds = 0, previous_line = 0;
  __int128 payment_amount = 0, refund_amount = 0, fee = 0;
  for (const StatementLine& l : o.lines) {
    FUZZ_CHECK(l.line > previous_line && l.line <= o.summary.last_line, describe(o));
    FUZZ_CHECK(!l.payment_no.empty(), describe(o));
    previous_line = l.line;
    fee += l.fee_milli_minor;
    if (l.kind == StatementLine::Kind::kRefund) {
      FUZZ_CHECK(!l.refund_no.empty(), describe(o));
      ++refunds;
      refund_amount += l.amount_minor;
    } else {
      ++payments;
      payment_amount += l.amount_minor;
    }
  }
  FUZZ_CHECK(payments == o.summary.payment_lines, describe(o));
  FUZZ_CHECK(refunds == o.summary.refund_lines, describe(o));
  FUZZ_CHECK(payment_amount == o.summary.payment_amount_minor, describe(o));
  FUZZ_CHECK(refund_amount == o.summary.refund_amount_minor, describe(o));
  FUZZ_CHECK(fee == o.summary.fee_milli_minor, describe(o));
}

void check_outcome(const Outcome& o, uint64_t max_line) {
  if (o.ok) {
    check_accepted(o);
    FUZZ_CHECK(o.summary.last_line <= max_line, describe(o));
    return;
  }
  FUZZ_CHECK(!o.error.reason.empty(), describe(o));
  FUZZ_CHECK(o.error.line <= max_line + 1, describe(o));
}

bool same_lines(const std::vector<StatementLine>& a, const std::vector<StatementLine>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const StatementLine& x = a[i];
    const StatementLine& y = b[i];
    if (x.line != y.line || x.kind != y.kind || x.payment_no != y.payment_no ||
        x.refund_no != y.refund_no || x.amount_minor != y.amount_minor ||
        x.settled_amount_minor != y.settled_amount_minor ||
        x.fee_milli_minor != y.fee_milli_minor || x.time_text != y.time_text) {
      return false;
    }
  }
  return true;
}

void check_same(const Outcome& whole, const Outcome& chunked) {
  FUZZ_CHECK(whole.ok == chunked.ok, describe(whole) + " / chunked: " + describe(chunked));
  if (whole.ok) {
    FUZZ_CHECK(same_lines(whole.lines, chunked.lines), describe(whole));
    FUZZ_CHECK(whole.summary.last_line == chunked.summary.last_line, describe(whole));
  } else {
    FUZZ_CHECK(whole.error.line == chunked.error.line,
               describe(whole) + " / chunked: " + describe(chunked));
  }
}

template <typename Parser>
Outcome parse_chunked(std::string_view file, size_t chunk) {
  Outcome o;
  Parser parser([&](const StatementLine& l) { o.lines.push_back(l); });
  bool ok = true;
  for (size_t at = 0; ok && at < file.size(); at += chunk) ok = parser.feed(file.substr(at, chunk));
  o.ok = ok && parser.finish(&o.summary);
  if (!o.ok) o.error = parser.error();
  return o;
}

template <typename ParseWhole>
Outcome parse_whole(std::string_view file, ParseWhole parse) {
  Outcome o;
  o.ok = parse(
      file, [&](const StatementLine& l) { o.lines.push_back(l); }, &o.summary, &o.error);
  return o;
}

void fuzz_wechat(std::string_view file, size_t chunk) {
  const Outcome whole = parse_whole(file, oncepay::channels::wechatpay::parse_tradebill);
  check_outcome(whole, line_count(file));
  check_same(whole, parse_chunked<oncepay::channels::wechatpay::TradebillParser>(file, chunk));
}

void fuzz_alipay_text(std::string_view file, size_t chunk) {
  const Outcome whole = parse_whole(file, oncepay::channels::alipay::parse_trade_bill_text);
  check_outcome(whole, line_count(file));
  check_same(whole, parse_chunked<oncepay::channels::alipay::TradeBillParser>(file, chunk));
}

void fuzz_alipay_zip(std::string_view zip) {
  const Outcome o = parse_whole(zip, oncepay::channels::alipay::parse_trade_bill_zip);
  if (o.ok) {
    check_accepted(o);
  } else {
    FUZZ_CHECK(!o.error.reason.empty(), describe(o));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t chunk = 1 + mode / 3;
  switch (mode % 3) {
    case 0:
      fuzz_wechat(file, chunk);
      break;
    case 1:
      fuzz_alipay_zip(file);
      break;
    default:
      fuzz_alipay_text(file, chunk);
      break;
  }
  return 0;
}
