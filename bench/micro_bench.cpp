// Microbenchmarks (Google Benchmark) of the pieces on a pay request's path:
// the pure pay decision, the event encoding the WAL carries, the WAL's group
// commit, and the JSON request decode. Run: oncepay-micro-bench
// [--benchmark_filter=REGEX]. Figures: docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "codec/json.hpp"
#include "core/order_decide.hpp"
#include "oncepay.pb.h"
#include "storage/wal.hpp"

namespace {

using namespace oncepay;

core::PayCommand pay_command(uint64_t n) {
  core::PayCommand command;
  command.merchant_id = "bench";
  command.merchant_order_no = "order-";
  command.merchant_order_no += std::to_string(n);
  command.amount_minor = 1999;
  command.currency = "CNY";
  command.channel = "sandbox";
  command.subject = "2 coffees";
  return command;
}

core::ChannelReply prepay_accepted() {
  core::ChannelReply reply;
  reply.outcome = core::ChannelOutcome::kOk;
  reply.prepay_id = "wx_prepay_0123456789";
  reply.pay_url = "https://sandbox.example/pay/0123456789";
  return reply;
}

// The events of one first pay request (order opened, attempt created,
// prepay accepted, timers armed) as the order actor persists them.
v1::OrderEvents first_pay_events() {
  core::PaymentConfig config;
  core::Context context;
  context.now_ms = 1'700'000'000'000;
  context.config = &config;
  context.new_payment_no = [] { return std::string("P1700000000000ab12000001"); };
  core::OrderState state;
  auto step = core::decide_pay(state, pay_command(1), context);
  auto done = core::resume(state, step.flow, prepay_accepted(), context);
  v1::OrderEvents events;
  events.set_merchant_id("bench");
  events.set_merchant_order_no("order-1");
  for (auto& e : step.events) *events.add_events() = e;
  for (auto& e : done.events) *events.add_events() = e;
  return events;
}

// decide_pay for a new order, then resume with the channel's accepted
// prepay: everything the core decides for a first pay request.
void BM_DecidePayFirst(benchmark::State& bench) {
  core::PaymentConfig config;
  core::Context context;
  context.now_ms = 1'700'000'000'000;
  context.config = &config;
  uint64_t n = 0;
  context.new_payment_no = [&n] {
    std::string p = "P1700000000000ab12";
    p += std::to_string(n);
    return p;
  };
  const core::ChannelReply reply = prepay_accepted();
  for (auto _ : bench) {
    core::OrderState state;
    auto command = pay_command(++n);
    auto step = core::decide_pay(state, command, context);
    auto done = core::resume(state, step.flow, reply, context);
    benchmark::DoNotOptimize(done.reply);
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_DecidePayFirst);

// A duplicate pay within the in-flight window: no event, no channel call.
void BM_DecidePayDuplicate(benchmark::State& bench) {
  core::PaymentConfig config;
  core::Context context;
  context.now_ms = 1'700'000'000'000;
  context.config = &config;
  context.new_payment_no = [] { return std::string("P1700000000000ab12000001"); };
  core::OrderState state;
  const auto command = pay_command(1);
  auto step = core::decide_pay(state, command, context);
  core::resume(state, step.flow, prepay_accepted(), context);
  for (auto _ : bench) {
    auto again = core::decide_pay(state, command, context);
    benchmark::DoNotOptimize(again.reply);
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_DecidePayDuplicate);

void BM_EventsEncode(benchmark::State& bench) {
  const v1::OrderEvents events = first_pay_events();
  std::string out;
  for (auto _ : bench) {
    events.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  bench.SetBytesProcessed(bench.iterations() * static_cast<int64_t>(out.size()));
  bench.counters["record_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_EventsEncode);

void BM_EventsDecode(benchmark::State& bench) {
  const std::string bytes = first_pay_events().SerializeAsString();
  v1::OrderEvents events;
  for (auto _ : bench) {
    const bool ok = events.ParseFromString(bytes);
    benchmark::DoNotOptimize(ok);
  }
  bench.SetBytesProcessed(bench.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_EventsDecode);

// Appends range(0) records (a first pay's events each) and waits until the
// last is durable. With fsync on, that is about one fdatasync per batch.
void wal_batch(benchmark::State& bench, bool fsync) {
  std::string dir = (std::filesystem::temp_directory_path() / "oncepay-micro-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    bench.SkipWithError("mkdtemp failed");
    return;
  }
  {
    storage::WalOptions options;
    options.dir = dir;
    options.fsync = fsync;
    std::unique_ptr<storage::Wal> wal;
    if (!storage::Wal::open(options, &wal).is_ok()) {
      bench.SkipWithError("Wal::open failed");
      std::filesystem::remove_all(dir);
      return;
    }
    const std::string payload = first_pay_events().SerializeAsString();
    const int64_t batch = bench.range(0);
    std::mutex mutex;
    std::condition_variable cv;
    int64_t pending = 0;
    bool failed = false;
    for (auto _ : bench) {
      {
        std::lock_guard lock(mutex);
        pending = batch;
      }
      for (int64_t i = 0; i < batch; ++i) {
        wal->append(payload, [&](uint64_t, storage::Status status) {
          std::lock_guard lock(mutex);
          failed = failed || !status.is_ok();
          if (--pending == 0) cv.notify_one();
        });
      }
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return pending == 0; });
    }
    if (failed) bench.SkipWithError("an append failed");
    const auto stats = wal->stats();
    bench.SetItemsProcessed(bench.iterations() * batch);
    bench.SetBytesProcessed(static_cast<int64_t>(stats.bytes));
    bench.counters["fsyncs_per_iter"] =
        static_cast<double>(stats.fsyncs) / static_cast<double>(bench.iterations());
    bench.counters["records_per_write"] =
        stats.batches == 0
            ? 0
            : static_cast<double>(stats.records) / static_cast<double>(stats.batches);
    wal->close();
  }
  std::filesystem::remove_all(dir);
}

void BM_WalBatchAppendNoFsync(benchmark::State& bench) { wal_batch(bench, false); }
BENCHMARK(BM_WalBatchAppendNoFsync)->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();

void BM_WalBatchAppendFsync(benchmark::State& bench) { wal_batch(bench, true); }
BENCHMARK(BM_WalBatchAppendFsync)->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();

void BM_JsonDecodePayRequest(benchmark::State& bench) {
  const std::string body =
      R"({"amount":1999,"currency":"CNY","channel":"sandbox","subject":"2 coffees",)"
      R"("notify_url":"http://127.0.0.1:9000/hook"})";
  v1::PayRequest request;
  std::string error;
  for (auto _ : bench) {
    const bool ok = codec::parse_json(body, &request, &error);
    benchmark::DoNotOptimize(ok);
  }
  bench.SetBytesProcessed(bench.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_JsonDecodePayRequest);

void BM_JsonEncodeOrderView(benchmark::State& bench) {
  v1::OrderView view;
  view.set_merchant_order_no("order-1");
  view.set_amount(1999);
  view.set_currency("CNY");
  view.set_channel("sandbox");
  view.set_created_at("2024-01-01T00:00:00.000Z");
  auto* attempt = view.mutable_attempt();
  attempt->set_payment_no("P1700000000000ab12000001");
  attempt->set_attempt(1);
  attempt->set_channel("sandbox");
  attempt->mutable_prepay()->set_prepay_id("wx_prepay_0123456789");
  *view.add_attempts() = *attempt;
  for (auto _ : bench) {
    auto json = codec::to_json(view);
    benchmark::DoNotOptimize(json.data());
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_JsonEncodeOrderView);

}  // namespace

BENCHMARK_MAIN();
