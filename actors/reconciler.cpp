#include "actors/reconciler.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <unordered_map>
#include <utility>

#include "actors/recon_classify.hpp"
#include "core/check.hpp"
#include "core/order_snapshot.hpp"
#include "core/order_state.hpp"
#include "core/recon_decide.hpp"
#include "core/recon_ledger.hpp"
#include "core/wall_clock.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::actors {

namespace {

constexpr int64_t kDayMs = 86'400'000;

std::string key_of(const std::string& merchant_id, const std::string& channel,
                   const std::string& date) {
  return merchant_id + "|" + channel + "|" + date;
}

// The ReconCounts field of a class, by the class's name (the fields are
// named after the classes: one reflection walk instead of a switch).
void set_count(v1::ReconCounts* counts, core::ReconClass cls, uint64_t n) {
  const auto* field =
      counts->GetDescriptor()->FindFieldByName(std::string(core::recon_class_name(cls)));
  ONCEPAY_CHECK(field != nullptr);
  counts->GetReflection()->SetUInt64(counts, field, n);
}

uint64_t get_count(const v1::ReconCounts& counts, core::ReconClass cls) {
  const auto* field =
      counts.GetDescriptor()->FindFieldByName(std::string(core::recon_class_name(cls)));
  ONCEPAY_CHECK(field != nullptr);
  return counts.GetReflection()->GetUInt64(counts, field);
}

void set_change(v1::ReconCountChanges* changes, core::ReconClass cls, int64_t n) {
  const auto* field =
      changes->GetDescriptor()->FindFieldByName(std::string(core::recon_class_name(cls)));
  ONCEPAY_CHECK(field != nullptr);
  changes->GetReflection()->SetInt64(changes, field, n);
}

// "line N: reason" (the parsers' reasons may name the line already).
std::string line_message(const core::StatementError& e) {
  if (e.reason.starts_with("line ")) return e.reason;
  return "line " + std::to_string(e.line) + ": " + e.reason;
}

ReconAnswer refused(core::Code code, std::string message) {
  ReconAnswer a;
  a.code = code;
  a.message = std::move(message);
  return a;
}

// Waits for a batch of engine requests, at most `in_flight` at once, all
// within `deadline`. send(i, done) starts request i; done may be called on
// any thread, once. Returns the replies (a request that did not answer in
// time: code kPaymentStatusUnknown).
std::vector<OrderReply> run_batch(size_t n, size_t in_flight, std::chrono::milliseconds timeout,
                                  const std::function<void(size_t, Engine::Done)>& send) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<OrderReply> replies;
    std::vector<bool> answered;
    size_t pending = 0;
  };
  auto shared = std::make_shared<Shared>();
  shared->replies.resize(n);
  shared->answered.resize(n, false);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (size_t i = 0; i < n; ++i) {
    {
      std::unique_lock lock(shared->mu);
      if (!shared->cv.wait_until(lock, deadline, [&] { return shared->pending < in_flight; })) {
        break;  // out of time: the rest stay unanswered
      }
      ++shared->pending;
    }
    send(i, [shared, i](OrderReply reply) {
      std::lock_guard lock(shared->mu);
      if (shared->answered[i]) return;
      shared->answered[i] = true;
      shared->replies[i] = std::move(reply);
      --shared->pending;
      shared->cv.notify_all();
    });
  }
  std::unique_lock lock(shared->mu);
  shared->cv.wait_until(lock, deadline, [&] { return shared->pending == 0; });
  std::vector<OrderReply> out = shared->replies;
  for (size_t i = 0; i < n; ++i) {
    if (!shared->answered[i]) {
      out[i] = OrderReply{core::Code::kPaymentStatusUnknown, "the order did not answer in time"};
    }
  }
  return out;
}

core::ReviewState review_state_of(const v1::ReconReviewRecord& r) {
  core::ReviewState s{r.item_id(), r.reason(), r.payment_no(), r.detail(), r.opened_ms()};
  s.recon = core::from_proto(r.recon());
  s.resolution = r.resolution();
  s.resolved_by = r.resolved_by();
  return s;
}

}  // namespace

