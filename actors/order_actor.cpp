#include "actors/order_actor.hpp"

#include "codec/json.hpp"
#include "core/check.hpp"
#include "core/narrow.hpp"
#include "core/order_decide.hpp"
#include "core/timer_target.hpp"

namespace oncepay::actors {

namespace {

using Promise = caf::typed_response_promise<OrderReply>;

struct Shell {
  order_pointer self;
  std::shared_ptr<const OrderEnv> env;
  // An operator's request (OperatorMsg): its reply carries the operator's view.
  bool admin_reply = false;

  core::OrderState& order() const { return self->state.order; }

  core::Context context(core::Policy policy) const {
    core::Context ctx;
    ctx.now_ms = env->now_ms(self->clock());
    ctx.config = &env->payment;
    ctx.policy = policy;
    auto e = env;
    auto now = ctx.now_ms;
    // The key is read when an id is made (rarely), not copied per message;
    // decisions run synchronously inside the actor's handler.
    const core::OrderState* keyed = &order();
    ctx.new_payment_no = [e, now, keyed] {
      return e->new_payment_no(now, OrderKey{keyed->merchant_id, keyed->merchant_order_no});
    };
    return ctx;
  }

  OrderReply reply_of(const core::Reply& r) const {
    OrderReply out;
    out.code = r.code;
    out.message = r.message;
    out.payment_no = r.payment_no;
    if (r.code == core::Code::kPaymentStatusUnknown) out.retry_after_s = env->payment.retry_after_s;
    if (order().opened()) {
      out.has_view = true;
      out.order = core::order_view(order());
      const bool shows_attempt = r.code == core::Code::kOk || r.code == core::Code::kCreated;
      if (shows_attempt && !r.payment_no.empty()) {
        if (const auto* attempt = order().find(r.payment_no)) {
          *out.order.mutable_attempt() = core::attempt_view(*attempt);
        }
      }
      if (const auto* refund = order().find_refund(r.refund_no); refund && !r.refund_no.empty()) {
        out.has_refund = true;
        out.refund = core::refund_view(*refund);
      }
      if (admin_reply) {
        out.has_admin = true;
        out.admin = core::admin_order_view(order());
      }
    }
    return out;
  }

  // Tells the shard about the attempts' payment numbers (before the reply
  // that shows one: the shard's mailbox has it before any request that
  // could follow the reply).
  void index_attempts(const std::vector<v1::Event>& events) const {
    for (const auto& e : events) {
      if (!e.has_attempt_created()) continue;
      auto shard = caf::actor_cast<caf::strong_actor_ptr>(self->state.shard);
      if (!shard) return;  // the shard is gone (shutdown)
      self->send(caf::actor_cast<shard_actor>(shard),
                 PaymentNoMsg{e.attempt_created().payment_no(),
                              OrderKey{order().merchant_id, order().merchant_order_no}});
    }
  }

  // The review list follows the order's open items once they are durable.
  void index_reviews(const std::vector<v1::Event>& events) const {
    for (const auto& e : events) {
      if (e.has_review_opened() || e.has_review_closed() || e.has_review_resolved() ||
          e.has_appeal_checked()) {  // an appeal's summary becomes its item's detail
        env->reviews->set(OrderKey{order().merchant_id, order().merchant_order_no},
                          order().reviews);
        return;
      }
    }
  }

  void observe(const std::vector<v1::Event>& events) const {
    env->observer->recorded(order(), events, env->now_ms(self->clock()));
  }

  // The durability seam (write-ahead rule): every event an order emits passes
  // through here before any of its effects leave the process. The step's
  // events become one WAL record (v1::WalRecord{order}); the actor awaits the
  // group commit, so later messages (duplicates included) wait in the
  // mailbox, and only then runs `then`. On failure it runs `failed` instead.
  // An in-memory engine (no WAL) records at once.
  template <class Continue, class Failed>
  void record_events(std::shared_ptr<const std::vector<v1::Event>> events, Continue then,
                     Failed failed) {
    if (events->empty()) {
      // A step that records nothing still answers from this actor's memory,
      // which after a failed append may be ahead of the log (an attempt whose
      // events never became durable): once storage has failed, nothing is
      // answered from memory as if it were recorded.
      if (!env->storage->healthy()) return failed();
      return then();
    }
    if (!env->wal) {
      index_attempts(*events);
      index_reviews(*events);
      observe(*events);
      return then();
    }
    v1::WalRecord record;
    auto* body = record.mutable_order();
    body->set_merchant_id(order().merchant_id);
    body->set_merchant_order_no(order().merchant_order_no);
    body->mutable_events()->Reserve(core::checked_cast<int>(events->size()));
    for (const auto& e : *events) *body->add_events() = e;
    auto shell = *this;
    // No request timeout: the WAL actor answers every append within
    // storage_timeout itself (its watchdog), which spares the actor clock one
    // timeout per append.
    self->request(env->wal, caf::infinite, AppendMsg{record.SerializeAsString()})
        .await(
            [shell, events, then](uint64_t) mutable {
              shell.index_attempts(*events);
              shell.index_reviews(*events);
              shell.observe(*events);
              then();
            },
            [shell, failed](caf::error& err) mutable {
              shell.env->storage->fail("order events", to_string(err));
              failed();
            });
  }

