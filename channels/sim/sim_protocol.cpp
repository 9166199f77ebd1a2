#include "channels/sim/sim_protocol.hpp"

#include <google/protobuf/util/json_util.h>

#include <array>
#include <boost/json.hpp>

namespace oncepay::channels::sim {

namespace {

struct OpName {
  core::ChannelOp op;
  std::string_view name;
};

constexpr std::array<OpName, 5> kOps = {{{core::ChannelOp::kPrepay, "prepay"},
                                         {core::ChannelOp::kQuery, "query"},
                                         {core::ChannelOp::kClose, "close"},
                                         {core::ChannelOp::kReverse, "reverse"},
                                         {core::ChannelOp::kRefund, "refund"}}};

std::string_view op_path_name(core::ChannelOp op) {
  for (const auto& o : kOps) {
    if (o.op == op) return o.name;
  }
  return "query";
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

bool is_paid(v1::ChannelPaymentView::Status s) {
  return s == v1::ChannelPaymentView::SUCCESS || s == v1::ChannelPaymentView::REFUND;
}

struct WireCode {
  CallOutcome outcome;
  std::string_view code;
  int status;
};

constexpr std::array<WireCode, 9> kCodes = {{
    {CallOutcome::kOk, "ok", 200},
    {CallOutcome::kNotFound, "payment_not_found", 404},
    {CallOutcome::kUnavailable, "unavailable", 503},
    {CallOutcome::kTimeout, "timeout", 504},
    {CallOutcome::kAlreadyPaid, "already_paid", 409},
    {CallOutcome::kClosed, "closed", 409},
    {CallOutcome::kNotPaid, "not_paid", 409},
    {CallOutcome::kExceeds, "exceeds", 409},
    {CallOutcome::kRejected, "rejected", 400},
}};

}  // namespace

// ------------------------------------------------------------------- JSON

std::string to_wire_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  // Printing a well-formed message cannot fail.
  if (!status.ok()) return "{}";
  return out;
}

bool from_wire_json(std::string_view json, google::protobuf::Message* out, std::string* error) {
  out->Clear();
  if (json.size() > kMaxBodyBytes) {
    set_error(error,
              std::string("body exceeds ").append(std::to_string(kMaxBodyBytes)).append(" bytes"));
    return false;
  }
  auto first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{') {
    set_error(error, "the body must be a JSON object");
    return false;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), out, options);
  if (!status.ok()) {
    set_error(error, std::string(status.message()));
    return false;
  }
  return true;
}

std::string error_body(std::string_view code, std::string_view message) {
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(code));
  body.mutable_error()->set_message(std::string(message));
  // Optional fields of ErrorDetail stay unset: only code and message print.
  return to_wire_json(body);
}

namespace {

// The prepay body is v1::PayRequest plus "merchant_id" (whose payment it is,
// for the per-merchant statements) when the call names one.
std::string with_merchant_id(std::string json, std::string_view merchant_id) {
  if (merchant_id.empty()) return json;
  boost::json::value v = boost::json::parse(json);
  v.as_object()["merchant_id"] = boost::json::string_view(merchant_id.data(), merchant_id.size());
  return boost::json::serialize(v);
}

// The reverse: *rest is the body without "merchant_id" (absent: "" and the
// body as it came, so requests without it keep working).
bool take_merchant_id(std::string_view body, std::string* rest, std::string* merchant_id,
                      std::string* error) {
  merchant_id->clear();
  *rest = std::string(body);
  if (body.find("merchant_id") == std::string_view::npos) return true;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return true;  // from_wire_json says what is wrong
  auto& o = v.as_object();
  auto* m = o.if_contains("merchant_id");
  if (m == nullptr) return true;
  if (!m->is_string() || m->get_string().empty() || m->get_string().size() > kMaxMerchantIdBytes) {
    set_error(error, "merchant_id must be a string of 1-64 bytes");
    return false;
  }
  *merchant_id = std::string(m->get_string());
  o.erase("merchant_id");
  *rest = boost::json::serialize(v);
  return true;
}

}  // namespace

// ------------------------------------------------------------ engine side

