// Test helper: runs the real oncepayd (or another server binary that prints
// "... listening on http://HOST:PORT") as a child process on a free port and
// talks to it over HTTP. Used by the black-box tests only. request() logs each
// exchange for the OpenAPI check (response_log.hpp).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.hpp"
#include "response_log.hpp"

extern char** environ;

namespace oncepay::testing {

// Reads fetch() every 20 ms until done(value) holds or `limit` has passed,
// and returns the last value read: a bounded wait for an event the test can
// observe, never a fixed sleep standing in for it.
template <class Fetch, class Pred>
auto poll_until(Fetch fetch, Pred done, std::chrono::milliseconds limit) -> decltype(fetch()) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto value = fetch();
  while (!done(value) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = fetch();
  }
  return value;
}

class DaemonProcess {
 public:
  // Starts `binary args...` and waits (bounded) for its listening line.
  // With stderr_path, the child's stderr goes to that file (appended)
  // instead of the test's.
  DaemonProcess(const std::string& binary, std::vector<std::string> args,
                std::chrono::milliseconds startup = std::chrono::seconds(20),
                const std::string& stderr_path = {})
      : server_(std::filesystem::path(binary).filename().string()) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    if (!stderr_path.empty()) {
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot spawn " + binary);
    }
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_fd_ = out[0];
    read_listening_line(startup);
  }

  ~DaemonProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  const std::string& base_url() const { return base_url_; }

  // One blocking request to `path` (with its query) on this server, logged
  // for the OpenAPI check. Any thread; also after stop() (then it fails).
  http::HttpClientResult request(
      const std::string& method, const std::string& path,
      std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    auto r = http::http_request_blocking(method, base_url_ + path, std::move(headers),
                                         std::move(body), timeout);
    log_exchange(server_, method, path, r);
    return r;
  }

  // Polls GET /readyz until it answers 200 (recovery done); false on timeout.
  bool wait_ready(std::chrono::milliseconds limit = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = request("GET", "/readyz", {}, {}, std::chrono::seconds(2));
      if (r.ok && r.status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  pid_t pid() const { return pid_; }

  // Sends `sig` and waits for the exit; returns the exit status (or -signal).
  int stop(int sig = SIGTERM) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -WTERMSIG(status);
  }

 private:
  void read_listening_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string buffer;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char chunk[512];
      ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the daemon exited before listening: " + buffer);
      buffer.append(chunk, static_cast<size_t>(n));
      auto at = buffer.find("listening on ");
      auto eol = buffer.find('\n', at == std::string::npos ? 0 : at);
      if (at != std::string::npos && eol != std::string::npos) {
        base_url_ = buffer.substr(at + 13, eol - at - 13);
        return;
      }
    }
    throw std::runtime_error("no listening line in time: " + buffer);
  }

  std::string server_;  // the binary's file name, for the exchange log
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string base_url_;
};

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "oncepay-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace oncepay::testing
