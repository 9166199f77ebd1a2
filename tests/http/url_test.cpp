#include "http/url.hpp"

#include <gtest/gtest.h>

namespace oncepay::http {
namespace {

TEST(UrlTest, HttpAndHttpsWithHost) {
  EXPECT_TRUE(is_http_url("http://127.0.0.1:9000/hook"));
  EXPECT_TRUE(is_http_url("https://shop.example/hook?x=1"));
  EXPECT_TRUE(is_http_url("HTTPS://shop.example"));
  EXPECT_TRUE(is_http_url("https://[::1]:8443/"));
  EXPECT_FALSE(is_http_url("ftp://shop.example/"));
  EXPECT_FALSE(is_http_url("https://"));
  EXPECT_FALSE(is_http_url("https://:443/"));
  EXPECT_FALSE(is_http_url("https://shop.example:port/"));
  EXPECT_FALSE(is_http_url("https://[::1:8443/"));
}

TEST(UrlTest, PartsWithDefaultsFilledIn) {
  auto u = parse_url("https://shop.example/hooks/pay?x=1");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "shop.example");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/hooks/pay?x=1");

  u = parse_url("http://127.0.0.1:9000");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->target, "/");

  u = parse_url("http://h?q=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "h");
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->target, "/?q=1");

  u = parse_url("https://[::1]:8443/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/x");
}

}  // namespace
TEST(UrlTest, NoUserinfoNoTextAfterTheBracketPortInRange) {
  EXPECT_FALSE(is_http_url("http://[::1]evil.com"));
  EXPECT_FALSE(is_http_url("http://[::1]@evil.com"));
  EXPECT_FALSE(is_http_url("https://a@evil.com/"));
  EXPECT_FALSE(is_http_url("http://127.0.0.1:0/"));
  EXPECT_FALSE(is_http_url("http://127.0.0.1:65536/"));
  EXPECT_FALSE(is_http_url("http://127.0.0.1:99999999999/"));
  EXPECT_TRUE(is_http_url("http://[::1]:8080/hook"));
  EXPECT_TRUE(is_http_url("http://127.0.0.1:65535/"));
}

}  // namespace oncepay::http
