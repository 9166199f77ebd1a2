// The Alipay trade bill reader against the locally generated sample (UTF-8
// text and its GBK bytes, zipped here under a GBK entry name), tampered
// copies (one per error class), and the writer's zip read back.
#include "channels/alipay/trade_bill.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zip.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.hpp"

namespace oncepay::channels::alipay {
namespace {

using core::StatementLine;

boost::json::object sample_doc() {
  std::ifstream in(ONCEPAY_VECTORS_DIR "/generated_locally.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str()).as_object().at("alipay_trade_bill_sample").as_object();
}

std::string sample_text() { return std::string(sample_doc().at("text_utf8").as_string()); }

std::string sample_gbk() {
  const std::string b64(sample_doc().at("gbk_base64").as_string());
  std::string out(b64.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  EXPECT_GT(n, 0);
  out.resize(static_cast<size_t>(n));
  while (b64.size() >= 2 && b64.ends_with('=') && out.back() == '\0') {
    out.pop_back();  // EVP_DecodeBlock keeps the padding's zero bytes
    if (b64[b64.size() - 2] != '=') break;
  }
  return out;
}

// A zip with the given entries (names as raw bytes), built with libzip.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_source_keep(src);
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_GUESS), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  zip_stat_t st;
  zip_stat_init(&st);
  zip_source_stat(src, &st);
  std::string out(static_cast<size_t>(st.size), '\0');
  zip_source_open(src);
  zip_source_read(src, out.data(), st.size);
  zip_source_close(src);
  zip_source_free(src);
  return out;
}

// "20881011064993640156_20150427_业务明细.csv" and its 汇总 sibling in GBK.
const std::string kDetailNameGbk =
    "20881011064993640156_20150427_\xD2\xB5\xCE\xF1\xC3\xF7\xCF\xB8.csv";
const std::string kSummaryNameGbk =
    "20881011064993640156_20150427_\xD2\xB5\xCE\xF1\xC3\xF7\xCF\xB8(\xBB\xE3\xD7\xDC).csv";

struct Result {
  bool ok = false;
  std::vector<StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
};

Result parse_text(std::string_view text) {
  Result r;
  r.ok = parse_trade_bill_text(
      text, [&](const StatementLine& l) { r.lines.push_back(l); }, &r.summary, &r.error);
  return r;
}

Result parse_zip(std::string_view zip) {
  Result r;
  r.ok = parse_trade_bill_zip(
      zip, [&](const StatementLine& l) { r.lines.push_back(l); }, &r.summary, &r.error);
  return r;
}

std::string replaced(std::string s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  return s;
}

void expect_sample_lines(const Result& r) {
  ASSERT_TRUE(r.ok) << r.error.reason;
  ASSERT_EQ(r.lines.size(), 2u);
  const StatementLine& pay = r.lines[0];
  EXPECT_EQ(pay.kind, StatementLine::Kind::kPayment);
  EXPECT_EQ(pay.line, 6u);
  EXPECT_EQ(pay.payment_no, "20150320010101001");  // the TAB is gone
  EXPECT_EQ(pay.channel_trade_no, "2013112011001004330000121536");
  EXPECT_EQ(pay.account_id, "20881011064993640156");
  EXPECT_EQ(pay.amount_minor, 8888);
  EXPECT_EQ(pay.currency, "CNY");
  EXPECT_EQ(pay.fee_milli_minor, 53000);  // 服务费 -0.53: 53 fen charged
  EXPECT_EQ(pay.time_text, "2015-04-27 15:45:58");
  const StatementLine& refund = r.lines[1];
  EXPECT_EQ(refund.kind, StatementLine::Kind::kRefund);
  EXPECT_EQ(refund.line, 7u);
  EXPECT_EQ(refund.refund_no, "HZ01RF001");
  EXPECT_EQ(refund.amount_minor, 8888);
  EXPECT_EQ(refund.settled_amount_minor, -8888);
  EXPECT_EQ(refund.fee_milli_minor, -53000);
  EXPECT_EQ(r.summary.payment_lines, 1u);
  EXPECT_EQ(r.summary.refund_lines, 1u);
  EXPECT_EQ(r.summary.fee_milli_minor, 0);
  EXPECT_EQ(r.summary.last_line, 11u);
}

TEST(TradeBillTest, GeneratedTextSampleParses) { expect_sample_lines(parse_text(sample_text())); }

TEST(TradeBillTest, GbkSampleDecodesToTheTextInAnyChunks) {
  const std::string gbk = sample_gbk();
  for (size_t chunk : {1u, 3u, 1000u}) {
    GbkDecoder decoder;
    std::string utf8;
    for (size_t at = 0; at < gbk.size(); at += chunk) {
      ASSERT_TRUE(decoder.decode(std::string_view(gbk).substr(at, chunk), &utf8));
    }
    EXPECT_TRUE(decoder.end());
    EXPECT_EQ(utf8, sample_text());
  }
}

TEST(TradeBillTest, ZipOfTheGbkSampleParses) {
  expect_sample_lines(
      parse_zip(make_zip({{kSummaryNameGbk, "#summary\r\n"}, {kDetailNameGbk, sample_gbk()}})));
}

TEST(TradeBillTest, ZipFileOnDiskParses) {
  test_support::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("bill.zip");
  std::ofstream(path, std::ios::binary) << make_zip({{kDetailNameGbk, sample_gbk()}});
  Result r;
  r.ok = parse_trade_bill_zip_file(
      path, [&](const StatementLine& l) { r.lines.push_back(l); }, &r.summary, &r.error);
  expect_sample_lines(r);
}

TEST(TradeBillTest, TruncatedZipIsRefused) {
  const std::string zip = make_zip({{kDetailNameGbk, sample_gbk()}});
  Result r = parse_zip(std::string_view(zip).substr(0, zip.size() - 30));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 0u);
}

TEST(TradeBillTest, NotAZipIsRefused) {
  Result r = parse_zip("PK not really");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.reason.find("not a zip"), std::string::npos) << r.error.reason;
}

