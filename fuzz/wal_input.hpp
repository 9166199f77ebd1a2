// The wal_decode_fuzzer input format, shared with the seed generator.
//
// Byte 0 is a mode; the rest (`rest`) is used three ways:
// - as raw bytes for decode_record / decode_file_header (always);
// - as one payload for the append_record round trip (always);
// - as the content of the segment file wal-00000000000000000001.log that
//   Wal::open recovers:
//     mode & 1 == 1: `rest` verbatim (a seed segment, or anything);
//     mode & 1 == 0: a valid file header (first lsn 1, or 2 when mode & 2)
//                    followed by build_framed_records(rest), so mutations
//                    reach the record scanner past the checksums.
//
// build_framed_records reads `rest` as chunks: a control byte c, then up to
// (c & 0x3f) payload bytes. c >> 6 says what to do with the record:
//   0: frame it with the next lsn;   1: frame it skipping one lsn;
//   2: frame it with the next lsn, then flip one bit of it (corruption);
//   3: append the remaining bytes raw and stop (a torn or garbage tail).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/wal_format.hpp"

namespace oncepay::fuzz {

inline constexpr uint8_t kWalModeRaw = 1;
inline constexpr uint8_t kWalModeHeaderLsn2 = 2;

inline std::string build_framed_records(std::string_view rest) {
  namespace fmt = oncepay::storage::wal_format;
  std::string out;
  uint64_t lsn = fmt::kFirstLsn;
  while (!rest.empty()) {
    const auto control = static_cast<uint8_t>(rest[0]);
    rest.remove_prefix(1);
    const unsigned action = control >> 6;
    if (action == 3) {
      out.append(rest);
      break;
    }
    const size_t length = std::min<size_t>(control & 0x3f, rest.size());
    const std::string_view payload = rest.substr(0, length);
    rest.remove_prefix(length);
    if (action == 1) ++lsn;
    const size_t at = out.size();
    fmt::append_record(lsn++, payload, &out);
    if (action == 2) {
      const size_t record_bytes = out.size() - at;
      out[at + (control * 7u + length) % record_bytes] ^= static_cast<char>(1u << (control % 8));
    }
  }
  return out;
}

inline std::string build_segment(uint8_t mode, std::string_view rest) {
  namespace fmt = oncepay::storage::wal_format;
  if ((mode & kWalModeRaw) != 0) return std::string(rest);
  std::string out;
  fmt::append_file_header((mode & kWalModeHeaderLsn2) != 0 ? 2 : fmt::kFirstLsn, &out);
  out += build_framed_records(rest);
  return out;
}

}  // namespace oncepay::fuzz
