// libFuzzer target: the WAL's readers on arbitrary bytes (wal_input.hpp
// describes how one input is used).
//
// Properties asserted (a failure aborts and libFuzzer keeps the input):
// - decode_record: a kOk record lies inside the buffer and re-encodes with
//   append_record to exactly the bytes it was decoded from; a whole buffer
//   can be walked record by record without reading past its end;
// - decode_file_header: a kOk header re-encodes to the same 32 bytes;
// - append_record -> decode_record gives back the lsn and payload; every
//   truncation of it is kIncomplete; a flipped bit is never kOk;
// - Wal::open on a directory holding one segment with these bytes (fsync
//   off) either fails with a corruption status or succeeds; when it
//   succeeds, replay(0) yields lsns 1, 2, ... recovery().records of them,
//   last_lsn() is the last, and a second open of the repaired directory finds
//   nothing more to repair and the same records.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "fuzz/wal_input.hpp"
#include "storage/wal.hpp"
#include "storage/wal_format.hpp"

namespace {

namespace fmt = oncepay::storage::wal_format;
using oncepay::storage::Status;
using oncepay::storage::Wal;
using oncepay::storage::WalOptions;

void fuzz_decode_record(std::string_view src) {
  fmt::RecordView view;
  if (fmt::decode_record(src, &view) == fmt::DecodeResult::kOk) {
    FUZZ_CHECK(view.encoded_bytes == fmt::encoded_record_size(view.payload.size()), "size");
    FUZZ_CHECK(view.encoded_bytes <= src.size(), "record past the buffer");
    FUZZ_CHECK(view.payload.data() == src.data() + fmt::kRecordHeaderSize, "payload position");
    if (view.lsn >= fmt::kFirstLsn) {
      std::string again;
      fmt::append_record(view.lsn, view.payload, &again);
      FUZZ_CHECK(again == src.substr(0, view.encoded_bytes), "re-encoding differs");
    }
  }
  // Walk as a scanner would.
  std::string_view rest = src;
  while (fmt::decode_record(rest, &view) == fmt::DecodeResult::kOk) {
    FUZZ_CHECK(view.encoded_bytes > 0 && view.encoded_bytes <= rest.size(), "walk past the end");
    rest.remove_prefix(view.encoded_bytes);
  }
  (void)fmt::to_string(fmt::decode_record(rest, &view));
}

void fuzz_decode_file_header(std::string_view src) {
  uint64_t first_lsn = 0;
  const Status s = fmt::decode_file_header(src, &first_lsn);
  if (s.is_ok()) {
    std::string again;
    fmt::append_file_header(first_lsn, &again);
    FUZZ_CHECK(again == src.substr(0, fmt::kFileHeaderSize), "header re-encoding differs");
  } else {
    FUZZ_CHECK(s.is_corruption(), s.to_string());
  }
}

void fuzz_round_trip(uint8_t mode, std::string_view payload) {
  uint64_t lsn = fmt::kFirstLsn + mode;
  if (payload.size() >= 8) {
    lsn = 0;
    for (int i = 0; i < 8; ++i) lsn |= uint64_t{static_cast<uint8_t>(payload[i])} << (8 * i);
    if (lsn < fmt::kFirstLsn) lsn = fmt::kFirstLsn;
  }
  std::string encoded;
  fmt::append_record(lsn, payload, &encoded);
  FUZZ_CHECK(encoded.size() == fmt::encoded_record_size(payload.size()), "encoded size");
  fmt::RecordView view;
  FUZZ_CHECK(fmt::decode_record(encoded, &view) == fmt::DecodeResult::kOk, "own record rejected");
  FUZZ_CHECK(view.lsn == lsn && view.payload == payload && view.encoded_bytes == encoded.size(),
             "own record decoded differently");
  // Every proper prefix is a torn write.
  for (size_t cut = 0; cut < encoded.size(); cut += 1 + cut / 8) {
    FUZZ_CHECK(fmt::decode_record(std::string_view(encoded).substr(0, cut), &view) ==
                   fmt::DecodeResult::kIncomplete,
               "truncated record not incomplete");
  }
  // One flipped bit anywhere is caught (the checksum covers every byte).
  const size_t at = (static_cast<size_t>(mode) * 131 + payload.size()) % encoded.size();
  encoded[at] ^= static_cast<char>(1u << (mode % 8));
  FUZZ_CHECK(fmt::decode_record(encoded, &view) != fmt::DecodeResult::kOk, "flipped bit accepted");
}

std::string g_dir;  // this process's scratch directory

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(file.good(), path);
}

struct Replayed {
  uint64_t count = 0;
  uint64_t last = 0;
};

Replayed replay_all(const Wal& wal) {
  Replayed r;
  const Status s = wal.replay(0, [&r](uint64_t lsn, std::string_view payload) {
    FUZZ_CHECK(lsn == r.last + 1, "replay lsns not consecutive from 1");
    FUZZ_CHECK(payload.size() <= fmt::kMaxPayloadBytes, "replayed payload too large");
    r.last = lsn;
    ++r.count;
  });
  FUZZ_CHECK(s.is_ok(), "replay of a freshly opened log: " + s.to_string());
  return r;
}

void fuzz_wal_open(std::string_view segment) {
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
  FUZZ_CHECK(std::filesystem::create_directory(g_dir, ec), g_dir);
  write_file(g_dir + "/" + fmt::segment_file_name(fmt::kFirstLsn), segment);

  WalOptions options;
  options.dir = g_dir;
  options.fsync = false;
  std::unique_ptr<Wal> wal;
  const Status s = Wal::open(options, &wal);
  if (!s.is_ok()) {
    FUZZ_CHECK(s.is_corruption(), s.to_string());
    FUZZ_CHECK(wal == nullptr, "failed open returned a Wal");
    return;
  }
  const Replayed first = replay_all(*wal);
  FUZZ_CHECK(first.count == wal->recovery().records, "replay count != recovery().records");
  FUZZ_CHECK(first.last == wal->last_lsn(), "last replayed lsn != last_lsn()");
  wal->close();
  wal.reset();

  // The first open repaired the directory: a second one has nothing to cut.
  const Status again = Wal::open(options, &wal);
  FUZZ_CHECK(again.is_ok(), "reopen after repair: " + again.to_string());
  FUZZ_CHECK(wal->recovery().truncated_bytes == 0 && !wal->recovery().rewrote_torn_header,
             "second open repaired again");
  const Replayed second = replay_all(*wal);
  FUZZ_CHECK(second.count == first.count && second.last == first.last, "reopen lost records");
  wal->close();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/oncepay-wal-fuzz-XXXXXX";
  FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr, pattern);
  g_dir = pattern + "/wal";
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(g_dir).parent_path(), ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzz_decode_record(rest);
  fuzz_decode_file_header(rest);
  if (rest.size() <= fmt::kMaxPayloadBytes) fuzz_round_trip(mode, rest);
  fuzz_wal_open(oncepay::fuzz::build_segment(mode, rest));
  return 0;
}
