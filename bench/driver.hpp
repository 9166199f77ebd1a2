// Driver: how the load generator reaches the engine. The core driver calls
// the in-process Engine facade; the http driver speaks HTTP/1.1 over
// keep-alive connections to a running daemon. Both pull their requests from
// a Scenario and report every answer to it and to the Recorder.
//
// Life cycle, all on the bench's main thread: prepare() (set up, wait until
// the engine is ready), launch() (start `slots` concurrent request loops that
// run until `deadline`), then wake() and active() periodically, then
// finish() (tear down, add the driver's own figures to the summary).
#pragma once

#include <cstddef>
#include <string>

#include "bench/run_report.hpp"
#include "bench/scenario.hpp"

namespace oncepay::bench {

class Driver {
 public:
  virtual ~Driver() = default;
  // False, with *error, when the target cannot be used.
  virtual bool prepare(std::string* error) = 0;
  virtual void launch(Scenario* scenario, Recorder* recorder, Clock::time_point deadline) = 0;
  // Resumes loops that were waiting for work (Scenario::Next::kWait).
  virtual void wake() = 0;
  // Requests still waiting for an answer, or loops not yet finished.
  virtual size_t active() const = 0;
  virtual void finish(JsonLine* summary) = 0;
};

}  // namespace oncepay::bench