Reconciler::Reconciler(Engine& engine, const channels::ChannelRegistry& registry,
                       std::shared_ptr<storage::ReconStore> store, ReconCalendar calendar,
                       ReconOptions options)
    : engine_(engine),
      registry_(registry),
      store_(std::move(store)),
      calendar_(std::move(calendar)),
      options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return core::unix_ms(); };
}

Reconciler::~Reconciler() { stop(); }

int64_t Reconciler::now() const { return options_.now_ms(); }

void Reconciler::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  ::chmod(options_.work_dir.c_str(), 0700);
  // Leftovers of a run cut off by a crash: nothing refers to them.
  for (const auto& entry : std::filesystem::directory_iterator(options_.work_dir, ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  std::vector<v1::ReconReviewRecord> open;
  if (store_->open_reviews(&open).is_ok()) {
    std::map<std::string, std::vector<core::ReviewState>> by_merchant;
    for (const auto& r : open) by_merchant[r.merchant_id()].push_back(review_state_of(r));
    for (const auto& [merchant, items] : by_merchant) {
      engine_.env().reviews->set(OrderKey{merchant, ""}, items);
    }
  }
  {
    std::lock_guard lock(mu_);
    next_schedule_ms_ = calendar_.next_daily_ms(now());
  }
  thread_ = std::thread([this] { run(); });
}

void Reconciler::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& job : jobs_) {
    if (!job.upload_path.empty()) ::unlink(job.upload_path.c_str());
    if (job.done) job.done(refused(core::Code::kNotReady, "the daemon is stopping"));
  }
  jobs_.clear();
}

void Reconciler::wake() { cv_.notify_all(); }

std::string Reconciler::upload_path() {
  std::lock_guard lock(mu_);
  return options_.work_dir + "/upload-" + std::to_string(now()) + "-" +
         std::to_string(++upload_counter_) + ".statement";
}

void Reconciler::submit(Job job) {
  auto refuse = [&](core::Code code, std::string message) {
    if (!job.upload_path.empty()) ::unlink(job.upload_path.c_str());
    if (job.done) job.done(refused(code, std::move(message)));
  };
  if (!engine_.env().stored) {
    return refuse(core::Code::kNotReady, "reconciliation needs a durable engine (a data dir)");
  }
  if (!engine_.merchants().get(job.merchant_id)) {
    return refuse(core::Code::kMerchantNotFound, "no merchant " + job.merchant_id);
  }
  const channels::ChannelEntry* entry = registry_.find(job.channel);
  if (entry == nullptr || !entry->statements.parse) {
    return refuse(core::Code::kInvalidRequest,
                  "channel \"" + job.channel + "\" has no statements to reconcile");
  }
  if (job.source != "upload" && !entry->statements.fetch) {
    return refuse(core::Code::kInvalidRequest,
                  "channel \"" + job.channel + "\" statements can only be uploaded");
  }
  if (!calendar_.window(job.date)) {
    return refuse(core::Code::kInvalidRequest,
                  "date \"" + job.date + "\" is not a day as YYYY-MM-DD");
  }
  if (entry->statements.account_id && entry->statements.account_id(job.merchant_id).empty()) {
    return refuse(core::Code::kInvalidRequest,
                  "merchant " + job.merchant_id + " has no account on channel " + job.channel);
  }
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      // fall through to the refusal below, outside the lock
    } else if (!busy_.insert(key_of(job.merchant_id, job.channel, job.date)).second) {
      // below
    } else {
      jobs_.push_back(std::move(job));
      cv_.notify_all();
      return;
    }
  }
  refuse(core::Code::kReconciliationRunning, "a reconciliation of " + job.merchant_id + ", " +
                                                 job.channel + ", " + job.date +
                                                 " is queued or running");
}

