// The built-in sandbox's daily statements (sandbox_plugin.hpp
// statement_source, SandboxChannel::fetch_statement): built from what its
// wallet settled, per merchant, in WeChat's ALL layout. On CAF's test
// coordinator: nothing waits on real time.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/scheduler/test_coordinator.hpp>
#include <filesystem>

#include "channels/sandbox/sandbox_plugin.hpp"
#include "channels/sim/statement.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::channels::sandbox {
namespace {

using Status = FetchedStatement::Status;

struct TestConfig : caf::actor_system_config {
  TestConfig() { set("scheduler.policy", caf::atom("testing")); }
};

struct Parsed {
  bool ok = false;
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
};

class SandboxStatementsTest : public ::testing::Test {
 protected:
  SandboxStatementsTest()
      : system_(config_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    SandboxOptions options;
    options.seed = 7;
    std::string error;
    sandbox_ = register_sandbox(*registry_, system_, options, &error);
    EXPECT_NE(sandbox_, nullptr) << error;
    dir_ = std::filesystem::temp_directory_path() /
           ("oncepay-sandbox-statements-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }

  ~SandboxStatementsTest() override {
    registry_.reset();
    sched_.run();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const StatementSource& source() const { return registry_->find("sandbox")->statements; }

  core::ChannelReply call(core::ChannelOp op, const std::string& merchant_id,
                          const std::string& payment_no, int64_t amount_minor,
                          const std::string& refund_no = {}) {
    core::ChannelCall c;
    c.op = op;
    c.channel = "sandbox";
    c.merchant_id = merchant_id;
    c.payment_no = payment_no;
    c.amount_minor = amount_minor;
    c.total_minor = amount_minor;
    c.currency = "CNY";
    c.refund_no = refund_no;
    return sandbox_->handle(c);
  }

  void paid(const std::string& merchant_id, const std::string& payment_no, int64_t amount_minor) {
    ASSERT_EQ(call(core::ChannelOp::kPrepay, merchant_id, payment_no, amount_minor).outcome,
              core::ChannelOutcome::kOk);
    ASSERT_EQ(sandbox_->pay(payment_no, false), CallOutcome::kOk);
  }

  FetchedStatement fetch(const std::string& merchant_id, const std::string& date) {
    StatementFetch f;
    f.merchant_id = merchant_id;
    f.date = date;
    f.dest_path = path();
    return source().fetch(f);
  }

  Parsed parse() const {
    Parsed p;
    p.ok = source().parse(
        path(), [&p](const core::StatementLine& l) { p.lines.push_back(l); }, &p.summary, &p.error);
    return p;
  }

  std::string path() const { return (dir_ / "statement.csv").string(); }
  static std::string today() { return sim::china_day(core::unix_ms()); }
  static std::string tomorrow() { return sim::china_day(core::unix_ms() + 86'400'000); }

  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  std::unique_ptr<ChannelRegistry> registry_ = std::make_unique<ChannelRegistry>();
  SandboxChannel* sandbox_ = nullptr;
  std::filesystem::path dir_;
};

TEST_F(SandboxStatementsTest, APaidAndRefundedTradeAppearOnItsDay) {
  paid("m1", "P1", 1999);
  ASSERT_EQ(call(core::ChannelOp::kRefund, "m1", "P1", 500, "R1").outcome,
            core::ChannelOutcome::kOk);
  FetchedStatement r = fetch("m1", today());
  ASSERT_EQ(r.status, Status::kOk) << r.detail;
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777u, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), r.bytes);
  Parsed p = parse();
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].kind, core::StatementLine::Kind::kPayment);
  EXPECT_EQ(p.lines[0].payment_no, "P1");
  EXPECT_EQ(p.lines[0].amount_minor, 1999);
  EXPECT_EQ(p.lines[0].account_id, "m1");
  EXPECT_EQ(p.lines[0].time_text.substr(0, 10), today());
  EXPECT_EQ(p.lines[1].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(p.lines[1].refund_no, "R1");
  EXPECT_EQ(p.lines[1].amount_minor, 500);
  EXPECT_EQ(p.summary.account_id, source().account_id("m1"));
}

TEST_F(SandboxStatementsTest, AnotherMerchantsTradesAreLeftOut) {
  paid("m1", "P1", 1999);
  paid("m2", "P2", 2999);
  ASSERT_EQ(fetch("m2", today()).status, Status::kOk);
  Parsed p = parse();
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0].payment_no, "P2");
  EXPECT_EQ(p.lines[0].account_id, "m2");
}

TEST_F(SandboxStatementsTest, APrepayThatIsNotPaidIsNotListed) {
  ASSERT_EQ(call(core::ChannelOp::kPrepay, "m1", "P1", 1999).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(fetch("m1", today()).status, Status::kOk);
  Parsed p = parse();
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.lines.empty());
}

TEST_F(SandboxStatementsTest, ADayWithoutTradesIsAnEmptyStatement) {
  paid("m1", "P1", 1999);
  FetchedStatement r = fetch("m1", "2001-01-01");
  ASSERT_EQ(r.status, Status::kOk) << r.detail;
  Parsed p = parse();
  ASSERT_TRUE(p.ok) << p.error.line << ": " << p.error.reason;
  EXPECT_TRUE(p.lines.empty());
  EXPECT_EQ(p.summary.payment_lines, 0u);
  EXPECT_EQ(p.summary.payment_amount_minor, 0);
}

TEST_F(SandboxStatementsTest, ADayNotBegunIsNotReady) {
  EXPECT_EQ(fetch("m1", tomorrow()).status, Status::kNotReady);
}

TEST_F(SandboxStatementsTest, AReversedPaymentIsRefundedInFullUnderItsPaymentNo) {
  paid("m1", "P1", 1999);
  ASSERT_EQ(call(core::ChannelOp::kReverse, "m1", "P1", 1999).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(fetch("m1", today()).status, Status::kOk);
  Parsed p = parse();
  ASSERT_TRUE(p.ok);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[1].refund_no, "P1");
  EXPECT_EQ(p.lines[1].amount_minor, 1999);
}

TEST_F(SandboxStatementsTest, AccountIdIsTheMerchantId) {
  EXPECT_EQ(source().account_id("m1"), "m1");
  EXPECT_EQ(source().media, StatementMedia::kCsv);
}

TEST_F(SandboxStatementsTest, ParseOfAMissingFileIsLineZero) {
  Parsed p = parse();
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error.line, 0u);
}

TEST(ChinaDayTest, TheDayTurnsAtMidnightInUtcPlus8) {
  // 2026-11-29T16:00:00Z is 2026-11-30 00:00:00 in UTC+8.
  constexpr int64_t kMidnight = 1'795'968'000'000;
  EXPECT_EQ(sim::china_day(kMidnight - 1), "2026-11-29");
  EXPECT_EQ(sim::china_day(kMidnight), "2026-11-30");
  EXPECT_EQ(sim::china_day(0), "1970-01-01");
  EXPECT_EQ(sim::china_day(951'753'600'000), "2000-02-29");  // 2000-02-28T16:00Z
}

}  // namespace
}  // namespace oncepay::channels::sandbox
