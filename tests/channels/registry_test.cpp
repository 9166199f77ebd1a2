// The channel registry (channels/registry.hpp): registering, lookup,
// refusals, and what the engine and the gateway read from it. Entries here
// are built by hand with dummy actors: no channel folder is involved.
#include "channels/registry.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>

namespace oncepay::channels {
namespace {

channel_actor::behavior_type echo_impl() {
  return {[](const core::ChannelCall&) { return core::ChannelReply{}; }};
}

class RegistryTest : public ::testing::Test {
 protected:
  ChannelEntry entry(std::string name) {
    ChannelEntry e;
    e.name = std::move(name);
    e.actor = system_.spawn(echo_impl);
    actors_.push_back(e.actor);
    return e;
  }

  ChannelRoute route(std::string method, std::string pattern) {
    return {std::move(method), std::move(pattern),
            [](const http::HttpRequest&, const std::vector<std::string_view>&) {
              return http::HttpResponse{};
            }};
  }

  ~RegistryTest() override {
    for (auto& a : actors_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  caf::actor_system_config config_;
  caf::actor_system system_{config_};
  std::vector<channel_actor> actors_;
  ChannelRegistry registry_;
  std::string error_;
};

TEST_F(RegistryTest, RegisteredChannelsAreFoundByName) {
  ASSERT_TRUE(registry_.add(entry("alpha"), &error_)) << error_;
  ASSERT_TRUE(registry_.add(entry("beta"), &error_)) << error_;
  ASSERT_NE(registry_.find("alpha"), nullptr);
  EXPECT_EQ(registry_.find("beta")->name, "beta");
  EXPECT_EQ(registry_.find("gamma"), nullptr);
  ASSERT_EQ(registry_.entries().size(), 2u);
  EXPECT_EQ(registry_.entries()[0].name, "alpha");  // registration order
}

TEST_F(RegistryTest, ActorsAreTheEnginesChannelMap) {
  ASSERT_TRUE(registry_.add(entry("alpha"), &error_)) << error_;
  auto actors = registry_.actors();
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_EQ(actors.at("alpha"), registry_.find("alpha")->actor);
}

TEST_F(RegistryTest, DuplicateNameIsRefusedAndNothingIsAdded) {
  ASSERT_TRUE(registry_.add(entry("alpha"), &error_)) << error_;
  EXPECT_FALSE(registry_.add(entry("alpha"), &error_));
  EXPECT_NE(error_.find("two channels named \"alpha\""), std::string::npos) << error_;
  EXPECT_EQ(registry_.entries().size(), 1u);
}

TEST_F(RegistryTest, EmptyNameIsRefused) {
  EXPECT_FALSE(registry_.add(entry(""), &error_));
  EXPECT_TRUE(registry_.entries().empty());
}

TEST_F(RegistryTest, RouteUnderAnotherChannelsPrefixIsRefused) {
  auto a = entry("alpha");
  a.routes.push_back(route("GET", "/play/{id}"));
  ASSERT_TRUE(registry_.add(std::move(a), &error_)) << error_;
  auto b = entry("beta");
  b.routes.push_back(route("POST", "/play/other"));
  EXPECT_FALSE(registry_.add(std::move(b), &error_));
  EXPECT_NE(error_.find("alpha"), std::string::npos) << error_;
  EXPECT_EQ(registry_.find("beta"), nullptr);
}

TEST_F(RegistryTest, RelativeRouteIsRefused) {
  auto a = entry("alpha");
  a.routes.push_back(route("GET", "play"));
  EXPECT_FALSE(registry_.add(std::move(a), &error_));
}

TEST_F(RegistryTest, HealthListsOnlyChannelsThatReportOne) {
  auto a = entry("alpha");
  a.health = [] { return ChannelHealth{"alpha", "open", 3}; };
  ASSERT_TRUE(registry_.add(std::move(a), &error_)) << error_;
  ASSERT_TRUE(registry_.add(entry("beta"), &error_)) << error_;
  auto health = registry_.health();
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0].channel, "alpha");
  EXPECT_EQ(health[0].breaker, "open");
  EXPECT_EQ(health[0].breaker_opened_total, 3u);
}

TEST_F(RegistryTest, ConnectReachesInProcessChannelsOnly) {
  int connected = 0;
  int cleared = 0;
  auto a = entry("alpha");
  a.connect = [&](http::Handler handler) { ++(handler ? connected : cleared); };
  ASSERT_TRUE(registry_.add(std::move(a), &error_)) << error_;
  ASSERT_TRUE(registry_.add(entry("beta"), &error_)) << error_;
  registry_.connect([](http::HttpRequest, http::Responder) {});
  registry_.connect(nullptr);
  EXPECT_EQ(connected, 1);
  EXPECT_EQ(cleared, 1);
}

TEST_F(RegistryTest, OwnerIsReleasedWithTheRegistry) {
  auto owned = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owned;
  {
    ChannelRegistry registry;
    auto a = entry("alpha");
    a.owner = std::move(owned);
    ASSERT_TRUE(registry.add(std::move(a), &error_)) << error_;
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace oncepay::channels