  void arm_timer(const std::string& payment_no, core::Ladder ladder, int32_t step, int64_t due_ms,
                 int64_t now_ms, const std::string& refund_no = {},
                 const std::string& event_id = {}) {
    if (ladder == v1::TimerArmed::LADDER_UNSPECIFIED) return;
    TimerMsg msg{payment_no, ladder, step, refund_no, event_id};
    const int64_t delay_ms = due_ms - now_ms;
    if (delay_ms <= 0) {
      self->send(self, std::move(msg));
    } else {
      self->delayed_send(self, std::chrono::milliseconds(delay_ms), std::move(msg));
    }
  }

  void arm_timers(const std::vector<v1::Event>& events, int64_t now_ms) {
    for (const auto& e : events) {
      if (!e.has_timer_armed()) continue;
      const auto& t = e.timer_armed();
      arm_timer(t.payment_no(), t.ladder(), t.step(), t.due_ms(), now_ms, t.refund_no(),
                t.event_id());
    }
  }

  // Applies one step, then (if it asks for a channel call) awaits the call
  // and applies the step the core resumes with. `promise` is the requester
  // still waiting for an answer, if any.
  void run(core::Step step, core::Policy policy, std::shared_ptr<Promise> promise) {
    auto events = std::make_shared<const std::vector<v1::Event>>(std::move(step.events));
    auto shared = std::make_shared<core::Step>(std::move(step));
    auto shell = *this;
    record_events(
        events,
        [shell, events, shared, policy, promise]() mutable {
          if (shared->reply && promise) {
            promise->deliver(shell.reply_of(*shared->reply));
            promise.reset();
          }
          shell.arm_timers(*events, shell.env->now_ms(shell.self->clock()));
          if (shared->webhook) return shell.deliver_webhook(shared->flow, policy, promise);
          if (!shared->call) {
            if (promise) {  // every request flow ends in a reply; this is a bug
              promise->deliver(
                  OrderReply{core::Code::kInternal, "the request ended without a reply"});
            }
            return;
          }
          shell.call_channel(*shared, policy, promise);
        },
        [promise] {
          if (promise) {
            promise->deliver(OrderReply{core::Code::kStorageUnavailable,
                                        "the order's events could not be made durable"});
          }
        });
  }

  void call_channel(const core::Step& step, core::Policy policy, std::shared_ptr<Promise> promise) {
    core::Flow flow = step.flow;
    auto it = env->channels.find(step.call->channel);
    if (it == env->channels.end()) {
      core::ChannelReply unknown{core::ChannelOutcome::kRejected};
      unknown.detail = "no such channel: " + step.call->channel;
      return run(core::resume(order(), flow, unknown, context(policy)), policy, promise);
    }
    auto shell = *this;
    const core::ChannelOp op = step.call->op;
    const std::string_view channel = it->first;  // env->channels outlives the actor
    self->request(it->second, env->channel_timeout, *step.call)
        .await(
            [shell, flow, policy, promise, op, channel](core::ChannelReply& reply) mutable {
              shell.env->observer->channel_call(channel, op, reply.outcome);
              shell.run(core::resume(shell.order(), flow, reply, shell.context(policy)), policy,
                        promise);
            },
            [shell, flow, policy, promise, op, channel](caf::error& err) mutable {
              shell.env->observer->channel_call(channel, op, core::ChannelOutcome::kUnavailable);
              core::ChannelReply lost{core::ChannelOutcome::kUnavailable};
              lost.detail = "no answer: " + to_string(err);
              shell.run(core::resume(shell.order(), flow, lost, shell.context(policy)), policy,
                        promise);
            });
  }

