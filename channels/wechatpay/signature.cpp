#include "channels/wechatpay/signature.hpp"

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <initializer_list>

namespace oncepay::channels::wechatpay {
namespace {

// 1-18 ASCII digits (fits int64 without overflow checks).
bool parse_unix_seconds(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
  *out = v;
  return true;
}

bool within(int64_t timestamp, int64_t now_unix, int64_t window_seconds) {
  const int64_t skew = timestamp > now_unix ? timestamp - now_unix : now_unix - timestamp;
  return skew < window_seconds;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One `key="value"` item of the Authorization header.
bool split_item(std::string_view item, std::string_view* key, std::string_view* value) {
  item = trim(item);
  const size_t eq = item.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  *key = item.substr(0, eq);
  std::string_view quoted = item.substr(eq + 1);
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return false;
  *value = quoted.substr(1, quoted.size() - 2);
  return value->find('"') == std::string_view::npos;
}

// The parts, each followed by '\n' (the last one included): every signed
// message of A.1, A.5 and A.6 has this shape.
std::string lines(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    out.append(part);
    out.push_back('\n');
  }
  return out;
}

}  // namespace

std::string request_message(std::string_view method, std::string_view canonical_url,
                            int64_t timestamp, std::string_view nonce, std::string_view body) {
  return lines({method, canonical_url, std::to_string(timestamp), nonce, body});
}

std::string authorization_header(const RequestAuth& auth) {
  std::string out(kAuthScheme);
  out += " mchid=\"" + auth.mchid + "\",nonce_str=\"" + auth.nonce_str + "\",timestamp=\"" +
         std::to_string(auth.timestamp) + "\",serial_no=\"" + auth.serial_no + "\",signature=\"" +
         auth.signature + "\"";
  return out;
}

Error sign_request(const PrivateKey& merchant_key, std::string_view mchid,
                   std::string_view serial_no, std::string_view method,
                   std::string_view canonical_url, int64_t timestamp, std::string_view nonce,
                   std::string_view body, std::string* header) {
  RequestAuth auth;
  auth.mchid = mchid;
  auth.nonce_str = nonce;
  auth.timestamp = timestamp;
  auth.serial_no = serial_no;
  const Error e =
      rsa_sha256_sign(merchant_key, request_message(method, canonical_url, timestamp, nonce, body),
                      &auth.signature);
  if (e != Error::kOk) return e;
  *header = authorization_header(auth);
  return Error::kOk;
}

Error parse_authorization(std::string_view header, RequestAuth* out) {
  header = trim(header);
  if (header.empty()) return Error::kMissingHeader;
  if (header.size() > kMaxHeaderBytes) return Error::kMalformedHeader;
  if (header.substr(0, kAuthScheme.size()) != kAuthScheme || header.size() == kAuthScheme.size() ||
      header[kAuthScheme.size()] != ' ') {
    return Error::kMalformedHeader;
  }
  std::string_view rest = header.substr(kAuthScheme.size() + 1);
  static constexpr std::array<std::string_view, 5> kKeys = {"mchid", "nonce_str", "timestamp",
                                                            "serial_no", "signature"};
  std::array<std::string_view, 5> values{};
  std::array<bool, 5> seen{};
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::string_view key, value;
    if (!split_item(item, &key, &value)) return Error::kMalformedHeader;
    size_t i = 0;
    while (i < kKeys.size() && kKeys[i] != key) ++i;
    if (i == kKeys.size() || seen[i]) return Error::kMalformedHeader;
    seen[i] = true;
    values[i] = value;
  }
  for (bool s : seen) {
    if (!s) return Error::kMalformedHeader;
  }
  RequestAuth auth;
  if (!parse_unix_seconds(values[2], &auth.timestamp)) return Error::kMalformedHeader;
  auth.mchid = values[0];
  auth.nonce_str = values[1];
  auth.serial_no = values[3];
  auth.signature = values[4];
  if (auth.mchid.empty() || auth.nonce_str.empty() || auth.serial_no.empty()) {
    return Error::kMalformedHeader;
  }
  *out = std::move(auth);
  return Error::kOk;
}

