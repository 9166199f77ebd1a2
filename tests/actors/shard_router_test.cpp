// The shard router: the key -> shard mapping, the shard field of payment_no,
// and the fallback for payment numbers without one.
#include "actors/shard_router.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <vector>

#include "actors/engine_router.hpp"
#include "actors/message_types.hpp"
#include "actors/order_env.hpp"
#include "actors/shard.hpp"

namespace oncepay::actors {
namespace {

constexpr int64_t kNowMs = 1'800'000'000'123;

// 1 + 13 + 4 + 8 characters: a payment_no as builds before the shard field
// made them.
const char* const kLegacy = "P1800000000123abcd00000042";

class ShardRouterTest : public ::testing::Test {
 protected:
  ShardRouterTest() : system_(add_message_types(config_)) {}
  ~ShardRouterTest() override {
    if (router_) {
      for (const auto& s : router_->shards()) caf::anon_send_exit(s, caf::exit_reason::kill);
    }
  }

  const ShardRouter& router(size_t count) {
    env_->shard_count = count;
    std::vector<shard_actor> shards;
    for (size_t i = 0; i < count; ++i) {
      shards.push_back(system_.spawn(shard_impl, std::shared_ptr<const OrderEnv>(env_)));
    }
    router_ = std::make_unique<ShardRouter>(std::move(shards));
    return *router_;
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
  std::shared_ptr<OrderEnv> env_ = std::make_shared<OrderEnv>();
  std::unique_ptr<ShardRouter> router_;
};

// The mapping must never change: orders already stored, and every payment_no
// already handed out, depend on it. Pinned values (XXH3-64 of the key bytes).
TEST(ShardOf, MappingIsStable) {
  EXPECT_EQ(shard_of(OrderKey{"demo", "o-1"}, 64), 53u);
  EXPECT_EQ(shard_of(OrderKey{"demo", "order-2024-0001"}, 64), 2u);
  EXPECT_EQ(shard_of(OrderKey{"shop-x", "A"}, 64), 49u);
  EXPECT_EQ(shard_of(OrderKey{"demo", "o-1"}, 4096), 1397u);
  EXPECT_EQ(shard_of(OrderKey{"demo", "o-1"}, 1), 0u);
}

TEST(ShardOf, SpreadsKeysOverEveryShard) {
  std::vector<int> hits(16, 0);
  for (int i = 0; i < 1600; ++i) ++hits[shard_of(OrderKey{"demo", "o-" + std::to_string(i)}, 16)];
  for (int h : hits) EXPECT_GT(h, 50);
}

TEST_F(ShardRouterTest, RouteUsesTheKeysShard) {
  const ShardRouter& r = router(8);
  const OrderKey key{"demo", "o-1"};
  EXPECT_EQ(r.shard_of(key), shard_of(key, 8));
  EXPECT_EQ(r.route(key), r.shard(shard_of(key, 8)));
}

TEST_F(ShardRouterTest, PaymentNoCarriesTheOrdersShard) {
  const ShardRouter& r = router(8);
  env_->boot_nonce = "abcd";
  for (int i = 0; i < 64; ++i) {
    const OrderKey key{"demo", "o-" + std::to_string(i)};
    const std::string payment_no = env_->new_payment_no(kNowMs, key);
    ASSERT_EQ(payment_no.size(), kPaymentNoSize);
    for (char c : payment_no) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
    EXPECT_EQ(payment_no_shard(payment_no), shard_of(key, 8));
    EXPECT_EQ(r.shard_of_payment(payment_no), r.shard_of(key));
    auto routed = r.route_payment(payment_no);
    ASSERT_TRUE(routed.has_value());
    EXPECT_EQ(*routed, r.route(key));
  }
}

TEST_F(ShardRouterTest, PaymentNoLayout) {
  env_->shard_count = 4096;
  env_->boot_nonce = "abcd";
  const OrderKey key{"demo", "o-1"};
  const std::string payment_no = env_->new_payment_no(kNowMs, key);
  EXPECT_EQ(payment_no,
            "P1397"
            "1800000000123"
            "abcd"
            "00000001");
  EXPECT_EQ(payment_no_shard(payment_no), 1397u);
}

TEST(PaymentNoShard, RoundTripsEveryShardNumber) {
  const std::string rest = "1800000000123abcd00000001";
  for (size_t shard : {size_t{0}, size_t{1}, size_t{42}, size_t{4095}, kMaxShards - 1}) {
    const std::string payment_no = make_payment_no(shard, rest);
    EXPECT_EQ(payment_no.size(), kPaymentNoSize);
    EXPECT_EQ(payment_no_shard(payment_no), shard) << payment_no;
  }
}

TEST_F(ShardRouterTest, OldFormatHasNoShardAndFallsBackToTheIndex) {
  const ShardRouter& r = router(8);
  ASSERT_EQ(std::string(kLegacy).size(), kLegacyPaymentNoSize);
  EXPECT_FALSE(payment_no_shard(kLegacy).has_value());
  EXPECT_FALSE(r.shard_of_payment(kLegacy).has_value());
  EXPECT_FALSE(r.route_payment(kLegacy).has_value());
}

TEST_F(ShardRouterTest, ShardFieldOutOfRangeIsNoShard) {
  const ShardRouter& r = router(8);
  const std::string in_range = make_payment_no(7, "1800000000123abcd00000001");
  const std::string out_of_range = make_payment_no(8, "1800000000123abcd00000001");
  EXPECT_EQ(r.shard_of_payment(in_range), 7u);
  EXPECT_EQ(payment_no_shard(out_of_range), 8u) << "well-formed";
  EXPECT_FALSE(r.shard_of_payment(out_of_range).has_value()) << "but not of this data dir";
  EXPECT_FALSE(r.route_payment(out_of_range).has_value());
}

TEST(PaymentNoShard, MalformedIdsHaveNoShard) {
  const std::string good = make_payment_no(3, "1800000000123abcd00000001");
  ASSERT_EQ(payment_no_shard(good), 3u);
  EXPECT_FALSE(payment_no_shard("").has_value());
  EXPECT_FALSE(payment_no_shard(good.substr(0, kPaymentNoSize - 1)).has_value());
  EXPECT_FALSE(payment_no_shard(good + "0").has_value());
  std::string letter = good;
  letter[0] = 'Q';
  EXPECT_FALSE(payment_no_shard(letter).has_value());
  std::string not_digit = good;
  not_digit[2] = 'a';
  EXPECT_FALSE(payment_no_shard(not_digit).has_value());
  not_digit[2] = '-';
  EXPECT_FALSE(payment_no_shard(not_digit).has_value());
}

// The router actors (engine_actor) over in-memory shards: a parked order
// whose attempt has a legacy payment_no (no shard field) is found through
// the recovered legacy map and its shard's own index; an unknown legacy id
// and a shard field out of range are not found; nothing is served before
// the engine is ready.
class EngineRouterTest : public ShardRouterTest {
 protected:
  engine_actor front(size_t shards, bool ready = true) {
    router(shards);
    auto routes = std::make_shared<RouterEnv>();
    routes->router = std::make_shared<const ShardRouter>(router_->shards());
    routes->env = env_;
    routes->ready = std::make_shared<std::atomic<bool>>(ready);
    routes->legacy.emplace(kLegacy, OrderKey{"demo", "o-old"});
    routes_ = routes;
    return system_.spawn(engine_router_impl, std::shared_ptr<const RouterEnv>(routes));
  }

