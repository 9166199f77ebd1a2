// The `wechatpay` channel as a plug-in (docs/CHANNELS.md "wechatpay"): its
// daemon options (wechatpay.*), the merchants' account parser
// (account.hpp), the adapter (wechatpay_actor.hpp), the notification
// half of its registry entry, and its daily statements (statements.hpp).
//
// Notifications: POST /v1/channels/wechatpay/notify/{merchant_id} (the
// notify_url the adapter sends). decode_wechatpay_notice, in order:
//   1. the path names a merchant (the bare /v1/channels/wechatpay/notify is
//      404 {"code":"FAIL"}) that has a wechatpay account (else 404);
//   2. the merchant's account decodes it (notification.hpp
//      decode_notification: the Wechatpay-* signature over the raw body with
//      the account's platform key chosen by Wechatpay-Serial, |now - ts| <
//      300 s (A.6), the resource decrypted with the account's APIv3 key (A.7));
//      a failure is notify_answer_for(error) (401 for signatures);
//   3. the plaintext belongs to that account: a transaction's mchid (and
//      appid, when present) and a refund's mchid (when present) must be the
//      account's, else 401 (a notification for another merchant);
//   4. to_channel_notice: TRANSACTION.SUCCESS and REFUND.SUCCESS / ABNORMAL
//      / CLOSED become the engine's notice; any other event is answered 204
//      and applies nothing (WeChat would resend it forever otherwise).
// The engine then binds the notice to its attempt (channel, amount,
// currency; core/decide/notice.cpp). answer_wechatpay_notice: 204 with an
// empty body once the engine says the result is durable, else a 4xx/5xx
// {"code":"FAIL","message":...} (A.7): WeChat resends until a 2xx.
//
// Threads: registration and options on the daemon's main thread at startup;
// the decoder and the answer builder on gateway threads (pure but for the
// accounts' reads); health from any thread.
// Failure modes: load() refuses bad options with a sentence naming the key;
// register_wechatpay returns null with *error when the registry refuses.
#pragma once

#include <caf/all.hpp>
#include <memory>
#include <string>

#include "channels/accounts.hpp"
#include "channels/notice.hpp"
#include "channels/plugin.hpp"
#include "channels/registry.hpp"
#include "channels/wechatpay/wechatpay_actor.hpp"

namespace oncepay::channels::wechatpay {

// Steps 1-4 above for one request; now_s is Unix seconds.
NoticeDecision decode_wechatpay_notice(const ChannelAccounts& accounts,
                                       const http::HttpRequest& request, int64_t now_s);

// 204 for a success, else {"code":"FAIL","message":<the engine's code>}.
http::HttpResponse answer_wechatpay_notice(const NoticeOutcome& outcome);

// Registers the account parser, starts the adapter and adds the registry
// entry (which owns the adapter); the pointer lives as long as the registry.
WechatPayChannel* register_wechatpay(ChannelRegistry& registry, const InstallContext& context,
                                     WechatPayChannelOptions options, std::string* error);

// The daemon's options: wechatpay.enabled, .timeout, .breaker-failures,
// .breaker-open, .tls-ca-file.
const ChannelPlugin& plugin();

}  // namespace oncepay::channels::wechatpay
