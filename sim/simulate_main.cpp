// oncepay-simulate: runs one seeded fault simulation of the whole engine
// (docs/SIMULATION.md) and prints any violation with its trace, then one
// JSON line. Exit status 0: no violation; 1: a violation; 2: bad arguments.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "sim/simulation.hpp"

namespace {

bool flag(const char* arg, const char* name, std::string* value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = arg + n + 1;
  return true;
}

// Decimal digits only, within uint64 (an overflow is refused, not thrown).
bool parse_u64(const std::string& text, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

constexpr const char* kDefaultFaults = "-forged_secret";

// A bound on --steps so that a typo cannot run for days.
constexpr uint64_t kMaxSteps = 100'000'000;

int usage(const std::string& why) {
  std::cerr << "oncepay-simulate: " << why << "\n"
            << "usage: oncepay-simulate [--seed=S (1)] [--steps=N (1000)] [--faults=LIST]"
               " [--data-dir=DIR] [--keep-going]\n"
               "  LIST: comma-separated fault kinds, 'all', 'none', or '-kind' to"
               " remove one from all (default: -forged_secret). Kinds:";
  for (const auto& k : oncepay::sim::fault_kinds()) std::cerr << " " << k;
  std::cerr << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  oncepay::sim::SimOptions options;
  // The default runs the engine as it ships, so it leaves out forged_secret
  // (which turns on payment.confirm-notified-success; docs/SIMULATION.md):
  // --faults=all adds it.
  {
    std::string error;
    if (!oncepay::sim::parse_faults(kDefaultFaults, &options.faults, &error)) return usage(error);
  }
  for (int i = 1; i < argc; ++i) {
    std::string value;
    if (flag(argv[i], "--seed", &value)) {
      if (!parse_u64(value, &options.seed)) return usage("bad --seed");
    } else if (flag(argv[i], "--steps", &value)) {
      if (!parse_u64(value, &options.steps) || options.steps > kMaxSteps) {
        return usage("bad --steps (1 to " + std::to_string(kMaxSteps) + ")");
      }
    } else if (flag(argv[i], "--faults", &value)) {
      std::string error;
      if (!oncepay::sim::parse_faults(value, &options.faults, &error)) return usage(error);
    } else if (flag(argv[i], "--data-dir", &value)) {
      options.data_dir = value;
    } else if (std::strcmp(argv[i], "--help") == 0) {
      usage("the seeded fault simulation of the engine (docs/SIMULATION.md)");
      return 0;
    } else if (std::strcmp(argv[i], "--keep-going") == 0) {
      options.keep_going = true;
    } else {
      return usage(std::string("unknown argument ") + argv[i]);
    }
  }
  const oncepay::sim::SimResult result = oncepay::sim::run_simulation(options);
  for (const auto& line : result.report) std::cout << line << "\n";
  if (result.violations > 0) {
    std::cout << "reproduce: oncepay-simulate --seed=" << options.seed
              << " --steps=" << options.steps << "\n";
  }
  std::cout << result.json() << std::endl;
  return result.violations == 0 ? 0 : 1;
}
