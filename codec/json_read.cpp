// parse_json (codec/json.hpp): the strict reading half of the JSON mapping.
//
// Two steps. Boost.JSON's SAX parser (basic_parser) checks the syntax, the
// UTF-8 and the nesting limit and reports events; JsonTreeBuilder turns them
// into a small tree that keeps what a boost::json::value would lose: every
// member of an object, duplicates included, and each number's source text
// (so 1999.0 is not an integer, doubles are converted exactly with
// std::from_chars rather than Boost 1.81's fast path, and errors quote the
// input). Then map_object walks the tree against the message's descriptor:
// field names, types and value ranges come from proto/oncepay.proto, nothing
// is written per message.
//
// Boost.JSON is compiled here, header-only, through <boost/json/src.hpp>: no
// other .cpp of a binary may include that header.
#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/src.hpp>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "codec/json.hpp"
#include "core/check.hpp"
#include "google/protobuf/descriptor.h"

namespace oncepay::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// ---------------------------------------------------------------- syntax

// One JSON value. An object's members are keys[i] -> children[i], in input
// order, duplicates kept; an array's elements are children (keys empty).
struct JsonNode {
  enum class Kind { kObject, kArray, kString, kInteger, kNumber, kBool, kNull };
  Kind kind = Kind::kNull;
  std::string text;  // a string's value; a number's source text
  bool boolean = false;
  std::vector<std::string> keys;
  std::vector<JsonNode> children;
};

// The basic_parser handler: builds a JsonNode tree. The parser has already
// checked what it reports (syntax, UTF-8, depth), so every event succeeds.
class JsonTreeBuilder {
 public:
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  JsonNode& root() { return root_; }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return open(JsonNode::Kind::kObject); }
  bool on_object_end(std::size_t, error_code&) { return close(); }
  bool on_array_begin(error_code&) { return open(JsonNode::Kind::kArray); }
  bool on_array_end(std::size_t, error_code&) { return close(); }
  bool on_key_part(string_view s, std::size_t, error_code&) { return append(s); }
  bool on_key(string_view s, std::size_t, error_code&) {
    append(s);
    open_.back()->keys.push_back(take_part());
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) { return append(s); }
  bool on_string(string_view s, std::size_t, error_code&) {
    append(s);
    return leaf(JsonNode::Kind::kString, take_part());
  }
  bool on_number_part(string_view s, error_code&) { return append(s); }
  bool on_int64(int64_t, string_view s, error_code&) { return number(JsonNode::Kind::kInteger, s); }
  bool on_uint64(uint64_t, string_view s, error_code&) {
    return number(JsonNode::Kind::kInteger, s);
  }
  bool on_double(double, string_view s, error_code&) { return number(JsonNode::Kind::kNumber, s); }
  bool on_bool(bool b, error_code&) {
    JsonNode& node = add(JsonNode::Kind::kBool);
    node.boolean = b;
    node.text = b ? "true" : "false";
    return true;
  }
  bool on_null(error_code&) {
    add(JsonNode::Kind::kNull).text = "null";
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }  // comments are off
  bool on_comment(string_view, error_code&) { return true; }

 private:
  // A new value: the root, or the next child of the innermost open container.
  // Pointers in open_ stay valid: a container's children only grow while it
  // is the innermost open one, and then none of them is open.
  JsonNode& add(JsonNode::Kind kind) {
    JsonNode* node = &root_;
    if (!open_.empty()) node = &open_.back()->children.emplace_back();
    node->kind = kind;
    return *node;
  }
  bool open(JsonNode::Kind kind) {
    open_.push_back(&add(kind));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }
  bool leaf(JsonNode::Kind kind, std::string text) {
    add(kind).text = std::move(text);
    return true;
  }
  bool number(JsonNode::Kind kind, string_view last) {
    append(last);
    return leaf(kind, take_part());
  }
  bool append(string_view s) {
    part_.append(s.data(), s.size());
    return true;
  }
  std::string take_part() {
    std::string out = std::move(part_);
    part_.clear();
    return out;
  }

  JsonNode root_;
  std::vector<JsonNode*> open_;
  std::string part_;  // the key, string or number being read in pieces
};

