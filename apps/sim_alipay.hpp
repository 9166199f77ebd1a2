// The Alipay OpenAPI front of `oncepay-channel-sim --protocol=alipay`
// (apps/sim_front.hpp): the simulator plays openapi.alipay.com/gateway.do
// for one app (app_id) on the shared wallet model. Protocol facts:
// docs/channels/PROTOCOLS.md part B; the encodings are the protocol part's
// (channels/alipay/), never re-implemented here.
//
// Routes:
//   POST /gateway.do (common parameters in the query string and/or the form
//   body, B.1) and GET /gateway.do?... (page/wap pay, the URL the buyer's
//   browser opens), dispatching on `method` (B.2):
//     alipay.trade.precreate            -> qr_code (the trade does not exist
//                                          yet: query/close/refund answer
//                                          40004 ACQ.TRADE_NOT_EXIST until the
//                                          payer scans, B.3)
//     alipay.trade.page.pay / wap.pay   -> a cashier page (text/html); the
//                                          trade exists from then on
//     alipay.trade.query / close / cancel (action close|refund) / refund
//     (out_request_no, fund_change) / fastpay.refund.query
//     alipay.data.dataservice.bill.downloadurl.query -> bill_download_url
//   GET /alipay/bill/download?token=..&fileType=csv.zip -> the 业务明细 zip
//   (C.2), unsigned (the URL is the credential, B.2: valid 30 s at Alipay;
//   here the last kMaxAlipayBills stay valid).
// A payer acting through /sandbox (pay, fail) counts as the scan.
//
// Every request is verified first (parse_gateway_request: sign present,
// sign_type RSA2, app_id, the V2 signature with the app public key); a
// refused one is answered 40001 / 40002 with sub_code isv.missing-signature,
// isv.invalid-signature, isv.invalid-signature-type, isv.invalid-app-id,
// isv.missing-parameter or isv.invalid-parameter (B.5). Every JSON answer is
// `{"<method>_response":{...},"sign":...}` signed with the Alipay platform
// private key over the exact `_response` text (build_signed_response);
// amounts are yuan strings (alipay_amount).
//
// Notifications (B.4): the model's SUCCESS as trade_status TRADE_SUCCESS,
// its REFUND_SUCCESS as TRADE_SUCCESS (partial) or TRADE_CLOSED (full) with
// refund_fee (cumulative), out_biz_no and gmt_refund; form-urlencoded, V1
// signed, POSTed to the request's notify_url; acknowledged only by a 2xx
// whose body is exactly `success`. A failed payment sends none.
//
// Threads and ownership: see SimFront; the front's tables are guarded by one
// mutex, the keys are immutable after construction.
//
// Failure modes: load_alipay_keys returns false with an error naming the
// file, never key bytes. Requests never abort.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/sim_front.hpp"
#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_params.hpp"

namespace oncepay::apps {

inline constexpr size_t kMaxAlipayBills = 64;

// Alipay's notification schedule (B.4): 4m, 10m, 10m, 1h, 2h, 6h, 15h after
// the first delivery (8 deliveries in about 25 h). The command line uses it
// for --protocol=alipay unless --notify-retry is given.
std::vector<int64_t> alipay_notify_retry_ms();
inline constexpr size_t kMaxAlipayRecords = 1'000'000;

struct AlipayKeyFiles {
  std::string app_public_key_file;        // verifies requests
  std::string platform_private_key_file;  // signs answers and notifications
};

struct AlipayFrontOptions {
  std::string app_id;
  std::optional<channels::alipay::RsaPublicKey> app_public_key;
  std::optional<channels::alipay::RsaPrivateKey> platform_private_key;
  // 账号 of the bill and seller_id of notifications; empty: app_id.
  std::string account_id;
};

bool load_alipay_keys(const AlipayKeyFiles& files, AlipayFrontOptions* options, std::string* error);

class AlipayFront final : public SimFront {
 public:
  // app_id non-empty, both keys loaded (ONCEPAY_CHECK).
  explicit AlipayFront(AlipayFrontOptions options);
  ~AlipayFront() override;

  bool owns(const http::HttpRequest& request) const override;
  http::HttpResponse handle_channel_request(const http::HttpRequest& request,
                                            SimCore& core) override;
  void payer_touched(std::string_view payment_no) override;
  std::optional<WireNotification> encode_notification(
      const v1::ChannelNotification& notification) override;
  bool is_acknowledged(int status, std::string_view body) const override;
  bool carries_notify_url() const override { return true; }

  struct Tables;
  struct Call;  // one verified gateway request being answered

 private:
  http::HttpResponse dispatch(Call& call, SimCore& core);
  http::HttpResponse create(Call& call, SimCore& core, bool page);
  http::HttpResponse query(Call& call, SimCore& core);
  http::HttpResponse close(Call& call, SimCore& core);
  http::HttpResponse cancel(Call& call, SimCore& core);
  http::HttpResponse refund(Call& call, SimCore& core);
  http::HttpResponse refund_query(Call& call, SimCore& core);
  http::HttpResponse bill_url(Call& call, SimCore& core);
  http::HttpResponse download(const http::HttpRequest& request);
  http::HttpResponse answer(std::string_view method, const std::string& content) const;

  const AlipayFrontOptions options_;
  std::mutex mutex_;
  std::unique_ptr<Tables> tables_;  // guarded by mutex_
};

}  // namespace oncepay::apps
