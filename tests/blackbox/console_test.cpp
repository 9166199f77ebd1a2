// Black box: the real oncepayd with a tokens file of operators. Sign-in,
// roles and CSRF over HTTP (every exchange goes to the OpenAPI check), the
// audit log across a restart, the console's files, and the refusal to start
// with a tokens file its group may read or with a malformed line. The
// browser drives the console in tests/console.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
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
