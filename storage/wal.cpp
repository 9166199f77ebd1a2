// Wal: see wal.hpp for the contract and docs/WAL.md for the format and the
// recovery rules implemented by recover() and scan_segment().
#include "storage/wal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/check.hpp"

namespace oncepay::storage {
namespace {

namespace fmt = wal_format;

constexpr const char* kLockFileName = "LOCK";
// Replay and recovery read a segment in one go; this bounds the read size of
// one call (a segment may be larger and is read in several calls).
constexpr std::size_t kReadChunkBytes = 8 * fmt::kMiB;

Status errno_status(const std::string& what, const std::string& path, int err) {
  return Status::io_error(what + " " + path + ": " + std::strerror(err));
}

Status corruption_at(const std::string& path, std::uint64_t offset, std::string_view reason) {
  return Status::corruption(path + " at byte offset " + std::to_string(offset) + ": " +
                            std::string(reason));
}

std::string join_path(const std::string& dir, const std::string& name) { return dir + "/" + name; }

// Reads at most max_bytes of the file at path into *out.
Status read_file(const std::string& path, std::uint64_t max_bytes, std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_status("fstat", path, err);
  }
  const std::uint64_t size =
      std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), max_bytes);
  out->resize(size);
  std::uint64_t done = 0;
  while (done < size) {
    const std::size_t want = std::min<std::uint64_t>(size - done, kReadChunkBytes);
    const ssize_t n = ::pread(fd, out->data() + done, want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errno_status("read", path, err);
    }
    if (n == 0) break;  // the file shrank under us; the caller sees fewer bytes
    done += static_cast<std::uint64_t>(n);
  }
  out->resize(done);
  ::close(fd);
  return Status::ok();
}

// Writes all of data at offset; a short write is retried, an error is final.
Status pwrite_all(int fd, std::string_view data, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("write", path, errno);
    done += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

Status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("open directory", dir, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_status("fsync directory", dir, err);
  }
  ::close(fd);
  return Status::ok();
}

// Segment files of dir in LSN order. Other files (LOCK, strays) are ignored.
Status list_segments(const std::string& dir,
                     std::vector<std::pair<std::uint64_t, std::string>>* out) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Status::io_error("list " + dir + ": " + ec.message());
  for (const auto& entry : it) {
    std::uint64_t first_lsn = 0;
    const std::string name = entry.path().filename().string();
    if (fmt::parse_segment_file_name(name, &first_lsn)) {
      out->emplace_back(first_lsn, join_path(dir, name));
    }
  }
  std::sort(out->begin(), out->end());
  return Status::ok();
}

// True if a record that checks out (length in range, checksum right, lsn in
// the range a later record could have) starts anywhere in data[from, end).
// Used to tell a torn tail (nothing valid after the bad bytes) from damage
// in the middle of the log (valid records after the bad bytes).
bool valid_record_follows(std::string_view data, std::size_t from, std::uint64_t expected_lsn) {
  if (data.size() < fmt::kRecordHeaderSize) return false;
  const std::uint64_t max_lsn = expected_lsn + data.size() / fmt::kRecordHeaderSize;
  for (std::size_t pos = from; pos + fmt::kRecordHeaderSize <= data.size(); ++pos) {
    // Cheap filter first: the lsn field must be plausible before the
    // checksum is worth computing.
    std::uint64_t lsn = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      lsn |= std::uint64_t{static_cast<unsigned char>(data[pos + fmt::kRecordLengthBytes + i])}
             << (8 * i);
    }
    if (lsn < expected_lsn || lsn > max_lsn) continue;
    fmt::RecordView record;
    if (fmt::decode_record(data.substr(pos), &record) == fmt::DecodeResult::kOk) return true;
  }
  return false;
}

struct SegmentScan {
  std::uint64_t last_lsn = 0;  // first_lsn - 1 when the segment has no record
  std::uint64_t records = 0;
  std::uint64_t valid_bytes = 0;  // header + whole records
  bool torn_header = false;       // the header itself was never completely written
};

bool all_zero(std::string_view data) {
  return std::all_of(data.begin(), data.end(), [](char c) { return c == 0; });
}

