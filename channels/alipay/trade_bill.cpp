#include "channels/alipay/trade_bill.hpp"

#include <iconv.h>
#include <zip.h>

#include <cerrno>

#include "channels/csv_line_reader.hpp"
#include "core/check.hpp"
#include "core/narrow.hpp"

namespace oncepay::channels::alipay {
namespace {

constexpr int kYuanDecimals = 2;
constexpr int64_t kMilliPerMinor = 1000;
constexpr size_t kChunkBytes = 64 * 1024;

enum Col : size_t {
  kTradeNo = 0,
  kPaymentNo = 1,
  kType = 2,
  kFinished = 5,
  kOrderAmount = 11,
  kReceived = 12,
  kMerchantDiscount = 16,
  kRefundNo = 21,
  kServiceFee = 22,
};

// The number between `marker` and the next `until` in a footer line.
bool footer_number(std::string_view text, std::string_view marker, std::string_view until,
                   int decimals, int64_t* out) {
  const size_t at = text.find(marker);
  if (at == std::string_view::npos) return false;
  std::string_view rest = text.substr(at + marker.size());
  const size_t end = rest.find(until);
  if (end == std::string_view::npos) return false;
  return core::parse_decimal(rest.substr(0, end), decimals, out);
}

struct Totals {
  bool seen = false;
  uint64_t line = 0;
  int64_t count = 0, received_minor = 0, discount_minor = 0;
};

}  // namespace

struct TradeBillParser::Impl : CsvLineReader {
  enum class State : uint8_t { kPreamble, kRows, kFooter };

  LineFn on_line;
  core::StatementLine line;
  State state = State::kPreamble;
  std::string account_id;
  uint64_t payments = 0, refunds = 0;
  int64_t payment_amount = 0, refund_amount = 0, fee_sum = 0;
  int64_t payment_received = 0, payment_discount = 0, refund_received = 0, refund_discount = 0;
  Totals trade_footer, refund_footer;

  bool amount(size_t i, int64_t* out) {
    return CsvLineReader::amount(field(i), kYuanDecimals, kTradeBillColumns[i], out);
  }

  // A `#` line comes back from libcsv split at ASCII commas: join it again.
  std::string comment_line;
  std::string_view comment_text() {
    comment_line.clear();
    for (size_t i = 0; i < ends.size(); ++i) {
      if (i > 0) comment_line.push_back(',');
      comment_line.append(field(i));
    }
    return comment_line;
  }

  void process_row() override {
    if (!core::valid_utf8(row)) {
      fail("invalid text (the bill must be GBK)");
      return;
    }
    const bool comment = field(0).starts_with('#');
    switch (state) {
      case State::kPreamble:
        if (comment) {
          preamble(comment_text());
        } else if (check_header()) {
          state = State::kRows;
        }
        return;
      case State::kRows:
        if (comment) {
          state = State::kFooter;
          footer(comment_text());
        } else {
          detail_row();
        }
        return;
      case State::kFooter:
        if (!comment) {
          fail("data after the footer");
          return;
        }
        footer(comment_text());
        return;
    }
  }

  void preamble(std::string_view text) {
    constexpr std::string_view kAccount = "#账号：[";
    if (!text.starts_with(kAccount)) return;
    text.remove_prefix(kAccount.size());
    account_id.assign(text.substr(0, text.find(']')));
  }

  bool check_header() {
    if (ends.size() != kTradeBillColumnCount) {
      return fail("header has " + std::to_string(ends.size()) + " columns, expected " +
                  std::to_string(kTradeBillColumnCount));
    }
    for (size_t i = 0; i < kTradeBillColumnCount; ++i) {
      if (field(i) != kTradeBillColumns[i]) {
        return fail("header column " + std::to_string(i + 1) + " is '" + std::string(field(i)) +
                    "', expected '" + std::string(kTradeBillColumns[i]) + "'");
      }
    }
    return true;
  }

