#include "apps/sim_statements.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/trade_bill.hpp"
#include "channels/sim/statement.hpp"
#include "core/check.hpp"
#include "core/narrow.hpp"

namespace oncepay::apps {

std::string china_time(int64_t unix_ms) { return channels::alipay::format_timestamp(unix_ms); }

std::string business_day(int64_t unix_ms) { return china_time(unix_ms).substr(0, 10); }

std::string china_rfc3339(int64_t unix_ms) {
  std::string t = china_time(unix_ms);
  ONCEPAY_CHECK(t.size() == 19);
  t[10] = 'T';
  return t.append("+08:00");
}

bool is_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : std::initializer_list<size_t>{0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

std::string wechat_tradebill(const std::vector<SettledEntry>& entries, std::string_view appid,
                             std::string_view mchid) {
  return channels::sim::wechat_statement(entries, appid, mchid);
}

bool alipay_trade_bill_zip(const std::vector<SettledEntry>& entries, std::string_view account_id,
                           std::string_view day, std::string* zip, std::string* error) {
  std::vector<core::StatementLine> lines;
  lines.reserve(entries.size());
  for (const auto& e : entries) {
    core::StatementLine l = channels::sim::statement_line(e, account_id);
    if (e.refund) l.settled_amount_minor = -e.amount_minor;  // C.2: refunds print negative
    l.channel_status = e.refund ? "退款" : "交易";
    lines.push_back(std::move(l));
  }
  channels::alipay::TradeBillHeader header{std::string(account_id), std::string(day)};
  return channels::alipay::write_trade_bill_zip(header, lines, zip, error);
}

std::string random_alnum(size_t n) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string bytes(n, '\0');
  ONCEPAY_CHECK(
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), core::checked_cast<int>(n)) == 1);
  for (char& c : bytes) c = kAlphabet[static_cast<unsigned char>(c) % kAlphabet.size()];
  return bytes;
}

}  // namespace oncepay::apps
