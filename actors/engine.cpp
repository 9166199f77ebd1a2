#include "actors/engine.hpp"

#include <random>

#include "actors/shard.hpp"
#include "core/signature.hpp"

namespace oncepay::actors {

namespace {

// Work a bridge actor runs on behalf of a non-actor thread.
struct BridgeJob {
  std::function<void(caf::event_based_actor*)> run;
};

}  // namespace

}  // namespace oncepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oncepay::actors::BridgeJob)

namespace oncepay::actors {

namespace {

caf::behavior bridge_impl(caf::event_based_actor* self) {
  return {
      [self](BridgeJob& job) { job.run(self); },
  };
}

OrderReply timeout_reply(const caf::error& err, int64_t retry_after_s) {
  OrderReply r;
  r.code = core::Code::kPaymentStatusUnknown;
  r.message = "the order did not answer in time (" + to_string(err) + ")";
  r.retry_after_s = retry_after_s;
  return r;
}

}  // namespace

Engine::Engine(caf::actor_system& system, EngineOptions options)
    : system_(system), options_(std::move(options)) {
  env_ = std::make_shared<OrderEnv>();
  env_->payment = options_.payment;
  env_->channel_timeout = options_.channel_timeout;
  env_->index = std::make_shared<PaymentIndex>();
  env_->wall_base_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  env_->steady_base = system.clock().now();
  env_->boot_nonce = core::random_token(2);  // 4 hex chars
  if (options_.sandbox_enabled) {
    sandbox_ = std::make_unique<SandboxChannel>(system, options_.sandbox);
    env_->channels.emplace(options_.sandbox.name, sandbox_->actor());
  }
  std::shared_ptr<const OrderEnv> env = env_;
  for (size_t i = 0; i < options_.shards; ++i) shards_.push_back(system.spawn(shard_impl, env));
  for (size_t i = 0; i < options_.bridges; ++i) bridges_.push_back(system.spawn(bridge_impl));
}

Engine::~Engine() {
  for (auto& s : shards_) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& b : bridges_) caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

template <class Msg>
void Engine::submit(const OrderKey& key, Msg msg, Done done) {
  shard_actor shard = shards_[shard_of(key, shards_.size())];
  auto timeout = options_.request_timeout;
  const int64_t retry_after = options_.payment.retry_after_s;
  auto& bridge = bridges_[next_bridge_.fetch_add(1, std::memory_order_relaxed) % bridges_.size()];
  caf::anon_send(
      bridge, BridgeJob{[shard, timeout, retry_after, msg = std::move(msg),
                         done = std::move(done)](caf::event_based_actor* self) mutable {
        self->request(shard, timeout, std::move(msg))
            .then([done](OrderReply& reply) { done(std::move(reply)); },
                  [done, retry_after](caf::error& err) { done(timeout_reply(err, retry_after)); });
      }});
}

void Engine::pay(PayMsg msg, Done done) {
  OrderKey key{msg.command.merchant_id, msg.command.merchant_order_no};
  submit(key, std::move(msg), std::move(done));
}

void Engine::close(CloseMsg msg, Done done) {
  OrderKey key = msg.key;
  submit(key, std::move(msg), std::move(done));
}

void Engine::get_order(GetOrderMsg msg, Done done) {
  OrderKey key = msg.key;
  submit(key, std::move(msg), std::move(done));
}

void Engine::get_payment(const std::string& merchant_id, const std::string& payment_no, Done done) {
  auto key = env_->index->find(payment_no);
  if (!key || key->merchant_id != merchant_id) {
    return done(OrderReply{core::Code::kPaymentNotFound, "no such payment"});
  }
  submit(*key, GetPaymentMsg{*key, payment_no}, std::move(done));
}

void Engine::notify(const std::string& channel, core::ChannelNotice notice, Done done) {
  auto key = env_->index->find(notice.payment_no);
  if (!key || !has_channel(channel)) {
    return done(OrderReply{core::Code::kPaymentNotFound, "no such payment"});
  }
  NoticeMsg msg{*key, std::move(notice), merchants_.policy_of(key->merchant_id)};
  submit(*key, std::move(msg), std::move(done));
}

void Engine::create_merchant(const std::string& merchant_id, core::Policy policy,
                             MerchantDone done) {
  std::string api_key;
  Merchant created;
  if (!merchants_.create(merchant_id, policy, &api_key, &created)) {
    return done(core::Code::kMerchantExists, Merchant{}, "");
  }
  done(core::Code::kCreated, std::move(created), std::move(api_key));
}

std::string Engine::status_detail() const {
  if (!ready()) return "recovering";
  if (!storage_healthy()) return "storage failed: state changes are refused";
  return "ok";
}

bool Engine::has_channel(std::string_view name) const {
  return env_->channels.find(name) != env_->channels.end();
}

}  // namespace oncepay::actors