// Validates one segment's bytes (the recovery rules of docs/WAL.md). Only the
// last segment may end in a bad tail, and only if no valid record follows.
Status scan_segment(std::string_view data, const std::string& path, std::uint64_t name_lsn,
                    bool is_last, SegmentScan* scan) {
  const bool short_or_zero_header =
      data.size() < fmt::kFileHeaderSize || (data.size() == fmt::kFileHeaderSize && all_zero(data));
  if (is_last && short_or_zero_header) {
    // A crash while a new segment was being created: no record can be in it.
    scan->torn_header = true;
    scan->last_lsn = name_lsn - 1;
    scan->valid_bytes = 0;
    return Status::ok();
  }
  std::uint64_t header_lsn = 0;
  Status s = fmt::decode_file_header(data, &header_lsn);
  if (!s.is_ok()) return corruption_at(path, 0, s.message());
  if (header_lsn != name_lsn) {
    return corruption_at(path, 0,
                         "file header says first lsn " + std::to_string(header_lsn) +
                             " but the file name says " + std::to_string(name_lsn));
  }
  std::size_t offset = fmt::kFileHeaderSize;
  std::uint64_t expected = name_lsn;
  while (offset < data.size()) {
    fmt::RecordView record;
    const fmt::DecodeResult r = fmt::decode_record(data.substr(offset), &record);
    if (r == fmt::DecodeResult::kOk) {
      if (record.lsn != expected) {
        // A whole, checksummed record cannot come from a torn write.
        return corruption_at(path, offset,
                             "record has lsn " + std::to_string(record.lsn) + ", expected " +
                                 std::to_string(expected));
      }
      offset += record.encoded_bytes;
      ++expected;
      continue;
    }
    if (!is_last) {
      return corruption_at(path, offset, std::string(fmt::to_string(r)) + " in a closed segment");
    }
    if (valid_record_follows(data, offset + 1, expected)) {
      return corruption_at(path, offset,
                           std::string(fmt::to_string(r)) + " followed by valid records");
    }
    break;  // a torn tail: cut at offset
  }
  scan->last_lsn = expected - 1;
  scan->records = expected - name_lsn;
  scan->valid_bytes = offset;
  return Status::ok();
}

// Cuts the file at path to size bytes (and then, if rewrite_header, writes a
// fresh header for first_lsn) and makes that durable.
Status repair_last_segment(const std::string& path, std::uint64_t size, bool rewrite_header,
                           std::uint64_t first_lsn) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("open", path, errno);
  Status s;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) s = errno_status("truncate", path, errno);
  if (s.is_ok() && rewrite_header) {
    std::string header;
    fmt::append_file_header(first_lsn, &header);
    s = pwrite_all(fd, header, 0, path);
  }
  if (s.is_ok() && ::fsync(fd) != 0) s = errno_status("fsync", path, errno);
  ::close(fd);
  return s;
}

}  // namespace

Wal::Wal(WalOptions options) : options_(std::move(options)) {}

Wal::~Wal() { close(); }

Status Wal::open(const WalOptions& options, std::unique_ptr<Wal>* out) {
  out->reset();
  if (options.dir.empty()) return Status::invalid_argument("WalOptions::dir is empty");
  if (options.max_batch_records == 0 || options.max_batch_bytes == 0 ||
      options.max_queue_records == 0 || options.segment_bytes <= fmt::kFileHeaderSize) {
    return Status::invalid_argument("WalOptions limits must be positive");
  }
  std::unique_ptr<Wal> wal(new Wal(options));
  Status s = wal->recover();
  if (!s.is_ok()) {
    wal->close();
    return s;
  }
  if (options.writer_thread) {
    wal->writer_ = std::thread([w = wal.get()] { w->writer_loop(); });
    wal->writer_id_ = wal->writer_.get_id();
  }
  *out = std::move(wal);
  return Status::ok();
}

