// The Alipay trade methods oncepay calls (docs/channels/PROTOCOLS.md B.2):
// their biz_content, the reading of their verified responses into
// core::ChannelReply, the result-code table (B.5), the out_trade_no rule
// (B.1), and the simulator's side of the same (biz_content read back,
// response content built).
//
// Mapping of answers to core::ChannelOutcome (the rule: only an answer that
// proves what happened is definite; everything else is "outcome unknown,
// query", kUnavailable):
//
//   answer                                  outcome       why
//   no answer, timeout, HTTP 5xx, non-JSON  kUnavailable  the call may have run
//   signature missing or bad (any code)     kUnavailable  the text is not
//                                                          Alipay's; query
//   code 10000                              per method    B.5 "Success"
//   code 20000 (isp./aop.unknow-error)      kUnavailable  B.5 "retry later"
//   sub_code ACQ.SYSTEM_ERROR               kUnavailable  B.5 "retry / query"
//   code 20001, 40001, 40002, 40006         kRejected     refused before any
//                                                          business ran (auth,
//                                                          missing/invalid
//                                                          args incl. our
//                                                          signature)
//   40004 ACQ.TRADE_NOT_EXIST   query       kOk, kNotPay  B.3: a precreate /
//                                                          page / wap trade
//                                                          exists only once
//                                                          the buyer opens it
//                               close       kOk           nothing to close
//                                                          yet (see below)
//                               cancel      kOk, kClosed  same
//                               refund      kNotPaid      nothing was paid
//                               refund qry  kNotFound     no such trade
//   40004 ACQ.TRADE_HAS_SUCCESS             kAlreadyPaid  B.5
//   40004 ACQ.TRADE_STATUS_ERROR close      kAlreadyPaid  paid trades cannot
//                                                          be closed (B.5,
//                                                          uncertain item 5)
//                               refund      kNotPaid      unpaid/closed trade
//   40004 ACQ.TRADE_HAS_CLOSE   close       kOk           already closed
//                               refund      kNotPaid      closed unpaid
//   other 40004 sub_codes                   kRejected     business refusal
//   any other code                          kUnavailable  unknown: do not guess
//
// Close of a trade Alipay has not created yet (TRADE_NOT_EXIST) is kOk: there
// is nothing Alipay could close, and the core confirms with its fast query
// ladder; the QR code itself dies at the precreate's time_expire, which the
// builder always sends so that a late scan cannot pay a closed attempt.
//
// Threads and ownership: pure functions, any thread.
//
// Failure modes: builders ONCEPAY_CHECK their inputs (a bad out_trade_no or
// a negative amount is a programmer error upstream); readers return
// kUnavailable with a detail for anything they cannot read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/alipay/alipay_response.hpp"
#include "core/channel_call.hpp"

namespace oncepay::channels::alipay {

inline constexpr std::string_view kMethodPrecreate = "alipay.trade.precreate";
inline constexpr std::string_view kMethodPagePay = "alipay.trade.page.pay";
inline constexpr std::string_view kMethodWapPay = "alipay.trade.wap.pay";
inline constexpr std::string_view kMethodQuery = "alipay.trade.query";
inline constexpr std::string_view kMethodClose = "alipay.trade.close";
inline constexpr std::string_view kMethodCancel = "alipay.trade.cancel";
inline constexpr std::string_view kMethodRefund = "alipay.trade.refund";
inline constexpr std::string_view kMethodRefundQuery = "alipay.trade.fastpay.refund.query";

inline constexpr std::string_view kCodeSuccess = "10000";

// B.1: at most 64 characters, each a letter, digit or underscore; not empty.
// oncepay's payment_no ('P', 29 digits/lower-case hex) passes.
inline constexpr size_t kMaxOutTradeNo = 64;
bool is_valid_out_trade_no(std::string_view text);

// ---- biz_content (JSON text, keys in the order shown) --------------------

// precreate / page.pay / wap.pay: {"out_trade_no","total_amount","subject",
// "time_expire"[,"product_code"]}. time_expire is "yyyy-MM-dd HH:mm:ss" GMT+8
// (format_timestamp). product_code: "" for precreate, FAST_INSTANT_TRADE_PAY
// for page.pay, QUICK_WAP_WAY for wap.pay (B.2).
struct PayOrder {
  std::string out_trade_no;
  int64_t amount_fen = 0;  // > 0
  std::string subject;
  int64_t expire_unix_ms = 0;
  std::string product_code;
};
std::string pay_biz_content(const PayOrder& order);

// query / close / cancel: {"out_trade_no":...}.
std::string trade_biz_content(std::string_view out_trade_no);

// refund: {"out_trade_no","refund_amount","out_request_no"}; out_request_no is
// oncepay's refund_no (B.2: unique per trade, makes repeats idempotent).
std::string refund_biz_content(std::string_view out_trade_no, int64_t refund_fen,
                               std::string_view refund_no);

// fastpay.refund.query: {"out_trade_no","out_request_no"}.
std::string refund_query_biz_content(std::string_view out_trade_no, std::string_view refund_no);

// ---- reading responses ----------------------------------------------------

// The common part of a `_response` object.
struct ResponseCommon {
  std::string code;
  std::string msg;
  std::string sub_code;
  std::string sub_msg;
};

// Reads the verified response (verify_response) of `method` into a
// ChannelReply, per the table above. `method` is one of the six server calls
// (precreate, query, close, cancel, refund, fastpay.refund.query; anything
// else is a programmer error, ONCEPAY_CHECK): page/wap pay have no response. `verified.verdict`
// other than kOk gives kUnavailable. Per method, on 10000:
//  precreate: kOk, pay_url = qr_code (kUnavailable if absent);
//  query: kOk, state from trade_status (WAIT_BUYER_PAY kNotPay,
//    TRADE_SUCCESS/FINISHED kSuccess, TRADE_CLOSED kClosed, or kRefund when
//    the trade shows a payment: send_pay_date present), channel_trade_no,
//    paid_amount_minor (total_amount) and paid_currency "CNY" when paid;
//  close: kOk; cancel: kOk with state kClosed (action close) or kRefund
//    (action refund), retry_flag Y -> kUnavailable;
//  refund: fund_change Y -> kOk; N or absent -> kUnavailable (Alipay's rule:
//    confirm with fastpay.refund.query);
//  refund query: refund_status REFUND_SUCCESS -> kOk; absent -> kNotFound
//    (the refund request is unknown: safe to send again with the same
//    out_request_no); other values -> kUnavailable.
core::ChannelReply read_reply(std::string_view method, const SignedResponse& verified);

// The code table alone (for the adapter's logs and tests): kOk for 10000,
// otherwise the generic column of the table (method-specific 40004 rows need
// read_reply).
core::ChannelOutcome outcome_for_code(std::string_view code, std::string_view sub_code);

// Reads code/msg/sub_code/sub_msg of a `_response` object text.
std::optional<ResponseCommon> read_common(std::string_view content);

// ---- simulator side -------------------------------------------------------

// The top-level fields of a JSON object's text (a biz_content, or a
// `_response` object for read_reply) as strings (member_text); nullopt when
// it is not a JSON object or has a key twice.
std::optional<Params> read_biz_content(std::string_view biz_content);

// A `_response` object's text: {"code":..,"msg":..[,"sub_code":..,
// "sub_msg":..], then `fields` in order}, every value a JSON string.
std::string response_content(const ResponseCommon& common,
                             const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace oncepay::channels::alipay
