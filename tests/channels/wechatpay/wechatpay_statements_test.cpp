// The wechatpay channel's statements (channels/wechatpay/statements.hpp):
// parse of bill files, and fetch against the simulator's wechatpay-v3 front
// served in-process on loopback (tests/channels/statement_test_support.hpp),
// with the bill or the answer tampered with on the way. Keys:
// generated_locally.json (the Go SDK test key is both the merchant's and the
// platform's key, as in wechatpay_actor_test.cpp).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "apps/sim_wechatpay.hpp"
#include "channels/statement_files.hpp"
#include "channels/wechatpay/account.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/signature.hpp"
#include "channels/wechatpay/statements.hpp"
#include "core/signature.hpp"
#include "tests/apps/sim_test_support.hpp"
#include "tests/channels/statement_test_support.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using namespace std::chrono_literals;
using apps::testing::vector_key;
using Status = FetchedStatement::Status;
using testing::TamperedSim;

constexpr const char* kMchid = "1230000109";
constexpr const char* kAppid = "wxd678efh567hg6787";
constexpr const char* kKeyId = "PUB_KEY_ID_0112300001092026113000000000000001";
constexpr const char* kSerial = "F5765756002FDD77";
constexpr const char* kMerchant = "m1";

std::string account_body(const std::string& base_url) {
  boost::json::object body;
  body["mchid"] = kMchid;
  body["appid"] = kAppid;
  body["merchant_serial_no"] = kSerial;
  body["merchant_private_key_pem"] = vector_key("wechatpay_test_rsa_private_key_pkcs8");
  body["platform_public_key_id"] = kKeyId;
  body["platform_public_key_pem"] = vector_key("wechatpay_test_rsa_public_key");
  body["apiv3_key"] = vector_key("wechatpay_apiv3_key");
  body["base_url"] = base_url;
  return boost::json::serialize(body);
}

struct Parsed {
  bool ok = false;
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
};

Parsed parse_file(const StatementSource& source, const std::string& path) {
  Parsed p;
  p.ok = source.parse(
      path, [&p](const core::StatementLine& l) { p.lines.push_back(l); }, &p.summary, &p.error);
  return p;
}

class WechatpayStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apps::WechatpayFrontOptions options;
    options.mchid = kMchid;
    options.platform_public_key_id = kKeyId;
    apps::WechatpayKeyFiles files;
    files.merchant_public_key_file =
        dir_.write("merchant.pem", vector_key("wechatpay_test_rsa_public_key"));
    files.platform_private_key_file =
        dir_.write("platform.pem", vector_key("wechatpay_test_rsa_private_key_pkcs8"));
    files.apiv3_key_file = dir_.write("apiv3.key", vector_key("wechatpay_apiv3_key"));
    std::string error;
    ASSERT_TRUE(apps::load_wechatpay_keys(files, &options, &error)) << error;
    sim_ =
        std::make_unique<TamperedSim>(std::make_unique<apps::WechatpayFront>(std::move(options)));
    ASSERT_EQ(load_private_key(vector_key("wechatpay_test_rsa_private_key_pkcs8"), &key_),
              Error::kOk);
    accounts_ = std::make_shared<ChannelAccounts>();
    accounts_->add_parser("wechatpay", &parse_account);
    std::shared_ptr<const ChannelAccount> account;
    std::string canonical;
    auto refused = accounts_->parse("wechatpay", account_body(sim_->url()), &account, &canonical);
    ASSERT_FALSE(refused) << refused->field << ": " << refused->message;
    accounts_->put(kMerchant, "wechatpay", account);
    source_ = statement_source(accounts_, "wechatpay", "");
  }

  // A request to the simulator signed as the merchant (A.5).
  http::HttpClientResult signed_call(const std::string& method, const std::string& url,
                                     const std::string& body) {
    std::string authorization;
    EXPECT_EQ(sign_request(key_, kMchid, kSerial, method, url, core::unix_seconds(),
                           core::random_token(16), body, &authorization),
              Error::kOk);
    auto r = http::http_request_blocking(
        method, sim_->url(url),
        {{"Authorization", authorization}, {"Content-Type", "application/json"}}, body, 3000ms);
    EXPECT_TRUE(r.ok) << r.error;
    return r;
  }

  // A NATIVE prepay the payer then pays (through /sandbox).
  void paid(const std::string& no, int64_t fen) {
    PrepayRequest p;
    p.appid = kAppid;
    p.mchid = kMchid;
    p.description = "coffee";
    p.out_trade_no = no;
    p.notify_url = "http://127.0.0.1:9/notify";  // refused at once
    p.total_fen = fen;
    ASSERT_EQ(signed_call("POST", std::string(kNativePrepayPath), prepay_body(p)).status, 200);
    auto pay = http::http_request_blocking("POST", sim_->url("/sandbox/payments/" + no + "/pay"),
                                           {}, "", 3000ms);
    ASSERT_EQ(pay.status, 200) << pay.body;
  }

  void refunded(const std::string& no, const std::string& refund_no, int64_t fen, int64_t total) {
    RefundRequest r;
    r.out_trade_no = no;
    r.out_refund_no = refund_no;
    r.refund_fen = fen;
    r.total_fen = total;
    ASSERT_EQ(signed_call("POST", std::string(kRefundPath), refund_body(r)).status, 200);
  }

  FetchedStatement fetch(const std::string& date, const std::string& merchant = kMerchant) {
    StatementFetch f;
    f.merchant_id = merchant;
    f.date = date;
    f.dest_path = dest_;
    f.timeout = 3000ms;
    return source_.fetch(f);
  }

  apps::testing::TempDir dir_;
  std::string dest_ = dir_.write("statement.csv", "");
  std::unique_ptr<TamperedSim> sim_;
  PrivateKey key_;
  std::shared_ptr<ChannelAccounts> accounts_;
  StatementSource source_;
};

