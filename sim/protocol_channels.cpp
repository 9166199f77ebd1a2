// The simulated channels' real protocols: see protocol_channels.hpp.
#include "sim/protocol_channels.hpp"

#include <map>

#include "channels/alipay/alipay_amount.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "channels/alipay/alipay_params.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "channels/wechatpay/aead.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/keys.hpp"
#include "channels/wechatpay/notification.hpp"
#include "channels/wechatpay/replies.hpp"
#include "channels/wechatpay/signature.hpp"
#include "core/check.hpp"
#include "sim/sim_keys.hpp"

namespace oncepay::sim {

namespace {

namespace wx = channels::wechatpay;
namespace ali = channels::alipay;
using channels::CallOutcome;
using channels::PayState;

// Where the engine's notify route would be (never contacted: the simulation
// delivers in process). HTTPS without a query string (A.2).
constexpr std::string_view kNotifyUrl = "https://oncepay.invalid/v1/channels/notify";

std::string header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

bool paid(PayState s) { return s == PayState::kSuccess || s == PayState::kRefund; }

// Unix ms -> RFC 3339 in UTC+8, as WeChat writes times (A.2).
std::string rfc3339_china(int64_t unix_ms) {
  const std::string t = ali::format_timestamp(unix_ms);  // "yyyy-MM-dd HH:mm:ss" GMT+8
  return t.substr(0, 10) + "T" + t.substr(11) + "+08:00";
}

// ================================================================ WeChat Pay

constexpr std::string_view kPlatformKeyId = "PUB_KEY_ID_0100000000000000000000000000";
constexpr std::string_view kAppId = "wxd678efh567hg6787";

class Wechatpay final : public ProtocolChannel {
 public:
  Wechatpay() {
    const SimKeys& k = sim_keys();
    ONCEPAY_CHECK(wx::load_private_key(k.wechatpay_private_pem, &key_) == wx::Error::kOk);
    wx::PublicKey pub;
    ONCEPAY_CHECK(wx::load_public_key(k.wechatpay_public_pem, &pub) == wx::Error::kOk);
    merchant_public_ = pub.share();
    platform_keys_.add(std::string(kPlatformKeyId), std::move(pub));
    ONCEPAY_CHECK(wx::load_private_key(k.alipay_app_private_pem, &forger_key_) == wx::Error::kOk);
    apiv3_ = std::string(k.wechatpay_apiv3_key);
    mchid_ = std::string(k.wechatpay_mchid);
    serial_ = std::string(k.wechatpay_serial);
  }

  std::string_view protocol() const override { return "wechatpay-v3"; }
  bool sends(v1::ChannelNotification::Status status) const override {
    return status == v1::ChannelNotification::SUCCESS ||  // A.7
           status == v1::ChannelNotification::REFUND_SUCCESS ||
           status == v1::ChannelNotification::REFUND_FAILED;
  }

  core::ChannelReply call(const core::ChannelCall& call, int64_t now_ms,
                          const Send& send) override {
    WireRequest request;
    switch (call.op) {
      case core::ChannelOp::kPrepay: {
        wx::PrepayRequest p;
        p.appid = std::string(kAppId);
        p.mchid = mchid_;
        p.description = call.subject.empty() ? "oncepay" : call.subject;
        p.out_trade_no = call.payment_no;
        p.notify_url = std::string(kNotifyUrl);
        p.total_fen = call.amount_minor;
        p.currency = call.currency.empty() ? "CNY" : call.currency;
        request = {"", "POST", std::string(wx::kNativePrepayPath), {}, wx::prepay_body(p)};
        break;
      }
      case core::ChannelOp::kQuery:
        request = {"", "GET", wx::query_url(call.payment_no, mchid_), {}, ""};
        break;
      case core::ChannelOp::kClose:
      case core::ChannelOp::kReverse:  // A.1: no cancel for NATIVE; the adapter closes
        request = {"", "POST", wx::close_url(call.payment_no), {}, wx::close_body(mchid_)};
        break;
      case core::ChannelOp::kRefund: {
        wx::RefundRequest r;
        r.out_trade_no = call.payment_no;
        r.out_refund_no = call.refund_no;
        r.refund_fen = call.amount_minor;
        r.total_fen = call.total_minor;
        r.currency = call.currency.empty() ? "CNY" : call.currency;
        request = {"", "POST", std::string(wx::kRefundPath), {}, wx::refund_body(r)};
        break;
      }
    }
    std::string auth;
    ONCEPAY_CHECK(wx::sign_request(key_, mchid_, serial_, request.method, request.target,
                                   now_ms / 1000, nonce(), request.body, &auth) == wx::Error::kOk);
    request.headers = {{"authorization", auth}};
    request.label = request.method + " " + request.target.substr(0, request.target.find('?'));
    const WireAnswer a = send(request);
    return read(call, a, now_ms);
  }

