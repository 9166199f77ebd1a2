#include "http/url.hpp"

#include <algorithm>
#include <cctype>

namespace oncepay::http {

namespace {

// Case-insensitive: does `url` start with `scheme` (lower case)?
bool has_scheme(std::string_view url, std::string_view scheme) {
  if (url.size() < scheme.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view default_port(bool tls) { return tls ? "443" : "80"; }

std::optional<Url> parse_url(std::string_view url) {
  Url out;
  if (has_scheme(url, "https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (has_scheme(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const size_t slash = std::min(url.find('/'), url.find('?'));
  std::string_view authority = url.substr(0, slash);
  // The target starts with '/': "?q" alone becomes "/?q". (Built by
  // appending: GCC 12 warns falsely on insert(0, ...) here.)
  const std::string_view rest = slash == std::string_view::npos ? "" : url.substr(slash);
  if (!rest.starts_with('/')) out.target.push_back('/');
  out.target.append(rest);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo
  size_t colon = authority.rfind(':');
  if (authority.starts_with('[')) {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    // Nothing but ":port" after the bracket: "[::1]evil.com" is no address.
    if (close + 1 < authority.size() && authority[close + 1] != ':') return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    colon = authority.find(':', close);
  } else {
    out.host = std::string(authority.substr(0, colon));
  }
  out.port = colon == std::string_view::npos ? std::string(default_port(out.tls))
                                             : std::string(authority.substr(colon + 1));
  const bool digits =
      !out.port.empty() && std::all_of(out.port.begin(), out.port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
  if (out.host.empty() || !digits || out.port.size() > 5 || std::stoul(out.port) < 1 ||
      std::stoul(out.port) > 65535) {
    return std::nullopt;
  }
  return out;
}

bool is_http_url(std::string_view url) { return parse_url(url).has_value(); }

}  // namespace oncepay::http