  void detail_row() {
    if (ends.size() != kTradeBillColumnCount) {
      fail("row has " + std::to_string(ends.size()) + " columns, expected " +
           std::to_string(kTradeBillColumnCount));
      return;
    }
    int64_t order = 0, received = 0, discount = 0, service_fee = 0;
    if (!amount(kOrderAmount, &order) || !amount(kReceived, &received) ||
        !amount(kMerchantDiscount, &discount) || !amount(kServiceFee, &service_fee)) {
      return;
    }
    core::StatementLine& l = line;
    const std::string_view type = field(kType);
    l.payment_no.assign(field(kPaymentNo));
    if (l.payment_no.empty()) {
      fail("empty 商户订单号");
      return;
    }
    if (type == "交易") {
      if (order < 0) {
        fail("交易 row with a negative 订单金额（元）");
        return;
      }
      if (!add(&payment_amount, order) || !add(&payment_received, received) ||
          !add(&payment_discount, discount)) {
        return;
      }
      l.kind = core::StatementLine::Kind::kPayment;
      l.refund_no.clear();
      l.amount_minor = order;
      ++payments;
    } else if (type == "退款") {
      if (order > 0) {
        fail("退款 row with a positive 订单金额（元）");
        return;
      }
      if (!add(&refund_amount, -order) || !add(&refund_received, received) ||
          !add(&refund_discount, discount)) {
        return;
      }
      l.kind = core::StatementLine::Kind::kRefund;
      l.refund_no.assign(field(kRefundNo));
      if (l.refund_no.empty()) l.refund_no = l.payment_no;  // Alipay's default out_request_no
      l.amount_minor = -order;
      ++refunds;
    } else {
      fail("unknown 业务类型 '" + std::string(type) + "'");
      return;
    }
    l.settled = true;
    l.channel_trade_no.assign(field(kTradeNo));
    l.channel_refund_no.clear();
    l.account_id = account_id;
    l.settled_amount_minor = received;
    l.currency = "CNY";
    l.channel_status.assign(type);
    if (!scale(-service_fee, kMilliPerMinor, &l.fee_milli_minor) ||
        !add(&fee_sum, l.fee_milli_minor)) {
      return;
    }
    l.time_text.assign(field(kFinished));
    l.time_ms = core::parse_china_time_ms(l.time_text).value_or(-1);
    l.line = line_no;
    on_line(l);
  }

  void footer(std::string_view text) {
    if (text.starts_with("#交易合计：")) {
      totals(text, "实收共", "优惠共", &trade_footer);
    } else if (text.starts_with("#退款合计：")) {
      totals(text, "实收退款共", "优惠退款共", &refund_footer);
    }
  }

  void totals(std::string_view text, std::string_view received, std::string_view discount,
              Totals* out) {
    out->seen = true;
    out->line = line_no;
    if (!footer_number(text, "合计：", "笔", 0, &out->count) ||
        !footer_number(text, received, "元", kYuanDecimals, &out->received_minor) ||
        !footer_number(text, discount, "元", kYuanDecimals, &out->discount_minor)) {
      fail("unreadable footer '" + std::string(text) + "'");
    }
  }

