// oncepay-channel-sim: a third-party wallet channel over HTTP for tests,
// demos and load tests (docs/CHANNEL_SIM.md). The engine's `sim` channel
// adapter calls its channel API; payers and tests drive it through the
// /sandbox endpoints; it POSTs signed notifications to --notify-url and
// retries them. It is its own process, so its state survives engine restarts.
//
//   oncepay-channel-sim --listen=127.0.0.1:0 --secret=S
//       --notify-url=http://127.0.0.1:8080/v1/channels/sim/notify
//       [--notify-retry=15s,15s,30s,3min,...] [--notify-timeout=5s]
//       [--name=sim] [--seed=N] [--threads=N]
//
// Prints `oncepay-channel-sim listening on http://HOST:PORT` once it serves.
// SIGTERM / SIGINT: stop accepting, drain requests in flight, exit 0.
// Exit 2 on a bad command line, 1 when it cannot listen.
#include <pthread.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "apps/sim_server.hpp"
#include "http/http_server.hpp"

namespace {

using namespace oncepay;

constexpr const char* kUsage =
    "usage: oncepay-channel-sim --listen=HOST:PORT --secret=S [--notify-url=URL]\n"
    "       [--notify-retry=D,D,...] [--notify-timeout=D] [--name=NAME] [--seed=N]\n"
    "       [--threads=N]   (durations: ms, s, min, h)\n";

struct Cli {
  http::HttpServerOptions http;
  apps::SimServerOptions sim;
};

bool parse_uint(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

bool parse_listen(std::string_view text, http::HttpServerOptions* http) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  uint64_t port = 0;
  if (!parse_uint(text.substr(colon + 1), &port) || port > 65535) return false;
  http->host = std::string(text.substr(0, colon));
  http->port = static_cast<uint16_t>(port);
  return true;
}

// Empty on success, else what is wrong.
std::string parse_cli(int argc, char** argv, Cli* cli) {
  bool listen_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return "help";
    auto eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos) {
      return std::string("unexpected argument ").append(arg);
    }
    std::string_view key = arg.substr(2, eq - 2);
    std::string_view value = arg.substr(eq + 1);
    std::string why;
    uint64_t n = 0;
    int64_t ms = 0;
    if (key == "listen") {
      if (!parse_listen(value, &cli->http)) return "--listen wants HOST:PORT";
      listen_set = true;
    } else if (key == "notify-url") {
      if (value.substr(0, 7) != "http://") return "--notify-url wants an http:// URL";
      cli->sim.notify_url = std::string(value);
    } else if (key == "secret") {
      cli->sim.secret = std::string(value);
    } else if (key == "notify-retry") {
      if (!apps::parse_duration_list(value, &cli->sim.notify_retry_ms, &why)) {
        return "--notify-retry: " + why;
      }
    } else if (key == "notify-timeout") {
      if (!apps::parse_duration_ms(value, &ms)) return "--notify-timeout wants a duration";
      cli->sim.notify_timeout = std::chrono::milliseconds(ms);
    } else if (key == "name") {
      if (value.empty()) return "--name must not be empty";
      cli->sim.channel_name = std::string(value);
    } else if (key == "seed") {
      if (!parse_uint(value, &n)) return "--seed wants a number";
      cli->sim.seed = n;
    } else if (key == "threads") {
      if (!parse_uint(value, &n) || n == 0 || n > 64) return "--threads wants 1..64";
      cli->http.threads = static_cast<int>(n);
    } else {
      return std::string("unknown option --").append(key);
    }
  }
  if (!listen_set) return "--listen is required";
  if (cli->sim.secret.empty()) return "--secret is required";
  return {};
}

int run(int argc, char** argv) {
  // Signals are taken by sigwait() below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Cli cli;
  cli.http.body_limit_bytes = 16 * 1024;
  cli.http.drain_timeout = std::chrono::milliseconds(2000);
  if (auto err = parse_cli(argc, argv, &cli); !err.empty()) {
    if (err == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "oncepay-channel-sim: %s\n%s", err.c_str(), kUsage);
    return 2;
  }

  apps::SimServer sim{cli.sim};
  http::HttpServer server{cli.http,
                          [&sim](http::HttpRequest request, http::Responder respond) {
                            sim.handle(std::move(request), std::move(respond));
                          },
                          &apps::SimServer::error};
  std::string error;
  if (!server.start(&error)) {
    std::fprintf(stderr, "oncepay-channel-sim: cannot listen on %s:%u: %s\n", cli.http.host.c_str(),
                 cli.http.port, error.c_str());
    return 1;
  }
  std::printf("oncepay-channel-sim listening on http://%s:%u\n", cli.http.host.c_str(),
              server.port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::fprintf(stderr, "oncepay-channel-sim: %s: stopping\n", strsignal(signal_number));
  server.stop();
  sim.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
