// The review list: items open when something needs a person and close when it
// no longer does.
#include "core/decide/decider.hpp"

namespace oncepay::core::decide {

void Decider::open_review(std::string_view reason, std::string_view subject,
                          const std::string& payment_no, std::string detail) {
  std::string id = review_item_id(reason, subject);
  if (s_.find_review(id) != nullptr) return;
  auto* opened = event().mutable_review_opened();
  opened->set_item_id(std::move(id));
  opened->set_reason(std::string(reason));
  opened->set_payment_no(payment_no);
  opened->set_detail(std::move(detail));
  emit();
}

void Decider::close_review(const std::string& item_id, std::string resolution) {
  if (s_.find_review(item_id) == nullptr) return;
  auto* closed = event().mutable_review_closed();
  closed->set_item_id(item_id);
  closed->set_resolution(std::move(resolution));
  emit();
}

}  // namespace oncepay::core::decide
