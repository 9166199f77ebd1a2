#include "net/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace oncepay::net {

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("oncepay_http_requests_total")
                    .Help("HTTP requests by route and status")
                    .Register(*registry_)),
      pay_outcomes_(prometheus::BuildCounter()
                        .Name("oncepay_pay_outcomes_total")
                        .Help("Pay requests by outcome code")
                        .Register(*registry_)),
      live_orders_(prometheus::BuildGauge()
                       .Name("oncepay_live_order_actors")
                       .Help("Order actors in memory")
                       .Register(*registry_)
                       .Add({})),
      breaker_state_(prometheus::BuildGauge()
                         .Name("oncepay_channel_breaker_state")
                         .Help("Circuit breaker of a network channel: 1 for its current state")
                         .Register(*registry_)),
      breaker_opened_(prometheus::BuildGauge()
                          .Name("oncepay_channel_breaker_opened")
                          .Help("Times a network channel's circuit breaker opened")
                          .Register(*registry_)) {}

void Metrics::set_breaker(const std::string& channel, const std::string& state,
                          uint64_t opened_total) {
  for (const char* s : {"closed", "open", "half-open"}) {
    breaker_state_.Add({{"channel", channel}, {"state", s}}).Set(state == s ? 1 : 0);
  }
  breaker_opened_.Add({{"channel", channel}}).Set(static_cast<double>(opened_total));
}

void Metrics::request(const std::string& route, int status) {
  requests_.Add({{"route", route}, {"status", std::to_string(status)}}).Increment();
}

void Metrics::pay_outcome(std::string_view code) {
  pay_outcomes_.Add({{"code", std::string(code)}}).Increment();
}

void Metrics::set_live_orders(double n) { live_orders_.Set(n); }

std::string Metrics::serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace oncepay::net
