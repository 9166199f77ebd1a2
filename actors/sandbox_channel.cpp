#include "actors/sandbox_channel.hpp"

#include <random>

namespace oncepay::actors {

namespace {

// A notification to (re)deliver; attempt counts deliveries made so far.
struct Delivery {
  v1::ChannelNotification body;
  size_t attempt = 0;
};

}  // namespace

}  // namespace oncepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::Delivery)

namespace oncepay::actors {

struct SandboxChannel::Shared {
  mutable std::mutex mutex;
  channels::ChannelModel model;
  NotifySink sink;  // guarded by mutex
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

core::ChannelPayState to_core(channels::PayState s) {
  switch (s) {
    case channels::PayState::kNotPay:
      return core::ChannelPayState::kNotPay;
    case channels::PayState::kSuccess:
      return core::ChannelPayState::kSuccess;
    case channels::PayState::kClosed:
      return core::ChannelPayState::kClosed;
    case channels::PayState::kRefund:
      return core::ChannelPayState::kRefund;
    case channels::PayState::kPayError:
      return core::ChannelPayState::kPayError;
  }
  return core::ChannelPayState::kNotPay;
}

// The model's outcomes in the core's vocabulary: a lost answer is
// kUnavailable; refusals the core does not tell apart are kRejected.
core::ChannelOutcome to_core(channels::CallOutcome o) {
  switch (o) {
    case channels::CallOutcome::kOk:
      return core::ChannelOutcome::kOk;
    case channels::CallOutcome::kNotFound:
      return core::ChannelOutcome::kNotFound;
    case channels::CallOutcome::kUnavailable:
    case channels::CallOutcome::kTimeout:
      return core::ChannelOutcome::kUnavailable;
    case channels::CallOutcome::kAlreadyPaid:
      return core::ChannelOutcome::kAlreadyPaid;
    case channels::CallOutcome::kNotPaid:
      return core::ChannelOutcome::kNotPaid;
    case channels::CallOutcome::kClosed:
    case channels::CallOutcome::kExceeds:
    case channels::CallOutcome::kRejected:
      return core::ChannelOutcome::kRejected;
  }
  return core::ChannelOutcome::kRejected;
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
  auto outcome = shared_->model.pay(payment_no, after_close, now_ms());
  flush_outbox(lock);
  return outcome;
}

channels::CallOutcome SandboxChannel::fail(const std::string& payment_no) {
  std::unique_lock lock(shared_->mutex);
  auto outcome = shared_->model.fail(payment_no, now_ms());
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
  std::unique_lock lock(shared_->mutex);
  auto& model = shared_->model;
  core::ChannelReply reply;
  const int64_t now = now_ms();
  switch (call.op) {
    case core::ChannelOp::kPrepay: {
      auto r = model.prepay(call.payment_no, call.amount_minor, call.currency, call.subject, now);
      reply.outcome = to_core(r.outcome);
      reply.prepay_id = r.prepay_id;
      reply.pay_url = r.pay_url;
      if (r.outcome == channels::CallOutcome::kTimeout) reply.detail = "prepay timed out";
      break;
    }
    case core::ChannelOp::kQuery: {
      auto r = model.query(call.payment_no);
      reply.outcome = to_core(r.outcome);
      reply.state = to_core(r.state);
      reply.channel_trade_no = r.channel_trade_no;
      break;
    }
    case core::ChannelOp::kClose:
    case core::ChannelOp::kReverse: {
      auto r = call.op == core::ChannelOp::kClose ? model.close(call.payment_no, now)
                                                  : model.reverse(call.payment_no, now);
      reply.outcome = to_core(r.outcome);
      reply.channel_trade_no = r.channel_trade_no;
      break;
    }
    case core::ChannelOp::kRefund: {
      auto r = model.refund(call.payment_no, call.refund_no, call.amount_minor, now);
      reply.outcome = to_core(r.outcome);
      break;
    }
  }
  if (reply.detail.empty() && reply.outcome != core::ChannelOutcome::kOk) {
    reply.detail = std::string(core::to_string(reply.outcome));
  }
  flush_outbox(lock);
  return reply;
}

}  // namespace oncepay::actors
