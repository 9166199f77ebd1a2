#include "channels/sandbox/sandbox_actor.hpp"

#include <random>

#include "channels/sim/sim_protocol.hpp"
#include "channels/sim/statement.hpp"
#include "channels/statement_files.hpp"
#include "channels/wire.hpp"

namespace oncepay::channels::sandbox {

namespace {

// A notification to (re)deliver; attempt counts deliveries made so far.
struct Delivery {
  v1::ChannelNotification body;
  size_t attempt = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Delivery& x) {
  return f(caf::meta::type_name("oncepay.SandboxDelivery"), x.body, x.attempt);
}

}  // namespace

struct SandboxChannel::Shared {
  mutable std::mutex mutex;
  channels::ChannelModel model;
  sim::SettlementLedger ledger;  // guarded by mutex
  NotifySink sink;               // guarded by mutex
  std::vector<int64_t> retry_ms;
  caf::actor notifier;
  caf::actor_clock* clock = nullptr;

  Shared(std::string name, uint64_t seed) : model(std::move(name), seed) {}
};

namespace {

caf::behavior notifier_impl(caf::event_based_actor* self,
                            std::shared_ptr<SandboxChannel::Shared> shared) {
  return {
      [self, shared](Delivery& d) {
        NotifySink sink;
        {
          std::lock_guard lock(shared->mutex);
          sink = shared->sink;
        }
        if (!sink) return;  // nobody listens yet: dropped like a misconfigured channel
        caf::actor me = caf::actor_cast<caf::actor>(self);
        auto retry = shared->retry_ms;
        sink(d.body, [me, d, retry](bool acked) {
          if (acked || d.attempt >= retry.size()) return;
          Delivery again{d.body, d.attempt + 1};
          caf::delayed_anon_send(me, std::chrono::milliseconds(retry[d.attempt]), std::move(again));
        });
      },
  };
}

channel_actor::behavior_type worker_impl(channel_actor::pointer, SandboxChannel* channel) {
  return {
      [channel](core::ChannelCall& call) -> core::ChannelReply { return channel->handle(call); },
  };
}

uint64_t seed_or_random(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

SandboxChannel::SandboxChannel(caf::actor_system& system, SandboxOptions options)
    : system_(system),
      shared_(std::make_shared<Shared>(options.name, seed_or_random(options.seed))) {
  shared_->retry_ms = options.notify_retry_ms;
  shared_->clock = &system.clock();
  shared_->notifier = system.spawn(notifier_impl, shared_);
  auto factory = [this, &system] {
    return caf::actor_cast<caf::actor>(system.spawn(worker_impl, this));
  };
  pool_ = caf::actor_cast<channel_actor>(caf::actor_pool::make(
      system.dummy_execution_unit(), options.workers, factory, caf::actor_pool::round_robin()));
}

SandboxChannel::~SandboxChannel() {
  caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(shared_->notifier, caf::exit_reason::user_shutdown);
}

void SandboxChannel::set_sink(NotifySink sink) {
  std::lock_guard lock(shared_->mutex);
  shared_->sink = std::move(sink);
}

int64_t SandboxChannel::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SandboxChannel::flush_outbox(std::unique_lock<std::mutex>& lock) {
  auto outbox = shared_->model.take_outbox();
  lock.unlock();
  for (auto& n : outbox) {
    Delivery d{std::move(n.body), 0};
    if (n.delay_ms > 0) {
      caf::delayed_anon_send(shared_->notifier, std::chrono::milliseconds(n.delay_ms),
                             std::move(d));
    } else {
      caf::anon_send(shared_->notifier, std::move(d));
    }
  }
}

channels::CallOutcome SandboxChannel::pay(const std::string& payment_no, bool after_close) {
  std::unique_lock lock(shared_->mutex);
  auto before = shared_->model.get(payment_no);
  auto outcome = shared_->model.pay(payment_no, after_close, now_ms());
  shared_->ledger.record(before, shared_->model.get(payment_no));
  flush_outbox(lock);
  return outcome;
}

channels::CallOutcome SandboxChannel::fail(const std::string& payment_no) {
  std::unique_lock lock(shared_->mutex);
  auto before = shared_->model.get(payment_no);
  auto outcome = shared_->model.fail(payment_no, now_ms());
  shared_->ledger.record(before, shared_->model.get(payment_no));
  flush_outbox(lock);
  return outcome;
}

std::optional<v1::ChannelPaymentView> SandboxChannel::get(const std::string& payment_no) const {
  std::lock_guard lock(shared_->mutex);
  auto payment = shared_->model.get(payment_no);
  if (!payment) return std::nullopt;
  return shared_->model.view(*payment);
}

void SandboxChannel::set_faults(const channels::Faults& faults) {
  std::lock_guard lock(shared_->mutex);
  shared_->model.set_faults(faults);
}

core::ChannelReply SandboxChannel::handle(const core::ChannelCall& call) {
  // The same call-to-reply path the simulator's wire protocol is checked
  // against, so the built-in sandbox and oncepay-channel-sim answer alike.
  std::unique_lock lock(shared_->mutex);
  auto before = shared_->model.get(call.payment_no);
  auto answer = channels::sim::apply_call(shared_->model, call, now_ms());
  shared_->ledger.record(before, shared_->model.get(call.payment_no));
  flush_outbox(lock);
  return channels::sim::to_reply(call.op, answer);
}

FetchedStatement SandboxChannel::fetch_statement(const StatementFetch& fetch) const {
  FetchedStatement r;
  if (!is_statement_date(fetch.date)) {
    r.detail = "sandbox: the date is not YYYY-MM-DD";
    return r;
  }
  if (fetch.date > sim::china_day(now_ms())) {
    r.status = FetchedStatement::Status::kNotReady;
    r.detail = "sandbox: the day is not over yet";
    return r;
  }
  std::vector<sim::SettledEntry> entries;
  {
    std::lock_guard lock(shared_->mutex);
    entries = shared_->ledger.settled_on(fetch.date, fetch.merchant_id);
  }
  const std::string csv =
      sim::wechat_statement(entries, shared_->model.channel_name(), fetch.merchant_id);
  if (!write_statement_file(fetch.dest_path, csv, &r.detail)) return r;
  r.status = FetchedStatement::Status::kOk;
  r.bytes = csv.size();
  return r;
}

}  // namespace oncepay::channels::sandbox