  OrderReply ask(const engine_actor& to, GetPaymentMsg msg) {
    caf::scoped_actor self{system_};
    OrderReply out{core::Code::kInternal, "no answer"};
    self->request(to, std::chrono::seconds(10), std::move(msg))
        .receive([&](OrderReply& r) { out = std::move(r); },
                 [&](caf::error& err) { ADD_FAILURE() << system_.render(err); });
    caf::anon_send_exit(to, caf::exit_reason::user_shutdown);
    return out;
  }

  // Parks "o-old" (one attempt, payment_no kLegacy) in its shard.
  void park_legacy_order() {
    core::OrderState state;
    state.merchant_id = "demo";
    state.merchant_order_no = "o-old";
    state.status = v1::Order::PAYING;
    state.amount_minor = 1999;
    state.currency = "CNY";
    state.channel = "sandbox";
    core::AttemptState attempt;
    attempt.payment_no = kLegacy;
    attempt.number = 1;
    attempt.channel = "sandbox";
    state.attempts.push_back(attempt);
    RestoreMsg msg;
    msg.orders.push_back(RestoredOrder{std::move(state), core::Policy::kStrict});
    caf::anon_send(router_->route(OrderKey{"demo", "o-old"}), std::move(msg));
  }

  std::shared_ptr<RouterEnv> routes_;
};

TEST_F(EngineRouterTest, LegacyPaymentNoOfAParkedOrderIsRoutedByItsKey) {
  engine_actor to = front(8);
  park_legacy_order();
  OrderReply found = ask(to, GetPaymentMsg{"demo", kLegacy});
  ASSERT_EQ(found.code, core::Code::kOk) << found.message;
  EXPECT_EQ(found.payment.payment_no(), kLegacy);
  EXPECT_EQ(found.payment.merchant_order_no(), "o-old");
}

TEST_F(EngineRouterTest, LegacyPaymentOfAnotherMerchantIsNotFound) {
  engine_actor to = front(8);
  park_legacy_order();
  EXPECT_EQ(ask(to, GetPaymentMsg{"shop-x", kLegacy}).code, core::Code::kPaymentNotFound);
}

TEST_F(EngineRouterTest, UnknownLegacyPaymentNoIsNotFound) {
  engine_actor to = front(8);
  EXPECT_EQ(ask(to, GetPaymentMsg{"demo", "P1800000000123abcd00000099"}).code,
            core::Code::kPaymentNotFound);
}

TEST_F(EngineRouterTest, ShardFieldOutOfRangeIsNotFound) {
  engine_actor to = front(8);
  EXPECT_EQ(ask(to, GetPaymentMsg{"demo", make_payment_no(8, "1800000000123abcd00000001")}).code,
            core::Code::kPaymentNotFound);
}

TEST_F(EngineRouterTest, NothingIsServedBeforeReady) {
  engine_actor to = front(8, false);
  EXPECT_EQ(ask(to, GetPaymentMsg{"demo", kLegacy}).code, core::Code::kNotReady);
}

}  // namespace
}  // namespace oncepay::actors
