// Standard base64 (RFC 4648 section 4: alphabet A-Z a-z 0-9 + /, '='
// padding), the encoding of every WeChat Pay APIv3 signature (A.5, A.6) and
// of the notification ciphertext (A.7). docs/channels/PROTOCOLS.md part A.
//
// Threads and ownership: pure functions, callable from any thread.
//
// Failure modes: base64_decode is strict and returns false (with *out
// unspecified) for anything but canonical padded base64: a length that is
// not a multiple of 4, a byte outside the alphabet (whitespace included),
// padding anywhere but the last one or two places, or non-zero bits under
// the padding. Strict decoding keeps one signature from having two spellings.
#pragma once

#include <string>
#include <string_view>

namespace oncepay::channels::wechatpay {

std::string base64_encode(std::string_view bytes);

bool base64_decode(std::string_view text, std::string* out);

}  // namespace oncepay::channels::wechatpay
