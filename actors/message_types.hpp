// The registry of every message type actors exchange: add_message_types()
// makes each one known to an actor system (a portable name, its inspect()),
// which a node needs before a message of that type may cross to another
// node; every actor_system_config in the tree (the daemon, the simulator,
// the benches, the tests) calls it.
//
// MessageTypes lists them; message_types.cpp checks at compile time that
// every input and output of every typed actor interface (order, shard,
// engine, channel, WAL, webhook, stored-timer actors) is either listed or a
// CAF built-in (an integer, an atom), so a new message that is not
// registered does not compile. tests/actors/messages_test.cpp round-trips a
// filled instance of each through the binary serializer.
//
// Not listed: the private self-messages of the sandbox and sim channel
// actors (actors/sandbox_channel.cpp, actors/sim_channel.cpp), which never
// leave their actor; they have inspect() all the same.
//
// Threads and ownership: call add_message_types() while building a config,
// before the actor system starts (CAF's rule for add_message_type).
#pragma once

#include <caf/actor_system_config.hpp>

#include "actors/messages.hpp"
#include "actors/stored_timers.hpp"
#include "actors/wal_actor.hpp"
#include "actors/webhooks.hpp"

namespace oncepay::actors {

template <class... Ts>
struct TypeList {};

using MessageTypes =
    TypeList<PayMsg, CloseMsg, GetOrderMsg, GetPaymentMsg, NoticeMsg, PaymentNoMsg, TimerMsg,
             RefundMsg, ReviewMsg, OperatorMsg, RestoredOrder, RestoreMsg, WakeMsg, OrderReply,
             core::ChannelCall, core::ChannelReply, AppendMsg, WalDoneMsg, WalTickMsg, WalFlushMsg,
             WebhookPost, WebhookDoneMsg, DueOrder, ParkedTimersMsg>;

// Registers every type of MessageTypes under "oncepay.<name>".
caf::actor_system_config& add_message_types(caf::actor_system_config& cfg);

}  // namespace oncepay::actors
