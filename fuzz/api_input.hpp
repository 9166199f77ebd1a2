// The api_decode_fuzzer input format, shared with the seed generator:
//
//   <path> '\n' <X-Channel-Signature value> '\n' <body>
//
// A missing newline leaves the later parts empty. The signature is checked
// against kSecret at kNowUnixSeconds, so a seed signed with those (see
// make_seeds.cpp) exercises the kOk path and mutations of it the others.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace oncepay::fuzz {

// conf/'s sandbox test secret; any fixed value would do.
inline constexpr std::string_view kSecret = "chsec_sandbox";
// 2026-01-01T00:00:00Z: the clock the signature check sees.
inline constexpr int64_t kNowUnixSeconds = 1767225600;

struct ApiInput {
  std::string_view path;
  std::string_view signature_header;
  std::string_view body;
};

inline ApiInput split_api_input(std::string_view input) {
  ApiInput out;
  size_t first = input.find('\n');
  out.path = input.substr(0, first);
  if (first == std::string_view::npos) return out;
  input.remove_prefix(first + 1);
  size_t second = input.find('\n');
  out.signature_header = input.substr(0, second);
  if (second == std::string_view::npos) return out;
  out.body = input.substr(second + 1);
  return out;
}

inline std::string join_api_input(std::string_view path, std::string_view header,
                                  std::string_view body) {
  std::string out(path);
  out.append("\n").append(header).append("\n").append(body);
  return out;
}

}  // namespace oncepay::fuzz