bool set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The first non-whitespace character, or '\0' when there is none.
char first_significant(std::string_view json) {
  for (char c : json) {
    if (!is_json_space(c)) return c;
  }
  return '\0';
}

// Parses the syntax of `json` into *root; false with the reason otherwise.
bool parse_tree(std::string_view json, JsonNode* root, std::string* error) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;  // the top-level object counts as one
  boost::json::basic_parser<JsonTreeBuilder> parser(options);
  boost::json::error_code ec;
  const size_t used = parser.write_some(false, json.data(), json.size(), ec);
  if (ec == boost::json::error::too_deep) {
    return set_error(error, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  if (ec)
    return set_error(error,
                     "malformed JSON: " + ec.message() + " near byte " + std::to_string(used));
  // write_some stops after the value and its trailing whitespace.
  if (used != json.size()) {
    return set_error(
        error, "malformed JSON: unexpected data after the object at byte " + std::to_string(used));
  }
  *root = std::move(parser.handler().root());
  return true;
}

// ---------------------------------------------------------------- mapping

constexpr size_t kMaxQuotedBytes = 32;

// What the input held, for an error message: a number as written, a string
// quoted (cut at kMaxQuotedBytes on a UTF-8 boundary).
std::string describe(const JsonNode& node) {
  switch (node.kind) {
    case JsonNode::Kind::kObject:
      return "an object";
    case JsonNode::Kind::kArray:
      return "an array";
    case JsonNode::Kind::kString: {
      if (node.text.size() <= kMaxQuotedBytes) return "\"" + node.text + "\"";
      size_t cut = kMaxQuotedBytes;
      while (cut > 0 && (static_cast<unsigned char>(node.text[cut]) & 0xc0) == 0x80) --cut;
      return "\"" + node.text.substr(0, cut) + "\"...";
    }
    default:
      return node.text.size() <= kMaxQuotedBytes ? node.text
                                                 : node.text.substr(0, kMaxQuotedBytes) + "...";
  }
}

std::string describe_enum(const google::protobuf::EnumDescriptor& type) {
  std::string out = "one of";
  for (int i = 0; i < type.value_count(); ++i) {
    out += (i == 0 ? " \"" : ", \"") + type.value(i)->name() + "\"";
  }
  return out;
}

// What a singular value of `field` must be, in words.
std::string expected(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return "an integer";
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return describe_enum(*field.enum_type());
    case FieldDescriptor::CPPTYPE_STRING:
      return field.type() == FieldDescriptor::TYPE_BYTES ? "a base64 string" : "a string";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "an object";
  }
  return "a value";
}

