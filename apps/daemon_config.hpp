// oncepayd's configuration: a CAF actor_system_config carrying every option
// of docs/API.md "Operating the daemon". Values come, later ones winning,
// from the built-in defaults (the embedded default: conf/oncepay.conf holds
// the same values), the file named by --config=FILE, and --group.key=value
// on the command line. Durations accept ms, s, min, h; lists are comma
// separated ("5min,10min") on the command line and [..] in files.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "actors/engine.hpp"
#include "actors/reconciler.hpp"
#include "channels/plugin.hpp"
#include "gateway/api.hpp"
#include "http/http_server.hpp"

namespace oncepay::apps {

class DaemonConfig : public caf::actor_system_config {
 public:
  DaemonConfig();
  // Every option, CAF's own included.
  const caf::config_option_set& options() const { return custom_options_; }
};

// One engine option as --help lists it: its key ("http.port"; top-level
// keys without a group), its default as written on the command line (""
// when it has none) and, from DaemonConfig, its meaning.
using OptionDefault = channels::OptionDefault;

// Every option oncepayd itself adds, in --help order, with the embedded
// default's value (the values conf/oncepay.conf writes out).
const std::vector<OptionDefault>& engine_options();

// True when the arguments ask for --help (or -h, -?).
bool wants_help(int argc, char** argv);

// The text of `oncepayd --help`: usage, then every engine option with its
// default and meaning. CAF's own options stay under --long-help.
std::string help_text(const DaemonConfig& cfg);

struct DaemonSettings {
  http::HttpServerOptions http;
  actors::EngineOptions engine;
  gateway::ApiOptions api;
  actors::ReconOptions recon;  // recon.* (work_dir and now_ms are the daemon's)
  std::string data_dir;
  // http.public-url: how channels reach this daemon (their notify URLs);
  // default http://<http.host>:<http.port>. No trailing '/'.
  std::string public_url;
  std::vector<int64_t> notify_retry_ladder_ms;
  // One JSON line on stderr per order state change (actors::StateLog).
  bool log_state_changes = true;
  // The demo merchant of the embedded default.
  std::string demo_merchant_id;
  std::string demo_api_key;
  std::string demo_webhook_secret;
  std::string demo_policy;
  // The configured payment channels (apps/daemon_channels.hpp), in list
  // order: install the enabled ones into the daemon's channels::ChannelRegistry.
  std::vector<channels::ChannelSetup> channels;
};

// Rewrites API.md spellings CAF 0.17 does not take: --config=FILE becomes
// --config-file=FILE, and --flag=true|false of a boolean option (CAF only
// knows bare flags) is taken out and returned in *booleans, to be put into
// the config after parsing. Returns the arguments to hand to caf parse().
std::vector<std::string> normalize_args(int argc, char** argv,
                                        std::vector<std::pair<std::string, bool>>* booleans);

// Parses arguments and the config file into cfg; empty string on success.
std::string parse_config(DaemonConfig& cfg, int argc, char** argv);

// Reads the parsed config into settings; false with *error on a bad value
// (including test secrets outside sandbox mode).
bool load_settings(const caf::actor_system_config& cfg, DaemonSettings* out, std::string* error);

}  // namespace oncepay::apps
