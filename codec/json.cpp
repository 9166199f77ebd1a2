#include "codec/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "core/check.hpp"
#include "google/protobuf/descriptor.h"

namespace oncepay::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// ---------------------------------------------------------------- writing

void append_base64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->push_back('"');
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                 (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                 uint32_t{static_cast<uint8_t>(bytes[i + 2])};
    for (int shift = 18; shift >= 0; shift -= 6) out->push_back(kAlphabet[(n >> shift) & 0x3f]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
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
  ONCEPAY_CHECK(ec == std::errc());
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
    append_json_string(value->name(), out);
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
      return append_json_string(value, out);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return append_message(
          rep ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field), out);
  }
}

void append_field(const Message& message, const FieldDescriptor& field, std::string* out) {
  append_json_string(field.name(), out);
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
    ONCEPAY_CHECK(!field.is_map() && "to_json does not support map fields");
    if (field.has_presence() && !reflection.HasField(message, &field)) continue;
    if (!first) out->push_back(',');
    first = false;
    append_field(message, field, out);
  }
  out->push_back('}');
}

}  // namespace

void append_json_string(std::string_view text, std::string* out) {
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

std::string to_json(const google::protobuf::Message& message) {
  std::string out;
  append_message(message, &out);
  return out;
}

}  // namespace oncepay::codec
