// Prometheus metrics of the gateway and the engine (prometheus-cpp core;
// served as text by our own gateway at GET /metrics).
// Thread-safe: counters are atomic; serialize() may run concurrently.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace oncepay::actors {
class Engine;
}

namespace oncepay::gateway {

class Metrics {
 public:
  Metrics();
  void request(const std::string& route, int status);
  void pay_outcome(std::string_view code);
  // How long a pay request took, from the gateway's handler to the engine's
  // answer (oncepay_pay_seconds; the console's latency percentiles).
  void pay_latency(double seconds);
  void set_live_orders(double n);
  // A network channel's breaker: 1 for the state it is in, 0 for the others.
  void set_breaker(const std::string& channel, const std::string& state, uint64_t opened_total);
  // The text exposition of the gateway's metrics and, when engine is not
  // null, the engine's: order events and attempts by status, refunds, auto
  // refunds, ladder timers, channel calls, webhook deliveries and the WAL's
  // batch-size and fsync-latency histograms (docs/API.md "Observability").
  std::string serialize(const actors::Engine* engine = nullptr) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& pay_outcomes_;
  prometheus::Histogram& pay_seconds_;
  prometheus::Gauge& live_orders_;
  prometheus::Family<prometheus::Gauge>& breaker_state_;
  prometheus::Family<prometheus::Gauge>& breaker_opened_;
};

}  // namespace oncepay::gateway
