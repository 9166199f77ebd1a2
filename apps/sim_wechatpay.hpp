// The WeChat Pay APIv3 front of `oncepay-channel-sim --protocol=wechatpay-v3`
// (apps/sim_front.hpp): the simulator plays api.mch.weixin.qq.com for one
// direct merchant (mchid) on the shared wallet model. Protocol facts:
// docs/channels/PROTOCOLS.md part A; the encodings are the protocol part's
// (channels/wechatpay/), never re-implemented here.
//
// Routes (A.1), every one verified first: the Authorization header
// (WECHATPAY2-SHA256-RSA2048, A.5) must parse, name this mchid and verify
// with the merchant's public key within 300 s, else 401 SIGN_ERROR (A.8):
//   POST /v3/pay/transactions/native          -> 200 {"code_url"}
//   POST /v3/pay/transactions/jsapi           -> 200 {"prepay_id"}
//   GET  /v3/pay/transactions/out-trade-no/{no}?mchid=  -> 200 Transaction (A.3)
//   POST /v3/pay/transactions/out-trade-no/{no}/close   -> 204
//   POST /v3/refund/domestic/refunds          -> 200 Refund (A.4), status SUCCESS
//   GET  /v3/refund/domestic/refunds/{out_refund_no}    -> 200 Refund
//   GET  /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL
//        -> 200 {"hash_type":"SHA1","hash_value","download_url"}
//   GET  /v3/billdownload/file?token=...      -> the ALL CSV (C.1), unsigned
// Every other answer (errors included) is signed with the platform private
// key: Wechatpay-Timestamp / -Nonce / -Signature / -Serial (the platform
// public key id, `PUB_KEY_ID_...`), A.6. Errors are {"code","message"}
// (A.8): 400 PARAM_ERROR / INVALID_REQUEST / ORDERPAID / ORDER_CLOSED /
// MCH_NOT_EXISTS, 404 ORDER_NOT_EXIST / RESOURCE_NOT_EXISTS, 500
// SYSTEM_ERROR (an injected fault; a prepay's took effect).
//
// Notifications (A.7): the model's SUCCESS as TRANSACTION.SUCCESS, its
// REFUND_SUCCESS as REFUND.SUCCESS (REFUND_FAILED as REFUND.ABNORMAL), the
// resource AEAD_AES_256_GCM-encrypted with the APIv3 key, the body signed
// like an answer; POSTed to the notify_url of the prepay (refund) request.
// A failed payment sends none (basic payments notify success only, A.7).
// Acknowledged by 200 or 204 only (notify_acknowledged).
//
// Threads and ownership: see SimFront. The front's tables (what each prepay
// and refund carried, bill download tokens) are guarded by one mutex; the
// keys are immutable after construction.
//
// Failure modes: load_wechatpay_keys returns false with an error that names
// the file and what is wrong, never key bytes. Requests never abort.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "apps/sim_front.hpp"
#include "channels/wechatpay/keys.hpp"
#include "channels/wechatpay/signature.hpp"

namespace oncepay::apps {

// Bill download tokens kept; older ones are forgotten (404).
inline constexpr size_t kMaxWechatpayBills = 64;
// Prepay and refund records the front keeps (beyond: the oldest are dropped,
// and their notifications go to SimServerOptions::notify_url).
inline constexpr size_t kMaxWechatpayRecords = 1'000'000;

struct WechatpayKeyFiles {
  std::string merchant_public_key_file;  // verifies requests
  std::string platform_private_key_file;
  std::string apiv3_key_file;  // exactly 32 bytes (a trailing newline is dropped)
};

struct WechatpayFrontOptions {
  std::string mchid;
  channels::wechatpay::PublicKey merchant_public_key;
  channels::wechatpay::PrivateKey platform_private_key;
  std::string platform_public_key_id;  // Wechatpay-Serial, "PUB_KEY_ID_..."
  std::string apiv3_key;               // 32 bytes
  int64_t signature_window_s = channels::wechatpay::kClockWindowSeconds;
};

// Loads the three files into *options (mchid and key id are the caller's).
bool load_wechatpay_keys(const WechatpayKeyFiles& files, WechatpayFrontOptions* options,
                         std::string* error);

class WechatpayFront final : public SimFront {
 public:
  // mchid digits, key id non-empty, keys loaded, apiv3_key 32 bytes
  // (ONCEPAY_CHECK: the command line validates them first).
  explicit WechatpayFront(WechatpayFrontOptions options);
  ~WechatpayFront() override;

  bool owns(const http::HttpRequest& request) const override;
  http::HttpResponse handle_channel_request(const http::HttpRequest& request,
                                            SimCore& core) override;
  std::optional<WireNotification> encode_notification(
      const v1::ChannelNotification& notification) override;
  bool is_acknowledged(int status, std::string_view body) const override;
  bool carries_notify_url() const override { return true; }

  struct Tables;  // what prepay / refund requests carried (sim_wechatpay.cpp)

 private:
  http::HttpResponse route(const http::HttpRequest& request, SimCore& core);
  http::HttpResponse prepay(const http::HttpRequest& request, SimCore& core, bool jsapi);
  http::HttpResponse query(const http::HttpRequest& request, SimCore& core);
  http::HttpResponse close(const http::HttpRequest& request, SimCore& core);
  http::HttpResponse refund(const http::HttpRequest& request, SimCore& core);
  http::HttpResponse refund_query(const http::HttpRequest& request, SimCore& core);
  http::HttpResponse tradebill(const http::HttpRequest& request, SimCore& core);
  http::HttpResponse download(const http::HttpRequest& request);
  // The answer with its Wechatpay-* signature headers.
  http::HttpResponse signed_answer(int status, std::string body) const;
  http::HttpResponse error(int status, std::string_view code, std::string_view message) const;

  const WechatpayFrontOptions options_;
  std::mutex mutex_;
  std::unique_ptr<Tables> tables_;  // guarded by mutex_
};

}  // namespace oncepay::apps
