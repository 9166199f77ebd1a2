// oncepayd: the oncepay daemon. Parses its configuration, starts the actor
// engine, the HTTP gateway and the configured payment channels (the
// registry of apps/daemon_channels.hpp), prints `oncepayd listening on http://HOST:PORT` once
// recovery has finished and requests are answered normally, and on SIGTERM/SIGINT stops accepting,
// drains in-flight requests and exits 0. It also serves the operations console at /console
// (compiled in: gateway/console.hpp) and keeps <data-dir>/audit.log (gateway/audit.hpp).
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include "actors/message_types.hpp"
#include "apps/daemon_config.hpp"
#include "storage/recon_store.hpp"

namespace {

using namespace oncepay;

// The configured channels, in the daemon's channel list's order.
bool install_channels(const apps::DaemonSettings& settings, channels::ChannelRegistry& registry,
                      const channels::InstallContext& context, std::string* error) {
  for (const auto& setup : settings.channels) {
    if (setup.enabled && !setup.install(registry, context, error)) return false;
  }
  return true;
}

int run(int argc, char** argv) {
  // Signals are taken by sigwait() in main; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // recovery failed (raised by the storage thread)
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  apps::DaemonConfig cfg;
  if (apps::wants_help(argc, argv)) {
    std::fputs(apps::help_text(cfg).c_str(), stdout);
    return 0;
  }
  if (auto err = apps::parse_config(cfg, argc, argv); !err.empty()) {
    std::fprintf(stderr, "oncepayd: %s\n", err.c_str());
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  apps::DaemonSettings settings;
  std::string error;
  if (!apps::load_settings(cfg, &settings, &error)) {
    std::fprintf(stderr, "oncepayd: configuration: %s\n", error.c_str());
    return 2;
  }
  std::error_code ec;
  // The data dir holds secrets (webhook secrets, channel accounts): one the
  // daemon creates is its owner's only; an existing one keeps its mode.
  if (std::filesystem::create_directories(settings.data_dir, ec) && !ec) {
    std::filesystem::permissions(settings.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    std::fprintf(stderr, "oncepayd: cannot create data dir %s: %s\n", settings.data_dir.c_str(),
                 ec.message().c_str());
    return 1;
  }

  // Admin actions and sign-ins (gateway/audit.hpp): kept in memory for
  // GET /admin/audit and appended to the data dir's audit.log, whose tail
  // is read back here.
  const std::string audit_path = (std::filesystem::path(settings.data_dir) / "audit.log").string();
  settings.api.admin.audit = gateway::AuditLog::open(audit_path, gateway::kAuditCapacity, &error);
  if (!settings.api.admin.audit) {
    std::fprintf(stderr, "oncepayd: audit log: %s\n", error.c_str());
    return 1;
  }

  caf::actor_system system{actors::add_message_types(cfg)};
  settings.engine.data_dir = settings.data_dir;
  settings.engine.payment.notify_retry_ladder_ms = settings.notify_retry_ladder_ms;
  if (settings.log_state_changes) settings.engine.state_log = std::make_shared<actors::StateLog>();
  // Outlives the engine and the gateway, which use its channels.
  channels::ChannelRegistry registry;
  auto accounts = std::make_shared<channels::ChannelAccounts>();
  settings.engine.channel_accounts = accounts;
  const channels::InstallContext context{system, accounts, settings.public_url};
  if (!install_channels(settings, registry, context, &error)) {
    std::fprintf(stderr, "oncepayd: channels: %s\n", error.c_str());
    return 2;
  }
  settings.engine.channels = registry.actors();
  actors::Engine engine{system, settings.engine};
  if (!settings.demo_merchant_id.empty()) {
    core::Policy policy = core::Policy::kStrict;
    core::parse_policy(settings.demo_policy, &policy);
    engine.merchants().add(settings.demo_merchant_id, settings.demo_api_key,
                           settings.demo_webhook_secret, policy);
  }
  // Reconciliation (docs/RECONCILIATION.md): its own store beside the
  // snapshot, its worker thread; stopped before the engine goes.
  std::unique_ptr<storage::ReconStore> recon_store;
  if (auto st = storage::ReconStore::open(settings.data_dir + "/recon", &recon_store);
      !st.is_ok()) {
    std::fprintf(stderr, "oncepayd: reconciliation store: %s\n", st.to_string().c_str());
    return 1;
  }
  actors::ReconCalendar calendar;
  if (!actors::ReconCalendar::load(settings.recon.timezone, settings.recon.daily_at, &calendar,
                                   &error)) {
    std::fprintf(stderr, "oncepayd: configuration: %s\n", error.c_str());
    return 2;
  }
  settings.recon.work_dir = settings.data_dir + "/recon-work";
  actors::Reconciler reconciler{engine, registry, std::move(recon_store), std::move(calendar),
                                settings.recon};
  reconciler.start();
  settings.api.reconciler = &reconciler;
  gateway::Api api{engine, registry, settings.api};
  const http::Handler handler = [&api](http::HttpRequest request, http::Responder respond) {
    api.handle(std::move(request), std::move(respond));
  };
  // In-process channels (the sandbox) notify through the same handler, until
  // the Api goes (on every way out of run()).
  registry.connect(handler);
  struct Disconnect {
    const channels::ChannelRegistry& registry;
    ~Disconnect() { registry.connect(nullptr); }
  } disconnect{registry};
  settings.http.large_body = [&api](const http::HttpRequest& head) { return api.large_body(head); };
  http::HttpServer server{settings.http, handler, &gateway::Api::error};
  if (!server.start(&error)) {
    std::fprintf(stderr, "oncepayd: cannot listen on %s:%u: %s\n", settings.http.host.c_str(),
                 settings.http.port, error.c_str());
    return 1;
  }
  // Recovery runs on the storage thread while /healthz already answers;
  // /readyz turns 200 when it is done. The listening line is printed only
  // then, so that a client that waits for it is never answered not_ready.
  // A failure (a corrupt log, say) ends the process with the storage error.
  std::mutex recovery_mutex;
  std::string recovery_error;
  const bool tls = !settings.http.tls_cert_file.empty();
  const std::string host = settings.http.host;
  const unsigned port = server.port();
  engine.start([&, tls, host, port](bool ok, std::string failure) {
    if (ok) {
      std::fprintf(stderr, "oncepayd: ready: %s\n", engine.recovery_summary().c_str());
      std::printf("oncepayd listening on %s://%s:%u\n", tls ? "https" : "http", host.c_str(), port);
      std::fflush(stdout);
      return;
    }
    {
      std::lock_guard lock(recovery_mutex);
      recovery_error = std::move(failure);
    }
    kill(getpid(), SIGUSR1);
  });

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  if (signal_number == SIGUSR1) {
    std::lock_guard lock(recovery_mutex);
    std::fprintf(stderr, "oncepayd: recovery failed: %s\n", recovery_error.c_str());
    server.stop();
    return 1;
  }
  std::fprintf(stderr, "oncepayd: %s: draining in-flight requests\n", strsignal(signal_number));
  server.stop();
  // In-process channels must not reach the Api once it is destroyed.
  registry.connect(nullptr);
  std::fprintf(stderr, "oncepayd: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
