// Scenario: what the load generator asks for, and whether the answers are the
// ones the API contract (docs/API.md) promises. Both drivers (core: the
// in-process Engine; http: a running daemon) pull operations from one
// Scenario and hand back each answer as an Outcome; the Scenario never does
// I/O.
//
// Every merchant order the bench creates follows a short story, a list of
// steps:
//   unique  pay                                   (201)
//   paid    pay; the payer confirms in the sandbox (201; 200: the channel
//           then calls back and the order becomes PAID)
//   storm   pay x K, all K issued at once          (one 201, K-1 x 200, same payment_no)
//   retry   pay; then, each after the in-flight window: pay, pay, pay
//           (201; 201 attempt 2; 201 attempt 3; 429 attempts_exhausted)
//   mixed   pay; maybe a duplicate pay (200, same payment_no); maybe a query;
//           maybe the payer confirms in the sandbox (which makes the channel
//           call back); maybe a query; maybe a retry after the window
//           (201 attempt 2, or 409 order_already_paid when confirmed)
// Stories of many orders run interleaved: a free driver slot takes the next
// due step of an order in progress, else starts a new order.
//
// Threads: every public method may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace oncepay::bench {

using Clock = std::chrono::steady_clock;

enum class ScenarioKind : uint8_t { kUnique, kStorm, kMixed, kRetry, kPaid };
bool parse_scenario(std::string_view name, ScenarioKind* out);
std::string_view to_string(ScenarioKind kind);

enum class OpKind : uint8_t { kPay, kQuery, kConfirm };
inline constexpr size_t kOpKinds = 3;
std::string_view to_string(OpKind kind);

struct ScenarioOptions {
  ScenarioKind kind = ScenarioKind::kUnique;
  uint32_t duplicates = 1000;  // storm: K
  uint64_t max_orders = 0;     // orders to start; 0: no limit (time bounds the run)
  int64_t window_ms = 10'000;  // the engine's payment.in-flight-window
  int32_t max_attempts = 3;    // the engine's payment.max-attempts
  uint64_t seed = 1;
  std::string order_prefix;  // makes this run's merchant_order_no unique (prefix + index)
};

// One request to make.
struct Op {
  uint64_t order = 0;  // the scenario's index of the order
  OpKind kind = OpKind::kPay;
  std::string merchant_order_no;
  std::string payment_no;  // kConfirm: the attempt the payer pays
};

// What came back, in the API's terms for both drivers.
struct Outcome {
  bool transport_ok = true;
  std::string transport_error;  // short kind, e.g. "timeout", "connect"
  int http_status = 0;
  std::string code;        // "ok", "created", "order_already_paid", ...
  std::string payment_no;  // pay: the attempt the answer shows
};

struct ScenarioCounters {
  uint64_t orders_started = 0;
  uint64_t orders_finished = 0;
  uint64_t attempts_created = 0;  // 201s to pay: each is one accepted channel prepay
  uint64_t storm_orders = 0;      // storm orders whose K answers all came back
  uint64_t storm_orders_one_prepay = 0;
  std::map<std::string, uint64_t> errors;  // by kind
};

class Scenario {
 public:
  explicit Scenario(ScenarioOptions options);

  enum class Next : uint8_t { kOp, kWait, kDone };
  // kOp: *op is the next request. kWait: nothing is due yet (an order waits
  // for its in-flight window to pass); ask again shortly. kDone: no more work.
  Next next(Op* op, Clock::time_point now);
  // The answer to an op handed out by next().
  void complete(const Op& op, const Outcome& outcome, Clock::time_point now);
  // Counts an error that belongs to no op (e.g. a dropped connection).
  void count_error(const std::string& kind);

  ScenarioCounters counters() const;
  const ScenarioOptions& options() const { return options_; }

 private:
  struct Step {
    OpKind kind = OpKind::kPay;
    uint32_t copies = 1;        // issued concurrently
    bool after_window = false;  // not before the in-flight window has passed
    bool duplicate = false;     // pay within the window: must return the live attempt
  };
  struct OrderRun {
    std::string merchant_order_no;
    std::vector<Step> story;
    size_t step = 0;
    uint32_t issued = 0;     // copies of the current step handed out
    uint32_t completed = 0;  // copies of the current step answered
    uint32_t created_in_step = 0;
    std::vector<std::string> payment_nos;  // distinct, in order seen
    std::string live_payment_no;
    int32_t attempts = 0;
    bool confirmed = false;  // the payer paid in the sandbox
  };
  struct Delayed {
    Clock::time_point due;
    uint64_t order = 0;
  };

  std::vector<Step> make_story();
  void start_order();
  void check_pay(OrderRun& run, const Step& step, const Outcome& outcome);
  void error(std::string kind);
  void finish_step(uint64_t index, OrderRun& run, Clock::time_point now);

  const ScenarioOptions options_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  uint64_t next_order_ = 0;
  std::unordered_map<uint64_t, OrderRun> live_;
  std::deque<uint64_t> ready_;   // orders with a step to issue now
  std::deque<Delayed> delayed_;  // due times are monotonic: one window each
  ScenarioCounters counters_;
};

// "bench-" plus a random hex run id: merchant_order_no values of different
// runs against one daemon never collide.
std::string random_order_prefix();

}  // namespace oncepay::bench
