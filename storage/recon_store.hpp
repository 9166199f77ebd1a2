// The reconciliation store (docs/RECONCILIATION.md "Storage"): runs, their
// items, the scratch pool of platform-only successes, and the review items
// no order owns, in their own LMDB environment <data_dir>/recon (a
// SnapshotStore whose LSN is unused), apart from the order snapshot: a run
// writes up to one row per statement line that is not matched, and none of
// it is order state.
//
// Tables (keys: 0x1F separates ids; ids never contain it):
//   runs     reconciliation_id -> v1::ReconciliationView without items
//   items    reconciliation_id 0x1F seq (8 bytes big-endian) -> v1::ReconItemView
//   by_date  date 0x1F merchant_id 0x1F channel 0x1F reconciliation_id -> ""
//   held     merchant_id 0x1F channel 0x1F payment_no -> v1::HeldRecord
//   reviews  item_id -> v1::ReconReviewRecord
// reconciliation_id is "rc_" + 12 decimal digits, increasing: keys sort by
// creation.
//
// Threads and ownership: open() on any thread; every write (begin_run,
// finish_run, put_review) and the scans held()/reviews() from ONE writer
// thread (the reconciliation worker, actors/recon_actor.hpp), which becomes
// the owner on its first call; the readers marked "any thread" may run
// concurrently with it (LMDB readers). The store is kept alive by whoever
// holds the shared_ptr.
//
// Failure modes: LMDB errors come back as Status (a failed commit leaves the
// store sticky-failed, as SnapshotStore); a row that does not parse is
// Status::corruption.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oncepay.pb.h"
#include "storage/snapshot_store.hpp"
#include "storage/status.hpp"

namespace oncepay::storage {

class ReconStore {
 public:
  static Status open(const std::string& dir, std::unique_ptr<ReconStore>* out);

  // A new reconciliation_id (any thread).
  std::string next_id();
  // The newest reconciliation_id given out (or found at open), "" when none
  // (any thread).
  std::string last_id() const;

  // Writer: records the run (status RUNNING or FAILED, no items).
  Status put_run(const v1::ReconciliationView& run);
  // Writer: the run's final record, its items (seq from 1), the scratch
  // pool's changes of its merchant and channel, in ONE transaction.
  struct HeldChange {
    std::string payment_no;
    std::optional<v1::HeldRecord> record;  // nullopt: released
  };
  Status finish_run(const v1::ReconciliationView& run, const std::vector<v1::ReconItemView>& items,
                    const std::vector<HeldChange>& held);
  // Writer: one review item no order owns (put or replace).
  Status put_review(const v1::ReconReviewRecord& review);
  // Writer: many at once, in one transaction (a run's items: one commit,
  // not one per line).
  Status put_reviews(const std::vector<v1::ReconReviewRecord>& reviews);

  // Writer: the scratch pool of a merchant and channel.
  Status held(const std::string& merchant_id, const std::string& channel,
              std::vector<std::pair<std::string, v1::HeldRecord>>* out) const;

  // Any thread.
  Status get_run(const std::string& id, v1::ReconciliationView* out) const;
  // Items after seq `after` (0: from the first), at most `limit`; *next is
  // the last seq returned when more follow, else 0.
  Status items(const std::string& id, uint64_t after, size_t limit,
               std::vector<v1::ReconItemView>* out, uint64_t* next) const;
  // Runs of a business day, newest first.
  Status runs_of_date(const std::string& date, std::vector<v1::ReconciliationView>* out) const;
  // The newest DONE run of (merchant, channel, date) other than `except`;
  // not_found if none.
  Status latest_done(const std::string& merchant_id, const std::string& channel,
                     const std::string& date, const std::string& except,
                     v1::ReconciliationView* out) const;
  Status get_review(const std::string& item_id, v1::ReconReviewRecord* out) const;
  // Every review item no order owns that is still open.
  Status open_reviews(std::vector<v1::ReconReviewRecord>* out) const;

 private:
  explicit ReconStore(std::unique_ptr<SnapshotStore> store, uint64_t last_seq);
  std::unique_ptr<SnapshotStore> store_;
  std::atomic<uint64_t> seq_;
};

}  // namespace oncepay::storage
