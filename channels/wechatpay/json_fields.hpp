// Reading the JSON bodies of WeChat Pay APIv3 (Boost.JSON): one object,
// fields by name, strings as strings and amounts as exact integers of fen.
// Shared by notification.cpp and api.cpp; docs/channels/PROTOCOLS.md A.2
// ("amount.total / refund / payer_total: integer fen").
//
// Threads and ownership: pure functions; the returned pointers point into
// the caller's boost::json::object.
//
// Failure modes: Error values, never exceptions:
// - parse_object: kMalformedJson for anything but one JSON object (syntax,
//   invalid UTF-8, nesting deeper than kMaxJsonDepth, trailing bytes);
// - read_string: kMissingField (absent, or null) / kWrongType;
// - read_fen: kMissingField / kWrongType for a non-number, kBadAmount for a
//   number that is not an integer in [min_fen, INT64_MAX]: 100.0, 1e2, -1
//   and 9223372036854775808 are all refused, never rounded or wrapped.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "channels/wechatpay/error.hpp"

namespace oncepay::channels::wechatpay::json_fields {

// Bodies nested deeper than this are malformed (a real body nests 3 deep).
inline constexpr unsigned kMaxJsonDepth = 16;

Error parse_object(std::string_view text, boost::json::value* out);

// *out = the string member `key` of `object`.
Error read_string(const boost::json::object& object, std::string_view key, std::string* out);
// As read_string, but an absent (or null) member leaves *out empty and is kOk.
Error read_optional_string(const boost::json::object& object, std::string_view key,
                           std::string* out);
// *out = the object member `key`.
Error read_object(const boost::json::object& object, std::string_view key,
                  const boost::json::object** out);
// *out = the integer member `key`, in fen, >= min_fen.
Error read_fen(const boost::json::object& object, std::string_view key, int64_t min_fen,
               int64_t* out);

// The first error of a sequence of reads: `first(a, b, c)` is a if a is not
// kOk, else b, ... (every read has run; only the first failure is kept).
inline Error first(std::initializer_list<Error> errors) {
  for (Error e : errors) {
    if (e != Error::kOk) return e;
  }
  return Error::kOk;
}

}  // namespace oncepay::channels::wechatpay::json_fields
