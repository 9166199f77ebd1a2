// Tests for storage/wal_format: names, file header and record framing. The
// corruption tests flip bytes on purpose: every single-bit change of a
// record or a file header must be detected.
#include "storage/wal_format.hpp"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <string>

namespace oncepay::storage::wal_format {
namespace {

std::string encode(std::uint64_t lsn, std::string_view payload) {
  std::string out;
  append_record(lsn, payload, &out);
  return out;
}

TEST(WalFormatTest, SegmentFileNameHasTwentyDigits) {
  EXPECT_EQ(segment_file_name(1), "wal-00000000000000000001.log");
  EXPECT_EQ(segment_file_name(UINT64_MAX), "wal-18446744073709551615.log");
}

TEST(WalFormatTest, SegmentFileNameRoundTrips) {
  for (std::uint64_t lsn :
       {std::uint64_t{1}, std::uint64_t{42}, std::uint64_t{1} << 40, UINT64_MAX}) {
    std::uint64_t parsed = 0;
    ASSERT_TRUE(parse_segment_file_name(segment_file_name(lsn), &parsed));
    EXPECT_EQ(parsed, lsn);
  }
}

TEST(WalFormatTest, ParseRejectsOtherNames) {
  std::uint64_t lsn = 0;
  EXPECT_FALSE(parse_segment_file_name("LOCK", &lsn));
  EXPECT_FALSE(parse_segment_file_name("wal-1.log", &lsn));
  EXPECT_FALSE(parse_segment_file_name("wal-0000000000000000000a.log", &lsn));
  EXPECT_FALSE(parse_segment_file_name("wal-00000000000000000001.tmp", &lsn));
  EXPECT_FALSE(parse_segment_file_name("xal-00000000000000000001.log", &lsn));
  EXPECT_FALSE(parse_segment_file_name("wal-99999999999999999999.log", &lsn));  // > UINT64_MAX
}

TEST(WalFormatTest, FileHeaderRoundTrips) {
  std::string header;
  append_file_header(12345, &header);
  ASSERT_EQ(header.size(), kFileHeaderSize);
  EXPECT_EQ(header.substr(0, 8), std::string("OPWAL1\0\0", 8));
  std::uint64_t first_lsn = 0;
  ASSERT_TRUE(decode_file_header(header, &first_lsn).is_ok());
  EXPECT_EQ(first_lsn, 12345u);
}

TEST(WalFormatTest, FileHeaderEveryBitFlipIsDetected) {
  std::string header;
  append_file_header(7, &header);
  for (std::size_t i = 0; i < header.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = header;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      std::uint64_t first_lsn = 0;
      const Status s = decode_file_header(bad, &first_lsn);
      EXPECT_TRUE(s.is_corruption()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(WalFormatTest, ShortFileHeaderIsCorruption) {
  std::string header;
  append_file_header(1, &header);
  std::uint64_t first_lsn = 0;
  for (std::size_t n = 0; n < kFileHeaderSize; ++n) {
    EXPECT_TRUE(decode_file_header(header.substr(0, n), &first_lsn).is_corruption()) << n;
  }
}

TEST(WalFormatTest, UnknownVersionIsCorruptionNamingIt) {
  std::string header;
  append_file_header(1, &header);
  header[kFileMagicBytes] = 2;  // version 2, with a checksum that matches
  const std::uint64_t checksum = XXH3_64bits(header.data(), kFileHeaderChecksumOffset);
  for (std::size_t i = 0; i < 8; ++i) {
    header[kFileHeaderChecksumOffset + i] = static_cast<char>((checksum >> (8 * i)) & 0xff);
  }
  std::uint64_t first_lsn = 0;
  const Status s = decode_file_header(header, &first_lsn);
  ASSERT_TRUE(s.is_corruption());
  EXPECT_NE(s.message().find("version 2"), std::string::npos) << s.to_string();
}

TEST(WalFormatTest, RecordLayoutIsLittleEndian) {
  const std::string record = encode(0x0102030405060708, "abc");
  ASSERT_EQ(record.size(), kRecordHeaderSize + 3);
  EXPECT_EQ(record.substr(0, 4), std::string("\x03\x00\x00\x00", 4));
  EXPECT_EQ(record.substr(4, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  std::uint64_t stored = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    stored |= std::uint64_t{static_cast<unsigned char>(record[12 + i])} << (8 * i);
  }
  EXPECT_EQ(stored, record_checksum(3, 0x0102030405060708, "abc"));
  EXPECT_EQ(record.substr(kRecordHeaderSize), "abc");
}

TEST(WalFormatTest, RecordRoundTrips) {
  for (const std::string& payload :
       {std::string(), std::string("x"), std::string(1000, 'p'), std::string("\0\xff\0", 3)}) {
    const std::string record = encode(99, payload);
    RecordView view;
    ASSERT_EQ(decode_record(record, &view), DecodeResult::kOk);
    EXPECT_EQ(view.lsn, 99u);
    EXPECT_EQ(view.payload, payload);
    EXPECT_EQ(view.encoded_bytes, record.size());
  }
}

TEST(WalFormatTest, ConcatenatedRecordsDecodeInOrder) {
  std::string log;
  append_record(1, "one", &log);
  append_record(2, "two", &log);
  append_record(3, "", &log);
  std::string_view rest = log;
  for (std::uint64_t lsn = 1; lsn <= 3; ++lsn) {
    RecordView view;
    ASSERT_EQ(decode_record(rest, &view), DecodeResult::kOk);
    EXPECT_EQ(view.lsn, lsn);
    rest.remove_prefix(view.encoded_bytes);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(WalFormatTest, MaxPayloadRoundTrips) {
  const std::string payload(kMaxPayloadBytes, 'm');
  const std::string record = encode(1, payload);
  EXPECT_EQ(record.size(), kMaxRecordBytes);
  RecordView view;
  ASSERT_EQ(decode_record(record, &view), DecodeResult::kOk);
  EXPECT_EQ(view.payload.size(), kMaxPayloadBytes);
}

TEST(WalFormatTest, EveryBitFlipOfARecordIsDetected) {
  const std::string record = encode(5, "payload-bytes");
  for (std::size_t i = 0; i < record.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = record;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      RecordView view;
      EXPECT_NE(decode_record(bad, &view), DecodeResult::kOk) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(WalFormatTest, EveryByteReplacementOfARecordIsDetected) {
  const std::string record = encode(5, "payload-bytes");
  for (std::size_t i = 0; i < record.size(); ++i) {
    std::string bad = record;
    bad[i] = static_cast<char>(~bad[i]);
    RecordView view;
    EXPECT_NE(decode_record(bad, &view), DecodeResult::kOk) << "byte " << i;
  }
}

TEST(WalFormatTest, TruncatedRecordIsIncompleteAtEveryLength) {
  const std::string record = encode(5, "payload-bytes");
  for (std::size_t n = 0; n < record.size(); ++n) {
    RecordView view;
    EXPECT_EQ(decode_record(std::string_view(record).substr(0, n), &view),
              DecodeResult::kIncomplete)
        << n;
  }
}

TEST(WalFormatTest, LengthAboveMaximumIsBadLength) {
  std::string record = encode(5, "x");
  const std::uint32_t too_long = static_cast<std::uint32_t>(kMaxPayloadBytes + 1);
  for (std::size_t i = 0; i < 4; ++i) record[i] = static_cast<char>((too_long >> (8 * i)) & 0xff);
  RecordView view;
  EXPECT_EQ(decode_record(record, &view), DecodeResult::kBadLength);
}

TEST(WalFormatTest, ChecksumCoversLengthAndLsn) {
  EXPECT_NE(record_checksum(1, 1, "a"), record_checksum(1, 2, "a"));
  EXPECT_NE(record_checksum(1, 1, "a"), record_checksum(2, 1, "a"));
  EXPECT_NE(record_checksum(1, 1, "a"), record_checksum(1, 1, "b"));
}

}  // namespace
}  // namespace oncepay::storage::wal_format