WireRequest encode_call(const core::ChannelCall& call) {
  WireRequest request;
  request.path = std::string(kPaymentsPath);
  request.path += percent_encode(call.payment_no);
  request.path += '/';
  request.path += op_path_name(call.op);
  switch (call.op) {
    case core::ChannelOp::kPrepay: {
      v1::PayRequest body;
      body.set_amount(call.amount_minor);
      body.set_currency(call.currency);
      body.set_subject(call.subject);
      request.body = with_merchant_id(to_wire_json(body), call.merchant_id);
      break;
    }
    case core::ChannelOp::kRefund: {
      v1::RefundRequest body;
      body.set_refund_no(call.refund_no);
      body.set_amount(call.amount_minor);
      request.body = to_wire_json(body);
      break;
    }
    case core::ChannelOp::kQuery:
    case core::ChannelOp::kClose:
    case core::ChannelOp::kReverse:
      break;  // empty body: everything is in the path
  }
  return request;
}

std::string statement_path(std::string_view date, std::string_view merchant_id) {
  std::string path(kStatementsPath);
  path.append(date);
  if (!merchant_id.empty()) path.append("/").append(percent_encode(merchant_id));
  return path;
}

bool parse_statement_path(std::string_view path, std::string* date, std::string* merchant_id) {
  if (path.substr(0, kStatementsPath.size()) != kStatementsPath) return false;
  std::string_view rest = path.substr(kStatementsPath.size());
  const size_t slash = rest.find('/');
  *date = std::string(rest.substr(0, slash));
  merchant_id->clear();
  if (slash == std::string_view::npos) return true;
  const std::string_view segment = rest.substr(slash + 1);
  return segment.find('/') == std::string_view::npos && percent_decode(segment, merchant_id) &&
         !merchant_id->empty() && merchant_id->size() <= kMaxMerchantIdBytes;
}

bool decode_answer(const core::ChannelCall& call, int status, std::string_view body,
                   CallAnswer* answer, std::string* error) {
  *answer = CallAnswer{};
  if (status == 200) {
    if (call.op == core::ChannelOp::kPrepay) {
      v1::Prepay prepay;
      if (!from_wire_json(body, &prepay, error)) return false;
      if (prepay.prepay_id().empty()) {
        set_error(error, "prepay answer without prepay_id");
        return false;
      }
      answer->prepay_id = prepay.prepay_id();
      answer->pay_url = prepay.pay_url();
      return true;
    }
    v1::ChannelPaymentView record;
    if (!from_wire_json(body, &record, error)) return false;
    if (record.payment_no() != call.payment_no) {
      set_error(error, "answer for another payment_no: " + record.payment_no());
      return false;
    }
    if (call.op == core::ChannelOp::kClose && is_paid(record.status())) {
      answer->outcome = CallOutcome::kAlreadyPaid;
    }
    answer->record = std::move(record);
    return true;
  }
  v1::ErrorResponse refusal;
  if (!from_wire_json(body, &refusal, error)) {
    if (error != nullptr)
      *error = std::string("HTTP ").append(std::to_string(status)).append(": ").append(*error);
    return false;
  }
  CallOutcome outcome;
  if (!outcome_from_wire_code(refusal.error().code(), &outcome) || wire_status(outcome) != status) {
    set_error(error, std::string("HTTP ")
                         .append(std::to_string(status))
                         .append(" ")
                         .append(refusal.error().code())
                         .append(": ")
                         .append(refusal.error().message()));
    return false;
  }
  answer->outcome = outcome;
  return true;
}

// --------------------------------------------------------- simulator side

bool decode_call(std::string_view method, std::string_view path, std::string_view body,
                 std::string_view channel, core::ChannelCall* call, int* status,
                 std::string* error) {
  *call = core::ChannelCall{};
  call->channel = std::string(channel);
  if (path.substr(0, kPaymentsPath.size()) != kPaymentsPath) {
    *status = 404;
    set_error(error, "no such route");
    return false;
  }
  std::string_view rest = path.substr(kPaymentsPath.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    *status = 404;
    set_error(error, "no such route");
    return false;
  }
  std::string_view op_name = rest.substr(slash + 1);
  const OpName* op = nullptr;
  for (const auto& o : kOps) {
    if (o.name == op_name) op = &o;
  }
  if (op == nullptr) {
    *status = 404;
    set_error(error, "no such route");
    return false;
  }
  if (method != "POST") {
    *status = 405;
    set_error(error, "method not allowed; use POST");
    return false;
  }
  *status = 400;
  if (!percent_decode(rest.substr(0, slash), &call->payment_no) || call->payment_no.empty()) {
    set_error(error, "invalid payment_no in the path");
    return false;
  }
  call->op = op->op;
  switch (op->op) {
    case core::ChannelOp::kPrepay: {
      v1::PayRequest request;
      std::string pay_json;
      if (!take_merchant_id(body, &pay_json, &call->merchant_id, error)) return false;
      if (!from_wire_json(pay_json, &request, error)) return false;
      if (!request.channel().empty() || !request.notify_url().empty()) {
        set_error(error, "channel and notify_url are not part of a prepay");
        return false;
      }
      call->amount_minor = request.amount();
      call->currency = request.currency();
      call->subject = request.subject();
      return true;
    }
    case core::ChannelOp::kRefund: {
      v1::RefundRequest request;
      if (!from_wire_json(body, &request, error)) return false;
      call->refund_no = request.refund_no();
      call->amount_minor = request.amount();
      return true;
    }
    case core::ChannelOp::kQuery:
    case core::ChannelOp::kClose:
    case core::ChannelOp::kReverse:
      if (!blank(body)) {
        v1::CloseRequest empty;  // accepts "{}" and nothing else
        if (!from_wire_json(body, &empty, error)) return false;
      }
      return true;
  }
  return false;
}

