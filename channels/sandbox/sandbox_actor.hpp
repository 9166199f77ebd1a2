// The built-in `sandbox` channel: a wallet channel inside the daemon, for
// demos and tests (API.md "Built-in sandbox channel"). The wallet's state is
// a channels::ChannelModel (channels/sim/channel_model.hpp, the simulator's
// wallet) behind a mutex; a pool of channel actors serves the engine's calls
// (the one channel interface, channels/channel_actor.hpp); a notifier
// actor delivers the channel's asynchronous notifications with their
// injected delays and retries them until the receiver acknowledges.
//
// Notifications leave through the NotifySink; the sandbox's registry entry
// (sandbox_plugin.hpp) points it at the daemon's own gateway handler with a
// signed POST /v1/channels/{name}/notify: the sandbox reaches the engine by
// exactly the path a real channel uses.
//
// Every payment and refund the wallet settles is kept (with the merchant_id
// of the prepay that created the payment) for the daily statements
// (fetch_statement; the registry entry's StatementSource).
//
// Thread-safety: control methods (pay, fail, get, set_faults) and
// fetch_statement may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "channels/channel_actor.hpp"
#include "channels/sim/channel_model.hpp"
#include "channels/statement_source.hpp"
#include "oncepay.pb.h"

namespace oncepay::channels::sandbox {

// Delivers one notification; calls `acked(true)` once the receiver answered
// 2xx, `acked(false)` otherwise. Any thread.
using NotifySink =
    std::function<void(const v1::ChannelNotification&, std::function<void(bool acked)>)>;

struct SandboxOptions {
  std::string name = "sandbox";
  size_t workers = 2;
  uint64_t seed = 0;  // 0: from the random device
  // Redelivery of an unacknowledged notification (WeChat-like, shortened).
  std::vector<int64_t> notify_retry_ms = {1'000, 5'000, 30'000, 3 * 60'000, 10 * 60'000};
  // Signs the notifications it sends (and checks them at the gateway).
  std::string secret = "chsec_sandbox";
  int64_t signature_tolerance_s = 300;
};

class SandboxChannel {
 public:
  SandboxChannel(caf::actor_system& system, SandboxOptions options);
  ~SandboxChannel();

  // The engine's handle on the channel (a pool of channel actors).
  channel_actor actor() const { return pool_; }
  void set_sink(NotifySink sink);

  // Payer / test control (/sandbox endpoints).
  channels::CallOutcome pay(const std::string& payment_no, bool after_close);
  channels::CallOutcome fail(const std::string& payment_no);
  std::optional<v1::ChannelPaymentView> get(const std::string& payment_no) const;
  void set_faults(const channels::Faults& faults);

  // Used by the pool's workers: one engine call against the model.
  core::ChannelReply handle(const core::ChannelCall& call);

  // The daily statement of fetch.merchant_id for fetch.date, built from what
  // the wallet settled (channels/sim/statement.hpp: WeChat's ALL layout,
  // 商户号 = the merchant_id, times and days in UTC+8) and written to
  // fetch.dest_path (0600). A day with no trade is an empty statement with
  // a zero summary (kOk); today's is what was settled so far; a later day
  // is kNotReady; a failed write kFailed. Any thread (it takes the model's
  // lock only to copy the day's entries).
  FetchedStatement fetch_statement(const StatementFetch& fetch) const;

  struct Shared;  // model, lock, sink, notifier: outlives the actors using it

 private:
  int64_t now_ms() const;
  void flush_outbox(std::unique_lock<std::mutex>& lock);

  caf::actor_system& system_;
  std::shared_ptr<Shared> shared_;
  channel_actor pool_;
};

}  // namespace oncepay::channels::sandbox
