// WAL damage after a simulated crash (docs/SIMULATION.md): what a killed
// process may leave at the end of its write-ahead log. Only bytes that no
// fdatasync covered can be affected, so nothing acknowledged is touched:
// the unsynced tail of the last segment is cut at a random point, the torn
// record the cut leaves may get flipped bytes, and a few bytes of a write
// that was in progress may be appended. Recovery must accept every result
// (storage::Wal cuts a torn tail; docs/WAL.md).
//
// Contract: pure file surgery, no clock, randomness only from the caller's
// generator (the same generator state gives the same damage). Call it only
// while no Wal has the directory open. Failures are storage::Status values.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "storage/status.hpp"

namespace oncepay::sim {

struct WalDamage {
  std::string file;             // the segment damaged (empty: no segment)
  uint64_t size_before = 0;     // its size at the crash
  uint64_t synced_bytes = 0;    // the prefix fdatasync covered (never touched)
  uint64_t cut_at = 0;          // its size after the cut
  uint64_t flipped_bytes = 0;   // bytes of the torn record flipped
  uint64_t appended_bytes = 0;  // garbage of an interrupted write appended
};

// The newest segment file of wal_dir (highest first LSN), or "" if none.
std::string last_segment(const std::string& wal_dir);

// The end of the last whole record of a segment's bytes that ends at or
// before `limit` (the file header's end when none does).
uint64_t last_record_end(std::string_view segment, uint64_t limit);

// Damages the last segment of wal_dir past its first synced_bytes.
storage::Status damage_wal_tail(const std::string& wal_dir, uint64_t synced_bytes,
                                std::mt19937_64& random, WalDamage* out);

std::string describe(const WalDamage& damage);

}  // namespace oncepay::sim
