#include "channels/wechatpay/tradebill.hpp"

#include <vector>

#include "channels/csv_line_reader.hpp"
#include "core/check.hpp"

namespace oncepay::channels::wechatpay {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr int kYuanDecimals = 2;
constexpr int kFeeDecimals = 5;  // 1e-5 yuan = 1/1000 fen: core::StatementLine::fee_milli_minor

// Detail column indexes (kTradebillColumns).
enum Col : size_t {
  kTime = 0,
  kAccount = 2,
  kTradeNo = 5,
  kPaymentNo = 6,
  kTradeStatus = 9,
  kCurrency = 11,
  kSettled = 12,
  kRefundTradeNo = 14,
  kRefundNo = 15,
  kRefundSettled = 16,
  kCouponRefund = 17,
  kRefundStatus = 19,
  kFee = 22,
  kOrderAmount = 24,
  kRefundAsked = 25,
};

}  // namespace

struct TradebillParser::Impl : CsvLineReader {
  enum class State : uint8_t { kHeader, kRows, kSummaryRow, kDone };

  LineFn on_line;
  core::StatementLine line;
  State state = State::kHeader;
  // Row counts and column sums, for the summary check.
  uint64_t payments = 0, refunds = 0;
  int64_t payment_total_minor = 0, refund_total_minor = 0;
  int64_t settled_sum = 0, refund_settled_sum = 0, coupon_refund_sum = 0, fee_sum = 0,
          order_sum = 0, refund_asked_sum = 0;
  std::string account_id;

  // The field without its backquote; false when it has none.
  bool unquote(size_t i, std::string_view* out) {
    std::string_view f = field(i);
    if (f.empty() || f.front() != '`') {
      return fail("column " + std::to_string(i + 1) + " lacks its backquote prefix");
    }
    *out = f.substr(1);
    return true;
  }

  bool amount(size_t i, int decimals, std::string_view name, int64_t* out) {
    std::string_view f;
    if (!unquote(i, &f)) return false;
    return CsvLineReader::amount(f, decimals, name, out);
  }

  void process_row() override {
    if (!core::valid_utf8(row)) {
      fail("invalid UTF-8 (the bill must be UTF-8)");
      return;
    }
    switch (state) {
      case State::kHeader:
        if (check_header()) state = State::kRows;
        return;
      case State::kRows:
        if (field(0) == kTradebillSummaryColumns[0]) {
          if (check_summary_header()) state = State::kSummaryRow;
          return;
        }
        detail_row();
        return;
      case State::kSummaryRow:
        if (check_summary_row()) state = State::kDone;
        return;
      case State::kDone:
        fail("data after the summary row");
        return;
    }
  }

  bool check_names(const std::string_view* names, size_t count, std::string_view what) {
    if (ends.size() != count) {
      return fail(std::string(what) + " has " + std::to_string(ends.size()) +
                  " columns, expected " + std::to_string(count));
    }
    for (size_t i = 0; i < count; ++i) {
      std::string_view f = field(i);
      if (i == 0 && f.starts_with(kBom)) f.remove_prefix(kBom.size());
      if (f != names[i]) {
        return fail(std::string(what) + " column " + std::to_string(i + 1) + " is '" +
                    std::string(f) + "', expected '" + std::string(names[i]) + "'");
      }
    }
    return true;
  }

  bool check_header() {
    return check_names(kTradebillColumns.data(), kTradebillColumnCount, "header");
  }

  bool check_summary_header() {
    return check_names(kTradebillSummaryColumns.data(), kTradebillSummaryColumnCount,
                       "summary header");
  }

  bool text(size_t i, std::string* out) {
    std::string_view f;
    if (!unquote(i, &f)) return false;
    out->assign(f.data(), f.size());
    return true;
  }

