#include "channels/wechatpay/notification.hpp"

#include <boost/json.hpp>

#include "channels/wechatpay/aead.hpp"
#include "channels/wechatpay/json_fields.hpp"
#include "core/check.hpp"

namespace oncepay::channels::wechatpay {
namespace {

namespace json = boost::json;
using json_fields::first;
using json_fields::read_object;
using json_fields::read_optional_string;
using json_fields::read_string;

json::string_view js(std::string_view s) { return json::string_view(s.data(), s.size()); }

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Error transaction_notice(const Notification& n, core::ChannelNotice* out) {
  const Transaction& t = n.transaction;
  if (n.envelope.event_type != "TRANSACTION.SUCCESS" || t.trade_state != "SUCCESS" ||
      !t.has_amount) {
    return Error::kUnknownEvent;
  }
  core::ChannelNotice notice;
  notice.kind = core::ChannelNotice::Kind::kSuccess;
  notice.payment_no = t.out_trade_no;
  notice.channel_trade_no = t.transaction_id;
  notice.amount_minor = t.total_fen;
  notice.currency = t.currency;
  *out = std::move(notice);
  return Error::kOk;
}

Error refund_notice(const Notification& n, core::ChannelNotice* out) {
  const Refund& r = n.refund;
  const std::string_view event = n.envelope.event_type;
  core::ChannelNotice notice;
  if (event == "REFUND.SUCCESS" && r.status == "SUCCESS") {
    notice.kind = core::ChannelNotice::Kind::kRefundSuccess;
  } else if ((event == "REFUND.ABNORMAL" && r.status == "ABNORMAL") ||
             (event == "REFUND.CLOSED" && r.status == "CLOSED")) {
    notice.kind = core::ChannelNotice::Kind::kRefundFailed;
  } else {
    return Error::kUnknownEvent;
  }
  notice.payment_no = r.out_trade_no;
  notice.channel_trade_no = r.transaction_id;
  notice.amount_minor = r.refund_fen;
  notice.currency = r.currency;
  notice.refund_no = r.out_refund_no;
  *out = std::move(notice);
  return Error::kOk;
}

bool is_signature_error(Error e) {
  return e == Error::kMissingHeader || e == Error::kMalformedHeader || e == Error::kUnknownSerial ||
         e == Error::kBadSignature || e == Error::kStale || e == Error::kUnsigned;
}

}  // namespace

Error parse_envelope(std::string_view body, Envelope* out) {
  json::value v;
  if (Error e = json_fields::parse_object(body, &v); e != Error::kOk) return e;
  const json::object& o = v.get_object();
  Envelope env;
  const json::object* resource = nullptr;
  Error e = first({read_string(o, "id", &env.id), read_string(o, "event_type", &env.event_type),
                   read_optional_string(o, "create_time", &env.create_time),
                   read_optional_string(o, "resource_type", &env.resource_type),
                   read_optional_string(o, "summary", &env.summary),
                   read_object(o, "resource", &resource)});
  if (e != Error::kOk) return e;
  Resource& r = env.resource;
  e = first({read_string(*resource, "algorithm", &r.algorithm),
             read_string(*resource, "ciphertext", &r.ciphertext),
             read_string(*resource, "nonce", &r.nonce),
             read_optional_string(*resource, "associated_data", &r.associated_data),
             read_optional_string(*resource, "original_type", &r.original_type)});
  if (e != Error::kOk) return e;
  *out = std::move(env);
  return Error::kOk;
}

Error decrypt_resource(const Resource& resource, std::string_view apiv3_key,
                       std::string* plaintext) {
  if (resource.algorithm != kAeadAlgorithm) return Error::kUnsupportedAlgorithm;
  return aead_decrypt(apiv3_key, resource.nonce, resource.associated_data, resource.ciphertext,
                      plaintext);
}

Error parse_resource(std::string_view event_type, std::string_view plaintext, Notification* out) {
  if (starts_with(event_type, "TRANSACTION.")) {
    out->kind = Notification::Kind::kTransaction;
    return parse_transaction(plaintext, &out->transaction);
  }
  if (starts_with(event_type, "REFUND.")) {
    out->kind = Notification::Kind::kRefund;
    return parse_refund(plaintext, RefundStatusField::kRefundStatus, &out->refund);
  }
  out->kind = Notification::Kind::kOther;
  return Error::kOk;
}

Error decode_notification(const SignedHeaders& headers, std::string_view body,
                          const PlatformKeys& keys, std::string_view apiv3_key, int64_t now_unix,
                          Notification* out) {
  if (Error e = verify_signed(headers, body, keys, now_unix); e != Error::kOk) return e;
  Notification n;
  if (Error e = parse_envelope(body, &n.envelope); e != Error::kOk) return e;
  if (Error e = decrypt_resource(n.envelope.resource, apiv3_key, &n.plaintext); e != Error::kOk) {
    return e;
  }
  if (Error e = parse_resource(n.envelope.event_type, n.plaintext, &n); e != Error::kOk) return e;
  *out = std::move(n);
  return Error::kOk;
}

Error to_channel_notice(const Notification& notification, core::ChannelNotice* out) {
  switch (notification.kind) {
    case Notification::Kind::kTransaction:
      return transaction_notice(notification, out);
    case Notification::Kind::kRefund:
      return refund_notice(notification, out);
    case Notification::Kind::kOther:
      break;
  }
  return Error::kUnknownEvent;
}

NotifyAnswer notify_success_answer() { return NotifyAnswer{204, ""}; }

NotifyAnswer notify_failure_answer(int32_t http_status, std::string_view message) {
  ONCEPAY_CHECK(http_status >= 400 && http_status <= 599);
  return NotifyAnswer{http_status, error_body("FAIL", message)};
}

NotifyAnswer notify_answer_for(Error error) {
  ONCEPAY_CHECK(error != Error::kOk);
  int32_t status = 400;
  if (is_signature_error(error)) status = 401;
  if (error == Error::kCryptoFailure) status = 500;
  return notify_failure_answer(status, to_string(error));
}

bool notify_acknowledged(int32_t http_status) { return http_status == 200 || http_status == 204; }

Error encode_notification(const NotificationSpec& spec, std::string_view apiv3_key,
                          std::string* body) {
  std::string ciphertext;
  const Error e =
      aead_encrypt(apiv3_key, spec.nonce, spec.associated_data, spec.plaintext, &ciphertext);
  if (e != Error::kOk) return e;
  json::object resource;
  resource["original_type"] = js(spec.original_type);
  resource["algorithm"] = js(kAeadAlgorithm);
  resource["ciphertext"] = ciphertext;
  resource["associated_data"] = js(spec.associated_data);
  resource["nonce"] = js(spec.nonce);
  json::object o;
  o["id"] = js(spec.id);
  o["create_time"] = js(spec.create_time);
  o["resource_type"] = "encrypt-resource";
  o["event_type"] = js(spec.event_type);
  o["summary"] = js(spec.summary);
  o["resource"] = std::move(resource);
  *body = json::serialize(o);
  return Error::kOk;
}

}  // namespace oncepay::channels::wechatpay
