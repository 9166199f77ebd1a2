// What order actors report about themselves: counters for /metrics (events
// recorded by kind, ladder timers fired, channel calls by op and outcome,
// webhook delivery attempts) and, when a StateLog is attached, one
// structured log line per order state change.
//
// Thread-safety: every order actor of an engine shares one observer; the
// report methods and the readers may run on any thread at once (relaxed
// atomics, no lock on the hot path; the StateLog has its own). Channels are
// registered with add_channel() before any actor runs and never after.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/channel_call.hpp"
#include "core/order_state.hpp"

namespace oncepay::actors {

// A line writer for logs that must not slow the actors down: write() only
// appends to a buffer under a mutex; a thread of its own writes the buffer
// to `fd` every flush_interval (or sooner once it holds 64 KiB), and the
// destructor writes what is left. Lines are whole: one write() per flush,
// never a line split across two. Losing the last interval's lines in a
// crash is accepted (the WAL, not the log, is the record).
class StateLog {
 public:
  explicit StateLog(int fd = 2,
                    std::chrono::milliseconds flush_interval = std::chrono::milliseconds(100));
  ~StateLog();
  StateLog(const StateLog&) = delete;
  StateLog& operator=(const StateLog&) = delete;

  // Appends `line` and a newline.
  void write(std::string_view line);
  // Writes everything buffered now (on the calling thread).
  void flush();

 private:
  void run();
  void write_out(const std::string& bytes);

  const int fd_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;   // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::mutex write_mu_;  // keeps flushes in order
  std::thread thread_;
};

// The JSON log line for one event (v1::OrderStateChange), or empty when the
// event is not a state change (a ladder timer being armed).
std::string state_change_line(const core::OrderState& order, const v1::Event& event,
                              int64_t now_ms);

class OrderObserver {
 public:
  static constexpr size_t kEventKinds = 40;  // Event oneof field numbers are below this
  static constexpr size_t kLadders = 8;
  static constexpr size_t kOps = 5;       // core::ChannelOp
  static constexpr size_t kOutcomes = 6;  // core::ChannelOutcome

  // log may be null: counters only.
  explicit OrderObserver(std::shared_ptr<StateLog> log = nullptr) : log_(std::move(log)) {}

  // Before any actor runs: a channel whose calls are counted.
  void add_channel(std::string name);

  // An order's step is durable (or, in memory, applied): `events` are in
  // `order`, which shows the state after the step.
  void recorded(const core::OrderState& order, const std::vector<v1::Event>& events,
                int64_t now_ms);
  void timer_fired(core::Ladder ladder);
  void channel_call(std::string_view channel, core::ChannelOp op, core::ChannelOutcome outcome);
  void webhook_attempt(bool delivered);

  // Readers (for /metrics).
  uint64_t events(v1::Event::KindCase kind) const;
  uint64_t timers(core::Ladder ladder) const;
  struct ChannelCount {
    std::string channel;
    core::ChannelOp op;
    core::ChannelOutcome outcome;
    uint64_t count;
  };
  std::vector<ChannelCount> channel_calls() const;  // nonzero ones
  uint64_t webhooks_delivered() const { return webhooks_ok_.load(std::memory_order_relaxed); }
  uint64_t webhooks_failed() const { return webhooks_failed_.load(std::memory_order_relaxed); }

 private:
  struct Channel {
    std::string name;
    std::array<std::atomic<uint64_t>, kOps * kOutcomes> calls{};
  };

  std::shared_ptr<StateLog> log_;
  std::array<std::atomic<uint64_t>, kEventKinds> events_{};
  std::array<std::atomic<uint64_t>, kLadders> timers_{};
  std::atomic<uint64_t> webhooks_ok_{0};
  std::atomic<uint64_t> webhooks_failed_{0};
  std::vector<std::unique_ptr<Channel>> channels_;
};

}  // namespace oncepay::actors
