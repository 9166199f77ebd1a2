// The gateway's Api in-process, without HTTP: requests go to Api::handle as
// values and answers come back through the responder, against a real
// in-memory Engine on CAF's test coordinator (nothing sleeps; run() drains
// every actor). Routing (404, 405 + Allow), the credential checks, one pay,
// the strict JSON contract and the review list's paging.
#include "gateway/api.hpp"

#include <gtest/gtest.h>

#include <caf/scheduler/test_coordinator.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/message_types.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "codec/json.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "gateway/routes.hpp"
#include "oncepay.pb.h"

namespace oncepay::gateway {
namespace {

constexpr char kAdminToken[] = "admin-token";
constexpr char kApiKey[] = "sk_test_demo";
constexpr char kPayBody[] = R"({"amount":1999,"currency":"CNY","channel":"sandbox"})";

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

v1::ErrorResponse error_body(const http::HttpResponse& r) {
  v1::ErrorResponse e;
  std::string why;
  EXPECT_TRUE(codec::parse_json(r.body, &e, &why)) << why << " in " << r.body;
  return e;
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest()
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
    engine_->merchants().add("demo", kApiKey, "whsec", core::Policy::kStrict);
    ApiOptions api;
    api.admin_token = kAdminToken;
    api_ = std::make_unique<Api>(*engine_, *channels_, std::move(api));
    sched_.run();
  }

  ~ApiTest() override {
    api_.reset();
    engine_.reset();
    channels_.reset();
    sched_.run();
  }

  // One request through Api::handle; the engine runs until it answered.
  http::HttpResponse call(std::string method, std::string target, std::string body = {},
                          std::string bearer = {}) {
    http::HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    if (!bearer.empty()) req.headers.emplace_back("authorization", "Bearer " + bearer);
    req.body = std::move(body);
    std::optional<http::HttpResponse> out;
    api_->handle(std::move(req), [&out](http::HttpResponse r) { out = std::move(r); });
    sched_.run();
    EXPECT_TRUE(out.has_value()) << "no answer to " << target;
    return out.value_or(http::HttpResponse{.status = 0});
  }

  http::HttpResponse merchant(std::string method, std::string target, std::string body = {}) {
    return call(std::move(method), std::move(target), std::move(body), kApiKey);
  }
  http::HttpResponse admin(std::string method, std::string target) {
    return call(std::move(method), std::move(target), {}, kAdminToken);
  }

  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  // Outlives the engine and the Api.
  std::unique_ptr<channels::ChannelRegistry> channels_ =
      std::make_unique<channels::ChannelRegistry>();
  std::unique_ptr<actors::Engine> engine_;
  std::unique_ptr<Api> api_;
};

// ---------------------------------------------------------------- the table

TEST(RoutesTest, PatternsMatchLiteralsAndOneSegmentPerParameter) {
  EXPECT_TRUE(path_matches("/v1/orders/{no}/pay", http::split_path("/v1/orders/o-1/pay")));
  EXPECT_TRUE(path_matches("/healthz", http::split_path("/healthz")));
  EXPECT_FALSE(path_matches("/v1/orders/{no}/pay", http::split_path("/v1/orders/o-1")));
  EXPECT_FALSE(path_matches("/v1/orders/{no}", http::split_path("/v1/orders/o-1/pay")));
  EXPECT_FALSE(path_matches("/v1/orders/{no}", http::split_path("/v1/payments/p-1")));
  EXPECT_FALSE(path_matches("/healthz", http::split_path("/")));
}

TEST(RoutesTest, AllowListsTheMethodsOfThePathInTableOrder) {
  using H = int;
  const std::vector<Route<H>> table = {{Access::kMerchant, "GET", "/x/{id}", 1},
                                       {Access::kMerchant, "DELETE", "/x/{id}", 2},
                                       {Access::kAdmin, "PUT", "/x/{id}", 3}};
  const auto parts = http::split_path("/x/7");
  auto get = find_route<H>(table, Access::kMerchant, parts, "GET");
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.route->handler, 1);
  auto post = find_route<H>(table, Access::kMerchant, parts, "POST");
  EXPECT_EQ(post.route, nullptr);
  EXPECT_EQ(post.pattern, "/x/{id}");
  EXPECT_EQ(post.allow, "GET, DELETE");
  EXPECT_TRUE(find_route<H>(table, Access::kChannelRoute, parts, "GET").pattern.empty());
}

