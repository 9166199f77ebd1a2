// WAL on-disk format: segment file names, the segment file header and the
// record framing. The format is written up in docs/WAL.md; keep the two in
// step (a change here that is not a new kFormatVersion is a bug).
//
//   segment file  wal-<first lsn, 20 decimal digits>.log
//   file header   magic "OPWAL1\0\0" | u32 version | u32 reserved (0)
//                 | u64 first lsn | u64 XXH3_64bits(previous 24 bytes)
//   record        u32 payload length | u64 lsn
//                 | u64 XXH3_64bits(length bytes, lsn bytes, payload) | payload
//
// All integers are little-endian, whatever the host.
//
// Contract: these are pure functions over byte buffers. They do no I/O, hold
// no state and may be called from any thread. Encoders assert their
// preconditions (a payload above kMaxPayloadBytes is a programmer error here;
// Wal::append checks it first and reports a Status). Decoders never trust
// their input: every way a buffer can be wrong is a returned value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "storage/status.hpp"

namespace oncepay::storage::wal_format {

inline constexpr std::size_t kMiB = std::size_t{1} << 20;

// ---------------------------------------------------------------- file header
inline constexpr char kFileMagic[8] = {'O', 'P', 'W', 'A', 'L', '1', '\0', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kFileMagicBytes = sizeof(kFileMagic);
inline constexpr std::size_t kFileHeaderChecksumOffset = kFileMagicBytes + 4 + 4 + 8;
inline constexpr std::size_t kFileHeaderSize = kFileHeaderChecksumOffset + 8;
static_assert(kFileMagicBytes == 8);
static_assert(kFileHeaderSize == 32, "docs/WAL.md documents a 32-byte file header");

// ---------------------------------------------------------------- records
inline constexpr std::size_t kRecordLengthBytes = 4;
inline constexpr std::size_t kRecordLsnBytes = 8;
inline constexpr std::size_t kRecordChecksumBytes = 8;
inline constexpr std::size_t kRecordHeaderSize =
    kRecordLengthBytes + kRecordLsnBytes + kRecordChecksumBytes;
// The largest whole record (header + payload). Checked when a record is
// written and again when it is read, so a corrupt length field can never
// make a reader allocate or skip gigabytes.
inline constexpr std::size_t kMaxRecordBytes = 16 * kMiB;
inline constexpr std::size_t kMaxPayloadBytes = kMaxRecordBytes - kRecordHeaderSize;
static_assert(kRecordHeaderSize == 20, "docs/WAL.md documents a 20-byte record header");
static_assert(kMaxRecordBytes > kRecordHeaderSize);
static_assert(kMaxPayloadBytes <= std::numeric_limits<std::uint32_t>::max(),
              "the payload length must fit the u32 length field");

// ---------------------------------------------------------------- lsns
// LSNs start at 1 and grow by exactly 1 per record, across segments. 0 means
// "no record" (an empty log's last lsn, a replay from the beginning).
inline constexpr std::uint64_t kFirstLsn = 1;
static_assert(kFirstLsn > 0, "lsn 0 is reserved for 'none'");

// ---------------------------------------------------------------- file names
inline constexpr std::string_view kSegmentPrefix = "wal-";
inline constexpr std::string_view kSegmentSuffix = ".log";
inline constexpr std::size_t kSegmentLsnDigits = 20;  // digits of UINT64_MAX
static_assert(std::numeric_limits<std::uint64_t>::digits10 + 1 == kSegmentLsnDigits);
inline constexpr std::size_t kSegmentNameLength =
    kSegmentPrefix.size() + kSegmentLsnDigits + kSegmentSuffix.size();

// "wal-00000000000000000001.log" for first_lsn 1.
std::string segment_file_name(std::uint64_t first_lsn);
// True (and *first_lsn set) only for an exact segment_file_name() result.
bool parse_segment_file_name(std::string_view name, std::uint64_t* first_lsn);

// Appends the kFileHeaderSize-byte header of a segment to *dst.
void append_file_header(std::uint64_t first_lsn, std::string* dst);
// Validates magic, version, reserved field and checksum of the first
// kFileHeaderSize bytes of src. Returns corruption (with the reason) when any
// is wrong or src is shorter than a header.
Status decode_file_header(std::string_view src, std::uint64_t* first_lsn);

// The record checksum: XXH3_64bits over the little-endian length (4 bytes),
// the little-endian lsn (8 bytes) and the payload, in that order.
std::uint64_t record_checksum(std::uint32_t length, std::uint64_t lsn, std::string_view payload);

// Bytes that encoding a payload of payload_bytes takes on disk.
constexpr std::size_t encoded_record_size(std::size_t payload_bytes) {
  return kRecordHeaderSize + payload_bytes;
}

// Appends one framed record to *dst. Asserts payload.size() <= kMaxPayloadBytes
// and lsn >= kFirstLsn.
void append_record(std::uint64_t lsn, std::string_view payload, std::string* dst);

enum class DecodeResult {
  kOk,
  kIncomplete,   // src ends inside the header or the payload (a torn write?)
  kBadLength,    // the length field exceeds kMaxPayloadBytes
  kBadChecksum,  // header and payload present but the checksum does not match
};
std::string_view to_string(DecodeResult result);

struct RecordView {
  std::uint64_t lsn = 0;
  std::string_view payload;       // points into the decoded buffer
  std::size_t encoded_bytes = 0;  // header + payload
};

// Decodes the record at the start of src. On kOk fills *out; otherwise leaves
// it untouched. Checks the length against kMaxPayloadBytes before it looks at
// the payload, and the checksum over every byte of the record.
DecodeResult decode_record(std::string_view src, RecordView* out);

}  // namespace oncepay::storage::wal_format