  WireAnswer serve(channels::ChannelModel& model, const WireRequest& request,
                   int64_t now_ms) override {
    wx::RequestAuth auth;
    wx::Error e = wx::parse_authorization(header(request.headers, "authorization"), &auth);
    if (e == wx::Error::kOk && auth.mchid != mchid_) e = wx::Error::kBadSignature;
    if (e == wx::Error::kOk) {
      e = wx::verify_request(auth, merchant_public_, request.method, request.target, request.body,
                             now_ms / 1000);
    }
    if (e != wx::Error::kOk) return error(401, "SIGN_ERROR", wx::to_string(e), now_ms);
    const std::string& t = request.target;
    if (request.method == "POST" && t == wx::kNativePrepayPath)
      return prepay(model, request, now_ms);
    if (request.method == "POST" && t == wx::kRefundPath) return refund(model, request, now_ms);
    std::string no, mchid;
    if (request.method == "GET" && wx::parse_query_url(t, &no, &mchid)) {
      return query(model, no, now_ms);
    }
    if (request.method == "POST" && wx::parse_close_url(t, &no)) {
      return close(model, no, request.body, now_ms);
    }
    return error(404, "NOT_FOUND", "no such API", now_ms);
  }

  std::optional<WireNotice> encode_notification(const v1::ChannelNotification& n,
                                                const NoticeFacts& facts, Signer signer,
                                                int64_t now_ms) override {
    wx::NotificationSpec spec;
    spec.id = n.notify_id();
    spec.create_time = rfc3339_china(now_ms);
    spec.nonce = nonce().substr(0, wx::kGcmNonceBytes);
    if (n.status() == v1::ChannelNotification::SUCCESS) {
      wx::Transaction t;
      t.appid = std::string(kAppId);
      t.mchid = mchid_;
      t.out_trade_no = n.payment_no();
      t.transaction_id = n.channel_trade_no();
      t.trade_type = "NATIVE";
      t.trade_state = "SUCCESS";
      t.trade_state_desc = "SUCCESS";
      t.bank_type = "OTHERS";
      t.success_time = spec.create_time;
      t.has_amount = true;
      t.total_fen = n.amount();
      t.payer_total_fen = n.amount();
      t.currency = n.currency().empty() ? "CNY" : n.currency();
      t.payer_currency = t.currency;
      spec.event_type = "TRANSACTION.SUCCESS";
      spec.original_type = "transaction";
      spec.associated_data = "transaction";
      spec.plaintext = wx::transaction_json(t);
    } else if (n.status() == v1::ChannelNotification::REFUND_SUCCESS ||
               n.status() == v1::ChannelNotification::REFUND_FAILED) {
      const bool ok = n.status() == v1::ChannelNotification::REFUND_SUCCESS;
      wx::Refund r = refund_object(n.payment_no(), n.channel_trade_no(), n.refund_no(), n.amount(),
                                   facts.payment_amount_minor, "", now_ms);
      r.status = ok ? "SUCCESS" : "ABNORMAL";
      spec.event_type = ok ? "REFUND.SUCCESS" : "REFUND.ABNORMAL";
      spec.original_type = "refund";
      spec.associated_data = "refund";
      spec.plaintext = wx::refund_json(r, wx::RefundStatusField::kRefundStatus);
    } else {
      return std::nullopt;  // A.7: basic payments notify success only (sends())
    }
    spec.summary = spec.event_type;
    WireNotice wire;
    ONCEPAY_CHECK(wx::encode_notification(spec, apiv3_, &wire.body) == wx::Error::kOk);
    wire.headers = signed_headers(wire.body, now_ms, signer);
    return wire;
  }

