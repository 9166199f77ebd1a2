// The statement helpers: exact decimals both ways, China time, UTF-8 checks.
#include "core/statement.hpp"

#include <gtest/gtest.h>

namespace oncepay::core {
namespace {

int64_t dec(std::string_view text, int decimals) {
  int64_t v = -1;
  EXPECT_TRUE(parse_decimal(text, decimals, &v)) << text;
  return v;
}

TEST(StatementTest, DecimalsParseExactly) {
  EXPECT_EQ(dec("0.01", 2), 1);
  EXPECT_EQ(dec("-88.88", 2), -8888);
  EXPECT_EQ(dec("0.01000", 5), 1000);
  EXPECT_EQ(dec("45.0", 0), 45);
  EXPECT_EQ(dec("12", 2), 1200);
  EXPECT_EQ(dec("0.1", 2), 10);
  EXPECT_EQ(dec("92233720368.54", 2), 9223372036854);
}

TEST(StatementTest, MalformedDecimalsAreRefused) {
  int64_t v = 0;
  for (std::string_view bad :
       {"", "-", ".5", "1.", "1.001", "1e3", " 1", "1,00", "0x1", "+1", "1234567890123456"}) {
    EXPECT_FALSE(parse_decimal(bad, 2, &v)) << bad;
  }
}

TEST(StatementTest, DecimalsThatWouldNotFitInt64AreRefused) {
  int64_t v = 0;
  EXPECT_FALSE(parse_decimal("99999999999999.00000", 5, &v)) << "14 + 5 digits";
  EXPECT_TRUE(parse_decimal("9999999999999.00000", 5, &v)) << "13 + 5 = 18 digits fit";
  EXPECT_EQ(v, 999'999'999'999'900'000);
  EXPECT_TRUE(parse_decimal("-999999999999999.99", 2, &v));
  EXPECT_EQ(v, -99'999'999'999'999'999);
}

TEST(StatementTest, AppendDecimalIsTheInverse) {
  std::string s;
  append_decimal(&s, -8888, 2);
  s.push_back(' ');
  append_decimal(&s, 1000, 5);
  s.push_back(' ');
  append_decimal(&s, 7, 2);
  EXPECT_EQ(s, "-88.88 0.01000 0.07");
}

TEST(StatementTest, ChinaTimeIsUtcPlusEight) {
  EXPECT_EQ(parse_china_time_ms("1970-01-01 08:00:00"), 0);
  EXPECT_EQ(parse_china_time_ms("2019-02-19 01:52:32"), 1550512352000);
  EXPECT_FALSE(parse_china_time_ms("2019-02-19T01:52:32").has_value());
  EXPECT_FALSE(parse_china_time_ms("2019-13-19 01:52:32").has_value());
}

TEST(StatementTest, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("交易时间 abc"));
  EXPECT_FALSE(valid_utf8("\xC3\x28"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xE4\xBA"));          // cut
  EXPECT_FALSE(valid_utf8("\xD7\xD6\xBD\xDA"));  // GBK bytes
}

}  // namespace
}  // namespace oncepay::core
