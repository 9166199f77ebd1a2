// The notifications of the simulator's wire (docs/CHANNEL_SIM.md
// "Notifications"), which the built-in sandbox sends too: how the gateway's
// POST /v1/channels/{name}/notify reads them and what it answers. The
// decoder and answer builder of the `sim` and `sandbox` registry entries
// (channels/registry.hpp).
//
// Wire: a JSON v1::ChannelNotification body (strict: unknown fields are
// refused), signed in `X-Channel-Signature` over the body (core/signature.hpp,
// HMAC-SHA256 with the channel's secret, `tolerance_s` seconds of clock skew).
// Answers (docs/API.md "Channel callbacks"): 200 {"code":"SUCCESS"} once the
// engine recorded it; 401 invalid_signature; 400 invalid_request; an engine
// refusal in the API.md error shape.
//
// Threads: pure functions (time comes in as now_s).
// Failure modes: every refusal is a NoticeDecision without a notice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "channels/notice.hpp"
#include "http/http_types.hpp"
#include "oncepay.pb.h"

namespace oncepay::channels::sim {

// The body's own fields: amount 0..core::kMaxAmountMinor (a PAYERROR may
// carry 0; the sandbox and the simulator send the payment's amount), the
// currency, when present, an ISO-4217 code. Empty when acceptable, else the
// sentence of the 400.
std::string check_notification(const v1::ChannelNotification& notification);

// Verifies and decodes one notification request.
NoticeDecision decode_notification(std::string_view secret, int64_t tolerance_s,
                                   const http::HttpRequest& request, int64_t now_s);

// 200 {"code":"SUCCESS"} for a success, else the API.md error answer.
http::HttpResponse answer_notification(const NoticeOutcome& outcome);

}  // namespace oncepay::channels::sim