// Where in the input a value sits: amount, attempt.status, attempts[0].status.
std::string member_path(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

bool field_error(const std::string& path, const std::string& problem, std::string* error) {
  return set_error(error, "field \"" + path + "\": " + problem);
}

bool wrong_type(const std::string& path, const std::string& want, const JsonNode& got,
                std::string* error) {
  return field_error(path, "expected " + want + ", got " + describe(got), error);
}

// A JSON integer (no fraction, no exponent) that fits T, exactly.
template <typename T>
bool read_integer(const JsonNode& node, const std::string& path, T* out, std::string* error) {
  if (node.kind != JsonNode::Kind::kInteger) return wrong_type(path, "an integer", node, error);
  const char* end = node.text.data() + node.text.size();
  auto [stop, ec] = std::from_chars(node.text.data(), end, *out);
  if (ec == std::errc() && stop == end) return true;
  return wrong_type(path,
                    "an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
                        std::to_string(std::numeric_limits<T>::max()),
                    node, error);
}

// Any JSON number that converts to a finite T (exactly rounded).
template <typename T>
bool read_floating(const JsonNode& node, const std::string& path, T* out, std::string* error) {
  if (node.kind != JsonNode::Kind::kInteger && node.kind != JsonNode::Kind::kNumber) {
    return wrong_type(path, "a number", node, error);
  }
  const char* end = node.text.data() + node.text.size();
  auto [stop, ec] = std::from_chars(node.text.data(), end, *out);
  if (ec == std::errc() && stop == end) return true;
  return field_error(path, "number out of range, got " + describe(node), error);
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding, as to_json prints bytes.
bool decode_base64(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  out->clear();
  uint32_t bits = 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const int digit = base64_digit(text[i]);
    if (digit < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(digit);
    if (i % 4 == 3) {
      out->push_back(static_cast<char>(bits >> 16));
      out->push_back(static_cast<char>(bits >> 8));
      out->push_back(static_cast<char>(bits));
      bits = 0;
    }
  }
  if (padding == 1) {
    out->push_back(static_cast<char>(bits >> 10));
    out->push_back(static_cast<char>(bits >> 2));
  } else if (padding == 2) {
    out->push_back(static_cast<char>(bits >> 4));
  }
  return true;
}

bool map_object(const JsonNode& node, const std::string& path, Message* out, std::string* error);

// Stores one value of `field` (the singular value, or one more element).
class FieldWriter {
 public:
  FieldWriter(Message* message, const FieldDescriptor& field)
      : message_(*message), reflection_(*message->GetReflection()), field_(field) {}

  template <typename T>
  void put(T value) {
    const bool rep = field_.is_repeated();
    if constexpr (std::is_same_v<T, int32_t>) {
      rep ? reflection_.AddInt32(&message_, &field_, value)
          : reflection_.SetInt32(&message_, &field_, value);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      rep ? reflection_.AddInt64(&message_, &field_, value)
          : reflection_.SetInt64(&message_, &field_, value);
    } else if constexpr (std::is_same_v<T, uint32_t>) {
      rep ? reflection_.AddUInt32(&message_, &field_, value)
          : reflection_.SetUInt32(&message_, &field_, value);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      rep ? reflection_.AddUInt64(&message_, &field_, value)
          : reflection_.SetUInt64(&message_, &field_, value);
    } else if constexpr (std::is_same_v<T, double>) {
      rep ? reflection_.AddDouble(&message_, &field_, value)
          : reflection_.SetDouble(&message_, &field_, value);
    } else if constexpr (std::is_same_v<T, float>) {
      rep ? reflection_.AddFloat(&message_, &field_, value)
          : reflection_.SetFloat(&message_, &field_, value);
    } else if constexpr (std::is_same_v<T, bool>) {
      rep ? reflection_.AddBool(&message_, &field_, value)
          : reflection_.SetBool(&message_, &field_, value);
    } else {
      static_assert(std::is_same_v<T, std::string>);
      rep ? reflection_.AddString(&message_, &field_, std::move(value))
          : reflection_.SetString(&message_, &field_, std::move(value));
    }
  }
  void put_enum(int number) {
    field_.is_repeated() ? reflection_.AddEnumValue(&message_, &field_, number)
                         : reflection_.SetEnumValue(&message_, &field_, number);
  }
  Message* message() {
    return field_.is_repeated() ? reflection_.AddMessage(&message_, &field_)
                                : reflection_.MutableMessage(&message_, &field_);
  }

 private:
  Message& message_;
  const Reflection& reflection_;
  const FieldDescriptor& field_;
};

template <typename T>
bool map_integer(const JsonNode& node, const std::string& path, FieldWriter* to,
                 std::string* error) {
  T value{};
  if (!read_integer(node, path, &value, error)) return false;
  to->put(value);
  return true;
}

template <typename T>
bool map_floating(const JsonNode& node, const std::string& path, FieldWriter* to,
                  std::string* error) {
  T value{};
  if (!read_floating(node, path, &value, error)) return false;
  to->put(value);
  return true;
}

bool map_string(const JsonNode& node, const FieldDescriptor& field, const std::string& path,
                FieldWriter* to, std::string* error) {
  if (node.kind != JsonNode::Kind::kString) return wrong_type(path, expected(field), node, error);
  if (field.type() != FieldDescriptor::TYPE_BYTES) {
    to->put(node.text);
    return true;
  }
  std::string bytes;
  if (!decode_base64(node.text, &bytes)) return wrong_type(path, expected(field), node, error);
  to->put(std::move(bytes));
  return true;
}

bool map_enum(const JsonNode& node, const FieldDescriptor& field, const std::string& path,
              FieldWriter* to, std::string* error) {
  const auto* value = node.kind == JsonNode::Kind::kString
                          ? field.enum_type()->FindValueByName(node.text)
                          : nullptr;
  if (value == nullptr) return wrong_type(path, expected(field), node, error);
  to->put_enum(value->number());
  return true;
}

// One value of `field` (singular, or one element of a repeated field).
bool map_value(const JsonNode& node, const FieldDescriptor& field, const std::string& path,
               FieldWriter* to, std::string* error) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return map_integer<int32_t>(node, path, to, error);
    case FieldDescriptor::CPPTYPE_INT64:
      return map_integer<int64_t>(node, path, to, error);
    case FieldDescriptor::CPPTYPE_UINT32:
      return map_integer<uint32_t>(node, path, to, error);
    case FieldDescriptor::CPPTYPE_UINT64:
      return map_integer<uint64_t>(node, path, to, error);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return map_floating<double>(node, path, to, error);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return map_floating<float>(node, path, to, error);
    case FieldDescriptor::CPPTYPE_BOOL:
      if (node.kind != JsonNode::Kind::kBool) return wrong_type(path, expected(field), node, error);
      to->put(node.boolean);
      return true;
    case FieldDescriptor::CPPTYPE_ENUM:
      return map_enum(node, field, path, to, error);
    case FieldDescriptor::CPPTYPE_STRING:
      return map_string(node, field, path, to, error);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (node.kind != JsonNode::Kind::kObject) return wrong_type(path, "an object", node, error);
      return map_object(node, path, to->message(), error);
  }
  return wrong_type(path, expected(field), node, error);
}

