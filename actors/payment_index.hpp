// payment_no -> order: how a channel notification or GET /v1/payments finds
// the order that owns a payment attempt. Thread-safe (striped mutexes): order
// actors insert when they create an attempt, gateway threads look up.
#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "actors/messages.hpp"

namespace oncepay::actors {

class PaymentIndex {
 public:
  void insert(const std::string& payment_no, const OrderKey& key);
  std::optional<OrderKey> find(const std::string& payment_no) const;
  size_t size() const;

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    mutable std::mutex mutex;
    std::unordered_map<std::string, OrderKey> map;
  };
  Stripe& stripe(const std::string& payment_no) const;
  mutable std::array<Stripe, kStripes> stripes_;
};

}  // namespace oncepay::actors
