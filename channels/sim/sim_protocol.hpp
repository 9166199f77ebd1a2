// The wire format of the channel API of `oncepay-channel-sim`, the HTTP
// channel simulator (docs/CHANNEL_SIM.md), and the glue between the engine's
// channel interface (core::ChannelCall / ChannelReply) and the wallet model
// (channels::ChannelModel) that both the simulator and the built-in sandbox
// run.
//
// Both ends use this file: the engine's `sim` adapter (actors/sim_channel)
// encodes calls and decodes answers; the simulator (apps/sim_server) decodes
// calls, runs them against its model with apply_call and encodes the answers.
// Round trip: to_reply(call.op, decode_answer(encode_answer(apply_call(...))))
// equals to_reply(call.op, apply_call(...)), which is what the in-process
// sandbox answers; so the engine sees the same outcomes from both.
//
// Wire summary (details and examples in docs/CHANNEL_SIM.md):
//   POST /channel/v1/payments/{payment_no}/{prepay|query|close|reverse|refund}
//   request body: prepay {amount, currency, subject} (v1::PayRequest, channel
//   and notify_url left empty) plus "merchant_id" when the call names one
//   (whose payment it is: the simulator's per-merchant statements; a prepay
//   without it is still taken and belongs to no merchant); refund {refund_no, amount}
//   (v1::RefundRequest); the others empty. Answer 200: prepay v1::Prepay; the others the payment's
//   record after the call (v1::ChannelPaymentView); a close of a paid payment
//   answers 200 with its SUCCESS/REFUND record (that is the ALREADY_PAID
//   outcome, and carries the channel_trade_no). Refusals: the API.md error
//   shape with one of the codes of wire_code().
//   Requests carry `X-Channel-Signature` over "<METHOD> <path>\n<body>";
//   answers carry it over "<status> <path>\n<body>" (path of the request), so
//   a signed query cannot be replayed as a close, nor an answer as another
//   answer or as a notification.
//
// JSON: Protobuf's canonical JSON mapping with the .proto field names; it
// prints 64-bit integers as strings ("amount":"1999"); readers accept strings
// and numbers. Unknown fields are rejected.
//
// Contract: pure functions (no I/O, no clock, no shared state), callable from
// any thread, except apply_call, which mutates the model it is given (the
// model's owner serializes it). Expected failures are return values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/sim/channel_model.hpp"
#include "core/channel_call.hpp"
#include "core/signature.hpp"
#include "oncepay.pb.h"

