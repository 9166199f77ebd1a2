// The engine: the actor side of oncepay in one object. It spawns the shards
// (which spawn order actors), the channels (the built-in sandbox when
// enabled), and a few bridge actors through which code outside CAF (gateway
// threads) sends requests and gets callbacks.
//
// Thread-safety: every public method may be called from any thread; `done`
// callbacks run on a CAF worker thread, exactly once per request (with a
// kPaymentStatusUnknown reply if the order did not answer within
// request_timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "actors/merchants.hpp"
#include "actors/messages.hpp"
#include "actors/order_env.hpp"
#include "actors/sandbox_channel.hpp"

namespace oncepay::actors {

struct EngineOptions {
  core::PaymentConfig payment;
  size_t shards = 64;
  std::chrono::milliseconds channel_timeout{5000};
  // Bound on one request's whole flow (query + close + prepay at most).
  std::chrono::milliseconds request_timeout{30000};
  size_t bridges = 4;
  bool sandbox_enabled = true;
  SandboxOptions sandbox;
};

class Engine {
 public:
  using Done = std::function<void(OrderReply)>;

  Engine(caf::actor_system& system, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void pay(PayMsg msg, Done done);
  void close(CloseMsg msg, Done done);
  void get_order(GetOrderMsg msg, Done done);
  // Finds the payment's order through the index; another merchant's
  // payment is reported as not found.
  void get_payment(const std::string& merchant_id, const std::string& payment_no, Done done);
  // A channel's notification for one of our payments.
  void notify(const std::string& channel, core::ChannelNotice notice, Done done);

  // Admin: creates a merchant with a fresh api key (returned once, clear, in
  // the callback) and webhook secret. kMerchantExists when the id is taken.
  using MerchantDone = std::function<void(core::Code, Merchant, std::string api_key)>;
  void create_merchant(const std::string& merchant_id, core::Policy policy, MerchantDone done);

  // True once recovery finished and requests are served; until then every
  // request is answered kNotReady.
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // False after durability failed (sticky): state changes are refused.
  bool storage_healthy() const { return storage_healthy_.load(std::memory_order_acquire); }
  std::string status_detail() const;

  bool has_channel(std::string_view name) const;
  SandboxChannel* sandbox() { return sandbox_.get(); }
  Merchants& merchants() { return merchants_; }
  const OrderEnv& env() const { return *env_; }

 private:
  template <class Msg>
  void submit(const OrderKey& key, Msg msg, Done done);

  caf::actor_system& system_;
  EngineOptions options_;
  Merchants merchants_;
  std::shared_ptr<OrderEnv> env_;
  std::unique_ptr<SandboxChannel> sandbox_;
  std::vector<shard_actor> shards_;
  std::vector<caf::actor> bridges_;
  std::atomic<size_t> next_bridge_{0};
  std::atomic<bool> ready_{true};  // in-memory: nothing to recover
  std::atomic<bool> storage_healthy_{true};
};

}  // namespace oncepay::actors
