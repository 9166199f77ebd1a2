// Plain HTTP request/response values shared by the transport (http_server)
// and the request-to-response functions above it. No I/O here.
#pragma once

#include <cctype>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oncepay::http {

// ASCII lower case (header names, URL hosts, metric labels); other bytes
// pass through unchanged.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as received
  std::string target;  // path and query as received
  std::string path;    // target without the query string
  std::string query;   // after '?', empty when none
  // Header names lower-cased; values as received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A body streamed to a file (HttpServerOptions::large_body): its path, and
  // `body` is empty. The handler owns the file (and removes it).
  std::string body_file;
  uint64_t body_file_bytes = 0;
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

// The non-empty segments of a path: "/v1/orders/o-1/pay" -> v1, orders,
// o-1, pay. The views point into `path`, which must outlive them.
inline std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

// Completes one request. Called exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// The application side of a server: decides the response, never does
// socket I/O itself. May answer at once or later from another thread.
using Handler = std::function<void(HttpRequest, Responder)>;

}  // namespace oncepay::http
