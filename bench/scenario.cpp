#include "bench/scenario.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>

namespace oncepay::bench {

bool parse_scenario(std::string_view name, ScenarioKind* out) {
  if (name == "unique")
    *out = ScenarioKind::kUnique;
  else if (name == "storm")
    *out = ScenarioKind::kStorm;
  else if (name == "mixed")
    *out = ScenarioKind::kMixed;
  else if (name == "retry")
    *out = ScenarioKind::kRetry;
  else if (name == "paid")
    *out = ScenarioKind::kPaid;
  else
    return false;
  return true;
}

std::string_view to_string(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kUnique:
      return "unique";
    case ScenarioKind::kStorm:
      return "storm";
    case ScenarioKind::kMixed:
      return "mixed";
    case ScenarioKind::kRetry:
      return "retry";
    case ScenarioKind::kPaid:
      return "paid";
  }
  return "unknown";
}

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kPay:
      return "pay";
    case OpKind::kQuery:
      return "query";
    case OpKind::kConfirm:
      return "confirm";
  }
  return "unknown";
}

std::string random_order_prefix() {
  std::random_device device;
  const uint32_t id = device();
  char hex[16];
  auto [end, ec] = std::to_chars(hex, hex + sizeof hex, id, 16);
  assert(ec == std::errc());
  std::string out = "bench-";
  out.append(hex, end);
  out += '-';
  return out;
}

Scenario::Scenario(ScenarioOptions options) : options_(std::move(options)), random_(options_.seed) {
  assert(options_.duplicates >= 1);
  assert(options_.max_attempts >= 1);
}

std::vector<Scenario::Step> Scenario::make_story() {
  std::vector<Step> story;
  switch (options_.kind) {
    case ScenarioKind::kUnique:
      story.push_back({OpKind::kPay});
      break;
    case ScenarioKind::kStorm:
      story.push_back({OpKind::kPay, options_.duplicates});
      break;
    case ScenarioKind::kPaid:
      story.push_back({OpKind::kPay});
      story.push_back({OpKind::kConfirm});
      break;
    case ScenarioKind::kRetry:
      story.push_back({OpKind::kPay});
      // One retry per remaining attempt, then one more that must be refused.
      for (int32_t i = 1; i <= options_.max_attempts; ++i) {
        story.push_back({OpKind::kPay, 1, /*after_window=*/true});
      }
      break;
    case ScenarioKind::kMixed: {
      std::uniform_int_distribution<int> percent(0, 99);
      story.push_back({OpKind::kPay});
      if (percent(random_) < 30) story.push_back({OpKind::kPay, 1, false, /*duplicate=*/true});
      if (percent(random_) < 30) story.push_back({OpKind::kQuery});
      if (percent(random_) < 50) story.push_back({OpKind::kConfirm});
      if (percent(random_) < 20) story.push_back({OpKind::kQuery});
      if (percent(random_) < 20) story.push_back({OpKind::kPay, 1, /*after_window=*/true});
      break;
    }
  }
  return story;
}

void Scenario::start_order() {
  const uint64_t index = next_order_++;
  OrderRun run;
  run.merchant_order_no = options_.order_prefix;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index);
  assert(ec == std::errc());
  run.merchant_order_no.append(digits, end);
  run.story = make_story();
  live_.emplace(index, std::move(run));
  ready_.push_back(index);
  ++counters_.orders_started;
}

Scenario::Next Scenario::next(Op* op, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  while (!delayed_.empty() && delayed_.front().due <= now) {
    ready_.push_back(delayed_.front().order);
    delayed_.pop_front();
  }
  if (ready_.empty()) {
    if (options_.max_orders != 0 && next_order_ >= options_.max_orders) {
      return live_.empty() ? Next::kDone : Next::kWait;
    }
    start_order();
  }
  const uint64_t index = ready_.front();
  OrderRun& run = live_.at(index);
  const Step& step = run.story[run.step];
  op->order = index;
  op->kind = step.kind;
  op->merchant_order_no = run.merchant_order_no;
  op->payment_no = run.live_payment_no;
  if (++run.issued == step.copies) ready_.pop_front();
  return Next::kOp;
}

