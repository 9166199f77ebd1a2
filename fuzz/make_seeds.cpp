// Writes the seed corpus of the fuzz targets into <dir>/api, <dir>/wal
// (the formats are in api_input.hpp and wal_input.hpp) and <dir>/statement
// (a mode byte and a statement written by the channels' writers, see
// statement_fuzzer.cpp). The corpus is checked in under fuzz/corpus; rerun
// after a change of the API messages, the signature scheme, the WAL format or
// a statement format:
//
//   build-fuzz/make_seeds fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "channels/alipay/trade_bill.hpp"
#include "channels/wechatpay/tradebill.hpp"
#include "core/signature.hpp"
#include "core/statement.hpp"
#include "fuzz/api_input.hpp"
#include "fuzz/wal_input.hpp"
#include "storage/wal_format.hpp"

namespace {

namespace fmt = oncepay::storage::wal_format;
using oncepay::fuzz::join_api_input;
using oncepay::fuzz::kNowUnixSeconds;
using oncepay::fuzz::kSecret;

void write(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file.good()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

std::string signed_input(std::string_view path, std::string_view body) {
  return join_api_input(path, oncepay::core::sign_header(kSecret, kNowUnixSeconds, body), body);
}

void api_seeds(const std::filesystem::path& dir) {
  write(dir / "pay_minimal",
        join_api_input("/v1/orders/o-1/pay", "",
                       R"({"amount":1999,"currency":"CNY","channel":"sandbox"})"));
  write(dir / "pay_full",
        join_api_input(
            "/v1/orders/order_2024-0001/pay", "",
            R"({"amount":9223372036854775807,"currency":"USD","channel":"sandbox",)"
            R"("subject":"T-shirt \u00e9\"\\","notify_url":"https://merchant.example/hook"})"));
  write(dir / "pay_bad_amount",
        join_api_input("/v1/orders/o-2/pay", "", R"({"amount":19.99,"currency":"CNY"})"));
  write(dir / "pay_unknown_field",
        join_api_input("/v1/orders/o-3/pay", "", R"( {"amount":"100","foo":[1,{"a":null}]} )"));
  write(dir / "notify_success",
        signed_input("/v1/channels/sandbox/notify",
                     R"({"notify_id":"n-1","payment_no":"P0001","status":"SUCCESS",)"
                     R"("channel_trade_no":"T-9","amount":1999})"));
  write(dir / "notify_refund",
        signed_input("/v1/channels/sandbox/notify",
                     R"({"notify_id":"n-2","payment_no":"P0001","status":"REFUND_SUCCESS",)"
                     R"("amount":500,"refund_no":"r-1"})"));
  write(dir / "notify_numeric_status",
        signed_input("/v1/channels/sandbox/notify",
                     R"({"payment_no":"P0002","status":7,"amount":-1})"));
  const std::string body = R"({"payment_no":"P0003","status":"PAYERROR"})";
  write(dir / "notify_two_signatures",
        join_api_input("/v1/channels/sandbox/notify",
                       " t=" + std::to_string(kNowUnixSeconds) + ",v1=" + std::string(64, 'a') +
                           ", v0=legacy ,v1=" +
                           oncepay::core::hmac_sha256_hex(
                               kSecret, std::to_string(kNowUnixSeconds) + "." + body),
                       body));
  write(dir / "notify_stale",
        join_api_input("/v1/channels/sandbox/notify",
                       oncepay::core::sign_header(kSecret, kNowUnixSeconds - 3600, body), body));
  write(dir / "faults",
        join_api_input("/sandbox/faults", "",
                       R"({"notify_drop":0.25,"notify_duplicate":1e-3,"notify_delay_ms":250,)"
                       R"("query_unavailable":"NaN","prepay_timeout":-0.0})"));
  write(dir / "merchant",
        join_api_input("/admin/merchants", "",
                       R"({"merchant_id":"m_demo-1","policy":"refund_duplicates"})"));
  write(dir / "paths_only", join_api_input("//v1//orders/o-1/close/?x=1", "", ""));
  write(dir / "deep", join_api_input("/v1/orders/o-4/pay", "", R"({"subject":[[[[[[[[1]]]]]]]]})"));
}

void wal_seeds(const std::filesystem::path& dir) {
  // Raw segments (mode byte 1): what Wal writes, whole and torn.
  std::string segment;
  fmt::append_file_header(fmt::kFirstLsn, &segment);
  fmt::append_record(1, "first", &segment);
  fmt::append_record(2, std::string(40, 'x'), &segment);
  fmt::append_record(3, "", &segment);
  write(dir / "segment_three_records", std::string(1, '\1') + segment);
  write(dir / "segment_torn_tail",
        std::string(1, '\1') + segment + segment.substr(fmt::kFileHeaderSize, 27));
  std::string header_only;
  fmt::append_file_header(fmt::kFirstLsn, &header_only);
  write(dir / "segment_header_only", std::string(1, '\1') + header_only);
  write(dir / "segment_torn_header", std::string(1, '\1') + header_only.substr(0, 13));
  std::string record;
  fmt::append_record(1, "a single record, no file header", &record);
  write(dir / "record_only", std::string(1, '\1') + record);

  // Framed mode (mode byte 0 or 2): control bytes and payloads.
  write(dir / "framed_ok", std::string("\0\x03"
                                       "abc"
                                       "\x05"
                                       "hello"
                                       "\x00",
                                       12));
  write(dir / "framed_gap", std::string("\0\x02"
                                        "ab"
                                        "\x42"
                                        "cd",
                                        7));
  write(dir / "framed_corrupt_last", std::string("\0\x02"
                                                 "ab"
                                                 "\x83"
                                                 "xyz",
                                                 8));
  write(dir / "framed_corrupt_middle", std::string("\0\x02"
                                                   "ab"
                                                   "\x83"
                                                   "xyz"
                                                   "\x01"
                                                   "q",
                                                   10));
  write(dir / "framed_tail", std::string("\0\x02"
                                         "ab"
                                         "\xc0"
                                         "\x07\x00\x00",
                                         8));
  write(dir / "framed_header_lsn2", std::string("\x02\x02"
                                                "ab",
                                                4));
}

std::vector<oncepay::core::StatementLine> statement_lines() {
  using oncepay::core::StatementLine;
  std::vector<StatementLine> lines;
  auto add = [&](StatementLine::Kind kind, std::string no, int64_t amount_minor, bool settled) {
    StatementLine l;
    l.kind = kind;
    l.settled = settled;
    l.payment_no = std::move(no);
    l.channel_trade_no = "4200000001202611300000" + std::to_string(lines.size());
    l.account_id = "1900000109";
    l.amount_minor = amount_minor;
    l.settled_amount_minor = amount_minor;
    l.currency = "CNY";
    l.channel_status = settled ? "SUCCESS" : "REVOKED";
    l.fee_milli_minor = 6000;
    l.time_text = "2026-11-30 10:0" + std::to_string(lines.size()) + ":00";
    if (kind == StatementLine::Kind::kRefund) {
      l.refund_no = "R" + l.payment_no;
      l.channel_refund_no = "5030000001202611300000" + std::to_string(lines.size());
      l.settled_amount_minor = -amount_minor;
      l.fee_milli_minor = -1000;
    }
    lines.push_back(std::move(l));
  };
  add(StatementLine::Kind::kPayment, "P1", 1000, true);
  add(StatementLine::Kind::kPayment, "P2", 1, false);
  add(StatementLine::Kind::kRefund, "P1", 300, true);
  return lines;
}

void statement_seeds(const std::filesystem::path& dir) {
  namespace wechatpay = oncepay::channels::wechatpay;
  namespace alipay = oncepay::channels::alipay;
  std::vector<oncepay::core::StatementLine> lines = statement_lines();
  // Mode bytes (statement_fuzzer.cpp): % 3 picks the format, / 3 + 1 the chunk size.
  std::string wechat;
  wechatpay::TradebillWriter writer("wx8888888888888888");
  writer.header(&wechat);
  for (auto l : lines) {
    if (l.kind == oncepay::core::StatementLine::Kind::kRefund) l.settled_amount_minor = 300;
    writer.row(l, &wechat);
  }
  writer.summary(&wechat);
  write(dir / "wechat_chunk1", std::string(1, '\x00') + wechat);
  write(dir / "wechat_chunk7", std::string(1, '\x12') + wechat);
  const alipay::TradeBillHeader header{"20880000000000000156", "2026-11-30"};
  write(dir / "alipay_text_chunk3",
        std::string(1, '\x08') + alipay::write_trade_bill_text(header, lines));
  std::string zip, error;
  if (!alipay::write_trade_bill_zip(header, lines, &zip, &error)) {
    std::fprintf(stderr, "alipay zip: %s\n", error.c_str());
    std::exit(1);
  }
  write(dir / "alipay_zip", std::string(1, '\x01') + zip);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "api");
  std::filesystem::create_directories(root / "wal");
  std::filesystem::create_directories(root / "statement");
  api_seeds(root / "api");
  wal_seeds(root / "wal");
  statement_seeds(root / "statement");
  return 0;
}
