// The engine's `wechatpay` channel adapter: the one channel interface
// (channels/channel_actor.hpp) served by WeChat Pay APIv3 (direct merchant),
// or by `oncepay-channel-sim --protocol=wechatpay-v3` (docs/CHANNEL_SIM.md).
// The protocol facts are the protocol part's (channels/wechatpay/*.hpp,
// docs/channels/PROTOCOLS.md part A); this file only sequences them.
//
// Per core::ChannelCall (every call acts for call.merchant_id, with the
// merchant's channels::wechatpay::Account read from the shared
// ChannelAccounts at the call's start):
//   kPrepay   trade_type "" / "native": POST /v3/pay/transactions/native
//             -> code_url (A.1); "jsapi" (payer_openid required):
//             POST /v3/pay/transactions/jsapi -> prepay_id plus the signed
//             client parameters appId, timeStamp, nonceStr, package,
//             signType, paySign (A.1 second table, jsapi_pay_params).
//             notify_url = <public_url>/v1/channels/wechatpay/notify/<merchant_id>.
//   kQuery    GET /v3/pay/transactions/out-trade-no/{no}?mchid= (A.3;
//             trade_state mapping in replies.hpp).
//   kClose    POST .../out-trade-no/{no}/close -> 204 (A.1). A close refused
//             as already paid is followed by one query, so that the reply
//             carries the transaction id and the amount the channel holds.
//   kReverse  the same as kClose: WeChat Pay has no cancel for NATIVE /
//             JSAPI (the endpoints of PROTOCOLS.md A.1 have none), and
//             closing an unpaid prepay is the reversal.
//   kRefund   POST /v3/refund/domestic/refunds, out_refund_no = refund_no,
//             amount.refund = amount_minor, amount.total = total_minor (A.4).
//             notify_url as for prepay (REFUND.* notifications).
//             An answer of status PROCESSING is followed by one refund
//             query (GET /v3/refund/domestic/refunds/{out_refund_no}).
// Amounts are integer fen; only CNY is accepted (A.2).
//
// Refused before any I/O (kRejected, with the reason in detail): no
// wechatpay account for the merchant, a currency other than CNY, an amount
// below 1 fen, a trade_type other than "", "native", "jsapi", jsapi without
// payer_openid, a payment_no or refund_no WeChat does not accept (A.2), a
// subject over 127 characters.
//
// Answers: every answer is verified (signature.hpp verify_signed, the
// account's platform keys by Wechatpay-Serial, 300 s window) before
// replies.hpp maps it; an unverifiable answer is kUnavailable (outcome
// unknown: the engine queries). No retries here: the engine's ladders
// repeat queries and closes; a prepay's unknown outcome makes the attempt
// UNKNOWN.
//
// Guarantees: every call is answered within `timeout` (plus scheduling
// jitter): kUnavailable "no answer within N ms" at the latest. A circuit
// breaker per endpoint (the account's base_url; channels/breaker.hpp
// EndpointBreakers), shared by the pool: `breaker_failures` calls in a row to
// one endpoint without any HTTP answer open its breaker for `breaker_open`;
// while open, calls to it fail fast with kUnavailable "circuit open", and
// merchants on other endpoints are not affected. Health is the worst
// endpoint's state.
//
// Threads and ownership: the constructor and destructor run on a non-actor
// thread (the daemon's main); actor() and the breaker readers from any
// thread. A pool of worker actors (round robin) sends with an asynchronous
// http::HttpClient: the client's callback (an I/O thread) only mails the
// result to the worker, which owns its pending calls. The object must
// outlive the calls made through actor(); the destructor stops the pool and
// the client (calls in flight then get kUnavailable or a broken promise).
// Failure modes: all are replies (above); key material never reaches a
// detail or a log.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "channels/accounts.hpp"
#include "channels/channel_actor.hpp"

namespace oncepay::channels::wechatpay {

inline constexpr std::string_view kChannelName = "wechatpay";
// A.1: description is at most 127 characters.
inline constexpr size_t kMaxDescriptionChars = 127;

struct WechatPayChannelOptions {
  std::chrono::milliseconds timeout{5000};       // one call, follow-up request included
  size_t workers = 2;                            // worker actors in the pool
  int io_threads = 1;                            // HttpClient threads
  int breaker_failures = 5;                      // calls in a row without an HTTP answer
  std::chrono::milliseconds breaker_open{5000};  // open -> half-open
  std::string tls_ca_file;  // further CAs for https base URLs ("" = system store)
};

// Empty when usable, else what is wrong ("timeout must be positive").
std::string validate(const WechatPayChannelOptions& options);

class WechatPayChannel {
 public:
  // `public_url`: the daemon's http.public-url without a trailing '/'.
  // validate(options) must be empty (ONCEPAY_CHECK).
  WechatPayChannel(caf::actor_system& system, WechatPayChannelOptions options,
                   std::shared_ptr<ChannelAccounts> accounts, std::string public_url);
  ~WechatPayChannel();

  WechatPayChannel(const WechatPayChannel&) = delete;
  WechatPayChannel& operator=(const WechatPayChannel&) = delete;

  channel_actor actor() const { return pool_; }

  // "closed", "open" or "half-open" (/readyz, /metrics).
  std::string breaker_state() const;
  uint64_t breaker_opened_total() const;

  struct Shared;  // options, accounts, client, breaker: outlives the workers

 private:
  std::shared_ptr<Shared> shared_;
  channel_actor pool_;
};

}  // namespace oncepay::channels::wechatpay
