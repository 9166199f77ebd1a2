// The alipay channel's statements (channels/alipay/statements.hpp): parse of
// bill zips from files, and fetch against the simulator's Alipay front served
// in-process on loopback (tests/channels/statement_test_support.hpp), with
// answers tampered with on the way. Keys: generated_locally.json.
#include <gtest/gtest.h>

#include "alipay_adapter_support.hpp"
#include "apps/sim_alipay.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "channels/alipay/statements.hpp"
#include "channels/alipay/trade_bill.hpp"
#include "tests/channels/statement_test_support.hpp"

namespace oncepay::channels::alipay {
namespace {

using namespace std::chrono_literals;
using Status = FetchedStatement::Status;
using channels::testing::TamperedSim;
using testing::kAppId;

constexpr const char* kMerchant = "m-ali";

struct Parsed {
  bool ok = false;
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
};

class AlipayStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apps::AlipayKeyFiles files;
    files.app_public_key_file =
        dir_.write("app.pem", testing::vector_key("alipay_app_rsa_public_key"));
    files.platform_private_key_file =
        dir_.write("platform.pem", testing::vector_key("alipay_platform_rsa_private_key_pkcs8"));
    apps::AlipayFrontOptions front;
    front.app_id = kAppId;
    std::string error;
    ASSERT_TRUE(apps::load_alipay_keys(files, &front, &error)) << error;
    sim_ = std::make_unique<TamperedSim>(std::make_unique<apps::AlipayFront>(std::move(front)));
    accounts_ = std::make_shared<ChannelAccounts>();
    accounts_->add_parser("alipay", &parse_account);
    testing::put_account(*accounts_, kMerchant, kAppId, sim_->url("/gateway.do"));
    auto key = load_private_key(testing::vector_key("alipay_app_rsa_private_key_pkcs8"), &error);
    ASSERT_TRUE(key.has_value()) << error;
    app_key_ = std::move(*key);
    source_ = statement_source(accounts_, "alipay", "");
  }

  // One gateway call signed with the app key; the answer's verdict.
  Verdict call(std::string_view method, std::string biz_content) {
    RequestSpec spec;
    spec.app_id = kAppId;
    spec.method = std::string(method);
    spec.biz_content = std::move(biz_content);
    spec.now_unix_ms = core::unix_ms();
    auto r = http::http_request_blocking("POST", sim_->url("/gateway.do"),
                                         {{"Content-Type", std::string(kFormContentType)}},
                                         build_request_body(spec, *app_key_), 3000ms);
    EXPECT_TRUE(r.ok) << r.error;
    std::string error;
    auto alipay_key =
        load_public_key(testing::vector_key("alipay_platform_rsa_public_key"), &error);
    EXPECT_TRUE(alipay_key.has_value()) << error;
    auto verified = verify_response(r.body, method, *alipay_key);
    auto common = read_common(verified.content);
    EXPECT_TRUE(common.has_value() && common->code == kCodeSuccess) << r.body;
    return verified.verdict;
  }

  void paid(const std::string& no, int64_t fen) {
    PayOrder order{no, fen, "coffee", core::unix_ms() + 600'000, ""};
    ASSERT_EQ(call(kMethodPrecreate, pay_biz_content(order)), Verdict::kOk);
    auto pay = http::http_request_blocking("POST", sim_->url("/sandbox/payments/" + no + "/pay"),
                                           {}, "", 3000ms);
    ASSERT_EQ(pay.status, 200) << pay.body;
  }

  FetchedStatement fetch(const std::string& date, const std::string& merchant = kMerchant) {
    StatementFetch f;
    f.merchant_id = merchant;
    f.date = date;
    f.dest_path = dest_;
    f.timeout = 3000ms;
    return source_.fetch(f);
  }

  Parsed parse(const std::string& path) {
    Parsed p;
    p.ok = source_.parse(
        path, [&p](const core::StatementLine& l) { p.lines.push_back(l); }, &p.summary, &p.error);
    return p;
  }

  apps::testing::TempDir dir_;
  std::string dest_ = dir_.write("statement.zip", "");
  std::unique_ptr<TamperedSim> sim_;
  std::shared_ptr<ChannelAccounts> accounts_;
  std::optional<RsaPrivateKey> app_key_;
  StatementSource source_;
};

core::StatementLine payment(std::string no, int64_t fen) {
  core::StatementLine l;
  l.payment_no = std::move(no);
  l.channel_trade_no = "2026113022001400001";
  l.amount_minor = l.settled_amount_minor = fen;
  l.currency = "CNY";
  l.channel_status = "交易";
  l.time_text = "2026-11-29 10:00:00";
  return l;
}

TEST_F(AlipayStatementsTest, ParseReadsAZipFile) {
  std::string zip, error;
  ASSERT_TRUE(write_trade_bill_zip({kAppId, "2026-11-29"}, {payment("P1", 100)}, &zip, &error))
      << error;
  Parsed p = parse(dir_.write("good.zip", zip));
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0].payment_no, "P1");
  EXPECT_EQ(p.lines[0].account_id, kAppId);
  EXPECT_EQ(source_.media, StatementMedia::kZip);
}

