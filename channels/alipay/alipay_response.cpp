#include "channels/alipay/alipay_response.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include "codec/json.hpp"

namespace oncepay::channels::alipay {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Scanner over text already known to be valid JSON: no error paths needed
// beyond bounds, which are still checked.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_ws() {
    while (pos_ < text_.size() && is_ws(text_[pos_])) ++pos_;
  }
  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void advance() { ++pos_; }
  size_t pos() const { return pos_; }
  bool done() const { return pos_ >= text_.size(); }

  // Skips one value starting at pos_ (no leading whitespace).
  void skip_value() {
    if (at('"')) return skip_string();
    if (at('{') || at('[')) return skip_nested();
    while (pos_ < text_.size() && !is_ws(text_[pos_]) && text_[pos_] != ',' && text_[pos_] != '}' &&
           text_[pos_] != ']') {
      ++pos_;
    }
  }

  void skip_string() {
    ++pos_;  // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      pos_ += text_[pos_] == '\\' ? size_t{2} : size_t{1};
    }
    ++pos_;  // closing quote
  }

 private:
  void skip_nested() {
    size_t depth = 0;
    do {
      const char c = text_[pos_];
      if (c == '"') {
        skip_string();
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++pos_;
    } while (depth > 0 && pos_ < text_.size());
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool valid_object(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxResponseDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  return !ec && value.is_object();
}

SignedResponse refuse(SignedResponse out, Verdict verdict, std::string detail) {
  out.verdict = verdict;
  out.detail = std::move(detail);
  return out;
}

}  // namespace

std::string response_key(std::string_view method) {
  std::string key(method);
  for (char& c : key) {
    if (c == '.') c = '_';
  }
  key.append("_response");
  return key;
}

std::optional<std::vector<RawMember>> object_members(std::string_view text) {
  if (!valid_object(text)) return std::nullopt;
  std::vector<RawMember> members;
  Scanner scan(text);
  scan.skip_ws();
  scan.advance();  // '{'
  scan.skip_ws();
  while (!scan.done() && !scan.at('}')) {
    const size_t key_begin = scan.pos();
    scan.skip_string();
    std::string key = member_text(text.substr(key_begin, scan.pos() - key_begin));
    scan.skip_ws();
    scan.advance();  // ':'
    scan.skip_ws();
    const size_t value_begin = scan.pos();
    scan.skip_value();
    members.push_back({std::move(key), text.substr(value_begin, scan.pos() - value_begin)});
    scan.skip_ws();
    if (scan.at(',')) {
      scan.advance();
      scan.skip_ws();
    }
  }
  return members;
}

std::string member_text(std::string_view raw_value) {
  if (raw_value.empty() || raw_value.front() != '"') return std::string(raw_value);
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(raw_value, ec);
  if (ec || !value.is_string()) return std::string();
  const boost::json::string& decoded = value.get_string();
  return std::string(decoded.data(), decoded.size());
}

SignedResponse extract_response(std::string_view body, std::string_view method) {
  SignedResponse out;
  std::optional<std::vector<RawMember>> members = object_members(body);
  if (!members) return refuse(std::move(out), Verdict::kMalformed, "body is not a JSON object");
  const std::string wanted = response_key(method);
  const RawMember* content = nullptr;
  const RawMember* error_content = nullptr;
  const RawMember* sign = nullptr;
  for (const RawMember& member : *members) {
    const RawMember** slot = member.key == wanted             ? &content
                             : member.key == "error_response" ? &error_content
                             : member.key == "sign"           ? &sign
                                                              : nullptr;
    if (slot == nullptr) continue;
    if (*slot != nullptr) {
      return refuse(std::move(out), Verdict::kMalformed, "\"" + member.key + "\" given twice");
    }
    *slot = &member;
  }
  if (content == nullptr) content = error_content;
  if (content == nullptr) {
    return refuse(std::move(out), Verdict::kMalformed, "no " + wanted + " and no error_response");
  }
  if (content->raw_value.empty() || content->raw_value.front() != '{') {
    return refuse(std::move(out), Verdict::kMalformed, content->key + " is not an object");
  }
  if (sign != nullptr && (sign->raw_value.empty() || sign->raw_value.front() != '"')) {
    return refuse(std::move(out), Verdict::kMalformed, "sign is not a string");
  }
  out.key = content->key;
  out.content = content->raw_value;
  if (sign != nullptr) out.sign = member_text(sign->raw_value);
  out.verdict = Verdict::kOk;
  return out;
}

SignedResponse verify_response(std::string_view body, std::string_view method,
                               const RsaPublicKey& alipay_public_key) {
  SignedResponse out = extract_response(body, method);
  if (out.verdict != Verdict::kOk) return out;
  if (out.sign.empty())
    return refuse(std::move(out), Verdict::kNoSignature, "response is unsigned");
  if (!verify_rsa2_base64(alipay_public_key, out.content, out.sign)) {
    return refuse(std::move(out), Verdict::kBadSignature,
                  "sign does not verify over the " + out.key + " text");
  }
  return out;
}

std::string build_signed_response(std::string_view method, std::string_view content_json,
                                  const RsaPrivateKey& alipay_private_key) {
  std::string body = "{";
  codec::append_json_string(response_key(method), &body);
  body.push_back(':');
  body.append(content_json);
  body.append(",\"sign\":");
  codec::append_json_string(sign_rsa2_base64(alipay_private_key, content_json), &body);
  body.push_back('}');
  return body;
}

}  // namespace oncepay::channels::alipay
