// The sim channel's statements (channels/sim/sim_statements.hpp) against the
// simulator's oncepay front (apps/sim_server) served in-process on loopback
// (tests/channels/statement_test_support.hpp): per-merchant statements over
// the signed protocol, not-ready days, and answers tampered with on the way.
#include "channels/sim/sim_statements.hpp"

#include <gtest/gtest.h>

#include "channels/sim/sim_protocol.hpp"
#include "channels/wechatpay/tradebill.hpp"
#include "core/wall_clock.hpp"
#include "tests/apps/sim_test_support.hpp"
#include "tests/channels/statement_test_support.hpp"

namespace oncepay::channels::sim {
namespace {

using namespace std::chrono_literals;
using Status = FetchedStatement::Status;
using channels::testing::TamperedSim;

constexpr const char* kSecret = "chsec_sim_statements";

struct Parsed {
  bool ok = false;
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
};

class SimStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apps::SimServerOptions options;
    options.secret = kSecret;
    sim_ = std::make_unique<TamperedSim>(nullptr, options);
    source_ = sim_statement_source(sim_->url(), kSecret, 300);
  }

  // One call of the engine's, as the sim adapter sends it.
  int send(const core::ChannelCall& call) {
    WireRequest w = encode_call(call);
    auto r = http::http_request_blocking(
        w.method, sim_->url(w.path),
        {{"Content-Type", "application/json"},
         {"X-Channel-Signature",
          sign_request(kSecret, core::unix_seconds(), w.method, w.path, w.body)}},
        w.body, 3000ms);
    EXPECT_TRUE(r.ok) << r.error;
    return r.status;
  }

  void paid(const std::string& merchant_id, const std::string& payment_no, int64_t amount) {
    core::ChannelCall c;
    c.op = core::ChannelOp::kPrepay;
    c.channel = "sim";
    c.merchant_id = merchant_id;
    c.payment_no = payment_no;
    c.amount_minor = amount;
    c.currency = "CNY";
    c.subject = "coffee";
    ASSERT_EQ(send(c), 200);
    auto pay = http::http_request_blocking(
        "POST", sim_->url("/sandbox/payments/" + payment_no + "/pay"), {}, "", 3000ms);
    ASSERT_EQ(pay.status, 200) << pay.body;
  }

  void refunded(const std::string& payment_no, const std::string& refund_no, int64_t amount) {
    core::ChannelCall c;
    c.op = core::ChannelOp::kRefund;
    c.channel = "sim";
    c.payment_no = payment_no;
    c.refund_no = refund_no;
    c.amount_minor = amount;
    ASSERT_EQ(send(c), 200);
  }

  FetchedStatement fetch(const std::string& merchant_id, const std::string& date) {
    StatementFetch f;
    f.merchant_id = merchant_id;
    f.date = date;
    f.dest_path = dest_;
    f.timeout = 3000ms;
    return source_.fetch(f);
  }

  Parsed parse() const {
    Parsed p;
    p.ok = source_.parse(
        dest_, [&p](const core::StatementLine& l) { p.lines.push_back(l); }, &p.summary, &p.error);
    return p;
  }

  apps::testing::TempDir dir_;
  std::string dest_ = dir_.write("statement.csv", "");
  std::unique_ptr<TamperedSim> sim_;
  StatementSource source_;
};

TEST_F(SimStatementsTest, FetchListsTheMerchantsTradesOnly) {
  paid("m1", "P1", 1999);
  refunded("P1", "R1", 500);
  paid("m2", "P2", 2999);
  FetchedStatement r = fetch("m1", channels::testing::china_day_from_now(0));
  ASSERT_EQ(r.status, Status::kOk) << r.detail;
  EXPECT_EQ(channels::testing::file_mode(dest_), 0600u);
  EXPECT_EQ(r.bytes, channels::testing::read_file(dest_).size());
  Parsed p = parse();
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].payment_no, "P1");
  EXPECT_EQ(p.lines[0].account_id, "m1");
  EXPECT_EQ(p.lines[1].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(p.lines[1].refund_no, "R1");
  EXPECT_EQ(p.summary.account_id, source_.account_id("m1"));
}

TEST_F(SimStatementsTest, ADayWithoutTradesIsAnEmptyStatement) {
  FetchedStatement r = fetch("m1", "2001-01-01");
  ASSERT_EQ(r.status, Status::kOk) << r.detail;
  Parsed p = parse();
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  EXPECT_TRUE(p.lines.empty());
}

TEST_F(SimStatementsTest, FetchOfADayNotBegunIsNotReady) {
  FetchedStatement r = fetch("m1", channels::testing::china_day_from_now(1));
  EXPECT_EQ(r.status, Status::kNotReady) << r.detail;
}

TEST_F(SimStatementsTest, FetchOfAnUnsignedAnswerFails) {
  sim_->on_answer = [](const http::HttpRequest&, http::HttpResponse& response) {
    response.headers.clear();
  };
  FetchedStatement r = fetch("m1", channels::testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("signature"), std::string::npos) << r.detail;
}

TEST_F(SimStatementsTest, FetchOfAForgedStatementFails) {
  paid("m1", "P1", 1999);
  sim_->on_answer = [](const http::HttpRequest&, http::HttpResponse& response) {
    auto at = response.body.find("19.99");
    if (at != std::string::npos) response.body[at] = '9';
  };
  FetchedStatement r = fetch("m1", channels::testing::china_day_from_now(0));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_NE(r.detail.find("signature"), std::string::npos) << r.detail;
}

TEST_F(SimStatementsTest, FetchWithAnotherSecretFails) {
  StatementSource other = sim_statement_source(sim_->url(), "chsec_other", 300);
  StatementFetch f;
  f.merchant_id = "m1";
  f.date = channels::testing::china_day_from_now(0);
  f.dest_path = dest_;
  f.timeout = 3000ms;
  EXPECT_EQ(other.fetch(f).status, Status::kFailed);
}

TEST_F(SimStatementsTest, OldStatementPathStillListsEveryTrade) {
  paid("m1", "P1", 1999);
  paid("", "P2", 2999);
  const std::string path = statement_path(channels::testing::china_day_from_now(0), "");
  auto r = http::http_request_blocking(
      "GET", sim_->url(path),
      {{"X-Channel-Signature", sign_request(kSecret, core::unix_seconds(), "GET", path, "")}}, "",
      3000ms);
  ASSERT_EQ(r.status, 200) << r.body;
  Parsed p;
  ASSERT_TRUE(wechatpay::parse_tradebill(
      r.body, [&p](const core::StatementLine& l) { p.lines.push_back(l); }, &p.summary, &p.error))
      << p.error.line << ": " << p.error.reason;
  EXPECT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.summary.account_id, "sim");  // SimServerOptions::merchant_id, default the name
}

TEST_F(SimStatementsTest, AccountIdIsTheMerchantId) {
  EXPECT_EQ(source_.account_id("m1"), "m1");
  EXPECT_EQ(source_.media, StatementMedia::kCsv);
}

}  // namespace
}  // namespace oncepay::channels::sim