  void detail_row() {
    if (ends.size() != kTradebillColumnCount) {
      fail("row has " + std::to_string(ends.size()) + " columns, expected " +
           std::to_string(kTradebillColumnCount));
      return;
    }
    for (size_t i = 0; i < kTradebillColumnCount; ++i) {
      std::string_view unused;
      if (!unquote(i, &unused)) return;
    }
    int64_t settled = 0, refund_settled = 0, coupon_refund = 0, fee = 0, order = 0, asked = 0;
    if (!amount(kSettled, kYuanDecimals, "应结订单金额", &settled) ||
        !amount(kRefundSettled, kYuanDecimals, "退款金额", &refund_settled) ||
        !amount(kCouponRefund, kYuanDecimals, "充值券退款金额", &coupon_refund) ||
        !amount(kFee, kFeeDecimals, "手续费", &fee) ||
        !amount(kOrderAmount, kYuanDecimals, "订单金额", &order) ||
        !amount(kRefundAsked, kYuanDecimals, "申请退款金额", &asked)) {
      return;
    }
    core::StatementLine& l = line;
    std::string_view status;
    if (!unquote(kTradeStatus, &status) || !text(kPaymentNo, &l.payment_no) ||
        !text(kTradeNo, &l.channel_trade_no) || !text(kAccount, &l.account_id) ||
        !text(kCurrency, &l.currency) || !text(kTime, &l.time_text)) {
      return;
    }
    if (l.payment_no.empty()) {
      fail("empty 商户订单号");
      return;
    }
    if (account_id.empty()) account_id = l.account_id;
    if (l.account_id != account_id) {
      fail("商户号 '" + l.account_id + "' differs from the first row's '" + account_id + "'");
      return;
    }
    if (status == "REFUND") {
      l.kind = core::StatementLine::Kind::kRefund;
      if (!text(kRefundNo, &l.refund_no) || !text(kRefundTradeNo, &l.channel_refund_no) ||
          !text(kRefundStatus, &l.channel_status)) {
        return;
      }
      if (l.refund_no.empty()) {
        fail("REFUND row with an empty 商户退款单号");
        return;
      }
      if (!add(&refund_total_minor, asked)) return;
      l.settled = l.channel_status == "SUCCESS";
      l.amount_minor = asked;
      l.settled_amount_minor = refund_settled;
      ++refunds;
    } else {
      if (!add(&payment_total_minor, order)) return;
      l.kind = core::StatementLine::Kind::kPayment;
      l.refund_no.clear();
      l.channel_refund_no.clear();
      l.channel_status.assign(status.data(), status.size());
      l.settled = status == "SUCCESS";
      l.amount_minor = order;
      l.settled_amount_minor = settled;
      ++payments;
    }
    l.fee_milli_minor = fee;
    l.time_ms = core::parse_china_time_ms(l.time_text).value_or(-1);
    l.line = line_no;
    if (!add(&settled_sum, settled) || !add(&refund_settled_sum, refund_settled) ||
        !add(&coupon_refund_sum, coupon_refund) || !add(&fee_sum, fee) || !add(&order_sum, order) ||
        !add(&refund_asked_sum, asked)) {
      return;
    }
    on_line(l);
  }

  bool check_summary_row() {
    if (ends.size() != kTradebillSummaryColumnCount) {
      return fail("summary row has " + std::to_string(ends.size()) + " columns, expected " +
                  std::to_string(kTradebillSummaryColumnCount));
    }
    int64_t count = 0;
    std::array<int64_t, kTradebillSummaryColumnCount> v{};
    if (!amount(0, 0, kTradebillSummaryColumns[0], &count)) return false;
    for (size_t i = 1; i < kTradebillSummaryColumnCount; ++i) {
      const int decimals = i == 4 ? kFeeDecimals : kYuanDecimals;
      if (!amount(i, decimals, kTradebillSummaryColumns[i], &v[i])) return false;
    }
    const std::array<int64_t, kTradebillSummaryColumnCount> rows = {
        static_cast<int64_t>(payments + refunds),
        settled_sum,
        refund_settled_sum,
        coupon_refund_sum,
        fee_sum,
        order_sum,
        refund_asked_sum};
    v[0] = count;
    for (size_t i = 0; i < kTradebillSummaryColumnCount; ++i) {
      if (v[i] != rows[i]) {
        std::string got, want;
        const int decimals = i == 0 ? 0 : (i == 4 ? kFeeDecimals : kYuanDecimals);
        core::append_decimal(&got, v[i], decimals);
        core::append_decimal(&want, rows[i], decimals);
        return fail("summary " + std::string(kTradebillSummaryColumns[i]) + " is " + got +
                    " but the rows add up to " + want);
      }
    }
    return true;
  }
};

TradebillParser::TradebillParser(LineFn on_line) : impl_(std::make_unique<Impl>()) {
  impl_->on_line = std::move(on_line);
}

TradebillParser::~TradebillParser() = default;

