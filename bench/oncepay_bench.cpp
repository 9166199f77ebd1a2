// oncepay-bench: the load generator. Mode `core` drives the actor engine in
// this process (durable by default: the real WAL with fdatasync in a temp
// dir); mode `http` drives a running oncepayd over keep-alive connections.
// Scenarios and what counts as a correct answer: bench/scenario.hpp.
//
// Output: a progress line on stderr while stderr is a terminal; the LAST
// line on stdout is one JSON object (mode, scenario, throughput_rps,
// p50_ms, p90_ms, p99_ms, p999_ms, errors by kind, and the mode's own
// figures). --plot=FILE.svg also writes latency percentiles and throughput
// over time. Mode `recon` times a reconciliation run over a generated
// statement (bench/recon_bench.hpp). Usage: oncepay-bench --help. Method
// and figures: docs/PERFORMANCE.md.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "bench/core_driver.hpp"
#include "bench/http_driver.hpp"
#include "bench/recon_bench.hpp"
#include "bench/run_report.hpp"
#include "bench/scenario.hpp"

namespace {

using namespace oncepay::bench;

constexpr char kUsage[] =
    R"(usage: oncepay-bench core|http|recon [options]

  core                  drive the engine in this process (no HTTP)
  http --target=URL     drive a running oncepayd, e.g. --target=http://127.0.0.1:8080
  recon [--lines=N]     time a reconciliation run over a generated statement
                        (oncepay-bench recon --help)

common options
  --scenario=NAME       unique (default) | storm | mixed | retry | paid
  --seconds=S           how long to send requests (default 10)
  --connections=N       requests in flight: core default 256 (storm: max(256, K)),
                        http: keep-alive connections, default 64
  --orders=N            start at most N merchant orders (default 0: no limit)
  --duplicates=K        storm: identical concurrent requests per order (default 1000)
  --window-ms=MS        the engine's payment.in-flight-window (core: sets it,
                        default 200; http: must match the daemon, default 10000)
  --max-attempts=N      the engine's payment.max-attempts (default 3)
  --plot=FILE.svg       write latency percentiles and throughput over time
  --seed=N              the mixed scenario's random stories (default 1)
  --order-prefix=P      merchant_order_no = P + the order's index from 0 (default
                        bench-<random hex>-: runs against one daemon never collide)

core options
  --data-dir=DIR        WAL and snapshot here (default: a temp dir, removed after)
  --fsync=on|off        fdatasync each group commit (default on)
  --in-memory           no WAL at all (the engine without a data dir)
  --keep-data           do not remove the temp dir
  --shards=N            shard actors (default 64)
  --caf-threads=N       CAF scheduler threads (default: one per core)

http options
  --threads=N           client I/O threads (default 1)
  --api-key=KEY         merchant API key (default sk_test_demo)
  --channel=NAME        http: the channel to pay through (default sandbox; "sim"
                        measures the network channel, unique scenario)
)";

// Concatenation by appending: GCC 12 warns falsely (-Wrestrict) on
// `"literal" + std::string` chains at -O2.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

struct Args {
  std::string mode;
  std::map<std::string, std::string> values;
  std::string error;

  bool has(const std::string& key) const { return values.count(key) != 0; }
  std::string str(const std::string& key, const std::string& fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  // Integers and decimals; a malformed value is reported once in `error`.
  double number(const std::string& key, double fallback) {
    auto it = values.find(key);
    if (it == values.end()) return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || v < 0) {
      if (error.empty()) error = cat("--", key, " needs a non-negative number");
      return fallback;
    }
    return v;
  }
  uint64_t count(const std::string& key, uint64_t fallback) {
    return static_cast<uint64_t>(number(key, static_cast<double>(fallback)));
  }
};

