// Black box: the real oncepayd with a tokens file of operators. Sign-in,
// roles and CSRF over HTTP (every exchange goes to the OpenAPI check), the
// audit log across a restart, the console's files, a viewer's search by a
// channel's trade number (before a checkpoint and after a crash), and the
// refusal to start with a tokens file its group may read or with a
// malformed line. The browser drives the console in tests/console.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/signature.hpp"
#include "daemon_process.hpp"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kViewerToken[] = "viewer-token-for-the-blackbox";
constexpr char kAdminToken[] = "admin-token-for-the-blackbox";

std::string header_of(const http::HttpClientResult& r, const std::string& lower_name) {
  for (const auto& [name, value] : r.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == lower_name) return value;
  }
  return {};
}

boost::json::object json_of(const http::HttpClientResult& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  return v.is_object() ? v.as_object() : boost::json::object{};
}

// A JSON string's text; "" for anything else.
std::string text_of(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

std::string write_tokens(const std::string& dir, const std::string& text, mode_t mode) {
  const std::string path = dir + "/tokens";
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

std::string operators_text() {
  return "# blackbox operators\nvera viewer " + core::sha256_hex(kViewerToken) + "\nada admin " +
         core::sha256_hex(kAdminToken) + "\n";
}

class DaemonConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start() {
    const std::string tokens = write_tokens(dir_.path(), operators_text(), 0600);
    daemon_ = std::make_unique<testing::DaemonProcess>(
        ONCEPAYD_PATH,
        std::vector<std::string>{"--http.port=0", "--data-dir=" + dir_.path() + "/data",
                                 "--admin.tokens-file=" + tokens, "--log.state-changes=false"});
    ASSERT_TRUE(daemon_->wait_ready());
  }

  http::HttpClientResult call(const std::string& method, const std::string& path,
                              Headers headers = {}, const std::string& body = {}) {
    headers.emplace_back("Content-Type", "application/json");
    auto r = daemon_->request(method, path, std::move(headers), body, 5s);
    EXPECT_TRUE(r.ok) << method << " " << path << ": " << r.error;
    return r;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
};

TEST_F(DaemonConsoleTest, SignInRolesAndCsrfOverHttp) {
  auto in = call("POST", "/admin/session", {}, std::string(R"({"token":")") + kViewerToken + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string set_cookie = header_of(in, "set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly; SameSite=Strict; Path=/; Max-Age=28800"), std::string::npos)
      << set_cookie;
  const Headers session{{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  EXPECT_EQ(call("GET", "/admin/session", session).status, 200);
  EXPECT_EQ(call("GET", "/admin/review", session).status, 200);
  auto csrf = call("POST", "/admin/merchants", session, R"({"merchant_id":"m_bb"})");
  EXPECT_EQ(csrf.status, 403);
  EXPECT_EQ(json_of(csrf)["error"].as_object()["code"].as_string(), "csrf_token_invalid");
  Headers with_csrf = session;
  with_csrf.emplace_back("X-CSRF-Token", std::string(json_of(in)["csrf_token"].as_string()));
  auto forbidden = call("POST", "/admin/merchants", with_csrf, R"({"merchant_id":"m_bb"})");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(json_of(forbidden)["error"].as_object()["code"].as_string(), "forbidden");
  EXPECT_EQ(call("DELETE", "/admin/session", with_csrf).status, 204);
  EXPECT_EQ(call("GET", "/admin/session", session).status, 401);
  EXPECT_EQ(call("POST", "/admin/session", {}, R"({"token":"wrong"})").status, 401);
  const Headers admin{{"Authorization", std::string("Bearer ") + kAdminToken}};
  EXPECT_EQ(call("GET", "/admin/merchants", admin).status, 200);
  EXPECT_EQ(call("GET", "/admin/audit?limit=10", admin).status, 200);
}

TEST_F(DaemonConsoleTest, TheAuditLogSurvivesARestart) {
  const Headers admin{{"Authorization", std::string("Bearer ") + kAdminToken}};
  ASSERT_EQ(call("POST", "/admin/merchants", admin, R"({"merchant_id":"m_audit"})").status, 201);
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
  struct stat st {};
  ASSERT_EQ(stat((dir_.path() + "/data/audit.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  start();
  auto audit = json_of(call("GET", "/admin/audit", admin));
  const auto& items = audit["items"].as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].as_object().at("operator").as_string(), "ada");
  EXPECT_EQ(items[0].as_object().at("target").as_string(), "/admin/merchants");
  EXPECT_EQ(items[0].as_object().at("status").as_int64(), 201);
}

TEST_F(DaemonConsoleTest, TheConsoleIsServedWithItsPolicy) {
  auto index = call("GET", "/console");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(header_of(index, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(header_of(index, "cache-control"), "no-cache");
  EXPECT_EQ(header_of(index, "content-security-policy").rfind("default-src 'self'", 0), 0u);
  EXPECT_EQ(call("GET", "/console/review.js").status, 200);
  EXPECT_EQ(call("GET", "/console/nope.js").status, 404);
}

// GET /admin/orders?channel_trade_no= (docs/API.md "Orders for operators").
class DaemonTradeSearchTest : public DaemonConsoleTest {
 protected:
  const Headers viewer_{{"Authorization", std::string("Bearer ") + kViewerToken}};

  // Pays the order through the sandbox; its payment_no and the channel's
  // trade number once the order is paid.
  std::string paid(const std::string& order, std::string* payment_no) {
    const Headers merchant{{"Authorization", "Bearer sk_test_demo"}};
    auto created = call("POST", "/v1/orders/" + order + "/pay", merchant,
                        R"({"amount":1999,"currency":"CNY","channel":"sandbox"})");
    EXPECT_EQ(created.status, 201) << created.body;
    *payment_no = std::string(json_of(created)["attempt"].as_object()["payment_no"].as_string());
    EXPECT_EQ(call("POST", "/sandbox/payments/" + *payment_no + "/pay").status, 200);
    auto view =
        testing::poll_until([&] { return json_of(call("GET", "/v1/orders/" + order, merchant)); },
                            [](boost::json::object v) { return v["status"] == "PAID"; }, 8s);
    EXPECT_EQ(view["status"], "PAID") << boost::json::serialize(view);
    auto& attempts = view["attempts"];
    if (!attempts.is_array() || attempts.as_array().size() != 1) return {};
    const auto* trade = attempts.as_array()[0].as_object().if_contains("channel_trade_no");
    return trade != nullptr && trade->is_string() ? std::string(trade->as_string()) : "";
  }

  // The items of a search that answered 200.
  boost::json::array search(const std::string& channel_trade_no) {
    auto r = call("GET", "/admin/orders?channel_trade_no=" + channel_trade_no, viewer_);
    EXPECT_EQ(r.status, 200) << r.body;
    auto items = json_of(r)["items"];
    return items.is_array() ? items.as_array() : boost::json::array{};
  }
};

TEST_F(DaemonTradeSearchTest, AViewerFindsAnOrderByItsChannelTradeNoAtOnceAndAfterACrash) {
  std::string first_payment, second_payment;
  const std::string first = paid("bb-trade-1", &first_payment);
  ASSERT_FALSE(first.empty());
  // Only in the WAL so far (checkpoints every 30 s): the search checkpoints.
  auto found = search(first);
  ASSERT_EQ(found.size(), 1u);
  auto item = found[0].as_object();
  EXPECT_EQ(item["merchant_id"], "demo");
  EXPECT_EQ(item["merchant_order_no"], "bb-trade-1");
  EXPECT_EQ(text_of(item["payment_no"]), first_payment);
  EXPECT_EQ(item["status"], "PAID");
  EXPECT_EQ(item["amount"], 1999);
  const std::string second = paid("bb-trade-2", &second_payment);
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(daemon_->stop(SIGKILL), -SIGKILL);  // no last checkpoint
  start();
  found = search(first);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(text_of(found[0].as_object()["payment_no"]), first_payment);
  found = search(second);  // recovered from the WAL tail
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].as_object()["merchant_order_no"], "bb-trade-2");
  EXPECT_EQ(text_of(found[0].as_object()["payment_no"]), second_payment);
}

TEST_F(DaemonTradeSearchTest, AnUnknownTradeNoFindsNothing) {
  EXPECT_TRUE(search("4200000000000000000000000000").empty());
}

TEST_F(DaemonTradeSearchTest, AMalformedTradeNoIs400) {
  const std::vector<std::string> queries{"channel_trade_no=42%2000",
                                         "channel_trade_no=" + std::string(65, '4'),
                                         "channel_trade_no=", "channel_trade_no=42&payment_no=P1"};
  for (const std::string& query : queries) {
    auto r = call("GET", "/admin/orders?" + query, viewer_);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(json_of(r)["error"].as_object()["code"].as_string(), "invalid_request") << query;
  }
}

TEST(DaemonConsoleLifecycleTest, RefusesATokensFileItsGroupMayRead) {
  testing::TempDir dir;
  const std::string tokens = write_tokens(dir.path(), operators_text(), 0640);
  try {
    testing::DaemonProcess daemon(
        ONCEPAYD_PATH,
        {"--http.port=0", "--data-dir=" + dir.path() + "/data", "--admin.tokens-file=" + tokens},
        5s, dir.path() + "/stderr.log");
    ADD_FAILURE() << "the daemon started";
  } catch (const std::runtime_error&) {
  }
  std::ifstream in(dir.path() + "/stderr.log");
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find("admin.tokens-file: " + tokens + ": its group or others may access it"),
            std::string::npos)
      << err;
}

TEST(DaemonConsoleLifecycleTest, RefusesATokensFileWithAMalformedLineNamingIt) {
  testing::TempDir dir;
  const std::string tokens = write_tokens(dir.path(), operators_text() + "otto operator\n", 0600);
  try {
    testing::DaemonProcess daemon(
        ONCEPAYD_PATH,
        {"--http.port=0", "--data-dir=" + dir.path() + "/data", "--admin.tokens-file=" + tokens},
        5s, dir.path() + "/stderr.log");
    ADD_FAILURE() << "the daemon started";
  } catch (const std::runtime_error&) {
  }
  std::ifstream in(dir.path() + "/stderr.log");
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find(tokens + ": line 4: expected 3 fields"), std::string::npos) << err;
}

}  // namespace
}  // namespace oncepay
