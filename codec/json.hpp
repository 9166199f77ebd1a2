// JSON mapping of the API's protobuf messages, driven by their descriptors
// (never hand-written per message). Pure functions: no I/O, no shared state,
// callable from any thread.
//
// Reading (codec/json_read.cpp) is strict, the request contract of docs/API.md
// "Conventions": Boost.JSON checks the syntax, then a descriptor walk maps
// the value onto the message, refusing anything the .proto does not say
// exactly. Writing (codec/json.cpp) is our own reflection walk because the API
// prints 64-bit integers as JSON numbers (Protobuf quotes them) and always
// prints scalar fields without explicit presence, defaults included. Every
// to_json output parses back to the same message. See each function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "google/protobuf/message.h"

namespace oncepay::codec {

// Inputs nested deeper than this (counting objects and arrays, the top-level
// object included) are rejected by the parser, which bounds its recursion.
inline constexpr int kMaxJsonDepth = 16;

// Fills *out (cleared first) from a JSON object, strictly:
// - the body is one JSON object (RFC 8259, UTF-8, no comments), nested at
//   most kMaxJsonDepth deep, with no key twice in any object;
// - keys are exactly the .proto field names (snake_case; the lowerCamelCase
//   json_name aliases Protobuf's own parser takes are unknown fields);
// - int32/int64/uint32/uint64 fields take JSON integers (no fraction, no
//   exponent, no quotes) within the type's range; double/float fields any
//   JSON number that is finite in the type; string fields strings; bytes
//   fields standard base64 strings; bool fields true/false; enum fields
//   their value names as strings; message fields objects; repeated fields
//   arrays; null is never a value; at most one member of a oneof.
// Returns false and a human readable *error naming the field otherwise, e.g.
//   field "amount": expected an integer, got 1999.0
//   duplicate field "amount"
//   unknown field "notifyUrl"       (nested: "attempt.nope", "attempts[0].x")
//   malformed JSON: syntax error near byte 12
// Value ranges beyond the type's (amount > 0, ...) are the caller's checks
// (gateway/validate.hpp). *out may be partly filled on failure. `error` may be
// null.
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
// Map fields are not supported (ONCEPAY_CHECK).
std::string to_json(const google::protobuf::Message& message);

// Appends `text` as a JSON string literal, escaped as to_json escapes
// strings (", \, control characters as \u00XX; UTF-8 passed through).
void append_json_string(std::string_view text, std::string* out);

}  // namespace oncepay::codec
