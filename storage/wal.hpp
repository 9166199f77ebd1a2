// Wal: the write-ahead log. Opaque byte payloads are appended with a
// monotonically increasing LSN, made durable in groups (one write and one
// fdatasync per batch of many appends: group commit), and replayed in LSN
// order after a restart. The storage layer knows nothing of orders; the
// caller decides what a payload means (oncepay puts a serialized
// oncepay.v1.WalRecord in it: docs/DURABILITY.md). On-disk format:
// docs/WAL.md, wal_format.hpp.
//
// Threads and ownership
// - open() returns the Wal in *out; the caller owns it. open() starts one
//   writer thread owned by the Wal; close() (or the destructor) drains the
//   queue and joins it.
// - append() may be called from any number of threads at once. Every `done`
//   callback runs ON THE WRITER THREAD, one at a time, in LSN order. A done
//   callback must be short, must not block and must not throw: hand the
//   result to its owner (e.g. send an actor message) and return. While it
//   runs, the next batch waits. It must NOT call append() or close() on this
//   Wal (asserted in debug builds): the writer would wait for itself.
// - Back-pressure: append() blocks the calling thread while
//   WalOptions::max_queue_records appends are queued and not yet written.
// - replay() may be called from any thread, before or while appends run; it
//   reads only records that were durable when it was called. replay() and
//   remove_segments_before() exclude each other (a mutex), so a removal waits
//   for a running replay.
// - last_lsn(), healthy(), stats(), recovery() may be called from any thread.
// - Inline mode (WalOptions::writer_thread = false, for deterministic runs on
//   one thread: the fault simulation, docs/SIMULATION.md): open() starts no
//   thread; append() only queues (it never blocks) and write_queued() does
//   the writer's work on the calling thread: every queued append is written
//   and fdatasynced in group commits and its done callback runs there, before
//   write_queued() returns. close() writes what is still queued the same way.
//   The owner serializes append(), write_queued() and close().
//
// Failure modes
// - open() refuses (Status::corruption naming the file and byte offset) when
//   a segment header is wrong, segments do not follow each other, an LSN is
//   out of sequence, or a bad record is followed by valid ones or sits in a
//   segment other than the last. Only a bad TAIL of the last segment (a torn
//   write: the bytes after the last whole record that contain no valid record)
//   is cut off; recovery() reports what was cut. Nothing is skipped silently.
// - A failed write or fdatasync makes the Wal sticky-failed (STYLE rule 8):
//   the failing batch's callbacks and every later append's callback get that
//   error, healthy() turns false, and nothing more is written. A record whose
//   callback got an error has an UNKNOWN outcome: it may or may not be there
//   after a restart. The process should stop accepting work and restart;
//   recovery then decides.
// - append() of a payload larger than wal_format::kMaxPayloadBytes completes
//   (on the writer thread) with Status::invalid_argument and takes no LSN.
// - Only one Wal may have a directory open: a LOCK file is flock()ed.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/histogram.hpp"
#include "storage/status.hpp"
#include "storage/wal_format.hpp"

namespace oncepay::storage {

struct WalOptions {
  // Directory holding the segments; created (one level) if it is missing.
  std::string dir;
  // A new segment is started before a batch would take the active segment
  // past this size (a segment holds at least one batch, so one batch larger
  // than this makes a larger segment).
  std::size_t segment_bytes = 64 * wal_format::kMiB;
  // Limits of one group commit (the batch always takes at least one record).
  std::size_t max_batch_records = 4096;
  std::size_t max_batch_bytes = 4 * wal_format::kMiB;
  // Back-pressure bound: append() blocks while this many appends are queued.
  std::size_t max_queue_records = 65536;
  // false skips every fdatasync: records survive a process crash but not a
  // power loss. For tests and benchmarks only.
  bool fsync = true;
  // Test hook: when set, called instead of ::fdatasync(fd) for each batch.
  // Must return 0 or -1 with errno set, like fdatasync.
  std::function<int(int fd)> fdatasync_hook;
  // false: inline mode (see the header comment): no writer thread, the owner
  // calls write_queued(). Deterministic simulations only.
  bool writer_thread = true;
};

struct WalStats {
  std::uint64_t records = 0;  // records made durable since open
  std::uint64_t batches = 0;  // group commits (writes) since open
  std::uint64_t fsyncs = 0;   // batch fdatasync calls since open
  std::uint64_t bytes = 0;    // record bytes written since open (headers included)
};

// Distributions of the group commit, for /metrics: records per batch and
// the duration of each batch's fdatasync (only when fsync is on). Lock-free;
// read them from any thread.
struct WalHistograms {
  core::AtomicHistogram batch_records{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}};
  core::AtomicHistogram fsync_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

// What open() found and did, for the startup log.
struct WalRecovery {
  std::uint64_t segments = 0;         // segment files found (0: a new log)
  std::uint64_t records = 0;          // whole records found
  std::uint64_t truncated_bytes = 0;  // bytes cut from the last segment's tail
  std::string truncated_file;         // the file cut, empty if none
  bool rewrote_torn_header = false;   // the last segment's header was torn
};

class Wal {
 public:
  using DoneFn = std::function<void(std::uint64_t lsn, Status status)>;
  using ReplayFn = std::function<void(std::uint64_t lsn, std::string_view payload)>;

