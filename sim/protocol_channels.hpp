// The two real payment protocols as the fault simulation's channels speak
// them (docs/SIMULATION.md "What the simulated channels speak"): "wallet"
// speaks WeChat Pay API v3 and "bank" speaks Alipay OpenAPI, end to end
// through the channels' protocol parts (channels/wechatpay/, channels/alipay/;
// protocol facts in docs/channels/PROTOCOLS.md parts A and B). Nothing here
// re-implements an encoding: every body, signature, ciphertext and mapping is
// the protocol part's.
//
// For one engine call (call()):
//   engine side   core::ChannelCall -> the protocol's signed request, as the
//                 engine's adapter builds it (sign_request / prepay_body ...;
//                 build_request_body / pay_biz_content ...);
//   channel side  `send` (the simulation's channel) verifies and parses the
//                 request with the simulator-side parsers, applies it to its
//                 channels::ChannelModel (serve()) and signs the answer;
//   engine side   verifies the answer and maps it with the protocol part's
//                 reply mapping (replies.hpp; alipay_methods read_reply) into
//                 the core::ChannelReply the engine gets.
// For one notification: encode_notification() signs (WeChat: and AEAD-
// encrypts) it with the channel's key, or with a forger's wrong key;
// decode_notification() verifies / decrypts / decodes it into the
// core::ChannelNotice the engine is given, or refuses it.
//
// Time: every timestamp (signatures, create_time, notify_time) is the
// caller's `now_ms` (the simulation's deterministic wall clock, Unix ms), and
// nonces come from a counter, so a run is reproducible.
//
// Threads and ownership: a ProtocolChannel is used by the simulation's one
// thread; it owns its keys (loaded once from sim_keys()) and the few tables a
// real channel keeps (WeChat: refund ids).
//
// Failure modes: a request or notification that does not verify or parse is
// answered / refused in the protocol's own way (a 401 SIGN_ERROR, an Alipay
// 40002, a refused notification with *error naming the protocol error);
// keys that do not load are a programmer error (ONCEPAY_CHECK): they are
// generated from the checked-in vector set.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/sim/channel_model.hpp"
#include "core/channel_call.hpp"
#include "core/order_decide.hpp"
#include "oncepay.pb.h"

namespace oncepay::sim {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request as it goes on the wire (target: path and query, no host).
struct WireRequest {
  std::string label;  // for the trace: "GET /v3/pay/...", "alipay.trade.query"
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
};

struct WireAnswer {
  int status = 0;
  Headers headers;
  std::string body;
};

// One notification delivery (a POST to the merchant's notify_url).
struct WireNotice {
  Headers headers;
  std::string body;
};

// What the channel held when it queued a notification, for the fields the
// protocols carry beyond v1::ChannelNotification (amounts in fen).
struct NoticeFacts {
  int64_t payment_amount_minor = 0;  // the payment's total
  int64_t refunded_minor = 0;        // cumulative refunded (Alipay refund_fee)
};

enum class Signer : uint8_t {
  kChannel,  // the channel's own key
  kForger,   // another RSA key (and, for WeChat, the right APIv3 key)
};

class ProtocolChannel {
 public:
  virtual ~ProtocolChannel() = default;
  // "wechatpay-v3" / "alipay".
  virtual std::string_view protocol() const = 0;

  // The channel side of one request: the answer the channel sends back.
  using Send = std::function<WireAnswer(const WireRequest&)>;
  // One engine call, engine side: build, send (zero or more times: Alipay
  // confirms a refund that moved no money with fastpay.refund.query),
  // verify and map.
  virtual core::ChannelReply call(const core::ChannelCall& call, int64_t now_ms,
                                  const Send& send) = 0;
  // The channel side: verify, parse, apply to `model`, answer signed.
  virtual WireAnswer serve(channels::ChannelModel& model, const WireRequest& request,
                           int64_t now_ms) = 0;

  // Whether the protocol sends a notification of this status at all.
  virtual bool sends(v1::ChannelNotification::Status status) const = 0;
  // nullopt: the protocol sends no such notification (neither sends one for
  // a failed payment: PROTOCOLS.md A.7, B.4).
  virtual std::optional<WireNotice> encode_notification(const v1::ChannelNotification& n,
                                                        const NoticeFacts& facts, Signer signer,
                                                        int64_t now_ms) = 0;
  // False (with *error) when the protocol's decoder refuses it: the engine
  // never sees it. True with *notice empty: verified, but nothing for the
  // core (acknowledged, applied to nothing).
  virtual bool decode_notification(const WireNotice& wire, int64_t now_ms,
                                   std::optional<core::ChannelNotice>* notice,
                                   std::string* error) = 0;
};

// "wallet": WeChat Pay API v3 (one direct merchant, NATIVE prepay).
std::unique_ptr<ProtocolChannel> make_wechatpay_channel();
// "bank": Alipay OpenAPI (precreate, RSA2).
std::unique_ptr<ProtocolChannel> make_alipay_channel();

}  // namespace oncepay::sim
