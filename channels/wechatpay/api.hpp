// The JSON bodies and URLs of the WeChat Pay APIv3 calls oncepay makes
// (direct merchant, host api.mch.weixin.qq.com): NATIVE and JSAPI prepay,
// query by out_trade_no, close, refund and refund query, and the error body.
// Both sides where it is cheap: the engine builds requests and parses
// responses; the channel simulator parses requests and builds responses.
// What an answer means to the core (ChannelReply) is replies.hpp.
// docs/channels/PROTOCOLS.md A.1 (endpoints), A.2 (field rules), A.3
// (Transaction), A.4 (Refund), A.8 (error body).
//
// Units: every amount is int64 fen (the minor unit of CNY), written and
// read as a JSON integer, never a decimal string or a double (A.2). Times
// are passed through as the RFC 3339 text WeChat uses.
//
// Threads and ownership: pure functions over their arguments, callable from
// any thread.
//
// Failure modes: builders take values the caller has validated (an
// out_trade_no failing is_valid_out_trade_no, an amount < 1 is a programmer
// error: ONCEPAY_CHECK); parsers never trust their input and return
// kMalformedJson, kMissingField, kWrongType or kBadAmount (json_fields.hpp),
// and the simulator's request parsers kBadOutTradeNo for an out_trade_no
// outside A.2, with *out unspecified. URL parsers return false.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/wechatpay/error.hpp"

