#include "actors/order_observer.hpp"

#include <unistd.h>

#include <cerrno>

#include "codec/json.hpp"

namespace oncepay::actors {

namespace {

constexpr size_t kFlushBytes = 64 * 1024;

}  // namespace

StateLog::StateLog(int fd, std::chrono::milliseconds flush_interval)
    : fd_(fd), interval_(flush_interval), thread_([this] { run(); }) {}

StateLog::~StateLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  flush();
}

void StateLog::write(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    buffer_.append(line);
    buffer_.push_back('\n');
    wake = buffer_.size() >= kFlushBytes;
  }
  if (wake) cv_.notify_one();
}

void StateLog::flush() {
  std::lock_guard order(write_mu_);
  std::string out;
  {
    std::lock_guard lock(mu_);
    out.swap(buffer_);
  }
  write_out(out);
}

void StateLog::write_out(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a log that cannot be written is dropped, never fatal
    done += static_cast<size_t>(n);
  }
}

void StateLog::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_, [this] { return stop_ || buffer_.size() >= kFlushBytes; });
    if (buffer_.empty()) continue;
    lock.unlock();
    flush();
    lock.lock();
  }
}

std::string state_change_line(const core::OrderState& order, const v1::Event& event,
                              int64_t now_ms) {
  const auto kind = event.kind_case();
  if (kind == v1::Event::KIND_NOT_SET || kind == v1::Event::kTimerArmed) return {};
  v1::OrderStateChange line;
  line.set_ts(core::format_time(now_ms));
  line.set_log("order_state");
  line.set_merchant_id(order.merchant_id);
  line.set_merchant_order_no(order.merchant_order_no);
  line.set_order_status(order.status);
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(static_cast<int>(kind));
  line.set_event(field->name());
  // The payment the event names, else the paid one (refunds, webhooks).
  const auto& sub = event.GetReflection()->GetMessage(event, field);
  const auto* payment_no = sub.GetDescriptor()->FindFieldByName("payment_no");
  if (payment_no != nullptr &&
      payment_no->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
    line.set_payment_no(sub.GetReflection()->GetString(sub, payment_no));
  }
  if (line.payment_no().empty()) line.set_payment_no(order.paid_payment_no);
  *line.mutable_detail() = event;
  return codec::to_json(line);
}

void OrderObserver::add_channel(std::string name) {
  auto c = std::make_unique<Channel>();
  c->name = std::move(name);
  channels_.push_back(std::move(c));
}

void OrderObserver::recorded(const core::OrderState& order, const std::vector<v1::Event>& events,
                             int64_t now_ms) {
  for (const auto& e : events) {
    const auto kind = static_cast<size_t>(e.kind_case());
    if (kind < kEventKinds) events_[kind].fetch_add(1, std::memory_order_relaxed);
    if (log_) {
      std::string line = state_change_line(order, e, now_ms);
      if (!line.empty()) log_->write(line);
    }
  }
}

void OrderObserver::timer_fired(core::Ladder ladder) {
  const auto i = static_cast<size_t>(ladder);
  if (i < kLadders) timers_[i].fetch_add(1, std::memory_order_relaxed);
}

void OrderObserver::channel_call(std::string_view channel, core::ChannelOp op,
                                 core::ChannelOutcome outcome) {
  const auto o = static_cast<size_t>(op);
  const auto r = static_cast<size_t>(outcome);
  if (o >= kOps || r >= kOutcomes) return;
  for (auto& c : channels_) {
    if (c->name == channel) {
      c->calls[o * kOutcomes + r].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

void OrderObserver::webhook_attempt(bool delivered) {
  (delivered ? webhooks_ok_ : webhooks_failed_).fetch_add(1, std::memory_order_relaxed);
}

uint64_t OrderObserver::events(v1::Event::KindCase kind) const {
  const auto i = static_cast<size_t>(kind);
  return i < kEventKinds ? events_[i].load(std::memory_order_relaxed) : 0;
}

uint64_t OrderObserver::timers(core::Ladder ladder) const {
  const auto i = static_cast<size_t>(ladder);
  return i < kLadders ? timers_[i].load(std::memory_order_relaxed) : 0;
}

std::vector<OrderObserver::ChannelCount> OrderObserver::channel_calls() const {
  std::vector<ChannelCount> out;
  for (const auto& c : channels_) {
    for (size_t o = 0; o < kOps; ++o) {
      for (size_t r = 0; r < kOutcomes; ++r) {
        const uint64_t n = c->calls[o * kOutcomes + r].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out.push_back(ChannelCount{c->name, static_cast<core::ChannelOp>(o),
                                   static_cast<core::ChannelOutcome>(r), n});
      }
    }
  }
  return out;
}

}  // namespace oncepay::actors
