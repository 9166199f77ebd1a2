// The operations console's static files (docs/CONSOLE.md), served at
// /console (index.html) and /console/<file>. The files are web/'s ES
// modules, CSS and HTML plus uPlot's (copied from web/node_modules/uplot/dist
// under vendor/), compiled into the binary: CMake turns them into a
// generated .cpp (gateway/embed_console.cmake) that defines
// console_assets(), so the daemon needs no path to find them.
//
// The files hold no data, so they need no credentials; every answer says
// Cache-Control: no-cache (a new daemon's files are picked up at once) and a
// Content-Security-Policy of default-src 'self' (no inline script or style,
// nothing from another origin); the console's data comes from /admin.
//
// Threads: pure functions over constant data; any thread.
// Failure modes: an unknown file is 404 not_found, a method other than GET
// or HEAD 405 (Allow: GET, HEAD); both in the API's error shape.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "http/http_types.hpp"

namespace oncepay::gateway {

struct ConsoleAsset {
  std::string_view path;  // relative to /console/: "index.html", "vendor/uPlot.esm.js"
  std::string_view bytes;
};

// Every embedded file, defined by the generated console_assets.cpp.
std::span<const ConsoleAsset> console_assets();

// The Content-Type of a file by its extension (.html, .js, .mjs, .css,
// .svg, .png, .json, .txt); application/octet-stream otherwise.
std::string_view content_type_of(std::string_view path);

// The Content-Security-Policy every console answer carries.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The answer to a request under /console, or nothing when the path is not
// /console or below it.
std::optional<http::HttpResponse> serve_console(const http::HttpRequest& request);

}  // namespace oncepay::gateway