// ---------------------------------------------------------------- routing

TEST_F(ApiTest, UnknownPathsAre404) {
  for (const char* path : {"/", "/nope", "/healthz/extra", "/v2/orders/o-1"}) {
    auto r = call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(error_body(r).error().code(), "not_found") << path;
  }
  // Under /v1 and /admin a path is looked up only once the caller is known.
  EXPECT_EQ(merchant("GET", "/v1/nope").status, 404);
  EXPECT_EQ(admin("GET", "/admin/nope").status, 404);
  EXPECT_EQ(call("GET", "/sandbox/payments/p/x").status, 404);
}

TEST_F(ApiTest, KnownPathWithAnotherMethodIs405WithAllow) {
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
    std::string bearer;
  };
  const std::vector<Case> cases = {
      {"POST", "/healthz", "GET", ""},
      {"DELETE", "/metrics", "GET", ""},
      {"GET", "/v1/channels/sandbox/notify", "POST", ""},
      {"GET", "/v1/orders/o-1/pay", "POST", kApiKey},
      {"PUT", "/v1/orders/o-1", "GET", kApiKey},
      {"POST", "/v1/payments/p-1", "GET", kApiKey},
      {"DELETE", "/admin/merchants", "POST, GET", kAdminToken},
      {"POST", "/admin/review", "GET", kAdminToken},
      {"POST", "/sandbox/faults", "PUT", ""},
      {"GET", "/sandbox/payments/p-1/fail", "POST", ""},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.path, {}, c.bearer);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(header_of(r, "Allow"), c.allow) << c.method << " " << c.path;
    EXPECT_EQ(error_body(r).error().code(), "method_not_allowed");
  }
}

// ---------------------------------------------------------------- credentials

TEST_F(ApiTest, CredentialsAreCheckedBeforeTheRoute) {
  // Without a key, even a wrong method or an unknown path under /v1 is 401.
  for (const char* path : {"/v1/orders/o-1/pay", "/v1/orders/o-1", "/v1/nope"}) {
    auto r = call("GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(error_body(r).error().code(), "unauthorized") << path;
  }
  EXPECT_EQ(call("POST", "/v1/orders/o-1/pay", kPayBody, "sk_wrong").status, 401);
  // The admin token and a merchant key are not interchangeable.
  EXPECT_EQ(call("GET", "/admin/review", {}, kApiKey).status, 401);
  EXPECT_EQ(call("DELETE", "/admin/nope").status, 401);
  EXPECT_EQ(call("POST", "/v1/orders/o-1/pay", kPayBody, kAdminToken).status, 401);
}

TEST_F(ApiTest, TheBearerSchemeNameIsCaseInsensitiveTheTokenIsNot) {
  auto with = [this](std::string authorization) {
    http::HttpRequest req;
    req.method = "GET";
    req.path = req.target = "/admin/review";
    req.headers.emplace_back("authorization", std::move(authorization));
    std::optional<http::HttpResponse> out;
    api_->handle(std::move(req), [&out](http::HttpResponse r) { out = std::move(r); });
    sched_.run();
    return out.value_or(http::HttpResponse{.status = 0}).status;
  };
  EXPECT_EQ(with(std::string("bearer ") + kAdminToken), 200);
  EXPECT_EQ(with(std::string("BEARER ") + kAdminToken), 200);
  EXPECT_EQ(with("Bearer ADMIN-DEV-TOKEN"), 401);
  EXPECT_EQ(with(std::string("Basic ") + kAdminToken), 401);
}

TEST_F(ApiTest, ChannelCallbackNeedsItsSignatureNotAKey) {
  const std::string body = R"({"payment_no":"p-1","status":"SUCCESS"})";
  http::HttpRequest req;
  req.method = "POST";
  req.path = req.target = "/v1/channels/sandbox/notify";
  req.body = body;
  req.headers.emplace_back("x-channel-signature",
                           core::sign_header("not-the-secret", core::unix_seconds(), body));
  std::optional<http::HttpResponse> out;
  api_->handle(req, [&out](http::HttpResponse r) { out = std::move(r); });
  sched_.run();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 401);
  EXPECT_EQ(error_body(*out).error().code(), "invalid_signature");
  EXPECT_EQ(call("POST", "/v1/channels/nope/notify", body).status, 404);
}

