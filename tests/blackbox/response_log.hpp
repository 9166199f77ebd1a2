// Test helper: the log of HTTP exchanges that tools/openapi/check-responses.js
// holds against docs/openapi.yaml. When the environment variable
// ONCEPAY_RESPONSE_LOG names a file, log_exchange() appends one JSON line
//   {"server","method","path","status","content_type","headers","body"}
// per exchange; otherwise it does nothing. `server` names the binary that
// answered (oncepayd, oncepay-channel-sim): the checker looks at oncepayd's
// only. `path` is as sent, query included; `headers` the response's, names
// lower-cased.
//
// Threads: any. Each line is one write(2) to a file opened with O_APPEND, so
// lines of concurrent threads and of parallel test processes never
// interleave. Failure to log is not a test failure: the checker fails on a
// log that is missing or holds no exchange with oncepayd.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/json.hpp"
#include "http/http_client.hpp"

namespace oncepay::testing {

inline std::string_view response_header(const http::HttpClientResult& result,
                                        std::string_view lower_name) {
  for (const auto& [name, value] : result.headers) {
    if (name == lower_name) return value;
  }
  return {};
}

// Appends the exchange to $ONCEPAY_RESPONSE_LOG (when set). Exchanges that got
// no HTTP response (result.ok == false) are not logged: nothing to check.
inline void log_exchange(std::string_view server, std::string_view method, std::string_view path,
                         const http::HttpClientResult& result) {
  const char* file = std::getenv("ONCEPAY_RESPONSE_LOG");
  if (file == nullptr || *file == '\0' || !result.ok) return;
  std::string line = "{\"server\":";
  codec::append_json_string(server, &line);
  line += ",\"method\":";
  codec::append_json_string(method, &line);
  line += ",\"path\":";
  codec::append_json_string(path, &line);
  line += ",\"status\":" + std::to_string(result.status) + ",\"content_type\":";
  codec::append_json_string(response_header(result, "content-type"), &line);
  line += ",\"headers\":{";
  for (size_t i = 0; i < result.headers.size(); ++i) {
    if (i > 0) line.push_back(',');
    codec::append_json_string(result.headers[i].first, &line);
    line.push_back(':');
    codec::append_json_string(result.headers[i].second, &line);
  }
  line += "},\"body\":";
  codec::append_json_string(result.body, &line);
  line += "}\n";
  const int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const ssize_t written = write(fd, line.data(), line.size());
  (void)written;  // a short write leaves a broken line, which the checker reports
  close(fd);
}

}  // namespace oncepay::testing
