#include "channels/wechatpay/api.hpp"

#include <boost/json.hpp>

#include "channels/wechatpay/json_fields.hpp"
#include "core/check.hpp"

namespace oncepay::channels::wechatpay {
namespace {

namespace json = boost::json;
using json_fields::first;
using json_fields::read_fen;
using json_fields::read_object;
using json_fields::read_optional_string;
using json_fields::read_string;

bool is_id_char(char c, std::string_view extra) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         extra.find(c) != std::string_view::npos;
}

bool all_id_chars(std::string_view s, std::string_view extra) {
  for (char c : s) {
    if (!is_id_char(c, extra)) return false;
  }
  return true;
}

// A path segment of an id already checked against A.2's alphabet.
std::string path_segment(std::string_view id) {
  std::string out;
  for (char c : id) {
    if (c == '|') {
      out += "%7C";
    } else if (c == '@') {
      out += "%40";
    } else {
      out += c;
    }
  }
  return out;
}

json::string_view js(std::string_view s) { return json::string_view(s.data(), s.size()); }

void put_optional(json::object& o, std::string_view key, std::string_view value) {
  if (!value.empty()) o[js(key)] = js(value);
}

Error parse(std::string_view body, json::value* v) { return json_fields::parse_object(body, v); }

}  // namespace

bool is_valid_out_trade_no(std::string_view out_trade_no) {
  return out_trade_no.size() >= kMinOutTradeNoChars && out_trade_no.size() <= kMaxOutTradeNoChars &&
         all_id_chars(out_trade_no, "_-|*");
}

bool is_valid_out_refund_no(std::string_view out_refund_no) {
  return !out_refund_no.empty() && out_refund_no.size() <= kMaxOutRefundNoChars &&
         all_id_chars(out_refund_no, "_-|*@");
}

std::string query_url(std::string_view out_trade_no, std::string_view mchid) {
  ONCEPAY_CHECK(is_valid_out_trade_no(out_trade_no));
  ONCEPAY_CHECK(all_id_chars(mchid, ""));
  return "/v3/pay/transactions/out-trade-no/" + path_segment(out_trade_no) +
         "?mchid=" + std::string(mchid);
}

std::string close_url(std::string_view out_trade_no) {
  ONCEPAY_CHECK(is_valid_out_trade_no(out_trade_no));
  return "/v3/pay/transactions/out-trade-no/" + path_segment(out_trade_no) + "/close";
}

std::string refund_query_url(std::string_view out_refund_no) {
  ONCEPAY_CHECK(is_valid_out_refund_no(out_refund_no));
  return std::string(kRefundPath) + "/" + path_segment(out_refund_no);
}

namespace {

constexpr std::string_view kOutTradeNoPrefix = "/v3/pay/transactions/out-trade-no/";

// The inverse of path_segment: %7C -> '|', %40 -> '@', any other '%' refused.
bool decode_segment(std::string_view segment, std::string* out) {
  out->clear();
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out->push_back(segment[i]);
      continue;
    }
    const std::string_view escape = segment.substr(i, 3);
    if (escape == "%7C" || escape == "%7c") {
      out->push_back('|');
    } else if (escape == "%40") {
      out->push_back('@');
    } else {
      return false;
    }
    i += 2;
  }
  return true;
}

bool strip_prefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

}  // namespace

bool parse_query_url(std::string_view url, std::string* out_trade_no, std::string* mchid) {
  if (!strip_prefix(&url, kOutTradeNoPrefix)) return false;
  const size_t question = url.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = url.substr(question + 1);
  if (!strip_prefix(&query, "mchid=") || query.empty() || !all_id_chars(query, "")) return false;
  for (char c : query) {
    if (c < '0' || c > '9') return false;
  }
  std::string id;
  if (!decode_segment(url.substr(0, question), &id) || !is_valid_out_trade_no(id)) return false;
  *out_trade_no = std::move(id);
  mchid->assign(query);
  return true;
}

