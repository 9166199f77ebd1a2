// The fault simulation itself: deterministic, and clean on a fixed set of
// seeds (docs/SIMULATION.md). The seeds run with ONCEPAY_SIM_CTEST_FAULTS
// (tests/sim/CMakeLists.txt).
#include "sim/simulation.hpp"

#include <gtest/gtest.h>

namespace oncepay::sim {
namespace {

std::string joined(const SimResult& r) {
  std::string out;
  for (const auto& line : r.report) out += line + "\n";
  return out + r.json();
}

TEST(SimulationTest, SameSeedSameRun) {
  SimOptions options;
  options.seed = 11;
  options.steps = 300;
  options.keep_going = true;
  const SimResult a = run_simulation(options);
  const SimResult b = run_simulation(options);
  EXPECT_EQ(joined(a), joined(b));
  EXPECT_GT(a.invariant_checks, 0u);
  EXPECT_GT(a.orders, 0u);
}

TEST(SimulationTest, ParsesFaultLists) {
  std::set<std::string> faults;
  std::string error;
  ASSERT_TRUE(parse_faults("-wrong_amount", &faults, &error));
  EXPECT_EQ(faults.size(), fault_kinds().size() - 1);
  EXPECT_FALSE(faults.count("wrong_amount"));
  ASSERT_TRUE(parse_faults("drop,crash", &faults, &error));
  EXPECT_EQ(faults, (std::set<std::string>{"drop", "crash"}));
  ASSERT_TRUE(parse_faults("none", &faults, &error));
  EXPECT_TRUE(faults.empty());
  EXPECT_FALSE(parse_faults("drop,nonsense", &faults, &error));
  EXPECT_NE(error.find("nonsense"), std::string::npos);
}

// forged_secret notifications are signed with a wrong key: the engine side's
// protocol decoder refuses every one (one that decoded would be a violation),
// and the run speaks both real protocols.
TEST(SimulationTest, ForgedNotificationsAreRefusedByTheProtocolDecoders) {
  SimOptions options;
  options.seed = 5;
  options.steps = 1500;
  options.keep_trace = true;
  std::string error;
  ASSERT_TRUE(parse_faults("forged_secret,drop", &options.faults, &error)) << error;
  const SimResult r = run_simulation(options);
  EXPECT_EQ(r.violations, 0u) << joined(r);
  EXPECT_GT(r.refused_notifications, 0u);
  EXPECT_GT(r.protocol_calls.count("wechatpay-v3") ? r.protocol_calls.at("wechatpay-v3") : 0, 0u);
  EXPECT_GT(r.protocol_calls.count("alipay") ? r.protocol_calls.at("alipay") : 0, 0u);
  EXPECT_GT(r.protocol_notifications.count("wechatpay-v3"), 0u);
  EXPECT_GT(r.protocol_notifications.count("alipay"), 0u);
  bool wechatpay_call = false, alipay_call = false, refused = false;
  for (const auto& line : r.trace) {
    wechatpay_call |= line.find("channel wallet (wechatpay-v3): prepay") != std::string::npos;
    alipay_call |= line.find("channel bank (alipay): prepay") != std::string::npos;
    refused |= line.find("forged(with the channel secret)") != std::string::npos &&
               line.find("refused by the") != std::string::npos;
  }
  EXPECT_TRUE(wechatpay_call);
  EXPECT_TRUE(alipay_call);
  EXPECT_TRUE(refused);
}

class SeedTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SeedTest, NoViolation) {
  SimOptions options;
  options.seed = GetParam();
  // 3000 (4000 before the channels spoke their real protocols): the RSA
  // signatures of every call and notification cost about 2.5x, and the CTest
  // sim cases stay within about 2x of their time before (docs/SIMULATION.md).
  options.steps = 3000;
  std::string error;
  ASSERT_TRUE(parse_faults(ONCEPAY_SIM_CTEST_FAULTS, &options.faults, &error)) << error;
  const SimResult r = run_simulation(options);
  EXPECT_EQ(r.violations, 0u) << joined(r);
  EXPECT_EQ(r.steps, options.steps);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedTest, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

}  // namespace
}  // namespace oncepay::sim