const char* const kKnownOptions[] = {
    "target",       "scenario",    "seconds", "connections", "orders",  "duplicates",   "window-ms",
    "max-attempts", "plot",        "seed",    "data-dir",    "fsync",   "in-memory",    "keep-data",
    "shards",       "caf-threads", "threads", "api-key",     "channel", "order-prefix", "help"};

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      std::string key = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
      bool known = false;
      for (const char* k : kKnownOptions) known = known || key == k;
      if (!known && args.error.empty()) args.error = cat("unknown option --", key);
      args.values[key] = value;
    } else if (args.mode.empty()) {
      args.mode = a;
    } else if (args.error.empty()) {
      args.error = cat("unexpected argument '", a, "'");
    }
  }
  return args;
}

std::string group_digits(double v) {
  const std::string digits = std::to_string(static_cast<uint64_t>(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

int run(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "recon") return run_recon(argc, argv);
  Args args = parse_args(argc, argv);
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.mode != "core" && args.mode != "http" && args.error.empty()) {
    args.error = "the mode must be core or http";
  }
  ScenarioOptions so;
  if (!parse_scenario(args.str("scenario", "unique"), &so.kind) && args.error.empty()) {
    args.error = "unknown --scenario (unique, storm, mixed, retry, paid)";
  }
  const bool core_mode = args.mode == "core";
  const double seconds = args.number("seconds", 10);
  so.duplicates = static_cast<uint32_t>(std::max<uint64_t>(1, args.count("duplicates", 1000)));
  so.max_orders = args.count("orders", 0);
  so.window_ms = static_cast<int64_t>(args.count("window-ms", core_mode ? 200 : 10'000));
  so.max_attempts = static_cast<int32_t>(std::max<uint64_t>(1, args.count("max-attempts", 3)));
  so.seed = args.count("seed", 1);
  so.order_prefix = args.has("order-prefix") ? args.str("order-prefix", "") : random_order_prefix();
  size_t default_connections = core_mode ? 256 : 64;
  if (core_mode && so.kind == ScenarioKind::kStorm) {
    default_connections = std::max<size_t>(default_connections, so.duplicates);
  }
  const size_t connections =
      std::max<size_t>(1, static_cast<size_t>(args.count("connections", default_connections)));

  std::unique_ptr<Driver> driver;
  if (core_mode) {
    CoreDriverOptions o;
    o.connections = connections;
    o.data_dir = args.str("data-dir", "");
    const std::string fsync = args.str("fsync", "on");
    if (fsync != "on" && fsync != "off" && args.error.empty()) args.error = "--fsync is on or off";
    o.fsync = fsync == "on";
    o.durable = !args.has("in-memory");
    o.keep_data = args.has("keep-data");
    o.shards = std::max<size_t>(1, static_cast<size_t>(args.count("shards", 64)));
    o.caf_threads = static_cast<size_t>(args.count("caf-threads", 0));
    o.window_ms = so.window_ms;
    o.max_attempts = so.max_attempts;
    driver = std::make_unique<CoreDriver>(std::move(o));
  } else {
    HttpDriverOptions o;
    o.target = args.str("target", "");
    o.connections = connections;
    o.threads = static_cast<int>(std::max<uint64_t>(1, args.count("threads", 1)));
    o.api_key = args.str("api-key", o.api_key);
    o.channel = args.str("channel", o.channel);
    if (o.target.empty() && args.error.empty()) args.error = "http mode needs --target=URL";
    driver = std::make_unique<HttpDriver>(std::move(o));
  }
  if (!args.error.empty()) {
    std::fprintf(stderr, "oncepay-bench: %s\n%s", args.error.c_str(), kUsage);
    return 2;
  }

  std::string error;
  if (!driver->prepare(&error)) {
    std::fprintf(stderr, "oncepay-bench: %s\n", error.c_str());
    return 1;
  }

  Scenario scenario(so);
  Recorder recorder;
  const auto start = Clock::now();
  const auto duration =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto deadline = start + duration;
  const auto plot_interval = std::chrono::milliseconds(
      std::clamp<int64_t>(static_cast<int64_t>(seconds * 1000 / 60) / 50 * 50, 250, 5000));
  // The engine answers every request within its own request timeout (30 s);
  // a run still waiting after that has lost requests.
  const auto drain_limit = deadline + std::chrono::seconds(core_mode ? 40 : 15);
  Timeline timeline(start, plot_interval);
  const bool progress = ::isatty(STDERR_FILENO) != 0;
  const std::string label = cat(args.mode, " ", to_string(so.kind));

  driver->launch(&scenario, &recorder, deadline);
  auto last_progress = start;
  uint64_t last_completed = 0;
  bool drained = true;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = Clock::now();
    driver->wake();
    timeline.tick(recorder, now);
    // With --orders=N the run also ends once every order's story is done.
    if ((now >= deadline || so.max_orders != 0) && driver->active() == 0) break;
    if (now >= drain_limit) {
      drained = false;
      break;
    }
    if (progress && now - last_progress >= std::chrono::milliseconds(500)) {
      const uint64_t completed = recorder.completed();
      const double rate = static_cast<double>(completed - last_completed) /
                          std::chrono::duration<double>(now - last_progress).count();
      const auto c = scenario.counters();
      uint64_t errors = 0;
      for (const auto& [kind, n] : c.errors) errors += n;
      std::fprintf(stderr, "\r[%s] %5.1fs/%.0fs  %s req/s  %s done  errors %s   ", label.c_str(),
                   std::chrono::duration<double>(now - start).count(), seconds,
                   group_digits(rate).c_str(), group_digits(static_cast<double>(completed)).c_str(),
                   group_digits(static_cast<double>(errors)).c_str());
      last_progress = now;
      last_completed = completed;
    }
  }
  const auto end = Clock::now();
  timeline.tick(recorder, end, /*final=*/true);
  if (progress) std::fputc('\n', stderr);
  if (!drained) {
    scenario.count_error("not_answered_in_time");
    std::fprintf(stderr, "oncepay-bench: %zu request loops still waiting; giving up on them\n",
                 driver->active());
  }

  const double elapsed_s = std::chrono::duration<double>(end - start).count();
  const auto& total = timeline.total();
  const auto counters = scenario.counters();
  JsonLine json;
  json.add("mode", args.mode);
  json.add("scenario", std::string(to_string(so.kind)));
  json.add("seconds", elapsed_s);
  json.add("requests", total.total());
  json.add("throughput_rps", static_cast<double>(total.total()) / elapsed_s);
  json.add("p50_ms", total.quantile_ms(0.5));
  json.add("p90_ms", total.quantile_ms(0.9));
  json.add("p99_ms", total.quantile_ms(0.99));
  json.add("p999_ms", total.quantile_ms(0.999));
  json.add("max_ms", total.quantile_ms(1.0));
  json.add("errors", counters.errors);
  json.add("orders_started", counters.orders_started);
  json.add("orders_finished", counters.orders_finished);
  json.add("channel_prepays", counters.attempts_created);
  if (so.kind == ScenarioKind::kStorm) {
    json.add("duplicates", static_cast<uint64_t>(so.duplicates));
    json.add("storm_orders", counters.storm_orders);
    json.add("storm_orders_one_prepay", counters.storm_orders_one_prepay);
  }
  if (so.kind == ScenarioKind::kRetry || so.kind == ScenarioKind::kMixed) {
    json.add("window_ms", so.window_ms);
  }
  driver->finish(&json);
  driver.reset();

  if (args.has("plot")) {
    const std::string path = args.str("plot", "");
    std::string title = "oncepay-bench ";
    title += label;
    if (path.empty() || !write_svg(path, title, timeline.samples())) {
      std::fprintf(stderr, "oncepay-bench: cannot write the plot to '%s'\n", path.c_str());
    }
  }
  std::printf("%s\n", json.str().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