Error verify_request(const RequestAuth& auth, const PublicKey& merchant_key,
                     std::string_view method, std::string_view canonical_url, std::string_view body,
                     int64_t now_unix, int64_t window_seconds) {
  const Error e = rsa_sha256_verify(
      merchant_key, request_message(method, canonical_url, auth.timestamp, auth.nonce_str, body),
      auth.signature);
  if (e != Error::kOk) return e;
  return within(auth.timestamp, now_unix, window_seconds) ? Error::kOk : Error::kStale;
}

void PlatformKeys::add(std::string serial_or_id, PublicKey key) {
  keys_.emplace_back(std::move(serial_or_id), std::move(key));
}

const PublicKey* PlatformKeys::find(std::string_view serial_or_id) const {
  for (const auto& [serial, key] : keys_) {
    if (serial == serial_or_id) return &key;
  }
  return nullptr;
}

std::string response_message(std::string_view timestamp, std::string_view nonce,
                             std::string_view body) {
  return lines({timestamp, nonce, body});
}

Error verify_signed(const SignedHeaders& headers, std::string_view body, const PlatformKeys& keys,
                    int64_t now_unix, int64_t window_seconds) {
  const std::array<const std::string*, 4> all = {&headers.timestamp, &headers.nonce,
                                                 &headers.signature, &headers.serial};
  size_t present = 0;
  for (const std::string* h : all) {
    if (h->size() > kMaxHeaderBytes) return Error::kMalformedHeader;
    if (!h->empty()) ++present;
  }
  if (present == 0) return Error::kUnsigned;
  if (present < all.size()) return Error::kMissingHeader;
  int64_t timestamp = 0;
  if (!parse_unix_seconds(headers.timestamp, &timestamp)) return Error::kMalformedHeader;
  const PublicKey* key = keys.find(headers.serial);
  if (key == nullptr) return Error::kUnknownSerial;
  const Error e = rsa_sha256_verify(*key, response_message(headers.timestamp, headers.nonce, body),
                                    headers.signature);
  if (e != Error::kOk) return e;
  return within(timestamp, now_unix, window_seconds) ? Error::kOk : Error::kStale;
}

Error sign_response(const PrivateKey& platform_key, std::string_view serial_or_id,
                    int64_t timestamp, std::string_view nonce, std::string_view body,
                    SignedHeaders* out) {
  SignedHeaders h;
  h.timestamp = std::to_string(timestamp);
  h.nonce = nonce;
  h.serial = serial_or_id;
  const Error e =
      rsa_sha256_sign(platform_key, response_message(h.timestamp, nonce, body), &h.signature);
  if (e != Error::kOk) return e;
  *out = std::move(h);
  return Error::kOk;
}

Error jsapi_pay_params(const PrivateKey& merchant_key, std::string_view appid, int64_t timestamp,
                       std::string_view nonce, std::string_view prepay_id, JsapiPayParams* out) {
  JsapiPayParams p;
  p.app_id = appid;
  p.time_stamp = std::to_string(timestamp);
  p.nonce_str = nonce;
  p.package = "prepay_id=";
  p.package += prepay_id;
  p.sign_type = "RSA";
  const Error e = rsa_sha256_sign(
      merchant_key, lines({p.app_id, p.time_stamp, p.nonce_str, p.package}), &p.pay_sign);
  if (e != Error::kOk) return e;
  *out = std::move(p);
  return Error::kOk;
}

std::string to_json(const JsapiPayParams& params) {
  boost::json::object o;
  o["appId"] = params.app_id;
  o["timeStamp"] = params.time_stamp;
  o["nonceStr"] = params.nonce_str;
  o["package"] = params.package;
  o["signType"] = params.sign_type;
  o["paySign"] = params.pay_sign;
  return boost::json::serialize(o);
}

Error app_pay_params(const PrivateKey& merchant_key, std::string_view appid, std::string_view mchid,
                     int64_t timestamp, std::string_view nonce, std::string_view prepay_id,
                     AppPayParams* out) {
  AppPayParams p;
  p.appid = appid;
  p.partnerid = mchid;
  p.prepayid = prepay_id;
  p.package = "Sign=WXPay";
  p.noncestr = nonce;
  p.timestamp = std::to_string(timestamp);
  const Error e =
      rsa_sha256_sign(merchant_key, lines({p.appid, p.timestamp, p.noncestr, p.prepayid}), &p.sign);
  if (e != Error::kOk) return e;
  *out = std::move(p);
  return Error::kOk;
}

}  // namespace oncepay::channels::wechatpay
