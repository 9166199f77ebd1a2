#include "net/json.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace oncepay::net {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// ---------------------------------------------------------------- reading

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The first non-whitespace character, or '\0' when there is none.
char first_significant(std::string_view json) {
  for (char c : json) {
    if (!is_json_space(c)) return c;
  }
  return '\0';
}

// The deepest nesting of '{' and '[' outside strings. Stops counting once
// past `limit`; malformed input is left for Protobuf to reject.
int nesting_depth(std::string_view json, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// Protobuf names types like TYPE_INT64 or type.googleapis.com/pkg.Enum.
std::string describe_expected_type(std::string_view type) {
  if (type == "TYPE_INT32" || type == "TYPE_INT64" || type == "TYPE_UINT32" ||
      type == "TYPE_UINT64" || type == "TYPE_SINT32" || type == "TYPE_SINT64" ||
      type == "TYPE_FIXED32" || type == "TYPE_FIXED64" || type == "TYPE_SFIXED32" ||
      type == "TYPE_SFIXED64") {
    return "an integer";
  }
  if (type == "TYPE_DOUBLE" || type == "TYPE_FLOAT") return "a number";
  if (type == "TYPE_STRING") return "a string";
  if (type == "TYPE_BYTES") return "a base64 string";
  if (type == "TYPE_BOOL") return "true or false";
  constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com/";
  if (type.starts_with(kTypeUrlPrefix)) type.remove_prefix(kTypeUrlPrefix.size());
  return "a value of " + std::string(type);
}

// Rewrites the messages of Protobuf 3.21's JSON parser that name a field:
//   "(amount): invalid value 19.99 for type TYPE_INT64"
//   "(attempt) nope: Cannot find field."   /   "foo: Cannot find field."
// Anything else is reported as malformed JSON, first line only.
std::string describe_parse_error(std::string_view status_message) {
  constexpr std::string_view kNotFound = ": Cannot find field.";
  constexpr std::string_view kInvalid = ": invalid value ";
  constexpr std::string_view kForType = " for type ";
  if (status_message.ends_with(kNotFound)) {
    std::string_view where = status_message.substr(0, status_message.size() - kNotFound.size());
    std::string path;
    if (where.starts_with('(')) {
      size_t close = where.find(") ");
      if (close != std::string_view::npos) {
        path = std::string(where.substr(1, close - 1)) + ".";
        where.remove_prefix(close + 2);
      }
    }
    return "unknown field \"" + path + std::string(where) + "\"";
  }
  size_t invalid = status_message.find(kInvalid);
  size_t for_type = status_message.rfind(kForType);
  if (status_message.starts_with('(') && invalid != std::string_view::npos &&
      for_type != std::string_view::npos && for_type > invalid) {
    std::string_view field = status_message.substr(1, invalid - 2);
    size_t value_at = invalid + kInvalid.size();
    std::string_view value = status_message.substr(value_at, for_type - value_at);
    std::string_view type = status_message.substr(for_type + kForType.size());
    return "field \"" + std::string(field) + "\": invalid value " + std::string(value) +
           " (expected " + describe_expected_type(type) + ")";
  }
  std::string_view first_line = status_message.substr(0, status_message.find('\n'));
  return "malformed JSON: " + std::string(first_line);
}

bool set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// ---------------------------------------------------------------- writing

void append_escaped(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[byte >> 4]);
      out->push_back(kHex[byte & 0xf]);
    } else {
      out->push_back(c);  // UTF-8 multi-byte sequences pass through
    }
  }
  out->push_back('"');
}

void append_base64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->push_back('"');
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out->push_back(kAlphabet[(n >> shift) & 0x3f]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out->push_back(kAlphabet[(n >> 18) & 0x3f]);
    out->push_back(kAlphabet[(n >> 12) & 0x3f]);
    out->push_back(rest == 2 ? kAlphabet[(n >> 6) & 0x3f] : '=');
    out->push_back('=');
  }
  out->push_back('"');
}