CallAnswer apply_call(ChannelModel& model, const core::ChannelCall& call, int64_t now_ms) {
  CallAnswer answer;
  auto record = [&] {
    auto payment = model.get(call.payment_no);
    if (payment) answer.record = model.view(*payment);
  };
  switch (call.op) {
    case core::ChannelOp::kPrepay: {
      auto r = model.prepay(call.payment_no, call.amount_minor, call.currency, call.subject, now_ms,
                            call.merchant_id);
      answer.outcome = r.outcome;
      answer.prepay_id = r.prepay_id;
      answer.pay_url = r.pay_url;
      return answer;
    }
    case core::ChannelOp::kQuery:
      answer.outcome = model.query(call.payment_no).outcome;
      break;
    case core::ChannelOp::kClose:
      answer.outcome = model.close(call.payment_no, now_ms).outcome;
      break;
    case core::ChannelOp::kReverse:
      answer.outcome = model.reverse(call.payment_no, now_ms).outcome;
      break;
    case core::ChannelOp::kRefund:
      answer.outcome =
          model.refund(call.payment_no, call.refund_no, call.amount_minor, now_ms).outcome;
      break;
  }
  if (answer.outcome == CallOutcome::kOk ||
      (call.op == core::ChannelOp::kClose && answer.outcome == CallOutcome::kAlreadyPaid)) {
    record();
  }
  return answer;
}

WireResponse encode_answer(core::ChannelOp op, const CallAnswer& answer) {
  WireResponse response;
  const bool paid_close = op == core::ChannelOp::kClose &&
                          answer.outcome == CallOutcome::kAlreadyPaid && answer.record.has_value();
  if (answer.outcome == CallOutcome::kOk || paid_close) {
    response.status = 200;
    if (op == core::ChannelOp::kPrepay) {
      v1::Prepay prepay;
      prepay.set_prepay_id(answer.prepay_id);
      prepay.set_pay_url(answer.pay_url);
      response.body = to_wire_json(prepay);
    } else {
      response.body = to_wire_json(answer.record.value_or(v1::ChannelPaymentView{}));
    }
    return response;
  }
  response.status = wire_status(answer.outcome);
  std::string message(to_string(answer.outcome));
  if (answer.outcome == CallOutcome::kTimeout) message = "the answer was lost (injected fault)";
  if (answer.outcome == CallOutcome::kUnavailable) message = "try again later (injected fault)";
  response.body = error_body(wire_code(answer.outcome), message);
  return response;
}

// ------------------------------------------------------ both / sandbox

core::ChannelReply to_reply(core::ChannelOp op, const CallAnswer& answer) {
  core::ChannelReply reply;
  reply.outcome = to_core(answer.outcome);
  switch (op) {
    case core::ChannelOp::kPrepay:
      reply.prepay_id = answer.prepay_id;
      reply.pay_url = answer.pay_url;
      if (answer.outcome == CallOutcome::kTimeout) reply.detail = "prepay timed out";
      break;
    case core::ChannelOp::kQuery:
    case core::ChannelOp::kClose:
    case core::ChannelOp::kReverse:
      if (answer.record) {
        if (op == core::ChannelOp::kQuery) reply.state = to_core(answer.record->status());
        reply.channel_trade_no = answer.record->channel_trade_no();
        reply.paid_amount_minor = answer.record->amount();
        reply.paid_currency = answer.record->currency();
      }
      break;
    case core::ChannelOp::kRefund:
      break;
  }
  if (reply.detail.empty() && reply.outcome != core::ChannelOutcome::kOk) {
    reply.detail = std::string(core::to_string(reply.outcome));
  }
  return reply;
}

