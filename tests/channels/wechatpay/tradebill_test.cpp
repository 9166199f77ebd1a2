// The WeChat trade bill parser against the official sample (the PHP SDK's
// bill.ALL.csv) and tampered copies of it, one per error class; the writer's
// output read back.
#include "channels/wechatpay/tradebill.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <vector>

namespace oncepay::channels::wechatpay {
namespace {

using core::StatementLine;

std::string sample() {
  std::ifstream in(ONCEPAY_VECTORS_DIR "/wechatpay_tradebill_sample.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = boost::json::parse(ss.str()).as_object();
  return std::string(doc.at("content_utf8").as_string());
}

struct Result {
  bool ok = false;
  std::vector<StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
};

Result parse(std::string_view file, size_t chunk = 0) {
  Result r;
  TradebillParser parser([&](const StatementLine& l) { r.lines.push_back(l); });
  bool ok = true;
  if (chunk == 0) chunk = file.size() + 1;
  for (size_t at = 0; ok && at < file.size(); at += chunk) ok = parser.feed(file.substr(at, chunk));
  ok = ok && parser.finish(&r.summary);
  if (!ok) r.error = parser.error();
  r.ok = ok;
  return r;
}

// Replaces the first occurrence of `from` after `after` with `to`.
std::string replaced(std::string s, std::string_view from, std::string_view to,
                     std::string_view after = "") {
  const size_t start = after.empty() ? 0 : s.find(after);
  const size_t at = s.find(from, start);
  EXPECT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  return s;
}

TEST(TradebillTest, OfficialSampleParsesWithItsSummary) {
  Result r = parse(sample());
  ASSERT_TRUE(r.ok) << r.error.reason;
  ASSERT_EQ(r.lines.size(), 45u);
  EXPECT_EQ(r.summary.payment_lines, 31u);
  EXPECT_EQ(r.summary.refund_lines, 14u);
  EXPECT_EQ(r.summary.payment_amount_minor, 47);
  EXPECT_EQ(r.summary.refund_amount_minor, 14);
  EXPECT_EQ(r.summary.fee_milli_minor, 8000);  // 0.08 yuan = 8 fen = 8000 milli-fen
  EXPECT_EQ(r.summary.account_id, "1921000401");
  EXPECT_EQ(r.summary.last_line, 48u);
}

TEST(TradebillTest, OfficialSampleFirstRowsAreARefundAndAPayment) {
  Result r = parse(sample());
  ASSERT_TRUE(r.ok) << r.error.reason;
  const StatementLine& refund = r.lines[0];
  EXPECT_EQ(refund.kind, StatementLine::Kind::kRefund);
  EXPECT_TRUE(refund.settled);
  EXPECT_EQ(refund.line, 2u);
  EXPECT_EQ(refund.payment_no, "autotest_20190216081946_82335");
  EXPECT_EQ(refund.refund_no, "REF4200000263201902167700963919");
  EXPECT_EQ(refund.channel_refund_no, "50000709672019011908420787722");
  EXPECT_EQ(refund.amount_minor, 1);
  EXPECT_EQ(refund.currency, "CNY");
  const StatementLine& pay = r.lines[2];
  EXPECT_EQ(pay.kind, StatementLine::Kind::kPayment);
  EXPECT_EQ(pay.line, 4u);
  EXPECT_EQ(pay.payment_no, "autotest_20190219015232_89201");
  EXPECT_EQ(pay.channel_trade_no, "4200000263201902167700134902");
  EXPECT_EQ(pay.amount_minor, 3);
  EXPECT_EQ(pay.fee_milli_minor, 1000);  // 0.01000 yuan
  EXPECT_EQ(pay.time_text, "2019-02-19 01:52:32");
  EXPECT_EQ(pay.time_ms, 1550512352000);  // 2019-02-18T17:52:32Z
}

TEST(TradebillTest, ChunkBoundariesAnywhereGiveTheSameLines) {
  const std::string file = sample();
  Result whole = parse(file);
  for (size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    Result r = parse(file, chunk);
    ASSERT_TRUE(r.ok) << chunk << ": " << r.error.reason;
    ASSERT_EQ(r.lines.size(), whole.lines.size());
    EXPECT_EQ(r.lines[44].payment_no, whole.lines[44].payment_no);
    EXPECT_EQ(r.lines[44].line, 46u);
  }
}

TEST(TradebillTest, LineFeedsWithoutBomParseToo) {
  std::string file = sample().substr(3);
  std::string lf;
  for (char c : file) {
    if (c != '\r') lf.push_back(c);
  }
  Result r = parse(lf);
  ASSERT_TRUE(r.ok) << r.error.reason;
  EXPECT_EQ(r.lines.size(), 45u);
  EXPECT_EQ(r.lines[44].line, 46u);
}

TEST(TradebillTest, WrongHeaderIsLineOne) {
  Result r = parse(replaced(sample(), "商户订单号", "订单号"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 1u);
  EXPECT_NE(r.error.reason.find("line 1:"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, BadAmountNamesItsLine) {
  Result r = parse(replaced(sample(), "`0.03,`0.00,`0,", "`0.0x3,`0.00,`0,"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 4u);
  EXPECT_NE(r.error.reason.find("bad amount in 应结订单金额"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, AmountWithThreeDecimalsIsRefused) {
  Result r = parse(replaced(sample(), "`0.03,`0.00,`0,", "`0.031,`0.00,`0,"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 4u);
}

TEST(TradebillTest, WrongColumnCountNamesItsLine) {
  Result r = parse(replaced(sample(), "`JSAPI,", "`JSAPI,`extra,", "`2019-02-19 05:01:46"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 2u);
  EXPECT_NE(r.error.reason.find("28 columns"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, FieldWithoutBackquoteIsRefused) {
  Result r = parse(replaced(sample(), "`wxab8acd895ab1638a", "wxab8acd895ab1638a"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 2u);
}

TEST(TradebillTest, TruncatedFileWithoutSummaryIsRefused) {
  const std::string file = sample();
  Result r = parse(file.substr(0, file.find("总交易单数")));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 47u);
  EXPECT_NE(r.error.reason.find("truncated"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, CutInsideARowIsRefused) {
  const std::string file = sample();
  Result r = parse(file.substr(0, file.find("`JSAPI", 2000)));
  ASSERT_FALSE(r.ok);
}

TEST(TradebillTest, SummaryThatDoesNotAddUpIsRefused) {
  Result r = parse(replaced(sample(), "`45.0,`0.47", "`45.0,`0.48"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 48u);
  EXPECT_NE(r.error.reason.find("应结订单总金额"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, SummaryCountThatDoesNotAddUpIsRefused) {
  Result r = parse(replaced(sample(), "`45.0,", "`44.0,", "总交易单数"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 48u);
}

TEST(TradebillTest, InvalidUtf8IsRefused) {
  Result r = parse(replaced(sample(), "系统拨测", "\xC3\x28"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 2u);
  EXPECT_NE(r.error.reason.find("UTF-8"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, DataAfterSummaryIsRefused) {
  Result r = parse(sample() + "`1,`2\r\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 49u);
}

TEST(TradebillTest, AnotherAccountInTheSameBillIsRefused) {
  Result r = parse(replaced(sample(), "`1921000401", "`1921000402", "`NATIVE"));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.reason.find("商户号"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, EmptyFileIsRefused) {
  Result r = parse("");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 1u);
}

TEST(TradebillTest, WriterOutputReadsBack) {
  TradebillWriter writer("wxapp");
  std::string out;
  writer.header(&out);
  StatementLine pay;
  pay.payment_no = "P1";
  pay.channel_trade_no = "T1";
  pay.account_id = "demo";
  pay.amount_minor = 1999;
  pay.settled_amount_minor = 1999;
  pay.currency = "CNY";
  pay.fee_milli_minor = 11994;
  pay.time_text = "2026-11-30 10:00:00";
  writer.row(pay, &out);
  StatementLine refund = pay;
  refund.kind = StatementLine::Kind::kRefund;
  refund.refund_no = "R1";
  refund.channel_refund_no = "CR1";
  refund.amount_minor = 500;
  refund.settled_amount_minor = 500;
  refund.fee_milli_minor = -3000;
  writer.row(refund, &out);
  writer.summary(&out);
  Result r = parse(out);
  ASSERT_TRUE(r.ok) << r.error.reason;
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0].payment_no, "P1");
  EXPECT_EQ(r.lines[0].amount_minor, 1999);
  EXPECT_EQ(r.lines[0].fee_milli_minor, 11994);
  EXPECT_EQ(r.lines[1].kind, StatementLine::Kind::kRefund);
  EXPECT_EQ(r.lines[1].refund_no, "R1");
  EXPECT_EQ(r.lines[1].amount_minor, 500);
  EXPECT_EQ(r.summary.account_id, "demo");
  EXPECT_EQ(r.summary.fee_milli_minor, 8994);
}

TEST(TradebillTest, LargeWrittenBillStreamsInOddChunksWithExactLineNumbers) {
  TradebillWriter writer("wxapp");
  std::string out;
  writer.header(&out);
  StatementLine l;
  l.account_id = "demo";
  l.currency = "CNY";
  l.time_text = "2026-11-30 10:00:00";
  constexpr int kRows = 20'000;
  for (int i = 0; i < kRows; ++i) {
    l.kind = i % 7 == 0 ? StatementLine::Kind::kRefund : StatementLine::Kind::kPayment;
    l.payment_no = std::to_string(i);
    l.refund_no = l.payment_no;
    l.refund_no.push_back('r');
    l.amount_minor = l.settled_amount_minor = i;
    l.fee_milli_minor = i * 6;
    writer.row(l, &out);
  }
  writer.summary(&out);
  uint64_t n = 0;
  bool lines_ok = true;
  TradebillParser parser([&](const StatementLine& line) {
    lines_ok = lines_ok && line.line == n + 2 && line.payment_no == std::to_string(n);
    ++n;
  });
  bool ok = true;
  for (size_t at = 0; ok && at < out.size(); at += 4093) {
    ok = parser.feed(std::string_view(out).substr(at, 4093));
  }
  core::StatementSummary summary;
  ASSERT_TRUE(ok && parser.finish(&summary)) << parser.error().reason;
  EXPECT_EQ(n, static_cast<uint64_t>(kRows));
  EXPECT_TRUE(lines_ok);
  EXPECT_EQ(summary.last_line, kRows + 3u);
}

// Hostile input (issue 13): a small written bill, damaged one byte at a time.

// Two payments (one not settled) and a refund, with their summary.
std::string small_bill() {
  TradebillWriter writer("wxapp");
  std::string out;
  writer.header(&out);
  StatementLine l;
  l.account_id = "1900000109";
  l.currency = "CNY";
  l.time_text = "2026-11-30 10:00:00";
  l.payment_no = "P1";
  l.channel_trade_no = "T1";
  l.amount_minor = l.settled_amount_minor = 1999;
  l.fee_milli_minor = 11994;
  writer.row(l, &out);
  l.payment_no = "P2";
  l.channel_trade_no = "T2";
  l.settled = false;
  l.channel_status = "REVOKED";
  l.amount_minor = l.settled_amount_minor = 1;
  l.fee_milli_minor = 0;
  writer.row(l, &out);
  l.kind = StatementLine::Kind::kRefund;
  l.settled = true;
  l.payment_no = "P1";
  l.refund_no = "R1";
  l.channel_refund_no = "CR1";
  l.amount_minor = l.settled_amount_minor = 500;
  l.fee_milli_minor = -3000;
  writer.row(l, &out);
  writer.summary(&out);
  return out;
}

// Lines as the parser ends them (libcsv CSV_REPALL_NL): LF, CR or CRLF; a
// last line without an end counts too.
uint64_t line_count(std::string_view file) {
  uint64_t n = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    if (file[i] == '\n' || (file[i] == '\r' && (i + 1 == file.size() || file[i + 1] != '\n'))) {
      ++n;
    }
  }
  if (!file.empty() && file.back() != '\n' && file.back() != '\r') ++n;
  return n;
}

// Refused with a line within the file (or the one after its end, for the
// missing summary) and a reason, or accepted with a summary equal to its lines.
void expect_refused_or_consistent(std::string_view file, const std::string& what) {
  SCOPED_TRACE(what);
  const Result r = parse(file);
  if (!r.ok) {
    EXPECT_FALSE(r.error.reason.empty());
    EXPECT_GE(r.error.line, 1u);
    EXPECT_LE(r.error.line, line_count(file) + 1) << r.error.reason;
    return;
  }
  uint64_t payments = 0, refunds = 0, previous_line = 0;
  int64_t payment_minor = 0, refund_minor = 0, fee_milli_minor = 0;
  for (const StatementLine& l : r.lines) {
    EXPECT_GT(l.line, previous_line);
    previous_line = l.line;
    const bool refund = l.kind == StatementLine::Kind::kRefund;
    (refund ? refunds : payments) += 1;
    (refund ? refund_minor : payment_minor) += l.amount_minor;
    fee_milli_minor += l.fee_milli_minor;
  }
  EXPECT_LE(previous_line, r.summary.last_line);
  EXPECT_LE(r.summary.last_line, line_count(file));
  EXPECT_EQ(r.summary.payment_lines, payments);
  EXPECT_EQ(r.summary.refund_lines, refunds);
  EXPECT_EQ(r.summary.payment_amount_minor, payment_minor);
  EXPECT_EQ(r.summary.refund_amount_minor, refund_minor);
  EXPECT_EQ(r.summary.fee_milli_minor, fee_milli_minor);
}

TEST(TradebillTest, SmallWrittenBillParsesWithItsSummary) {
  const std::string file = small_bill();
  Result r = parse(file);
  ASSERT_TRUE(r.ok) << r.error.reason;
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.summary.payment_lines, 2u);
  EXPECT_EQ(r.summary.refund_lines, 1u);
  EXPECT_EQ(r.summary.payment_amount_minor, 2000);
  EXPECT_EQ(r.summary.refund_amount_minor, 500);
  EXPECT_EQ(r.summary.fee_milli_minor, 8994);
  EXPECT_EQ(r.summary.last_line, line_count(file));
  EXPECT_FALSE(r.lines[1].settled);
}

TEST(TradebillTest, EveryFlippedByteIsRefusedOrAddsUp) {
  const std::string file = small_bill();
  for (size_t i = 0; i < file.size(); ++i) {
    for (char mask : {'\x01', '\x80'}) {
      std::string damaged = file;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      expect_refused_or_consistent(damaged, "byte " + std::to_string(i) + " ^ " +
                                                std::to_string(static_cast<uint8_t>(mask)));
    }
  }
}

TEST(TradebillTest, EveryDeletedByteIsRefusedOrAddsUp) {
  const std::string file = small_bill();
  for (size_t i = 0; i < file.size(); ++i) {
    std::string damaged = file;
    damaged.erase(i, 1);
    expect_refused_or_consistent(damaged, "without byte " + std::to_string(i));
  }
}

TEST(TradebillTest, EveryTruncationIsRefusedOrLosesNothing) {
  const std::string file = small_bill();
  const Result full = parse(file);
  ASSERT_TRUE(full.ok) << full.error.reason;
  for (size_t n = 0; n < file.size(); ++n) {
    SCOPED_TRACE("first " + std::to_string(n) + " bytes");
    const std::string_view cut = std::string_view(file).substr(0, n);
    expect_refused_or_consistent(cut, "cut");
    // Only a cut inside the summary row's last field that keeps its value
    // ("`5.00" -> "`5.0", "`5") or its CRLF can pass: nothing is lost then.
    const Result r = parse(cut);
    if (!r.ok) continue;
    EXPECT_GE(n, file.rfind('`'));
    EXPECT_EQ(r.lines.size(), full.lines.size());
    EXPECT_EQ(r.summary.payment_amount_minor, full.summary.payment_amount_minor);
    EXPECT_EQ(r.summary.refund_amount_minor, full.summary.refund_amount_minor);
    EXPECT_EQ(r.summary.fee_milli_minor, full.summary.fee_milli_minor);
  }
}

TEST(TradebillTest, SmallBillInChunksGivesTheSameLines) {
  const std::string file = small_bill();
  const Result whole = parse(file);
  ASSERT_TRUE(whole.ok) << whole.error.reason;
  for (size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    const Result r = parse(file, chunk);
    ASSERT_TRUE(r.ok) << r.error.reason;
    ASSERT_EQ(r.lines.size(), whole.lines.size());
    for (size_t i = 0; i < r.lines.size(); ++i) {
      EXPECT_EQ(r.lines[i].line, whole.lines[i].line);
      EXPECT_EQ(r.lines[i].payment_no, whole.lines[i].payment_no);
      EXPECT_EQ(r.lines[i].amount_minor, whole.lines[i].amount_minor);
    }
    EXPECT_EQ(r.summary.last_line, whole.summary.last_line);
  }
}

// Feeds `file` in two chunks split at `at`.
Result parse_split(std::string_view file, size_t at) {
  Result r;
  TradebillParser parser([&](const StatementLine& l) { r.lines.push_back(l); });
  r.ok =
      parser.feed(file.substr(0, at)) && parser.feed(file.substr(at)) && parser.finish(&r.summary);
  if (!r.ok) r.error = parser.error();
  return r;
}

TEST(TradebillTest, CrlfSplitAcrossChunksEndsOneLine) {
  const std::string file = small_bill();
  for (size_t at = file.find("\r\n"); at != std::string::npos; at = file.find("\r\n", at + 2)) {
    const Result r = parse_split(file, at + 1);
    ASSERT_TRUE(r.ok) << at << ": " << r.error.reason;
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[2].line, 4u);
    EXPECT_EQ(r.summary.last_line, 6u);
  }
}

TEST(TradebillTest, BomSplitAcrossChunksIsStillABom) {
  const std::string file = small_bill();
  ASSERT_TRUE(file.starts_with("\xEF\xBB\xBF"));
  for (size_t at : {1u, 2u}) {
    const Result r = parse_split(file, at);
    EXPECT_TRUE(r.ok) << at << ": " << r.error.reason;
  }
}

TEST(TradebillTest, Utf8SequenceSplitAcrossChunksIsWhole) {
  const std::string file = small_bill();
  const size_t first = file.find("交易时间");  // 3-byte characters
  ASSERT_NE(first, std::string::npos);
  for (size_t at : {first + 1, first + 2, first + 4}) {
    const Result r = parse_split(file, at);
    ASSERT_TRUE(r.ok) << at << ": " << r.error.reason;
    EXPECT_EQ(r.lines.size(), 3u);
  }
}

TEST(TradebillTest, FeeTooLargeForInt64IsRefusedNotOverflowed) {
  // 14 whole digits with the fee's 5 decimals is 10^19 fen/1000: past int64.
  const std::string file = replaced(small_bill(), "`0.11994", "`99999999999999.00000");
  const Result r = parse(file);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 2u);
  EXPECT_NE(r.error.reason.find("bad amount in 手续费"), std::string::npos) << r.error.reason;
}

TEST(TradebillTest, AmountsAddingUpPastInt64AreRefused) {
  TradebillWriter writer("wxapp");
  std::string out;
  writer.header(&out);
  StatementLine l;
  l.account_id = "demo";
  l.currency = "CNY";
  l.payment_no = "P";
  l.amount_minor = l.settled_amount_minor = 99'999'999'999'999'999;  // the most 15 digits hold
  std::string row;
  TradebillWriter(writer).row(l, &row);  // a copy: the writer's own totals stay small
  constexpr int kRows = 100;             // 100 x 10^17 > 9.2 x 10^18
  for (int i = 0; i < kRows; ++i) out.append(row);
  const Result r = parse(out);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.reason.find("past int64"), std::string::npos) << r.error.reason;
  EXPECT_EQ(r.error.line, 94u);  // the 93rd row takes the sum past 2^63 - 1
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
