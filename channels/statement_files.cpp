#include "channels/statement_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "channels/network.hpp"
#include "http/url.hpp"

namespace oncepay::channels {

namespace {

// Closes the descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text(std::string_view what) {
  return std::string(what).append(": ").append(std::strerror(errno));
}

}  // namespace

bool read_file_chunks(const std::string& path, const std::function<bool(std::string_view)>& feed,
                      std::string* io_error) {
  io_error->clear();
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    *io_error = errno_text("cannot open the statement file");
    return false;
  }
  std::string chunk(kStatementChunkBytes, '\0');
  for (;;) {
    const ssize_t n = ::read(file.fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *io_error = errno_text("cannot read the statement file");
      return false;
    }
    if (n == 0) return true;
    if (!feed(std::string_view(chunk.data(), static_cast<size_t>(n)))) return false;
  }
}

bool write_statement_file(const std::string& path, std::string_view bytes, std::string* error) {
  Fd file{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (file.fd < 0) {
    *error = errno_text("cannot create the statement file");
    return false;
  }
  // O_CREAT's mode does not change a file that existed already.
  if (::fchmod(file.fd, 0600) != 0) {
    *error = errno_text("cannot chmod the statement file");
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(file.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errno_text("cannot write the statement file");
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(file.fd) != 0) {
    *error = errno_text("cannot fsync the statement file");
    return false;
  }
  return true;
}

http::HttpClientResult blocking_http(std::string method, std::string url,
                                     std::vector<std::pair<std::string, std::string>> headers,
                                     std::string body, std::chrono::milliseconds timeout,
                                     size_t max_answer_bytes, const std::string& tls_ca_file) {
  http::HttpClientOptions options = call_client_options(timeout, max_answer_bytes, tls_ca_file);
  options.keep_alive = false;
  http::HttpClient client(options, 1);
  std::promise<http::HttpClientResult> promise;
  std::future<http::HttpClientResult> future = promise.get_future();
  client.request(
      std::move(method), std::move(url), std::move(headers), std::move(body),
      [&promise](http::HttpClientResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

bool same_origin(std::string_view url, std::string_view base_url) {
  auto a = http::parse_url(url);
  auto b = http::parse_url(base_url);
  if (!a || !b) return false;
  auto lower = [](std::string s) {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
  };
  return a->tls == b->tls && lower(a->host) == lower(b->host) && a->port == b->port;
}

std::string answer_header(const http::HttpClientResult& result, std::string_view lower_name) {
  for (const auto& [name, value] : result.headers) {
    if (name == lower_name) return value;
  }
  return {};
}

bool is_statement_date(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i = 0; i < date.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (date[i] < '0' || date[i] > '9') return false;
  }
  return true;
}

}  // namespace oncepay::channels
