#include "channels/wechatpay/json_fields.hpp"

#include <boost/json/parse.hpp>

namespace oncepay::channels::wechatpay::json_fields {

Error parse_object(std::string_view text, boost::json::value* out) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec,
                                            boost::json::storage_ptr(), options);
  if (ec || !v.is_object()) return Error::kMalformedJson;
  *out = std::move(v);
  return Error::kOk;
}

Error read_string(const boost::json::object& object, std::string_view key, std::string* out) {
  const boost::json::value* v =
      object.if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) return Error::kMissingField;
  if (!v->is_string()) return Error::kWrongType;
  const boost::json::string& s = v->get_string();
  out->assign(s.data(), s.size());
  return Error::kOk;
}

Error read_optional_string(const boost::json::object& object, std::string_view key,
                           std::string* out) {
  const Error e = read_string(object, key, out);
  if (e == Error::kMissingField) {
    out->clear();
    return Error::kOk;
  }
  return e;
}

Error read_object(const boost::json::object& object, std::string_view key,
                  const boost::json::object** out) {
  const boost::json::value* v =
      object.if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) return Error::kMissingField;
  if (!v->is_object()) return Error::kWrongType;
  *out = &v->get_object();
  return Error::kOk;
}

Error read_fen(const boost::json::object& object, std::string_view key, int64_t min_fen,
               int64_t* out) {
  const boost::json::value* v =
      object.if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) return Error::kMissingField;
  // Boost.JSON keeps an integer literal as int64 (or uint64 above INT64_MAX);
  // anything with a fraction or an exponent is a double: not fen.
  if (v->is_int64()) {
    if (v->get_int64() < min_fen) return Error::kBadAmount;
    *out = v->get_int64();
    return Error::kOk;
  }
  if (v->is_uint64() || v->is_double()) return Error::kBadAmount;
  return Error::kWrongType;
}

}  // namespace oncepay::channels::wechatpay::json_fields
