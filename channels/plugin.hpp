// What one channel folder gives the daemon: its configuration options and
// how it registers itself. The daemon's channel list (apps/daemon_channels.cpp)
// holds one ChannelPlugin per channel, and is the only place outside the
// channel folders that names a channel (docs/CHANNELS.md "Adding a channel").
//
// Configuration flow: declare() adds the channel's options (its own group,
// e.g. sandbox.*) to the daemon's option set; once the config is parsed,
// load() reads them into a ChannelSetup (refusing bad values with a
// sentence); once the actor system exists, ChannelSetup::install registers
// the channel's adapter in the registry.
//
// Threads: all of it runs on the daemon's main thread at startup.
// Failure modes: load() returns false with *error ("sandbox.secret must not
// be empty"); install() refuses nothing it was built from a good load().
#pragma once

#include <caf/all.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "channels/accounts.hpp"
#include "channels/registry.hpp"

namespace oncepay::channels {

// One option as --help lists it: its key and its default as written on the
// command line ("" when it has none).
struct OptionDefault {
  std::string_view key;  // "sandbox.secret"
  std::string_view default_value;
};

// What a channel gets when it is installed, besides its own options.
struct InstallContext {
  caf::actor_system& system;
  // Merchants' channel accounts (shared with the engine and the gateway): a
  // channel that acts per merchant adds its AccountParser here and reads
  // the accounts on every call and notification.
  std::shared_ptr<ChannelAccounts> accounts;
  // The daemon's public base URL (http.public-url, no trailing '/'): where
  // channels send notifications, e.g. <public_url>/v1/channels/<name>/notify/<merchant_id>.
  std::string public_url;
};

// What load() made of a channel's options.
struct ChannelSetup {
  bool enabled = false;  // false: the channel is not configured (install unused)
  // The embedded default's test secrets are allowed with this channel on
  // (the sandbox: a demo and test daemon).
  bool allows_test_secrets = false;
  // Every option as load() took it (defaults filled in), by key, so that two
  // configurations can be compared (the daemon's configuration tests). Holds
  // secrets: never log it.
  std::map<std::string, std::string> values;
  // Registers the channel (called once, only when enabled). False with
  // *error when the registry refuses it.
  std::function<bool(ChannelRegistry& registry, const InstallContext& context, std::string* error)>
      install;
};

struct ChannelPlugin {
  // The channel's options in --help order, with their defaults (the values
  // conf/oncepay.conf writes out).
  std::vector<OptionDefault> defaults;
  // Keys of its boolean options, which the command line may spell
  // --key=true|false.
  std::vector<std::string_view> boolean_options;
  // The key that turns test mode on (allows_test_secrets), named in the
  // daemon's refusal of test secrets; empty for channels without one.
  std::string_view test_mode_option;
  void (*declare)(caf::config_option_set& options) = nullptr;
  bool (*load)(const caf::actor_system_config& cfg, ChannelSetup* out,
               std::string* error) = nullptr;
};

}  // namespace oncepay::channels
