// Which order something is about: the merchant and the merchant's order
// number. Every layer uses it (the shard key, the snapshot's order key, the
// payment index), so it lives in the core. A plain value: any thread.
#pragma once

#include <string>

namespace oncepay::core {

struct OrderKey {
  std::string merchant_id;
  std::string merchant_order_no;
};

// For messages that carry it (CAF finds this by argument-dependent lookup;
// the core itself does not depend on CAF).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, OrderKey& x) {
  return f(x.merchant_id, x.merchant_order_no);
}

}  // namespace oncepay::core
