// How values that have no inspect() of their own cross nodes: the protobuf
// views an OrderReply carries (v1::OrderView, PaymentView, RefundView,
// AdminOrderView), the
// channel notification a sandbox delivery carries, and core::OrderState (a
// RestoredOrder). Each travels as its serialized protobuf bytes; OrderState
// through its snapshot mapping (core/order_snapshot.hpp, which round-trips
// every field: from_snapshot(to_snapshot(s)) == s).
//
// Threads and ownership: pure functions, callable from any thread.
//
// Failure modes: loading bytes that do not parse as the message answers
// caf::sec::invalid_argument (the deserializer's error); saving cannot fail.
// The overloads live in the namespaces of the types (oncepay::v1,
// oncepay::core) so that CAF finds them by argument-dependent lookup.
#pragma once

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <string>

#include "core/order_snapshot.hpp"
#include "core/order_state.hpp"
#include "oncepay.pb.h"

namespace oncepay::channels::wire {

// A protobuf message as its serialized bytes.
template <class Inspector, class Proto>
typename Inspector::result_type inspect_proto(Inspector& f, Proto& x, const char* name) {
  if constexpr (Inspector::reads_state) {
    std::string bytes = x.SerializeAsString();
    return f(caf::meta::type_name(name), bytes);
  } else {
    std::string bytes;
    auto parse = caf::meta::load_callback([&]() -> caf::error {
      if (!x.ParseFromString(bytes)) return caf::sec::invalid_argument;
      return caf::none;
    });
    return f(caf::meta::type_name(name), bytes, parse);
  }
}

}  // namespace oncepay::channels::wire

namespace oncepay::v1 {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OrderView& x) {
  return channels::wire::inspect_proto(f, x, "oncepay.v1.OrderView");
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, PaymentView& x) {
  return channels::wire::inspect_proto(f, x, "oncepay.v1.PaymentView");
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, AdminOrderView& x) {
  return channels::wire::inspect_proto(f, x, "oncepay.v1.AdminOrderView");
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, RefundView& x) {
  return channels::wire::inspect_proto(f, x, "oncepay.v1.RefundView");
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OrderSnapshot& x) {
  return channels::wire::inspect_proto(f, x, "oncepay.v1.OrderSnapshot");
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ChannelNotification& x) {
  return channels::wire::inspect_proto(f, x, "oncepay.v1.ChannelNotification");
}

}  // namespace oncepay::v1

namespace oncepay::core {

// An order's whole state, as its snapshot (the same bytes a checkpoint
// stores for it).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OrderState& x) {
  if constexpr (Inspector::reads_state) {
    v1::OrderSnapshot snapshot = to_snapshot(x);
    return f(caf::meta::type_name("oncepay.OrderState"), snapshot);
  } else {
    v1::OrderSnapshot snapshot;
    auto convert = caf::meta::load_callback([&]() -> caf::error {
      x = from_snapshot(snapshot);
      return caf::none;
    });
    return f(caf::meta::type_name("oncepay.OrderState"), snapshot, convert);
  }
}

}  // namespace oncepay::core
