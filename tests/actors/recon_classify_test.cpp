// What no statement line may carry, whatever its format
// (actors/recon_classify.hpp statement_line_problem).
#include "actors/recon_classify.hpp"

#include <gtest/gtest.h>

namespace oncepay::actors {
namespace {

core::StatementLine good_line() {
  core::StatementLine l;
  l.payment_no = "P00531795338284923f85c00000001";
  l.channel_trade_no = "4200001234";
  l.amount_minor = 1999;
  l.currency = "CNY";
  l.time_ms = 1'795'881'600'000;
  l.line = 2;
  return l;
}

TEST(StatementLineProblemTest, AGoodLineHasNone) {
  EXPECT_EQ(statement_line_problem(good_line()), "");
}

TEST(StatementLineProblemTest, EachBadFieldIsNamed) {
  auto l = good_line();
  l.amount_minor = -500;
  EXPECT_NE(statement_line_problem(l).find("negative"), std::string::npos);
  l = good_line();
  l.payment_no = std::string(65, 'P');
  EXPECT_NE(statement_line_problem(l).find("payment number"), std::string::npos);
  l = good_line();
  l.payment_no.clear();
  EXPECT_NE(statement_line_problem(l), "");
  l = good_line();
  l.kind = core::StatementLine::Kind::kRefund;
  EXPECT_NE(statement_line_problem(l).find("refund number"), std::string::npos);
  l.refund_no = "R1";
  EXPECT_EQ(statement_line_problem(l), "");
  l = good_line();
  l.channel_trade_no = std::string(4 << 20, 'x');
  EXPECT_NE(statement_line_problem(l).find("channel id"), std::string::npos);
  l = good_line();
  l.currency.clear();
  EXPECT_NE(statement_line_problem(l).find("currency"), std::string::npos);
  l = good_line();
  l.time_ms = -1;
  EXPECT_NE(statement_line_problem(l).find("trade time"), std::string::npos);
}

}  // namespace
}  // namespace oncepay::actors
