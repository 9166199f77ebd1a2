// Alipay's asynchronous trade notification (notify_url), B.4 of
// docs/channels/PROTOCOLS.md: a POST application/x-www-form-urlencoded body
// whose fields are URL-decoded, then checked with rule V1 (sign AND sign_type
// removed, empty values dropped, sorted, k=v&...) under Alipay's public key
// (AJ AlipaySignature.rsaCheckV1; proven by the real production notify in
// vectors/alipay_rsa2_signatures.json, which verifies only under V1).
//
// What a verified notification means (B.3, B.4 "merchant checks"):
//   trade_status    refund fields*   -> core::ChannelNotice
//   TRADE_SUCCESS   absent           -> kSuccess, amount = total_amount
//   TRADE_FINISHED  absent           -> kSuccess, amount = total_amount
//   TRADE_SUCCESS / TRADE_FINISHED / TRADE_CLOSED
//                   present          -> kRefundSuccess, refund_no =
//                                       out_biz_no, amount = refund_fee
//                                       (CUMULATIVE refunded total, B.4)
//   TRADE_CLOSED    absent           -> none: closed unpaid (timeout/close)
//   WAIT_BUYER_PAY  absent           -> none: not paid yet
//   anything else                    -> refused (kBadField)
// (*) out_biz_no or gmt_refund present: Alipay sends partial refunds with
// trade_status TRADE_SUCCESS and a full refund with TRADE_CLOSED, both with
// refund_fee / gmt_refund / out_biz_no (B.4 business fields;
// generated_locally.json alipay_async_notify "TRADE_CLOSED after full
// refund"). payment_no = out_trade_no; channel_trade_no = trade_no;
// currency "CNY" (total_amount is yuan, B.1).
//
// The merchant's answer (B.4 "required answer"): exactly `success` once the
// notification is verified and handed on (even when it maps to no notice),
// anything else (`fail`) makes Alipay re-send on its schedule.
//
// Threads and ownership: pure functions, any thread; keys passed in.
//
// Failure modes: values. Nothing is trusted before the signature checks;
// detail strings name fields, never values of keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_params.hpp"
#include "core/order_decide.hpp"

namespace oncepay::channels::alipay {

inline constexpr std::string_view kNotifyAnswerSuccess = "success";
inline constexpr std::string_view kNotifyAnswerFail = "fail";

enum class TradeStatus : uint8_t { kWaitBuyerPay, kTradeSuccess, kTradeFinished, kTradeClosed };
// "WAIT_BUYER_PAY" ... (B.3); nullopt for any other text.
std::optional<TradeStatus> parse_trade_status(std::string_view text);
std::string_view to_string(TradeStatus status);

struct Notification {
  Verdict verdict = Verdict::kMalformed;
  std::string detail;
  Params params;  // decoded fields (filled once the body parsed)
  // Filled when verdict is kOk:
  TradeStatus trade_status = TradeStatus::kWaitBuyerPay;
  std::string notify_id;  // the same across re-sends of one notification
  std::string out_trade_no;
  std::string trade_no;
  int64_t total_amount_fen = 0;
  std::optional<int64_t> refund_fee_fen;  // cumulative refunded, when present
  std::string out_biz_no;                 // refund request no. (our refund_no)
  std::string gmt_refund;
  // What the core is told; nullopt when nothing (not paid / closed unpaid).
  std::optional<core::ChannelNotice> notice;
};

// Parses `body` (parse_form), then in order: sign present (kNoSignature),
// sign_type absent or RSA2 (kUnsupportedSignType), the V1 signature under
// Alipay's public key (kBadSignature), app_id == expected_app_id
// (kWrongAppId), out_trade_no / trade_no / trade_status / total_amount
// present and well-formed, refund_fee well-formed (kMalformed / kBadField).
// notice.channel is left empty (the shell sets it).
Notification parse_notification(std::string_view body, std::string_view expected_app_id,
                                const RsaPublicKey& alipay_public_key);

// The plain-text answer for a parsed notification: "success" for kOk,
// "fail" otherwise.
std::string_view notify_answer(const Notification& notification);

// Simulator side: the form body of a notification carrying `fields` plus
// sign_type=RSA2 and the V1 sign under Alipay's private key.
std::string build_notification_body(Params fields, const RsaPrivateKey& alipay_private_key);

}  // namespace oncepay::channels::alipay
