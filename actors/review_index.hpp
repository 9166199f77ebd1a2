// The review list (docs/API.md "Review list"): every open review item of
// every order, oldest first, for GET /admin/review. Order actors own the
// items (core::OrderState::reviews, changed only by ReviewOpened /
// ReviewClosed events); this index is a read copy that the actor replaces
// with set() after each durable step that opened or closed one. Recovery
// fills it from the snapshot's `reviews` table (orders not in memory) and
// then from the WAL tail's orders, which are newer.
//
// Thread-safety: every method may be called from any thread (one mutex; the
// list is small: items are what needs a person).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/messages.hpp"
#include "core/order_state.hpp"

namespace oncepay::actors {

struct ReviewEntry {
  OrderKey order;
  core::ReviewState item;
};

// At most this many items per page (GET /admin/review?limit=).
inline constexpr size_t kMaxReviewPage = 1000;
inline constexpr size_t kDefaultReviewPage = 100;

class ReviewIndex {
 public:
  // Replaces the open items of one order (an empty list removes them).
  void set(const OrderKey& order, const std::vector<core::ReviewState>& items);

  struct Page {
    std::vector<ReviewEntry> items;
    std::string next;  // cursor of the next page; empty when this is the last
  };
  // Items after `cursor` (empty: from the oldest), oldest first (opened_ms,
  // then item_id), at most `limit` (1..kMaxReviewPage), only of `reason`
  // unless it is empty. A cursor is a position (the last item shown), so one
  // whose item has left the list still works. False (and nothing set) when
  // the cursor does not parse.
  bool list(std::string_view cursor, size_t limit, std::string_view reason, Page* out) const;

  // Open items by reason, for /metrics.
  std::map<std::string, uint64_t> counts() const;

  // The open item of that id, if any.
  std::optional<ReviewEntry> find(std::string_view item_id) const;
  // Whether an open recon_* item concerns this payment (refund_no empty) or
  // this refund: a reconciliation that matches it closes it.
  bool has_recon_item(std::string_view payment_no, std::string_view refund_no) const;

 private:
  using AgeKey = std::pair<int64_t, std::string>;  // (opened_ms, item_id)
  mutable std::mutex mu_;
  std::map<AgeKey, ReviewEntry> by_age_;
  // order key bytes -> its items' AgeKeys
  std::unordered_map<std::string, std::vector<AgeKey>> by_order_;
  std::unordered_map<std::string, AgeKey> by_id_;           // item_id -> its AgeKey
  std::unordered_map<std::string, size_t> recon_subjects_;  // "payment_no[:refund_no]" -> items
};

}  // namespace oncepay::actors
