#include "actors/review_index.hpp"

#include <charconv>

#include "core/check.hpp"
#include "storage/snapshot_layout.hpp"

namespace oncepay::actors {

namespace {

// Cursor: "<opened_ms>~<item_id>" of the last item shown. Opaque to
// clients; item ids never contain '~'.
constexpr char kCursorSeparator = '~';

std::string cursor_of(const std::pair<int64_t, std::string>& key) {
  return std::to_string(key.first) + kCursorSeparator + key.second;
}

bool parse_cursor(std::string_view cursor, std::pair<int64_t, std::string>* out) {
  const size_t at = cursor.find(kCursorSeparator);
  if (at == std::string_view::npos || at == 0 || at + 1 == cursor.size()) return false;
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + at, ms);
  if (ec != std::errc() || end != cursor.data() + at || ms < 0) return false;
  out->first = ms;
  out->second.assign(cursor.substr(at + 1));
  return true;
}

// "payment_no[:refund_no]" of a recon_* item, else "".
std::string recon_subject(const core::ReviewState& item) {
  if (!item.reason.starts_with(core::kReviewReconPrefix)) return {};
  return core::recon_subject(item.payment_no, item.recon.refund_no);
}

}  // namespace

void ReviewIndex::set(const OrderKey& order, const std::vector<core::ReviewState>& items) {
  const std::string key = storage::order_key_bytes(order.merchant_id, order.merchant_order_no);
  std::lock_guard lock(mu_);
  auto it = by_order_.find(key);
  if (it != by_order_.end()) {
    for (const auto& age : it->second) {
      auto entry = by_age_.find(age);
      if (entry != by_age_.end()) {
        if (auto subject = recon_subject(entry->second.item); !subject.empty()) {
          if (--recon_subjects_[subject] == 0) recon_subjects_.erase(subject);
        }
        by_age_.erase(entry);
      }
      by_id_.erase(age.second);
    }
    by_order_.erase(it);
  }
  if (items.empty()) return;
  auto& ages = by_order_[key];
  for (const auto& item : items) {
    AgeKey age{item.opened_ms, item.item_id};
    by_age_[age] = ReviewEntry{order, item};
    by_id_[item.item_id] = age;
    if (auto subject = recon_subject(item); !subject.empty()) ++recon_subjects_[subject];
    ages.push_back(std::move(age));
  }
}

std::optional<ReviewEntry> ReviewIndex::find(std::string_view item_id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(std::string(item_id));
  if (it == by_id_.end()) return std::nullopt;
  auto entry = by_age_.find(it->second);
  if (entry == by_age_.end()) return std::nullopt;
  return entry->second;
}

bool ReviewIndex::has_recon_item(std::string_view payment_no, std::string_view refund_no) const {
  const std::string subject = core::recon_subject(payment_no, refund_no);
  std::lock_guard lock(mu_);
  return recon_subjects_.contains(subject);
}

bool ReviewIndex::list(std::string_view cursor, size_t limit, std::string_view reason,
                       Page* out) const {
  ONCEPAY_CHECK(limit >= 1 && limit <= kMaxReviewPage);
  AgeKey after;
  if (!cursor.empty() && !parse_cursor(cursor, &after)) return false;
  Page page;
  std::lock_guard lock(mu_);
  auto it = cursor.empty() ? by_age_.begin() : by_age_.upper_bound(after);
  for (; it != by_age_.end(); ++it) {
    if (!reason.empty() && it->second.item.reason != reason) continue;
    if (page.items.size() == limit) {
      // The cursor names the last item shown (the filter may have skipped
      // items after it).
      const auto& last = page.items.back().item;
      page.next = cursor_of({last.opened_ms, last.item_id});
      break;
    }
    page.items.push_back(it->second);
  }
  *out = std::move(page);
  return true;
}

std::map<std::string, uint64_t> ReviewIndex::counts() const {
  std::map<std::string, uint64_t> out;
  std::lock_guard lock(mu_);
  for (const auto& [age, entry] : by_age_) ++out[entry.item.reason];
  return out;
}

}  // namespace oncepay::actors
