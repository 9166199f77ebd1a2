// What a WeChat Pay APIv3 answer means to oncepay's core: the
// core::ChannelReply of a prepay, query, close or refund call, from the HTTP
// status, the verified-or-not signature and the body. The adapter actor
// makes the call (http/), verifies the answer (signature.hpp verify_signed)
// and hands the three here. docs/channels/PROTOCOLS.md A.1, A.3, A.4, A.6,
// A.8; core/channel_call.hpp.
//
// trade_state -> core::ChannelPayState (A.3; map_trade_state):
//
//   trade_state  state      terminal  why
//   NOTPAY       kNotPay    no        not paid, still payable
//   USERPAYING   kNotPay    no        the payer is entering a password
//                                     (payment-code only): not paid yet,
//                                     query again
//   ACCEPT       kNotPay    no        accepted, waiting for the debit (Java
//                                     enum only): no money moved yet, query
//                                     again; never taken as paid
//   SUCCESS      kSuccess   yes       paid
//   REFUND       kRefund    yes       paid, then (partly) refunded ("转入退款"):
//                                     the core counts it as a success that
//                                     happened
//   CLOSED       kClosed    yes       closed unpaid (close API or expiry)
//   REVOKED      kClosed    yes       revoked unpaid (payment-code only)
//   PAYERROR     kPayError  yes       payment failed (bank refused)
//   anything else  -       -         unknown: the reply is kUnavailable
//                                     ("outcome unknown, query later"),
//                                     never a guess
//
// Outcome of an answer (outcome_for_answer; A.6, A.8):
// - no answer (http_status 0: timeout, connection failure), a signature that
//   did not verify (any Error but kOk, kUnsigned included: A.6 "unsigned
//   2xx ... forged"), 202 (USERPAYING: accepted, not processed), 429
//   (RATELIMIT_EXCEEDED / RATE_LIMITED), any 5xx, and any body with code
//   SYSTEM_ERROR / SERVICE_UNAVAILABLE / RATELIMIT_EXCEEDED / RATE_LIMITED /
//   FREQUENCY_LIMITED / USERPAYING: kUnavailable, the outcome is unknown and
//   the core queries before it decides;
// - 404, or code ORDER_NOT_EXIST / RESOURCE_NOT_EXISTS: kNotFound;
// - code ORDER_CLOSED on a close: kOk (it is closed, which was the point);
// - code ORDERPAID / ORDER_PAID on a close: kAlreadyPaid (the v2 code; v3's
//   is unconfirmed, PROTOCOLS.md "Uncertain" 4 — the core queries a close
//   answer it does not understand anyway);
// - any other 4xx (PARAM_ERROR, INVALID_REQUEST, SIGN_ERROR, NO_AUTH,
//   APPID_MCHID_NOT_MATCH, MCH_NOT_EXISTS, ...): kRejected, a definite
//   failure: the request was refused and nothing happened;
// - a 2xx whose body does not parse, or a query answer for another
//   out_trade_no: kUnavailable (the answer cannot be trusted to say what
//   happened).
//
// Refund status (create / query answers, A.4 `status`):
//   SUCCESS -> kOk; PROCESSING -> kUnavailable (accepted, result to come:
//   asking again with the same out_refund_no is idempotent, A.2); CLOSED and
//   ABNORMAL -> kRejected (the refund did not reach the payer; ABNORMAL
//   needs a manual re-issue at the merchant platform).
//
// Threads and ownership: pure functions, callable from any thread.
// Failure modes: none beyond the outcome values; `detail` names the HTTP
// status, code and message for the timeline (never key material).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/wechatpay/error.hpp"
#include "core/channel_call.hpp"

namespace oncepay::channels::wechatpay {

struct TradeStateMapping {
  core::ChannelPayState state = core::ChannelPayState::kNotPay;
  bool terminal = false;
};

// The table above; nullopt for a trade_state not in it.
std::optional<TradeStateMapping> map_trade_state(std::string_view trade_state);

// One answer of WeChat Pay as the adapter saw it.
struct Answer {
  int32_t http_status = 0;                // 0: no answer (timeout, connection refused, reset)
  std::string_view body;                  // exact bytes received
  Error verification = Error::kUnsigned;  // verify_signed() of these headers and body
};

// The outcome by the rules above for a non-success answer (or one that
// failed verification) of operation `op`.
core::ChannelOutcome outcome_for_answer(core::ChannelOp op, const Answer& answer);

// Prepay: 200 with code_url (NATIVE: ChannelReply::code_url) or prepay_id
// (JSAPI: ChannelReply::prepay_id).
core::ChannelReply prepay_reply(const Answer& answer, bool jsapi);
// Query by out_trade_no: 200 Transaction -> kOk with `state`,
// channel_trade_no, and for kSuccess / kRefund the paid amount and currency.
core::ChannelReply query_reply(const Answer& answer, std::string_view out_trade_no);
// Close: 204 -> kOk.
core::ChannelReply close_reply(const Answer& answer);
// Refund create or query: 200 Refund (A.4 `status`) -> by the refund table.
core::ChannelReply refund_reply(const Answer& answer, std::string_view out_refund_no);

}  // namespace oncepay::channels::wechatpay
