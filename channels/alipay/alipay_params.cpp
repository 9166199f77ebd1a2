#include "channels/alipay/alipay_params.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace oncepay::channels::alipay {
namespace {

bool excluded(std::string_view name, SignRule rule) {
  if (name == "sign") return true;
  return rule == SignRule::kV1 && name == "sign_type";
}

std::string percent_encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

void set_error(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
}

}  // namespace

std::string sign_content(const Params& params, SignRule rule) {
  std::string content;
  for (const auto& [name, value] : params) {
    if (value.empty() || excluded(name, rule)) continue;
    if (!content.empty()) content.push_back('&');
    content.append(name);
    content.push_back('=');
    content.append(value);
  }
  return content;
}

void sign_params(Params* params, const RsaPrivateKey& key, SignRule rule) {
  params->erase("sign");
  std::string sign = sign_rsa2_base64(key, sign_content(*params, rule));
  (*params)["sign"] = std::move(sign);
}

bool verify_params(const Params& params, const RsaPublicKey& key, SignRule rule) {
  const auto sign = params.find("sign");
  if (sign == params.end() || sign->second.empty()) return false;
  return verify_rsa2_base64(key, sign_content(params, rule), sign->second);
}

std::string form_encode(const Params& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body.push_back('&');
    body.append(percent_encode(name));
    body.push_back('=');
    body.append(percent_encode(value));
  }
  return body;
}

std::optional<Params> parse_form(std::string_view body, std::string* error) {
  Params out;
  if (body.empty()) return out;
  // Boost 1.81's parse_query re-measures its input with strlen() (it builds
  // the result from s.data() alone, impl/parse_query.ipp), so it must get a
  // NUL-terminated copy: a view into a larger buffer is over-read and
  // mis-sized. A body that parses holds no NUL (it would be %00).
  const std::string terminated(body);
  auto parsed = boost::urls::parse_query(terminated);
  if (!parsed) {
    set_error(error,
              "malformed form body (bad percent-encoding or a character a form may not hold)");
    return std::nullopt;
  }
  boost::urls::encoding_opts plus_is_space;
  plus_is_space.space_as_plus = true;
  for (const auto& param : *parsed) {
    if (out.size() == kMaxFormParams) {
      set_error(error, "form body has more than " + std::to_string(kMaxFormParams) + " parameters");
      return std::nullopt;
    }
    std::string name = param.key.decode(plus_is_space);
    if (name.empty()) {
      set_error(error, "form parameter without a name");
      return std::nullopt;
    }
    std::string value = param.has_value ? param.value.decode(plus_is_space) : std::string();
    auto [it, inserted] = out.emplace(std::move(name), std::move(value));
    if (!inserted) {
      set_error(error,
                "form parameter \"" + it->first.substr(0, 64) + "\" is given more than once");
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace oncepay::channels::alipay
