// The seeded fault simulation of the whole engine (docs/SIMULATION.md): the
// real actors::Engine (shards, order actors, the decision core, the WAL and
// LMDB snapshots in a real temporary directory) on CAF's test coordinator,
// with simulated time, two channels::ChannelModel channels behind channel
// actors the simulation drives, speaking WeChat Pay v3 ("wallet") and Alipay
// ("bank") end to end through the channels' protocol parts
// (sim/protocol_channels.hpp), a webhook receiver, and faults drawn from one
// std::mt19937_64: lost, duplicated, delayed, reordered, misrouted, forged
// and wrong-amount notifications, unavailable and hung channel calls, failed
// fdatasyncs, crashes with a torn WAL tail, checkpoints at random times.
// After every step it checks the invariants listed in docs/SIMULATION.md.
//
// Contract: run_simulation() is single-threaded and deterministic: the same
// options give the same SimResult (and the same printed report) on every
// run. It runs its own actor system; call it from one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace oncepay::sim {

// Every fault kind, in the order docs/SIMULATION.md lists them.
const std::vector<std::string>& fault_kinds();

// Every kind in fault_kinds().
std::set<std::string> all_faults();

struct SimOptions {
  uint64_t seed = 1;
  uint64_t steps = 1000;
  // Enabled fault kinds (names from fault_kinds()); all by default.
  std::set<std::string> faults = all_faults();
  // Where the WAL and snapshot live; empty: a fresh temporary directory,
  // removed at the end.
  std::string data_dir;
  // Keep running after a violation (to count them) instead of stopping.
  bool keep_going = false;
  // Copy every trace line into SimResult::trace (tests).
  bool keep_trace = false;
};

struct SimResult {
  uint64_t seed = 0;
  uint64_t steps = 0;  // steps run (fewer than asked when a violation stopped it)
  uint64_t orders = 0;
  uint64_t crashes = 0;
  uint64_t faults = 0;  // faults injected
  uint64_t invariant_checks = 0;
  uint64_t violations = 0;
  // Engine calls made through each protocol ("wechatpay-v3", "alipay") and
  // notifications each encoded; notifications the engine side's protocol
  // decoder refused (forged_secret: signed with a wrong key).
  std::map<std::string, uint64_t> protocol_calls;
  std::map<std::string, uint64_t> protocol_notifications;
  uint64_t refused_notifications = 0;
  // Every trace line, when SimOptions::keep_trace.
  std::vector<std::string> trace;
  // Human-readable lines: each violation with the affected order's trace.
  std::vector<std::string> report;

  // {"seed","steps","orders","crashes","faults","invariant_checks",
  //  "refused_notifications","violations"}
  std::string json() const;
};

SimResult run_simulation(const SimOptions& options);

// Parses "a,b,c" (names from fault_kinds(), "all", or "none"; "-x" removes
// x) into *out. False with *error naming the bad token.
bool parse_faults(const std::string& text, std::set<std::string>* out, std::string* error);

}  // namespace oncepay::sim
