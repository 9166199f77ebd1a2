// What one bench run measured, and its two outputs: the summary JSON line
// (the last line on stdout, which scripts and CI read) and an optional SVG
// plot of latency percentiles and throughput over time.
//
// Threads: Recorder::record() may be called from any thread; Timeline and
// the writers are used by the run's monitor thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/latency_histogram.hpp"
#include "bench/scenario.hpp"

namespace oncepay::bench {

// Latencies and completions as the drivers report them.
class Recorder {
 public:
  void record(Clock::duration latency) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
    histogram_.record(ns < 0 ? 0 : static_cast<uint64_t>(ns));
    completed_.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  HistogramSnapshot take() { return histogram_.take(); }

 private:
  LatencyHistogram histogram_;
  std::atomic<uint64_t> completed_{0};
};

// One point of the plot: what completed during (t_s - interval_s, t_s].
struct Sample {
  double t_s = 0;
  double rps = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0;
};

// Collects the run's samples and the whole run's histogram from periodic
// Recorder::take() calls.
class Timeline {
 public:
  Timeline(Clock::time_point start, std::chrono::milliseconds interval)
      : start_(start), interval_(interval), next_(start + interval) {}

  // Takes what the recorder holds; closes a sample once its interval is over
  // (or when `final`).
  void tick(Recorder& recorder, Clock::time_point now, bool final = false);

  const HistogramSnapshot& total() const { return total_; }
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  void close_sample(Clock::time_point end);

  Clock::time_point start_;
  std::chrono::milliseconds interval_;
  Clock::time_point next_;
  Clock::time_point open_since_;
  HistogramSnapshot total_;
  HistogramSnapshot current_;
  std::vector<Sample> samples_;
};

// A flat JSON object built in insertion order (numbers, strings, and
// objects of numbers), printed on one line.
class JsonLine {
 public:
  void add(const std::string& key, const std::string& value);
  void add(const std::string& key, const char* value) { add(key, std::string(value)); }
  void add(const std::string& key, double value);
  void add(const std::string& key, uint64_t value);
  void add(const std::string& key, int64_t value);
  void add_null(const std::string& key);
  void add_bool(const std::string& key, bool value);
  void add(const std::string& key, const std::map<std::string, uint64_t>& object);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& k);
  std::string body_;
};

std::string json_escape(const std::string& s);

// Writes an SVG with two panels: latency percentiles (log scale, ms) and
// throughput (requests/s) against elapsed seconds. False on an I/O error.
bool write_svg(const std::string& path, const std::string& title,
               const std::vector<Sample>& samples);

}  // namespace oncepay::bench
