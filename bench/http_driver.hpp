// HttpDriver: drives a running oncepayd over HTTP/1.1 keep-alive
// connections (Boost.Beast, plain TCP, loopback in practice). Each of
// `connections` connections sends one request at a time (no pipelining, as
// wrk does) and takes its next request from the Scenario as soon as the
// answer is read; `threads` I/O threads share the connections.
//
// Every request is bounded by request_timeout; a failed connection is
// counted as an error of its kind (connect, write, read, timeout), closed,
// and reopened for the next request.
//
// Before the run it waits (at most ready_timeout) for GET /readyz to answer
// 200. It reads /metrics before and after the run; when the daemon exports
// oncepay_wal_fsyncs_total and oncepay_wal_records_total the summary
// carries their growth over the run (fsyncs, mean_batch_records), else null.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/driver.hpp"

namespace oncepay::bench {

struct HttpDriverOptions {
  std::string target;  // http://HOST:PORT
  size_t connections = 64;
  int threads = 1;
  std::string api_key = "sk_test_demo";
  int64_t amount_minor = 1999;
  // The channel pays go through (the daemon's sandbox, or "sim" to measure a
  // network channel; payer confirmations are only sent for the sandbox).
  std::string channel = "sandbox";
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds ready_timeout{30000};
};

// Parses http://HOST[:PORT][/]; false when it is not such a URL.
bool parse_target(const std::string& url, std::string* host, std::string* port);

class HttpDriver final : public Driver {
 public:
  explicit HttpDriver(HttpDriverOptions options);
  ~HttpDriver() override;

  bool prepare(std::string* error) override;
  void launch(Scenario* scenario, Recorder* recorder, Clock::time_point deadline) override;
  void wake() override {}
  size_t active() const override;
  void finish(JsonLine* summary) override;

  struct Impl;  // in http_driver.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncepay::bench