  bool check_totals(const Totals& t, std::string_view what, uint64_t count, int64_t received,
                    int64_t discount) {
    line_no = t.line;
    if (t.count != static_cast<int64_t>(count)) {
      return fail(std::string(what) + " says " + std::to_string(t.count) + " rows, the bill has " +
                  std::to_string(count));
    }
    if (t.received_minor != received || t.discount_minor != discount) {
      std::string rows;
      core::append_decimal(&rows, received, kYuanDecimals);
      return fail(std::string(what) +
                  " totals differ from the rows (商家实收 of the rows: " + rows + ")");
    }
    return true;
  }
};

TradeBillParser::TradeBillParser(LineFn on_line) : impl_(std::make_unique<Impl>()) {
  impl_->on_line = std::move(on_line);
}

TradeBillParser::~TradeBillParser() = default;

bool TradeBillParser::feed(std::string_view chunk) { return impl_->feed(chunk); }

bool TradeBillParser::finish(core::StatementSummary* summary) {
  Impl& s = *impl_;
  if (!s.finish_input()) return false;
  const uint64_t last = s.line_no;
  if (s.state == Impl::State::kPreamble) {
    ++s.line_no;
    return s.fail("no header: the bill is empty or truncated");
  }
  if (!s.trade_footer.seen || !s.refund_footer.seen) {
    ++s.line_no;
    return s.fail("truncated: the footer (#交易合计 / #退款合计) is missing");
  }
  if (!s.check_totals(s.trade_footer, "#交易合计", s.payments, s.payment_received,
                      s.payment_discount) ||
      !s.check_totals(s.refund_footer, "#退款合计", s.refunds, s.refund_received,
                      s.refund_discount)) {
    return false;
  }
  summary->payment_lines = s.payments;
  summary->refund_lines = s.refunds;
  summary->payment_amount_minor = s.payment_amount;
  summary->refund_amount_minor = s.refund_amount;
  summary->fee_milli_minor = s.fee_sum;
  summary->account_id = s.account_id;
  summary->last_line = last;
  return true;
}

const core::StatementError& TradeBillParser::error() const { return impl_->error; }
uint64_t TradeBillParser::lines_seen() const { return impl_->line_no; }

GbkDecoder::GbkDecoder() : cd_(iconv_open("UTF-8", "GBK")) {
  ONCEPAY_CHECK(cd_ != reinterpret_cast<void*>(-1));
}

GbkDecoder::~GbkDecoder() { iconv_close(static_cast<iconv_t>(cd_)); }

bool GbkDecoder::decode(std::string_view gbk, std::string* out) {
  std::string input = carry_;
  input.append(gbk);
  carry_.clear();
  char* in = input.data();
  size_t in_left = input.size();
  while (in_left > 0) {
    char buffer[4096];
    char* dst = buffer;
    size_t dst_left = sizeof buffer;
    const size_t rc = iconv(static_cast<iconv_t>(cd_), &in, &in_left, &dst, &dst_left);
    out->append(buffer, sizeof buffer - dst_left);
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) continue;
    if (errno == EINVAL) {  // a character cut at the chunk's end
      carry_.assign(in, in_left);
      return true;
    }
    return false;  // EILSEQ: not GBK
  }
  return true;
}

bool parse_trade_bill_text(std::string_view utf8, const TradeBillParser::LineFn& on_line,
                           core::StatementSummary* summary, core::StatementError* error) {
  TradeBillParser parser(on_line);
  if (parser.feed(utf8) && parser.finish(summary)) return true;
  *error = parser.error();
  return false;
}

namespace {

std::string gbk_name_to_utf8(const char* raw) {
  GbkDecoder decoder;
  std::string name;
  if (decoder.decode(raw, &name) && decoder.end()) return name;
  return raw;  // a zip that flags UTF-8 names already gives UTF-8
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

bool zip_fail(core::StatementError* error, std::string reason) {
  error->line = 0;
  error->reason = std::move(reason);
  return false;
}

// The index of the detail entry, or -1.
int64_t find_detail_entry(zip_t* z) {
  const zip_int64_t entries = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* raw = zip_get_name(z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (raw == nullptr) continue;
    const std::string name = gbk_name_to_utf8(raw);
    if (name.find("业务明细") != std::string::npos && name.find("汇总") == std::string::npos) {
      return i;
    }
  }
  return -1;
}

}  // namespace

namespace {

// Finds the 业务明细 entry and streams it: zip_fread -> GBK decoder -> parser.
bool parse_detail_entry(zip_t* z, const TradeBillParser::LineFn& on_line,
                        core::StatementSummary* summary, core::StatementError* error) {
  const int64_t index = find_detail_entry(z);
  if (index < 0) return zip_fail(error, "the zip has no 业务明细 csv");
  std::unique_ptr<zip_file_t, ZipFileCloser> file(
      zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0));
  if (!file) return zip_fail(error, "cannot open the 业务明细 entry");
  TradeBillParser parser(on_line);
  GbkDecoder decoder;
  std::string chunk(kChunkBytes, '\0');
  std::string utf8;
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), chunk.data(), chunk.size());
    if (n < 0) return zip_fail(error, "the 业务明细 entry is damaged");
    if (n == 0) break;
    utf8.clear();
    const bool decoded =
        decoder.decode(std::string_view(chunk).substr(0, static_cast<size_t>(n)), &utf8);
    if (!parser.feed(utf8)) break;
    if (!decoded) {
      error->line = parser.lines_seen() + 1;
      error->reason = "line " + std::to_string(error->line) + ": invalid GBK";
      return false;
    }
  }
  if (!decoder.end() && parser.error().reason.empty()) {
    error->line = parser.lines_seen() + 1;
    error->reason = "line " + std::to_string(error->line) + ": the file ends inside a character";
    return false;
  }
  if (parser.error().reason.empty() && parser.finish(summary)) return true;
  *error = parser.error();
  return false;
}

}  // namespace

