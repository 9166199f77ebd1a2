// The merchant API's input checks (gateway/validate.hpp), one named case each.
#include "gateway/validate.hpp"

#include <gtest/gtest.h>

namespace oncepay::gateway {
namespace {

v1::PayRequest pay(int64_t amount = 1999, std::string currency = "CNY") {
  v1::PayRequest r;
  r.set_amount(amount);
  r.set_currency(std::move(currency));
  r.set_channel("sandbox");
  return r;
}

TEST(ValidateTest, AcceptsAPlainPay) { EXPECT_EQ(check_pay(pay()), ""); }

TEST(ValidateTest, AmountMustBePositive) {
  EXPECT_NE(check_pay(pay(0)), "");
  EXPECT_NE(check_pay(pay(-5)), "");
}

TEST(ValidateTest, CurrencyMustBeIso4217) {
  EXPECT_NE(check_pay(pay(1, "XXX")), "");
  EXPECT_NE(check_pay(pay(1, "cny")), "");
  EXPECT_EQ(check_pay(pay(1, "USD")), "");
}

TEST(ValidateTest, NotifyUrlMustBeDeliverableHttp) {
  auto r = pay();
  r.set_notify_url("http://127.0.0.1:9000/hook");
  EXPECT_EQ(check_pay(r), "");
  r.set_notify_url("ftp://x");
  EXPECT_NE(check_pay(r).find("http:// or https://"), std::string::npos);
  r.set_notify_url("http://");
  EXPECT_NE(check_pay(r), "");
  r.set_notify_url("http://" + std::string(3000, 'a'));
  EXPECT_NE(check_pay(r), "");
}

TEST(ValidateTest, NotifyUrlMayBeHttps) {
  auto r = pay();
  r.set_notify_url("https://shop.example/hook");
  EXPECT_EQ(check_pay(r), "");
  r.set_notify_url("https://shop.example:8443/hook?x=1");
  EXPECT_EQ(check_pay(r), "");
  r.set_notify_url("https://[::1]:8443/hook");
  EXPECT_EQ(check_pay(r), "");
  r.set_notify_url("https://");
  EXPECT_NE(check_pay(r), "");
}

TEST(ValidateTest, NotifyUrlNeedsHostAndNumericPort) {
  auto r = pay();
  for (const char* bad :
       {"https://:443/hook", "http:///hook", "https://shop.example:x/hook", "https://[::1/hook"}) {
    r.set_notify_url(bad);
    EXPECT_NE(check_pay(r), "") << bad;
  }
}

TEST(ValidateTest, NotifyUrlWithoutSpacesOrControlCharacters) {
  auto r = pay();
  for (const char* bad : {"https://shop.example/a hook", "https://shop.example/\r\nX: y"}) {
    r.set_notify_url(bad);
    EXPECT_NE(check_pay(r), "") << bad;
  }
}

TEST(ValidateTest, OrderNumbersAreTokens) {
  EXPECT_EQ(check_order_no("order_2024-01"), "");
  EXPECT_NE(check_order_no(""), "");
  EXPECT_NE(check_order_no("bad id"), "");
  EXPECT_NE(check_order_no(std::string(65, 'a')), "");
}

TEST(ValidateTest, RefundsNeedATokenAndAPositiveAmount) {
  v1::RefundRequest r;
  r.set_refund_no("r-1");
  r.set_amount(1);
  EXPECT_EQ(check_refund(r), "");
  r.set_amount(0);
  EXPECT_NE(check_refund(r), "");
  r.set_amount(1);
  r.set_refund_no("r 1");
  EXPECT_NE(check_refund(r), "");
  r.set_refund_no("r-1");
  r.set_reason(std::string(300, 'x'));
  EXPECT_NE(check_refund(r), "");
}

}  // namespace
}  // namespace oncepay::gateway

namespace oncepay::gateway {
namespace {

TEST(ValidateAmount, PayAmountAboveTwoTo53IsRefused) {
  v1::PayRequest r;
  r.set_amount(kMaxAmountMinor);
  r.set_currency("CNY");
  r.set_channel("sandbox");
  EXPECT_EQ(check_pay(r), "");
  r.set_amount(kMaxAmountMinor + 1);
  EXPECT_EQ(check_pay(r), R"(field "amount": must be from 1 to 9007199254740991 minor units, )"
                          R"(got 9007199254740992)");
  r.set_amount(0);
  EXPECT_EQ(check_pay(r),
            R"(field "amount" is missing or 0: it must be from 1 to 9007199254740991 minor units)");
}

TEST(ValidateAmount, PayAmountAboveConfiguredMaxIsRefused) {
  v1::PayRequest r;
  r.set_amount(100'000);
  r.set_currency("CNY");
  r.set_channel("sandbox");
  EXPECT_EQ(check_pay(r, 100'000), "");
  EXPECT_EQ(check_pay(r, 0), "") << "0 means no extra limit";
  r.set_amount(100'001);
  EXPECT_EQ(check_pay(r, 100'000),
            R"(field "amount": 100001 minor units is above this gateway's limit )"
            R"((payment.max-amount) of 100000)");
}

TEST(ValidateAmount, RefundAmountMustBeOneToTwoTo53) {
  v1::RefundRequest r;
  r.set_refund_no("r-1");
  r.set_amount(kMaxAmountMinor);
  EXPECT_EQ(check_refund(r), "");
  r.set_amount(kMaxAmountMinor + 1);
  EXPECT_NE(check_refund(r).find(R"(field "amount")"), std::string::npos);
  r.set_amount(-5);
  EXPECT_NE(check_refund(r).find(R"(field "amount")"), std::string::npos);
}

TEST(ValidateAmount, AMissingOrZeroAmountSaysBoth) {
  v1::RefundRequest r;
  r.set_refund_no("r-1");
  EXPECT_NE(check_refund(r).find(R"(field "amount" is missing or 0)"), std::string::npos)
      << check_refund(r);
}

TEST(ValidateOperatorText, TakesWordsWithLineBreaksAndRefusesBlankOrControlCharacters) {
  EXPECT_TRUE(is_operator_text("the payer called"));
  EXPECT_TRUE(is_operator_text("line one\nline two\tand a tab\r\n"));
  EXPECT_TRUE(is_operator_text("付款人来电"));
  EXPECT_TRUE(is_operator_text(std::string(500, 'x')));
  EXPECT_FALSE(is_operator_text(""));
  EXPECT_FALSE(is_operator_text(" \t\n "));
  EXPECT_FALSE(is_operator_text(std::string(501, 'x')));
  EXPECT_FALSE(is_operator_text(std::string("a\0b", 3)));
  EXPECT_FALSE(is_operator_text("a\x1b[31mb"));
  EXPECT_FALSE(is_operator_text("a\x7f"));
  EXPECT_FALSE(is_operator_text("\xff\xfe"));
}

}  // namespace
}  // namespace oncepay::gateway
