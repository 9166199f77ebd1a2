#include "channels/alipay/alipay_notify.hpp"

#include "channels/alipay/alipay_amount.hpp"

namespace oncepay::channels::alipay {
namespace {

Notification refuse(Notification out, Verdict verdict, std::string detail) {
  out.verdict = verdict;
  out.detail = std::move(detail);
  return out;
}

std::string_view field(const Params& params, std::string_view name) {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

bool is_refund(const Notification& n) { return !n.out_biz_no.empty() || !n.gmt_refund.empty(); }

// The table in the header.
std::optional<core::ChannelNotice> notice_for(const Notification& n) {
  core::ChannelNotice notice;
  notice.payment_no = n.out_trade_no;
  notice.channel_trade_no = n.trade_no;
  notice.currency = "CNY";
  if (is_refund(n)) {
    notice.kind = core::ChannelNotice::Kind::kRefundSuccess;
    notice.refund_no = n.out_biz_no;
    notice.amount_minor = n.refund_fee_fen.value_or(0);
    return notice;
  }
  if (n.trade_status == TradeStatus::kTradeSuccess ||
      n.trade_status == TradeStatus::kTradeFinished) {
    notice.kind = core::ChannelNotice::Kind::kSuccess;
    notice.amount_minor = n.total_amount_fen;
    return notice;
  }
  return std::nullopt;
}

// The business fields, read once the signature held.
Notification read_fields(Notification out) {
  const Params& p = out.params;
  out.notify_id = field(p, "notify_id");
  out.out_trade_no = field(p, "out_trade_no");
  out.trade_no = field(p, "trade_no");
  out.out_biz_no = field(p, "out_biz_no");
  out.gmt_refund = field(p, "gmt_refund");
  if (out.out_trade_no.empty() || out.trade_no.empty()) {
    return refuse(std::move(out), Verdict::kMalformed, "out_trade_no or trade_no missing");
  }
  std::optional<TradeStatus> status = parse_trade_status(field(p, "trade_status"));
  if (!status) return refuse(std::move(out), Verdict::kBadField, "unknown trade_status");
  out.trade_status = *status;
  std::optional<int64_t> total = parse_yuan(field(p, "total_amount"));
  if (!total)
    return refuse(std::move(out), Verdict::kBadField, "total_amount is not a yuan amount");
  out.total_amount_fen = *total;
  if (p.contains("refund_fee")) {
    out.refund_fee_fen = parse_yuan(field(p, "refund_fee"));
    if (!out.refund_fee_fen) {
      return refuse(std::move(out), Verdict::kBadField, "refund_fee is not a yuan amount");
    }
  }
  if (is_refund(out) && (out.out_biz_no.empty() || !out.refund_fee_fen)) {
    return refuse(std::move(out), Verdict::kMalformed, "refund without out_biz_no or refund_fee");
  }
  out.notice = notice_for(out);
  out.verdict = Verdict::kOk;
  return out;
}

}  // namespace

std::optional<TradeStatus> parse_trade_status(std::string_view text) {
  if (text == "WAIT_BUYER_PAY") return TradeStatus::kWaitBuyerPay;
  if (text == "TRADE_SUCCESS") return TradeStatus::kTradeSuccess;
  if (text == "TRADE_FINISHED") return TradeStatus::kTradeFinished;
  if (text == "TRADE_CLOSED") return TradeStatus::kTradeClosed;
  return std::nullopt;
}

std::string_view to_string(TradeStatus status) {
  switch (status) {
    case TradeStatus::kWaitBuyerPay:
      return "WAIT_BUYER_PAY";
    case TradeStatus::kTradeSuccess:
      return "TRADE_SUCCESS";
    case TradeStatus::kTradeFinished:
      return "TRADE_FINISHED";
    case TradeStatus::kTradeClosed:
      return "TRADE_CLOSED";
  }
  return "unknown";
}

Notification parse_notification(std::string_view body, std::string_view expected_app_id,
                                const RsaPublicKey& alipay_public_key) {
  Notification out;
  std::string error;
  std::optional<Params> params = parse_form(body, &error);
  if (!params) return refuse(std::move(out), Verdict::kMalformed, error);
  out.params = std::move(*params);
  if (field(out.params, "sign").empty()) {
    return refuse(std::move(out), Verdict::kNoSignature, "no sign field");
  }
  const std::string_view sign_type = field(out.params, "sign_type");
  if (!sign_type.empty() && sign_type != "RSA2") {
    return refuse(std::move(out), Verdict::kUnsupportedSignType, "sign_type is not RSA2");
  }
  if (!verify_params(out.params, alipay_public_key, SignRule::kV1)) {
    return refuse(std::move(out), Verdict::kBadSignature, "sign does not verify (rule V1)");
  }
  if (field(out.params, "app_id") != expected_app_id) {
    return refuse(std::move(out), Verdict::kWrongAppId, "app_id is not this account's");
  }
  return read_fields(std::move(out));
}

std::string_view notify_answer(const Notification& notification) {
  return notification.verdict == Verdict::kOk ? kNotifyAnswerSuccess : kNotifyAnswerFail;
}

std::string build_notification_body(Params fields, const RsaPrivateKey& alipay_private_key) {
  fields["sign_type"] = "RSA2";
  sign_params(&fields, alipay_private_key, SignRule::kV1);
  return form_encode(fields);
}

}  // namespace oncepay::channels::alipay
