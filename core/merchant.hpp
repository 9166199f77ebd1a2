// A merchant as the registry (actors/merchants.hpp), the WAL and the
// snapshot (storage/durability.hpp) hold it. A plain value: any thread.
// The api key is kept only as its SHA-256 hex; webhook_secret is a secret:
// never answered, logged or put in metrics.
#pragma once

#include <string>
#include <string_view>

#include "core/order_state.hpp"

namespace oncepay::core {

struct Merchant {
  std::string merchant_id;
  std::string api_key_sha256;  // hex
  std::string webhook_secret;
  Policy policy = Policy::kStrict;
};

// merchant_id: 1-64 chars of [A-Za-z0-9_-].
bool valid_merchant_id(std::string_view id);

}  // namespace oncepay::core