// ------------------------------------------------------------------ parse

TEST_F(WechatpayStatementsTest, ParseStreamsAFileLargerThanOneChunk) {
  TradebillWriter writer(kAppid);
  std::string csv;
  writer.header(&csv);
  constexpr int kRows = 1500;
  for (int i = 0; i < kRows; ++i) {
    core::StatementLine l;
    l.payment_no = std::string("P").append(std::to_string(1'000'000 + i));
    l.channel_trade_no = std::string("42000").append(std::to_string(i));
    l.account_id = kMchid;
    l.amount_minor = l.settled_amount_minor = 100 + i;
    l.currency = "CNY";
    l.time_text = "2026-11-29 10:00:00";
    writer.row(l, &csv);
  }
  writer.summary(&csv);
  ASSERT_GT(csv.size(), 2 * kStatementChunkBytes);
  const std::string path = dir_.write("big.csv", csv);
  Parsed p = parse_file(source_, path);
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(p.lines.back().payment_no, std::string("P").append(std::to_string(999'999 + kRows)));
  EXPECT_EQ(p.summary.payment_lines, static_cast<uint64_t>(kRows));
  EXPECT_EQ(p.summary.account_id, kMchid);
  EXPECT_EQ(source_.media, StatementMedia::kCsv);
}

TEST_F(WechatpayStatementsTest, ParseOfABadRowKeepsItsLine) {
  TradebillWriter writer(kAppid);
  std::string csv;
  writer.header(&csv);
  core::StatementLine l;
  l.payment_no = "P1";
  l.account_id = kMchid;
  l.amount_minor = l.settled_amount_minor = 100;
  l.currency = "CNY";
  l.time_text = "2026-11-29 10:00:00";
  writer.row(l, &csv);
  writer.row(l, &csv);
  writer.summary(&csv);
  // Line 3 (the second row) loses its backquote on the first field.
  const size_t second_row = csv.find('\n', csv.find('\n') + 1) + 1;
  ASSERT_EQ(csv[second_row], '`');
  csv.erase(second_row, 1);
  Parsed p = parse_file(source_, dir_.write("bad.csv", csv));
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error.line, 3u) << p.error.reason;
}

TEST_F(WechatpayStatementsTest, ParseOfAFileCutBeforeItsSummaryFails) {
  TradebillWriter writer(kAppid);
  std::string csv;
  writer.header(&csv);
  core::StatementLine l;
  l.payment_no = "P1";
  l.account_id = kMchid;
  l.amount_minor = l.settled_amount_minor = 100;
  l.currency = "CNY";
  l.time_text = "2026-11-29 10:00:00";
  writer.row(l, &csv);
  Parsed p = parse_file(source_, dir_.write("cut.csv", csv));
  EXPECT_FALSE(p.ok);
  EXPECT_GE(p.error.line, 2u) << p.error.reason;
}

TEST_F(WechatpayStatementsTest, ParseOfAMissingFileIsLineZero) {
  Parsed p = parse_file(source_, dir_.write("x", "") + ".absent");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error.line, 0u);
  EXPECT_NE(p.error.reason.find("cannot open"), std::string::npos) << p.error.reason;
}

// ------------------------------------------------------------------ account_id

TEST_F(WechatpayStatementsTest, AccountIdIsTheMchidOrEmptyWithoutAccount) {
  EXPECT_EQ(source_.account_id(kMerchant), kMchid);
  EXPECT_EQ(source_.account_id("m2"), "");
}

// ------------------------------------------------------------------ fetch

TEST_F(WechatpayStatementsTest, FetchWritesTheDaysBillWhichParsesBack) {
  paid("P20261130000201", 1999);
  refunded("P20261130000201", "R1", 500, 1999);
  const std::string today = testing::china_day_from_now(0);
  FetchedStatement r = fetch(today);
  ASSERT_EQ(r.status, Status::kOk) << r.detail;
  const std::string bytes = testing::read_file(dest_);
  EXPECT_EQ(r.bytes, bytes.size());
  EXPECT_EQ(testing::file_mode(dest_), 0600u);
  Parsed p = parse_file(source_, dest_);
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].kind, core::StatementLine::Kind::kPayment);
  EXPECT_EQ(p.lines[0].payment_no, "P20261130000201");
  EXPECT_EQ(p.lines[0].amount_minor, 1999);
  EXPECT_EQ(p.lines[0].account_id, source_.account_id(kMerchant));
  EXPECT_EQ(p.lines[1].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(p.lines[1].refund_no, "R1");
  EXPECT_EQ(p.lines[1].amount_minor, 500);
}

