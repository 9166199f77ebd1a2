// The `alipay` channel as a plug-in: its registry entry (the adapter of
// alipay_actor.hpp, notifications of docs/channels/PROTOCOLS.md B.4 verified
// with the merchant's account, its circuit breaker as health, its daily
// statements of statements.hpp) and its daemon
// options (alipay.*: the channel is on when alipay.enabled is true).
//
// Notifications: POST /v1/channels/alipay/notify/{merchant_id} (the
// notify_url the adapter sends, built from http.public-url). The decoder
// (decode_alipay_notice) takes the merchant id from the path, the account
// from the ChannelAccounts, and then:
//   no merchant in the path, or no alipay account  -> 404 `fail`
//   not a form / a field malformed (B.4)           -> 400 `fail`
//   sign absent, not RSA2 or not verifying under
//   the account's Alipay public key (V1, B.4)      -> 401 `fail`
//   app_id not the account's (a misrouted one)     -> 401 `fail`
//   notify_time missing, or further than
//   notify_tolerance_s from now                    -> 401 `fail`
//   verified, nothing to record (WAIT_BUYER_PAY,
//   TRADE_CLOSED unpaid: B.3)                      -> 200 `success`
//   verified refund (refund_fee, out_biz_no)       -> 200 `success`, no notice:
//     refund_fee is the trade's cumulative refunded total (B.4 business
//     fields), not the refund's own amount that the engine binds refund
//     results to (core/decide/notice.cpp; a second partial refund would read
//     as an amount mismatch); the refund call's answer (fund_change Y, or
//     fastpay.refund.query) settles refunds instead
//   verified TRADE_SUCCESS / TRADE_FINISHED        -> the notice to the engine
// The answer to a notice (answer_alipay_notice): 200 text/plain `success`
// once the engine says the result is durable; otherwise `fail` with the
// engine's 4xx/5xx status (404 unknown payment, 503 not durable yet, 400 for
// any other refusal such as an amount that does not match), never 200: B.4
// makes Alipay re-send on anything but the exact body `success`, and a
// non-2xx status keeps our logs and metrics honest about the refusal.
// notify_time is checked because every delivery is signed afresh with its
// own notify_time (B.4 common fields): an old captured body replayed later
// is refused; a replay inside the window reaches the engine, which answers
// a repeat the same way and changes nothing.
//
// Threads: registration and options on the daemon's main thread at start;
// decode/answer on gateway threads (pure, reading the shared accounts);
// health from any thread.
// Failure modes: register_alipay returns null with *error when the registry
// refuses the entry; load() refuses invalid options with a sentence naming
// the key.
#pragma once

#include <caf/all.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "channels/accounts.hpp"
#include "channels/alipay/alipay_actor.hpp"
#include "channels/notice.hpp"
#include "channels/plugin.hpp"
#include "channels/registry.hpp"

namespace oncepay::channels::alipay {

// Default notify_time window, both ways (clock skew plus delivery time).
inline constexpr int64_t kNotifyToleranceS = 600;

// Decodes one notification request (see above); now_s is Unix seconds.
NoticeDecision decode_alipay_notice(const ChannelAccounts& accounts, std::string_view channel,
                                    int64_t tolerance_s, const http::HttpRequest& request,
                                    int64_t now_s);

// 200 `success` for a durable success, else `fail` (see above).
http::HttpResponse answer_alipay_notice(const NoticeOutcome& outcome);

// Starts the adapter (validate(options) must be empty), registers the
// account parser and adds the entry; the pointer lives as long as the
// registry.
AlipayChannel* register_alipay(ChannelRegistry& registry, caf::actor_system& system,
                               AlipayChannelOptions options, int64_t notify_tolerance_s,
                               std::string* error);

// alipay.enabled, .timeout, .breaker-failures, .breaker-open,
// .notify-tolerance.
const ChannelPlugin& plugin();

}  // namespace oncepay::channels::alipay