  bool decode_notification(const WireNotice& wire, int64_t now_ms,
                           std::optional<core::ChannelNotice>* notice,
                           std::string* error) override {
    wx::Notification n;
    wx::Error e = wx::decode_notification(to_signed(wire.headers), wire.body, platform_keys_,
                                          apiv3_, now_ms / 1000, &n);
    if (e != wx::Error::kOk) {
      *error = std::string(wx::to_string(e));
      return false;
    }
    core::ChannelNotice out;
    e = wx::to_channel_notice(n, &out);
    if (e == wx::Error::kUnknownEvent) {
      notice->reset();  // acknowledged, nothing to apply
      return true;
    }
    if (e != wx::Error::kOk) {
      *error = std::string(wx::to_string(e));
      return false;
    }
    *notice = std::move(out);
    return true;
  }

 private:
  std::string nonce() {
    std::string n = std::to_string(++nonce_counter_);
    return std::string(32 - n.size(), '0') + n;
  }

  Headers signed_headers(std::string_view body, int64_t now_ms, Signer signer) {
    wx::SignedHeaders h;
    const wx::PrivateKey& key = signer == Signer::kChannel ? key_ : forger_key_;
    ONCEPAY_CHECK(wx::sign_response(key, kPlatformKeyId, now_ms / 1000, nonce(), body, &h) ==
                  wx::Error::kOk);
    return {{"wechatpay-timestamp", h.timestamp},
            {"wechatpay-nonce", h.nonce},
            {"wechatpay-signature", h.signature},
            {"wechatpay-serial", h.serial}};
  }

  static wx::SignedHeaders to_signed(const Headers& headers) {
    return {header(headers, "wechatpay-timestamp"), header(headers, "wechatpay-nonce"),
            header(headers, "wechatpay-signature"), header(headers, "wechatpay-serial")};
  }

  WireAnswer answer(int status, std::string body, int64_t now_ms) {
    WireAnswer a{status, {}, std::move(body)};
    a.headers = signed_headers(a.body, now_ms, Signer::kChannel);
    return a;
  }
  WireAnswer error(int status, std::string_view code, std::string_view message, int64_t now_ms) {
    return answer(status, wx::error_body(code, message), now_ms);
  }

  core::ChannelReply read(const core::ChannelCall& call, const WireAnswer& a, int64_t now_ms) {
    wx::Answer answer;
    answer.http_status = a.status;
    answer.body = a.body;
    answer.verification =
        wx::verify_signed(to_signed(a.headers), a.body, platform_keys_, now_ms / 1000);
    switch (call.op) {
      case core::ChannelOp::kPrepay:
        return wx::prepay_reply(answer, false);
      case core::ChannelOp::kQuery:
        return wx::query_reply(answer, call.payment_no);
      case core::ChannelOp::kClose:
      case core::ChannelOp::kReverse:
        return wx::close_reply(answer);
      default:
        return wx::refund_reply(answer, call.refund_no);
    }
  }

  WireAnswer prepay(channels::ChannelModel& model, const WireRequest& request, int64_t now_ms) {
    wx::PrepayRequest req;
    if (auto e = wx::parse_prepay_request(request.body, false, &req); e != wx::Error::kOk) {
      return error(400, "PARAM_ERROR", wx::to_string(e), now_ms);
    }
    if (req.mchid != mchid_) return error(400, "MCH_NOT_EXISTS", "mchid", now_ms);
    auto r = model.prepay(req.out_trade_no, req.total_fen, req.currency, req.description, now_ms);
    switch (r.outcome) {
      case CallOutcome::kOk:
        return answer(200, wx::native_prepay_response("weixin://wxpay/bizpayurl?pr=" + r.prepay_id),
                      now_ms);
      case CallOutcome::kAlreadyPaid:
        return error(400, "ORDERPAID", "the order is paid", now_ms);
      case CallOutcome::kClosed:
        return error(400, "ORDER_CLOSED", "the order is closed", now_ms);
      case CallOutcome::kRejected:
        return error(400, "INVALID_REQUEST", "out_trade_no reused", now_ms);
      default:
        return error(500, "SYSTEM_ERROR", "system busy", now_ms);
    }
  }

