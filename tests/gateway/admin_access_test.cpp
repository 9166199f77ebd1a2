// /admin's operators, roles, sessions, CSRF and audit through Api::handle
// (gateway/admin_access.hpp), against a real in-memory Engine on CAF's test
// coordinator, with a clock the test moves; and the console's files
// (gateway/console.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/message_types.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "core/signature.hpp"
#include "gateway/api.hpp"
#include "gateway/console.hpp"

namespace oncepay::gateway {
namespace {

constexpr char kAdminToken[] = "admin-token";
constexpr char kViewerToken[] = "viewer-token";
constexpr char kOperatorToken[] = "operator-token";
constexpr char kBossToken[] = "boss-token";

struct TestConfig : caf::actor_system_config {
  TestConfig() {
    set("scheduler.policy", caf::atom("testing"));
    actors::add_message_types(*this);
  }
};

std::string header_of(const http::HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

boost::json::object json_of(const http::HttpResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  return v.is_object() ? v.as_object() : boost::json::object{};
}

std::string code_of(const http::HttpResponse& r) {
  auto o = json_of(r);
  if (!o.contains("error")) return {};
  return std::string(o["error"].as_object()["code"].as_string());
}

class AdminAccessTest : public ::testing::Test {
 protected:
  AdminAccessTest()
      : system_(config_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    actors::EngineOptions options;
    options.shards = 2;
    options.routers = 1;
    channels::sandbox::SandboxOptions sandbox;
    sandbox.seed = 7;
    sandbox.secret = "chsec";
    std::string error;
    EXPECT_NE(channels::sandbox::register_sandbox(*channels_, system_, sandbox, &error), nullptr)
        << error;
    options.channels = channels_->actors();
    engine_ = std::make_unique<actors::Engine>(system_, options);
    engine_->merchants().add("demo", "sk_test_demo", "whsec", core::Policy::kStrict);
    ApiOptions api;
    api.admin_token = kAdminToken;
    api.admin.operators = {{"vera", Role::kViewer, core::sha256_hex(kViewerToken)},
                           {"otto", Role::kOperator, core::sha256_hex(kOperatorToken)},
                           {"boss", Role::kAdmin, core::sha256_hex(kBossToken)}};
    api.admin.session_ttl_ms = 60'000;
    api.admin.now_ms = [this] { return now_ms_; };
    api_ = std::make_unique<Api>(*engine_, *channels_, std::move(api));
    sched_.run();
  }

  ~AdminAccessTest() override {
    api_.reset();
    engine_.reset();
    channels_.reset();
    sched_.run();
  }

  http::HttpResponse call(std::string method, std::string target, std::string body = {},
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.headers = std::move(headers);
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    std::optional<http::HttpResponse> out;
    api_->handle(std::move(req), [&out](http::HttpResponse r) { out = std::move(r); });
    sched_.run();
    EXPECT_TRUE(out.has_value()) << "no answer to " << target;
    return out.value_or(http::HttpResponse{.status = 0});
  }

  http::HttpResponse bearer(std::string method, std::string target, const char* token,
                            std::string body = {}) {
    return call(std::move(method), std::move(target), std::move(body),
                {{"authorization", std::string("Bearer ") + token}});
  }

  struct SignedIn {
    std::string cookie;  // "oncepay_session=..."
    std::string csrf;
  };
  SignedIn sign_in(const char* token) {
    auto r = call("POST", "/admin/session", std::string(R"({"token":")") + token + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string set_cookie = header_of(r, "Set-Cookie");
    auto o = json_of(r);
    return {set_cookie.substr(0, set_cookie.find(';')), std::string(o["csrf_token"].as_string())};
  }

  http::HttpResponse with_session(std::string method, std::string target, const SignedIn& s,
                                  std::string body = {}, bool csrf = true) {
    std::vector<std::pair<std::string, std::string>> headers{{"cookie", s.cookie}};
    if (csrf) headers.emplace_back("x-csrf-token", s.csrf);
    return call(std::move(method), std::move(target), std::move(body), std::move(headers));
  }

  std::vector<boost::json::object> audit_items() {
    auto r = bearer("GET", "/admin/audit?limit=1000", kViewerToken);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<boost::json::object> out;
    const auto body = json_of(r);
    for (const auto& v : body.at("items").as_array()) out.push_back(v.as_object());
    return out;
  }

  int64_t now_ms_ = 1'700'000'000'000;
  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  std::unique_ptr<channels::ChannelRegistry> channels_ =
      std::make_unique<channels::ChannelRegistry>();
  std::unique_ptr<actors::Engine> engine_;
  std::unique_ptr<Api> api_;
};

// ---------------------------------------------------------------- roles

TEST_F(AdminAccessTest, EveryRoleReads) {
  for (const char* token : {kViewerToken, kOperatorToken, kBossToken, kAdminToken}) {
    EXPECT_EQ(bearer("GET", "/admin/review", token).status, 200) << token;
    EXPECT_EQ(bearer("GET", "/admin/merchants/demo", token).status, 200) << token;
  }
}

TEST_F(AdminAccessTest, ARoleBelowTheRoutesIs403AndChangesNothing) {
  for (const char* token : {kViewerToken, kOperatorToken}) {
    auto r = bearer("POST", "/admin/merchants", token, R"({"merchant_id":"m-denied"})");
    EXPECT_EQ(r.status, 403) << token;
    EXPECT_EQ(code_of(r), "forbidden");
  }
  EXPECT_FALSE(engine_->merchants().get("m-denied").has_value());
  EXPECT_EQ(bearer("POST", "/admin/merchants", kBossToken, R"({"merchant_id":"m-ok"})").status,
            201);
}

TEST_F(AdminAccessTest, AWrongBearerTokenIs401) {
  auto r = bearer("GET", "/admin/review", "nope-token");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code_of(r), "unauthorized");
  EXPECT_EQ(call("GET", "/admin/review").status, 401);
}

// ---------------------------------------------------------------- sessions

TEST_F(AdminAccessTest, SignInSetsAStrictHttpOnlyCookie) {
  auto r = call("POST", "/admin/session", R"({"token":"operator-token"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = json_of(r);
  EXPECT_EQ(o["operator"].as_string(), "otto");
  EXPECT_EQ(o["role"].as_string(), "operator");
  EXPECT_EQ(o["expires_at"].as_string(), "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(o["csrf_token"].as_string().size(), 64u);
  const std::string cookie = header_of(r, "Set-Cookie");
  EXPECT_EQ(cookie.rfind("oncepay_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly; SameSite=Strict; Path=/; Max-Age=60"), std::string::npos)
      << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "no TLS here";
  EXPECT_EQ(header_of(r, "Cache-Control"), "no-store");
}

TEST_F(AdminAccessTest, AWrongTokenAtSignInIs401WithoutSayingWhy) {
  auto unknown = call("POST", "/admin/session", R"({"token":"guess"})");
  auto empty = call("POST", "/admin/session", R"({"token":""})");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(empty.status, 401);
  EXPECT_EQ(unknown.body, empty.body);
  EXPECT_EQ(header_of(unknown, "Set-Cookie"), "");
  EXPECT_EQ(call("POST", "/admin/session", R"({"token":"x","role":"admin"})").status, 400);
}

TEST_F(AdminAccessTest, RepeatedWrongTokensAreRateLimited) {
  for (int i = 0; i < SignInLimiter::kMaxFailures; ++i) {
    EXPECT_EQ(call("POST", "/admin/session", R"({"token":"guess"})").status, 401);
  }
  auto r = call("POST", "/admin/session", R"({"token":"viewer-token"})");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(code_of(r), "rate_limited");
  EXPECT_EQ(header_of(r, "Retry-After"), "60");
  now_ms_ += SignInLimiter::kWindowMs;
  EXPECT_EQ(call("POST", "/admin/session", R"({"token":"viewer-token"})").status, 200);
}

TEST_F(AdminAccessTest, RepeatedWrongBearerTokensAreRateLimitedBeforeTheTokenIsCompared) {
  for (int i = 0; i < SignInLimiter::kMaxFailures; ++i) {
    EXPECT_EQ(bearer("GET", "/admin/review", "guess").status, 401);
  }
  auto r = bearer("GET", "/admin/review", kViewerToken);  // even a right one, for the window
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(code_of(r), "rate_limited");
  EXPECT_EQ(header_of(r, "Retry-After"), "60");
  EXPECT_EQ(bearer("POST", "/admin/merchants", kBossToken, R"({"merchant_id":"m-slow"})").status,
            429);
  EXPECT_FALSE(engine_->merchants().get("m-slow").has_value());
  // The same budget as sign-in's: that is slowed too.
  EXPECT_EQ(call("POST", "/admin/session", R"({"token":"viewer-token"})").status, 429);
  now_ms_ += SignInLimiter::kWindowMs;
  EXPECT_EQ(bearer("GET", "/admin/review", kViewerToken).status, 200);
}

TEST_F(AdminAccessTest, ASessionCookieIsNotSlowedByItsClientsWrongTokens) {
  const SignedIn s = sign_in("operator-token");
  for (int i = 0; i < SignInLimiter::kMaxFailures; ++i) {
    EXPECT_EQ(bearer("GET", "/admin/review", "guess").status, 401);
  }
  EXPECT_EQ(with_session("GET", "/admin/review", s).status, 200);
}

TEST_F(AdminAccessTest, TheCookieAuthenticatesAndWhoAmIAnswers) {
  const auto s = sign_in(kViewerToken);
  EXPECT_EQ(with_session("GET", "/admin/review", s).status, 200);
  auto who = with_session("GET", "/admin/session", s);
  ASSERT_EQ(who.status, 200);
  auto o = json_of(who);
  EXPECT_EQ(o["operator"].as_string(), "vera");
  EXPECT_EQ(o["role"].as_string(), "viewer");
  EXPECT_EQ(o["csrf_token"].as_string(), s.csrf);
  auto by_bearer = json_of(bearer("GET", "/admin/session", kAdminToken));
  EXPECT_EQ(by_bearer["operator"].as_string(), "admin");
  EXPECT_FALSE(by_bearer.contains("csrf_token"));
  EXPECT_EQ(call("GET", "/admin/session").status, 401);
}

TEST_F(AdminAccessTest, ACookieStateChangeNeedsTheCsrfToken) {
  const auto s = sign_in(kBossToken);
  auto without = with_session("POST", "/admin/merchants", s, R"({"merchant_id":"m-csrf"})", false);
  EXPECT_EQ(without.status, 403);
  EXPECT_EQ(code_of(without), "csrf_token_invalid");
  SignedIn wrong = s;
  wrong.csrf = std::string(64, '0');
  EXPECT_EQ(with_session("POST", "/admin/merchants", wrong, R"({"merchant_id":"m-csrf"})").status,
            403);
  EXPECT_FALSE(engine_->merchants().get("m-csrf").has_value());
  EXPECT_EQ(with_session("POST", "/admin/merchants", s, R"({"merchant_id":"m-csrf"})").status, 201);
}

TEST_F(AdminAccessTest, BearerTokensNeedNoCsrfToken) {
  EXPECT_EQ(bearer("POST", "/admin/merchants", kBossToken, R"({"merchant_id":"m-bearer"})").status,
            201);
}

TEST_F(AdminAccessTest, ABearerHeaderIsUsedAloneEvenWithACookie) {
  const auto s = sign_in(kBossToken);
  auto r = call("GET", "/admin/review", {},
                {{"cookie", s.cookie}, {"authorization", "Bearer wrong-token"}});
  EXPECT_EQ(r.status, 401);
}

TEST_F(AdminAccessTest, SignOutEndsTheSessionOnTheServer) {
  const auto s = sign_in(kOperatorToken);
  auto without_csrf = with_session("DELETE", "/admin/session", s, {}, false);
  EXPECT_EQ(without_csrf.status, 403);
  auto out = with_session("DELETE", "/admin/session", s);
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(header_of(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(with_session("GET", "/admin/review", s).status, 401);
  EXPECT_EQ(with_session("DELETE", "/admin/session", s).status, 401);
}

TEST_F(AdminAccessTest, ASessionExpiresOnTheServer) {
  const auto s = sign_in(kViewerToken);
  now_ms_ += 59'999;
  EXPECT_EQ(with_session("GET", "/admin/review", s).status, 200);
  now_ms_ += 1;
  EXPECT_EQ(with_session("GET", "/admin/review", s).status, 401);
}

TEST_F(AdminAccessTest, ASessionKeepsItsRole) {
  const auto s = sign_in(kViewerToken);
  auto r = with_session("POST", "/admin/merchants", s, R"({"merchant_id":"m-viewer"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "forbidden");
}

// ---------------------------------------------------------------- audit

TEST_F(AdminAccessTest, StateChangesAndSignInsAreAuditedNewestFirst) {
  call("POST", "/admin/session", R"({"token":"guess"})");
  const auto s = sign_in(kBossToken);
  with_session("POST", "/admin/merchants", s, R"({"merchant_id":"m-audit"})");
  bearer("POST", "/admin/merchants", kViewerToken, R"({"merchant_id":"m-no"})");
  bearer("GET", "/admin/review", kViewerToken);  // reads are not audited
  with_session("DELETE", "/admin/session", s);
  const auto items = audit_items();
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].at("method").as_string(), "DELETE");
  EXPECT_EQ(items[0].at("operator").as_string(), "boss");
  EXPECT_EQ(items[0].at("status").as_int64(), 204);
  EXPECT_EQ(items[1].at("operator").as_string(), "vera");
  EXPECT_EQ(items[1].at("role").as_string(), "viewer");
  EXPECT_EQ(items[1].at("status").as_int64(), 403);
  EXPECT_EQ(items[2].at("operator").as_string(), "boss");
  EXPECT_EQ(items[2].at("route").as_string(), "/admin/merchants");
  EXPECT_EQ(items[2].at("target").as_string(), "/admin/merchants");
  EXPECT_EQ(items[2].at("status").as_int64(), 201);
  EXPECT_EQ(items[3].at("route").as_string(), "/admin/session");
  EXPECT_EQ(items[3].at("status").as_int64(), 200);
  EXPECT_EQ(items[4].at("operator").as_string(), "");
  EXPECT_EQ(items[4].at("status").as_int64(), 401);
  EXPECT_EQ(items[0].at("at").as_string(), "2023-11-14T22:13:20.000Z");
  for (const auto& item : items) {
    const std::string text = boost::json::serialize(item);
    EXPECT_EQ(text.find("guess"), std::string::npos) << text;
    EXPECT_EQ(text.find(kBossToken), std::string::npos) << text;
    EXPECT_EQ(text.find(s.csrf), std::string::npos) << text;
  }
}

TEST_F(AdminAccessTest, TheAuditListIsPaginatedByCursor) {
  for (int i = 0; i < 3; ++i) {
    bearer("POST", "/admin/merchants", kBossToken,
           R"({"merchant_id":"m-page-)" + std::to_string(i) + "\"}");
  }
  auto first = json_of(bearer("GET", "/admin/audit?limit=2", kViewerToken));
  ASSERT_EQ(first["items"].as_array().size(), 2u);
  const std::string next(first["next"].as_string());
  EXPECT_FALSE(next.empty());
  auto second = json_of(bearer("GET", "/admin/audit?limit=2&cursor=" + next, kViewerToken));
  ASSERT_EQ(second["items"].as_array().size(), 1u);
  EXPECT_EQ(second["next"].as_string(), "");
  EXPECT_EQ(bearer("GET", "/admin/audit?cursor=x", kViewerToken).status, 400);
  EXPECT_EQ(bearer("GET", "/admin/audit?limit=0", kViewerToken).status, 400);
  EXPECT_EQ(bearer("GET", "/admin/audit?page=2", kViewerToken).status, 400);
}

// ---------------------------------------------------------------- merchants list

TEST_F(AdminAccessTest, MerchantsAreListedByIdWithACursor) {
  for (const char* id : {"m-a", "m-b", "m-c"}) {
    bearer("POST", "/admin/merchants", kBossToken, std::string(R"({"merchant_id":")") + id + "\"}");
  }
  auto first = json_of(bearer("GET", "/admin/merchants?limit=2", kViewerToken));
  auto items = first["items"].as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].as_object()["merchant_id"].as_string(), "demo");
  EXPECT_EQ(items[1].as_object()["merchant_id"].as_string(), "m-a");
  EXPECT_EQ(first["next"].as_string(), "m-a");
  auto second = json_of(bearer("GET", "/admin/merchants?limit=2&cursor=m-a", kViewerToken));
  EXPECT_EQ(second["items"].as_array().size(), 2u);
  EXPECT_EQ(second["next"].as_string(), "");
  const std::string body = boost::json::serialize(second);
  EXPECT_EQ(body.find("api_key\":\"sk"), std::string::npos) << "no secret in the list: " << body;
  EXPECT_EQ(bearer("GET", "/admin/merchants?limit=1001", kViewerToken).status, 400);
  EXPECT_EQ(bearer("GET", "/admin/merchants?cursor=a/b", kViewerToken).status, 400);
}

// ---------------------------------------------------------------- the console's files

TEST_F(AdminAccessTest, TheConsoleIsServedWithoutCredentials) {
  auto index = call("GET", "/console");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<title>oncepay console</title>"), std::string::npos);
  EXPECT_EQ(header_of(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(header_of(index, "Content-Security-Policy").rfind("default-src 'self'", 0), 0u);
  EXPECT_EQ(call("GET", "/console/").body, index.body);
  auto app = call("GET", "/console/app.js");
  EXPECT_EQ(app.status, 200);
  EXPECT_EQ(app.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(call("GET", "/console/styles.css").content_type, "text/css; charset=utf-8");
}

TEST_F(AdminAccessTest, UnknownConsoleFilesAre404AndWritesAre405) {
  auto missing = call("GET", "/console/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(code_of(missing), "not_found");
  EXPECT_EQ(header_of(missing, "Cache-Control"), "no-cache");
  auto post = call("POST", "/console");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header_of(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(call("GET", "/consoles").status, 404);
}

TEST(ConsoleTest, ContentTypesFollowTheExtension) {
  EXPECT_EQ(content_type_of("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_of("vendor/uPlot.esm.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_of("vendor/uPlot.min.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_of("x.png"), "image/png");
  EXPECT_EQ(content_type_of("README"), "application/octet-stream");
}

TEST(ConsoleTest, EveryScreenModuleIsEmbedded) {
  std::vector<std::string> paths;
  for (const auto& asset : console_assets()) paths.emplace_back(asset.path);
  for (const char* file :
       {"index.html", "app.js", "api.js", "format.js", "review.js", "merchants.js", "orders.js",
        "reconciliation.js", "metrics.js", "styles.css"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), file), paths.end()) << file;
  }
}

}  // namespace
}  // namespace oncepay::gateway
