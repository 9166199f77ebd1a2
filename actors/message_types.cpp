#include "actors/message_types.hpp"

#include <type_traits>

namespace oncepay::actors {

namespace {

template <class T, class... Ts>
constexpr bool listed(TypeList<Ts...>) {
  return (std::is_same_v<T, Ts> || ...);
}

// What a message may carry without registration: CAF's built-in types.
template <class T>
constexpr bool registered_or_builtin() {
  if constexpr (std::is_void_v<T>) {
    return true;
  } else {
    return caf::type_nr<T>::value != 0 || listed<T>(MessageTypes{});
  }
}

template <class... Ins, class... Outs>
constexpr bool signature_registered(
    caf::typed_mpi<caf::detail::type_list<Ins...>, caf::output_tuple<Outs...>>) {
  return (registered_or_builtin<Ins>() && ...) && (registered_or_builtin<Outs>() && ...);
}

template <class... Signatures>
constexpr bool all_registered(caf::detail::type_list<Signatures...>) {
  return (signature_registered(Signatures{}) && ...);
}

template <class Handle>
constexpr bool interface_registered() {
  return all_registered(typename Handle::signatures{});
}

static_assert(interface_registered<order_actor>());
static_assert(interface_registered<shard_actor>());
static_assert(interface_registered<engine_actor>());
static_assert(interface_registered<channel_actor>());
static_assert(interface_registered<wal_actor>());
static_assert(interface_registered<webhook_actor>());
static_assert(interface_registered<stored_timers_actor>());

}  // namespace

caf::actor_system_config& add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<PayMsg>("oncepay.PayMsg");
  cfg.add_message_type<CloseMsg>("oncepay.CloseMsg");
  cfg.add_message_type<GetOrderMsg>("oncepay.GetOrderMsg");
  cfg.add_message_type<GetPaymentMsg>("oncepay.GetPaymentMsg");
  cfg.add_message_type<NoticeMsg>("oncepay.NoticeMsg");
  cfg.add_message_type<PaymentNoMsg>("oncepay.PaymentNoMsg");
  cfg.add_message_type<TimerMsg>("oncepay.TimerMsg");
  cfg.add_message_type<RefundMsg>("oncepay.RefundMsg");
  cfg.add_message_type<ReviewMsg>("oncepay.ReviewMsg");
  cfg.add_message_type<OperatorMsg>("oncepay.OperatorMsg");
  cfg.add_message_type<RestoredOrder>("oncepay.RestoredOrder");
  cfg.add_message_type<RestoreMsg>("oncepay.RestoreMsg");
  cfg.add_message_type<WakeMsg>("oncepay.WakeMsg");
  cfg.add_message_type<OrderReply>("oncepay.OrderReply");
  cfg.add_message_type<core::ChannelCall>("oncepay.ChannelCall");
  cfg.add_message_type<core::ChannelReply>("oncepay.ChannelReply");
  cfg.add_message_type<AppendMsg>("oncepay.AppendMsg");
  cfg.add_message_type<WalDoneMsg>("oncepay.WalDoneMsg");
  cfg.add_message_type<WalTickMsg>("oncepay.WalTickMsg");
  cfg.add_message_type<WalFlushMsg>("oncepay.WalFlushMsg");
  cfg.add_message_type<WebhookPost>("oncepay.WebhookPost");
  cfg.add_message_type<WebhookDoneMsg>("oncepay.WebhookDoneMsg");
  cfg.add_message_type<DueOrder>("oncepay.DueOrder");
  cfg.add_message_type<ParkedTimersMsg>("oncepay.ParkedTimersMsg");
  return cfg;
}

}  // namespace oncepay::actors
