#include "channels/sim/sim_plugin.hpp"

#include <chrono>
#include <memory>

#include "channels/sim/sim_notify.hpp"
#include "channels/sim/sim_statements.hpp"

namespace oncepay::channels::sim {

namespace {

using caf::timespan;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

void declare(caf::config_option_set& options) {
  caf::config_option_adder{options, "channel-sim"}
      .add<std::string>("url", "base URL of oncepay-channel-sim (empty: no sim channel)")
      .add<std::string>("secret", "shared signing secret with the simulator")
      .add<timespan>("timeout", "bound on one call to the simulator, retries included");
}

bool load(const caf::actor_system_config& cfg, ChannelSetup* out, std::string* error) {
  SimChannelOptions options;
  options.url = caf::get_or(cfg, "channel-sim.url", std::string());
  out->enabled = !options.url.empty();
  options.secret = caf::get_or(cfg, "channel-sim.secret", std::string());
  options.timeout = duration_cast<milliseconds>(
      caf::get_or(cfg, "channel-sim.timeout", duration_cast<timespan>(milliseconds(3'000))));
  out->values = {{"channel-sim.url", options.url},
                 {"channel-sim.secret", options.secret},
                 {"channel-sim.timeout", std::to_string(options.timeout.count()) + " ms"}};
  if (!out->enabled) return true;
  if (auto problem = validate(options); !problem.empty()) {
    *error = "channel-sim: " + problem;
    return false;
  }
  out->install = [options](ChannelRegistry& registry, const InstallContext& context,
                           std::string* install_error) {
    return register_sim(registry, context.system, options, install_error) != nullptr;
  };
  return true;
}

}  // namespace

SimChannel* register_sim(ChannelRegistry& registry, caf::actor_system& system,
                         SimChannelOptions options, std::string* error) {
  auto channel = std::make_shared<SimChannel>(system, options);
  SimChannel* raw = channel.get();
  ChannelEntry entry;
  entry.name = options.name;
  entry.actor = channel->actor();
  entry.decode_notice = [secret = options.secret, tolerance = options.signature_tolerance_s](
                            const http::HttpRequest& request, int64_t now_s) {
    return decode_notification(secret, tolerance, request, now_s);
  };
  entry.answer_notice = &answer_notification;
  entry.health = [raw, name = options.name] {
    return ChannelHealth{name, raw->breaker_state(), raw->breaker_opened_total()};
  };
  entry.statements =
      sim_statement_source(options.url, options.secret, options.signature_tolerance_s);
  entry.owner = channel;
  if (!registry.add(std::move(entry), error)) return nullptr;
  return raw;
}

const ChannelPlugin& plugin() {
  static const ChannelPlugin kPlugin{
      .defaults = {{"channel-sim.url", ""},
                   {"channel-sim.secret", ""},
                   {"channel-sim.timeout", "3s"}},
      .boolean_options = {},
      .test_mode_option = {},
      .declare = &declare,
      .load = &load,
  };
  return kPlugin;
}

}  // namespace oncepay::channels::sim
