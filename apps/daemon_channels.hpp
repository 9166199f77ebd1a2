// The daemon's payment channels: the one list of them, one line per channel
// (docs/CHANNELS.md "Adding a channel"). Everything else in the daemon, the
// engine and the gateway iterates it or the registry built from it.
//
// Threads: read-only after first use.
#pragma once

#include <vector>

#include "channels/plugin.hpp"

namespace oncepay::apps {

// Every channel the daemon knows, in --help order.
const std::vector<const channels::ChannelPlugin*>& daemon_channels();

}  // namespace oncepay::apps
