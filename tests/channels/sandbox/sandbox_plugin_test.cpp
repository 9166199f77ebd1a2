// The built-in sandbox as a registry entry (channels/sandbox/sandbox_plugin.hpp):
// its /sandbox routes and its loopback notifications, which its own decoder
// accepts. On CAF's test coordinator: nothing waits on real time.
#include "channels/sandbox/sandbox_plugin.hpp"

#include <gtest/gtest.h>

#include <caf/scheduler/test_coordinator.hpp>
#include <optional>

#include "codec/json.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::channels::sandbox {
namespace {

struct TestConfig : caf::actor_system_config {
  TestConfig() { set("scheduler.policy", caf::atom("testing")); }
};

class SandboxPluginTest : public ::testing::Test {
 protected:
  SandboxPluginTest()
      : system_(config_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    SandboxOptions options;
    options.seed = 7;
    options.secret = "chsec_test";
    std::string error;
    sandbox_ = register_sandbox(*registry_, system_, options, &error);
    EXPECT_NE(sandbox_, nullptr) << error;
  }

  // The registry stops the sandbox's actors; the test scheduler runs their
  // exit before the actor system waits for them.
  ~SandboxPluginTest() override {
    registry_.reset();
    sched_.run();
  }

  // One request through the entry's routes, as the gateway looks them up.
  http::HttpResponse call(std::string method, std::string path, std::string body = {}) {
    http::HttpRequest req;
    req.method = std::move(method);
    req.path = req.target = std::move(path);
    req.body = std::move(body);
    const auto parts = http::split_path(req.path);
    for (const auto& route : registry_->find("sandbox")->routes) {
      if (route.method != req.method) continue;
      const auto want = http::split_path(route.pattern);
      if (want.size() != parts.size()) continue;
      bool match = true;
      for (size_t i = 0; i < want.size(); ++i) {
        match = match && (want[i].front() == '{' || want[i] == parts[i]);
      }
      if (match) return route.handler(req, parts);
    }
    ADD_FAILURE() << "no route for " << req.method << " " << req.path;
    return {};
  }

  // A payment the sandbox knows (a prepay, as the engine makes).
  std::string prepaid(std::string payment_no) {
    core::ChannelCall prepay;
    prepay.op = core::ChannelOp::kPrepay;
    prepay.channel = "sandbox";
    prepay.payment_no = payment_no;
    prepay.amount_minor = 1999;
    prepay.currency = "CNY";
    EXPECT_EQ(sandbox_->handle(prepay).outcome, core::ChannelOutcome::kOk);
    return payment_no;
  }

  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  std::unique_ptr<ChannelRegistry> registry_ = std::make_unique<ChannelRegistry>();
  SandboxChannel* sandbox_ = nullptr;
};

TEST_F(SandboxPluginTest, RegistersItsRoutesAndNotifications) {
  const ChannelEntry* entry = registry_->find("sandbox");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->routes.size(), 4u);
  EXPECT_TRUE(entry->decode_notice);
  EXPECT_TRUE(entry->connect);
  EXPECT_FALSE(entry->health);  // in process: no breaker
}

TEST_F(SandboxPluginTest, UnknownPaymentIsNotFound) {
  auto r = call("GET", "/sandbox/payments/P-none");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("payment_not_found"), std::string::npos) << r.body;
}

TEST_F(SandboxPluginTest, PayingAPrepaidPaymentShowsItsRecord) {
  const auto payment_no = prepaid("P-1");
  auto r = call("POST", "/sandbox/payments/" + payment_no + "/pay");
  ASSERT_EQ(r.status, 200) << r.body;
  v1::ChannelPaymentView view;
  std::string why;
  ASSERT_TRUE(codec::parse_json(r.body, &view, &why)) << why;
  EXPECT_EQ(view.status(), v1::ChannelPaymentView::SUCCESS);
}

TEST_F(SandboxPluginTest, FailWithAfterCloseIsInvalid) {
  const auto payment_no = prepaid("P-2");
  auto r = call("POST", "/sandbox/payments/" + payment_no + "/fail", R"({"after_close":true})");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(SandboxPluginTest, InvalidFaultsAreRefused) {
  EXPECT_EQ(call("PUT", "/sandbox/faults", R"({"notify_drop": 2})").status, 400);
  EXPECT_EQ(call("PUT", "/sandbox/faults", "{}").status, 200);
}

TEST_F(SandboxPluginTest, LoopbackNotificationIsSignedForItsOwnDecoder) {
  std::optional<http::HttpRequest> sent;
  registry_->connect([&sent](http::HttpRequest request, http::Responder respond) {
    sent = std::move(request);
    respond(http::HttpResponse{});
  });
  const auto payment_no = prepaid("P-3");
  ASSERT_EQ(call("POST", "/sandbox/payments/" + payment_no + "/pay").status, 200);
  sched_.run();
  ASSERT_TRUE(sent.has_value()) << "no notification";
  EXPECT_EQ(sent->path, "/v1/channels/sandbox/notify");
  auto decision = registry_->find("sandbox")->decode_notice(*sent, core::unix_seconds());
  ASSERT_TRUE(decision.notice.has_value()) << decision.refusal.body;
  EXPECT_EQ(decision.notice->payment_no, payment_no);
  EXPECT_EQ(decision.notice->kind, core::ChannelNotice::Kind::kSuccess);
}

}  // namespace
}  // namespace oncepay::channels::sandbox
