// Requests to the Alipay OpenAPI gateway (docs/channels/PROTOCOLS.md B.1,
// B.2): the common parameters, the signed form body of a server-to-server
// call, the signed gateway URL that page/wap pay hand to the buyer's browser,
// and, for the simulator playing Alipay, the reverse: a received gateway
// request parsed and its signature checked with the app public key.
//
// Common parameters (B.1, AE payment/common/Client.java L39-46): app_id,
// method, format=JSON, charset=utf-8, sign_type=RSA2, timestamp
// "yyyy-MM-dd HH:mm:ss" in GMT+8, version=1.0, notify_url (optional),
// biz_content (a JSON string), sign (rule V2 of alipay_params.hpp: sign_type
// is signed).
//
// Threads and ownership: pure functions; the clock and the keys are passed
// in. Any thread.
//
// Failure modes: building never fails (signing with a loaded key cannot);
// parse_gateway_request returns a Verdict naming what was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_params.hpp"

namespace oncepay::channels::alipay {

inline constexpr std::string_view kGatewayUrl = "https://openapi.alipay.com/gateway.do";
inline constexpr std::string_view kSandboxGatewayUrl =
    "https://openapi-sandbox.dl.alipaydev.com/gateway.do";
// Content-Type of gateway calls (B.1 "transport").
inline constexpr std::string_view kFormContentType =
    "application/x-www-form-urlencoded;charset=utf-8";

// Unix time in ms -> "yyyy-MM-dd HH:mm:ss" in GMT+8 (China Standard Time has
// no daylight saving). unix_ms must be >= 0.
std::string format_timestamp(int64_t unix_ms);

struct RequestSpec {
  std::string app_id;
  std::string method;       // e.g. "alipay.trade.query"
  std::string biz_content;  // JSON text (alipay_methods.hpp builds it)
  std::string notify_url;   // empty: not sent
  std::string return_url;   // page/wap pay only; empty: not sent
  int64_t now_unix_ms = 0;  // the timestamp parameter
};

// All parameters of `spec`, including sign_type, timestamp and sign.
Params signed_request_params(const RequestSpec& spec, const RsaPrivateKey& app_key);

// The POST body (form_encode of the signed parameters) for a server call.
std::string build_request_body(const RequestSpec& spec, const RsaPrivateKey& app_key);

// alipay.trade.page.pay / alipay.trade.wap.pay: the signed GET URL
// `gateway_url?<form_encode(signed params)>` the buyer is sent to (B.2: the
// gateway answers it with the cashier page; no server call is made).
std::string build_gateway_url(std::string_view gateway_url, const RequestSpec& spec,
                              const RsaPrivateKey& app_key);

enum class Verdict : uint8_t {
  kOk,
  kMalformed,            // not a form / not JSON / a required field absent
  kNoSignature,          // no sign, or empty
  kUnsupportedSignType,  // sign_type other than RSA2
  kBadSignature,         // the signature does not verify
  kWrongAppId,           // app_id is not this account's
  kBadField,             // a field's value is invalid (an amount, a status)
};
std::string_view to_string(Verdict verdict);

struct ParsedRequest {
  Verdict verdict = Verdict::kMalformed;
  std::string detail;  // what was wrong; names fields, never key material
  Params params;       // every parameter, query string and body merged
};

// Simulator side. A gateway request as received: the URL query string
// (EasySDK sends the common parameters and sign there, B.1 "transport") and
// the form body (biz_content, or everything). A name in both is malformed.
// Checks: sign present, sign_type == RSA2, app_id == expected_app_id, method
// and biz_content present, the V2 signature under the app's public key.
ParsedRequest parse_gateway_request(std::string_view query, std::string_view body,
                                    std::string_view expected_app_id,
                                    const RsaPublicKey& app_public_key);

}  // namespace oncepay::channels::alipay
