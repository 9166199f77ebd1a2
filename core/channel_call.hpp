// The one channel interface the core speaks: what it asks a payment channel
// (prepay, query, close, reverse, refund) and what comes back. Adapters (the
// built-in sandbox, the HTTP simulator) translate their own formats to these
// values; a call that timed out or could not be made is kUnavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oncepay::core {

enum class ChannelOp : uint8_t { kPrepay, kQuery, kClose, kReverse, kRefund };

// The channel's view of a payment, as a query reports it.
enum class ChannelPayState : uint8_t { kNotPay, kSuccess, kClosed, kRefund, kPayError };

enum class ChannelOutcome : uint8_t {
  kOk,           // done; for a query: `state` holds the answer
  kNotFound,     // the channel never saw this payment_no
  kUnavailable,  // timeout, unreachable, or the answer was lost: outcome unknown
  kAlreadyPaid,  // close refused: the payment succeeded at the channel
  kNotPaid,      // refund refused: nothing was paid
  kRejected,     // the channel refused the call for good (bad parameters)
};

struct ChannelCall {
  ChannelOp op = ChannelOp::kQuery;
  std::string channel;
  std::string merchant_id;  // whose channel account the call uses
  std::string payment_no;
  int64_t amount_minor = 0;  // prepay and refund: this call's amount
  int64_t total_minor = 0;   // every call: the order's amount (refunds name it)
  std::string currency;      // every call: the order's currency
  std::string subject;       // prepay
  std::string trade_type;    // prepay: PayRequest.trade_type ("" = the channel's default)
  std::string payer_openid;  // prepay: PayRequest.payer_openid
  std::string refund_no;     // refund
};

// A client pay parameter of a prepay answer (v1::PayParam).
struct ChannelPayParam {
  std::string name;
  std::string value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ChannelPayParam& x) {
  return f(x.name, x.value);
}

// Every field, for the actor messages that carry it (CAF finds these by
// argument-dependent lookup; the core itself does not depend on CAF).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ChannelCall& x) {
  return f(x.op, x.channel, x.merchant_id, x.payment_no, x.amount_minor, x.total_minor, x.currency,
           x.subject, x.trade_type, x.payer_openid, x.refund_no);
}

struct ChannelReply {
  ChannelOutcome outcome = ChannelOutcome::kUnavailable;
  ChannelPayState state = ChannelPayState::kNotPay;  // query
  std::string channel_trade_no;                      // query / close when paid
  std::string prepay_id;                             // prepay
  std::string pay_url;                               // prepay
  std::string code_url;                              // prepay: WeChat Pay NATIVE
  std::string qr_code;                               // prepay: Alipay precreate
  std::vector<ChannelPayParam> pay_params;           // prepay: client SDK parameters
  std::string detail;                                // for the timeline and logs
  // Query / close answers that show the payment: the amount and currency the
  // channel holds for it. A success is kept only when both match the
  // attempt's; unset (nullopt / empty) when the channel did not say.
  std::optional<int64_t> paid_amount_minor;
  std::string paid_currency;
  // Webhook deliveries (Step::webhook) only: the HTTP status, 0 when no
  // response came back; outcome is kOk for a 2xx, else kUnavailable.
  int32_t http_status = 0;
};

// paid_amount_minor travels as (present, value).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ChannelReply& x) {
  bool has_paid_amount = x.paid_amount_minor.has_value();
  int64_t paid_amount_minor = x.paid_amount_minor.value_or(0);
  if constexpr (Inspector::reads_state) {
    return f(x.outcome, x.state, x.channel_trade_no, x.prepay_id, x.pay_url, x.code_url, x.qr_code,
             x.pay_params, x.detail, has_paid_amount, paid_amount_minor, x.paid_currency,
             x.http_status);
  } else {
    auto result = f(x.outcome, x.state, x.channel_trade_no, x.prepay_id, x.pay_url, x.code_url,
                    x.qr_code, x.pay_params, x.detail, has_paid_amount, paid_amount_minor,
                    x.paid_currency, x.http_status);
    x.paid_amount_minor =
        has_paid_amount ? std::optional<int64_t>(paid_amount_minor) : std::nullopt;
    return result;
  }
}

std::string_view to_string(ChannelOp op);
std::string_view to_string(ChannelOutcome outcome);
std::string_view to_string(ChannelPayState state);

}  // namespace oncepay::core
