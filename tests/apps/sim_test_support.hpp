// Test support for the channel simulator's protocol fronts: the simulator's
// request handling (apps/sim_server) served in-process behind a real
// http::HttpServer on loopback port 0, a notification receiver with scripted
// answers, the generated test keys of tests/channels/vectors/
// generated_locally.json written to temporary files (as the command line
// takes them), and bounded waits (no sleeping: a condition variable, or a
// yield loop for counters, always with a deadline).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "apps/sim_server.hpp"
#include "http/http_client.hpp"
#include "http/http_server.hpp"

namespace oncepay::apps::testing {

using namespace std::chrono_literals;

// keys.<name>.pem (or .value) of generated_locally.json.
inline std::string vector_key(std::string_view name) {
  static const boost::json::value keys = [] {
    std::ifstream in(std::string(ONCEPAY_VECTORS_DIR) + "/generated_locally.json",
                     std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str()).as_object().at("keys");
  }();
  const auto& entry = keys.as_object().at(boost::json::string_view(name.data(), name.size()));
  if (entry.is_string()) return std::string(entry.get_string());
  const auto& o = entry.as_object();
  if (const auto* pem = o.if_contains("pem")) return std::string(pem->get_string());
  return std::string(o.at("value").get_string());
}

// A temporary directory, removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("oncepay-sim-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, std::string_view content) const {
    const std::string file = (path_ / name).string();
    std::ofstream out(file, std::ios::binary);
    out << content;
    return file;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

// Waits until pred() holds or the deadline passes (yielding, never
// sleeping); returns pred().
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::yield();
  }
  return true;
}

// Receives notifications; `answer(i)` decides the answer to the i-th (0-based).
class Receiver {
 public:
  struct Delivery {
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
    std::string header(std::string_view name) const {
      for (const auto& [n, v] : headers) {
        if (n == name) return v;
      }
      return {};
    }
  };
  using AnswerFn = std::function<http::HttpResponse(size_t)>;

  explicit Receiver(AnswerFn answer) : answer_(std::move(answer)) {
    http::HttpServerOptions http;
    http.host = "127.0.0.1";
    http.port = 0;
    http.drain_timeout = 200ms;
    server_ = std::make_unique<http::HttpServer>(
        http,
        [this](http::HttpRequest request, http::Responder respond) {
          http::HttpResponse response;
          {
            std::lock_guard lock(mutex_);
            response = answer_(deliveries_.size());
            deliveries_.push_back({request.body, request.headers});
          }
          changed_.notify_all();
          respond(std::move(response));
        },
        [](int status, std::string_view, std::string_view) {
          http::HttpResponse r;
          r.status = status;
          return r;
        });
    std::string error;
    if (!server_->start(&error)) throw std::runtime_error("receiver: " + error);
  }
  ~Receiver() { server_->stop(); }

  std::string url(std::string_view path = "/notify") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  // Waits (bounded) until `n` deliveries arrived; returns all so far.
  std::vector<Delivery> wait_for(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return deliveries_.size() >= n; });
    return deliveries_;
  }

  size_t count() {
    std::lock_guard lock(mutex_);
    return deliveries_.size();
  }

 private:
  AnswerFn answer_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Delivery> deliveries_;
  std::unique_ptr<http::HttpServer> server_;
};

inline http::HttpResponse plain_answer(int status, std::string body) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

// A SimServer with `front` served on loopback, notifications retried every
// 20 ms (the compressed schedule).
class ServedSim {
 public:
  explicit ServedSim(std::unique_ptr<SimFront> front, SimServerOptions options = {}) {
    options.seed = 7;
    options.notify_retry_ms = {20, 20, 20, 20};
    options.notify_timeout = 2000ms;
    sim_ = std::make_unique<SimServer>(options, std::move(front));
    http::HttpServerOptions http;
    http.host = "127.0.0.1";
    http.port = 0;
    http.drain_timeout = 200ms;
    server_ = std::make_unique<http::HttpServer>(
        http,
        [this](http::HttpRequest request, http::Responder respond) {
          sim_->handle(std::move(request), std::move(respond));
        },
        &SimServer::error);
    std::string error;
    if (!server_->start(&error)) throw std::runtime_error("sim: " + error);
  }
  ~ServedSim() {
    server_->stop();
    sim_->stop();
  }

  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(target);
  }
  SimServer& sim() { return *sim_; }

  http::HttpClientResult call(const std::string& method, std::string_view target,
                              std::vector<std::pair<std::string, std::string>> headers = {},
                              std::string body = {}) {
    auto r = http::http_request_blocking(method, url(target), std::move(headers), std::move(body),
                                         3000ms);
    EXPECT_TRUE(r.ok) << r.error;
    return r;
  }

  // The payer pays (or fails) at the wallet: POST /sandbox/payments/{no}/pay.
  int sandbox(const std::string& payment_no, std::string_view action = "pay") {
    return call("POST", "/sandbox/payments/" + payment_no + "/" + std::string(action)).status;
  }

 private:
  std::unique_ptr<SimServer> sim_;
  std::unique_ptr<http::HttpServer> server_;
};

inline std::string header_of(const http::HttpClientResult& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

}  // namespace oncepay::apps::testing
