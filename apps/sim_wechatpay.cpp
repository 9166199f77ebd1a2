#include "apps/sim_wechatpay.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "apps/key_file.hpp"
#include "apps/sim_statements.hpp"
#include "channels/wechatpay/aead.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/notification.hpp"
#include "core/check.hpp"
#include "core/wall_clock.hpp"
#include "http/query.hpp"

namespace oncepay::apps {

namespace wx = channels::wechatpay;
using channels::CallOutcome;
using channels::PayState;

namespace {

constexpr std::string_view kOutTradeNoPrefix = "/v3/pay/transactions/out-trade-no/";
constexpr std::string_view kTradebillPath = "/v3/bill/tradebill";
constexpr std::string_view kDownloadPath = "/v3/billdownload/file";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string base_url(const http::HttpRequest& request) {
  std::string_view host = request.header("host");
  return std::string("http://").append(host.empty() ? std::string_view("127.0.0.1") : host);
}

}  // namespace

struct WechatpayFront::Tables {
  struct Payment {
    std::string appid;
    std::string trade_type;  // NATIVE / JSAPI
    std::string notify_url;
    std::string payer_openid;
    std::string attach;
  };
  struct Refund {
    std::string out_trade_no;
    std::string refund_id;
    std::string notify_url;
    int64_t refund_fen = 0;
    int64_t total_fen = 0;
    std::string currency;
    int64_t created_ms = 0;
  };
  std::map<std::string, Payment, std::less<>> payments;
  std::map<std::string, Refund, std::less<>> refunds;     // by out_refund_no (unique per mchid)
  std::deque<std::pair<std::string, std::string>> bills;  // token -> CSV, oldest first
  std::string last_appid;
  uint64_t next_refund_id = 1;
};

bool load_wechatpay_keys(const WechatpayKeyFiles& files, WechatpayFrontOptions* options,
                         std::string* error) {
  std::string text;
  if (!read_key_file(files.merchant_public_key_file, &text, error)) {
    return false;
  }
  if (auto e = wx::load_public_key(text, &options->merchant_public_key); e != wx::Error::kOk) {
    *error = files.merchant_public_key_file + ": not a merchant public key (" +
             std::string(wx::to_string(e)) + ")";
    return false;
  }
  if (!read_key_file(files.platform_private_key_file, &text, error)) {
    return false;
  }
  if (auto e = wx::load_private_key(text, &options->platform_private_key); e != wx::Error::kOk) {
    *error = files.platform_private_key_file + ": not a platform private key (" +
             std::string(wx::to_string(e)) + ")";
    return false;
  }
  if (!read_key_file(files.apiv3_key_file, &options->apiv3_key, error)) {
    return false;
  }
  while (!options->apiv3_key.empty() &&
         (options->apiv3_key.back() == '\n' || options->apiv3_key.back() == '\r')) {
    options->apiv3_key.pop_back();
  }
  if (options->apiv3_key.size() != wx::kApiV3KeyBytes) {
    *error = files.apiv3_key_file + ": the APIv3 key must be exactly 32 bytes";
    options->apiv3_key.clear();
    return false;
  }
  return true;
}

WechatpayFront::WechatpayFront(WechatpayFrontOptions options)
    : options_(std::move(options)), tables_(std::make_unique<Tables>()) {
  ONCEPAY_CHECK(!options_.mchid.empty());
  ONCEPAY_CHECK(!options_.platform_public_key_id.empty());
  ONCEPAY_CHECK(!options_.merchant_public_key.empty());
  ONCEPAY_CHECK(!options_.platform_private_key.empty());
  ONCEPAY_CHECK(options_.apiv3_key.size() == wx::kApiV3KeyBytes);
}

WechatpayFront::~WechatpayFront() = default;

bool WechatpayFront::owns(const http::HttpRequest& request) const {
  return starts_with(request.path, "/v3/");
}

bool WechatpayFront::is_acknowledged(int status, std::string_view) const {
  return wx::notify_acknowledged(status);
}

http::HttpResponse WechatpayFront::signed_answer(int status, std::string body) const {
  http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  wx::SignedHeaders h;
  const std::string nonce = random_alnum(32);
  if (wx::sign_response(options_.platform_private_key, options_.platform_public_key_id,
                        core::unix_seconds(), nonce, r.body, &h) != wx::Error::kOk) {
    r.status = 500;  // OpenSSL failed on a valid key: the answer goes unsigned
    r.body = wx::error_body("SYSTEM_ERROR", "signing failed");
    return r;
  }
  r.headers = {{"Wechatpay-Timestamp", h.timestamp},
               {"Wechatpay-Nonce", h.nonce},
               {"Wechatpay-Signature", h.signature},
               {"Wechatpay-Serial", h.serial},
               {"Wechatpay-Signature-Type", std::string(wx::kAuthScheme)},
               {"Request-ID", random_alnum(24)}};
  return r;
}

http::HttpResponse WechatpayFront::error(int status, std::string_view code,
                                         std::string_view message) const {
  return signed_answer(status, wx::error_body(code, message));
}

// A.5: every request signed by the merchant; nothing is looked at before.
http::HttpResponse WechatpayFront::handle_channel_request(const http::HttpRequest& request,
                                                          SimCore& core) {
  wx::RequestAuth auth;
  wx::Error e = wx::parse_authorization(request.header("authorization"), &auth);
  if (e == wx::Error::kOk && auth.mchid != options_.mchid) e = wx::Error::kBadSignature;
  if (e == wx::Error::kOk) {
    e = wx::verify_request(auth, options_.merchant_public_key, request.method, request.target,
                           request.body, core::unix_seconds(), options_.signature_window_s);
  }
  if (e != wx::Error::kOk) {
    return error(401, "SIGN_ERROR", "signature check failed: " + std::string(wx::to_string(e)));
  }
  std::lock_guard lock(mutex_);
  return route(request, core);
}

http::HttpResponse WechatpayFront::route(const http::HttpRequest& request, SimCore& core) {
  const std::string_view path = request.path;
  const bool get = request.method == "GET", post = request.method == "POST";
  if (post && path == wx::kNativePrepayPath) return prepay(request, core, false);
  if (post && path == wx::kJsapiPrepayPath) return prepay(request, core, true);
  if (starts_with(path, kOutTradeNoPrefix)) {
    if (post && ends_with(path, "/close")) return close(request, core);
    if (get) return query(request, core);
  }
  if (post && path == wx::kRefundPath) return refund(request, core);
  if (get && starts_with(path, std::string(wx::kRefundPath) + "/")) {
    return refund_query(request, core);
  }
  if (get && path == kTradebillPath) return tradebill(request, core);
  if (get && path == kDownloadPath) return download(request);
  return error(404, "NOT_FOUND", "no such API");
}

http::HttpResponse WechatpayFront::prepay(const http::HttpRequest& request, SimCore& core,
                                          bool jsapi) {
  wx::PrepayRequest req;
  if (auto e = wx::parse_prepay_request(request.body, jsapi, &req); e != wx::Error::kOk) {
    return error(400, "PARAM_ERROR", wx::to_string(e));
  }
  if (req.mchid != options_.mchid) return error(400, "MCH_NOT_EXISTS", "mchid is not this one");
  channels::PrepayResult result;
  core.with_model(req.out_trade_no, [&](channels::ChannelModel& model) {
    result = model.prepay(req.out_trade_no, req.total_fen, req.currency, req.description,
                          core::unix_ms());
  });
  if (result.outcome == CallOutcome::kOk || result.outcome == CallOutcome::kTimeout) {
    if (tables_->payments.size() < kMaxWechatpayRecords ||
        tables_->payments.count(req.out_trade_no) != 0) {
      tables_->payments[req.out_trade_no] = {req.appid, jsapi ? "JSAPI" : "NATIVE", req.notify_url,
                                             req.payer_openid, req.attach};
    }
    tables_->last_appid = req.appid;
  }
  switch (result.outcome) {
    case CallOutcome::kOk:
      return signed_answer(200, jsapi ? wx::jsapi_prepay_response("wx" + result.prepay_id)
                                      : wx::native_prepay_response("weixin://wxpay/bizpayurl?pr=" +
                                                                   result.prepay_id));
    case CallOutcome::kAlreadyPaid:
      return error(400, "ORDERPAID", "the order is paid");
    case CallOutcome::kClosed:
      return error(400, "ORDER_CLOSED", "the order is closed");
    case CallOutcome::kRejected:
      return error(400, "INVALID_REQUEST", "out_trade_no reused with other parameters, or a limit");
    default:  // kTimeout: it took effect, the answer is "lost"
      return error(500, "SYSTEM_ERROR", "system busy, try again");
  }
}

http::HttpResponse WechatpayFront::query(const http::HttpRequest& request, SimCore& core) {
  std::string out_trade_no, mchid;
  if (!wx::parse_query_url(request.target, &out_trade_no, &mchid)) {
    return error(400, "PARAM_ERROR", "bad out_trade_no or mchid");
  }
  if (mchid != options_.mchid) return error(400, "MCH_NOT_EXISTS", "mchid is not this one");
  channels::QueryResult q;
  std::optional<channels::ChannelPayment> p;
  core.with_model(out_trade_no, [&](channels::ChannelModel& model) {
    q = model.query(out_trade_no);
    p = model.get(out_trade_no);
  });
  if (q.outcome == CallOutcome::kNotFound || !p) return error(404, "ORDER_NOT_EXIST", "no order");
  if (q.outcome != CallOutcome::kOk) return error(500, "SYSTEM_ERROR", "system busy, try again");
  wx::Transaction t;
  if (auto it = tables_->payments.find(out_trade_no); it != tables_->payments.end()) {
    t.appid = it->second.appid;
    t.trade_type = it->second.trade_type;
    t.attach = it->second.attach;
    t.payer_openid = it->second.payer_openid;
  }
  t.mchid = options_.mchid;
  t.out_trade_no = out_trade_no;
  t.trade_state = std::string(channels::to_string(q.state));
  const bool paid = q.state == PayState::kSuccess || q.state == PayState::kRefund;
  t.trade_state_desc = paid ? "支付成功" : std::string(channels::to_string(q.state));
  t.has_amount = true;
  t.total_fen = p->amount_minor;
  t.currency = p->currency;
  if (paid) {
    t.transaction_id = q.channel_trade_no;
    t.bank_type = "OTHERS";
    t.success_time = china_rfc3339(p->updated_ms);
    t.payer_total_fen = p->amount_minor;
    t.payer_currency = p->currency;
  }
  return signed_answer(200, wx::transaction_json(t));
}

http::HttpResponse WechatpayFront::close(const http::HttpRequest& request, SimCore& core) {
  std::string out_trade_no, mchid;
  if (!wx::parse_close_url(request.path, &out_trade_no)) {
    return error(400, "PARAM_ERROR", "bad out_trade_no");
  }
  if (auto e = wx::parse_close_request(request.body, &mchid); e != wx::Error::kOk) {
    return error(400, "PARAM_ERROR", wx::to_string(e));
  }
  if (mchid != options_.mchid) return error(400, "MCH_NOT_EXISTS", "mchid is not this one");
  channels::CloseResult result;
  core.with_model(out_trade_no, [&](channels::ChannelModel& model) {
    result = model.close(out_trade_no, core::unix_ms());
  });
  switch (result.outcome) {
    case CallOutcome::kOk:
      return signed_answer(204, "");
    case CallOutcome::kAlreadyPaid:
      return error(400, "ORDERPAID", "the order is paid");
    case CallOutcome::kNotFound:
      return error(404, "ORDER_NOT_EXIST", "no order");
    default:
      return error(500, "SYSTEM_ERROR", "system busy, try again");
  }
}

namespace {

wx::Refund refund_object(const std::string& out_refund_no, const std::string& refund_id,
                         const channels::ChannelPayment& p, int64_t refund_fen, int64_t created_ms,
                         std::string_view status) {
  wx::Refund r;
  r.refund_id = refund_id;
  r.out_refund_no = out_refund_no;
  r.transaction_id = p.channel_trade_no;
  r.out_trade_no = p.payment_no;
  r.channel = "ORIGINAL";
  r.status = std::string(status);
  r.create_time = china_rfc3339(created_ms);
  r.success_time = r.create_time;  // the wallet refunds at once
  r.user_received_account = "支付用户零钱";
  r.refund_fen = refund_fen;
  r.total_fen = p.amount_minor;
  r.currency = p.currency;
  return r;
}

}  // namespace

http::HttpResponse WechatpayFront::refund(const http::HttpRequest& request, SimCore& core) {
  wx::RefundRequest req;
  if (auto e = wx::parse_refund_request(request.body, &req); e != wx::Error::kOk) {
    return error(400, "PARAM_ERROR", wx::to_string(e));
  }
  if (req.out_trade_no.empty()) return error(400, "PARAM_ERROR", "out_trade_no is required");
  auto known = tables_->refunds.find(req.out_refund_no);
  if (known != tables_->refunds.end() && known->second.out_trade_no != req.out_trade_no) {
    return error(400, "INVALID_REQUEST", "out_refund_no belongs to another order");
  }
  channels::RefundResult result;
  std::optional<channels::ChannelPayment> p;
  bool total_matches = true;
  const int64_t now_ms = core::unix_ms();
  core.with_model(req.out_trade_no, [&](channels::ChannelModel& model) {
    auto before = model.get(req.out_trade_no);
    if (before && before->amount_minor != req.total_fen) {
      total_matches = false;
      return;
    }
    result = model.refund(req.out_trade_no, req.out_refund_no, req.refund_fen, now_ms);
    p = model.get(req.out_trade_no);
  });
  if (!total_matches) return error(400, "PARAM_ERROR", "amount.total is not the order's");
  switch (result.outcome) {
    case CallOutcome::kOk:
      break;
    case CallOutcome::kNotFound:
      return error(404, "RESOURCE_NOT_EXISTS", "no order");
    case CallOutcome::kNotPaid:
      return error(400, "INVALID_REQUEST", "the order is not paid");
    case CallOutcome::kExceeds:
      return error(400, "INVALID_REQUEST", "refunds would exceed the order's amount");
    case CallOutcome::kRejected:
      return error(400, "PARAM_ERROR", "bad refund parameters, or out_refund_no reused");
    default:
      return error(500, "SYSTEM_ERROR", "system busy, try again");
  }
  if (known == tables_->refunds.end()) {
    Tables::Refund record{req.out_trade_no,
                          "50" + std::to_string(1'000'000'000 + tables_->next_refund_id++),
                          req.notify_url,
                          req.refund_fen,
                          p->amount_minor,
                          p->currency,
                          now_ms};
    known = tables_->refunds.emplace(req.out_refund_no, std::move(record)).first;
  }
  const auto& r = known->second;
  return signed_answer(200, wx::refund_json(refund_object(req.out_refund_no, r.refund_id, *p,
                                                          r.refund_fen, r.created_ms, "SUCCESS"),
                                            wx::RefundStatusField::kStatus));
}

http::HttpResponse WechatpayFront::refund_query(const http::HttpRequest& request, SimCore& core) {
  std::string out_refund_no;
  if (!wx::parse_refund_query_url(request.path, &out_refund_no)) {
    return error(400, "PARAM_ERROR", "bad out_refund_no");
  }
  auto it = tables_->refunds.find(out_refund_no);
  if (it == tables_->refunds.end()) return error(404, "RESOURCE_NOT_EXISTS", "no such refund");
  std::optional<channels::ChannelPayment> p;
  const std::string& out_trade_no = it->second.out_trade_no;
  core.with_model(out_trade_no,
                  [&](channels::ChannelModel& model) { p = model.get(out_trade_no); });
  if (!p || p->refunds.count(out_refund_no) == 0) {
    return error(404, "RESOURCE_NOT_EXISTS", "no such refund");
  }
  const auto& r = it->second;
  return signed_answer(200, wx::refund_json(refund_object(out_refund_no, r.refund_id, *p,
                                                          r.refund_fen, r.created_ms, "SUCCESS"),
                                            wx::RefundStatusField::kStatus));
}

// C.1 / A.1: the bill is written now and kept under a token; the answer
// carries its SHA-1 and the URL to download it from this simulator.
http::HttpResponse WechatpayFront::tradebill(const http::HttpRequest& request, SimCore& core) {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(request.query, &params, &why)) return error(400, "PARAM_ERROR", why);
  auto date = params.find("bill_date");
  if (date == params.end() || !is_day(date->second)) {
    return error(400, "PARAM_ERROR", "bill_date must be YYYY-MM-DD");
  }
  auto type = params.find("bill_type");
  if (type != params.end() && type->second != "ALL") {
    return error(400, "PARAM_ERROR", "this simulator serves bill_type ALL only");
  }
  if (params.count("tar_type") != 0) {
    return error(400, "PARAM_ERROR", "this simulator serves uncompressed bills only");
  }
  // A.8 note: a day that is not over has no bill yet (the real one comes
  // T+1; this simulator serves today's intraday so far).
  if (date->second > business_day(core::unix_ms())) {
    return error(400, "NO_STATEMENT_EXIST", "the bill of that day does not exist yet");
  }
  std::string csv =
      wechat_tradebill(core.settled_on(date->second, ""), tables_->last_appid, options_.mchid);
  const std::string token = random_alnum(32);
  boost::json::object answer;
  answer["hash_type"] = "SHA1";
  answer["hash_value"] = sha1_hex(csv);
  answer["download_url"] = base_url(request) + std::string(kDownloadPath) + "?token=" + token;
  tables_->bills.emplace_back(token, std::move(csv));
  if (tables_->bills.size() > kMaxWechatpayBills) tables_->bills.pop_front();
  return signed_answer(200, boost::json::serialize(answer));
}

// A.1: the file itself is not signed.
http::HttpResponse WechatpayFront::download(const http::HttpRequest& request) {
  std::map<std::string, std::string, std::less<>> params;
  std::string why;
  if (!http::parse_query(request.query, &params, &why)) return error(400, "PARAM_ERROR", why);
  auto token = params.find("token");
  for (const auto& [t, csv] : tables_->bills) {
    if (token != params.end() && t == token->second) {
      http::HttpResponse r;
      r.content_type = "text/csv; charset=utf-8";
      r.body = csv;
      return r;
    }
  }
  return error(404, "RESOURCE_NOT_EXISTS", "no bill for that token");
}

std::optional<WireNotification> WechatpayFront::encode_notification(
    const v1::ChannelNotification& n) {
  const int64_t now_ms = core::unix_ms();
  wx::NotificationSpec spec;
  spec.id = n.notify_id();
  spec.create_time = china_rfc3339(now_ms);
  spec.nonce = random_alnum(wx::kGcmNonceBytes);
  WireNotification wire;
  std::lock_guard lock(mutex_);
  if (n.status() == v1::ChannelNotification::SUCCESS) {
    wx::Transaction t;
    if (auto it = tables_->payments.find(n.payment_no()); it != tables_->payments.end()) {
      t.appid = it->second.appid;
      t.trade_type = it->second.trade_type;
      t.attach = it->second.attach;
      t.payer_openid = it->second.payer_openid;
      wire.url = it->second.notify_url;
    }
    t.mchid = options_.mchid;
    t.out_trade_no = n.payment_no();
    t.transaction_id = n.channel_trade_no();
    t.trade_state = "SUCCESS";
    t.trade_state_desc = "支付成功";
    t.bank_type = "OTHERS";
    t.success_time = spec.create_time;
    t.has_amount = true;
    t.total_fen = n.amount();
    t.payer_total_fen = n.amount();
    t.currency = n.has_currency() ? n.currency() : "CNY";
    t.payer_currency = t.currency;
    spec.event_type = "TRANSACTION.SUCCESS";
    spec.summary = "支付成功";
    spec.original_type = "transaction";
    spec.associated_data = "transaction";
    spec.plaintext = wx::transaction_json(t);
  } else if (n.status() == v1::ChannelNotification::REFUND_SUCCESS ||
             n.status() == v1::ChannelNotification::REFUND_FAILED) {
    const bool ok = n.status() == v1::ChannelNotification::REFUND_SUCCESS;
    auto it = tables_->refunds.find(n.refund_no());
    if (it == tables_->refunds.end()) return std::nullopt;  // not refunded through this API
    const auto& r = it->second;
    channels::ChannelPayment p;
    p.payment_no = n.payment_no();
    p.channel_trade_no = n.channel_trade_no();
    p.amount_minor = r.total_fen;
    p.currency = r.currency;
    wx::Refund refund = refund_object(n.refund_no(), r.refund_id, p, r.refund_fen, r.created_ms,
                                      ok ? "SUCCESS" : "ABNORMAL");
    refund.currency.clear();  // A.4: notifications omit it
    wire.url = r.notify_url;
    spec.event_type = ok ? "REFUND.SUCCESS" : "REFUND.ABNORMAL";
    spec.summary = ok ? "退款成功" : "退款异常";
    spec.original_type = "refund";
    spec.associated_data = "refund";
    spec.plaintext = wx::refund_json(refund, wx::RefundStatusField::kRefundStatus);
  } else {
    return std::nullopt;  // A.7: basic payments notify success only
  }
  if (wx::encode_notification(spec, options_.apiv3_key, &wire.body) != wx::Error::kOk) {
    return std::nullopt;
  }
  wx::SignedHeaders h;
  if (wx::sign_response(options_.platform_private_key, options_.platform_public_key_id,
                        now_ms / 1000, random_alnum(32), wire.body, &h) != wx::Error::kOk) {
    return std::nullopt;
  }
  wire.headers = {{"Content-Type", "application/json"},
                  {"Wechatpay-Timestamp", h.timestamp},
                  {"Wechatpay-Nonce", h.nonce},
                  {"Wechatpay-Signature", h.signature},
                  {"Wechatpay-Serial", h.serial},
                  {"Wechatpay-Signature-Type", std::string(wx::kAuthScheme)}};
  return wire;
}

}  // namespace oncepay::apps