// A run cut off by a crash still says RUNNING, and its statement file is
// gone (start() cleared the work dir). Runs go one at a time and each takes
// its id when it starts, so only the newest can be such a run: it failed.
// On the worker: the store's writer.
void Reconciler::fail_interrupted_run() {
  const std::string last = store_->last_id();
  v1::ReconciliationView run;
  if (last.empty() || !store_->get_run(last, &run).is_ok() || run.status() != "RUNNING") return;
  run.set_status("FAILED");
  run.set_finished_at(core::format_time(now()));
  v1::ReconErrorView* error = run.mutable_error();
  error->set_code("interrupted");
  error->set_message(
      "the daemon stopped during the run (some fixes may have been applied); run it again: a "
      "re-run applies nothing twice");
  (void)store_->put_run(run);
}

void Reconciler::run() {
  fail_interrupted_run();
  std::unique_lock lock(mu_);
  while (true) {
    if (stop_) return;
    if (!jobs_.empty()) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      run_job(job);  // frees the job's key (busy_) itself
      lock.lock();
      continue;
    }
    // Due schedule work (merges into jobs_), then sleep until the next.
    std::optional<int64_t> wake = next_schedule_ms_;
    for (const auto& r : retries_) {
      if (!wake || r.due_ms < *wake) wake = r.due_ms;
    }
    const int64_t t = now();
    if (wake && *wake <= t) {
      lock.unlock();
      schedule_due();
      lock.lock();
      continue;
    }
    if (wake) {
      cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(*wake - t, 60'000)));
    } else {
      cv_.wait(lock);
    }
  }
}

// The daily run: yesterday's statement (in recon.timezone) of every merchant
// on every channel that fetches statements and where the merchant has an
// account; and the retries of statements that were not ready.
void Reconciler::schedule_due() {
  const int64_t t = now();
  std::vector<Job> due;
  std::vector<Retry> retry_now;
  {
    std::lock_guard lock(mu_);
    if (next_schedule_ms_ && *next_schedule_ms_ <= t) {
      const std::string date = calendar_.date_of(t - kDayMs);
      for (const auto& entry : registry_.entries()) {
        if (!entry.statements.fetch || !entry.statements.parse) continue;
        for (const auto& merchant : engine_.merchants().ids()) {
          if (entry.statements.account_id && entry.statements.account_id(merchant).empty()) {
            continue;
          }
          retry_now.push_back(Retry{t, merchant, entry.name, date, 0, t});
        }
      }
      next_schedule_ms_ = calendar_.next_daily_ms(t);
    }
    for (auto it = retries_.begin(); it != retries_.end();) {
      if (it->due_ms <= t) {
        retry_now.push_back(*it);
        it = retries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : retry_now) {
    Job job;
    job.merchant_id = r.merchant_id;
    job.channel = r.channel;
    job.date = r.date;
    job.source = "schedule";
    const size_t step = r.step;
    const int64_t first = r.first_ms;
    job.done = [this, r, step, first](const ReconAnswer& answer) {
      // Only a statement that is not ready yet is asked again.
      if (answer.code != core::Code::kAccepted || !answer.run.has_error() ||
          answer.run.error().code() != "statement_not_ready" ||
          step >= options_.retry_ladder.size()) {
        return;
      }
      Retry next = r;
      next.step = step + 1;
      next.due_ms = first + options_.retry_ladder[step].count();
      std::lock_guard lock(mu_);
      retries_.push_back(std::move(next));
    };
    submit(std::move(job));
  }
}

void Reconciler::resolve_unattached(const core::ResolveCommand& command,
                                    std::function<void(core::Code, std::string)> done) {
  if (command.resolution == core::kResolutionTrustChannel) {
    return done(core::Code::kResolutionNotApplicable,
                "the statement line names no payment of oncepay: there is nothing to apply the "
                "channel's view to; use trust_platform or dismiss");
  }
  // The store's writer is the worker thread: the resolution runs there.
  Job task;
  task.source = "task";
  task.done = [this, command, done](const ReconAnswer&) {
    v1::ReconReviewRecord r;
    storage::Status st = store_->get_review(command.item_id, &r);
    if (!st.is_ok() || r.closed()) {
      return done(core::Code::kReviewItemNotFound, "no open review item " + command.item_id);
    }
    if (command.resolution == core::kResolutionDismiss) r.set_closed(true);
    r.set_resolution(command.resolution);
    r.set_resolved_by(command.operator_name);
    r.set_note(command.note);
    if (!store_->put_review(r).is_ok()) {
      return done(core::Code::kStorageUnavailable,
                  "the reconciliation store could not record the resolution");
    }
    refresh_unattached(r.merchant_id());
    done(core::Code::kOk, "");
  };
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      jobs_.push_front(std::move(task));
      cv_.notify_all();
      return;
    }
  }
  done(core::Code::kNotReady, "the daemon is stopping");
}

