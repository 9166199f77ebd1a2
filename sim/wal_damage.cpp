#include "sim/wal_damage.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "storage/wal_format.hpp"

namespace oncepay::sim {

namespace fmt = storage::wal_format;
namespace fs = std::filesystem;

std::string last_segment(const std::string& wal_dir) {
  std::string best;
  uint64_t best_lsn = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(wal_dir, ec)) {
    uint64_t first_lsn = 0;
    const std::string name = entry.path().filename().string();
    if (!fmt::parse_segment_file_name(name, &first_lsn)) continue;
    if (best.empty() || first_lsn > best_lsn) {
      best = entry.path().string();
      best_lsn = first_lsn;
    }
  }
  return best;
}

uint64_t last_record_end(std::string_view segment, uint64_t limit) {
  uint64_t offset = fmt::kFileHeaderSize;
  if (segment.size() < offset || limit < offset) return std::min<uint64_t>(limit, offset);
  while (offset < segment.size()) {
    fmt::RecordView record;
    if (fmt::decode_record(segment.substr(offset), &record) != fmt::DecodeResult::kOk) break;
    if (offset + record.encoded_bytes > limit) break;
    offset += record.encoded_bytes;
  }
  return offset;
}

namespace {

storage::Status read_all(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return storage::Status::io_error("open " + path);
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return storage::Status::ok();
}

storage::Status write_all(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return storage::Status::io_error("write " + path);
  return storage::Status::ok();
}

uint64_t uniform(std::mt19937_64& random, uint64_t lo, uint64_t hi) {  // [lo, hi]
  return std::uniform_int_distribution<uint64_t>(lo, hi)(random);
}

}  // namespace

storage::Status damage_wal_tail(const std::string& wal_dir, uint64_t synced_bytes,
                                std::mt19937_64& random, WalDamage* out) {
  *out = WalDamage{};
  out->file = last_segment(wal_dir);
  if (out->file.empty()) return storage::Status::ok();
  std::string data;
  storage::Status st = read_all(out->file, &data);
  if (!st.is_ok()) return st;
  out->size_before = data.size();
  // A header-only (or shorter) segment was fsynced by its creation.
  const uint64_t synced =
      std::min<uint64_t>(std::max<uint64_t>(synced_bytes, fmt::kFileHeaderSize), data.size());
  out->synced_bytes = synced;
  out->cut_at = uniform(random, synced, data.size());
  data.resize(out->cut_at);
  // The bytes of the record the cut tore (never a synced or whole record:
  // damage followed by valid records is corruption, not a crash).
  const uint64_t torn_from = std::max(synced, last_record_end(data, out->cut_at));
  if (torn_from < out->cut_at && uniform(random, 0, 1) == 1) {
    const uint64_t flips = uniform(random, 1, std::min<uint64_t>(4, out->cut_at - torn_from));
    for (uint64_t i = 0; i < flips; ++i) {
      const uint64_t at = uniform(random, torn_from, out->cut_at - 1);
      data[at] = static_cast<char>(data[at] ^ static_cast<char>(uniform(random, 1, 255)));
    }
    out->flipped_bytes = flips;
  }
  if (uniform(random, 0, 3) == 0) {  // a write in progress: its first bytes landed
    out->appended_bytes = uniform(random, 1, 48);
    for (uint64_t i = 0; i < out->appended_bytes; ++i) {
      data.push_back(static_cast<char>(uniform(random, 0, 255)));
    }
  }
  if (data.size() == out->size_before && out->flipped_bytes == 0) return storage::Status::ok();
  return write_all(out->file, data);
}

std::string describe(const WalDamage& d) {
  if (d.file.empty()) return "no WAL segment";
  std::string out = fs::path(d.file).filename().string();
  out += ": " + std::to_string(d.size_before) + " bytes, synced " + std::to_string(d.synced_bytes) +
         ", cut at " + std::to_string(d.cut_at);
  if (d.flipped_bytes > 0) out += ", " + std::to_string(d.flipped_bytes) + " bytes flipped";
  if (d.appended_bytes > 0) out += ", " + std::to_string(d.appended_bytes) + " garbage bytes";
  return out;
}

}  // namespace oncepay::sim
