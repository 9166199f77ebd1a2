// The built-in `sandbox` channel as a plug-in: its registry entry (adapter
// actor, notifications in the simulator's wire format, its /sandbox payer
// and test controls of docs/API.md "Built-in sandbox channel", its loopback
// to the gateway, its daily statements) and its daemon options (sandbox.*).
//
// Threads: registration and options on the daemon's main thread at startup;
// the routes' handlers on gateway threads (SandboxChannel is thread-safe).
// Failure modes: register_sandbox returns null with *error when the registry
// refuses the entry (a taken name or /sandbox prefix).
#pragma once

#include <caf/all.hpp>
#include <string>

#include "channels/plugin.hpp"
#include "channels/registry.hpp"
#include "channels/sandbox/sandbox_actor.hpp"

namespace oncepay::channels::sandbox {

// Spawns the sandbox and adds it to the registry, which owns it; the pointer
// (for tests and tools that play the payer) lives as long as the registry.
SandboxChannel* register_sandbox(ChannelRegistry& registry, caf::actor_system& system,
                                 SandboxOptions options, std::string* error);

// The entry's routes over `channel` (the /sandbox endpoints), exposed for
// tests.
std::vector<ChannelRoute> routes(SandboxChannel& channel);

// The entry's daily statements over `channel` (which must outlive it): WeChat's
// ALL layout parsed by wechatpay::parse_tradebill_file, fetched with
// SandboxChannel::fetch_statement, account_id = the merchant_id itself
// (商户号 holds the oncepay merchant_id; never "": the sandbox serves every
// merchant).
StatementSource statement_source(const SandboxChannel& channel);

// The daemon's options of the sandbox: sandbox.enabled, sandbox.secret,
// sandbox.notify-retry.
const ChannelPlugin& plugin();

}  // namespace oncepay::channels::sandbox
