// WAL on-disk format: see wal_format.hpp and docs/WAL.md.
#include "storage/wal_format.hpp"

#include <cstring>

#include "core/check.hpp"

// The stack-allocated XXH3 streaming state needs the static-linking-only
// declarations; the Debian header and library come from one package.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace oncepay::storage::wal_format {
namespace {

void put_u32(std::uint32_t v, char* dst) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u64(std::uint64_t v, char* dst) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(const char* src) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(src[i])} << (8 * i);
  return v;
}

std::uint64_t get_u64(const char* src) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(src[i])} << (8 * i);
  return v;
}

}  // namespace

std::string segment_file_name(std::uint64_t first_lsn) {
  std::string digits = std::to_string(first_lsn);
  ONCEPAY_CHECK(digits.size() <= kSegmentLsnDigits);
  std::string name(kSegmentPrefix);
  name.append(kSegmentLsnDigits - digits.size(), '0');
  name += digits;
  name += kSegmentSuffix;
  ONCEPAY_CHECK(name.size() == kSegmentNameLength);
  return name;
}

bool parse_segment_file_name(std::string_view name, std::uint64_t* first_lsn) {
  if (name.size() != kSegmentNameLength) return false;
  if (name.substr(0, kSegmentPrefix.size()) != kSegmentPrefix) return false;
  if (name.substr(name.size() - kSegmentSuffix.size()) != kSegmentSuffix) return false;
  std::string_view digits = name.substr(kSegmentPrefix.size(), kSegmentLsnDigits);
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *first_lsn = value;
  return true;
}

void append_file_header(std::uint64_t first_lsn, std::string* dst) {
  char header[kFileHeaderSize];
  std::memcpy(header, kFileMagic, kFileMagicBytes);
  put_u32(kFormatVersion, header + kFileMagicBytes);
  put_u32(0, header + kFileMagicBytes + 4);  // reserved
  put_u64(first_lsn, header + kFileMagicBytes + 8);
  put_u64(XXH3_64bits(header, kFileHeaderChecksumOffset), header + kFileHeaderChecksumOffset);
  dst->append(header, kFileHeaderSize);
}

Status decode_file_header(std::string_view src, std::uint64_t* first_lsn) {
  if (src.size() < kFileHeaderSize) {
    return Status::corruption("file header is " + std::to_string(src.size()) + " bytes, needs " +
                              std::to_string(kFileHeaderSize));
  }
  const char* p = src.data();
  if (std::memcmp(p, kFileMagic, kFileMagicBytes) != 0) {
    return Status::corruption("bad magic (not an oncepay WAL segment)");
  }
  const std::uint64_t stored = get_u64(p + kFileHeaderChecksumOffset);
  if (stored != XXH3_64bits(p, kFileHeaderChecksumOffset)) {
    return Status::corruption("file header checksum mismatch");
  }
  const std::uint32_t version = get_u32(p + kFileMagicBytes);
  if (version != kFormatVersion) {
    return Status::corruption("unsupported format version " + std::to_string(version) +
                              " (this build reads " + std::to_string(kFormatVersion) + ")");
  }
  if (get_u32(p + kFileMagicBytes + 4) != 0) {
    return Status::corruption("reserved file header field is not zero");
  }
  *first_lsn = get_u64(p + kFileMagicBytes + 8);
  return Status::ok();
}

std::uint64_t record_checksum(std::uint32_t length, std::uint64_t lsn, std::string_view payload) {
  char prefix[kRecordLengthBytes + kRecordLsnBytes];
  put_u32(length, prefix);
  put_u64(lsn, prefix + kRecordLengthBytes);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, prefix, sizeof(prefix));
  XXH3_64bits_update(&state, payload.data(), payload.size());
  return XXH3_64bits_digest(&state);
}

void append_record(std::uint64_t lsn, std::string_view payload, std::string* dst) {
  ONCEPAY_CHECK(payload.size() <= kMaxPayloadBytes);
  ONCEPAY_CHECK(lsn >= kFirstLsn);
  const auto length = static_cast<std::uint32_t>(payload.size());
  char header[kRecordHeaderSize];
  put_u32(length, header);
  put_u64(lsn, header + kRecordLengthBytes);
  put_u64(record_checksum(length, lsn, payload), header + kRecordLengthBytes + kRecordLsnBytes);
  dst->append(header, kRecordHeaderSize);
  dst->append(payload.data(), payload.size());
}

std::string_view to_string(DecodeResult result) {
  switch (result) {
    case DecodeResult::kOk:
      return "ok";
    case DecodeResult::kIncomplete:
      return "incomplete record";
    case DecodeResult::kBadLength:
      return "record length exceeds the maximum";
    case DecodeResult::kBadChecksum:
      return "record checksum mismatch";
  }
  return "unknown";
}

DecodeResult decode_record(std::string_view src, RecordView* out) {
  if (src.size() < kRecordHeaderSize) return DecodeResult::kIncomplete;
  const char* p = src.data();
  const std::uint32_t length = get_u32(p);
  if (length > kMaxPayloadBytes) return DecodeResult::kBadLength;
  if (src.size() - kRecordHeaderSize < length) return DecodeResult::kIncomplete;
  const std::uint64_t lsn = get_u64(p + kRecordLengthBytes);
  const std::uint64_t stored = get_u64(p + kRecordLengthBytes + kRecordLsnBytes);
  const std::string_view payload(p + kRecordHeaderSize, length);
  if (stored != record_checksum(length, lsn, payload)) return DecodeResult::kBadChecksum;
  out->lsn = lsn;
  out->payload = payload;
  out->encoded_bytes = encoded_record_size(length);
  ONCEPAY_CHECK(out->encoded_bytes <= kMaxRecordBytes);
  return DecodeResult::kOk;
}

}  // namespace oncepay::storage::wal_format
