// What every channel's StatementSource (channels/statement_source.hpp) shares:
// reading a statement file in chunks, writing a fetched one (0600), one
// bounded blocking HTTP exchange for the fetchers, and the rule that a
// download URL a channel hands out must be on the account's own host.
//
// Threads and ownership: pure functions or blocking calls with no shared
// state; any thread, any number at once. blocking_http runs its own client
// (and I/O thread) for the one request.
//
// Failure modes: values. read_file_chunks and write_statement_file say
// what went wrong with the file (never its content); blocking_http answers
// ok == false with the client's reason (connect, TLS, timeout, an answer
// above max_answer_bytes).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_client.hpp"

namespace oncepay::channels {

// Bytes read from a statement file at a time.
inline constexpr size_t kStatementChunkBytes = 64 * 1024;
// The largest statement a fetch downloads (the HTTP client holds one answer
// in memory; recon.max-statement-bytes bounds uploads the same way).
inline constexpr size_t kMaxStatementBytes = size_t{256} * 1024 * 1024;

// Calls feed(chunk) for each chunk of at most kStatementChunkBytes of the file
// at `path`, in order, until feed returns false (then false, *io_error
// empty) or the file ends (true). A file that cannot be opened or read:
// false with *io_error set.
bool read_file_chunks(const std::string& path, const std::function<bool(std::string_view)>& feed,
                      std::string* io_error);

// Writes `bytes` to `path` (created 0600, truncated when it exists), then
// fsyncs it. False with *error naming the step.
bool write_statement_file(const std::string& path, std::string_view bytes, std::string* error);

// One request on a client of its own: connect and exchange each bounded by
// `timeout`, the answer by max_answer_bytes, `tls_ca_file` trusted on top of
// the system store. Blocks until the answer, an error or the timeout.
http::HttpClientResult blocking_http(std::string method, std::string url,
                                     std::vector<std::pair<std::string, std::string>> headers,
                                     std::string body, std::chrono::milliseconds timeout,
                                     size_t max_answer_bytes, const std::string& tls_ca_file = {});

// True when `url` has the scheme, host and port of `base_url` (both parse
// as http(s) URLs; ports compared after defaults): a download URL a
// channel's signed answer names must point back at that channel.
bool same_origin(std::string_view url, std::string_view base_url);

// The value of header `lower_name` in an answer (names are lower case), or "".
std::string answer_header(const http::HttpClientResult& result, std::string_view lower_name);

// "YYYY-MM-DD" with digits in those places (a statement's business day).
bool is_statement_date(std::string_view date);

}  // namespace oncepay::channels
