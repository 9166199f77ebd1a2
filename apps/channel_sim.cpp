// oncepay-channel-sim: a third-party wallet channel over HTTP for tests,
// demos and load tests (docs/CHANNEL_SIM.md). The engine's `sim` channel
// adapter calls its channel API; payers and tests drive it through the
// /sandbox endpoints; it POSTs signed notifications to --notify-url and
// retries them. It is its own process, so its state survives engine restarts.
//
//   oncepay-channel-sim --listen=127.0.0.1:0 --secret=S
//       --notify-url=http://127.0.0.1:8080/v1/channels/sim/notify
//       [--notify-retry=15s,15s,30s,3min,...] [--notify-timeout=5s]
//       [--name=sim] [--seed=N] [--threads=N] [--merchant-id=ID]
//   oncepay-channel-sim --protocol=wechatpay-v3 --listen=... --wechatpay.mchid=...
//       --wechatpay.merchant-public-key-file=F --wechatpay.platform-private-key-file=F
//       --wechatpay.platform-public-key-id=PUB_KEY_ID_... --wechatpay.apiv3-key-file=F
//   oncepay-channel-sim --protocol=alipay --listen=... --alipay.app-id=...
//       --alipay.app-public-key-file=F --alipay.platform-private-key-file=F
//
// The protocol fronts: apps/sim_wechatpay.hpp, apps/sim_alipay.hpp. Keys come
// from files (never argv, where ps shows them) and are never printed.
// Prints `oncepay-channel-sim listening on http://HOST:PORT` once it serves.
// SIGTERM / SIGINT: stop accepting, drain requests in flight, exit 0.
// Exit 2 on a bad command line, 1 when it cannot listen.
#include <pthread.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "apps/sim_alipay.hpp"
#include "apps/sim_server.hpp"
#include "apps/sim_wechatpay.hpp"
#include "http/http_server.hpp"

namespace {

using namespace oncepay;

constexpr const char* kUsage =
    "usage: oncepay-channel-sim --listen=HOST:PORT --secret=S [--notify-url=URL]\n"
    "       [--notify-retry=D,D,...] [--notify-timeout=D] [--name=NAME] [--seed=N]\n"
    "       [--threads=N] [--merchant-id=ID]   (durations: ms, s, min, h)\n"
    "       [--protocol=oncepay|wechatpay-v3|alipay]   (default oncepay; --secret is\n"
    "        for oncepay only)\n"
    "  wechatpay-v3: --wechatpay.mchid=DIGITS --wechatpay.merchant-public-key-file=PEM\n"
    "       --wechatpay.platform-private-key-file=PEM\n"
    "       --wechatpay.platform-public-key-id=PUB_KEY_ID_...\n"
    "       --wechatpay.apiv3-key-file=FILE (32 bytes)\n"
    "  alipay: --alipay.app-id=ID --alipay.app-public-key-file=PEM\n"
    "       --alipay.platform-private-key-file=PEM\n"
    "  notifications of wechatpay-v3 and alipay go to the notify_url of each request\n"
    "  (--notify-url is the fallback); alipay retries on its own schedule\n"
    "  (4min,10min,10min,1h,2h,6h,15h) unless --notify-retry is given\n";

struct Cli {
  http::HttpServerOptions http;
  apps::SimServerOptions sim;
  std::string protocol = "oncepay";
  std::string wechatpay_mchid;
  std::string wechatpay_key_id;
  apps::WechatpayKeyFiles wechatpay_files;
  std::string alipay_app_id;
  apps::AlipayKeyFiles alipay_files;
};

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// The protocol's own options (Cli fields); false: not one of them.
bool protocol_option(std::string_view key, std::string_view value, Cli* cli) {
  const std::pair<std::string_view, std::string*> options[] = {
      {"protocol", &cli->protocol},
      {"wechatpay.mchid", &cli->wechatpay_mchid},
      {"wechatpay.platform-public-key-id", &cli->wechatpay_key_id},
      {"wechatpay.merchant-public-key-file", &cli->wechatpay_files.merchant_public_key_file},
      {"wechatpay.platform-private-key-file", &cli->wechatpay_files.platform_private_key_file},
      {"wechatpay.apiv3-key-file", &cli->wechatpay_files.apiv3_key_file},
      {"alipay.app-id", &cli->alipay_app_id},
      {"alipay.app-public-key-file", &cli->alipay_files.app_public_key_file},
      {"alipay.platform-private-key-file", &cli->alipay_files.platform_private_key_file},
      {"merchant-id", &cli->sim.merchant_id},
  };
  for (const auto& [name, field] : options) {
    if (key == name) {
      *field = std::string(value);
      return true;
    }
  }
  return false;
}

// Checks the protocol's options; empty when they are complete.
std::string check_protocol(const Cli& cli) {
  if (cli.protocol == "oncepay") {
    return cli.sim.secret.empty() ? "--secret is required" : "";
  }
  if (cli.protocol == "wechatpay-v3") {
    if (!all_digits(cli.wechatpay_mchid)) return "--wechatpay.mchid wants the merchant's digits";
    if (cli.wechatpay_key_id.empty()) return "--wechatpay.platform-public-key-id is required";
    if (cli.wechatpay_files.merchant_public_key_file.empty() ||
        cli.wechatpay_files.platform_private_key_file.empty() ||
        cli.wechatpay_files.apiv3_key_file.empty()) {
      return "--wechatpay.merchant-public-key-file, --wechatpay.platform-private-key-file and "
             "--wechatpay.apiv3-key-file are required";
    }
    return {};
  }
  if (cli.protocol == "alipay") {
    if (cli.alipay_app_id.empty()) return "--alipay.app-id is required";
    if (cli.alipay_files.app_public_key_file.empty() ||
        cli.alipay_files.platform_private_key_file.empty()) {
      return "--alipay.app-public-key-file and --alipay.platform-private-key-file are required";
    }
    return {};
  }
  return "--protocol wants oncepay, wechatpay-v3 or alipay";
}

// The front of cli.protocol with its keys loaded (null for oncepay); on
// failure *error names the file and the problem, never key bytes.
std::unique_ptr<apps::SimFront> make_front(const Cli& cli, std::string* error) {
  if (cli.protocol == "wechatpay-v3") {
    apps::WechatpayFrontOptions options;
    options.mchid = cli.wechatpay_mchid;
    options.platform_public_key_id = cli.wechatpay_key_id;
    if (!apps::load_wechatpay_keys(cli.wechatpay_files, &options, error)) return nullptr;
    return std::make_unique<apps::WechatpayFront>(std::move(options));
  }
  if (cli.protocol == "alipay") {
    apps::AlipayFrontOptions options;
    options.app_id = cli.alipay_app_id;
    if (!apps::load_alipay_keys(cli.alipay_files, &options, error)) return nullptr;
    return std::make_unique<apps::AlipayFront>(std::move(options));
  }
  return nullptr;
}

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
  bool retry_set = false;
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
      retry_set = true;
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
    } else if (!protocol_option(key, value, cli)) {
      return std::string("unknown option --").append(key);
    }
  }
  if (!listen_set) return "--listen is required";
  if (cli->protocol == "alipay" && !retry_set) {
    cli->sim.notify_retry_ms = apps::alipay_notify_retry_ms();
  }
  return check_protocol(*cli);
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

  std::string key_error;
  std::unique_ptr<apps::SimFront> front = make_front(cli, &key_error);
  if (!key_error.empty()) {
    std::fprintf(stderr, "oncepay-channel-sim: %s\n", key_error.c_str());
    return 2;
  }
  apps::SimServer sim{cli.sim, std::move(front)};
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