bool parse_close_url(std::string_view url, std::string* out_trade_no) {
  constexpr std::string_view kSuffix = "/close";
  if (!strip_prefix(&url, kOutTradeNoPrefix) || url.size() <= kSuffix.size() ||
      url.substr(url.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  std::string id;
  if (!decode_segment(url.substr(0, url.size() - kSuffix.size()), &id) ||
      !is_valid_out_trade_no(id)) {
    return false;
  }
  *out_trade_no = std::move(id);
  return true;
}

bool parse_refund_query_url(std::string_view url, std::string* out_refund_no) {
  if (!strip_prefix(&url, kRefundPath) || !strip_prefix(&url, "/")) return false;
  std::string id;
  if (!decode_segment(url, &id) || !is_valid_out_refund_no(id)) return false;
  *out_refund_no = std::move(id);
  return true;
}

// ---------------------------------------------------------------- prepay

std::string prepay_body(const PrepayRequest& r) {
  ONCEPAY_CHECK(is_valid_out_trade_no(r.out_trade_no));
  ONCEPAY_CHECK(r.total_fen >= 1);
  json::object o;
  o["appid"] = js(r.appid);
  o["mchid"] = js(r.mchid);
  o["description"] = js(r.description);
  o["out_trade_no"] = js(r.out_trade_no);
  put_optional(o, "time_expire", r.time_expire);
  put_optional(o, "attach", r.attach);
  o["notify_url"] = js(r.notify_url);
  json::object amount;
  amount["total"] = r.total_fen;
  amount["currency"] = js(r.currency);
  o["amount"] = std::move(amount);
  if (!r.payer_openid.empty()) {
    json::object payer;
    payer["openid"] = js(r.payer_openid);
    o["payer"] = std::move(payer);
  }
  return json::serialize(o);
}

Error parse_prepay_request(std::string_view body, bool jsapi, PrepayRequest* out) {
  json::value v;
  if (Error e = parse(body, &v); e != Error::kOk) return e;
  const json::object& o = v.get_object();
  PrepayRequest r;
  const json::object* amount = nullptr;
  Error e = first({read_string(o, "appid", &r.appid), read_string(o, "mchid", &r.mchid),
                   read_string(o, "description", &r.description),
                   read_string(o, "out_trade_no", &r.out_trade_no),
                   read_optional_string(o, "time_expire", &r.time_expire),
                   read_optional_string(o, "attach", &r.attach),
                   read_string(o, "notify_url", &r.notify_url), read_object(o, "amount", &amount)});
  if (e != Error::kOk) return e;
  r.currency.clear();
  e = first({read_fen(*amount, "total", 1, &r.total_fen),
             read_optional_string(*amount, "currency", &r.currency)});
  if (e != Error::kOk) return e;
  if (r.currency.empty()) r.currency = "CNY";  // A.1: currency? defaults to CNY
  if (!is_valid_out_trade_no(r.out_trade_no)) return Error::kBadOutTradeNo;
  if (jsapi) {
    const json::object* payer = nullptr;
    e = first({read_object(o, "payer", &payer)});
    if (e != Error::kOk) return e;
    if ((e = read_string(*payer, "openid", &r.payer_openid)) != Error::kOk) return e;
  }
  *out = std::move(r);
  return Error::kOk;
}

std::string native_prepay_response(std::string_view code_url) {
  json::object o;
  o["code_url"] = js(code_url);
  return json::serialize(o);
}

Error parse_native_prepay_response(std::string_view body, std::string* code_url) {
  json::value v;
  if (Error e = parse(body, &v); e != Error::kOk) return e;
  return read_string(v.get_object(), "code_url", code_url);
}

std::string jsapi_prepay_response(std::string_view prepay_id) {
  json::object o;
  o["prepay_id"] = js(prepay_id);
  return json::serialize(o);
}

Error parse_jsapi_prepay_response(std::string_view body, std::string* prepay_id) {
  json::value v;
  if (Error e = parse(body, &v); e != Error::kOk) return e;
  return read_string(v.get_object(), "prepay_id", prepay_id);
}

// ---------------------------------------------------------------- transaction

namespace {

Error parse_transaction_amount(const json::object& amount, Transaction* t) {
  t->has_amount = true;
  int64_t payer_total = 0;
  Error payer = read_fen(amount, "payer_total", 0, &payer_total);
  if (payer == Error::kOk) t->payer_total_fen = payer_total;
  if (payer == Error::kMissingField) payer = Error::kOk;
  return first({read_fen(amount, "total", 0, &t->total_fen), payer,
                read_optional_string(amount, "currency", &t->currency),
                read_optional_string(amount, "payer_currency", &t->payer_currency)});
}

}  // namespace

Error parse_transaction(std::string_view text, Transaction* out) {
  json::value v;
  if (Error e = parse(text, &v); e != Error::kOk) return e;
  const json::object& o = v.get_object();
  Transaction t;
  const json::object* payer = nullptr;
  Error payer_error = read_object(o, "payer", &payer);
  if (payer_error == Error::kOk)
    payer_error = read_optional_string(*payer, "openid", &t.payer_openid);
  if (payer_error == Error::kMissingField) payer_error = Error::kOk;
  Error e =
      first({read_string(o, "out_trade_no", &t.out_trade_no),
             read_string(o, "trade_state", &t.trade_state),
             read_optional_string(o, "appid", &t.appid), read_optional_string(o, "mchid", &t.mchid),
             read_optional_string(o, "transaction_id", &t.transaction_id),
             read_optional_string(o, "trade_type", &t.trade_type),
             read_optional_string(o, "trade_state_desc", &t.trade_state_desc),
             read_optional_string(o, "bank_type", &t.bank_type),
             read_optional_string(o, "attach", &t.attach),
             read_optional_string(o, "success_time", &t.success_time), payer_error});
  if (e != Error::kOk) return e;
  // No amount at all is allowed (A.3 NOTPAY answers); an amount object must
  // be complete.
  const json::object* amount = nullptr;
  e = read_object(o, "amount", &amount);
  if (e == Error::kOk) e = parse_transaction_amount(*amount, &t);
  if (e != Error::kOk && !(e == Error::kMissingField && amount == nullptr)) return e;
  *out = std::move(t);
  return Error::kOk;
}

std::string transaction_json(const Transaction& t) {
  json::object o;
  put_optional(o, "appid", t.appid);
  put_optional(o, "mchid", t.mchid);
  o["out_trade_no"] = js(t.out_trade_no);
  put_optional(o, "transaction_id", t.transaction_id);
  put_optional(o, "trade_type", t.trade_type);
  o["trade_state"] = js(t.trade_state);
  put_optional(o, "trade_state_desc", t.trade_state_desc);
  put_optional(o, "bank_type", t.bank_type);
  put_optional(o, "attach", t.attach);
  put_optional(o, "success_time", t.success_time);
  if (!t.payer_openid.empty()) {
    json::object payer;
    payer["openid"] = js(t.payer_openid);
    o["payer"] = std::move(payer);
  }
  if (t.has_amount) {
    json::object amount;
    amount["total"] = t.total_fen;
    if (t.payer_total_fen) amount["payer_total"] = *t.payer_total_fen;
    put_optional(amount, "currency", t.currency);
    put_optional(amount, "payer_currency", t.payer_currency);
    o["amount"] = std::move(amount);
  }
  return json::serialize(o);
}

// ---------------------------------------------------------------- close

std::string close_body(std::string_view mchid) {
  json::object o;
  o["mchid"] = js(mchid);
  return json::serialize(o);
}

Error parse_close_request(std::string_view body, std::string* mchid) {
  json::value v;
  if (Error e = parse(body, &v); e != Error::kOk) return e;
  return read_string(v.get_object(), "mchid", mchid);
}

// ---------------------------------------------------------------- refunds

std::string refund_body(const RefundRequest& r) {
  ONCEPAY_CHECK(is_valid_out_trade_no(r.out_trade_no));
  ONCEPAY_CHECK(is_valid_out_refund_no(r.out_refund_no));
  ONCEPAY_CHECK(r.refund_fen >= 1 && r.total_fen >= 1);
  json::object o;
  o["out_trade_no"] = js(r.out_trade_no);
  o["out_refund_no"] = js(r.out_refund_no);
  put_optional(o, "reason", r.reason);
  put_optional(o, "notify_url", r.notify_url);
  json::object amount;
  amount["refund"] = r.refund_fen;
  amount["total"] = r.total_fen;
  amount["currency"] = js(r.currency);
  o["amount"] = std::move(amount);
  return json::serialize(o);
}

Error parse_refund_request(std::string_view body, RefundRequest* out) {
  json::value v;
  if (Error e = parse(body, &v); e != Error::kOk) return e;
  const json::object& o = v.get_object();
  RefundRequest r;
  const json::object* amount = nullptr;
  Error e = first({read_string(o, "out_trade_no", &r.out_trade_no),
                   read_string(o, "out_refund_no", &r.out_refund_no),
                   read_optional_string(o, "reason", &r.reason),
                   read_optional_string(o, "notify_url", &r.notify_url),
                   read_object(o, "amount", &amount)});
  if (e != Error::kOk) return e;
  e = first({read_fen(*amount, "refund", 1, &r.refund_fen),
             read_fen(*amount, "total", 1, &r.total_fen),
             read_string(*amount, "currency", &r.currency)});
  if (e != Error::kOk) return e;
  if (!is_valid_out_trade_no(r.out_trade_no)) return Error::kBadOutTradeNo;
  *out = std::move(r);
  return Error::kOk;
}

namespace {
std::string_view status_key(RefundStatusField field) {
  return field == RefundStatusField::kStatus ? "status" : "refund_status";
}
}  // namespace

Error parse_refund(std::string_view text, RefundStatusField field, Refund* out) {
  json::value v;
  if (Error e = parse(text, &v); e != Error::kOk) return e;
  const json::object& o = v.get_object();
  Refund r;
  const json::object* amount = nullptr;
  Error e = first({read_string(o, "out_refund_no", &r.out_refund_no),
                   read_string(o, "out_trade_no", &r.out_trade_no),
                   read_string(o, status_key(field), &r.status),
                   read_optional_string(o, "refund_id", &r.refund_id),
                   read_optional_string(o, "transaction_id", &r.transaction_id),
                   read_optional_string(o, "channel", &r.channel),
                   read_optional_string(o, "success_time", &r.success_time),
                   read_optional_string(o, "create_time", &r.create_time),
                   read_optional_string(o, "user_received_account", &r.user_received_account),
                   read_object(o, "amount", &amount)});
  if (e != Error::kOk) return e;
  e = first({read_fen(*amount, "refund", 0, &r.refund_fen),
             read_fen(*amount, "total", 0, &r.total_fen),
             read_optional_string(*amount, "currency", &r.currency)});
  if (e != Error::kOk) return e;
  *out = std::move(r);
  return Error::kOk;
}

std::string refund_json(const Refund& r, RefundStatusField field) {
  json::object o;
  put_optional(o, "refund_id", r.refund_id);
  o["out_refund_no"] = js(r.out_refund_no);
  put_optional(o, "transaction_id", r.transaction_id);
  o["out_trade_no"] = js(r.out_trade_no);
  put_optional(o, "channel", r.channel);
  o[js(status_key(field))] = js(r.status);
  put_optional(o, "success_time", r.success_time);
  put_optional(o, "create_time", r.create_time);
  put_optional(o, "user_received_account", r.user_received_account);
  json::object amount;
  amount["total"] = r.total_fen;
  amount["refund"] = r.refund_fen;
  put_optional(amount, "currency", r.currency);
  o["amount"] = std::move(amount);
  return json::serialize(o);
}

// ---------------------------------------------------------------- errors

Error parse_error_body(std::string_view body, ApiError* out) {
  json::value v;
  if (Error e = parse(body, &v); e != Error::kOk) return e;
  ApiError a;
  const Error e = first({read_string(v.get_object(), "code", &a.code),
                         read_optional_string(v.get_object(), "message", &a.message)});
  if (e != Error::kOk) return e;
  *out = std::move(a);
  return Error::kOk;
}

std::string error_body(std::string_view code, std::string_view message) {
  json::object o;
  o["code"] = js(code);
  o["message"] = js(message);
  return json::serialize(o);
}

}  // namespace oncepay::channels::wechatpay
