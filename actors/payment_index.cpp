#include "actors/payment_index.hpp"

#include <functional>

namespace oncepay::actors {

PaymentIndex::Stripe& PaymentIndex::stripe(const std::string& payment_no) const {
  return stripes_[std::hash<std::string>{}(payment_no) % kStripes];
}

void PaymentIndex::insert(const std::string& payment_no, const OrderKey& key) {
  Stripe& s = stripe(payment_no);
  std::lock_guard lock(s.mutex);
  s.map.insert_or_assign(payment_no, key);
}

std::optional<OrderKey> PaymentIndex::find(const std::string& payment_no) const {
  Stripe& s = stripe(payment_no);
  std::lock_guard lock(s.mutex);
  auto it = s.map.find(payment_no);
  if (it == s.map.end()) return std::nullopt;
  return it->second;
}

size_t PaymentIndex::size() const {
  size_t n = 0;
  for (auto& s : stripes_) {
    std::lock_guard lock(s.mutex);
    n += s.map.size();
  }
  return n;
}

}  // namespace oncepay::actors