TEST_F(WechatpayStatementsTest, FetchOfADayNotBegunIsNotReady) {
  FetchedStatement r = fetch(testing::china_day_from_now(1));
  EXPECT_EQ(r.status, Status::kNotReady) << r.detail;
  EXPECT_NE(r.detail.find("NO_STATEMENT_EXIST"), std::string::npos) << r.detail;
}

TEST_F(WechatpayStatementsTest, FetchOfACorruptedBillIsAHashMismatch) {
  paid("P20261130000202", 1999);
  sim_->on_answer = [](const http::HttpRequest& request, http::HttpResponse& response) {
    if (request.path == "/v3/billdownload/file" && !response.body.empty()) {
      response.body.back() = response.body.back() == '0' ? '1' : '0';
    }
  };
  FetchedStatement r = fetch(testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("hash_value does not match"), std::string::npos) << r.detail;
  EXPECT_EQ(testing::read_file(dest_), "");  // nothing written
}

TEST_F(WechatpayStatementsTest, FetchOfAnUnsignedAnswerFails) {
  sim_->on_answer = [](const http::HttpRequest& request, http::HttpResponse& response) {
    if (request.path == "/v3/bill/tradebill") response.headers.clear();
  };
  FetchedStatement r = fetch(testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("not verified"), std::string::npos) << r.detail;
}

TEST_F(WechatpayStatementsTest, FetchOfAForgedAnswerFails) {
  // The hash_value is swapped for another after the simulator signed the answer.
  sim_->on_answer = [](const http::HttpRequest& request, http::HttpResponse& response) {
    if (request.path != "/v3/bill/tradebill") return;
    auto at = response.body.find("\"hash_value\":\"");
    ASSERT_NE(at, std::string::npos);
    char& c = response.body[at + 14];
    c = c == 'a' ? 'b' : 'a';
  };
  FetchedStatement r = fetch(testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("not verified"), std::string::npos) << r.detail;
}

TEST_F(WechatpayStatementsTest, FetchOfANotReadyAnswerThatIsUnsignedFails) {
  sim_->on_answer = [](const http::HttpRequest&, http::HttpResponse& response) {
    response.headers.clear();
  };
  FetchedStatement r = fetch(testing::china_day_from_now(1));
  EXPECT_EQ(r.status, Status::kFailed) << r.detail;
}

TEST_F(WechatpayStatementsTest, FetchRefusesADownloadUrlOnAnotherHost) {
  // The simulator names the download URL after the Host it was asked at:
  // a signed answer that points elsewhere must not get the signed GET.
  sim_->on_request = [this](http::HttpRequest& request) {
    for (auto& [name, value] : request.headers) {
      if (name == "host") value = "127.0.0.2:" + std::to_string(sim_->port());
    }
  };
  FetchedStatement r = fetch(testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("not on the account's base_url"), std::string::npos) << r.detail;
}

TEST_F(WechatpayStatementsTest, FetchForAMerchantWithoutAccountIsNoAccount) {
  FetchedStatement r = fetch(testing::china_day_from_now(0), "m2");
  EXPECT_EQ(r.status, Status::kNoAccount) << r.detail;
}

TEST_F(WechatpayStatementsTest, FetchOfAMalformedDateFailsWithoutACall) {
  FetchedStatement r = fetch("2026/11/30");
  EXPECT_EQ(r.status, Status::kFailed);
}

TEST(StatementFilesTest, SameOriginComparesSchemeHostAndPort) {
  EXPECT_TRUE(
      same_origin("http://127.0.0.1:9000/v3/billdownload/file?token=x", "http://127.0.0.1:9000"));
  EXPECT_TRUE(same_origin("https://API.mch.weixin.qq.com/x", "https://api.mch.weixin.qq.com"));
  EXPECT_TRUE(same_origin("https://api.mch.weixin.qq.com:443/x", "https://api.mch.weixin.qq.com"));
  EXPECT_FALSE(same_origin("http://api.mch.weixin.qq.com/x", "https://api.mch.weixin.qq.com"));
  EXPECT_FALSE(same_origin("https://evil.example/x", "https://api.mch.weixin.qq.com"));
  EXPECT_FALSE(same_origin("http://127.0.0.1:9001/x", "http://127.0.0.1:9000"));
  EXPECT_FALSE(same_origin("not a url", "http://127.0.0.1:9000"));
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
