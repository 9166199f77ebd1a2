#include "channels/sim/statement.hpp"

#include "channels/wechatpay/tradebill.hpp"
#include "core/check.hpp"

namespace oncepay::channels::sim {

namespace {

constexpr int64_t kChinaOffsetMs = int64_t{8} * 3'600'000;
constexpr int64_t kDayMs = int64_t{24} * 3'600'000;

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Days since 1970-01-01 -> the proleptic Gregorian date (H. Hinnant's
// civil_from_days).
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

void append_2(std::string* out, int64_t v) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

// "yyyy-MM-dd HH:mm:ss" in UTC+8.
std::string china_time(int64_t unix_ms) {
  ONCEPAY_CHECK(unix_ms >= 0);
  const int64_t local_ms = unix_ms + kChinaOffsetMs;
  std::string out = china_day(unix_ms);
  const int64_t seconds = (local_ms % kDayMs) / 1000;
  out.push_back(' ');
  append_2(&out, seconds / 3600);
  out.push_back(':');
  append_2(&out, seconds / 60 % 60);
  out.push_back(':');
  append_2(&out, seconds % 60);
  return out;
}

bool paid(const ChannelPayment& p) {
  return p.state == PayState::kSuccess || p.state == PayState::kRefund;
}

}  // namespace

std::string china_day(int64_t unix_ms) {
  ONCEPAY_CHECK(unix_ms >= 0);
  const Civil c = civil_from_days((unix_ms + kChinaOffsetMs) / kDayMs);
  std::string out = std::to_string(c.year);
  out.push_back('-');
  append_2(&out, c.month);
  out.push_back('-');
  append_2(&out, c.day);
  return out;
}

void SettlementLedger::record(const std::optional<ChannelPayment>& before,
                              const std::optional<ChannelPayment>& after) {
  if (!after) return;
  const auto& p = *after;
  auto entry = [&p](bool refund, std::string refund_no, std::string channel_refund_no,
                    int64_t amount_minor) {
    return SettledEntry{refund,
                        p.payment_no,
                        std::move(refund_no),
                        p.channel_trade_no,
                        std::move(channel_refund_no),
                        amount_minor,
                        p.currency,
                        p.updated_ms,
                        p.merchant_id};
  };
  if (paid(p) && (!before || !paid(*before)))
    entries_.push_back(entry(false, "", "", p.amount_minor));
  int64_t new_refunds_minor = 0;
  for (const auto& [refund_no, amount] : p.refunds) {
    if (before && before->refunds.count(refund_no) != 0) continue;
    new_refunds_minor += amount;
    entries_.push_back(entry(
        true, refund_no, p.channel_trade_no + "R" + std::to_string(entries_.size() + 1), amount));
  }
  const int64_t reversed_minor =
      p.refunded_minor - (before ? before->refunded_minor : 0) - new_refunds_minor;
  if (reversed_minor > 0) {
    entries_.push_back(entry(true, p.payment_no,
                             p.channel_trade_no + "R" + std::to_string(entries_.size() + 1),
                             reversed_minor));
  }
}

std::vector<SettledEntry> SettlementLedger::settled_on(std::string_view day,
                                                       std::string_view merchant_id) const {
  std::vector<SettledEntry> out;
  for (const auto& e : entries_) {
    if (!merchant_id.empty() && e.merchant_id != merchant_id) continue;
    if (china_day(e.time_ms) == day) out.push_back(e);
  }
  return out;
}

core::StatementLine statement_line(const SettledEntry& e, std::string_view account_id) {
  core::StatementLine l;
  l.kind = e.refund ? core::StatementLine::Kind::kRefund : core::StatementLine::Kind::kPayment;
  l.settled = true;
  l.payment_no = e.payment_no;
  l.refund_no = e.refund_no;
  l.channel_trade_no = e.channel_trade_no;
  l.channel_refund_no = e.channel_refund_no;
  l.account_id = std::string(account_id);
  l.amount_minor = e.amount_minor;
  l.settled_amount_minor = e.amount_minor;
  l.currency = e.currency;
  l.channel_status = e.refund ? "REFUND" : "SUCCESS";
  l.time_text = china_time(e.time_ms);
  return l;
}

std::string wechat_statement(const std::vector<SettledEntry>& entries, std::string_view appid,
                             std::string_view account_id) {
  wechatpay::TradebillWriter writer{std::string(appid)};
  std::string out;
  writer.header(&out);
  for (const auto& e : entries) writer.row(statement_line(e, account_id), &out);
  writer.summary(&out);
  return out;
}

}  // namespace oncepay::channels::sim