bool parse_trade_bill_zip(std::string_view zip, const TradeBillParser::LineFn& on_line,
                          core::StatementSummary* summary, core::StatementError* error) {
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(zip.data(), zip.size(), 0, &zerr);
  if (src == nullptr) return zip_fail(error, "cannot read the zip");
  std::unique_ptr<zip_t, ZipCloser> z(zip_open_from_source(src, ZIP_RDONLY, &zerr));
  zip_error_fini(&zerr);
  if (!z) {
    zip_source_free(src);
    return zip_fail(error, "not a zip file");
  }
  return parse_detail_entry(z.get(), on_line, summary, error);
}

bool parse_trade_bill_zip_file(const std::string& path, const TradeBillParser::LineFn& on_line,
                               core::StatementSummary* summary, core::StatementError* error) {
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> z(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!z) return zip_fail(error, "not a zip file (or unreadable)");
  return parse_detail_entry(z.get(), on_line, summary, error);
}

namespace {

void put_id(std::string* out, std::string_view id) {
  out->append(id);
  out->append("\t,");
}

void put_amount(std::string* out, int64_t minor) {
  core::append_decimal(out, minor, kYuanDecimals);
  out->push_back(',');
}

void write_row(const core::StatementLine& l, std::string* out) {
  const bool refund = l.kind == core::StatementLine::Kind::kRefund;
  ONCEPAY_CHECK(l.fee_milli_minor % kMilliPerMinor == 0);
  put_id(out, l.channel_trade_no);
  put_id(out, l.payment_no);
  put_id(out, refund ? "退款" : "交易");
  out->append("oncepay,");
  out->append(l.time_text).push_back(',');
  out->append(l.time_text).push_back(',');
  for (int i = 0; i < 5; ++i) out->append("\t,");  // store, store name, operator, terminal, payer
  put_amount(out, refund ? -l.amount_minor : l.amount_minor);
  put_amount(out, l.settled_amount_minor);
  for (int i = 0; i < 5; ++i) put_amount(out, 0);  // red packet .. voucher amounts
  out->push_back(',');                             // 券名称
  out->append("0.00\t,");
  put_amount(out, 0);
  put_id(out, refund ? l.refund_no : "");
  put_amount(out, -l.fee_milli_minor / kMilliPerMinor);
  put_amount(out, 0);
  out->append("\r\n");
}

std::string compact_date(std::string_view date) {
  std::string d;
  for (char c : date) {
    if (c != '-') d.push_back(c);
  }
  return d;
}

std::string chinese_date(std::string_view date) {  // yyyy-MM-dd -> yyyy年MM月dd日
  if (date.size() != 10) return std::string(date);
  return std::string(date.substr(0, 4)) + "年" + std::string(date.substr(5, 2)) + "月" +
         std::string(date.substr(8, 2)) + "日";
}

bool to_gbk(std::string_view utf8, std::string* out) {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  ONCEPAY_CHECK(cd != reinterpret_cast<iconv_t>(-1));
  std::string input(utf8);
  char* in = input.data();
  size_t in_left = input.size();
  bool ok = true;
  while (in_left > 0) {
    char buffer[4096];
    char* dst = buffer;
    size_t dst_left = sizeof buffer;
    const size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
    out->append(buffer, sizeof buffer - dst_left);
    if (rc != static_cast<size_t>(-1)) break;
    if (errno != E2BIG) {
      ok = false;
      break;
    }
  }
  iconv_close(cd);
  return ok;
}

bool add_entry(zip_t* z, const std::string& name_utf8, const std::string& gbk_text) {
  std::string name;
  if (!to_gbk(name_utf8, &name)) return false;
  zip_source_t* s = zip_source_buffer(z, gbk_text.data(), gbk_text.size(), 0);
  if (s == nullptr) return false;
  if (zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_GUESS) < 0) {
    zip_source_free(s);
    return false;
  }
  return true;
}