// ---------------------------------------------------------------- requests

TEST_F(ApiTest, PayAnswers201WithTheOrderView) {
  auto r = merchant("POST", "/v1/orders/o-1/pay", kPayBody);
  ASSERT_EQ(r.status, 201) << r.body;
  v1::OrderView order;
  std::string why;
  ASSERT_TRUE(codec::parse_json(r.body, &order, &why)) << why << " in " << r.body;
  EXPECT_EQ(order.merchant_order_no(), "o-1");
  EXPECT_EQ(order.amount(), 1999);
  ASSERT_EQ(order.attempts_size(), 1);
  EXPECT_FALSE(order.attempts(0).payment_no().empty());

  auto again = merchant("GET", "/v1/orders/o-1");
  EXPECT_EQ(again.status, 200) << again.body;
  auto payment = merchant("GET", "/v1/payments/" + order.attempts(0).payment_no());
  EXPECT_EQ(payment.status, 200) << payment.body;
}

TEST_F(ApiTest, InvalidJsonIs400NamingTheField) {
  auto r = merchant("POST", "/v1/orders/o-1/pay",
                    R"({"amount":1999.0,"currency":"CNY","channel":"sandbox"})");
  EXPECT_EQ(r.status, 400);
  auto e = error_body(r);
  EXPECT_EQ(e.error().code(), "invalid_request");
  EXPECT_EQ(e.error().message(), R"(field "amount": expected an integer, got 1999.0)");

  auto unknown = merchant("POST", "/v1/orders/o-1/pay",
                          R"({"amount":1,"currency":"CNY","channel":"sandbox","notifyUrl":"x"})");
  EXPECT_EQ(error_body(unknown).error().message(), R"(unknown field "notifyUrl")");
  // Nothing was created.
  EXPECT_EQ(merchant("GET", "/v1/orders/o-1").status, 404);
}

TEST_F(ApiTest, ReviewListPagesWithACursor) {
  std::vector<core::ReviewState> items;
  for (int i = 0; i < 3; ++i) {
    items.push_back({"amount_mismatch:p-" + std::to_string(i), "amount_mismatch",
                     "p-" + std::to_string(i), "reported 1 of 1999", 1'800'000'000'000 + i});
  }
  engine_->env().reviews->set({"demo", "o-9"}, items);

  auto first = admin("GET", "/admin/review?limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  v1::ReviewListView page;
  ASSERT_TRUE(codec::parse_json(first.body, &page, nullptr)) << first.body;
  ASSERT_EQ(page.items_size(), 2);
  EXPECT_EQ(page.items(0).item_id(), "amount_mismatch:p-0");
  EXPECT_EQ(page.items(0).merchant_order_no(), "o-9");
  ASSERT_FALSE(page.next().empty());

  auto second = admin("GET", "/admin/review?limit=2&cursor=" + page.next());
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_TRUE(codec::parse_json(second.body, &page, nullptr)) << second.body;
  ASSERT_EQ(page.items_size(), 1);
  EXPECT_EQ(page.items(0).item_id(), "amount_mismatch:p-2");
  EXPECT_TRUE(page.next().empty());

  EXPECT_EQ(admin("GET", "/admin/review?limit=0").status, 400);
  EXPECT_EQ(admin("GET", "/admin/review?reason=nope").status, 400);
  EXPECT_EQ(admin("GET", "/admin/review?page=2").status, 400);
  EXPECT_EQ(admin("GET", "/admin/review?cursor=forged").status, 400);
}

}  // namespace
}  // namespace oncepay::gateway
