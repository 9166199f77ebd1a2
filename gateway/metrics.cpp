#include "gateway/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <cctype>
#include <limits>
#include <utility>
#include <vector>

#include "actors/engine.hpp"
#include "core/order_decide.hpp"
#include "core/recon_decide.hpp"
#include "http/http_types.hpp"

namespace oncepay::gateway {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Kind = v1::Event::KindCase;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_counter(MetricFamily& f, std::vector<ClientMetric::Label> labels, uint64_t value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = static_cast<double>(value);
  f.metric.push_back(std::move(m));
}

void add_histogram(std::vector<MetricFamily>& out, std::string name, std::string help,
                   const core::AtomicHistogram& h) {
  auto f = family(std::move(name), std::move(help), MetricType::Histogram);
  const auto snap = h.snapshot();
  ClientMetric m;
  m.histogram.sample_count = snap.count();
  m.histogram.sample_sum = snap.sum;
  for (size_t i = 0; i < snap.cumulative.size(); ++i) {
    ClientMetric::Bucket b;
    b.cumulative_count = snap.cumulative[i];
    b.upper_bound =
        i < snap.bounds.size() ? snap.bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back(b);
  }
  f.metric.push_back(std::move(m));
  out.push_back(std::move(f));
}

std::string event_name(Kind kind) {
  return v1::Event::descriptor()->FindFieldByNumber(static_cast<int>(kind))->name();
}

std::string ladder_name(core::Ladder ladder) {
  return http::ascii_lower(v1::TimerArmed::Ladder_Name(ladder));
}

std::vector<MetricFamily> engine_families(const actors::Engine& engine) {
  const auto& o = engine.observer();
  std::vector<MetricFamily> out;

  auto events =
      family("oncepay_order_events_total",
             "Order events made durable, by kind (docs/DURABILITY.md)", MetricType::Counter);
  const auto* oneof = v1::Event::descriptor()->FindOneofByName("kind");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto kind = static_cast<Kind>(oneof->field(i)->number());
    add_counter(events, {{"event", event_name(kind)}}, o.events(kind));
  }
  out.push_back(std::move(events));

  auto attempts = family("oncepay_attempts_total", "Payment attempts entering each status",
                         MetricType::Counter);
  const std::pair<const char*, Kind> statuses[] = {{"created", Kind::kAttemptCreated},
                                                   {"prepaid", Kind::kPrepayAccepted},
                                                   {"unknown", Kind::kPrepayUnknown},
                                                   {"failed", Kind::kAttemptFailed},
                                                   {"succeeded", Kind::kAttemptSucceeded},
                                                   {"closed", Kind::kAttemptClosed},
                                                   {"expired", Kind::kAttemptExpired},
                                                   {"superseded", Kind::kAttemptSuperseded},
                                                   {"auto_refunding", Kind::kAutoRefundStarted},
                                                   {"auto_refunded", Kind::kAutoRefundSucceeded}};
  for (const auto& [status, kind] : statuses) {
    add_counter(attempts, {{"status", status}}, o.events(kind));
  }
  out.push_back(std::move(attempts));

  auto auto_refunds =
      family("oncepay_auto_refunds_total", "Automatic refunds of duplicate successes, by outcome",
             MetricType::Counter);
  add_counter(auto_refunds, {{"outcome", "started"}}, o.events(Kind::kAutoRefundStarted));
  add_counter(auto_refunds, {{"outcome", "succeeded"}}, o.events(Kind::kAutoRefundSucceeded));
  out.push_back(std::move(auto_refunds));

  auto mismatches = family("oncepay_channel_mismatches_total",
                           "Channel results (success or refund) whose amount or currency differed "
                           "from the attempt's or refund's: never kept as reported, put on review",
                           MetricType::Counter);
  add_counter(mismatches, {}, o.events(Kind::kChannelMismatch));
  out.push_back(std::move(mismatches));

