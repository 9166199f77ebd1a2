// What a channel's notification handling gives the gateway, and gets back:
// the types of the notify half of a channels::ChannelRegistry entry. No CAF:
// a channel's protocol part (which the simulator and the fuzzers link)
// implements its decoder and its answer builder with these alone.
//
// The gateway's route POST /v1/channels/{channel}/notify hands the raw
// request to the channel's decoder; a decoded notice goes to the engine, and
// the engine's outcome back through the channel's answer builder, because
// every channel wants its own acknowledgement (the simulator and the sandbox
// {"code":"SUCCESS"}; WeChat Pay 204 or {"code":"FAIL"}; Alipay plain text
// "success" / "fail").
//
// Threads: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/codes.hpp"
#include "core/order_decide.hpp"
#include "http/http_types.hpp"

namespace oncepay::channels {

// A decoder's verdict on one notification request: the notice for the
// engine, or the answer to send instead (the engine never sees it).
struct NoticeDecision {
  std::optional<core::ChannelNotice> notice;  // set: hand it to the engine
  http::HttpResponse refusal;                 // used when notice is empty
};

// The engine's outcome for a decoded notice.
struct NoticeOutcome {
  core::Code code = core::Code::kOk;
  // The gateway's rendering of the outcome in the API.md error shape (with
  // its payment_no and Retry-After extras) when code is not a success; a
  // channel whose callers speak that shape returns it unchanged.
  http::HttpResponse api_answer;
};

// The health of a network channel's adapter: its circuit breaker, for
// /readyz (detail) and /metrics.
struct ChannelHealth {
  std::string channel;
  std::string breaker;  // "closed" | "open" | "half-open"
  uint64_t breaker_opened_total = 0;
};

}  // namespace oncepay::channels
