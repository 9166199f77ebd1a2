#include "channels/alipay/alipay_gateway.hpp"

#include <chrono>
#include <cstdio>

#include "core/check.hpp"

namespace oncepay::channels::alipay {
namespace {

constexpr int64_t kGmt8OffsetMs = 8LL * 3600 * 1000;

Params common_params(const RequestSpec& spec) {
  Params params;
  params["app_id"] = spec.app_id;
  params["method"] = spec.method;
  params["format"] = "JSON";
  params["charset"] = "utf-8";
  params["sign_type"] = "RSA2";
  params["timestamp"] = format_timestamp(spec.now_unix_ms);
  params["version"] = "1.0";
  params["biz_content"] = spec.biz_content;
  if (!spec.notify_url.empty()) params["notify_url"] = spec.notify_url;
  if (!spec.return_url.empty()) params["return_url"] = spec.return_url;
  return params;
}

ParsedRequest fail(ParsedRequest out, Verdict verdict, std::string detail) {
  out.verdict = verdict;
  out.detail = std::move(detail);
  return out;
}

}  // namespace

std::string format_timestamp(int64_t unix_ms) {
  ONCEPAY_CHECK(unix_ms >= 0);
  using namespace std::chrono;
  const sys_time<milliseconds> local{milliseconds(unix_ms + kGmt8OffsetMs)};
  const sys_days day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{local - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

Params signed_request_params(const RequestSpec& spec, const RsaPrivateKey& app_key) {
  Params params = common_params(spec);
  sign_params(&params, app_key, SignRule::kV2);
  return params;
}

std::string build_request_body(const RequestSpec& spec, const RsaPrivateKey& app_key) {
  return form_encode(signed_request_params(spec, app_key));
}

std::string build_gateway_url(std::string_view gateway_url, const RequestSpec& spec,
                              const RsaPrivateKey& app_key) {
  std::string url(gateway_url);
  url.push_back('?');
  url.append(build_request_body(spec, app_key));
  return url;
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kNoSignature:
      return "no signature";
    case Verdict::kUnsupportedSignType:
      return "unsupported sign_type";
    case Verdict::kBadSignature:
      return "bad signature";
    case Verdict::kWrongAppId:
      return "wrong app_id";
    case Verdict::kBadField:
      return "bad field";
  }
  return "unknown";
}

ParsedRequest parse_gateway_request(std::string_view query, std::string_view body,
                                    std::string_view expected_app_id,
                                    const RsaPublicKey& app_public_key) {
  ParsedRequest out;
  std::string error;
  std::optional<Params> from_query = parse_form(query, &error);
  if (!from_query) return fail(std::move(out), Verdict::kMalformed, "query string: " + error);
  std::optional<Params> from_body = parse_form(body, &error);
  if (!from_body) return fail(std::move(out), Verdict::kMalformed, "body: " + error);
  out.params = std::move(*from_query);
  for (auto& [name, value] : *from_body) {
    if (!out.params.emplace(name, std::move(value)).second) {
      return fail(std::move(out), Verdict::kMalformed,
                  "parameter \"" + name.substr(0, 64) + "\" is in both the query and the body");
    }
  }
  const auto sign = out.params.find("sign");
  if (sign == out.params.end() || sign->second.empty()) {
    return fail(std::move(out), Verdict::kNoSignature, "no sign parameter");
  }
  const auto sign_type = out.params.find("sign_type");
  if (sign_type == out.params.end() || sign_type->second != "RSA2") {
    return fail(std::move(out), Verdict::kUnsupportedSignType, "sign_type is not RSA2");
  }
  const auto app_id = out.params.find("app_id");
  if (app_id == out.params.end() || app_id->second != expected_app_id) {
    return fail(std::move(out), Verdict::kWrongAppId, "app_id is not this account's");
  }
  if (!out.params.contains("method") || !out.params.contains("biz_content")) {
    return fail(std::move(out), Verdict::kMalformed, "method or biz_content missing");
  }
  if (!verify_params(out.params, app_public_key, SignRule::kV2)) {
    return fail(std::move(out), Verdict::kBadSignature, "sign does not verify under the app key");
  }
  out.verdict = Verdict::kOk;
  return out;
}

}  // namespace oncepay::channels::alipay
