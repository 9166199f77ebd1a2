#include "channels/sim/channel_model.hpp"

#include <utility>

#include "core/check.hpp"

namespace oncepay::channels {
namespace {

bool valid_probability(double probability) {
  return probability >= 0.0 && probability <= 1.0;  // false for NaN
}

// Checks one probability field, naming it in *error on failure.
bool check_probability(const char* field, double probability, std::string* error) {
  if (valid_probability(probability)) return true;
  if (error != nullptr) *error = std::string(field) + " must be a probability in [0, 1]";
  return false;
}

std::string hex32(uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(8, '0');
  for (std::size_t i = 8; i-- > 0; value >>= 4) hex[i] = kDigits[value & 0x0f];
  return hex;
}

bool is_paid(PayState state) { return state == PayState::kSuccess || state == PayState::kRefund; }

bool is_open(PayState state) { return state == PayState::kNotPay || state == PayState::kPayError; }

v1::ChannelPaymentView::Status view_status(PayState state) {
  switch (state) {
    case PayState::kNotPay:
      return v1::ChannelPaymentView::NOTPAY;
    case PayState::kSuccess:
      return v1::ChannelPaymentView::SUCCESS;
    case PayState::kClosed:
      return v1::ChannelPaymentView::CLOSED;
    case PayState::kRefund:
      return v1::ChannelPaymentView::REFUND;
    case PayState::kPayError:
      return v1::ChannelPaymentView::PAYERROR;
  }
  return v1::ChannelPaymentView::STATUS_UNSPECIFIED;
}

bool valid_prepay_arguments(std::string_view payment_no, int64_t amount_minor,
                            std::string_view currency, std::string_view subject) {
  return !payment_no.empty() && payment_no.size() <= kMaxPaymentNoBytes && amount_minor > 0 &&
         !currency.empty() && subject.size() <= kMaxSubjectBytes;
}

bool same_prepay(const ChannelPayment& payment, int64_t amount_minor, std::string_view currency,
                 std::string_view subject) {
  return payment.amount_minor == amount_minor && payment.currency == currency &&
         payment.subject == subject;
}

}  // namespace

std::string_view to_string(PayState state) {
  switch (state) {
    case PayState::kNotPay:
      return "NOTPAY";
    case PayState::kSuccess:
      return "SUCCESS";
    case PayState::kClosed:
      return "CLOSED";
    case PayState::kRefund:
      return "REFUND";
    case PayState::kPayError:
      return "PAYERROR";
  }
  return "UNKNOWN";
}

std::string_view to_string(CallOutcome outcome) {
  switch (outcome) {
    case CallOutcome::kOk:
      return "ok";
    case CallOutcome::kNotFound:
      return "not_found";
    case CallOutcome::kUnavailable:
      return "unavailable";
    case CallOutcome::kTimeout:
      return "timeout";
    case CallOutcome::kAlreadyPaid:
      return "already_paid";
    case CallOutcome::kClosed:
      return "closed";
    case CallOutcome::kNotPaid:
      return "not_paid";
    case CallOutcome::kExceeds:
      return "exceeds";
    case CallOutcome::kRejected:
      return "rejected";
  }
  return "unknown";
}

bool validate_faults(const Faults& faults, std::string* error) {
  if (!check_probability("notify_drop", faults.notify_drop, error) ||
      !check_probability("notify_duplicate", faults.notify_duplicate, error) ||
      !check_probability("query_unavailable", faults.query_unavailable, error) ||
      !check_probability("prepay_timeout", faults.prepay_timeout, error)) {
    return false;
  }
  if (faults.notify_delay_ms < 0 || faults.notify_delay_ms > kMaxNotifyDelayMs) {
    if (error != nullptr) {
      *error = "notify_delay_ms must be in [0, " + std::to_string(kMaxNotifyDelayMs) + "]";
    }
    return false;
  }
  return true;
}

bool validate_faults(const v1::SandboxFaults& faults, std::string* error) {
  return validate_faults(faults_from_proto(faults), error);
}

Faults faults_from_proto(const v1::SandboxFaults& faults) {
  Faults result;
  result.notify_drop = faults.notify_drop();
  result.notify_duplicate = faults.notify_duplicate();
  result.notify_delay_ms = faults.notify_delay_ms();
  result.query_unavailable = faults.query_unavailable();
  result.prepay_timeout = faults.prepay_timeout();
  return result;
}

ChannelModel::ChannelModel(std::string channel_name, uint64_t seed, size_t max_payments)
    : channel_name_(std::move(channel_name)), max_payments_(max_payments), random_(seed) {
  ONCEPAY_CHECK(!channel_name_.empty());
  ONCEPAY_CHECK(max_payments_ > 0);
  id_prefix_ = channel_name_ + "-" + hex32(static_cast<uint32_t>(random_() >> 32)) + "-";
}

PrepayResult ChannelModel::prepay(std::string_view payment_no, int64_t amount_minor,
                                  std::string_view currency, std::string_view subject,
                                  int64_t now_ms, std::string_view merchant_id) {
  PrepayResult result =
      create_or_match(payment_no, amount_minor, currency, subject, now_ms, merchant_id);
  // The fault is drawn after the effect: the call happened, only its answer is lost.
  if (chance(faults_.prepay_timeout)) return PrepayResult{CallOutcome::kTimeout, {}, {}};
  return result;
}

PrepayResult ChannelModel::create_or_match(std::string_view payment_no, int64_t amount_minor,
                                           std::string_view currency, std::string_view subject,
                                           int64_t now_ms, std::string_view merchant_id) {
  if (!valid_prepay_arguments(payment_no, amount_minor, currency, subject)) {
    return PrepayResult{CallOutcome::kRejected, {}, {}};
  }
  PrepayResult accepted{CallOutcome::kOk, channel_name_ + "-prepay-" + std::string(payment_no),
                        channel_name_ + "://pay/" + std::string(payment_no)};
  if (const Record* record = find(payment_no)) {
    const ChannelPayment& payment = record->payment;
    if (!same_prepay(payment, amount_minor, currency, subject)) {
      return PrepayResult{CallOutcome::kRejected, {}, {}};
    }
    if (is_paid(payment.state)) return PrepayResult{CallOutcome::kAlreadyPaid, {}, {}};
    if (payment.state == PayState::kClosed) return PrepayResult{CallOutcome::kClosed, {}, {}};
    return accepted;
  }
  if (payments_.size() >= max_payments_) return PrepayResult{CallOutcome::kRejected, {}, {}};

  ChannelPayment payment;
  payment.payment_no = std::string(payment_no);
  payment.amount_minor = amount_minor;
  payment.currency = std::string(currency);
  payment.subject = std::string(subject);
  payment.merchant_id = std::string(merchant_id);
  payment.created_ms = now_ms;
  payment.updated_ms = now_ms;
  std::string key = payment.payment_no;  // copied first: the Record takes payment by move
  payments_.emplace(std::move(key), Record{std::move(payment), {}, {}});
  return accepted;
}

QueryResult ChannelModel::query(std::string_view payment_no) {
  if (chance(faults_.query_unavailable)) return QueryResult{CallOutcome::kUnavailable};
  const Record* record = find(payment_no);
  if (record == nullptr) return QueryResult{CallOutcome::kNotFound};
  const ChannelPayment& payment = record->payment;
  return QueryResult{CallOutcome::kOk, payment.state, payment.channel_trade_no,
                     payment.refunded_minor};
}

CloseResult ChannelModel::close(std::string_view payment_no, int64_t now_ms) {
  Record* record = find(payment_no);
  if (record == nullptr) return CloseResult{CallOutcome::kNotFound};
  ChannelPayment& payment = record->payment;
  if (is_paid(payment.state))
    return CloseResult{CallOutcome::kAlreadyPaid, payment.channel_trade_no};
  if (is_open(payment.state)) {
    payment.state = PayState::kClosed;
    payment.updated_ms = now_ms;
  }
  return CloseResult{CallOutcome::kOk};
}

CloseResult ChannelModel::reverse(std::string_view payment_no, int64_t now_ms) {
  Record* record = find(payment_no);
  if (record == nullptr) return CloseResult{CallOutcome::kNotFound};
  ChannelPayment& payment = record->payment;
  if (!is_paid(payment.state)) return close(payment_no, now_ms);
  if (payment.refunded_minor != payment.amount_minor) {
    payment.state = PayState::kRefund;
    payment.refunded_minor = payment.amount_minor;
    payment.updated_ms = now_ms;
  }
  return CloseResult{CallOutcome::kOk, payment.channel_trade_no};
}

RefundResult ChannelModel::refund(std::string_view payment_no, std::string_view refund_no,
                                  int64_t amount_minor, int64_t now_ms) {
  Record* record = find(payment_no);
  if (record == nullptr) return RefundResult{CallOutcome::kNotFound};
  ChannelPayment& payment = record->payment;
  RefundResult result{CallOutcome::kOk, payment.refunded_minor};
  if (refund_no.empty() || refund_no.size() > kMaxRefundNoBytes || amount_minor <= 0) {
    result.outcome = CallOutcome::kRejected;
    return result;
  }
  if (auto it = payment.refunds.find(std::string(refund_no)); it != payment.refunds.end()) {
    if (it->second != amount_minor) result.outcome = CallOutcome::kRejected;
    return result;  // a replay: no second notification
  }
  if (!is_paid(payment.state)) {
    result.outcome = CallOutcome::kNotPaid;
  } else if (amount_minor > payment.amount_minor - payment.refunded_minor) {
    result.outcome = CallOutcome::kExceeds;
  } else if (payment.refunds.size() >= kMaxRefundsPerPayment) {
    result.outcome = CallOutcome::kRejected;
  } else {
    apply_refund(payment, refund_no, amount_minor, now_ms);
    result.refunded_minor = payment.refunded_minor;
  }
  return result;
}

void ChannelModel::apply_refund(ChannelPayment& payment, std::string_view refund_no,
                                int64_t amount_minor, int64_t now_ms) {
  payment.refunds.emplace(std::string(refund_no), amount_minor);
  payment.refunded_minor += amount_minor;
  payment.state = PayState::kRefund;
  payment.updated_ms = now_ms;
  ONCEPAY_CHECK(payment.refunded_minor <= payment.amount_minor);

  v1::ChannelNotification body;
  body.set_notify_id(next_id('n'));
  body.set_payment_no(payment.payment_no);
  body.set_status(v1::ChannelNotification::REFUND_SUCCESS);
  body.set_channel_trade_no(payment.channel_trade_no);
  body.set_amount(amount_minor);
  body.set_currency(payment.currency);
  body.set_refund_no(std::string(refund_no));
  emit(body);
}

CallOutcome ChannelModel::pay(std::string_view payment_no, bool after_close, int64_t now_ms) {
  Record* record = find(payment_no);
  if (record == nullptr) return CallOutcome::kNotFound;
  PayState state = record->payment.state;
  if (state == PayState::kClosed && !after_close) return CallOutcome::kClosed;
  if (!is_paid(state)) {
    record->payment.state = PayState::kSuccess;
    record->payment.channel_trade_no = next_id('t');
    record->payment.updated_ms = now_ms;
    record->success_notify_id = next_id('n');
  }
  notify_outcome(*record, record->success_notify_id, v1::ChannelNotification::SUCCESS);
  return CallOutcome::kOk;
}

CallOutcome ChannelModel::fail(std::string_view payment_no, int64_t now_ms) {
  Record* record = find(payment_no);
  if (record == nullptr) return CallOutcome::kNotFound;
  PayState state = record->payment.state;
  if (is_paid(state)) return CallOutcome::kAlreadyPaid;
  if (state == PayState::kClosed) return CallOutcome::kClosed;
  if (state == PayState::kNotPay) {
    record->payment.state = PayState::kPayError;
    record->payment.updated_ms = now_ms;
    record->failure_notify_id = next_id('n');
  }
  notify_outcome(*record, record->failure_notify_id, v1::ChannelNotification::PAYERROR);
  return CallOutcome::kOk;
}

std::optional<ChannelPayment> ChannelModel::get(std::string_view payment_no) const {
  auto it = payments_.find(payment_no);
  if (it == payments_.end()) return std::nullopt;
  return it->second.payment;
}

v1::ChannelPaymentView ChannelModel::view(const ChannelPayment& payment) const {
  v1::ChannelPaymentView view;
  view.set_payment_no(payment.payment_no);
  view.set_status(view_status(payment.state));
  view.set_amount(payment.amount_minor);
  view.set_currency(payment.currency);
  view.set_refunded_amount(payment.refunded_minor);
  if (!payment.channel_trade_no.empty()) view.set_channel_trade_no(payment.channel_trade_no);
  return view;
}

void ChannelModel::set_faults(const Faults& faults) {
  ONCEPAY_CHECK(validate_faults(faults, nullptr));
  faults_ = faults;
}

std::vector<Notification> ChannelModel::take_outbox() {
  std::vector<Notification> taken;
  taken.swap(outbox_);
  return taken;
}

ChannelModel::Record* ChannelModel::find(std::string_view payment_no) {
  auto it = payments_.find(payment_no);
  return it == payments_.end() ? nullptr : &it->second;
}

bool ChannelModel::chance(double probability) {
  // Exact at 0 and 1 and draws nothing there, so fault-free runs use no randomness.
  if (!(probability > 0.0)) return false;
  if (probability >= 1.0) return true;
  // 53 random bits into [0, 1): the same on every standard library, unlike
  // std::bernoulli_distribution.
  double unit = static_cast<double>(random_() >> 11) * 0x1.0p-53;
  return unit < probability;
}

std::string ChannelModel::next_id(char kind) {
  return id_prefix_ + kind + std::to_string(next_id_++);
}

void ChannelModel::notify_outcome(const Record& record, const std::string& notify_id,
                                  v1::ChannelNotification::Status status) {
  v1::ChannelNotification body;
  body.set_notify_id(notify_id);
  body.set_payment_no(record.payment.payment_no);
  body.set_status(status);
  body.set_channel_trade_no(record.payment.channel_trade_no);
  body.set_amount(record.payment.amount_minor);
  body.set_currency(record.payment.currency);
  emit(body);
}

void ChannelModel::emit(const v1::ChannelNotification& body) {
  if (chance(faults_.notify_drop)) return;
  enqueue(body);
  if (chance(faults_.notify_duplicate)) enqueue(body);
}

void ChannelModel::enqueue(const v1::ChannelNotification& body) {
  if (outbox_.size() >= kMaxOutbox) return;
  outbox_.push_back(Notification{body, faults_.notify_delay_ms});
}

}  // namespace oncepay::channels
