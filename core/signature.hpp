// HMAC-SHA256 request signatures, and the small hashing and randomness helpers
// that API keys and secrets need.
//
// Signature header format (API.md "Channel callbacks" and "Merchant
// notifications"), used by X-Channel-Signature and X-Oncepay-Signature:
//
//   t=<unix seconds>,v1=<lower-hex HMAC-SHA256(secret, "<t>.<body>")>
//
// A header may carry several v1= entries (a signer rotating its secret signs
// with both); it verifies if any of them matches. Entries with other keys
// (a future v2=, a legacy v0=) are ignored, so signers can add schemes.
// The HMAC covers the t text exactly as it appears in the header.
//
// Contract: pure functions of their arguments (no clock: the caller passes
// "now"), safe to call from any thread. Expected failures are values
// (SignatureCheck); only a failing OS random source stops the process
// (random_token), because there is no safe fallback for a secret.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oncepay::core {

// API.md: "300 s tolerance", in both directions (the signer's clock may be ahead).
inline constexpr int64_t kSignatureToleranceSeconds = 300;
// Longer headers are kMalformed without being parsed: a real one is ~80 bytes
// per v1 entry.
inline constexpr size_t kMaxSignatureHeaderBytes = 1024;
// More entries than this (of any key) is kMalformed: it bounds the parsing and
// comparing an unauthenticated caller can cause.
inline constexpr size_t kMaxSignatureEntries = 8;
// random_token() refuses more than this (a programmer error).
inline constexpr size_t kMaxRandomTokenBytes = 256;

enum class SignatureCheck {
  kOk,
  kMissing,    // empty header (or only whitespace)
  kMalformed,  // not t=<digits>,v1=<64 lower-hex>[,v1=...]
  kStale,      // a genuine signature whose t is outside now +- tolerance
  kMismatch,   // well formed, but no v1 entry matches this secret and body
};

std::string_view to_string(SignatureCheck check);

// The header value for `body` signed with `secret` at `unix_seconds` (>= 0).
std::string sign_header(std::string_view secret, int64_t unix_seconds, std::string_view body);

// Checks in this order: missing, malformed, mismatch, stale. So kStale means the
// signature itself was genuine (a replay or a skewed clock), worth telling
// apart in logs; callers reject every result but kOk alike. The v1 comparison
// is constant-time.
SignatureCheck verify_header(std::string_view secret, std::string_view header,
                             std::string_view body, int64_t now_unix_seconds,
                             int64_t tolerance_seconds = kSignatureToleranceSeconds);

// Lower-hex HMAC-SHA256(key, message): 64 characters.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Lower-hex SHA-256 of `data`: 64 characters.
std::string sha256_hex(std::string_view data);

// True if a and b are equal, in time that depends only on their lengths (the
// lengths themselves are not treated as secret).
bool constant_time_equal(std::string_view a, std::string_view b);

// `bytes` bytes (1..kMaxRandomTokenBytes) from OpenSSL's CSPRNG, lower-hex:
// 2 * bytes characters.
std::string random_token(size_t bytes);

}  // namespace oncepay::core