namespace oncepay::channels::sim {

// Every channel API route starts with this; then "{payment_no}/{op}".
inline constexpr std::string_view kPaymentsPath = "/channel/v1/payments/";
// Header of request, answer and notification signatures (lower case, as
// http::HttpRequest::header() looks names up).
inline constexpr std::string_view kSignatureHeader = "x-channel-signature";
// A prepay's merchant_id longer than this is refused (400).
inline constexpr size_t kMaxMerchantIdBytes = 64;
// GET kStatementsPath + "{yyyy-MM-dd}" (every merchant's trades, 商户号 the
// simulator's --merchant-id) or + "{yyyy-MM-dd}/{merchant_id}" (that
// merchant's, 商户号 = merchant_id, percent-encoded in the path): the day's
// statement in WeChat's ALL layout, signed like every answer. A day after
// the simulator's current business day (UTC+8) answers 404 with code
// kStatementNotReadyCode.
inline constexpr std::string_view kStatementsPath = "/channel/v1/statements/";
inline constexpr std::string_view kStatementNotReadyCode = "statement_not_ready";
// Request and answer bodies above this are refused (400 / undecodable).
inline constexpr size_t kMaxBodyBytes = 16 * 1024;

// One engine call as HTTP: always POST, to `path` under the simulator's base URL.
struct WireRequest {
  std::string method = "POST";
  std::string path;
  std::string body;
};

// One answer as HTTP. The body is JSON.
struct WireResponse {
  int status = 200;
  std::string body;
};

// What the model answered to one call, in the model's vocabulary.
struct CallAnswer {
  CallOutcome outcome = CallOutcome::kOk;
  std::string prepay_id;  // prepay, kOk
  std::string pay_url;    // prepay, kOk
  // query / close / reverse / refund with kOk, and close with kAlreadyPaid:
  // the payment's record after the call.
  std::optional<v1::ChannelPaymentView> record;
};

// ------------------------------------------------------------- engine side

// The request for `call` (its payment_no is percent-encoded into the path).
WireRequest encode_call(const core::ChannelCall& call);

// The path of the statement of `merchant_id` for `date` (percent-encoded).
std::string statement_path(std::string_view date, std::string_view merchant_id);
// Simulator side: the date and merchant_id (decoded; "" for the old form
// without one) of a statement path; false when it is not one.
bool parse_statement_path(std::string_view path, std::string* date, std::string* merchant_id);

// Reads the simulator's answer to `call`. False with *error (may be null)
// when the answer is not one the protocol allows: an unknown status or error
// code, malformed JSON, or a record for another payment_no. The caller treats
// that as an unknown outcome.
bool decode_answer(const core::ChannelCall& call, int status, std::string_view body,
                   CallAnswer* answer, std::string* error);

// ------------------------------------------------------- simulator side

// The call a request asks for. On false, *status is the HTTP status to answer
// (404 unknown route, 405 not POST, 400 bad body) and *error says why.
// `channel` is copied into call->channel.
bool decode_call(std::string_view method, std::string_view path, std::string_view body,
                 std::string_view channel, core::ChannelCall* call, int* status,
                 std::string* error);

// Runs `call` against the model (mutating it; the caller drains the outbox).
CallAnswer apply_call(ChannelModel& model, const core::ChannelCall& call, int64_t now_ms);

// The answer as HTTP (status and JSON body).
WireResponse encode_answer(core::ChannelOp op, const CallAnswer& answer);

// ------------------------------------------------------- both / sandbox

// The model's answer in the core's vocabulary: what the engine's channel
// actor replies. The built-in sandbox can answer with
// to_reply(call.op, apply_call(model, call, now)).
core::ChannelReply to_reply(core::ChannelOp op, const CallAnswer& answer);

// The mapping the sandbox uses: a lost answer (kUnavailable, kTimeout) is
// kUnavailable; refusals the core does not tell apart (kClosed, kExceeds,
// kRejected) are kRejected.
core::ChannelOutcome to_core(CallOutcome outcome);
core::ChannelPayState to_core(PayState state);
// STATUS_UNSPECIFIED (never sent) reads as kNotPay.
core::ChannelPayState to_core(v1::ChannelPaymentView::Status status);

// The error code of a refusal on the wire ("payment_not_found", "unavailable",
// "timeout", "already_paid", "closed", "not_paid", "exceeds", "rejected";
// kOk: "ok") and its HTTP status (404, 503, 504, 409, 409, 409, 409, 400; 200).
std::string_view wire_code(CallOutcome outcome);
int wire_status(CallOutcome outcome);
// The inverse of wire_code for refusals; false for "ok" and unknown codes.
bool outcome_from_wire_code(std::string_view code, CallOutcome* outcome);

// The API.md error body {"error": {"code", "message"}} in this wire's JSON.
std::string error_body(std::string_view code, std::string_view message);

// ---------------------------------------------------------------- signing

// "<METHOD> <path>\n<body>".
std::string request_signing_payload(std::string_view method, std::string_view path,
                                    std::string_view body);
// "<status> <path>\n<body>", path being the request's.
std::string response_signing_payload(int status, std::string_view path, std::string_view body);

// X-Channel-Signature values (core/signature.hpp format) over the payloads above.
std::string sign_request(std::string_view secret, int64_t unix_seconds, std::string_view method,
                         std::string_view path, std::string_view body);
core::SignatureCheck verify_request(std::string_view secret, std::string_view header,
                                    std::string_view method, std::string_view path,
                                    std::string_view body, int64_t now_unix_seconds,
                                    int64_t tolerance_seconds = core::kSignatureToleranceSeconds);
std::string sign_response(std::string_view secret, int64_t unix_seconds, int status,
                          std::string_view path, std::string_view body);
core::SignatureCheck verify_response(std::string_view secret, std::string_view header, int status,
                                     std::string_view path, std::string_view body,
                                     int64_t now_unix_seconds,
                                     int64_t tolerance_seconds = core::kSignatureToleranceSeconds);

// Protobuf canonical JSON with .proto field names and defaults printed.
std::string to_wire_json(const google::protobuf::Message& message);
// Parses a JSON object into *out (cleared first); unknown fields rejected.
bool from_wire_json(std::string_view json, google::protobuf::Message* out, std::string* error);

}  // namespace oncepay::channels::sim
