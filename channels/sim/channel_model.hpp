// ChannelModel: the pure, deterministic model of a wallet-style third-party
// payment channel (WeChat Pay-like): the state the channel itself keeps about
// each payment_no (its out_trade_no), the answers its API gives, and the
// asynchronous notifications it sends. API.md "Built-in sandbox channel".
//
// It is wrapped by the built-in sandbox actor and by the standalone HTTP
// simulator, so it does no I/O, starts no threads and reads no clock: time
// comes in as `now_ms`, and randomness (fault injection, id prefixes) only
// from a std::mt19937_64 seeded in the constructor. The same seed and the same
// calls give the same answers and the same outbox on every platform.
//
// Contract:
// - Not thread-safe: the owner (one actor) serializes every call.
// - Expected failures are CallOutcome values; calling with arguments the
//   contract forbids (invalid Faults to set_faults) is a programmer error.
// - Notifications are queued in an outbox that the owner drains with
//   take_outbox() after each call and delivers (signed) after each delay_ms.
//   The outbox is bounded (kMaxOutbox): past it, deliveries are dropped, which
//   a real channel's lossy callbacks do anyway.
// - Payments are kept in memory until the model is destroyed, at most
//   max_payments of them; prepay past that is kRejected.
// - Id prefixes come from the seed, so an owner that restarts must seed from a
//   fresh random source, or channel_trade_no / notify_id values repeat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "oncepay.pb.h"

namespace oncepay::channels {

// A payment_no longer than this is kRejected by prepay (WeChat allows 32).
inline constexpr size_t kMaxPaymentNoBytes = 64;
// A refund_no longer than this is kRejected by refund.
inline constexpr size_t kMaxRefundNoBytes = 64;
// Subject (description) bytes accepted by prepay.
inline constexpr size_t kMaxSubjectBytes = 256;
// Refunds per payment, as WeChat limits them; the next one is kRejected.
inline constexpr size_t kMaxRefundsPerPayment = 50;
// Deliveries waiting in the outbox; more are dropped.
inline constexpr size_t kMaxOutbox = 65536;
// Payments kept by default.
inline constexpr size_t kDefaultMaxPayments = 1'000'000;
// SandboxFaults.notify_delay_ms upper bound.
inline constexpr int64_t kMaxNotifyDelayMs = 60'000;

// The channel's own status of a payment. kRefund: fully or partly refunded
// after a success.
enum class PayState { kNotPay, kSuccess, kClosed, kRefund, kPayError };

// "NOTPAY", "SUCCESS", "CLOSED", "REFUND", "PAYERROR".
std::string_view to_string(PayState state);

struct ChannelPayment {
  std::string payment_no;
  int64_t amount_minor = 0;
  std::string currency;
  std::string subject;
  PayState state = PayState::kNotPay;
  std::string channel_trade_no;  // assigned at SUCCESS, empty before
  // Total refunded: the sum of `refunds`, plus what a reverse refunded.
  int64_t refunded_minor = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::map<std::string, int64_t> refunds;  // refund_no -> amount_minor
  // Whose payment it is (core::ChannelCall::merchant_id of the prepay that
  // created it; "" when the caller did not say): the daily statements list
  // a merchant's payments only (channels/sim/statement.hpp).
  std::string merchant_id;
};

// Fault injection, applied at the moment a call or notification happens.
struct Faults {
  double notify_drop = 0;        // probability a notification is never delivered
  double notify_duplicate = 0;   // probability a delivered one is delivered twice
  int64_t notify_delay_ms = 0;   // delay of every delivery
  double query_unavailable = 0;  // probability query() answers kUnavailable
  double prepay_timeout = 0;     // probability prepay()'s answer is lost (kTimeout)
};

// Each probability in [0, 1] (not NaN), 0 <= notify_delay_ms <= kMaxNotifyDelayMs.
// On false, *error (if not null) names the field first: "notify_drop must be ...".
bool validate_faults(const Faults& faults, std::string* error);
bool validate_faults(const v1::SandboxFaults& faults, std::string* error);
// A field-by-field copy; validate first. An empty message gives no faults.
Faults faults_from_proto(const v1::SandboxFaults& faults);

// One delivery to make, `delay_ms` after it was taken from the outbox.
// body.notify_id is stable per logical notification: duplicates, and re-sends
// of a payment's success or failure, share it.
struct Notification {
  v1::ChannelNotification body;
  int64_t delay_ms = 0;
};

enum class CallOutcome {
  kOk,
  kNotFound,     // the channel never saw this payment_no
  kUnavailable,  // injected fault: try again later
  kTimeout,      // injected fault: the call may or may not have taken effect
  kAlreadyPaid,  // the payment is SUCCESS / REFUND
  kClosed,       // the payment is CLOSED
  kNotPaid,      // refund of a payment that is not SUCCESS / REFUND
  kExceeds,      // refunds would sum above the paid amount
  kRejected,     // invalid or conflicting arguments, or a limit reached
};

std::string_view to_string(CallOutcome outcome);

struct PrepayResult {
  CallOutcome outcome = CallOutcome::kOk;
  std::string prepay_id;  // set with kOk
  std::string pay_url;    // set with kOk
};

struct QueryResult {
  CallOutcome outcome = CallOutcome::kOk;
  PayState state = PayState::kNotPay;  // the rest is set with kOk only
  std::string channel_trade_no;
  int64_t refunded_minor = 0;
};

struct CloseResult {
  CallOutcome outcome = CallOutcome::kOk;
  std::string channel_trade_no;  // set when the payment had succeeded
};

struct RefundResult {
  CallOutcome outcome = CallOutcome::kOk;
  int64_t refunded_minor = 0;  // the payment's total refunded, set when found
};

class ChannelModel {
 public:
  ChannelModel(std::string channel_name, uint64_t seed, size_t max_payments = kDefaultMaxPayments);