bool TradebillParser::feed(std::string_view chunk) { return impl_->feed(chunk); }

bool TradebillParser::finish(core::StatementSummary* summary) {
  Impl& s = *impl_;
  if (!s.finish_input()) return false;
  if (s.state != Impl::State::kDone) {
    ++s.line_no;  // the line that should have come
    return s.fail(s.state == Impl::State::kHeader ? "empty file: no header"
                                                  : "truncated: the summary is missing");
  }
  summary->payment_lines = s.payments;
  summary->refund_lines = s.refunds;
  summary->payment_amount_minor = s.payment_total_minor;
  summary->refund_amount_minor = s.refund_total_minor;
  summary->fee_milli_minor = s.fee_sum;
  summary->account_id = s.account_id;
  summary->last_line = s.line_no;
  return true;
}

const core::StatementError& TradebillParser::error() const { return impl_->error; }

bool parse_tradebill(std::string_view file, const TradebillParser::LineFn& on_line,
                     core::StatementSummary* summary, core::StatementError* error) {
  TradebillParser parser(on_line);
  if (parser.feed(file) && parser.finish(summary)) return true;
  *error = parser.error();
  return false;
}

namespace {

void put(std::string* out, std::string_view value) {
  out->push_back('`');
  out->append(value);
  out->push_back(',');
}

void put_amount(std::string* out, int64_t value, int decimals) {
  out->push_back('`');
  core::append_decimal(out, value, decimals);
  out->push_back(',');
}

void end_row(std::string* out) {
  out->back() = '\r';  // replaces the last comma
  out->push_back('\n');
}

}  // namespace

void TradebillWriter::header(std::string* out) const {
  out->append(kBom);
  for (auto name : kTradebillColumns) {
    out->append(name);
    out->push_back(',');
  }
  end_row(out);
}

void TradebillWriter::row(const core::StatementLine& l, std::string* out) {
  const bool refund = l.kind == core::StatementLine::Kind::kRefund;
  put(out, l.time_text);
  put(out, appid_);
  put(out, l.account_id);
  put(out, "0");
  put(out, "");
  put(out, l.channel_trade_no);
  put(out, l.payment_no);
  put(out, "oncepay-user");
  put(out, "NATIVE");
  put(out, refund ? "REFUND" : (l.settled ? "SUCCESS" : l.channel_status));
  put(out, "OTHERS");
  put(out, l.currency);
  put_amount(out, refund ? 0 : l.settled_amount_minor, kYuanDecimals);
  put_amount(out, 0, kYuanDecimals);
  put(out, refund ? l.channel_refund_no : "0");
  put(out, refund ? l.refund_no : "0");
  put_amount(out, refund ? l.settled_amount_minor : 0, kYuanDecimals);
  put_amount(out, 0, kYuanDecimals);
  put(out, refund ? "ORIGINAL" : "");
  put(out, refund ? (l.settled ? "SUCCESS" : "PROCESSING") : "");
  put(out, "oncepay");
  put(out, "");
  put_amount(out, l.fee_milli_minor, kFeeDecimals);
  put(out, "0.60%");
  put_amount(out, refund ? 0 : l.amount_minor, kYuanDecimals);
  put_amount(out, refund ? l.amount_minor : 0, kYuanDecimals);
  put(out, "");
  end_row(out);
  ++lines_;
  settled_total_minor_ += refund ? 0 : l.settled_amount_minor;
  refund_total_minor_ += refund ? l.settled_amount_minor : 0;
  fee_total_milli_minor_ += l.fee_milli_minor;
  order_total_minor_ += refund ? 0 : l.amount_minor;
  refund_asked_total_minor_ += refund ? l.amount_minor : 0;
}

void TradebillWriter::summary(std::string* out) const {
  for (auto name : kTradebillSummaryColumns) {
    out->append(name);
    out->push_back(',');
  }
  end_row(out);
  put(out, std::to_string(lines_));
  put_amount(out, settled_total_minor_, kYuanDecimals);
  put_amount(out, refund_total_minor_, kYuanDecimals);
  put_amount(out, 0, kYuanDecimals);
  put_amount(out, fee_total_milli_minor_, kFeeDecimals);
  put_amount(out, order_total_minor_, kYuanDecimals);
  put_amount(out, refund_asked_total_minor_, kYuanDecimals);
  end_row(out);
}

}  // namespace oncepay::channels::wechatpay
