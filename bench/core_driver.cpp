#include "bench/core_driver.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include "actors/message_types.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "core/codes.hpp"
#include "storage/wal.hpp"

namespace oncepay::bench {

namespace {

constexpr char kMerchantId[] = "bench";

// A request completed on the issuing thread (a refusal, a sandbox confirm)
// would otherwise recurse into the next issue: the first drive() on a thread
// runs such slots in a loop instead.
thread_local int tl_drive_depth = 0;
thread_local std::vector<void*> tl_deferred;

Outcome outcome_of(const actors::OrderReply& reply, OpKind kind) {
  Outcome out;
  out.http_status = core::http_status(reply.code);
  out.code = std::string(core::to_string(reply.code));
  if (kind == OpKind::kPay) {
    if (reply.has_view && reply.order.has_attempt()) {
      out.payment_no = reply.order.attempt().payment_no();
    } else {
      out.payment_no = reply.payment_no;
    }
  }
  return out;
}

}  // namespace

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

CoreDriver::CoreDriver(CoreDriverOptions options)
    : options_(std::move(options)),
      engine_alive_(std::make_shared<std::atomic<bool>>(false)),
      fsyncs_(std::make_shared<std::atomic<uint64_t>>(0)) {}

CoreDriver::~CoreDriver() {
  engine_alive_->store(false);
  engine_.reset();
  channels_.reset();
  system_.reset();
  if (remove_data_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

bool CoreDriver::prepare(std::string* error) {
  config_ = std::make_unique<caf::actor_system_config>();
  if (options_.caf_threads > 0) config_->set("scheduler.max-threads", options_.caf_threads);
  system_ = std::make_unique<caf::actor_system>(actors::add_message_types(*config_));

  actors::EngineOptions engine_options;
  engine_options.payment.in_flight_window_ms = options_.window_ms;
  engine_options.payment.max_attempts = options_.max_attempts;
  engine_options.shards = options_.shards;
  if (options_.durable) {
    data_dir_ = options_.data_dir;
    if (data_dir_.empty()) {
      std::string templ =
          (std::filesystem::temp_directory_path() / "oncepay-bench-XXXXXX").string();
      if (::mkdtemp(templ.data()) == nullptr) {
        *error = "cannot create a temp dir under ";
        *error += std::filesystem::temp_directory_path().string();
        return false;
      }
      data_dir_ = templ;
      remove_data_dir_ = !options_.keep_data;
    }
    engine_options.data_dir = data_dir_;
    engine_options.fsync = options_.fsync;
    // The bench measures the request path: no checkpoint during the run, and
    // none at shutdown, so the WAL still holds every record to count after.
    engine_options.checkpoint_interval = std::chrono::hours(24);
    engine_options.checkpoint_on_shutdown = false;
    auto fsyncs = fsyncs_;
    engine_options.wal_fdatasync_hook = [fsyncs](int fd) {
      fsyncs->fetch_add(1, std::memory_order_relaxed);
      return ::fdatasync(fd);
    };
  }
  channels_ = std::make_unique<channels::ChannelRegistry>();
  sandbox_ = channels::sandbox::register_sandbox(*channels_, *system_, {}, error);
  if (sandbox_ == nullptr) return false;
  engine_options.channels = channels_->actors();
  engine_ = std::make_unique<actors::Engine>(*system_, engine_options);
  engine_->merchants().add(kMerchantId, "sk_bench", "whsec_bench", core::Policy::kStrict);

  // The channel's callbacks go straight to the engine, as the gateway's
  // notify handler would pass them after checking the signature.
  if (auto* sandbox = sandbox_) {
    auto alive = engine_alive_;
    actors::Engine* engine = engine_.get();
    sandbox->set_sink([alive, engine](const v1::ChannelNotification& body,
                                      std::function<void(bool)> acked) {
      core::ChannelNotice notice;
      if (!alive->load() || !core::notice_from_proto(body, &notice)) return acked(false);
      engine->notify("sandbox", std::move(notice),
                     [acked](actors::OrderReply reply) { acked(core::is_success(reply.code)); });
    });
  }

  std::promise<std::pair<bool, std::string>> started;
  engine_->start([&started](bool ok, std::string why) { started.set_value({ok, std::move(why)}); });
  auto result = started.get_future().get();
  if (!result.first) {
    *error = "engine recovery failed: " + result.second;
    return false;
  }
  engine_alive_->store(true);
  rss_before_bytes_ = resident_bytes();
  return true;
}

void CoreDriver::launch(Scenario* scenario, Recorder* recorder, Clock::time_point deadline) {
  scenario_ = scenario;
  recorder_ = recorder;
  deadline_ = deadline;
  slots_.resize(options_.connections);
  active_.store(slots_.size(), std::memory_order_release);
  for (auto& slot : slots_) drive(&slot);
}

void CoreDriver::wake() {
  std::vector<Slot*> parked;
  {
    std::lock_guard lock(parked_mutex_);
    parked.swap(parked_);
  }
  for (Slot* slot : parked) drive(slot);
}

void CoreDriver::drive(Slot* slot) {
  if (tl_drive_depth > 0) {
    tl_deferred.push_back(slot);
    return;
  }
  ++tl_drive_depth;
  issue(slot);
  while (!tl_deferred.empty()) {
    Slot* next = static_cast<Slot*>(tl_deferred.back());
    tl_deferred.pop_back();
    issue(next);
  }
  --tl_drive_depth;
}

void CoreDriver::issue(Slot* slot) {
  const auto now = Clock::now();
  Scenario::Next next = now >= deadline_ ? Scenario::Next::kDone : scenario_->next(&slot->op, now);
  if (next == Scenario::Next::kDone) {
    active_.fetch_sub(1, std::memory_order_acq_rel);
    return;
  }
  if (next == Scenario::Next::kWait) {
    std::lock_guard lock(parked_mutex_);
    parked_.push_back(slot);
    return;
  }
  slot->started = now;
  const Op& op = slot->op;
  switch (op.kind) {
    case OpKind::kPay: {
      actors::PayMsg msg;
      msg.command.merchant_id = kMerchantId;
      msg.command.merchant_order_no = op.merchant_order_no;
      msg.command.amount_minor = options_.amount_minor;
      msg.command.currency = "CNY";
      msg.command.channel = "sandbox";
      msg.command.subject = "bench";
      engine_->pay(std::move(msg), [this, slot](actors::OrderReply reply) {
        done(slot, outcome_of(reply, OpKind::kPay));
      });
      break;
    }
    case OpKind::kQuery:
      engine_->get_order(actors::GetOrderMsg{{kMerchantId, op.merchant_order_no}},
                         [this, slot](actors::OrderReply reply) {
                           done(slot, outcome_of(reply, OpKind::kQuery));
                         });
      break;
    case OpKind::kConfirm: {
      // The payer pays in the wallet; the channel then calls back (the sink).
      Outcome out;
      const auto result = sandbox_->pay(op.payment_no, /*after_close=*/false);
      if (result == channels::CallOutcome::kOk) {
        out.http_status = 200;
        out.code = "ok";
      } else {
        out.http_status = 409;
        out.code = std::string(channels::to_string(result));
      }
      done(slot, out);
      break;
    }
  }
}

void CoreDriver::done(Slot* slot, const Outcome& outcome) {
  const auto now = Clock::now();
  recorder_->record(now - slot->started);
  scenario_->complete(slot->op, outcome, now);
  drive(slot);
}

void CoreDriver::finish(JsonLine* summary) {
  const uint64_t rss_after = resident_bytes();
  const uint64_t live_orders = engine_->env().live_orders.load();
  engine_alive_->store(false);
  engine_.reset();  // stops the WAL: every queued record is written
  summary->add_bool("durable", options_.durable);
  summary->add("fsync", options_.durable && options_.fsync ? "on" : "off");
  summary->add("connections", static_cast<uint64_t>(options_.connections));
  if (options_.durable) {
    const uint64_t fsyncs = fsyncs_->load();
    storage::WalOptions wal_options;
    wal_options.dir = (std::filesystem::path(data_dir_) / "wal").string();
    wal_options.fsync = false;
    std::unique_ptr<storage::Wal> wal;
    const storage::Status status = storage::Wal::open(wal_options, &wal);
    summary->add("fsyncs", fsyncs);
    if (status.is_ok()) {
      const uint64_t records = wal->recovery().records;
      summary->add("wal_records", records);
      if (fsyncs == 0) {
        summary->add_null("mean_batch_records");  // fsync off: no batches counted
      } else {
        summary->add("mean_batch_records",
                     static_cast<double>(records) / static_cast<double>(fsyncs));
      }
      wal->close();
    } else {
      summary->add_null("wal_records");
      summary->add_null("mean_batch_records");
    }
  }
  summary->add("live_orders", live_orders);
  summary->add("rss_bytes", rss_after);
  summary->add("rss_per_order_bytes", live_orders == 0 || rss_after < rss_before_bytes_
                                          ? 0.0
                                          : static_cast<double>(rss_after - rss_before_bytes_) /
                                                static_cast<double>(live_orders));
}

}  // namespace oncepay::bench