  // Opens (or creates) the log in options.dir, validates every segment,
  // cuts a torn tail of the last one (and fsyncs it), and starts the writer
  // thread. On failure *out is left empty.
  static Status open(const WalOptions& options, std::unique_ptr<Wal>* out);

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;
  // Calls close().
  ~Wal();

  // Calls fn(lsn, payload) for every durable record with lsn > after_lsn, in
  // LSN order, on the calling thread. payload is valid during the call only;
  // fn must not call remove_segments_before() (it waits for the replay).
  // Returns corruption if records after after_lsn were removed (the log
  // starts later than after_lsn + 1), if after_lsn is beyond the log's last
  // lsn (a snapshot ahead of its log), or if a file changed since open().
  Status replay(std::uint64_t after_lsn, const ReplayFn& fn) const;

  // Queues payload; done(lsn, status) is called on the writer thread once the
  // batch holding it is durable (ok) or failed. lsn is meaningful only when
  // status is ok (it is the assigned lsn, or 0 if none was assigned). Blocks
  // while the queue is full. After close() it does not queue: done(0,
  // invalid_argument) is called at once, on the calling thread.
  void append(std::string payload, DoneFn done);

  // Inline mode only: writes every queued append (group commits, as the
  // writer thread would) and runs their callbacks on the calling thread.
  void write_queued();

  // Deletes whole segments whose records all have lsn <= lsn (call after a
  // checkpoint covering them is durable). Never deletes the active segment.
  // Deletes oldest first and stops at the first failure, so the remaining
  // segments never have a gap. fsyncs the directory.
  Status remove_segments_before(std::uint64_t lsn);

  // The highest durable lsn (0 for an empty log).
  std::uint64_t last_lsn() const;
  // False once a write or fdatasync failed (sticky).
  bool healthy() const;
  WalStats stats() const;
  const WalHistograms& histograms() const { return histograms_; }
  const WalRecovery& recovery() const { return recovery_; }

  // Writes every queued append, completes its callback, and joins the writer
  // thread. Idempotent. After close() only the const methods may be called.
  void close();

 private:
  struct Pending {
    std::uint64_t lsn = 0;  // 0: rejected, never written
    std::string payload;
    DoneFn done;
    Status rejected;  // why, when lsn == 0
  };
  struct Segment {
    std::uint64_t first_lsn = 0;
    std::string path;
  };

  explicit Wal(WalOptions options);

  Status recover();
  Status open_active_segment(std::uint64_t size_bytes);
  Status create_segment(std::uint64_t first_lsn);
  Status write_batch(const std::vector<Pending>& batch);
  Status maybe_roll(std::size_t batch_bytes, std::uint64_t batch_first_lsn);
  int sync_data(int fd);
  void writer_loop();
  // One group commit: takes a batch from the queue (false when the queue is
  // empty), writes it and runs its callbacks. Writer thread or write_queued().
  bool write_one_batch(std::vector<Pending>& batch);

  const WalOptions options_;
  int lock_fd_ = -1;
  WalRecovery recovery_;

  // Writer-thread state (and open()/close(), which do not overlap it).
  int active_fd_ = -1;
  std::string active_path_;
  std::uint64_t active_size_ = 0;
  std::string batch_buffer_;
  std::thread writer_;
  std::thread::id writer_id_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;                 // writer waits for appends or close
  std::condition_variable space_cv_;                // appenders wait for queue space
  std::deque<Pending> queue_;                       // guarded by mu_
  std::vector<Segment> segments_;                   // guarded by mu_; back() is active
  std::uint64_t next_lsn_ = wal_format::kFirstLsn;  // guarded by mu_
  std::uint64_t durable_lsn_ = 0;                   // guarded by mu_
  std::uint64_t durable_size_ = 0;                  // guarded by mu_; active segment bytes durable
  Status failure_;                                  // guarded by mu_; sticky
  bool closing_ = false;                            // guarded by mu_
  bool writer_done_ = false;                        // guarded by mu_
  WalStats stats_;                                  // guarded by mu_
  WalHistograms histograms_;                        // lock-free
  std::mutex close_mu_;                             // serializes close()
  mutable std::mutex files_mu_;                     // replay() vs remove_segments_before()
};

}  // namespace oncepay::storage
