// OrderState <-> oncepay.v1.OrderSnapshot: the compact form of one order
// that a checkpoint stores (docs/DURABILITY.md, table "orders"). Every field
// of OrderState is kept, the armed timer of each attempt and the timeline
// included, so that from_snapshot(to_snapshot(s)) == s and recovery can
// re-arm timers and show the same views as before the restart.
//
// Contract: pure functions, any thread.
#pragma once

#include "core/order_state.hpp"

namespace oncepay::core {

v1::OrderSnapshot to_snapshot(const OrderState& state);
OrderState from_snapshot(const v1::OrderSnapshot& snapshot);

// One open review item, as the order's snapshot holds it and as the
// checkpoint's `reviews` table stores it (docs/DURABILITY.md).
v1::ReviewSnapshot to_snapshot(const ReviewState& review);
ReviewState from_snapshot(const v1::ReviewSnapshot& snapshot);

// A recon_<class> item's facts, as events and snapshots carry them.
v1::ReconFacts to_proto(const ReconFacts& facts);
ReconFacts from_proto(const v1::ReconFacts& facts);

}  // namespace oncepay::core
