// Alipay OpenAPI parameter sets: the sign strings, RSA2 signing and checking
// of a parameter set, and application/x-www-form-urlencoded bodies
// (docs/channels/PROTOCOLS.md B.1 "request sign string", B.4 "verification
// (V1)"; rule sources: alipay-sdk-java-all AlipaySignature.getSignContent /
// getSignCheckContentV1 / rsaCheckV2).
//
// Two rules, both "drop empty values, sort keys by byte (ASCII) order, join
// raw (decoded, not URL-encoded) k=v with '&'":
// - V2 (requests, and what the simulator checks on them): remove `sign` only;
//   `sign_type` stays in the string.
// - V1 (trade async notifications): remove `sign` AND `sign_type`.
//
// Threads and ownership: pure functions over values, any thread.
//
// Failure modes: parse_form returns nullopt and an error naming the problem
// (malformed percent-encoding, a nameless or repeated parameter); checks
// return false. Nothing here logs.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "channels/alipay/alipay_keys.hpp"

namespace oncepay::channels::alipay {

// Decoded name -> value, ordered by byte comparison of the names, which is
// the sign string's order (Java's TreeMap over ASCII names).
using Params = std::map<std::string, std::string, std::less<>>;

enum class SignRule : uint8_t {
  kV2,  // remove sign only (requests)
  kV1,  // remove sign and sign_type (trade notifications)
};

// The string that is signed: see the header comment for the rules.
std::string sign_content(const Params& params, SignRule rule);

// Sets params["sign"] to the RSA2 signature of sign_content(params, rule).
// The caller has put sign_type=RSA2 in already for V2 (it is signed).
void sign_params(Params* params, const RsaPrivateKey& key, SignRule rule);

// True when params["sign"] exists and is a valid RSA2 signature of
// sign_content(params, rule) under `key`.
bool verify_params(const Params& params, const RsaPublicKey& key, SignRule rule);

// application/x-www-form-urlencoded: every name and value percent-encoded
// except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), space as %20,
// pairs in the map's (sorted) order, joined by '&'.
std::string form_encode(const Params& params);

// Decodes a form body or URL query string: '&'-separated name=value pairs,
// percent-decoding by Boost.URL with '+' as space (HTML forms, Java's
// URLEncoder). Refused with *error (may be null): malformed %-escapes or
// characters a query may not hold, an empty name, a name given twice (a
// signed set with a repeated name is ambiguous), more than kMaxFormParams
// pairs. A name without '=' has the value "". An empty body is an empty set.
inline constexpr size_t kMaxFormParams = 256;
std::optional<Params> parse_form(std::string_view body, std::string* error);

}  // namespace oncepay::channels::alipay
