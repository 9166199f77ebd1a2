// The reconciliation runs (docs/RECONCILIATION.md): one channel statement
// of one merchant's business day, fetched from the channel or uploaded,
// checked, classified against oncepay's ledger (core/recon_decide.hpp), its
// fixes applied through the order actors, and the run kept in the
// reconciliation store (storage/recon_store.hpp). Also the daily schedule.
//
// A run, in order:
//  1. the statement file: the channel's fetch (ChannelEntry::statements) or
//     the upload's file (the HTTP server streamed it to the work dir);
//  2. validation: the whole file is parsed once and every line's and the
//     summary's account id checked against the merchant's
//     (statements.account_id). A bad file ends here: an upload is answered
//     400 invalid_statement (error.line) and leaves no run; a fetched one
//     leaves a FAILED run. Nothing is applied either way.
//  3. the engine checkpoints, so the snapshot's ledger (recon_payments,
//     recon_days) holds every durable event up to now;
//  4. classification: the file is parsed again, streaming, each line
//     classified with the ledger (find_payment reads recon_payments; the
//     day's successes and refunds stream from recon_days; the scratch pool
//     from the store). Only items that are not `matched` are kept;
//  5. effects, through the Engine (order actors): channel_only_success ->
//     a ChannelNotice success from source "reconciliation" (the order's own
//     rules: PAID + webhook, or an automatic refund); a refund oncepay has
//     pending and the channel settled -> a refund success; review classes ->
//     a recon_<class> review item on the order (ReviewMsg), or, for a line
//     naming no payment oncepay created, an item in the store that the
//     review list shows; a matched payment or refund with an open recon
//     item -> that item closes (the channel corrected its record);
//  6. the run's record (DONE, counts, changes against the previous DONE run
//     of the same merchant, channel and date), its items and the scratch
//     pool's changes, in one store transaction.
// Re-running a day classifies the same lines the same way against the new
// state: a fixed order is `matched`, an open item is not opened twice, and a
// dismissed one is not opened again for the same discrepancy.
//
// Threads and ownership: not an actor. A Reconciler owns one worker thread
// that runs the jobs one at a time (parsing, LMDB writes and the channel's
// HTTP fetch block, which a CAF worker must not). submit() and the getters
// may be called from any thread; every callback (the submit's answer) runs
// on the worker. Waits on the engine are bounded (ReconOptions::
// engine_timeout): a checkpoint or fix that does not answer fails the run
// (fixes: the item says fix_failed; the next run finds the line again).
// The Engine, the registry and the store must outlive the Reconciler; stop()
// (or the destructor) finishes the job in progress and joins.
//
// Failure modes: a FAILED run says why (ReconErrorView: invalid_statement
// with the line, statement_not_ready, statement_unavailable,
// no_channel_account, storage; interrupted: the daemon stopped during it,
// found when the worker starts). A store write that fails leaves the run
// RUNNING in the store (storage health is the store's own).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/engine.hpp"
#include "actors/recon_calendar.hpp"
#include "channels/registry.hpp"
#include "core/codes.hpp"
#include "core/statement.hpp"
#include "oncepay.pb.h"
#include "storage/recon_store.hpp"

namespace oncepay::actors {

struct ReconOptions {
  std::string timezone = "Asia/Shanghai";       // recon.timezone
  std::string daily_at = "10:00";               // recon.daily-at; "" = no schedule
  int32_t hold_days = 3;                        // recon.hold-days
  uint64_t max_statement_bytes = 256ull << 20;  // recon.max-statement-bytes
  // recon.retry-ladder: when the channel's statement is not ready yet, the
  // schedule asks again after each offset (from the first try).
  std::vector<std::chrono::milliseconds> retry_ladder = {
      std::chrono::minutes(30), std::chrono::hours(1), std::chrono::hours(2), std::chrono::hours(4),
      std::chrono::hours(8)};
  std::chrono::milliseconds fetch_timeout{30'000};
  std::chrono::milliseconds engine_timeout{60'000};  // checkpoint, and all fixes of a run
  size_t fixes_in_flight = 256;                      // order requests at once
  std::string work_dir;  // statement files (uploads, fetches); created 0700
  // The wall clock (tests pass their own).
  std::function<int64_t()> now_ms;
};

struct ReconAnswer {
  core::Code code = core::Code::kAccepted;
  std::string message;
  uint64_t line = 0;           // kInvalidStatement
  v1::ReconciliationView run;  // kAccepted: the run (RUNNING)
};

class Reconciler {
 public:
  Reconciler(Engine& engine, const channels::ChannelRegistry& registry,
             std::shared_ptr<storage::ReconStore> store, ReconCalendar calendar,
             ReconOptions options);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Starts the worker (and the schedule when recon.daily-at is set). Also
  // puts the store's open review items that no order owns on the engine's
  // review list.
  void start();
  void stop();
  // Makes the worker look at its schedule now (ReconOptions::now_ms may
  // have moved: tests; the daemon's clock needs no wake-up).
  void wake();

  struct Job {
    std::string merchant_id;
    std::string channel;
    std::string date;                       // YYYY-MM-DD
    std::string source;                     // "upload" | "fetch" | "schedule"
    std::string upload_path;                // upload: the statement file (the run removes it)
    std::function<void(ReconAnswer)> done;  // on the worker; may be empty
  };
  // Checks the job (merchant, channel with statements, date, a run of the
  // same key not in progress) and queues it. An upload is answered after
  // validation (kAccepted with the RUNNING run, or kInvalidStatement); a
  // fetch as soon as its run is recorded. A refusal is answered at once
  // (on the caller's thread) and an upload file is removed.
  void submit(Job job);

  // A fresh path in the work dir for an upload (the HTTP server creates it).
  std::string upload_path();
  uint64_t max_statement_bytes() const { return options_.max_statement_bytes; }
  const ReconCalendar& calendar() const { return calendar_; }
  storage::ReconStore& store() { return *store_; }

  // POST /admin/review/{item_id}/resolve for an item no order owns (a
  // statement line naming no payment of oncepay): dismiss or trust_platform
  // (trust_channel is kResolutionNotApplicable: there is nothing to apply
  // it to). kReviewItemNotFound when the store has no open item of that id.
  // `done` runs on the worker (after the job in progress, if any).
  void resolve_unattached(const core::ResolveCommand& command,
                          std::function<void(core::Code, std::string)> done);

 private:
  void run();
  void fail_interrupted_run();
  void run_job(Job& job);
  void schedule_due();
  int64_t now() const;

  Engine& engine_;
  const channels::ChannelRegistry& registry_;
  std::shared_ptr<storage::ReconStore> store_;
  ReconCalendar calendar_;
  ReconOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;                     // guarded by mu_
  std::set<std::string> busy_;               // merchant|channel|date queued or running; mu_
  bool stop_ = false;                        // guarded by mu_
  std::optional<int64_t> next_schedule_ms_;  // guarded by mu_
  // schedule retries: (due_ms, job key, ladder step)
  struct Retry {
    int64_t due_ms;
    std::string merchant_id, channel, date;
    size_t step;
    int64_t first_ms;
  };
  std::vector<Retry> retries_;   // guarded by mu_
  uint64_t upload_counter_ = 0;  // guarded by mu_
  void refresh_unattached(const std::string& merchant_id);
  std::thread thread_;
};

}  // namespace oncepay::actors
