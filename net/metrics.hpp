// Prometheus metrics of the gateway and the engine (prometheus-cpp core;
// served as text by our own gateway at GET /metrics).
// Thread-safe: counters are atomic; serialize() may run concurrently.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace oncepay::net {

class Metrics {
 public:
  Metrics();
  void request(const std::string& route, int status);
  void pay_outcome(std::string_view code);
  void set_live_orders(double n);
  std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& pay_outcomes_;
  prometheus::Gauge& live_orders_;
};

}  // namespace oncepay::net
