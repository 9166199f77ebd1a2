// Plain HTTP request/response values shared by the transport (http_server)
// and the request-to-response functions (api). No I/O here.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oncepay::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as received
  std::string target;  // path and query as received
  std::string path;    // target without the query string
  std::string query;   // after '?', empty when none
  // Header names lower-cased; values as received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // The first header with that (lower-case) name, or an empty view.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// Completes one request. Called exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// The application side of the gateway: decides the response, never does
// socket I/O itself. May answer at once or later from another thread.
using Handler = std::function<void(HttpRequest, Responder)>;

}  // namespace oncepay::net