TEST_F(AlipayStatementsTest, ParseOfABadRowKeepsItsLine) {
  // A comma inside an id the writer does not quote: one column too many.
  core::StatementLine bad = payment("P1,X", 100);
  std::string zip, error;
  ASSERT_TRUE(write_trade_bill_zip({kAppId, "2026-11-29"}, {payment("P0", 50), bad}, &zip, &error))
      << error;
  Parsed p = parse(dir_.write("bad.zip", zip));
  EXPECT_FALSE(p.ok);
  // Four preamble lines, the header, the good row: the bad one is line 7.
  EXPECT_EQ(p.error.line, 7u) << p.error.reason;
}

TEST_F(AlipayStatementsTest, ParseOfAFileThatIsNoZipIsLineZero) {
  Parsed p = parse(dir_.write("text.zip", "not a zip"));
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error.line, 0u) << p.error.reason;
}

TEST_F(AlipayStatementsTest, AccountIdIsTheAppIdOrEmptyWithoutAccount) {
  EXPECT_EQ(source_.account_id(kMerchant), kAppId);
  EXPECT_EQ(source_.account_id("m2"), "");
}

TEST_F(AlipayStatementsTest, FetchWritesTheDaysZipWhichParsesBack) {
  paid("P20261130000301", 1999);
  ASSERT_EQ(call(kMethodRefund, refund_biz_content("P20261130000301", 300, "R1")), Verdict::kOk);
  FetchedStatement r = fetch(channels::testing::china_day_from_now(0));
  ASSERT_EQ(r.status, Status::kOk) << r.detail;
  EXPECT_EQ(r.bytes, channels::testing::read_file(dest_).size());
  EXPECT_EQ(channels::testing::file_mode(dest_), 0600u);
  Parsed p = parse(dest_);
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].payment_no, "P20261130000301");
  EXPECT_EQ(p.lines[0].amount_minor, 1999);
  EXPECT_EQ(p.lines[0].account_id, source_.account_id(kMerchant));
  EXPECT_EQ(p.lines[1].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(p.lines[1].refund_no, "R1");
}

TEST_F(AlipayStatementsTest, FetchOfADayNotBegunIsNotReady) {
  FetchedStatement r = fetch(channels::testing::china_day_from_now(1));
  EXPECT_EQ(r.status, Status::kNotReady) << r.detail;
  EXPECT_NE(r.detail.find("isp.bill_not_exist"), std::string::npos) << r.detail;
}

TEST_F(AlipayStatementsTest, FetchOfAnUnsignedAnswerFails) {
  sim_->on_answer = [](const http::HttpRequest& request, http::HttpResponse& response) {
    if (request.path != "/gateway.do") return;
    auto at = response.body.rfind(",\"sign\":");
    ASSERT_NE(at, std::string::npos);
    response.body = response.body.substr(0, at) + "}";
  };
  FetchedStatement r = fetch(channels::testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("not verified"), std::string::npos) << r.detail;
}

TEST_F(AlipayStatementsTest, FetchOfAForgedAnswerFails) {
  // The download URL is pointed at another token after Alipay signed it.
  sim_->on_answer = [](const http::HttpRequest& request, http::HttpResponse& response) {
    if (request.path != "/gateway.do") return;
    auto at = response.body.find("token=");
    ASSERT_NE(at, std::string::npos);
    char& c = response.body[at + 6];
    c = c == 'a' ? 'b' : 'a';
  };
  FetchedStatement r = fetch(channels::testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("not verified"), std::string::npos) << r.detail;
}

TEST_F(AlipayStatementsTest, FetchRefusesADownloadUrlOnAnotherHost) {
  sim_->on_request = [this](http::HttpRequest& request) {
    for (auto& [name, value] : request.headers) {
      if (name == "host") value = "127.0.0.2:" + std::to_string(sim_->port());
    }
  };
  FetchedStatement r = fetch(channels::testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("not on the account's base_url"), std::string::npos) << r.detail;
}

TEST_F(AlipayStatementsTest, FetchOfAnExpiredDownloadUrlFails) {
  sim_->on_answer = [](const http::HttpRequest& request, http::HttpResponse& response) {
    if (request.path == "/alipay/bill/download") response.status = 404;
  };
  FetchedStatement r = fetch(channels::testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("HTTP 404"), std::string::npos) << r.detail;
}

TEST_F(AlipayStatementsTest, FetchForAMerchantWithoutAccountIsNoAccount) {
  FetchedStatement r = fetch(channels::testing::china_day_from_now(0), "m2");
  EXPECT_EQ(r.status, Status::kNoAccount) << r.detail;
}

TEST(AlipayBillUrlTest, TheBillHostIsAllowedForTheProductionGatewayOnly) {
  const std::string prod(kGatewayUrl);
  EXPECT_TRUE(is_allowed_bill_url(
      "http://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade", prod));
  EXPECT_TRUE(is_allowed_bill_url("https://dwbillcenter.alipay.com/x", prod));
  EXPECT_TRUE(is_allowed_bill_url("https://openapi.alipay.com/x", prod));
  EXPECT_FALSE(is_allowed_bill_url("http://dwbillcenter.alipay.com:8080/x", prod));
  EXPECT_FALSE(is_allowed_bill_url("http://evil.example/x", prod));
  EXPECT_FALSE(is_allowed_bill_url("http://dwbillcenter.alipay.com/x", "http://127.0.0.1:9000"));
  EXPECT_TRUE(is_allowed_bill_url("http://127.0.0.1:9000/alipay/bill/download?token=t",
                                  "http://127.0.0.1:9000/gateway.do"));
}

}  // namespace
}  // namespace oncepay::channels::alipay
