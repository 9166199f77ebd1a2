// JSON mapping of the API's protobuf messages, driven by their descriptors
// (never hand-written per message). Pure functions: no I/O, no shared state,
// callable from any thread.
//
// Reading goes through Protobuf's own JSON parser with unknown fields
// rejected, behind two cheap checks of our own (top level must be an object,
// nesting at most kMaxJsonDepth). Writing is our own reflection walk because
// the API prints 64-bit integers as JSON numbers (Protobuf quotes them) and
// always prints scalar fields without explicit presence, defaults included.
// See to_json for the exact rules.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "google/protobuf/message.h"

namespace oncepay::net {

// Inputs nested deeper than this (counting '{' and '[') are rejected before
// Protobuf sees them, which bounds the parser's recursion.
inline constexpr int kMaxJsonDepth = 16;

// Fills *out (cleared first) from a JSON object. Returns false and a human
// readable *error on: an empty body, a top level that is not an object,
// nesting deeper than kMaxJsonDepth, malformed JSON, an unknown field, or a
// value of the wrong type (e.g. 19.99 or "abc" for an int64). The error names
// the offending field when Protobuf reports it, e.g.
//   unknown field "foo"
//   field "amount": invalid value 19.99 (expected an integer)
// *out may be partly filled on failure. `error` may be null.
bool parse_json(std::string_view json, google::protobuf::Message* out, std::string* error);

// Compact JSON (no whitespace) for `message`:
// - field names as in the .proto (snake_case), in declaration order;
// - a field with explicit presence (proto3 `optional`, message-typed, oneof
//   member) is printed only when set; every other singular field is always
//   printed, defaults included (0, "", false, the first enum value);
// - repeated fields are always printed, possibly as [];
// - int32/int64/uint32/uint64 as JSON numbers, double/float in their shortest
//   round-trip form (NaN and infinities as the strings Protobuf uses), bool as
//   true/false, enums as their value name (the number if the value is unknown),
//   bytes as base64, strings escaped (", \, control characters as \u00XX;
//   UTF-8 passed through).
// Map fields are not supported (asserted).
std::string to_json(const google::protobuf::Message& message);

}  // namespace oncepay::net
