#include "core/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <vector>

#include "core/check.hpp"

namespace oncepay::core {
namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kSha256HexChars = 2 * kSha256Bytes;
// Unix seconds as decimal digits: int64 has at most 19.
constexpr size_t kMaxTimestampDigits = 19;

std::string to_lower_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(2 * size, '\0');
  for (size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[data[i] >> 4];
    hex[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return hex;
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Parses the digits of t=; false on anything but 1..19 decimal digits that fit int64.
bool parse_timestamp(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

struct ParsedHeader {
  std::string_view timestamp_text;  // signed as is
  int64_t timestamp = 0;
  std::vector<std::string_view> v1_signatures;
};

// One "key=value" entry into `out`; false if the entry is malformed.
bool parse_entry(std::string_view entry, ParsedHeader* out) {
  size_t equals = entry.find('=');
  if (equals == std::string_view::npos || equals == 0) return false;
  std::string_view key = entry.substr(0, equals);
  std::string_view value = entry.substr(equals + 1);
  if (key == "t") {
    if (!out->timestamp_text.empty()) return false;  // t given twice
    if (!parse_timestamp(value, &out->timestamp)) return false;
    out->timestamp_text = value;
  } else if (key == "v1") {
    if (value.size() != kSha256HexChars || !is_lower_hex(value)) return false;
    out->v1_signatures.push_back(value);
  }
  return true;  // other schemes are ignored
}

// False if the (non-empty) header is malformed.
bool parse_header(std::string_view header, ParsedHeader* out) {
  if (header.size() > kMaxSignatureHeaderBytes) return false;
  size_t entries = 0;
  while (true) {
    size_t comma = header.find(',');
    if (++entries > kMaxSignatureEntries) return false;
    if (!parse_entry(trim(header.substr(0, comma)), out)) return false;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return !out->timestamp_text.empty() && !out->v1_signatures.empty();
}

std::string signed_payload(std::string_view timestamp_text, std::string_view body) {
  std::string payload;
  payload.reserve(timestamp_text.size() + 1 + body.size());
  payload.append(timestamp_text).append(".").append(body);
  return payload;
}

// |a - b| without overflow, for any two int64 values.
uint64_t distance(int64_t a, int64_t b) {
  return a > b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
               : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
}

}  // namespace

std::string_view to_string(SignatureCheck check) {
  switch (check) {
    case SignatureCheck::kOk:
      return "ok";
    case SignatureCheck::kMissing:
      return "missing";
    case SignatureCheck::kMalformed:
      return "malformed";
    case SignatureCheck::kStale:
      return "stale";
    case SignatureCheck::kMismatch:
      return "mismatch";
  }
  return "unknown";
}

std::string sign_header(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  ONCEPAY_CHECK(unix_seconds >= 0);
  std::string timestamp_text = std::to_string(unix_seconds);
  std::string signature = hmac_sha256_hex(secret, signed_payload(timestamp_text, body));
  return "t=" + timestamp_text + ",v1=" + signature;
}

SignatureCheck verify_header(std::string_view secret, std::string_view header,
                             std::string_view body, int64_t now_unix_seconds,
                             int64_t tolerance_seconds) {
  ONCEPAY_CHECK(tolerance_seconds >= 0);
  header = trim(header);
  if (header.empty()) return SignatureCheck::kMissing;
  ParsedHeader parsed;
  if (!parse_header(header, &parsed)) return SignatureCheck::kMalformed;

  std::string expected = hmac_sha256_hex(secret, signed_payload(parsed.timestamp_text, body));
  bool matched = false;
  for (std::string_view candidate : parsed.v1_signatures) {
    matched |= constant_time_equal(expected, candidate);  // no early exit
  }
  if (!matched) return SignatureCheck::kMismatch;
  if (distance(parsed.timestamp, now_unix_seconds) > static_cast<uint64_t>(tolerance_seconds)) {
    return SignatureCheck::kStale;
  }
  return SignatureCheck::kOk;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  ONCEPAY_CHECK(key.size() <= static_cast<size_t>(INT_MAX));
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  const unsigned char* result = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), digest.data(), &digest_size);
  if (result == nullptr || digest_size != kSha256Bytes) std::abort();  // OpenSSL is broken
  return to_lower_hex(digest.data(), digest_size);
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  int ok = EVP_Digest(data.data(), data.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
  if (ok != 1 || digest_size != kSha256Bytes) std::abort();  // OpenSSL is broken
  return to_lower_hex(digest.data(), digest_size);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_token(size_t bytes) {
  ONCEPAY_CHECK(bytes > 0 && bytes <= kMaxRandomTokenBytes);
  std::array<unsigned char, kMaxRandomTokenBytes> buffer{};
  if (RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) std::abort();  // no safe fallback
  return to_lower_hex(buffer.data(), bytes);
}

}  // namespace oncepay::core
