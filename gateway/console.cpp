#include "gateway/console.hpp"

#include <array>
#include <string>
#include <utility>

#include "core/codes.hpp"
#include "gateway/api.hpp"

namespace oncepay::gateway {

namespace {

constexpr std::string_view kPrefix = "/console";

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

// The console's headers on any answer under /console, errors included.
void add_console_headers(http::HttpResponse* r) {
  r->headers.emplace_back("Cache-Control", "no-cache");
  r->headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
}

}  // namespace

std::string_view content_type_of(std::string_view path) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [extension, type] : kTypes) {
    if (ends_with(path, extension)) return type;
  }
  return "application/octet-stream";
}

std::optional<http::HttpResponse> serve_console(const http::HttpRequest& request) {
  std::string_view path = request.path;
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  if (!path.empty() && path.front() != '/') return std::nullopt;  // "/consoles"
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) path = "index.html";
  http::HttpResponse r;
  if (request.method != "GET" && request.method != "HEAD") {
    r = Api::error(core::http_status(core::Code::kMethodNotAllowed),
                   core::to_string(core::Code::kMethodNotAllowed),
                   "method not allowed; use GET, HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    r = Api::error(core::http_status(core::Code::kNotFound), core::to_string(core::Code::kNotFound),
                   "no such console file");
    for (const ConsoleAsset& asset : console_assets()) {
      if (asset.path != path) continue;
      r.status = 200;
      r.content_type = std::string(content_type_of(asset.path));
      r.body = std::string(asset.bytes);
      break;
    }
  }
  add_console_headers(&r);
  return r;
}

}  // namespace oncepay::gateway
