// The engine's `alipay` channel adapter: the one channel interface
// (channels/channel_actor.hpp) served by the Alipay OpenAPI gateway
// (docs/channels/PROTOCOLS.md part B), for every merchant with an Alipay
// account (channels/alipay/account.hpp, PUT /admin/merchants/{id}/channels/alipay).
// The protocol part of this folder builds, signs, verifies and reads every
// message; this file only moves them.
//
// Calls (core::ChannelCall -> gateway method, B.2):
//   kPrepay, trade_type "" / "precreate" -> alipay.trade.precreate: qr_code
//   kPrepay, trade_type "page" / "wap"   -> no call: pay_url = the signed GET
//     URL of alipay.trade.page.pay / wap.pay (the trade exists at Alipay only
//     once the payer opens it, B.3; until then a query answers
//     ACQ.TRADE_NOT_EXIST, read as "not paid yet")
//   kPrepay, any other trade_type, a currency other than CNY, an amount out
//     of (0, kMaxAmountFen] (B.1 "amounts") or a payment_no that is no
//     out_trade_no (B.1)                 -> kRejected, no call
//   kQuery   -> alipay.trade.query
//   kClose   -> alipay.trade.close (a trade Alipay never created: kOk)
//   kReverse -> alipay.trade.cancel (action close -> kOk state kClosed;
//     action refund -> kOk state kRefund: the money went back, the attempt
//     is reversed)
//   kRefund  -> alipay.trade.refund with out_request_no = refund_no;
//     fund_change Y -> kOk; N -> alipay.trade.fastpay.refund.query decides
//     (REFUND_SUCCESS -> kOk, else kUnavailable)
// Answers are mapped by read_reply (alipay_methods.hpp, the table there).
// The notify_url sent with prepay and refund calls is
// merchant_notify_url (channels/registry.hpp) (alipay_plugin.hpp
// decodes it).
//
// Each call uses the account of call.merchant_id, read when the call starts
// (an account replaced meanwhile does not change a call in flight).
//
// Threads and ownership: the constructor and destructor from a non-actor
// thread (the daemon's main); actor() and health from any thread. A pool of
// workers (round robin) never blocks: a worker sends the request with the
// asynchronous http::HttpClient (https for Alipay, http to a loopback
// simulator), keeps the response promise, and answers when the client's
// callback (on an I/O thread) hands it the result as a message. The object
// must outlive the calls made through actor(); the destructor stops the pool
// and the client.
//
// Failure modes:
// - no account for the merchant, or a call the protocol cannot express:
//   kRejected with a detail, nothing sent;
// - every call is answered within `timeout` (a bounded wait: the worker arms
//   a deadline message per call): no answer in time, a connect error, an HTTP
//   status other than 200, an answer whose signature does not verify under
//   the account's Alipay public key (B.1 "response sign") or that cannot be
//   read: kUnavailable, outcome unknown (the engine queries);
// - nothing is retried here: the engine's ladders re-ask, and a prepay is
//   never repeated blindly;
// - a circuit breaker per endpoint (the account's base_url;
//   channels/breaker.hpp EndpointBreakers): `breaker_failures` calls in a
//   row to one endpoint without an HTTP answer open its breaker; while open,
//   calls to it fail fast with kUnavailable "circuit open" (merchants on
//   other endpoints are not affected); after `breaker_open` one probe is let
//   through. Health is the worst endpoint's state.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "channels/accounts.hpp"
#include "channels/channel_actor.hpp"

namespace oncepay::channels::alipay {

struct AlipayChannelOptions {
  std::string name = "alipay";
  std::shared_ptr<ChannelAccounts> accounts;  // required
  std::string public_url;                     // http.public-url, no trailing '/'
  std::chrono::milliseconds timeout{5000};    // whole call (both requests of a refund)
  size_t workers = 2;                         // channel actors in the pool
  int io_threads = 1;                         // HttpClient threads
  int breaker_failures = 5;                   // calls in a row without an answer
  std::chrono::milliseconds breaker_open{5000};
  // time_expire of a pay order (B.2): the QR code / cashier dies then, so a
  // late scan cannot pay an attempt the engine has given up on.
  std::chrono::milliseconds pay_expire{std::chrono::minutes(30)};
  std::string tls_ca_file;  // further CA certificates for https (empty: system store)
};

// Empty when usable, else what is wrong ("timeout must be positive").
std::string validate(const AlipayChannelOptions& options);

class AlipayChannel {
 public:
  // Checks validate(options) (a programmer error to pass invalid ones).
  AlipayChannel(caf::actor_system& system, AlipayChannelOptions options);
  ~AlipayChannel();

  AlipayChannel(const AlipayChannel&) = delete;
  AlipayChannel& operator=(const AlipayChannel&) = delete;

  channel_actor actor() const { return pool_; }

  // "closed", "open" or "half-open".
  std::string breaker_state() const;
  uint64_t breaker_opened_total() const;

  struct Shared;  // options, client, breaker: outlives the workers

 private:
  std::shared_ptr<Shared> shared_;
  channel_actor pool_;
};

}  // namespace oncepay::channels::alipay