template <typename T>
void append_number(T value, std::string* out) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  assert(ec == std::errc());
  out->append(buffer, end);
}

// JSON has no NaN or infinities: print them as Protobuf's JSON mapping does.
template <typename T>
void append_floating(T value, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (value == 0 && std::signbit(value)) {
    // "-0" would be read back as +0 (found by fuzz/api_decode_fuzzer).
    out->append("-0.0");
  } else {
    append_number(value, out);
  }
}

void append_enum(const FieldDescriptor& field, int number, std::string* out) {
  const auto* value = field.enum_type()->FindValueByNumber(number);
  if (value == nullptr) {
    append_number(number, out);  // an open enum holding a value we do not know
  } else {
    append_escaped(value->name(), out);
  }
}

void append_message(const Message& message, std::string* out);

// One value of `field`: the singular value, or element `index` when repeated.
void append_value(const Message& message, const FieldDescriptor& field, int index,
                  std::string* out) {
  const Reflection& r = *message.GetReflection();
  const bool rep = field.is_repeated();
  std::string scratch;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return append_number(
          rep ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field), out);
    case FieldDescriptor::CPPTYPE_INT64:
      return append_number(
          rep ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field), out);
    case FieldDescriptor::CPPTYPE_UINT32:
      return append_number(
          rep ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field), out);
    case FieldDescriptor::CPPTYPE_UINT64:
      return append_number(
          rep ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field), out);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return append_floating(
          rep ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field), out);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return append_floating(
          rep ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field), out);
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool value =
          rep ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field);
      out->append(value ? "true" : "false");
      return;
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return append_enum(
          field,
          rep ? r.GetRepeatedEnumValue(message, &field, index) : r.GetEnumValue(message, &field),
          out);
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& value =
          rep ? r.GetRepeatedStringReference(message, &field, index, &scratch)
              : r.GetStringReference(message, &field, &scratch);
      if (field.type() == FieldDescriptor::TYPE_BYTES) return append_base64(value, out);
      return append_escaped(value, out);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return append_message(
          rep ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field), out);
  }
}

void append_field(const Message& message, const FieldDescriptor& field, std::string* out) {
  append_escaped(field.name(), out);
  out->push_back(':');
  if (!field.is_repeated()) return append_value(message, field, 0, out);
  out->push_back('[');
  const int size = message.GetReflection()->FieldSize(message, &field);
  for (int i = 0; i < size; ++i) {
    if (i > 0) out->push_back(',');
    append_value(message, field, i, out);
  }
  out->push_back(']');
}

void append_message(const Message& message, std::string* out) {
  const Descriptor& descriptor = *message.GetDescriptor();
  const Reflection& reflection = *message.GetReflection();
  out->push_back('{');
  bool first = true;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    assert(!field.is_map() && "to_json does not support map fields");
    if (field.has_presence() && !reflection.HasField(message, &field)) continue;
    if (!first) out->push_back(',');
    first = false;
    append_field(message, field, out);
  }
  out->push_back('}');
}

}  // namespace

bool parse_json(std::string_view json, google::protobuf::Message* out, std::string* error) {
  assert(out != nullptr);
  out->Clear();
  const char first = first_significant(json);
  if (first == '\0') return set_error(error, "empty body: expected a JSON object");
  if (first != '{') return set_error(error, "body must be a JSON object");
  if (nesting_depth(json, kMaxJsonDepth) > kMaxJsonDepth) {
    return set_error(error, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  options.case_insensitive_enum_parsing = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), out, options);
  if (!status.ok()) {
    return set_error(error, describe_parse_error(std::string_view(status.message().data(),
                                                                  status.message().size())));
  }
  return true;
}

std::string to_json(const google::protobuf::Message& message) {
  std::string out;
  append_message(message, &out);
  return out;
}

}  // namespace oncepay::net