  WireAnswer query(channels::ChannelModel& model, const std::string& no, int64_t now_ms) {
    auto q = model.query(no);
    auto p = model.get(no);
    if (q.outcome == CallOutcome::kNotFound || !p) {
      return error(404, "ORDER_NOT_EXIST", "no order", now_ms);
    }
    if (q.outcome != CallOutcome::kOk) return error(500, "SYSTEM_ERROR", "system busy", now_ms);
    wx::Transaction t;
    t.appid = std::string(kAppId);
    t.mchid = mchid_;
    t.out_trade_no = no;
    t.trade_type = "NATIVE";
    t.trade_state = std::string(channels::to_string(q.state));
    t.trade_state_desc = t.trade_state;
    t.has_amount = true;
    t.total_fen = p->amount_minor;
    t.currency = p->currency;
    if (paid(q.state)) {
      t.transaction_id = q.channel_trade_no;
      t.bank_type = "OTHERS";
      t.success_time = rfc3339_china(p->updated_ms);
      t.payer_total_fen = p->amount_minor;
      t.payer_currency = p->currency;
    }
    return answer(200, wx::transaction_json(t), now_ms);
  }

  WireAnswer close(channels::ChannelModel& model, const std::string& no, std::string_view body,
                   int64_t now_ms) {
    std::string mchid;
    if (auto e = wx::parse_close_request(body, &mchid); e != wx::Error::kOk || mchid != mchid_) {
      return error(400, "PARAM_ERROR", "mchid", now_ms);
    }
    switch (model.close(no, now_ms).outcome) {
      case CallOutcome::kOk:
        return answer(204, "", now_ms);
      case CallOutcome::kAlreadyPaid:
        return error(400, "ORDERPAID", "the order is paid", now_ms);
      case CallOutcome::kNotFound:
        return error(404, "ORDER_NOT_EXIST", "no order", now_ms);
      default:
        return error(500, "SYSTEM_ERROR", "system busy", now_ms);
    }
  }

