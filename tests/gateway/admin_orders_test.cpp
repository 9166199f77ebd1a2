// The operators' order page, order search and actions and order search (docs/API.md "Orders for
// operators") through Api::handle, against a real in-memory Engine on CAF's
// test coordinator whose sandbox notifies the engine directly (nothing
// sleeps; run() drains every actor).
#include <gtest/gtest.h>

#include <caf/scheduler/test_coordinator.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "actors/message_types.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "codec/json.hpp"
#include "core/signature.hpp"
#include "gateway/api.hpp"
#include "oncepay.pb.h"

namespace oncepay::gateway {
namespace {

constexpr char kViewerToken[] = "viewer-token";
constexpr char kOperatorToken[] = "operator-token";
constexpr char kPayBody[] = R"({"amount":1999,"currency":"CNY","channel":"sandbox"})";

struct TestConfig : caf::actor_system_config {
  TestConfig() {
    set("scheduler.policy", caf::atom("testing"));
    actors::add_message_types(*this);
  }
};

std::string code_of(const http::HttpResponse& r) {
  v1::ErrorResponse e;
  if (!codec::parse_json(r.body, &e, nullptr)) return {};
  return e.error().code();
}

class AdminOrdersTest : public ::testing::Test {
 protected:
  AdminOrdersTest()
      : system_(config_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    actors::EngineOptions options;
    options.shards = 2;
    options.routers = 1;
    channels::sandbox::SandboxOptions sandbox;
    sandbox.seed = 7;
    sandbox.secret = "chsec";
    std::string error;
    sandbox_ = channels::sandbox::register_sandbox(*channels_, system_, sandbox, &error);
    EXPECT_NE(sandbox_, nullptr) << error;
    options.channels = channels_->actors();
    engine_ = std::make_unique<actors::Engine>(system_, options);
    engine_->merchants().add("demo", "sk_test_demo", "whsec", core::Policy::kStrict);
    engine_->merchants().add("m2", "sk_m2", "whsec2", core::Policy::kStrict);
    sandbox_->set_sink([this](const v1::ChannelNotification& body, auto acked) {
      core::ChannelNotice notice;
      ASSERT_TRUE(core::notice_from_proto(body, &notice));
      engine_->notify("sandbox", notice,
                      [acked](actors::OrderReply r) { acked(core::is_success(r.code)); });
    });
    ApiOptions api;
    api.admin_token = "admin-token";
    api.admin.operators = {{"vera", Role::kViewer, core::sha256_hex(kViewerToken)},
                           {"otto", Role::kOperator, core::sha256_hex(kOperatorToken)}};
    api_ = std::make_unique<Api>(*engine_, *channels_, std::move(api));
    sched_.run();
  }

  ~AdminOrdersTest() override {
    api_.reset();
    engine_.reset();
    channels_.reset();
    sched_.run();
  }

  http::HttpResponse call(std::string method, std::string target, const std::string& token,
                          std::string body = {}) {
    http::HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.headers.emplace_back("authorization", "Bearer " + token);
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    std::optional<http::HttpResponse> out;
    api_->handle(std::move(req), [&out](http::HttpResponse r) { out = std::move(r); });
    sched_.run();
    EXPECT_TRUE(out.has_value()) << "no answer to " << target;
    return out.value_or(http::HttpResponse{.status = 0});
  }

  http::HttpResponse viewer(std::string target) {
    return call("GET", std::move(target), kViewerToken);
  }

  // A merchant's pay; the payment_no of its attempt.
  std::string pay(const std::string& api_key, const std::string& order_no) {
    auto r = call("POST", "/v1/orders/" + order_no + "/pay", api_key, kPayBody);
    EXPECT_EQ(r.status, 201) << r.body;
    v1::OrderView view;
    EXPECT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
    return view.attempt().payment_no();
  }

