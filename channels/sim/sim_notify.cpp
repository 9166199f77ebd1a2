#include "channels/sim/sim_notify.hpp"

#include "channels/api_answer.hpp"
#include "codec/json.hpp"
#include "core/money.hpp"
#include "core/signature.hpp"

namespace oncepay::channels::sim {

namespace {

NoticeDecision refuse(http::HttpResponse answer) {
  NoticeDecision d;
  d.refusal = std::move(answer);
  return d;
}

NoticeDecision invalid(std::string_view why) {
  return refuse(api_error(core::Code::kInvalidRequest, why));
}

}  // namespace

std::string check_notification(const v1::ChannelNotification& n) {
  if (n.has_currency() && !core::is_currency(n.currency())) {
    return "field \"currency\": must be an ISO 4217 code of three capital letters";
  }
  const int64_t amount = n.amount();
  if (amount >= 0 && amount <= core::kMaxAmountMinor) return {};
  return "field \"amount\": must be from 0 to " + std::to_string(core::kMaxAmountMinor) +
         " minor units, got " + std::to_string(amount);
}

NoticeDecision decode_notification(std::string_view secret, int64_t tolerance_s,
                                   const http::HttpRequest& request, int64_t now_s) {
  auto check = core::verify_header(secret, request.header("x-channel-signature"), request.body,
                                   now_s, tolerance_s);
  if (check != core::SignatureCheck::kOk) {
    return refuse(api_error(401, "invalid_signature",
                            "X-Channel-Signature is " + std::string(core::to_string(check))));
  }
  v1::ChannelNotification body;
  std::string why;
  if (!codec::parse_json(request.body, &body, &why)) return invalid(why);
  if (auto e = check_notification(body); !e.empty()) return invalid(e);
  core::ChannelNotice notice;
  if (body.payment_no().empty() || !core::notice_from_proto(body, &notice)) {
    return invalid("payment_no and a known status are required");
  }
  NoticeDecision d;
  d.notice = std::move(notice);
  return d;
}

http::HttpResponse answer_notification(const NoticeOutcome& outcome) {
  if (!core::is_success(outcome.code)) return outcome.api_answer;
  v1::ChannelAck ack;
  ack.set_code("SUCCESS");
  return json_answer(200, ack);
}

}  // namespace oncepay::channels::sim