void Scenario::error(std::string kind) { ++counters_.errors[std::move(kind)]; }

void Scenario::count_error(const std::string& kind) {
  std::lock_guard lock(mutex_);
  error(kind);
}

void Scenario::check_pay(OrderRun& run, const Step& step, const Outcome& outcome) {
  const std::string& p = outcome.payment_no;
  bool seen = false;
  for (const auto& known : run.payment_nos) seen = seen || known == p;
  if (outcome.code == "created") {
    ++counters_.attempts_created;
    ++run.created_in_step;
    ++run.attempts;
    if (step.duplicate) error("duplicate_started_attempt");
    if (p.empty()) return error("created_without_payment_no");
    // A storm's 200s may come back before its 201: they must all agree.
    if (seen && !step.after_window && step.copies > 1) return;
    if (seen) return error("created_reused_payment_no");
    run.payment_nos.push_back(p);
    run.live_payment_no = p;
  } else if (outcome.code == "ok") {
    if (step.after_window) return error("retry_after_window_not_new_attempt");
    if (p.empty()) return error("ok_without_payment_no");
    if (!seen) {
      // A storm 200 arriving first names the attempt its 201 will name.
      if (step.copies > 1 && run.payment_nos.empty()) {
        run.payment_nos.push_back(p);
        run.live_payment_no = p;
        return;
      }
      return error("duplicate_answered_other_attempt");
    }
  } else if (outcome.code == "order_already_paid") {
    if (!run.confirmed) error("already_paid_unconfirmed");
  } else if (outcome.code == "attempts_exhausted") {
    if (run.attempts < options_.max_attempts) error("attempts_exhausted_early");
  } else {
    std::string kind = outcome.code;
    if (kind.empty()) {
      kind = "http_";
      kind += std::to_string(outcome.http_status);
    }
    error(std::move(kind));
  }
}

void Scenario::complete(const Op& op, const Outcome& outcome, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(op.order);
  assert(it != live_.end());
  OrderRun& run = it->second;
  const Step& step = run.story[run.step];
  if (!outcome.transport_ok) {
    error(outcome.transport_error.empty() ? "transport" : outcome.transport_error);
  } else if (op.kind == OpKind::kPay) {
    check_pay(run, step, outcome);
  } else if (op.kind == OpKind::kConfirm) {
    if (outcome.code == "ok") {
      run.confirmed = true;
    } else {
      std::string kind = "confirm_";
      kind += outcome.code;
      error(std::move(kind));
    }
  } else if (outcome.code != "ok") {
    std::string kind = "query_";
    kind += outcome.code;
    error(std::move(kind));
  }
  if (++run.completed == step.copies) finish_step(op.order, run, now);
}

void Scenario::finish_step(uint64_t index, OrderRun& run, Clock::time_point now) {
  const Step& step = run.story[run.step];
  if (step.copies > 1) {
    ++counters_.storm_orders;
    if (run.created_in_step == 1 && run.payment_nos.size() == 1) {
      ++counters_.storm_orders_one_prepay;
    } else {
      error("storm_not_one_prepay");
    }
  }
  ++run.step;
  run.issued = run.completed = run.created_in_step = 0;
  if (run.step == run.story.size() || run.live_payment_no.empty()) {
    // Done, or nothing more to do without an attempt (the first pay failed).
    ++counters_.orders_finished;
    live_.erase(index);
    return;
  }
  if (run.story[run.step].after_window) {
    // A margin on top of the window: the engine measures it from the live
    // attempt's start, which was slightly before its answer reached us.
    const int64_t margin_ms = std::max<int64_t>(50, options_.window_ms / 10);
    delayed_.push_back({now + std::chrono::milliseconds(options_.window_ms + margin_ms), index});
  } else {
    ready_.push_back(index);
  }
}

ScenarioCounters Scenario::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace oncepay::bench
