// CoreDriver: drives the in-process actor engine (actors::Engine) without
// HTTP: `connections` requests are kept in flight, each slot issuing its next
// request from the callback of the previous one. With a data dir (the
// default: a fresh temp dir) the engine is durable, so every state change
// waits for the real WAL group commit with fdatasync, exactly as in the
// daemon. The sandbox channel's notifications are routed straight back into
// Engine::notify (the daemon sends them through its signed HTTP handler).
//
// Summary figures it adds: fsyncs (counted through the WAL's fdatasync
// hook), wal_records (counted by reopening the WAL after the engine
// stopped), mean_batch_records, live_orders, rss_bytes and
// rss_per_order_bytes (resident memory growth over the run per live order).
#pragma once

#include <atomic>
#include <caf/all.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/engine.hpp"
#include "bench/driver.hpp"
#include "channels/registry.hpp"
#include "channels/sandbox/sandbox_actor.hpp"

namespace oncepay::bench {

struct CoreDriverOptions {
  size_t connections = 256;  // requests in flight
  std::string data_dir;      // empty: a fresh directory under /tmp, removed after
  bool durable = true;       // false: the in-memory engine (no WAL at all)
  bool fsync = true;
  bool keep_data = false;
  size_t shards = 64;
  size_t caf_threads = 0;  // 0: CAF's default (one per core)
  int64_t window_ms = 10'000;
  int32_t max_attempts = 3;
  int64_t amount_minor = 1999;
};

class CoreDriver final : public Driver {
 public:
  explicit CoreDriver(CoreDriverOptions options);
  ~CoreDriver() override;

  bool prepare(std::string* error) override;
  void launch(Scenario* scenario, Recorder* recorder, Clock::time_point deadline) override;
  void wake() override;
  size_t active() const override { return active_.load(std::memory_order_acquire); }
  void finish(JsonLine* summary) override;

 private:
  struct Slot {
    Op op;
    Clock::time_point started;
  };

  void drive(Slot* slot);
  void issue(Slot* slot);
  void done(Slot* slot, const Outcome& outcome);

  CoreDriverOptions options_;
  std::string data_dir_;
  bool remove_data_dir_ = false;
  std::unique_ptr<caf::actor_system_config> config_;
  std::unique_ptr<caf::actor_system> system_;
  // The sandbox channel the engine pays through (owned by channels_, which
  // outlives the engine).
  std::unique_ptr<channels::ChannelRegistry> channels_;
  channels::sandbox::SandboxChannel* sandbox_ = nullptr;
  std::unique_ptr<actors::Engine> engine_;
  std::shared_ptr<std::atomic<bool>> engine_alive_;
  std::shared_ptr<std::atomic<uint64_t>> fsyncs_;
  Scenario* scenario_ = nullptr;
  Recorder* recorder_ = nullptr;
  Clock::time_point deadline_;
  std::vector<Slot> slots_;
  std::atomic<size_t> active_{0};
  std::mutex parked_mutex_;
  std::vector<Slot*> parked_;
  uint64_t rss_before_bytes_ = 0;
};

// Resident set size of this process, from /proc/self/statm (0 if unknown).
uint64_t resident_bytes();

}  // namespace oncepay::bench
