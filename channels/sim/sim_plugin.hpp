// The `sim` channel as a plug-in: its registry entry (the HTTP adapter of
// sim_actor.hpp, notifications in the simulator's wire format of
// sim_notify.hpp, its circuit breaker as health, its daily statements of
// sim_statements.hpp) and its daemon options
// (channel-sim.*: the channel is on when channel-sim.url is set).
//
// Threads: registration and options on the daemon's main thread at startup;
// health from any thread.
// Failure modes: register_sim returns null with *error when the registry
// refuses the entry (a taken name); load() refuses invalid options
// ("channel-sim: url must be http://HOST:PORT").
#pragma once

#include <caf/all.hpp>
#include <string>

#include "channels/plugin.hpp"
#include "channels/registry.hpp"
#include "channels/sim/sim_actor.hpp"

namespace oncepay::channels::sim {

// Starts the adapter (validate(options) must be empty) and adds it to the
// registry, which owns it; the pointer lives as long as the registry.
SimChannel* register_sim(ChannelRegistry& registry, caf::actor_system& system,
                         SimChannelOptions options, std::string* error);

// The daemon's options of the sim channel: channel-sim.url, .secret, .timeout.
const ChannelPlugin& plugin();

}  // namespace oncepay::channels::sim