  // ------------------------------------------------ engine-facing channel API

  // Creates the payment (NOTPAY) or, for a payment_no seen before with the same
  // amount, currency and subject, returns the same prepay_id again: kOk while
  // it is NOTPAY or PAYERROR, kAlreadyPaid once it succeeded, kClosed once
  // closed. Other parameters for a known payment_no, an empty payment_no or
  // currency, amount <= 0, an over-long field, or a full model: kRejected.
  // Fault prepay_timeout: the call takes effect but the answer is kTimeout.
  // merchant_id is kept from the prepay that created the payment (a repeat
  // does not change it).
  PrepayResult prepay(std::string_view payment_no, int64_t amount_minor, std::string_view currency,
                      std::string_view subject, int64_t now_ms, std::string_view merchant_id = {});

  // Fault query_unavailable: kUnavailable. Unknown payment_no: kNotFound.
  QueryResult query(std::string_view payment_no);

  // NOTPAY / PAYERROR -> CLOSED, kOk; CLOSED: kOk; SUCCESS / REFUND:
  // kAlreadyPaid with the channel_trade_no, not closed; unknown: kNotFound.
  CloseResult close(std::string_view payment_no, int64_t now_ms);

  // Reversal (冲正): like close, except that a SUCCESS / REFUND payment is
  // refunded in full (REFUND, refunded = amount) and answers kOk with its
  // channel_trade_no. Sends no notification.
  CloseResult reverse(std::string_view payment_no, int64_t now_ms);

  // Refunds amount_minor of a SUCCESS / REFUND payment (state becomes REFUND)
  // and queues a REFUND_SUCCESS notification. Idempotent per refund_no: the
  // same amount again is kOk without a new notification; another amount is
  // kRejected. Not paid: kNotPaid; the sum above the amount: kExceeds;
  // empty/over-long refund_no, amount <= 0 or kMaxRefundsPerPayment reached:
  // kRejected; unknown payment_no: kNotFound.
  RefundResult refund(std::string_view payment_no, std::string_view refund_no, int64_t amount_minor,
                      int64_t now_ms);

  // ------------------------------------------ payer / test control (/sandbox)

  // The payer pays. NOTPAY or PAYERROR (the wallet lets the payer retry) ->
  // SUCCESS with a new channel_trade_no, kOk, SUCCESS notification. CLOSED:
  // kClosed, unless after_close (the payer's confirmation crossed the close
  // inside the channel): SUCCESS anyway, kOk, notification. SUCCESS / REFUND:
  // kOk and the success notification is sent again (same notify_id), which a
  // refunded payment's engine sees as a late duplicate. Unknown: kNotFound.
  CallOutcome pay(std::string_view payment_no, bool after_close, int64_t now_ms);

  // The payer's payment fails. NOTPAY -> PAYERROR, kOk, PAYERROR notification;
  // PAYERROR: kOk, the notification again; CLOSED: kClosed; SUCCESS / REFUND:
  // kAlreadyPaid; unknown: kNotFound.
  CallOutcome fail(std::string_view payment_no, int64_t now_ms);

  // ---------------------------------------------------------- introspection

  std::optional<ChannelPayment> get(std::string_view payment_no) const;
  v1::ChannelPaymentView view(const ChannelPayment& payment) const;
  size_t size() const { return payments_.size(); }

  // Checks validate_faults(faults) (ONCEPAY_CHECK: aborts on invalid faults).
  void set_faults(const Faults& faults);
  const Faults& faults() const { return faults_; }

  // The deliveries queued since the last call, in order, after faults: each
  // logical notification is dropped with p = notify_drop, else delivered once
  // plus one extra copy with p = notify_duplicate, each with notify_delay_ms.
  std::vector<Notification> take_outbox();

  const std::string& channel_name() const { return channel_name_; }

 private:
  struct Record {
    ChannelPayment payment;
    std::string success_notify_id;  // set with the first success
    std::string failure_notify_id;  // set with the first failure
  };

  Record* find(std::string_view payment_no);
  PrepayResult create_or_match(std::string_view payment_no, int64_t amount_minor,
                               std::string_view currency, std::string_view subject, int64_t now_ms,
                               std::string_view merchant_id);
  void apply_refund(ChannelPayment& payment, std::string_view refund_no, int64_t amount_minor,
                    int64_t now_ms);
  // True with `probability`; draws from random_ only strictly between 0 and 1.
  bool chance(double probability);
  // "<prefix><kind><counter>": kind 't' for trade numbers, 'n' for notify ids.
  std::string next_id(char kind);
  void notify_outcome(const Record& record, const std::string& notify_id,
                      v1::ChannelNotification::Status status);
  void emit(const v1::ChannelNotification& body);
  void enqueue(const v1::ChannelNotification& body);

  std::string channel_name_;
  size_t max_payments_;
  std::mt19937_64 random_;
  std::string id_prefix_;  // "<channel>-<8 hex from the seed>-"
  uint64_t next_id_ = 1;
  Faults faults_;
  std::map<std::string, Record, std::less<>> payments_;
  std::vector<Notification> outbox_;
};

}  // namespace oncepay::channels