bool read_source(zip_source_t* src, std::string* out) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(src, &st) < 0 || zip_source_open(src) < 0) return false;
  out->resize(static_cast<size_t>(st.size));
  const zip_int64_t n = zip_source_read(src, out->data(), st.size);
  zip_source_close(src);
  return n == static_cast<zip_int64_t>(st.size);
}

}  // namespace

std::string write_trade_bill_text(const TradeBillHeader& header,
                                  const std::vector<core::StatementLine>& lines) {
  std::string out = "#支付宝业务明细查询\r\n#账号：[" + header.account_id + "]\r\n#起始日期：[" +
                    chinese_date(header.date) + " 00:00:00]   终止日期：[" +
                    chinese_date(header.date) + " 23:59:59]\r\n" +
                    "#-----------------------------------------业务明细列表------------------------"
                    "----------------\r\n";
  for (size_t i = 0; i < kTradeBillColumnCount; ++i) {
    out.append(kTradeBillColumns[i]);
    out.push_back(i + 1 < kTradeBillColumnCount ? ',' : '\r');
  }
  out.push_back('\n');
  int64_t pay_count = 0, pay_received = 0, refund_count = 0, refund_received = 0;
  for (const auto& l : lines) {
    write_row(l, &out);
    if (l.kind == core::StatementLine::Kind::kRefund) {
      ++refund_count;
      refund_received += l.settled_amount_minor;
    } else {
      ++pay_count;
      pay_received += l.settled_amount_minor;
    }
  }
  out.append(
      "#-----------------------------------------业务明细列表结束----------------------------------"
      "--\r\n");
  out.append("#交易合计：" + std::to_string(pay_count) + "笔，商家实收共");
  core::append_decimal(&out, pay_received, kYuanDecimals);
  out.append("元，商家优惠共0.00元\r\n#退款合计：" + std::to_string(refund_count) +
             "笔，商家实收退款共");
  core::append_decimal(&out, refund_received, kYuanDecimals);
  out.append("元，商家优惠退款共0.00元\r\n#导出时间：[" + chinese_date(header.date) +
             " 23:59:59]\r\n");
  return out;
}

bool write_trade_bill_zip(const TradeBillHeader& header,
                          const std::vector<core::StatementLine>& lines, std::string* zip,
                          std::string* error) {
  std::string detail, summary;
  if (!to_gbk(write_trade_bill_text(header, lines), &detail) ||
      !to_gbk("#支付宝业务明细汇总\r\n#账号：[" + header.account_id + "]\r\n", &summary)) {
    *error = "the bill's text does not convert to GBK";
    return false;
  }
  const std::string stem = header.account_id + "_" + compact_date(header.date) + "_业务明细";
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &zerr);
  ONCEPAY_CHECK(src != nullptr);
  zip_source_keep(src);
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &zerr);
  bool ok = z != nullptr && add_entry(z, stem + ".csv", detail) &&
            add_entry(z, stem + "(汇总).csv", summary);
  if (z != nullptr) {
    if (ok) {
      ok = zip_close(z) == 0;
    } else {
      zip_discard(z);
    }
  }
  ok = ok && read_source(src, zip);
  zip_source_free(src);
  zip_error_fini(&zerr);
  if (!ok) *error = "cannot write the zip";
  return ok;
}

}  // namespace oncepay::channels::alipay