bool map_field(const JsonNode& node, const FieldDescriptor& field, const std::string& path,
               Message* out, std::string* error) {
  if (field.is_map()) return field_error(path, "map fields are not supported", error);
  const auto* oneof = field.real_containing_oneof();
  if (oneof != nullptr && out->GetReflection()->HasOneof(*out, oneof)) {
    return field_error(path, "only one field of \"" + oneof->name() + "\" may be set", error);
  }
  FieldWriter to(out, field);
  if (!field.is_repeated()) return map_value(node, field, path, &to, error);
  if (node.kind != JsonNode::Kind::kArray) return wrong_type(path, "an array", node, error);
  for (size_t i = 0; i < node.children.size(); ++i) {
    const std::string element = path + "[" + std::to_string(i) + "]";
    if (!map_value(node.children[i], field, element, &to, error)) return false;
  }
  return true;
}

// The first key that appears twice in an object, or null.
const std::string* duplicate_key(const std::vector<std::string>& keys) {
  std::vector<std::string_view> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  auto twice = std::adjacent_find(sorted.begin(), sorted.end());
  if (twice == sorted.end()) return nullptr;
  return &*std::find(keys.begin(), keys.end(), *twice);
}

// Maps an object onto `out` by field name: exactly the .proto names (never
// the lowerCamelCase json_name), each at most once.
bool map_object(const JsonNode& node, const std::string& path, Message* out, std::string* error) {
  ONCEPAY_CHECK(node.kind == JsonNode::Kind::kObject && node.keys.size() == node.children.size());
  if (const std::string* key = duplicate_key(node.keys)) {
    return set_error(error, "duplicate field \"" + member_path(path, *key) + "\"");
  }
  const Descriptor& descriptor = *out->GetDescriptor();
  for (size_t i = 0; i < node.keys.size(); ++i) {
    const std::string field_path = member_path(path, node.keys[i]);
    const FieldDescriptor* field = descriptor.FindFieldByName(node.keys[i]);
    if (field == nullptr) return set_error(error, "unknown field \"" + field_path + "\"");
    if (!map_field(node.children[i], *field, field_path, out, error)) return false;
  }
  return true;
}

}  // namespace

bool parse_json(std::string_view json, google::protobuf::Message* out, std::string* error) {
  ONCEPAY_CHECK(out != nullptr);
  out->Clear();
  const char first = first_significant(json);
  if (first == '\0') return set_error(error, "empty body: expected a JSON object");
  if (first != '{') return set_error(error, "body must be a JSON object");
  JsonNode root;
  if (!parse_tree(json, &root, error)) return false;
  return map_object(root, "", out, error);
}

}  // namespace oncepay::codec
