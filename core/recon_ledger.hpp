// oncepay's own side of a reconciliation (docs/RECONCILIATION.md "The
// ledger"), derived from an order's state: per payment attempt what the
// classifier's find_payment returns (core::PlatformPayment), and the
// successes and refunds that count on a business day. The checkpoint stores
// these per order (storage/snapshot_layout.hpp tables `recon_payments` and
// `recon_days`), so a reconciliation reads the snapshot, not the actors.
//
// Business time: a success counts on the day of AttemptState::paid_ms (the
// channel's time when the result came with one, e.g. a statement line;
// else when oncepay learned it); a merchant refund on RefundState::
// succeeded_ms; an automatic refund on its attempt's updated_ms once
// AUTO_REFUNDED.
//
// Contract: pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/order_state.hpp"
#include "core/recon_decide.hpp"

namespace oncepay::core {

// One attempt as the ledger holds it.
struct LedgerPayment {
  PlatformPayment
      payment;  // its refunds: the merchant refunds of the paid attempt, its auto refund
  std::string channel;
  int64_t paid_ms = 0;  // 0: no success recorded
};

// A settled refund, on the day of succeeded_ms.
struct LedgerRefund {
  std::string payment_no;
  std::string refund_no;
  int64_t amount_minor = 0;
  int64_t succeeded_ms = 0;
};

struct OrderLedger {
  std::vector<LedgerPayment> payments;        // one per attempt
  std::vector<LedgerRefund> settled_refunds;  // merchant and automatic
};

OrderLedger ledger_of(const OrderState& state);

// The classifier's view of an attempt's status.
PlatformPayment::Status platform_status(const AttemptState& attempt);

}  // namespace oncepay::core
