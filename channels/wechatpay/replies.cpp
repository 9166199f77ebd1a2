#include "channels/wechatpay/replies.hpp"

#include <array>
#include <utility>

#include "channels/wechatpay/api.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using core::ChannelOp;
using core::ChannelOutcome;
using core::ChannelPayState;
using core::ChannelReply;

constexpr std::array<std::pair<std::string_view, TradeStateMapping>, 8> kTradeStates = {{
    {"NOTPAY", {ChannelPayState::kNotPay, false}},
    {"USERPAYING", {ChannelPayState::kNotPay, false}},
    {"ACCEPT", {ChannelPayState::kNotPay, false}},
    {"SUCCESS", {ChannelPayState::kSuccess, true}},
    {"REFUND", {ChannelPayState::kRefund, true}},
    {"CLOSED", {ChannelPayState::kClosed, true}},
    {"REVOKED", {ChannelPayState::kClosed, true}},
    {"PAYERROR", {ChannelPayState::kPayError, true}},
}};

bool is_2xx(int32_t status) { return status >= 200 && status <= 299; }

bool one_of(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (c == code) return true;
  }
  return false;
}

std::string describe(const Answer& a, std::string_view what) {
  std::string out = "wechatpay ";
  if (a.http_status == 0) return out + "no answer";
  out += "HTTP " + std::to_string(a.http_status);
  if (a.verification != Error::kOk) {
    out += ", signature ";
    out += to_string(a.verification);
  }
  ApiError error;
  if (!is_2xx(a.http_status) && parse_error_body(a.body, &error) == Error::kOk) {
    out += ", " + error.code;
    if (!error.message.empty()) out += ": " + error.message;
  }
  if (!what.empty()) {
    out += ", ";
    out += what;
  }
  return out;
}

ChannelReply reply(ChannelOutcome outcome, std::string detail) {
  ChannelReply r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  return r;
}

// The reply for an answer that is not a verified 2xx.
ChannelReply failure(ChannelOp op, const Answer& a) {
  return reply(outcome_for_answer(op, a), describe(a, ""));
}

bool verified_2xx(const Answer& a) { return is_2xx(a.http_status) && a.verification == Error::kOk; }

}  // namespace

std::optional<TradeStateMapping> map_trade_state(std::string_view trade_state) {
  for (const auto& [name, mapping] : kTradeStates) {
    if (name == trade_state) return mapping;
  }
  return std::nullopt;
}

ChannelOutcome outcome_for_answer(ChannelOp op, const Answer& a) {
  if (a.http_status == 0 || a.verification != Error::kOk) return ChannelOutcome::kUnavailable;
  if (a.http_status == 202 || a.http_status == 429 || a.http_status >= 500) {
    return ChannelOutcome::kUnavailable;
  }
  if (is_2xx(a.http_status)) return ChannelOutcome::kOk;
  ApiError error;
  if (parse_error_body(a.body, &error) != Error::kOk) error.code.clear();
  if (one_of(error.code, {"SYSTEM_ERROR", "SERVICE_UNAVAILABLE", "RATELIMIT_EXCEEDED",
                          "RATE_LIMITED", "FREQUENCY_LIMITED", "USERPAYING"})) {
    return ChannelOutcome::kUnavailable;
  }
  if (a.http_status == 404 || one_of(error.code, {"ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS"})) {
    return ChannelOutcome::kNotFound;
  }
  if (op == ChannelOp::kClose && error.code == "ORDER_CLOSED") return ChannelOutcome::kOk;
  if (op == ChannelOp::kClose && one_of(error.code, {"ORDERPAID", "ORDER_PAID"})) {
    return ChannelOutcome::kAlreadyPaid;
  }
  return ChannelOutcome::kRejected;
}

ChannelReply prepay_reply(const Answer& a, bool jsapi) {
  if (!verified_2xx(a)) return failure(ChannelOp::kPrepay, a);
  ChannelReply r = reply(ChannelOutcome::kOk, describe(a, ""));
  const Error e = jsapi ? parse_jsapi_prepay_response(a.body, &r.prepay_id)
                        : parse_native_prepay_response(a.body, &r.code_url);
  if (e != Error::kOk) {
    return reply(ChannelOutcome::kUnavailable, describe(a, "body " + std::string(to_string(e))));
  }
  return r;
}

ChannelReply query_reply(const Answer& a, std::string_view out_trade_no) {
  if (!verified_2xx(a)) return failure(ChannelOp::kQuery, a);
  Transaction t;
  const Error e = parse_transaction(a.body, &t);
  if (e != Error::kOk) {
    return reply(ChannelOutcome::kUnavailable, describe(a, "body " + std::string(to_string(e))));
  }
  if (t.out_trade_no != out_trade_no) {
    return reply(ChannelOutcome::kUnavailable, describe(a, "answer for another out_trade_no"));
  }
  const auto mapping = map_trade_state(t.trade_state);
  if (!mapping) {
    return reply(ChannelOutcome::kUnavailable, describe(a, "trade_state " + t.trade_state));
  }
  ChannelReply r = reply(ChannelOutcome::kOk, describe(a, "trade_state " + t.trade_state));
  r.state = mapping->state;
  r.channel_trade_no = t.transaction_id;
  if ((r.state == ChannelPayState::kSuccess || r.state == ChannelPayState::kRefund) &&
      t.has_amount) {
    r.paid_amount_minor = t.total_fen;
    r.paid_currency = t.currency;
  }
  return r;
}

ChannelReply close_reply(const Answer& a) {
  if (!verified_2xx(a)) return failure(ChannelOp::kClose, a);
  return reply(ChannelOutcome::kOk, describe(a, ""));
}

ChannelReply refund_reply(const Answer& a, std::string_view out_refund_no) {
  if (!verified_2xx(a)) return failure(ChannelOp::kRefund, a);
  Refund refund;
  const Error e = parse_refund(a.body, RefundStatusField::kStatus, &refund);
  if (e != Error::kOk) {
    return reply(ChannelOutcome::kUnavailable, describe(a, "body " + std::string(to_string(e))));
  }
  if (refund.out_refund_no != out_refund_no) {
    return reply(ChannelOutcome::kUnavailable, describe(a, "answer for another out_refund_no"));
  }
  const std::string what = "refund status " + refund.status;
  if (refund.status == "SUCCESS") return reply(ChannelOutcome::kOk, describe(a, what));
  if (refund.status == "CLOSED" || refund.status == "ABNORMAL") {
    return reply(ChannelOutcome::kRejected, describe(a, what));
  }
  return reply(ChannelOutcome::kUnavailable, describe(a, what));  // PROCESSING, unknown
}

}  // namespace oncepay::channels::wechatpay