  v1::OrderSearchView search(const std::string& query) {
    auto r = viewer("/admin/orders?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    v1::OrderSearchView view;
    EXPECT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
    return view;
  }

  http::HttpResponse act(const std::string& target, const std::string& body,
                         const char* token = kOperatorToken) {
    return call("POST", target, token, body);
  }

  v1::AdminOrderView order_page(const std::string& target) {
    auto r = viewer(target);
    EXPECT_EQ(r.status, 200) << r.body;
    v1::AdminOrderView view;
    EXPECT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
    return view;
  }

  static bool has_event(const v1::AdminOrderView& view, const std::string& type,
                        const std::string& detail) {
    for (const auto& e : view.order().events()) {
      if (e.type() == type && e.detail() == detail) return true;
    }
    return false;
  }

  TestConfig config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  // Outlives the engine and the Api.
  std::unique_ptr<channels::ChannelRegistry> channels_ =
      std::make_unique<channels::ChannelRegistry>();
  channels::sandbox::SandboxChannel* sandbox_ = nullptr;
  std::unique_ptr<actors::Engine> engine_;
  std::unique_ptr<Api> api_;
};

TEST_F(AdminOrdersTest, OrderPageShowsAttemptsAndTheTimelineToAViewer) {
  const std::string payment_no = pay("sk_test_demo", "o-1");
  sandbox_->pay(payment_no, false);
  sched_.run();
  auto r = viewer("/admin/orders/demo/o-1");
  ASSERT_EQ(r.status, 200) << r.body;
  v1::AdminOrderView view;
  ASSERT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
  EXPECT_EQ(view.merchant_id(), "demo");
  EXPECT_EQ(view.order().merchant_order_no(), "o-1");
  EXPECT_EQ(view.order().status(), v1::Order::PAID);
  ASSERT_EQ(view.order().attempts_size(), 1);
  EXPECT_EQ(view.order().attempts(0).payment_no(), payment_no);
  EXPECT_EQ(view.order().attempts(0).status(), v1::Attempt::SUCCESS);
  EXPECT_GE(view.order().events_size(), 2);
  EXPECT_EQ(view.reviews_size(), 0);
}

TEST_F(AdminOrdersTest, AnUnknownOrderPageIs404) {
  auto r = viewer("/admin/orders/demo/nope");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(code_of(r), "order_not_found");
}

TEST_F(AdminOrdersTest, AnOrderPageWithAMalformedKeyIs400) {
  EXPECT_EQ(viewer("/admin/orders/de%20mo/o-1").status, 400);
  EXPECT_EQ(code_of(viewer("/admin/orders/" + std::string(65, 'm') + "/o-1")), "invalid_request");
}

TEST_F(AdminOrdersTest, SearchByMerchantOrderNoFindsTheOrder) {
  const std::string payment_no = pay("sk_test_demo", "o-1");
  auto found = search("merchant_id=demo&merchant_order_no=o-1");
  ASSERT_EQ(found.items_size(), 1);
  EXPECT_EQ(found.items(0).merchant_id(), "demo");
  EXPECT_EQ(found.items(0).merchant_order_no(), "o-1");
  EXPECT_EQ(found.items(0).payment_no(), "");
  EXPECT_EQ(found.items(0).amount(), 1999);
  EXPECT_EQ(found.items(0).status(), v1::Order::PAYING);
  // Another merchant's order of that number is not this one.
  EXPECT_EQ(search("merchant_id=m2&merchant_order_no=o-1").items_size(), 0);
}

TEST_F(AdminOrdersTest, SearchByPaymentNoFindsAnyMerchantsOrder) {
  pay("sk_test_demo", "o-1");
  const std::string payment_no = pay("sk_m2", "o-7");
  auto found = search("payment_no=" + payment_no);
  ASSERT_EQ(found.items_size(), 1);
  EXPECT_EQ(found.items(0).merchant_id(), "m2");
  EXPECT_EQ(found.items(0).merchant_order_no(), "o-7");
  EXPECT_EQ(found.items(0).payment_no(), payment_no);
}

TEST_F(AdminOrdersTest, ASearchThatFindsNothingIsAnEmptyList) {
  EXPECT_EQ(search("merchant_id=demo&merchant_order_no=nope").items_size(), 0);
  EXPECT_EQ(search("payment_no=P0000000000000000000").items_size(), 0);
}

TEST_F(AdminOrdersTest, ASearchWithBadInputIs400) {
  for (const char* query :
       {"", "merchant_id=demo", "merchant_order_no=o-1", "payment_no=P1&merchant_id=demo",
        "channel_trade_no=4200000001&payment_no=P1", "page=2",
        "merchant_id=de%20mo&merchant_order_no=o-1"}) {
    auto r = viewer(std::string("/admin/orders?") + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(code_of(r), "invalid_request") << query;
  }
}

TEST_F(AdminOrdersTest, AMalformedChannelTradeNoIs400) {
  const std::string too_long(65, '4');
  for (const std::string& value : {std::string(), std::string("4200%200001"), too_long,
                                   std::string("%E5%BE%AE"), std::string("42%1F01")}) {
    auto r = viewer("/admin/orders?channel_trade_no=" + value);
    EXPECT_EQ(r.status, 400) << value << ": " << r.body;
    EXPECT_EQ(code_of(r), "invalid_request") << value;
  }
}

// The channels' numbers are indexed in the snapshot only: this engine has
// none (the durable search: tests/actors, tests/blackbox).
TEST_F(AdminOrdersTest, SearchByChannelTradeNoNeedsADurableEngine) {
  auto r = viewer("/admin/orders?channel_trade_no=" + std::string(64, '4'));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(code_of(r), "not_ready");
  EXPECT_NE(r.body.find("durable engine"), std::string::npos) << r.body;
}

TEST_F(AdminOrdersTest, AMerchantKeyIsNoOperator) {
  pay("sk_test_demo", "o-1");
  EXPECT_EQ(call("GET", "/admin/orders/demo/o-1", "sk_test_demo").status, 401);
  EXPECT_EQ(
      call("GET", "/admin/orders?merchant_id=demo&merchant_order_no=o-1", "sk_test_demo").status,
      401);
}

// ---------------------------------------------------------------- actions

TEST_F(AdminOrdersTest, AnOperatorClosesAnOrderAndTheTimelineNamesThemAndWhy) {
  pay("sk_test_demo", "o-1");
  auto r = act("/admin/orders/demo/o-1/close", R"({"reason":"the payer gave up"})");
  ASSERT_EQ(r.status, 200) << r.body;
  v1::AdminOrderView view;
  ASSERT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
  EXPECT_EQ(view.order().status(), v1::Order::CLOSED);
  EXPECT_TRUE(has_event(view, "operator.action", "close by otto: the payer gave up"));
  // The audit log has it too, with the reason.
  auto audit = viewer("/admin/audit");
  EXPECT_NE(audit.body.find("\"reason\":\"the payer gave up\""), std::string::npos) << audit.body;
}

TEST_F(AdminOrdersTest, AViewersActionIs403AndChangesNothing) {
  pay("sk_test_demo", "o-1");
  auto r = act("/admin/orders/demo/o-1/close", R"({"reason":"x"})", kViewerToken);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "forbidden");
  EXPECT_EQ(order_page("/admin/orders/demo/o-1").order().status(), v1::Order::PAYING);
}

TEST_F(AdminOrdersTest, AnActionWithoutAReasonIs400AndChangesNothing) {
  pay("sk_test_demo", "o-1");
  for (const char* body : {"{}", R"({"reason":""})", R"({"reason":"x","extra":1})", "not json"}) {
    auto r = act("/admin/orders/demo/o-1/close", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
  }
  EXPECT_EQ(act("/admin/orders/demo/o-1/query", "{}").status, 400);
  EXPECT_EQ(act("/admin/orders/demo/o-1/refunds", R"({"refund_no":"r-1","amount":1})").status, 400);
  auto view = order_page("/admin/orders/demo/o-1");
  EXPECT_EQ(view.order().status(), v1::Order::PAYING);
  EXPECT_FALSE(has_event(view, "operator.action", ""));
  for (const auto& e : view.order().events()) EXPECT_NE(e.type(), "operator.action");
}

TEST_F(AdminOrdersTest, AnOperatorRefundsAtMostWhatIsLeft) {
  const std::string payment_no = pay("sk_test_demo", "o-1");
  sandbox_->pay(payment_no, false);
  sched_.run();
  auto over = act("/admin/orders/demo/o-1/refunds",
                  R"({"refund_no":"r-1","amount":2000,"reason":"too much"})");
  EXPECT_EQ(over.status, 409) << over.body;
  EXPECT_EQ(code_of(over), "refund_exceeds_paid");
  auto r = act("/admin/orders/demo/o-1/refunds",
               R"({"refund_no":"r-1","amount":500,"reason":"goodwill"})");
  ASSERT_EQ(r.status, 202) << r.body;
  v1::AdminOrderView view;
  ASSERT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
  ASSERT_EQ(view.order().refunds_size(), 1);
  EXPECT_EQ(view.order().refunds(0).amount(), 500);
  EXPECT_TRUE(has_event(view, "operator.action", "refund r-1 by otto: goodwill"));
}

TEST_F(AdminOrdersTest, QueryNowAppliesWhatTheChannelSays) {
  const std::string payment_no = pay("sk_test_demo", "o-1");
  // The payer paid but the notification is lost: query now finds it.
  sandbox_->set_sink([](const v1::ChannelNotification&, auto) {});
  sandbox_->pay(payment_no, false);
  sched_.run();
  EXPECT_EQ(order_page("/admin/orders/demo/o-1").order().status(), v1::Order::PAYING);
  auto r = act("/admin/orders/demo/o-1/query", R"({"reason":"the payer says they paid"})");
  ASSERT_EQ(r.status, 200) << r.body;
  v1::AdminOrderView view;
  ASSERT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
  EXPECT_EQ(view.order().status(), v1::Order::PAID);
  EXPECT_TRUE(has_event(view, "operator.action",
                        "query " + payment_no + " by otto: the payer says they paid"));
  // Paid: nothing is open any more.
  auto again = act("/admin/orders/demo/o-1/query", R"({"reason":"again"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(code_of(again), "no_open_attempt");
}

TEST_F(AdminOrdersTest, RetryOfAWebhookTheOrderDoesNotHaveIs404) {
  pay("sk_test_demo", "o-1");
  auto r = act("/admin/orders/demo/o-1/webhooks/evt_nope/retry", R"({"reason":"x"})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(code_of(r), "webhook_not_found");
  auto viewer_try =
      act("/admin/orders/demo/o-1/webhooks/evt_nope/retry", R"({"reason":"x"})", kViewerToken);
  EXPECT_EQ(viewer_try.status, 403);
  EXPECT_EQ(act("/admin/orders/demo/o-1/webhooks/evt_nope/retry", "{}").status, 400);
}

TEST_F(AdminOrdersTest, PayLatencyIsInTheMetrics) {
  pay("sk_test_demo", "o-1");
  auto r = call("GET", "/metrics", "");
  EXPECT_NE(r.body.find("oncepay_pay_seconds_count 1"), std::string::npos) << r.body;
}

TEST_F(AdminOrdersTest, AnActionOnAnUnknownOrderIs404) {
  auto r = act("/admin/orders/demo/nope/close", R"({"reason":"x"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code_of(r), "order_not_found");
}

// ---------------------------------------------------------------- payer appeals

TEST_F(AdminOrdersTest, AnAppealFindsAPaymentOncepayMissedAndStaysOnTheReviewList) {
  const std::string payment_no = pay("sk_test_demo", "o-1");
  sandbox_->set_sink([](const v1::ChannelNotification&, auto) {});  // the notification is lost
  sandbox_->pay(payment_no, false);
  sched_.run();
  auto r = act("/admin/orders/demo/o-1/appeals",
               R"({"kind":"paid_not_credited","detail":"the payer shows a receipt"})");
  ASSERT_EQ(r.status, 201) << r.body;
  v1::AdminOrderView view;
  ASSERT_TRUE(codec::parse_json(r.body, &view, nullptr)) << r.body;
  EXPECT_EQ(view.order().status(), v1::Order::PAID);
  ASSERT_EQ(view.appeals_size(), 1);
  const v1::AppealView& appeal = view.appeals(0);
  EXPECT_EQ(appeal.appeal_id(), "appeal:" + payment_no + ":1");
  EXPECT_EQ(appeal.status(), "open");
  EXPECT_EQ(appeal.recorded_by(), "otto");
  ASSERT_EQ(appeal.findings_size(), 1);
  EXPECT_TRUE(appeal.findings(0).charged());
  EXPECT_EQ(appeal.findings(0).channel_state(), "SUCCESS");
  EXPECT_NE(appeal.summary().find("1 charge at the channel"), std::string::npos)
      << appeal.summary();
  EXPECT_TRUE(has_event(view, "operator.action",
                        "appeal " + appeal.appeal_id() + " by otto: the payer shows a receipt"));
  // On the review list, with what was found.
  auto list = viewer("/admin/review?reason=appeal");
  ASSERT_EQ(list.status, 200) << list.body;
  v1::ReviewListView items;
  ASSERT_TRUE(codec::parse_json(list.body, &items, nullptr)) << list.body;
  ASSERT_EQ(items.items_size(), 1);
  EXPECT_EQ(items.items(0).item_id(), appeal.appeal_id());
  EXPECT_EQ(items.items(0).detail(), "paid_not_credited: " + appeal.summary());
  // The audit log keeps the payer's words as the reason.
  auto audit = viewer("/admin/audit");
  EXPECT_NE(audit.body.find("\"reason\":\"the payer shows a receipt\""), std::string::npos)
      << audit.body;
  // Until an operator closes it.
  auto closed = act("/admin/review/" + appeal.appeal_id() + "/resolve",
                    R"({"resolution":"dismiss","reason":"credited; told the payer"})");
  ASSERT_EQ(closed.status, 200) << closed.body;
  auto after = order_page("/admin/orders/demo/o-1");
  ASSERT_EQ(after.appeals_size(), 1);
  EXPECT_EQ(after.appeals(0).status(), "closed");
  EXPECT_EQ(after.appeals(0).closed_by(), "otto");
  EXPECT_EQ(after.appeals(0).resolution(), "credited; told the payer");
  EXPECT_EQ(after.reviews_size(), 0);
}

TEST_F(AdminOrdersTest, AnAppealWithBadInputIs400AndRecordsNothing) {
  pay("sk_test_demo", "o-1");
  const std::string long_detail(501, 'x');
  for (const std::string& body :
       {std::string("{}"), std::string(R"({"kind":"charged_twice"})"),
        std::string(R"({"kind":"charged_twice","detail":""})"),
        std::string(R"({"kind":"lost","detail":"x"})"), std::string(R"({"detail":"x"})"),
        std::string(R"({"kind":"other","detail":"x","extra":1})"),
        std::string(R"({"kind":"other","detail":"   "})"),
        std::string(R"({"kind":"other","detail":"a\u0000b"})"),
        std::string(R"({"kind":"other","detail":"a\u001bb"})"),
        R"({"kind":"other","detail":")" + long_detail + R"("})", std::string("not json")}) {
    auto r = act("/admin/orders/demo/o-1/appeals", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(code_of(r), "invalid_request") << body;
  }
  auto view = order_page("/admin/orders/demo/o-1");
  EXPECT_EQ(view.appeals_size(), 0);
  EXPECT_EQ(view.reviews_size(), 0);
}

TEST_F(AdminOrdersTest, AViewersAppealIs403AndAnUnknownOrdersIs404) {
  pay("sk_test_demo", "o-1");
  const std::string body = R"({"kind":"other","detail":"x"})";
  auto refused = act("/admin/orders/demo/o-1/appeals", body, kViewerToken);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(code_of(refused), "forbidden");
  EXPECT_EQ(order_page("/admin/orders/demo/o-1").appeals_size(), 0);
  auto missing = act("/admin/orders/demo/nope/appeals", body);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(code_of(missing), "order_not_found");
}

}  // namespace
}  // namespace oncepay::gateway