Status Wal::recover() {
  const std::string& dir = options_.dir;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_status("create directory", dir, errno);
  }
  const std::string lock_path = join_path(dir, kLockFileName);
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return errno_status("open", lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return errno_status("lock (is another Wal using this directory?)", lock_path, errno);
  }

  std::vector<std::pair<std::uint64_t, std::string>> files;
  Status s = list_segments(dir, &files);
  if (!s.is_ok()) return s;
  if (files.empty()) return create_segment(fmt::kFirstLsn);
  recovery_.segments = files.size();

  std::uint64_t last_lsn = 0;
  SegmentScan scan;
  std::string data;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [first_lsn, path] = files[i];
    if (first_lsn < fmt::kFirstLsn) return corruption_at(path, 0, "segment starts at lsn 0");
    if (i > 0 && first_lsn != last_lsn + 1) {
      return corruption_at(path, 0,
                           "segment starts at lsn " + std::to_string(first_lsn) +
                               " but the previous segment ends at lsn " + std::to_string(last_lsn) +
                               " (missing records)");
    }
    s = read_file(path, UINT64_MAX, &data);
    if (!s.is_ok()) return s;
    scan = SegmentScan{};
    const bool is_last = i + 1 == files.size();
    s = scan_segment(data, path, first_lsn, is_last, &scan);
    if (!s.is_ok()) return s;
    last_lsn = scan.last_lsn;
    recovery_.records += scan.records;
  }

  const auto& [active_first_lsn, active_path] = files.back();
  std::uint64_t active_size = scan.valid_bytes;
  if (scan.torn_header) {
    s = repair_last_segment(active_path, 0, /*rewrite_header=*/true, active_first_lsn);
    if (s.is_ok()) s = fsync_dir(dir);
    if (!s.is_ok()) return s;
    recovery_.rewrote_torn_header = true;
    active_size = fmt::kFileHeaderSize;
  } else if (scan.valid_bytes < data.size()) {
    s = repair_last_segment(active_path, scan.valid_bytes, /*rewrite_header=*/false, 0);
    if (!s.is_ok()) return s;
    recovery_.truncated_bytes = data.size() - scan.valid_bytes;
    recovery_.truncated_file = active_path;
  }
  for (const auto& [first_lsn, path] : files) segments_.push_back(Segment{first_lsn, path});
  next_lsn_ = last_lsn + 1;
  durable_lsn_ = last_lsn;
  return open_active_segment(active_size);
}

Status Wal::open_active_segment(std::uint64_t size_bytes) {
  active_path_ = segments_.back().path;
  active_fd_ = ::open(active_path_.c_str(), O_WRONLY | O_CLOEXEC);
  if (active_fd_ < 0) return errno_status("open", active_path_, errno);
  active_size_ = size_bytes;
  durable_size_ = size_bytes;
  return Status::ok();
}

Status Wal::create_segment(std::uint64_t first_lsn) {
  const std::string path = join_path(options_.dir, fmt::segment_file_name(first_lsn));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("create", path, errno);
  std::string header;
  fmt::append_file_header(first_lsn, &header);
  Status s = pwrite_all(fd, header, 0, path);
  if (s.is_ok() && ::fsync(fd) != 0) s = errno_status("fsync", path, errno);
  // The new name must be durable before any record in it is acknowledged.
  if (s.is_ok()) s = fsync_dir(options_.dir);
  if (!s.is_ok()) {
    ::close(fd);
    return s;
  }
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = fd;
  active_path_ = path;
  active_size_ = header.size();
  std::lock_guard lock(mu_);
  segments_.push_back(Segment{first_lsn, path});
  durable_size_ = active_size_;
  return Status::ok();
}

Status Wal::maybe_roll(std::size_t batch_bytes, std::uint64_t batch_first_lsn) {
  const bool has_records = active_size_ > fmt::kFileHeaderSize;
  if (!has_records || active_size_ + batch_bytes <= options_.segment_bytes) return Status::ok();
  return create_segment(batch_first_lsn);
}

int Wal::sync_data(int fd) {
  if (options_.fdatasync_hook) return options_.fdatasync_hook(fd);
  return ::fdatasync(fd);
}