  // The webhook body is built here, from the order as it is now, so the
  // core stays free of JSON and secrets; the webhook actor signs and posts.
  // Unlike a channel call the answer is not awaited (`then`, not `await`):
  // the order keeps serving requests while a slow merchant answers, and the
  // outcome is decided when it arrives (the core ignores a stale one).
  void deliver_webhook(const core::Flow& flow, core::Policy policy,
                       std::shared_ptr<Promise> promise) {
    const core::WebhookState* webhook = order().find_webhook(flow.event_id);
    ONCEPAY_CHECK(webhook != nullptr);
    std::optional<Merchant> merchant;
    if (env->merchants != nullptr) merchant = env->merchants->get(order().merchant_id);
    if (!env->webhooks || !merchant) {
      core::ChannelReply lost{core::ChannelOutcome::kUnavailable};
      lost.detail = !merchant ? "unknown merchant" : "no webhook delivery configured";
      return run(core::resume(order(), flow, lost, context(policy)), policy, promise);
    }
    v1::WebhookEvent body;
    body.set_event_id(webhook->event_id);
    body.set_type(webhook->type);
    body.set_created_at(core::format_time(webhook->created_ms));
    *body.mutable_data() = core::order_view(order());
    WebhookPost post{order().notify_url, codec::to_json(body), merchant->webhook_secret,
                     webhook->event_id};
    auto shell = *this;
    self->request(env->webhooks, env->webhook_timeout, std::move(post))
        .then(
            [shell, flow, policy, promise](core::ChannelReply& reply) mutable {
              shell.env->observer->webhook_attempt(reply.outcome == core::ChannelOutcome::kOk);
              shell.run(core::resume(shell.order(), flow, reply, shell.context(policy)), policy,
                        promise);
            },
            [shell, flow, policy, promise](caf::error& err) mutable {
              shell.env->observer->webhook_attempt(false);
              core::ChannelReply lost{core::ChannelOutcome::kUnavailable};
              lost.detail = "no answer: " + to_string(err);
              shell.run(core::resume(shell.order(), flow, lost, shell.context(policy)), policy,
                        promise);
            });
  }

