#include "apps/daemon_channels.hpp"

#include "channels/alipay/alipay_plugin.hpp"
#include "channels/sandbox/sandbox_plugin.hpp"
#include "channels/sim/sim_plugin.hpp"
#include "channels/wechatpay/wechatpay_plugin.hpp"

namespace oncepay::apps {

const std::vector<const channels::ChannelPlugin*>& daemon_channels() {
  static const std::vector<const channels::ChannelPlugin*> kChannels = {
      &channels::sandbox::plugin(),
      &channels::sim::plugin(),
      &channels::wechatpay::plugin(),
      &channels::alipay::plugin(),
  };
  return kChannels;
}

}  // namespace oncepay::apps