void Reconciler::refresh_unattached(const std::string& merchant_id) {
  std::vector<v1::ReconReviewRecord> open;
  if (!store_->open_reviews(&open).is_ok()) return;
  std::vector<core::ReviewState> items;
  for (const auto& x : open) {
    if (x.merchant_id() == merchant_id) items.push_back(review_state_of(x));
  }
  engine_.env().reviews->set(OrderKey{merchant_id, ""}, items);
}

namespace {

v1::ReconErrorView error_view(std::string code, std::string message, uint64_t line) {
  v1::ReconErrorView e;
  e.set_code(std::move(code));
  e.set_message(std::move(message));
  if (line > 0) e.set_line(line);
  return e;
}

}  // namespace

void Reconciler::run_job(Job& job) {
  if (job.source == "task") {
    if (job.done) job.done(ReconAnswer{});
    return;
  }
  const channels::ChannelEntry* entry = registry_.find(job.channel);
  ONCEPAY_CHECK(entry != nullptr);  // checked by submit; the registry does not change
  const channels::StatementSource& source = entry->statements;
  const DayWindow window = *calendar_.window(job.date);
  const int64_t started = now();

  v1::ReconciliationView run;
  run.set_merchant_id(job.merchant_id);
  run.set_channel(job.channel);
  run.set_date(job.date);
  run.set_source(job.source);
  run.set_status("RUNNING");
  run.set_started_at(core::format_time(started));
  run.set_intraday(started < window.end_ms);
  bool answered = false;
  auto answer = [&](ReconAnswer a) {
    if (!answered && job.done) job.done(std::move(a));
    answered = true;
  };
  // The run's key is free again just before its last record is written: a
  // client that sees it DONE (or FAILED) may start the next one at once (the
  // one worker runs it after this one).
  bool released = false;
  auto release = [&] {
    if (std::exchange(released, true)) return;
    std::lock_guard lock(mu_);
    busy_.erase(key_of(job.merchant_id, job.channel, job.date));
  };
  struct Release {
    std::function<void()> fn;
    ~Release() { fn(); }
  } release_on_exit{release};
  auto record_failed = [&](v1::ReconErrorView error) {
    release();
    run.set_status("FAILED");
    run.set_finished_at(core::format_time(now()));
    *run.mutable_error() = std::move(error);
    (void)store_->put_run(run);
    ReconAnswer a;
    a.run = run;
    answer(std::move(a));
  };

  std::string path = job.upload_path;
  struct Cleanup {
    std::string* path;
    ~Cleanup() {
      if (!path->empty()) ::unlink(path->c_str());
    }
  } cleanup{&path};

  if (job.source != "upload") {
    run.set_reconciliation_id(store_->next_id());
    if (!store_->put_run(run).is_ok()) {
      return answer(refused(core::Code::kStorageUnavailable,
                            "the reconciliation store could not record the run"));
    }
    {
      ReconAnswer a;
      a.run = run;
      // A scheduled run answers (its retry decision) only at the end.
      if (job.source == "fetch") answer(std::move(a));
    }
    path = upload_path();
    channels::StatementFetch fetch{job.merchant_id, job.date, path, options_.fetch_timeout};
    const channels::FetchedStatement got = source.fetch(fetch);
    using S = channels::FetchedStatement::Status;
    if (got.status != S::kOk) {
      const char* code = got.status == S::kNotReady    ? "statement_not_ready"
                         : got.status == S::kNoAccount ? "no_channel_account"
                                                       : "statement_unavailable";
      return record_failed(error_view(code, got.detail, 0));
    }
  }

  // 2. Validation: the whole file, before anything is applied.
  if (auto bad = validate_statement(
          source, path, job.merchant_id,
          source.account_id ? source.account_id(job.merchant_id) : std::string())) {
    if (job.source == "upload") {
      ::unlink(path.c_str());  // before the answer: a refused upload leaves nothing
      path.clear();
      ReconAnswer a = refused(core::Code::kInvalidStatement, line_message(*bad));
      a.line = bad->line;
      return answer(std::move(a));
    }
    return record_failed(error_view("invalid_statement", line_message(*bad), bad->line));
  }
  if (job.source == "upload") {
    run.set_reconciliation_id(store_->next_id());
    if (!store_->put_run(run).is_ok()) {
      return answer(refused(core::Code::kStorageUnavailable,
                            "the reconciliation store could not record the run"));
    }
    ReconAnswer a;
    a.run = run;
    answer(std::move(a));
  }

  // 3. The snapshot's ledger, current.
  {
    auto done = std::make_shared<std::promise<std::pair<bool, std::string>>>();
    auto result = done->get_future();
    engine_.checkpoint([done](bool ok, std::string why) { done->set_value({ok, std::move(why)}); });
    if (result.wait_for(options_.engine_timeout) != std::future_status::ready) {
      return record_failed(error_view("storage", "the engine's checkpoint did not finish", 0));
    }
    auto [ok, why] = result.get();
    if (!ok) return record_failed(error_view("storage", "checkpoint failed: " + why, 0));
  }

  // 4. Classification.
  const storage::StoredOrders& stored = *engine_.env().stored;
  ClassifyRequest request;
  request.source = &source;
  request.path = path;
  request.merchant_id = job.merchant_id;
  request.channel = job.channel;
  request.window = window;
  request.intraday = run.intraday();
  request.hold_days = options_.hold_days;
  request.stored = &stored;
  if (storage::Status st = store_->held(job.merchant_id, job.channel, &request.held); !st.is_ok()) {
    return record_failed(error_view("storage", st.to_string(), 0));
  }
  const ReviewIndex& reviews = *engine_.env().reviews;
  request.has_recon_item = [&reviews](std::string_view payment_no, std::string_view refund_no) {
    return reviews.has_recon_item(payment_no, refund_no);
  };
  Classified rs = classify_statement(request);
  if (rs.parse_error) {
    // The file was checked moments ago: it changed under us. Nothing applied yet.
    return record_failed(
        error_view("invalid_statement", line_message(*rs.parse_error), rs.parse_error->line));
  }
  if (!rs.storage_error.is_ok()) {
    return record_failed(error_view("storage", rs.storage_error.to_string(), 0));
  }
  const core::ReconReport& report = rs.report;
  const auto& line_status = rs.line_status;

  // 5. Effects through the order actors, bounded.
  uint64_t applied = 0, failed = 0;
  const std::string run_id = run.reconciliation_id();
  auto results =
      run_batch(rs.fixes.size(), options_.fixes_in_flight, options_.engine_timeout,
                [&](size_t i, Engine::Done done) {
                  const core::ReconItem& item = rs.fixes[i];
                  core::ChannelNotice notice;
                  notice.kind = item.action == core::ReconAction::kApplySuccess
                                    ? core::ChannelNotice::Kind::kSuccess
                                    : core::ChannelNotice::Kind::kRefundSuccess;
                  notice.payment_no = item.payment_no;
                  notice.refund_no = item.refund_no;
                  notice.channel_trade_no = item.channel_trade_no;
                  notice.amount_minor = item.channel_amount_minor.value_or(0);
                  notice.currency = item.channel_currency;
                  notice.source = "reconciliation";
                  notice.channel_time_ms =
                      rs.line_time_ms[core::recon_subject(item.payment_no, item.refund_no)];
                  engine_.notify(job.channel, std::move(notice), std::move(done), job.merchant_id);
                });
  for (size_t i = 0; i < rs.fixes.size(); ++i) {
    v1::ReconItemView& v = rs.items[rs.fix_items[i]];
    const OrderReply& reply = results[i];
    if (reply.code != core::Code::kOk) {
      ++failed;
      v.set_action("fix_failed");
      v.set_detail(v.detail() + "; the order answered " + std::string(core::to_string(reply.code)) +
                   ": " + reply.message);
      continue;
    }
    ++applied;
    std::string action = "auto_fixed";
    for (const auto& a : reply.order.attempts()) {
      if (a.payment_no() == rs.fixes[i].payment_no &&
          (a.status() == v1::Attempt::AUTO_REFUNDING || a.status() == v1::Attempt::AUTO_REFUNDED) &&
          rs.fixes[i].refund_no.empty()) {
        action = "auto_refunded";
      }
    }
    v.set_action(action);
  }

  // Review items: on their order, or (no order) in the store.
  std::vector<core::ReconReviewCommand> unattached;  // lines no order owns
  std::vector<std::pair<OrderKey, core::ReconReviewCommand>> commands;
  std::vector<size_t> command_items;
  core::LedgerPayment owner;
  for (size_t i = 0; i < rs.reviews.size(); ++i) {
    const core::ReconItem& item = rs.reviews[i];
    core::ReconReviewCommand cmd;
    cmd.reason =
        std::string(core::kReviewReconPrefix) + std::string(core::recon_class_name(item.cls));
    cmd.payment_no = item.payment_no;
    cmd.detail = item.detail;
    cmd.facts.reconciliation_id = run_id;
    cmd.facts.line = item.line;
    cmd.facts.refund_no = item.refund_no;
    cmd.facts.channel_trade_no = item.channel_trade_no;
    cmd.facts.has_channel_amount = item.channel_amount_minor.has_value();
    cmd.facts.channel_amount_minor = item.channel_amount_minor.value_or(0);
    cmd.facts.channel_currency = item.channel_currency;
    cmd.facts.platform_amount_minor = item.platform_amount_minor.value_or(0);
    const std::string subject = core::recon_subject(item.payment_no, item.refund_no);
    if (auto it = line_status.find(subject); it != line_status.end()) {
      cmd.facts.channel_status = it->second.substr(0, it->second.size() - 2);
      cmd.facts.channel_settled = it->second.back() == '1';
    }
    cmd.facts.channel_time_ms = rs.line_time_ms[subject];
    OrderKey key{item.merchant_id, item.merchant_order_no};
    if (key.merchant_order_no.empty() && stored.ledger_payment(item.payment_no, &owner).is_ok() &&
        owner.payment.merchant_id == job.merchant_id) {
      key = OrderKey{owner.payment.merchant_id, owner.payment.merchant_order_no};
    }
    const std::string item_id = core::review_item_id(cmd.reason, subject);
    rs.items[rs.review_items[i]].set_review_item_id(item_id);
    if (key.merchant_order_no.empty()) {
      unattached.push_back(std::move(cmd));
      continue;
    }
    commands.emplace_back(std::move(key), std::move(cmd));
    command_items.push_back(rs.review_items[i]);
  }
  auto review_results = run_batch(commands.size(), options_.fixes_in_flight,
                                  options_.engine_timeout, [&](size_t i, Engine::Done done) {
                                    ReviewMsg msg;
                                    msg.key = commands[i].first;
                                    msg.kind = ReviewMsg::Kind::kReconReview;
                                    msg.recon = commands[i].second;
                                    engine_.review(std::move(msg), std::move(done));
                                  });
  for (size_t i = 0; i < commands.size(); ++i) {
    if (review_results[i].code == core::Code::kOk) continue;
    v1::ReconItemView& v = rs.items[command_items[i]];
    v.set_detail(v.detail() +
                 "; the review item could not be opened: " + review_results[i].message);
  }
  if (!unattached.empty()) {
    std::vector<v1::ReconReviewRecord> fresh;
    std::set<std::string> fresh_ids;
    for (const core::ReconReviewCommand& cmd : unattached) {
      const std::string id = core::review_item_id(
          cmd.reason, core::recon_subject(cmd.payment_no, cmd.facts.refund_no));
      v1::ReconReviewRecord r;
      if (fresh_ids.contains(id) || store_->get_review(id, &r).is_ok()) {
        // Open already (or earlier in this statement), or closed by an
        // operator: nothing new.
        continue;
      }
      fresh_ids.insert(id);
      r.set_item_id(id);
      r.set_reason(cmd.reason);
      r.set_merchant_id(job.merchant_id);
      r.set_payment_no(cmd.payment_no);
      r.set_detail(cmd.detail);
      r.set_opened_ms(now());
      *r.mutable_recon() = core::to_proto(cmd.facts);
      fresh.push_back(std::move(r));
    }
    // One commit for all of them: a statement of many lines oncepay never
    // created (an account other systems use too) must not cost a commit each.
    (void)store_->put_reviews(fresh);
    refresh_unattached(job.merchant_id);
  }
  (void)run_batch(rs.matched_with_items.size(), options_.fixes_in_flight, options_.engine_timeout,
                  [&](size_t i, Engine::Done done) {
                    ReviewMsg msg;
                    msg.key = rs.matched_with_items[i].first;
                    msg.kind = ReviewMsg::Kind::kReconMatched;
                    msg.payment_no = rs.matched_with_items[i].second.payment_no;
                    msg.refund_no = rs.matched_with_items[i].second.refund_no;
                    engine_.review(std::move(msg), std::move(done));
                  });

  // 6. The run's record.
  run.set_status("DONE");
  run.set_finished_at(core::format_time(now()));
  run.set_lines(report.lines);
  for (size_t c = 0; c < core::kReconClassCount; ++c) {
    set_count(run.mutable_counts(), static_cast<core::ReconClass>(c), report.counts[c]);
  }
  run.set_fee_total_milli(report.fee_total_milli_minor);
  const int64_t fee = report.fee_total_milli_minor;
  run.set_fee_total(fee >= 0 ? (fee + 500) / 1000 : -((-fee + 500) / 1000));
  run.set_summary_ok(report.summary_ok);
  run.set_summary_detail(report.summary_detail);
  run.set_fixes_applied(applied);
  run.set_fixes_failed(failed);
  run.set_items_total(rs.items.size());
  v1::ReconciliationView previous;
  if (store_->latest_done(job.merchant_id, job.channel, job.date, run_id, &previous).is_ok()) {
    run.set_previous_reconciliation_id(previous.reconciliation_id());
    for (size_t c = 0; c < core::kReconClassCount; ++c) {
      const auto cls = static_cast<core::ReconClass>(c);
      set_change(run.mutable_changes(), cls,
                 static_cast<int64_t>(report.counts[c]) -
                     static_cast<int64_t>(get_count(previous.counts(), cls)));
    }
  }
  release();
  if (storage::Status st = store_->finish_run(run, rs.items, rs.held); !st.is_ok()) {
    ReconAnswer a = refused(core::Code::kStorageUnavailable, st.to_string());
    return answer(std::move(a));
  }
  ReconAnswer a;
  a.run = run;
  answer(std::move(a));
}

}  // namespace oncepay::actors