Status Wal::write_batch(const std::vector<Pending>& batch) {
  batch_buffer_.clear();
  std::uint64_t first_lsn = 0;
  std::uint64_t last_lsn = 0;
  std::uint64_t records = 0;
  for (const Pending& p : batch) {
    if (p.lsn == 0) continue;  // rejected at append()
    ONCEPAY_CHECK(last_lsn == 0 || p.lsn == last_lsn + 1);
    if (first_lsn == 0) first_lsn = p.lsn;
    last_lsn = p.lsn;
    fmt::append_record(p.lsn, p.payload, &batch_buffer_);
    ++records;
  }
  if (records == 0) return Status::ok();

  Status s = maybe_roll(batch_buffer_.size(), first_lsn);
  if (!s.is_ok()) return s;
  s = pwrite_all(active_fd_, batch_buffer_, active_size_, active_path_);
  if (!s.is_ok()) return s;
  const bool synced = options_.fsync;
  if (synced) {
    const auto start = std::chrono::steady_clock::now();
    if (sync_data(active_fd_) != 0) return errno_status("fdatasync", active_path_, errno);
    histograms_.fsync_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  histograms_.batch_records.observe(static_cast<double>(records));
  active_size_ += batch_buffer_.size();

  std::lock_guard lock(mu_);
  ONCEPAY_CHECK(first_lsn == durable_lsn_ + 1);
  durable_lsn_ = last_lsn;
  durable_size_ = active_size_;
  stats_.records += records;
  stats_.batches += 1;
  stats_.fsyncs += synced ? 1 : 0;
  stats_.bytes += batch_buffer_.size();
  return Status::ok();
}

bool Wal::write_one_batch(std::vector<Pending>& batch) {
  batch.clear();
  Status failure;
  {
    std::unique_lock lock(mu_);
    if (queue_.empty()) return false;
    std::size_t bytes = 0;
    while (!queue_.empty() && batch.size() < options_.max_batch_records) {
      Pending& next = queue_.front();
      const std::size_t size = next.lsn == 0 ? 0 : fmt::encoded_record_size(next.payload.size());
      if (!batch.empty() && bytes + size > options_.max_batch_bytes) break;
      bytes += size;
      batch.push_back(std::move(next));
      queue_.pop_front();
    }
    failure = failure_;
  }
  space_cv_.notify_all();

  Status s = failure.is_ok() ? write_batch(batch) : failure;
  if (!s.is_ok() && failure.is_ok()) {
    std::lock_guard lock(mu_);
    failure_ = s;  // sticky: nothing more is written (STYLE rule 8)
  }
  for (Pending& p : batch) p.done(p.lsn, p.lsn == 0 ? p.rejected : s);
  return true;
}

void Wal::writer_loop() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) {  // closing and drained
        writer_done_ = true;
        break;
      }
    }
    write_one_batch(batch);
  }
  space_cv_.notify_all();
}

void Wal::write_queued() {
  ONCEPAY_CHECK(!options_.writer_thread && "write_queued() is for inline mode");
  std::vector<Pending> batch;
  while (write_one_batch(batch)) {
  }
}

void Wal::append(std::string payload, DoneFn done) {
  ONCEPAY_CHECK(std::this_thread::get_id() != writer_id_ && "append() from a done callback");
  Pending p;
  p.payload = std::move(payload);
  p.done = std::move(done);
  std::unique_lock lock(mu_);
  // Inline mode never waits: only write_queued(), on this thread, makes room.
  space_cv_.wait(lock, [this] {
    return !options_.writer_thread || queue_.size() < options_.max_queue_records || writer_done_ ||
           closing_;
  });
  if (closing_ || writer_done_) {
    lock.unlock();
    p.done(0, Status::invalid_argument("append to a closed Wal"));
    return;
  }
  if (p.payload.size() > fmt::kMaxPayloadBytes) {
    p.rejected = Status::invalid_argument("payload of " + std::to_string(p.payload.size()) +
                                          " bytes exceeds the maximum of " +
                                          std::to_string(fmt::kMaxPayloadBytes));
  } else if (!failure_.is_ok()) {
    p.rejected = failure_;
  } else {
    p.lsn = next_lsn_++;
  }
  queue_.push_back(std::move(p));
  lock.unlock();
  work_cv_.notify_one();
}