  OrderReply not_found() const { return OrderReply{core::Code::kOrderNotFound, "no such order"}; }
};

}  // namespace

namespace {

// Timers of an order follow its latest policy (the merchant's): the one it
// starts with until a request says otherwise.
order_actor::behavior_type order_behavior(order_pointer self, std::shared_ptr<const OrderEnv> env,
                                          core::Policy initial_policy) {
  Shell shell{self, env};
  auto policy = std::make_shared<core::Policy>(initial_policy);
  return {
      [shell, policy](PayMsg& msg) mutable -> Promise {
        *policy = msg.policy;
        auto promise = std::make_shared<Promise>(shell.self->make_response_promise<OrderReply>());
        shell.run(core::decide_pay(shell.order(), msg.command, shell.context(msg.policy)),
                  msg.policy, promise);
        return *promise;
      },
      [shell, policy](CloseMsg& msg) mutable -> caf::result<OrderReply> {
        if (!shell.order().opened()) return shell.not_found();
        *policy = msg.policy;
        auto promise = std::make_shared<Promise>(shell.self->make_response_promise<OrderReply>());
        shell.run(core::decide_close(shell.order(), shell.context(msg.policy)), msg.policy,
                  promise);
        return *promise;
      },
      [shell](GetOrderMsg& msg) -> OrderReply {
        if (!shell.order().opened()) return shell.not_found();
        OrderReply out = shell.reply_of(core::Reply{core::Code::kOk});
        if (msg.admin) {
          out.has_admin = true;
          out.admin = core::admin_order_view(shell.order());
        }
        return out;
      },
      [shell](GetPaymentMsg& msg) -> OrderReply {
        const auto* attempt = shell.order().find(msg.payment_no);
        if (attempt == nullptr) return OrderReply{core::Code::kPaymentNotFound, "no such payment"};
        OrderReply out;
        out.has_view = true;
        out.payment = core::payment_view(shell.order(), *attempt);
        if (msg.admin) {
          out.has_admin = true;
          out.admin = core::admin_order_view(shell.order());
        }
        return out;
      },
      [shell, policy](NoticeMsg& msg) mutable -> caf::result<OrderReply> {
        if (shell.order().find(msg.notice.payment_no) == nullptr) {
          return OrderReply{core::Code::kPaymentNotFound, "no such payment"};
        }
        auto promise = std::make_shared<Promise>(shell.self->make_response_promise<OrderReply>());
        shell.run(core::decide_notice(shell.order(), msg.notice, shell.context(msg.policy)),
                  msg.policy, promise);
        return *promise;
      },
      [shell, policy](RefundMsg& msg) mutable -> caf::result<OrderReply> {
        if (!shell.order().opened()) {
          return OrderReply{core::Code::kOrderNotFound, "no such order"};
        }
        *policy = msg.policy;
        auto promise = std::make_shared<Promise>(shell.self->make_response_promise<OrderReply>());
        shell.run(core::decide_refund(shell.order(), msg.command, shell.context(msg.policy)),
                  msg.policy, promise);
        return *promise;
      },
      [shell](ReviewMsg& msg) mutable -> caf::result<OrderReply> {
        if (!shell.order().opened()) {
          return OrderReply{core::Code::kOrderNotFound, "no such order"};
        }
        auto ctx = shell.context(msg.policy);
        core::Step step;
        switch (msg.kind) {
          case ReviewMsg::Kind::kReconReview:
            step = core::decide_recon_review(shell.order(), msg.recon, ctx);
            break;
          case ReviewMsg::Kind::kReconMatched:
            step = core::decide_recon_matched(shell.order(), msg.payment_no, msg.refund_no, ctx);
            break;
          case ReviewMsg::Kind::kResolve:
            step = core::decide_resolve(shell.order(), msg.resolve, ctx);
            break;
        }
        auto promise = std::make_shared<Promise>(shell.self->make_response_promise<OrderReply>());
        shell.run(std::move(step), msg.policy, promise);
        return *promise;
      },
      [shell](OperatorMsg& msg) mutable -> caf::result<OrderReply> {
        if (!shell.order().opened()) return shell.not_found();
        auto ctx = shell.context(msg.policy);
        core::Step step;
        switch (msg.kind) {
          case OperatorMsg::Kind::kClose:
            step = core::decide_operator_close(shell.order(), msg.command, ctx);
            break;
          case OperatorMsg::Kind::kRefund:
            step = core::decide_operator_refund(shell.order(), msg.command, msg.refund, ctx);
            break;
          case OperatorMsg::Kind::kQuery:
            step = core::decide_operator_query(shell.order(), msg.command, ctx);
            break;
          case OperatorMsg::Kind::kRetryWebhook:
            step =
                core::decide_operator_webhook_retry(shell.order(), msg.command, msg.event_id, ctx);
            break;
          case OperatorMsg::Kind::kAppeal:
            step = core::decide_appeal(shell.order(), msg.appeal, ctx);
            break;
        }
        Shell for_operator = shell;
        for_operator.admin_reply = true;
        auto promise = std::make_shared<Promise>(shell.self->make_response_promise<OrderReply>());
        for_operator.run(std::move(step), msg.policy, promise);
        return *promise;
      },
      [shell, policy](TimerMsg& msg) mutable {
        shell.env->observer->timer_fired(msg.ladder);
        auto ctx = shell.context(*policy);
        core::Step step;
        switch (core::timer_target(msg.payment_no, msg.refund_no, msg.event_id)) {
          case core::TimerTarget::kRefund:
            step = core::decide_refund_timer(shell.order(), msg.refund_no, msg.step, ctx);
            break;
          case core::TimerTarget::kWebhook:
            step = core::decide_webhook_timer(shell.order(), msg.event_id, msg.step, ctx);
            break;
          case core::TimerTarget::kOrder:  // decide_timer tells ORDER_EXPIRY by its ladder
          case core::TimerTarget::kAttempt:
            step = core::decide_timer(shell.order(), msg.payment_no, msg.ladder, msg.step, ctx);
            break;
        }
        shell.run(std::move(step), *policy, nullptr);
      },
  };
}

}  // namespace

order_actor::behavior_type order_actor_impl(order_pointer self, std::shared_ptr<const OrderEnv> env,
                                            OrderKey key, caf::actor_addr shard) {
  self->state.shard = std::move(shard);
  self->state.order.merchant_id = key.merchant_id;
  self->state.order.merchant_order_no = key.merchant_order_no;
  return order_behavior(self, std::move(env), core::Policy::kStrict);
}

order_actor::behavior_type restored_order_actor_impl(order_pointer self,
                                                     std::shared_ptr<const OrderEnv> env,
                                                     core::OrderState state, core::Policy policy,
                                                     caf::actor_addr shard) {
  self->state.shard = std::move(shard);
  self->state.order = std::move(state);
  Shell shell{self, env};
  const int64_t now_ms = env->now_ms(self->clock());
  for (const auto& a : self->state.order.attempts) {
    shell.arm_timer(a.payment_no, a.ladder, a.step, a.due_ms, now_ms);
  }
  for (const auto& r : self->state.order.refunds) {
    shell.arm_timer(self->state.order.paid_payment_no, r.ladder, r.step, r.due_ms, now_ms,
                    r.refund_no);
  }
  for (const auto& w : self->state.order.webhooks) {
    shell.arm_timer(self->state.order.paid_payment_no, w.ladder, w.step, w.due_ms, now_ms, {},
                    w.event_id);
  }
  if (self->state.order.expiry_due_ms != 0) {
    shell.arm_timer({}, v1::TimerArmed::ORDER_EXPIRY, 0, self->state.order.expiry_due_ms, now_ms);
  }
  return order_behavior(self, std::move(env), policy);
}

}  // namespace oncepay::actors
