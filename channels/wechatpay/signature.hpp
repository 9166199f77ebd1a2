// WeChat Pay APIv3 signatures: the merchant's request Authorization header
// (A.5), the Wechatpay-* headers of responses and notifications (A.6), and
// the client-side pay parameters of JSAPI and APP (A.1, second table). Both
// directions: the engine signs requests and verifies answers; the channel
// simulator verifies requests and signs answers. docs/channels/PROTOCOLS.md
// A.1, A.5, A.6; vectors wechatpay_authorization_header.json,
// wechatpay_rsa_sha256.json, generated_locally.json (wechatpay_*).
//
// Messages (each line ends in '\n', the last one included):
//   request   METHOD \n CANONICAL_URL \n TIMESTAMP \n NONCE \n BODY \n
//             (URL = path + "?query", no host; BODY = exact bytes, "" for GET)
//   response  TIMESTAMP \n NONCE \n RAW_BODY \n     (204: "ts\nnonce\n\n")
//   JSAPI     appId \n timeStamp \n nonceStr \n package \n  (package = "prepay_id=...")
//   APP       appid \n timestamp \n noncestr \n prepayid \n
// Timestamps are Unix seconds; `now` is always passed in.
//
// Threads and ownership: pure functions over their arguments; PlatformKeys
// is a plain value (build it once, then read it from any number of threads).
//
// Failure modes (checked in this order, the first failure is returned):
// kMissingHeader, kMalformedHeader (timestamp not 1-18 digits, a header
// longer than kMaxHeaderBytes, an Authorization not of the documented
// shape), kUnknownSerial, kBadBase64 / kBadSignature, then kStale. So kStale
// means the signature was genuine but old (a replay or a skewed clock);
// callers reject every result but kOk alike.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/wechatpay/error.hpp"
#include "channels/wechatpay/keys.hpp"

namespace oncepay::channels::wechatpay {

// A.6 "clock": the Go SDK rejects |now - timestamp| >= 300 s.
inline constexpr int64_t kClockWindowSeconds = 300;
// Header values longer than this are kMalformedHeader unparsed (a real
// Authorization is ~500 bytes, a signature 344).
inline constexpr size_t kMaxHeaderBytes = 2048;
// A.5 "header": the scheme of the Authorization header.
inline constexpr std::string_view kAuthScheme = "WECHATPAY2-SHA256-RSA2048";

// ---------------------------------------------------------------- A.5 requests

struct RequestAuth {
  std::string mchid;
  std::string nonce_str;
  int64_t timestamp = 0;  // Unix seconds
  std::string serial_no;  // the merchant certificate's serial (selects the key at WeChat)
  std::string signature;  // base64
};

std::string request_message(std::string_view method, std::string_view canonical_url,
                            int64_t timestamp, std::string_view nonce, std::string_view body);

// `WECHATPAY2-SHA256-RSA2048
// mchid="..",nonce_str="..",timestamp="..",serial_no="..",signature=".."` (the Go SDK's order; the
// server accepts any order).
std::string authorization_header(const RequestAuth& auth);

// Signs the request and returns the Authorization value in *header.
// Fails only with kCryptoFailure.
Error sign_request(const PrivateKey& merchant_key, std::string_view mchid,
                   std::string_view serial_no, std::string_view method,
                   std::string_view canonical_url, int64_t timestamp, std::string_view nonce,
                   std::string_view body, std::string* header);

// Simulator side: parses an Authorization value (scheme, then the five
// key="value" items in any order, each exactly once, separated by ',';
// values hold no '"'). kMissingHeader for an empty value, kMalformedHeader
// otherwise.
Error parse_authorization(std::string_view header, RequestAuth* out);

// Simulator side: verifies a parsed header against the request it came with
// and the merchant's public key (the caller picks the key by auth.mchid and
// auth.serial_no): kBadSignature / kBadBase64, then kStale.
Error verify_request(const RequestAuth& auth, const PublicKey& merchant_key,
                     std::string_view method, std::string_view canonical_url, std::string_view body,
                     int64_t now_unix, int64_t window_seconds = kClockWindowSeconds);

// ---------------------------------------------------------------- A.6 responses

// The raw values of the four Wechatpay-* headers (empty = absent).
struct SignedHeaders {
  std::string timestamp;  // Wechatpay-Timestamp
  std::string nonce;      // Wechatpay-Nonce
  std::string signature;  // Wechatpay-Signature
  std::string serial;     // Wechatpay-Serial
};

// The keys WeChat Pay may sign with, by Wechatpay-Serial: platform
// certificate serials (upper-case hex) and WeChat Pay public key ids
// (`PUB_KEY_ID_...`). During a certificate -> public key migration both are
// configured (A.6 "key").
class PlatformKeys {
 public:
  void add(std::string serial_or_id, PublicKey key);
  // nullptr when no key has this exact serial / id.
  const PublicKey* find(std::string_view serial_or_id) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::vector<std::pair<std::string, PublicKey>> keys_;
};

std::string response_message(std::string_view timestamp, std::string_view nonce,
                             std::string_view body);

// Verifies a response's or notification's headers over the exact body
// bytes. All four headers empty is kUnsigned (A.6: a 2xx without signature
// is forged; the caller treats any kUnsigned answer as unverified); only some
// of them empty is kMissingHeader.
Error verify_signed(const SignedHeaders& headers, std::string_view body, const PlatformKeys& keys,
                    int64_t now_unix, int64_t window_seconds = kClockWindowSeconds);

// Simulator side: the headers for `body` signed with the platform key.
// Fails only with kCryptoFailure.
Error sign_response(const PrivateKey& platform_key, std::string_view serial_or_id,
                    int64_t timestamp, std::string_view nonce, std::string_view body,
                    SignedHeaders* out);

// ---------------------------------------------------------------- A.1 pay params

// What a JSAPI / mini-program page passes to WeixinJSBridge / wx.requestPayment.
struct JsapiPayParams {
  std::string app_id;      // appId
  std::string time_stamp;  // timeStamp, Unix seconds as a string
  std::string nonce_str;   // nonceStr
  std::string package;     // "prepay_id=" + prepay_id
  std::string sign_type;   // "RSA"
  std::string pay_sign;    // paySign, base64 SHA256withRSA of the JSAPI message
};

// Fails only with kCryptoFailure.
Error jsapi_pay_params(const PrivateKey& merchant_key, std::string_view appid, int64_t timestamp,
                       std::string_view nonce, std::string_view prepay_id, JsapiPayParams* out);

// {"appId":..,"timeStamp":..,"nonceStr":..,"package":..,"signType":"RSA","paySign":..}
std::string to_json(const JsapiPayParams& params);

// What an APP passes to the WeChat SDK (PayReq).
struct AppPayParams {
  std::string appid;
  std::string partnerid;  // mchid
  std::string prepayid;
  std::string package;  // "Sign=WXPay"
  std::string noncestr;
  std::string timestamp;
  std::string sign;
};

Error app_pay_params(const PrivateKey& merchant_key, std::string_view appid, std::string_view mchid,
                     int64_t timestamp, std::string_view nonce, std::string_view prepay_id,
                     AppPayParams* out);

}  // namespace oncepay::channels::wechatpay
