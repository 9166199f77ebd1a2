// Private to core/decide/*.cpp and core/order_decide.cpp: the Decider that
// builds one Step of core/order_decide.hpp, and the helpers its flows share.
// Its member functions are spread over one file per flow:
//   pay.cpp           pay requests, the prepay answer, the live attempt after the window
//   close.cpp         a merchant's close
//   notice.cpp        channel notifications, mismatches and their verifying query
//   ladders.cpp       attempt timers: query ladder, fast expiry, automatic refund retries
//   order_expiry.cpp  the order's deadline
//   refunds.cpp       merchant refunds and their ladder
//   webhooks.cpp      merchant webhooks and their ladder
//   review.cpp        the review list
//   appeals.cpp       payer appeals: check every attempt at the channel
//   transitions.cpp   attempt transitions every flow uses (success, fail, close, ...)
//   decider.cpp       plumbing (events, reply, call) and the dispatch of channel answers
//
// Contract: as order_decide.hpp. One Decider per decision, single-threaded;
// every emitted event is applied to the state at once, so each decision sees
// the state its previous events produced. At most one reply and one channel
// call (or webhook delivery) per Step, checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/check.hpp"
#include "core/narrow.hpp"
#include "core/order_decide.hpp"

namespace oncepay::core::decide {

inline bool is_paid(OrderStatus status) {
  return status == v1::Order::PAID || status == v1::Order::REFUNDED ||
         status == v1::Order::PARTIALLY_REFUNDED;
}

// What a channel result said was paid or refunded, and how it was learned.
struct Reported {
  std::optional<int64_t> amount_minor;  // nullopt: the channel did not say
  std::string currency;                 // empty: the channel did not say
  std::string source;                   // "notify" | "query" | "close" | "reconciliation"

  bool matches(int64_t expected_minor, const std::string& expected_currency) const {
    return (!amount_minor || *amount_minor == expected_minor) &&
           (currency.empty() || currency == expected_currency);
  }
};

inline Reported reported_by(const ChannelReply& r, std::string source) {
  return Reported{r.paid_amount_minor, r.paid_currency, std::move(source)};
}

inline bool success_recorded(const AttemptState& attempt) {
  return attempt.status == v1::Attempt::SUCCESS || attempt.status == v1::Attempt::AUTO_REFUNDING ||
         attempt.status == v1::Attempt::AUTO_REFUNDED;
}

// Builds one Step: emitted events are applied to the state at once, so each
// decision below sees the state its previous events produced.
class Decider {
 public:
  Decider(OrderState& state, const Context& context) : s_(state), ctx_(context) {
    ONCEPAY_CHECK(context.config != nullptr);
  }

  Step take() { return std::move(step_); }

  // ------------------------------------------------------------ entry points

  void pay(const PayCommand& cmd);                                                  // pay.cpp
  void close();                                                                     // close.cpp
  void notice(const ChannelNotice& n);                                              // notice.cpp
  void timer(const std::string& payment_no, Ladder ladder, int32_t step);           // ladders.cpp
  void refund(const RefundCommand& cmd);                                            // refunds.cpp
  void refund_timer(const std::string& refund_no, int32_t step);                    // refunds.cpp
  void webhook_timer(const std::string& event_id, int32_t step);                    // webhooks.cpp
  void resume(const Flow& flow, const ChannelReply& r);                             // decider.cpp
  void recon_review(const ReconReviewCommand& cmd);                                 // review.cpp
  void recon_matched(const std::string& payment_no, const std::string& refund_no);  // review.cpp
  void resolve(const ResolveCommand& cmd);                                          // review.cpp

  // operator.cpp: the OperatorAction recorded before the flow's first event
  // or channel call (order_decide.hpp "operator actions").
  void act_for(std::string action, const OperatorCommand& cmd, std::string target = {});
  void operator_query(const OperatorCommand& cmd);  // operator.cpp
  void operator_webhook_retry(const OperatorCommand& cmd, const std::string& event_id);
  void appeal(const AppealCommand& cmd);  // appeals.cpp

 private:
  const PaymentConfig& config() const { return *ctx_.config; }

  // ------------------------------------------------------------ pay.cpp
  void open_order(const PayCommand& cmd);
  bool refuse_by_status();
  bool exhausted() const;
  void refuse_exhausted();
  void start_or_refuse(const PayCommand& cmd);
  void start_attempt(const PayCommand& cmd, std::string payment_no);
  void on_prepay(AttemptState& attempt, const ChannelReply& r);
  void on_query_live(AttemptState& attempt, const PayCommand& cmd, const ChannelReply& r);
  void on_close_live(AttemptState& attempt, const PayCommand& cmd, const ChannelReply& r);
  void reply_after_success();
  void reply_unknown(const AttemptState& attempt, std::string message);

  // ------------------------------------------------------------ close.cpp
  void on_merchant_close(AttemptState& attempt, const ChannelReply& r);

