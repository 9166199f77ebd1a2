// The one typed-actor interface every channel adapter serves: the engine's
// core::ChannelCall in, core::ChannelReply out. It lives in channels/ (not
// actors/messages.hpp) so that an adapter under channels/<name>/ depends on
// nothing above the channels layer.
//
// Threads and ownership: a handle may be copied and used from any thread; the
// adapter that spawned the actor (owned by the channels::ChannelRegistry)
// stops it.
// Failure modes: a call not answered within the caller's timeout is treated
// as kUnavailable by the caller (the order actor); adapters answer
// kUnavailable themselves when the channel cannot be reached.
//
// ChannelCall and ChannelReply can cross nodes: their inspect() overloads sit
// next to them (core/channel_call.hpp), and actors::add_message_types
// registers them.
#pragma once

#include <caf/all.hpp>

#include "core/channel_call.hpp"

namespace oncepay::channels {

using channel_actor =
    caf::typed_actor<caf::replies_to<core::ChannelCall>::with<core::ChannelReply>>;

}  // namespace oncepay::channels