Status Wal::replay(std::uint64_t after_lsn, const ReplayFn& fn) const {
  std::lock_guard files_lock(files_mu_);
  std::vector<Segment> segments;
  std::uint64_t durable_lsn = 0;
  std::uint64_t durable_size = 0;
  {
    std::lock_guard lock(mu_);
    segments = segments_;
    durable_lsn = durable_lsn_;
    durable_size = durable_size_;
  }
  ONCEPAY_CHECK(!segments.empty());
  if (after_lsn > durable_lsn) {
    return Status::corruption("replay after lsn " + std::to_string(after_lsn) +
                              " but the log ends at lsn " + std::to_string(durable_lsn) +
                              " (is the snapshot ahead of its log?)");
  }
  if (segments.front().first_lsn > after_lsn + 1) {
    return Status::corruption("replay needs lsn " + std::to_string(after_lsn + 1) +
                              " but the log starts at lsn " +
                              std::to_string(segments.front().first_lsn) +
                              " (segments removed before a checkpoint covered them?)");
  }
  std::string data;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const bool is_last = i + 1 == segments.size();
    const std::uint64_t end_lsn = is_last ? durable_lsn + 1 : segments[i + 1].first_lsn;
    if (end_lsn <= after_lsn + 1) continue;  // every record in it is <= after_lsn
    const Segment& segment = segments[i];
    Status s = read_file(segment.path, is_last ? durable_size : UINT64_MAX, &data);
    if (!s.is_ok()) return s;
    std::uint64_t header_lsn = 0;
    s = fmt::decode_file_header(data, &header_lsn);
    if (!s.is_ok()) return corruption_at(segment.path, 0, s.message());
    if (header_lsn != segment.first_lsn) {
      return corruption_at(segment.path, 0, "file header lsn changed since open");
    }
    std::size_t offset = fmt::kFileHeaderSize;
    std::uint64_t expected = segment.first_lsn;
    while (offset < data.size()) {
      fmt::RecordView record;
      const fmt::DecodeResult r =
          fmt::decode_record(std::string_view(data).substr(offset), &record);
      if (r != fmt::DecodeResult::kOk)
        return corruption_at(segment.path, offset, fmt::to_string(r));
      if (record.lsn != expected) {
        return corruption_at(segment.path, offset,
                             "record has lsn " + std::to_string(record.lsn) + ", expected " +
                                 std::to_string(expected));
      }
      if (record.lsn > after_lsn) fn(record.lsn, record.payload);
      offset += record.encoded_bytes;
      ++expected;
    }
    if (expected != end_lsn) {
      return corruption_at(segment.path, offset,
                           "segment ends before lsn " + std::to_string(end_lsn - 1));
    }
  }
  return Status::ok();
}

Status Wal::remove_segments_before(std::uint64_t lsn) {
  std::lock_guard files_lock(files_mu_);
  std::vector<Segment> victims;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
      if (segments_[i + 1].first_lsn - 1 > lsn) break;  // holds a record > lsn
      victims.push_back(segments_[i]);
    }
  }
  Status s;
  std::size_t removed = 0;
  for (const Segment& victim : victims) {
    if (::unlink(victim.path.c_str()) != 0) {
      s = errno_status("remove", victim.path, errno);
      break;
    }
    ++removed;
  }
  if (removed == 0) return s;
  {
    std::lock_guard lock(mu_);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removed));
  }
  Status synced = fsync_dir(options_.dir);
  return s.is_ok() ? synced : s;
}

std::uint64_t Wal::last_lsn() const {
  std::lock_guard lock(mu_);
  return durable_lsn_;
}

bool Wal::healthy() const {
  std::lock_guard lock(mu_);
  return failure_.is_ok();
}

WalStats Wal::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Wal::close() {
  std::lock_guard close_lock(close_mu_);
  ONCEPAY_CHECK(std::this_thread::get_id() != writer_id_ && "close() from a done callback");
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (!options_.writer_thread) {
    std::vector<Pending> batch;
    while (write_one_batch(batch)) {
    }
  }
  {
    std::lock_guard lock(mu_);
    writer_done_ = true;
  }
  space_cv_.notify_all();
  if (active_fd_ >= 0) {
    ::close(active_fd_);
    active_fd_ = -1;
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
}

}  // namespace oncepay::storage
