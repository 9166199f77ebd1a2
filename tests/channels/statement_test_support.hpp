// Test support for the channels' statement fetchers (channels/*/statements):
// the simulator's request handling (apps/sim_server) behind a real
// http::HttpServer on loopback port 0, with hooks that change a request
// before the simulator sees it or an answer before it leaves (a corrupted
// bill, a stripped signature, another Host), and small file helpers.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "apps/sim_server.hpp"
#include "core/wall_clock.hpp"
#include "http/http_server.hpp"

namespace oncepay::channels::testing {

using namespace std::chrono_literals;

class TamperedSim {
 public:
  using RequestHook = std::function<void(http::HttpRequest&)>;
  using AnswerHook = std::function<void(const http::HttpRequest&, http::HttpResponse&)>;

  explicit TamperedSim(std::unique_ptr<apps::SimFront> front, apps::SimServerOptions options = {}) {
    options.seed = 7;
    options.notify_retry_ms = {};
    sim_ = std::make_unique<apps::SimServer>(options, std::move(front));
    http::HttpServerOptions http;
    http.host = "127.0.0.1";
    http.port = 0;
    http.drain_timeout = 200ms;
    server_ = std::make_unique<http::HttpServer>(
        http,
        [this](http::HttpRequest request, http::Responder respond) {
          if (on_request) on_request(request);
          http::HttpRequest seen = request;
          sim_->handle(std::move(request),
                       [this, seen = std::move(seen),
                        respond = std::move(respond)](http::HttpResponse response) {
                         if (on_answer) on_answer(seen, response);
                         respond(std::move(response));
                       });
        },
        &apps::SimServer::error);
    std::string error;
    if (!server_->start(&error)) throw std::runtime_error("sim: " + error);
  }
  ~TamperedSim() {
    server_->stop();
    sim_->stop();
  }

  std::string url(std::string_view target = "") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(target);
  }
  uint16_t port() const { return server_->port(); }

  // Set before the requests they apply to (not while one is in flight).
  RequestHook on_request;
  AnswerHook on_answer;

 private:
  std::unique_ptr<apps::SimServer> sim_;
  std::unique_ptr<http::HttpServer> server_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline unsigned file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777u;
}

// "yyyy-MM-dd" in UTC+8, `days` from now.
inline std::string china_day_from_now(int days) {
  return apps::business_day(core::unix_ms() + int64_t{days} * 86'400'000);
}

}  // namespace oncepay::channels::testing