namespace oncepay::channels::wechatpay {

// ---------------------------------------------------------------- A.2 ids

inline constexpr size_t kMinOutTradeNoChars = 6;
inline constexpr size_t kMaxOutTradeNoChars = 32;
inline constexpr size_t kMaxOutRefundNoChars = 64;

// A.2: 6-32 characters of [0-9A-Za-z_-|*]. oncepay's payment_no (30
// characters of [A-Za-z0-9], docs/API.md "Ids") always passes.
bool is_valid_out_trade_no(std::string_view out_trade_no);
// A.2: 1-64 characters of [0-9A-Za-z_-|*@].
bool is_valid_out_refund_no(std::string_view out_refund_no);

// ---------------------------------------------------------------- A.1 URLs
// Canonical URLs (path + query, no host): what is sent and what is signed.

inline constexpr std::string_view kHost = "api.mch.weixin.qq.com";
inline constexpr std::string_view kNativePrepayPath = "/v3/pay/transactions/native";
inline constexpr std::string_view kJsapiPrepayPath = "/v3/pay/transactions/jsapi";
inline constexpr std::string_view kRefundPath = "/v3/refund/domestic/refunds";

// GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mchid}
// ('|' is written %7C; the other allowed characters need no escaping).
std::string query_url(std::string_view out_trade_no, std::string_view mchid);
// POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close
std::string close_url(std::string_view out_trade_no);
// GET /v3/refund/domestic/refunds/{out_refund_no} ('|' -> %7C, '@' -> %40)
std::string refund_query_url(std::string_view out_refund_no);

// Simulator side: the ids of a URL these functions build (true), for the
// route of a request. The id is percent-decoded (%7C, %40; other escapes
// are refused) and must pass is_valid_out_trade_no / is_valid_out_refund_no;
// the query string of query_url must be exactly "mchid=<digits>".
bool parse_query_url(std::string_view url, std::string* out_trade_no, std::string* mchid);
bool parse_close_url(std::string_view url, std::string* out_trade_no);
bool parse_refund_query_url(std::string_view url, std::string* out_refund_no);

// ---------------------------------------------------------------- prepay

struct PrepayRequest {
  std::string appid;
  std::string mchid;
  std::string description;   // <= 127 characters (A.1)
  std::string out_trade_no;  // oncepay's payment_no
  std::string time_expire;   // RFC 3339, optional ("" = absent)
  std::string attach;        // optional
  std::string notify_url;    // HTTPS, no query string (A.2)
  int64_t total_fen = 0;     // amount.total, >= 1
  std::string currency = "CNY";
  std::string payer_openid;  // JSAPI only: payer.openid ("" = NATIVE, no payer)
};

// The body of POST kNativePrepayPath (payer_openid empty) or kJsapiPrepayPath.
std::string prepay_body(const PrepayRequest& request);
// Simulator side. `payer` is required iff `jsapi`.
Error parse_prepay_request(std::string_view body, bool jsapi, PrepayRequest* out);

// NATIVE: 200 {"code_url":"weixin://wxpay/bizpayurl?pr=..."}
std::string native_prepay_response(std::string_view code_url);
Error parse_native_prepay_response(std::string_view body, std::string* code_url);
// JSAPI: 200 {"prepay_id":"wx..."}
std::string jsapi_prepay_response(std::string_view prepay_id);
Error parse_jsapi_prepay_response(std::string_view body, std::string* prepay_id);

// ---------------------------------------------------------------- A.3 Transaction

// A query answer, and the plaintext of a TRANSACTION.SUCCESS notification.
struct Transaction {
  std::string appid;
  std::string mchid;
  std::string out_trade_no;
  std::string transaction_id;  // "" before payment
  std::string trade_type;      // JSAPI, NATIVE, APP, MICROPAY, MWEB, FACEPAY
  std::string trade_state;     // NOTPAY ... PAYERROR (replies.hpp maps it)
  std::string trade_state_desc;
  std::string bank_type;
  std::string attach;
  std::string success_time;  // RFC 3339, "" before payment
  std::string payer_openid;
  // amount{total, payer_total, currency, payer_currency}. A NOTPAY answer may
  // carry no amount at all: has_amount false.
  bool has_amount = false;
  int64_t total_fen = 0;
  std::optional<int64_t> payer_total_fen;
  std::string currency;
  std::string payer_currency;
};

// Required: out_trade_no, trade_state (and amount.total when `amount` is
// present); every other field is optional.
Error parse_transaction(std::string_view json, Transaction* out);
// Simulator side: the JSON of `t` (absent fields left out).
std::string transaction_json(const Transaction& t);

// ---------------------------------------------------------------- close

// {"mchid":"..."}; the answer is 204 with an empty body.
std::string close_body(std::string_view mchid);
Error parse_close_request(std::string_view body, std::string* mchid);

// ---------------------------------------------------------------- A.4 refunds

struct RefundRequest {
  std::string out_trade_no;
  std::string out_refund_no;
  std::string reason;      // optional
  std::string notify_url;  // optional
  int64_t refund_fen = 0;  // amount.refund, >= 1
  int64_t total_fen = 0;   // amount.total: the original payment's amount, >= 1
  std::string currency = "CNY";
};

std::string refund_body(const RefundRequest& request);
Error parse_refund_request(std::string_view body, RefundRequest* out);

// A.4: the refund's state is `status` in create/query answers and
// `refund_status` in notifications.
enum class RefundStatusField : uint8_t { kStatus, kRefundStatus };

struct Refund {
  std::string refund_id;
  std::string out_refund_no;
  std::string transaction_id;
  std::string out_trade_no;
  std::string channel;  // ORIGINAL, BALANCE, OTHER_BALANCE, OTHER_BANKCARD
  std::string status;   // SUCCESS, CLOSED, PROCESSING, ABNORMAL
  std::string success_time;
  std::string create_time;
  std::string user_received_account;
  int64_t refund_fen = 0;  // amount.refund
  int64_t total_fen = 0;   // amount.total
  std::string currency;    // amount.currency ("" when absent: notifications omit it)
};

// Required: out_refund_no, out_trade_no, the status field, amount.refund and
// amount.total.
Error parse_refund(std::string_view json, RefundStatusField field, Refund* out);
std::string refund_json(const Refund& refund, RefundStatusField field);

// ---------------------------------------------------------------- A.8 errors

struct ApiError {
  std::string code;  // PARAM_ERROR, SIGN_ERROR, ORDER_NOT_EXIST, SYSTEM_ERROR, ...
  std::string message;
};

// {"code":"...","message":"...","detail":{...}?}: code required.
Error parse_error_body(std::string_view body, ApiError* out);
std::string error_body(std::string_view code, std::string_view message);

}  // namespace oncepay::channels::wechatpay