  wx::Refund refund_object(const std::string& no, const std::string& trade_no,
                           const std::string& refund_no, int64_t refund_fen, int64_t total_fen,
                           const std::string& currency, int64_t now_ms) {
    auto [it, fresh] = refund_ids_.emplace(no + "/" + refund_no, "");
    if (fresh) it->second = "50" + std::to_string(1'000'000'000 + refund_ids_.size());
    wx::Refund r;
    r.refund_id = it->second;
    r.out_refund_no = refund_no;
    r.transaction_id = trade_no;
    r.out_trade_no = no;
    r.channel = "ORIGINAL";
    r.status = "SUCCESS";
    r.create_time = rfc3339_china(now_ms);
    r.success_time = r.create_time;
    r.refund_fen = refund_fen;
    r.total_fen = total_fen;
    r.currency = currency;
    return r;
  }

  WireAnswer refund(channels::ChannelModel& model, const WireRequest& request, int64_t now_ms) {
    wx::RefundRequest req;
    if (auto e = wx::parse_refund_request(request.body, &req); e != wx::Error::kOk) {
      return error(400, "PARAM_ERROR", wx::to_string(e), now_ms);
    }
    auto before = model.get(req.out_trade_no);
    if (before && before->amount_minor != req.total_fen) {
      return error(400, "PARAM_ERROR", "amount.total is not the order's", now_ms);
    }
    auto r = model.refund(req.out_trade_no, req.out_refund_no, req.refund_fen, now_ms);
    switch (r.outcome) {
      case CallOutcome::kOk:
        break;
      case CallOutcome::kNotFound:
        return error(404, "RESOURCE_NOT_EXISTS", "no order", now_ms);
      case CallOutcome::kNotPaid:
      case CallOutcome::kExceeds:
        return error(400, "INVALID_REQUEST", "not paid, or refunds would exceed", now_ms);
      case CallOutcome::kRejected:
        return error(400, "PARAM_ERROR", "out_refund_no reused", now_ms);
      default:
        return error(500, "SYSTEM_ERROR", "system busy", now_ms);
    }
    auto p = model.get(req.out_trade_no);
    return answer(
        200,
        wx::refund_json(refund_object(req.out_trade_no, p->channel_trade_no, req.out_refund_no,
                                      req.refund_fen, p->amount_minor, p->currency, now_ms),
                        wx::RefundStatusField::kStatus),
        now_ms);
  }

  wx::PrivateKey key_;         // merchant and platform: the vector set has one pair
  wx::PrivateKey forger_key_;  // another RSA key
  wx::PublicKey merchant_public_;
  wx::PlatformKeys platform_keys_;
  std::string apiv3_;
  std::string mchid_;
  std::string serial_;
  uint64_t nonce_counter_ = 0;
  std::map<std::string, std::string> refund_ids_;  // payment_no/refund_no -> refund_id
};

// ================================================================ Alipay

constexpr std::string_view kAlipayAppId = "2021000000000001";
constexpr int64_t kQrExpireMs = 2 * 3600'000;

ali::RsaPrivateKey load_private(std::string_view pem) {
  auto key = ali::load_private_key(pem, nullptr);
  ONCEPAY_CHECK(key.has_value());
  return std::move(*key);
}
ali::RsaPublicKey load_public(std::string_view pem) {
  auto key = ali::load_public_key(pem, nullptr);
  ONCEPAY_CHECK(key.has_value());
  return std::move(*key);
}

std::string field(const ali::Params& params, std::string_view name) {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::string_view trade_status(const channels::ChannelPayment& p) {
  switch (p.state) {
    case PayState::kSuccess:
      return "TRADE_SUCCESS";
    case PayState::kRefund:
      return p.refunded_minor < p.amount_minor ? "TRADE_SUCCESS" : "TRADE_CLOSED";
    case PayState::kClosed:
      return "TRADE_CLOSED";
    default:  // NOTPAY, and PAYERROR: the buyer may pay again
      return "WAIT_BUYER_PAY";
  }
}

class Alipay final : public ProtocolChannel {
 public:
  Alipay()
      : app_key_(load_private(sim_keys().alipay_app_private_pem)),
        app_public_(load_public(sim_keys().alipay_app_public_pem)),
        platform_key_(load_private(sim_keys().alipay_platform_private_pem)),
        platform_public_(load_public(sim_keys().alipay_platform_public_pem)),
        forger_key_(load_private(sim_keys().wechatpay_private_pem)) {}

  std::string_view protocol() const override { return "alipay"; }
  bool sends(v1::ChannelNotification::Status status) const override {
    return status == v1::ChannelNotification::SUCCESS ||  // B.4
           status == v1::ChannelNotification::REFUND_SUCCESS;
  }

  core::ChannelReply call(const core::ChannelCall& call, int64_t now_ms,
                          const Send& send) override {
    ali::RequestSpec spec;
    spec.app_id = std::string(kAlipayAppId);
    spec.now_unix_ms = now_ms;
    switch (call.op) {
      case core::ChannelOp::kPrepay: {
        spec.method = std::string(ali::kMethodPrecreate);
        ali::PayOrder order;
        order.out_trade_no = call.payment_no;
        order.amount_fen = call.amount_minor;
        order.subject = call.subject.empty() ? "oncepay" : call.subject;
        order.expire_unix_ms = now_ms + kQrExpireMs;
        spec.biz_content = ali::pay_biz_content(order);
        spec.notify_url = std::string(kNotifyUrl);
        break;
      }
      case core::ChannelOp::kQuery:
        spec.method = std::string(ali::kMethodQuery);
        spec.biz_content = ali::trade_biz_content(call.payment_no);
        break;
      case core::ChannelOp::kClose:
        spec.method = std::string(ali::kMethodClose);
        spec.biz_content = ali::trade_biz_content(call.payment_no);
        break;
      case core::ChannelOp::kReverse:
        spec.method = std::string(ali::kMethodCancel);
        spec.biz_content = ali::trade_biz_content(call.payment_no);
        break;
      case core::ChannelOp::kRefund:
        spec.method = std::string(ali::kMethodRefund);
        spec.biz_content =
            ali::refund_biz_content(call.payment_no, call.amount_minor, call.refund_no);
        break;
    }
    core::ChannelReply reply = exchange(spec, send);
    // B.2: a refund answered without fund_change Y is confirmed with
    // fastpay.refund.query (the same out_request_no).
    if (call.op == core::ChannelOp::kRefund &&
        reply.outcome == core::ChannelOutcome::kUnavailable && last_code_ == ali::kCodeSuccess) {
      spec.method = std::string(ali::kMethodRefundQuery);
      spec.biz_content = ali::refund_query_biz_content(call.payment_no, call.refund_no);
      spec.notify_url.clear();
      reply = exchange(spec, send);
    }
    return reply;
  }

  WireAnswer serve(channels::ChannelModel& model, const WireRequest& request,
                   int64_t now_ms) override {
    ali::ParsedRequest parsed =
        ali::parse_gateway_request("", request.body, kAlipayAppId, app_public_);
    const std::string method = field(parsed.params, "method");
    if (parsed.verdict != ali::Verdict::kOk) {
      const bool sign = parsed.verdict == ali::Verdict::kBadSignature ||
                        parsed.verdict == ali::Verdict::kNoSignature;
      return answer(method.empty() ? "error" : method,
                    failure("40002", sign ? "isv.invalid-signature" : "isv.invalid-parameter",
                            ali::to_string(parsed.verdict)));
    }
    auto biz = ali::read_biz_content(field(parsed.params, "biz_content"));
    if (!biz) return answer(method, failure("40002", "isv.invalid-parameter", "biz_content"));
    const std::string no = field(*biz, "out_trade_no");
    if (method == ali::kMethodPrecreate) return precreate(model, method, *biz, now_ms);
    auto p = model.get(no);
    if (!p) return answer(method, failure("40004", "ACQ.TRADE_NOT_EXIST", "no such trade"));
    if (method == ali::kMethodQuery) return query(model, method, no);
    if (method == ali::kMethodClose) return close(model, method, *p, now_ms);
    if (method == ali::kMethodCancel) return cancel(model, method, *p, now_ms);
    if (method == ali::kMethodRefund) return refund(model, method, *biz, *p, now_ms);
    if (method == ali::kMethodRefundQuery) return refund_query(method, *biz, *p);
    return answer(method, failure("40002", "isv.invalid-method", "unknown method"));
  }

  std::optional<WireNotice> encode_notification(const v1::ChannelNotification& n,
                                                const NoticeFacts& facts, Signer signer,
                                                int64_t now_ms) override {
    ali::Params f;
    f["notify_time"] = ali::format_timestamp(now_ms);
    f["notify_type"] = "trade_status_sync";
    f["notify_id"] = n.notify_id();
    f["app_id"] = std::string(kAlipayAppId);
    f["charset"] = "utf-8";
    f["version"] = "1.0";
    f["out_trade_no"] = n.payment_no();
    f["trade_no"] = n.channel_trade_no();
    if (n.status() == v1::ChannelNotification::SUCCESS) {
      f["trade_status"] = "TRADE_SUCCESS";
      f["total_amount"] = ali::format_yuan(n.amount());
      f["gmt_payment"] = ali::format_timestamp(now_ms);
    } else if (n.status() == v1::ChannelNotification::REFUND_SUCCESS) {
      // B.4: partial refunds come as TRADE_SUCCESS, a full one as
      // TRADE_CLOSED; refund_fee is the cumulative refunded amount.
      const bool full = facts.refunded_minor >= facts.payment_amount_minor;
      f["trade_status"] = full ? "TRADE_CLOSED" : "TRADE_SUCCESS";
      f["total_amount"] = ali::format_yuan(facts.payment_amount_minor);
      f["refund_fee"] = ali::format_yuan(facts.refunded_minor);
      f["out_biz_no"] = n.refund_no();
      f["gmt_refund"] = ali::format_timestamp(now_ms);
    } else {
      return std::nullopt;  // B.4: no notification for a failed payment
    }
    WireNotice wire;
    wire.headers = {{"content-type", std::string(ali::kFormContentType)}};
    wire.body = ali::build_notification_body(
        std::move(f), signer == Signer::kChannel ? platform_key_ : forger_key_);
    return wire;
  }

  bool decode_notification(const WireNotice& wire, int64_t,
                           std::optional<core::ChannelNotice>* notice,
                           std::string* error) override {
    ali::Notification n = ali::parse_notification(wire.body, kAlipayAppId, platform_public_);
    if (n.verdict != ali::Verdict::kOk) {
      *error = std::string(ali::to_string(n.verdict)) + ": " + n.detail;
      return false;
    }
    *notice = n.notice;
    return true;
  }

 private:
  core::ChannelReply exchange(const ali::RequestSpec& spec, const Send& send) {
    WireRequest request{spec.method,
                        "POST",
                        "/gateway.do",
                        {{"content-type", std::string(ali::kFormContentType)}},
                        ali::build_request_body(spec, app_key_)};
    const WireAnswer a = send(request);
    last_code_.clear();
    if (a.status != 200) {
      core::ChannelReply reply;  // no answer or HTTP failure: unknown
      reply.detail = "alipay: HTTP " + std::to_string(a.status);
      return reply;
    }
    ali::SignedResponse verified = ali::verify_response(a.body, spec.method, platform_public_);
    if (verified.verdict == ali::Verdict::kOk) {
      if (auto common = ali::read_common(verified.content)) last_code_ = common->code;
    }
    return ali::read_reply(spec.method, verified);
  }

  WireAnswer answer(std::string_view method, const std::string& content) {
    return WireAnswer{200,
                      {{"content-type", "application/json;charset=utf-8"}},
                      ali::build_signed_response(method, content, platform_key_)};
  }
  static std::string failure(std::string_view code, std::string_view sub_code,
                             std::string_view sub_msg) {
    const std::string msg = code == "40004" ? "Business Failed" : "Invalid Arguments";
    return ali::response_content(
        {std::string(code), msg, std::string(sub_code), std::string(sub_msg)}, {});
  }
  static std::string success(const std::vector<std::pair<std::string, std::string>>& fields) {
    return ali::response_content({std::string(ali::kCodeSuccess), "Success", "", ""}, fields);
  }

  WireAnswer precreate(channels::ChannelModel& model, const std::string& method,
                       const ali::Params& biz, int64_t now_ms) {
    const std::string no = field(biz, "out_trade_no");
    auto fen = ali::parse_yuan(field(biz, "total_amount"));
    if (!ali::is_valid_out_trade_no(no) || !fen || *fen <= 0) {
      return answer(method, failure("40004", "ACQ.INVALID_PARAMETER", "out_trade_no or amount"));
    }
    auto r = model.prepay(no, *fen, "CNY", field(biz, "subject"), now_ms);
    switch (r.outcome) {
      case CallOutcome::kOk:
        return answer(method, success({{"out_trade_no", no},
                                       {"qr_code", "https://qr.alipay.com/" + r.prepay_id}}));
      case CallOutcome::kAlreadyPaid:
        return answer(method, failure("40004", "ACQ.TRADE_HAS_SUCCESS", "the trade is paid"));
      case CallOutcome::kClosed:
        return answer(method, failure("40004", "ACQ.TRADE_HAS_CLOSE", "the trade is closed"));
      case CallOutcome::kRejected:
        return answer(method, failure("40004", "ACQ.CONTEXT_INCONSISTENT", "out_trade_no reused"));
      default:
        return answer(method, failure("20000", "isp.unknow-error", "system busy"));
    }
  }

  WireAnswer query(channels::ChannelModel& model, const std::string& method,
                   const std::string& no) {
    auto q = model.query(no);
    auto p = model.get(no);
    if (q.outcome != CallOutcome::kOk) {
      return answer(method, failure("40004", "ACQ.SYSTEM_ERROR", "system busy"));
    }
    std::vector<std::pair<std::string, std::string>> fields;
    if (!p->channel_trade_no.empty()) fields.emplace_back("trade_no", p->channel_trade_no);
    fields.emplace_back("out_trade_no", no);
    fields.emplace_back("trade_status", std::string(trade_status(*p)));
    fields.emplace_back("total_amount", ali::format_yuan(p->amount_minor));
    if (paid(p->state)) {
      fields.emplace_back("buyer_pay_amount", ali::format_yuan(p->amount_minor));
      fields.emplace_back("send_pay_date", ali::format_timestamp(p->updated_ms));
    }
    return answer(method, success(fields));
  }

  WireAnswer close(channels::ChannelModel& model, const std::string& method,
                   const channels::ChannelPayment& before, int64_t now_ms) {
    auto r = model.close(before.payment_no, now_ms);
    if (r.outcome == CallOutcome::kAlreadyPaid) {
      return answer(method, failure("40004", "ACQ.TRADE_STATUS_ERROR", "the trade is paid"));
    }
    if (before.state == PayState::kClosed) {
      return answer(method, failure("40004", "ACQ.TRADE_HAS_CLOSE", "already closed"));
    }
    return answer(method, success({{"out_trade_no", before.payment_no}}));
  }

  WireAnswer cancel(channels::ChannelModel& model, const std::string& method,
                    const channels::ChannelPayment& before, int64_t now_ms) {
    auto r = model.reverse(before.payment_no, now_ms);
    std::vector<std::pair<std::string, std::string>> fields;
    if (!r.channel_trade_no.empty()) fields.emplace_back("trade_no", r.channel_trade_no);
    fields.emplace_back("out_trade_no", before.payment_no);
    fields.emplace_back("retry_flag", "N");
    fields.emplace_back("action", paid(before.state) ? "refund" : "close");
    return answer(method, success(fields));
  }

  WireAnswer refund(channels::ChannelModel& model, const std::string& method,
                    const ali::Params& biz, const channels::ChannelPayment& before,
                    int64_t now_ms) {
    const std::string request_no = field(biz, "out_request_no");
    auto fen = ali::parse_yuan(field(biz, "refund_amount"));
    if (!fen || *fen <= 0 || request_no.empty()) {
      return answer(method, failure("40004", "ACQ.INVALID_PARAMETER", "refund_amount"));
    }
    auto r = model.refund(before.payment_no, request_no, *fen, now_ms);
    switch (r.outcome) {
      case CallOutcome::kOk:
        break;
      case CallOutcome::kNotPaid:
        return answer(method, failure("40004", "ACQ.TRADE_STATUS_ERROR", "not paid"));
      case CallOutcome::kExceeds:
        return answer(method, failure("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "exceeds"));
      default:
        return answer(method, failure("40004", "ACQ.INVALID_PARAMETER", "out_request_no reused"));
    }
    auto after = model.get(before.payment_no);
    const bool moved = before.refunds.count(request_no) == 0;
    return answer(method, success({{"trade_no", after->channel_trade_no},
                                   {"out_trade_no", before.payment_no},
                                   {"fund_change", moved ? "Y" : "N"},
                                   {"refund_fee", ali::format_yuan(after->refunded_minor)},
                                   {"gmt_refund_pay", ali::format_timestamp(now_ms)}}));
  }

  WireAnswer refund_query(const std::string& method, const ali::Params& biz,
                          const channels::ChannelPayment& p) {
    const std::string request_no = field(biz, "out_request_no");
    auto it = p.refunds.find(request_no);
    if (it == p.refunds.end()) {  // B.2: no refund_status: the request is unknown
      return answer(method,
                    success({{"out_trade_no", p.payment_no}, {"out_request_no", request_no}}));
    }
    return answer(method, success({{"trade_no", p.channel_trade_no},
                                   {"out_trade_no", p.payment_no},
                                   {"out_request_no", request_no},
                                   {"refund_amount", ali::format_yuan(it->second)},
                                   {"total_amount", ali::format_yuan(p.amount_minor)},
                                   {"refund_status", "REFUND_SUCCESS"}}));
  }

  ali::RsaPrivateKey app_key_;
  ali::RsaPublicKey app_public_;
  ali::RsaPrivateKey platform_key_;
  ali::RsaPublicKey platform_public_;
  ali::RsaPrivateKey forger_key_;  // another RSA key
  std::string last_code_;          // code of the last verified answer
};

}  // namespace

std::unique_ptr<ProtocolChannel> make_wechatpay_channel() { return std::make_unique<Wechatpay>(); }
std::unique_ptr<ProtocolChannel> make_alipay_channel() { return std::make_unique<Alipay>(); }

}  // namespace oncepay::sim