  auto review =
      family("oncepay_review_items", "Open items of the review list, by reason", MetricType::Gauge);
  const auto open_items = engine.reviews().counts();
  // The fixed reasons always (0 when none), then every recon_<class>.
  std::vector<std::string> reasons(core::kReviewReasons.begin(), core::kReviewReasons.end());
  for (size_t i = 0; i < core::kReconClassCount; ++i) {
    const auto cls = static_cast<core::ReconClass>(i);
    if (core::recon_class_needs_review(cls)) {
      reasons.push_back(std::string(core::kReviewReconPrefix) +
                        std::string(core::recon_class_name(cls)));
    }
  }
  for (const std::string& reason : reasons) {
    auto it = open_items.find(reason);
    ClientMetric m;
    m.label = {{"reason", reason}};
    m.gauge.value = it == open_items.end() ? 0.0 : static_cast<double>(it->second);
    review.metric.push_back(std::move(m));
  }
  out.push_back(std::move(review));

  auto refunds =
      family("oncepay_refunds_total", "Merchant refunds, by outcome", MetricType::Counter);
  add_counter(refunds, {{"outcome", "requested"}}, o.events(Kind::kRefundRequested));
  add_counter(refunds, {{"outcome", "succeeded"}}, o.events(Kind::kRefundSucceeded));
  add_counter(refunds, {{"outcome", "failed"}}, o.events(Kind::kRefundFailed));
  out.push_back(std::move(refunds));

  auto timers = family("oncepay_ladder_timers_total",
                       "Ladder timers fired (query, fast expiry, refund and webhook retries)",
                       MetricType::Counter);
  for (auto ladder :
       {v1::TimerArmed::QUERY, v1::TimerArmed::FAST_EXPIRY, v1::TimerArmed::AUTO_REFUND,
        v1::TimerArmed::REFUND, v1::TimerArmed::WEBHOOK, v1::TimerArmed::ORDER_EXPIRY}) {
    add_counter(timers, {{"ladder", ladder_name(ladder)}}, o.timers(ladder));
  }
  out.push_back(std::move(timers));

  auto calls = family("oncepay_channel_calls_total",
                      "Calls to payment channels by operation and outcome", MetricType::Counter);
  for (const auto& c : o.channel_calls()) {
    add_counter(calls,
                {{"channel", c.channel},
                 {"op", http::ascii_lower(core::to_string(c.op))},
                 {"outcome", http::ascii_lower(core::to_string(c.outcome))}},
                c.count);
  }
  out.push_back(std::move(calls));

  auto webhooks = family("oncepay_webhook_deliveries_total",
                         "Merchant webhook delivery attempts, by outcome", MetricType::Counter);
  add_counter(webhooks, {{"outcome", "delivered"}}, o.webhooks_delivered());
  add_counter(webhooks, {{"outcome", "failed"}}, o.webhooks_failed());
  out.push_back(std::move(webhooks));

  if (auto wal = engine.wal()) {
    add_histogram(out, "oncepay_wal_batch_records",
                  "Records per WAL group commit (one write + one fdatasync)",
                  wal->histograms().batch_records);
    add_histogram(out, "oncepay_wal_fsync_seconds", "Duration of each WAL batch fdatasync",
                  wal->histograms().fsync_seconds);
  }
  return out;
}

}  // namespace

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
      pay_seconds_(prometheus::BuildHistogram()
                       .Name("oncepay_pay_seconds")
                       .Help("Pay requests, from the gateway's handler to the engine's answer")
                       .Register(*registry_)
                       .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.002, 0.005, 0.01,
                                                                        0.02, 0.05, 0.1, 0.2, 0.5,
                                                                        1, 2, 5, 10, 30})),
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

void Metrics::pay_latency(double seconds) { pay_seconds_.Observe(seconds); }

void Metrics::set_live_orders(double n) { live_orders_.Set(n); }

std::string Metrics::serialize(const actors::Engine* engine) const {
  auto families = registry_->Collect();
  if (engine != nullptr) {
    for (auto& f : engine_families(*engine)) families.push_back(std::move(f));
  }
  prometheus::TextSerializer serializer;
  return serializer.Serialize(families);
}

}  // namespace oncepay::gateway