  // ------------------------------------------------------------ notice.cpp
  bool confirms(const AttemptState& attempt, const Reported& reported) const;
  void on_confirm_query(AttemptState& attempt, const ChannelReply& r);
  void notice_pay_error(AttemptState& attempt);
  void notice_refund_success(AttemptState& attempt, const ChannelNotice& n,
                             const Reported& reported);
  void notice_refund_failed(const ChannelNotice& n);
  void on_verify_query(AttemptState& attempt, const ChannelReply& r);
  int64_t auto_refund_amount(const AttemptState& attempt) const;
  std::string describe(int64_t amount_minor, const std::string& currency) const;
  // Records a ChannelMismatch unless this very result (amount, currency,
  // source) was recorded before; true when recorded.
  bool record_mismatch(const AttemptState& attempt, const std::string& refund_no,
                       int64_t expected_minor, const Reported& reported,
                       const std::string& trade_no);
  std::string mismatch_detail(const std::string& what, int64_t expected_minor,
                              const Reported& reported) const;
  void refund_mismatch(const AttemptState& attempt, const std::string& refund_no,
                       int64_t expected_minor, const Reported& reported);
  void mismatched_success(AttemptState& attempt, const std::string& trade_no,
                          const Reported& reported);

  // ------------------------------------------------------------ ladders.cpp
  void on_ladder_query(AttemptState& attempt, int32_t step, const ChannelReply& r);
  void on_ladder_close(AttemptState& attempt, int32_t step, const ChannelReply& r);
  void on_fast_close(AttemptState& attempt, int32_t step, const ChannelReply& r);
  void on_fast_query(AttemptState& attempt, int32_t step, const ChannelReply& r);
  void on_auto_refund(AttemptState& attempt, int32_t step, const ChannelReply& r);
  void arm_query(AttemptState& attempt, int32_t step, std::string detail);
  void arm_fast(AttemptState& attempt, int32_t step, std::string detail);
  void arm(AttemptState& attempt, Ladder ladder, int32_t step, int64_t due_ms, std::string detail,
           int64_t anchor_ms);

  // ------------------------------------------------------------ order_expiry.cpp
  void settle_if_idle();
  void arm_order_expiry(int64_t due_ms, std::string detail);
  void order_expiry_timer();

  // ------------------------------------------------------------ refunds.cpp
  void on_refund(const Flow& flow, const ChannelReply& r);
  void arm_refund(RefundState& refund, int32_t step, int64_t due_ms, std::string detail,
                  int64_t anchor_ms);
  void refund_succeeded(RefundState& refund);
  void refund_failed(RefundState& refund, std::string reason);
  void reply_refund(Code code, const RefundState& refund);

  // ------------------------------------------------------------ webhooks.cpp
  void queue_webhook(std::string event_id, std::string_view type);
  void on_webhook(const Flow& flow, const ChannelReply& r);
  void arm_webhook(const std::string& event_id, int32_t step, int64_t due_ms, int64_t anchor_ms);

  // ------------------------------------------------------------ review.cpp
  void open_review(std::string_view reason, std::string_view subject, const std::string& payment_no,
                   std::string detail);
  void close_review(const std::string& item_id, std::string resolution,
                    const std::string& operator_name = {}, const std::string& note = {});
  void trust_channel(const ReviewState& item, const ResolveCommand& cmd);

  // ------------------------------------------------------------ appeals.cpp
  void check_appeal(const std::string& appeal_id, size_t index);
  void on_appeal_query(AttemptState& attempt, const Flow& flow, const ChannelReply& r);

  // ------------------------------------------------------------ transitions.cpp
  void success(AttemptState& attempt, const std::string& trade_no, const Reported& reported);
  std::string why_not_counted(const AttemptState& attempt) const;
  void start_auto_refund(AttemptState& attempt, const std::string& trade_no, std::string why,
                         int64_t amount_minor = 0, std::string reason = {});
  void auto_refunded(AttemptState& attempt);
  void supersede(AttemptState& attempt, const std::string& by);
  void fail(AttemptState& attempt, std::string reason);
  void closed(AttemptState& attempt, std::string reason);
  void expire(AttemptState& attempt, bool unconfirmed = false);

  // ------------------------------------------------------------ operator.cpp
  void on_operator_query(AttemptState& attempt, const ChannelReply& r);
  void record_action();

  // ------------------------------------------------------------ decider.cpp
  ChannelCall make_call(ChannelOp op, const AttemptState& attempt) const;
  void call(ChannelOp op, const AttemptState& attempt, Flow flow);
  void reply(Code code, std::string payment_no = {}, std::string message = {});
  v1::Event& event();
  void emit();

  OrderState& s_;
  const Context& ctx_;
  // The channel's time of the result being decided (ChannelNotice /
  // reconciliation), carried into AttemptSucceeded, AutoRefundStarted and
  // RefundSucceeded; 0: none.
  int64_t channel_time_ms_ = 0;
  Step step_;
  v1::Event pending_;
  // An operator's action not recorded yet (act_for): emit() and call()
  // record it first.
  std::optional<v1::OperatorAction> action_;
};

}  // namespace oncepay::core::decide
