// Tests of channels/alipay/alipay_amount.hpp: exact yuan <-> fen.
#include "channels/alipay/alipay_amount.hpp"

#include <gtest/gtest.h>

namespace oncepay::channels::alipay {
namespace {

TEST(AlipayAmount, ParsesTwoDecimals) { EXPECT_EQ(parse_yuan("88.88"), 8888); }
TEST(AlipayAmount, ParsesLeadingZero) { EXPECT_EQ(parse_yuan("0.10"), 10); }
TEST(AlipayAmount, ParsesSmallest) { EXPECT_EQ(parse_yuan("0.01"), 1); }
TEST(AlipayAmount, ParsesZero) { EXPECT_EQ(parse_yuan("0.00"), 0); }
TEST(AlipayAmount, ParsesOneDecimal) { EXPECT_EQ(parse_yuan("1999.5"), 199950); }
TEST(AlipayAmount, ParsesInteger) { EXPECT_EQ(parse_yuan("100"), 10000); }
TEST(AlipayAmount, ParsesMaximum) { EXPECT_EQ(parse_yuan("100000000.00"), kMaxAmountFen); }
TEST(AlipayAmount, ParsesFifteenDigits) {
  EXPECT_EQ(parse_yuan("999999999999999.99"), 99999999999999999);
}
TEST(AlipayAmount, RefusesSixteenDigits) { EXPECT_FALSE(parse_yuan("9999999999999999")); }
TEST(AlipayAmount, RefusesThreeDecimals) { EXPECT_FALSE(parse_yuan("1.001")); }
TEST(AlipayAmount, RefusesThreeDecimalsEvenZero) { EXPECT_FALSE(parse_yuan("1.000")); }
TEST(AlipayAmount, RefusesEmpty) { EXPECT_FALSE(parse_yuan("")); }
TEST(AlipayAmount, RefusesMinus) { EXPECT_FALSE(parse_yuan("-1.00")); }
TEST(AlipayAmount, RefusesPlus) { EXPECT_FALSE(parse_yuan("+1.00")); }
TEST(AlipayAmount, RefusesExponent) { EXPECT_FALSE(parse_yuan("1e2")); }
TEST(AlipayAmount, RefusesLeadingSpace) { EXPECT_FALSE(parse_yuan(" 1.00")); }
TEST(AlipayAmount, RefusesTrailingGarbage) { EXPECT_FALSE(parse_yuan("1.00x")); }
TEST(AlipayAmount, RefusesLoneDot) { EXPECT_FALSE(parse_yuan(".")); }
TEST(AlipayAmount, RefusesTrailingDot) { EXPECT_FALSE(parse_yuan("1.")); }
TEST(AlipayAmount, RefusesLeadingDot) { EXPECT_FALSE(parse_yuan(".50")); }
TEST(AlipayAmount, RefusesTwoDots) { EXPECT_FALSE(parse_yuan("1.2.3")); }
TEST(AlipayAmount, RefusesComma) { EXPECT_FALSE(parse_yuan("1,00")); }
TEST(AlipayAmount, RefusesHex) { EXPECT_FALSE(parse_yuan("0x10")); }
TEST(AlipayAmount, RefusesNan) { EXPECT_FALSE(parse_yuan("NaN")); }
TEST(AlipayAmount, RefusesEmbeddedNul) { EXPECT_FALSE(parse_yuan(std::string_view("1\0.00", 5))); }

TEST(AlipayAmount, FormatsAlwaysTwoDecimals) {
  EXPECT_EQ(format_yuan(8888), "88.88");
  EXPECT_EQ(format_yuan(10), "0.10");
  EXPECT_EQ(format_yuan(1), "0.01");
  EXPECT_EQ(format_yuan(0), "0.00");
  EXPECT_EQ(format_yuan(199950), "1999.50");
  EXPECT_EQ(format_yuan(kMaxAmountFen), "100000000.00");
}

TEST(AlipayAmount, FormatThenParseRoundTrips) {
  for (int64_t fen :
       std::initializer_list<int64_t>{0, 1, 9, 10, 99, 100, 101, 123456789, 9999999999}) {
    EXPECT_EQ(parse_yuan(format_yuan(fen)), fen) << fen;
  }
}

}  // namespace
}  // namespace oncepay::channels::alipay