core::ChannelOutcome to_core(CallOutcome outcome) {
  switch (outcome) {
    case CallOutcome::kOk:
      return core::ChannelOutcome::kOk;
    case CallOutcome::kNotFound:
      return core::ChannelOutcome::kNotFound;
    case CallOutcome::kUnavailable:
    case CallOutcome::kTimeout:
      return core::ChannelOutcome::kUnavailable;
    case CallOutcome::kAlreadyPaid:
      return core::ChannelOutcome::kAlreadyPaid;
    case CallOutcome::kNotPaid:
      return core::ChannelOutcome::kNotPaid;
    case CallOutcome::kClosed:
    case CallOutcome::kExceeds:
    case CallOutcome::kRejected:
      return core::ChannelOutcome::kRejected;
  }
  return core::ChannelOutcome::kRejected;
}

core::ChannelPayState to_core(PayState state) {
  switch (state) {
    case PayState::kNotPay:
      return core::ChannelPayState::kNotPay;
    case PayState::kSuccess:
      return core::ChannelPayState::kSuccess;
    case PayState::kClosed:
      return core::ChannelPayState::kClosed;
    case PayState::kRefund:
      return core::ChannelPayState::kRefund;
    case PayState::kPayError:
      return core::ChannelPayState::kPayError;
  }
  return core::ChannelPayState::kNotPay;
}

core::ChannelPayState to_core(v1::ChannelPaymentView::Status status) {
  switch (status) {
    case v1::ChannelPaymentView::SUCCESS:
      return core::ChannelPayState::kSuccess;
    case v1::ChannelPaymentView::CLOSED:
      return core::ChannelPayState::kClosed;
    case v1::ChannelPaymentView::REFUND:
      return core::ChannelPayState::kRefund;
    case v1::ChannelPaymentView::PAYERROR:
      return core::ChannelPayState::kPayError;
    default:
      return core::ChannelPayState::kNotPay;
  }
}

std::string_view wire_code(CallOutcome outcome) {
  for (const auto& c : kCodes) {
    if (c.outcome == outcome) return c.code;
  }
  return "rejected";
}

int wire_status(CallOutcome outcome) {
  for (const auto& c : kCodes) {
    if (c.outcome == outcome) return c.status;
  }
  return 400;
}

bool outcome_from_wire_code(std::string_view code, CallOutcome* outcome) {
  for (const auto& c : kCodes) {
    if (c.code == code && c.outcome != CallOutcome::kOk) {
      *outcome = c.outcome;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- signing

std::string request_signing_payload(std::string_view method, std::string_view path,
                                    std::string_view body) {
  std::string payload;
  payload.reserve(method.size() + path.size() + body.size() + 2);
  payload.append(method).append(" ").append(path).append("\n").append(body);
  return payload;
}

std::string response_signing_payload(int status, std::string_view path, std::string_view body) {
  std::string payload = std::to_string(status);
  payload.append(" ").append(path).append("\n").append(body);
  return payload;
}

std::string sign_request(std::string_view secret, int64_t unix_seconds, std::string_view method,
                         std::string_view path, std::string_view body) {
  return core::sign_header(secret, unix_seconds, request_signing_payload(method, path, body));
}

core::SignatureCheck verify_request(std::string_view secret, std::string_view header,
                                    std::string_view method, std::string_view path,
                                    std::string_view body, int64_t now_unix_seconds,
                                    int64_t tolerance_seconds) {
  return core::verify_header(secret, header, request_signing_payload(method, path, body),
                             now_unix_seconds, tolerance_seconds);
}

std::string sign_response(std::string_view secret, int64_t unix_seconds, int status,
                          std::string_view path, std::string_view body) {
  return core::sign_header(secret, unix_seconds, response_signing_payload(status, path, body));
}

core::SignatureCheck verify_response(std::string_view secret, std::string_view header, int status,
                                     std::string_view path, std::string_view body,
                                     int64_t now_unix_seconds, int64_t tolerance_seconds) {
  return core::verify_header(secret, header, response_signing_payload(status, path, body),
                             now_unix_seconds, tolerance_seconds);
}

}  // namespace oncepay::channels::sim
