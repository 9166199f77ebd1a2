// Signed gateway responses (docs/channels/PROTOCOLS.md B.1 "response",
// "response sign"): `{"<method, '.' -> '_'>_response":{...},"sign":"..."}`,
// where `sign` is RSA2 (Alipay's private key) over the EXACT text of the
// `_response` value as it appears in the body: a substring, never a
// re-serialisation (AJ AlipaySignature.extractSignContent, AN getSignStr;
// vectors alipay_rsa2_signatures.json set B and generated_locally.json
// alipay_response_signature). Gateway-level failures may come as
// `error_response` instead.
//
// How the substring is found: Boost.JSON first checks that the whole body is
// one valid JSON object (depth-limited); then a small scanner walks the top
// level of that known-valid text and records each member's value as a
// [begin, end) slice of the raw bytes. Whitespace anywhere, nested objects
// and strings with escapes (\" \\ \u....) are skipped exactly.
//
// Threads and ownership: pure functions; views returned point into the
// caller's body, which must outlive them. Any thread.
//
// Failure modes: values (Verdict + detail). A body that is not JSON, has a
// top-level key twice, lacks the expected key, or lacks a string `sign` is
// refused; nothing here throws or aborts on input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_keys.hpp"

namespace oncepay::channels::alipay {

// Bodies nested deeper than this are refused (responses are 3 deep).
inline constexpr size_t kMaxResponseDepth = 16;

// "alipay.trade.query" -> "alipay_trade_query_response".
std::string response_key(std::string_view method);

// One member of a JSON object: its decoded key and the exact raw text of its
// value (for a string value: with the quotes and escapes as received).
struct RawMember {
  std::string key;
  std::string_view raw_value;
};

// The members of the JSON object `text` (whitespace around it allowed), in
// order, duplicates kept. nullopt when `text` is not one valid JSON object
// within kMaxResponseDepth.
std::optional<std::vector<RawMember>> object_members(std::string_view text);

// A raw value as a string: a JSON string decoded; a number, true/false/null,
// object or array as its raw text (so "88.88" and 88.88 both read as 88.88).
std::string member_text(std::string_view raw_value);

struct SignedResponse {
  Verdict verdict = Verdict::kMalformed;
  std::string detail;
  std::string key;           // the key found: response_key(method) or "error_response"
  std::string_view content;  // exact raw text of that value (an object)
  std::string sign;          // decoded; empty when absent
};

// Finds response_key(method) (or, when that is absent, "error_response") and
// `sign` at the top level of `body`. Does not verify: kOk means found, with
// `sign` possibly empty (Alipay leaves some error_response unsigned).
SignedResponse extract_response(std::string_view body, std::string_view method);

// extract_response, then the RSA2 check of `content` under Alipay's public
// key: kNoSignature when sign is absent, kBadSignature when it fails.
SignedResponse verify_response(std::string_view body, std::string_view method,
                               const RsaPublicKey& alipay_public_key);

// Simulator side: `{"<response_key(method)>":<content_json>,"sign":"..."}`
// with the sign over content_json exactly as given (it must be a JSON
// object's text; it is not re-serialised).
std::string build_signed_response(std::string_view method, std::string_view content_json,
                                  const RsaPrivateKey& alipay_private_key);

}  // namespace oncepay::channels::alipay