TEST(TradeBillTest, ZipWithoutDetailEntryIsRefused) {
  Result r = parse_zip(make_zip({{kSummaryNameGbk, sample_gbk()}}));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.reason.find("业务明细"), std::string::npos) << r.error.reason;
}

TEST(TradeBillTest, InvalidGbkIsRefusedWithItsLine) {
  std::string gbk = sample_gbk();
  const size_t row = gbk.find("Iphone6");
  gbk[row] = '\xFF';  // 0xFF starts no GBK character
  Result r = parse_zip(make_zip({{kDetailNameGbk, gbk}}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 6u);  // the text before the bad byte was parsed: lines 1-5
  EXPECT_NE(r.error.reason.find("GBK"), std::string::npos) << r.error.reason;
}

TEST(TradeBillTest, UndecodedUtf8TextIsRefused) {
  Result r = parse_text("#x\r\n\xC3\x28,a\r\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 2u);
}

TEST(TradeBillTest, WrongHeaderIsRefused) {
  Result r = parse_text(replaced(sample_text(), "订单金额（元）", "订单金额(元)"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 5u);
}

TEST(TradeBillTest, BadAmountIsRefused) {
  Result r = parse_text(replaced(sample_text(), "88.88,88.88", "88.8x,88.88"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 6u);
  EXPECT_NE(r.error.reason.find("订单金额（元）"), std::string::npos) << r.error.reason;
}

TEST(TradeBillTest, WrongColumnCountIsRefused) {
  Result r = parse_text(replaced(sample_text(), "Iphone6 16G,", "Iphone6,16G,"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 6u);
}

TEST(TradeBillTest, UnknownBusinessTypeIsRefused) {
  Result r = parse_text(replaced(sample_text(), "交易\t", "转账\t"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 6u);
}

TEST(TradeBillTest, MissingFooterIsTruncated) {
  const std::string text = sample_text();
  Result r = parse_text(text.substr(0, text.find("#----", 300)));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 8u);
  EXPECT_NE(r.error.reason.find("truncated"), std::string::npos) << r.error.reason;
}

TEST(TradeBillTest, FooterCountThatDoesNotAddUpIsRefused) {
  Result r = parse_text(replaced(sample_text(), "#交易合计：1笔", "#交易合计：2笔"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 9u);
}

TEST(TradeBillTest, FooterAmountThatDoesNotAddUpIsRefused) {
  Result r = parse_text(replaced(sample_text(), "退款共-88.88元", "退款共-88.87元"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 10u);
}

TEST(TradeBillTest, RowAfterFooterIsRefused) {
  Result r = parse_text(sample_text() + "a,b\r\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 12u);
}

TEST(TradeBillTest, RefundWithoutRequestNoUsesTheOutTradeNo) {
  Result r = parse_text(replaced(sample_text(), "HZ01RF001\t", "\t"));
  ASSERT_TRUE(r.ok) << r.error.reason;
  EXPECT_EQ(r.lines[1].refund_no, "20150320010101001");
}

TEST(TradeBillTest, WriterZipReadsBack) {
  StatementLine pay;
  pay.payment_no = "P1";
  pay.channel_trade_no = "2026113022001";
  pay.amount_minor = 1999;
  pay.settled_amount_minor = 1999;
  pay.fee_milli_minor = 12000;
  pay.time_text = "2026-11-30 10:00:00";
  StatementLine refund = pay;
  refund.kind = StatementLine::Kind::kRefund;
  refund.refund_no = "R1";
  refund.amount_minor = 500;
  refund.settled_amount_minor = -500;
  refund.fee_milli_minor = -3000;
  std::string zip, error;
  ASSERT_TRUE(
      write_trade_bill_zip({"20880000000000000156", "2026-11-30"}, {pay, refund}, &zip, &error))
      << error;
  Result r = parse_zip(zip);
  ASSERT_TRUE(r.ok) << r.error.reason;
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0].payment_no, "P1");
  EXPECT_EQ(r.lines[0].amount_minor, 1999);
  EXPECT_EQ(r.lines[0].fee_milli_minor, 12000);
  EXPECT_EQ(r.lines[0].account_id, "20880000000000000156");
  EXPECT_EQ(r.lines[1].refund_no, "R1");
  EXPECT_EQ(r.lines[1].amount_minor, 500);
  EXPECT_EQ(r.lines[1].fee_milli_minor, -3000);
}

// Hostile input (issue 13): a small written bill, damaged one byte at a time.

const TradeBillHeader kSmallHeader{"20880000000000000156", "2026-11-30"};

// Two payments and a refund.
std::vector<StatementLine> small_lines() {
  StatementLine pay;
  pay.payment_no = "P1";
  pay.channel_trade_no = "2026113022001";
  pay.amount_minor = pay.settled_amount_minor = 1999;
  pay.fee_milli_minor = 12000;
  pay.time_text = "2026-11-30 10:00:00";
  StatementLine pay2 = pay;
  pay2.payment_no = "P2";
  pay2.amount_minor = pay2.settled_amount_minor = 1;
  pay2.fee_milli_minor = 0;
  StatementLine refund = pay;
  refund.kind = StatementLine::Kind::kRefund;
  refund.refund_no = "R1";
  refund.amount_minor = 500;
  refund.settled_amount_minor = -500;
  refund.fee_milli_minor = -3000;
  return {pay, pay2, refund};
}

std::string small_zip() {
  std::string zip, error;
  EXPECT_TRUE(write_trade_bill_zip(kSmallHeader, small_lines(), &zip, &error)) << error;
  return zip;
}

// Lines as the parser ends them (libcsv CSV_REPALL_NL): LF, CR or CRLF; a
// last line without an end counts too.
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

// Refused with a line within 0..max_line + 1 (0: the zip as a whole; +1: the
// footer that should have come) and a reason, or accepted with a summary
// equal to its lines.
void expect_refused_or_consistent(const Result& r, uint64_t max_line, const std::string& what) {
  SCOPED_TRACE(what);
  if (!r.ok) {
    EXPECT_FALSE(r.error.reason.empty());
    EXPECT_LE(r.error.line, max_line + 1) << r.error.reason;
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
  EXPECT_LE(r.summary.last_line, max_line);
  EXPECT_EQ(r.summary.payment_lines, payments);
  EXPECT_EQ(r.summary.refund_lines, refunds);
  EXPECT_EQ(r.summary.payment_amount_minor, payment_minor);
  EXPECT_EQ(r.summary.refund_amount_minor, refund_minor);
  EXPECT_EQ(r.summary.fee_milli_minor, fee_milli_minor);
}

TEST(TradeBillTest, SmallWrittenZipParsesWithItsSummary) {
  const Result r = parse_zip(small_zip());
  ASSERT_TRUE(r.ok) << r.error.reason;
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.summary.payment_lines, 2u);
  EXPECT_EQ(r.summary.refund_lines, 1u);
  EXPECT_EQ(r.summary.payment_amount_minor, 2000);
  EXPECT_EQ(r.summary.refund_amount_minor, 500);
  EXPECT_EQ(r.summary.fee_milli_minor, 9000);
  EXPECT_EQ(r.summary.last_line, line_count(write_trade_bill_text(kSmallHeader, small_lines())));
}

TEST(TradeBillTest, EveryFlippedByteOfTheZipIsRefusedOrAddsUp) {
  const std::string zip = small_zip();
  const uint64_t lines = line_count(write_trade_bill_text(kSmallHeader, small_lines()));
  for (size_t i = 0; i < zip.size(); ++i) {
    for (char mask : {'\x01', '\x80'}) {
      std::string damaged = zip;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      expect_refused_or_consistent(
          parse_zip(damaged), lines,
          "byte " + std::to_string(i) + " ^ " + std::to_string(static_cast<uint8_t>(mask)));
    }
  }
}

TEST(TradeBillTest, EveryTruncationOfTheZipIsRefused) {
  const std::string zip = small_zip();
  for (size_t n = 0; n < zip.size(); ++n) {
    const Result r = parse_zip(std::string_view(zip).substr(0, n));
    EXPECT_FALSE(r.ok) << n;
    EXPECT_EQ(r.error.line, 0u) << n;  // the central directory is at the end
    EXPECT_FALSE(r.error.reason.empty()) << n;
  }
}

TEST(TradeBillTest, EveryFlippedByteOfTheTextIsRefusedOrAddsUp) {
  const std::string text = write_trade_bill_text(kSmallHeader, small_lines());
  for (size_t i = 0; i < text.size(); ++i) {
    for (char mask : {'\x01', '\x80'}) {
      std::string damaged = text;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      expect_refused_or_consistent(
          parse_text(damaged), line_count(damaged),
          "byte " + std::to_string(i) + " ^ " + std::to_string(static_cast<uint8_t>(mask)));
    }
  }
}

TEST(TradeBillTest, EveryDeletedByteOfTheTextIsRefusedOrAddsUp) {
  const std::string text = write_trade_bill_text(kSmallHeader, small_lines());
  for (size_t i = 0; i < text.size(); ++i) {
    std::string damaged = text;
    damaged.erase(i, 1);
    expect_refused_or_consistent(parse_text(damaged), line_count(damaged),
                                 "without byte " + std::to_string(i));
  }
}

TEST(TradeBillTest, EveryTruncationOfTheTextIsRefusedOrAddsUp) {
  const std::string text = write_trade_bill_text(kSmallHeader, small_lines());
  const size_t footer_end = text.find("\r\n#导出时间");
  ASSERT_NE(footer_end, std::string::npos);
  for (size_t n = 0; n <= text.size(); ++n) {
    const std::string_view cut = std::string_view(text).substr(0, n);
    const Result r = parse_text(cut);
    expect_refused_or_consistent(r, line_count(cut), "first " + std::to_string(n) + " bytes");
    // Before the refund footer's 元 is complete nothing may be accepted.
    if (n < footer_end) {
      EXPECT_FALSE(r.ok) << n;
    }
  }
}

TEST(TradeBillTest, SmallTextInChunksGivesTheSameLines) {
  const std::string text = write_trade_bill_text(kSmallHeader, small_lines());
  const Result whole = parse_text(text);
  ASSERT_TRUE(whole.ok) << whole.error.reason;
  for (size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    Result r;
    TradeBillParser parser([&](const StatementLine& l) { r.lines.push_back(l); });
    bool ok = true;
    for (size_t at = 0; ok && at < text.size(); at += chunk) {
      ok = parser.feed(std::string_view(text).substr(at, chunk));
    }
    ASSERT_TRUE(ok && parser.finish(&r.summary)) << parser.error().reason;
    ASSERT_EQ(r.lines.size(), whole.lines.size());
    for (size_t i = 0; i < r.lines.size(); ++i) {
      EXPECT_EQ(r.lines[i].line, whole.lines[i].line);
      EXPECT_EQ(r.lines[i].payment_no, whole.lines[i].payment_no);
      EXPECT_EQ(r.lines[i].amount_minor, whole.lines[i].amount_minor);
    }
    EXPECT_EQ(r.summary.last_line, whole.summary.last_line);
  }
}

TEST(TradeBillTest, ServiceFeeTooLargeForMilliFenIsRefusedNotOverflowed) {
  // 10^17 fen fits an int64, 10^20 thousandths of a fen do not.
  const std::string text = replaced(write_trade_bill_text(kSmallHeader, small_lines()), "-0.12,",
                                    "-999999999999999.00,");
  const Result r = parse_text(text);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.line, 6u);
  EXPECT_NE(r.error.reason.find("too large"), std::string::npos) << r.error.reason;
}

TEST(TradeBillTest, AmountsAddingUpPastInt64AreRefused) {
  std::vector<StatementLine> lines = small_lines();
  lines.resize(1);
  lines[0].amount_minor = lines[0].settled_amount_minor = 99'999'999'999'999'999;
  lines[0].fee_milli_minor = 0;
  // The writer's footer sums would overflow too: write one row, repeat it.
  const std::string one = write_trade_bill_text(kSmallHeader, lines);
  const size_t row_begin = one.find("2026113022001");
  const size_t row_end = one.find("\r\n", row_begin) + 2;
  std::string text = one.substr(0, row_end);
  for (int i = 0; i < 99; ++i) text.append(one, row_begin, row_end - row_begin);
  const Result r = parse_text(text);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.reason.find("past int64"), std::string::npos) << r.error.reason;
  EXPECT_EQ(r.error.line, 6u + 92u);  // header at 5; the 93rd row overflows
}

}  // namespace
}  // namespace oncepay::channels::alipay
