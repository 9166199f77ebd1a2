// The http:// and https:// URLs the outbound client takes (merchant webhook
// targets, the channel simulator): parsed here without any I/O, so the
// request validation (and its fuzzer) can ask "could we send to this?"
// without linking the client. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oncepay::http {

struct Url {
  bool tls = false;    // https://
  std::string host;    // without IPv6 brackets
  std::string port;    // digits; the scheme's default when absent
  std::string target;  // path and query, at least "/"
};

// "443" for https, "80" for http.
std::string_view default_port(bool tls);

// http[s]://host[:port][/path][?query] (scheme in any case); nullopt for
// anything else: another scheme, no host, userinfo ("user@"), a port that is
// not 1..65535, an unclosed IPv6 bracket or text after it other than ":port".
std::optional<Url> parse_url(std::string_view url);

// True when parse_url() takes `url`, i.e. the client can send to it.
bool is_http_url(std::string_view url);

}  // namespace oncepay::http
