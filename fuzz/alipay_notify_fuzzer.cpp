// libFuzzer target: the Alipay protocol part (channels/alipay, no actors) on
// hostile bytes, with the fixed test keys of
// tests/channels/vectors/generated_locally.json (the "Alipay" platform pair
// and the app pair; app_id 2014072300007148, as in the vectors).
//
// The first byte picks what the rest is (seeds: fuzz/corpus/alipay/):
//   0: an async notification form body -> parse_notification;
//   1: a gateway response body for the method chosen by the second byte ->
//      extract_response, verify_response, read_reply;
//   2: a gateway request, query string and form body split at the first
//      '\n' -> parse_gateway_request (the simulator side).
// Every input also goes through parse_form, parse_yuan and the JSON member
// scanner (object_members).
//
// Properties asserted (a failure aborts and libFuzzer keeps the input):
// - parse_form round trip: parse_form(form_encode(p)) == p;
// - a verified notification is answered "success", its notice (if any)
//   names out_trade_no and carries a non-negative amount;
// - an extracted response's content is a slice of the body holding one JSON
//   object; re-signing exactly that text and wrapping it verifies and
//   extracts the identical text (the exact-text property);
// - parse_yuan: a parsed amount formats back to a string that parses to the
//   same value;
// - a gateway request parse_gateway_request accepts verifies under rule V2.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "channels/alipay/alipay_amount.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "channels/alipay/alipay_params.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "fuzz/fuzz_check.hpp"

namespace alipay = oncepay::channels::alipay;

namespace {

constexpr std::string_view kAppId = "2014072300007148";
constexpr std::string_view kMethods[] = {alipay::kMethodPrecreate, alipay::kMethodQuery,
                                         alipay::kMethodClose,     alipay::kMethodCancel,
                                         alipay::kMethodRefund,    alipay::kMethodRefundQuery};

struct Keys {
  std::optional<alipay::RsaPrivateKey> platform_private;
  std::optional<alipay::RsaPublicKey> platform_public;
  std::optional<alipay::RsaPublicKey> app_public;
};

std::string key_pem(const boost::json::value& vectors, std::string_view name) {
  return std::string(vectors.at("keys").at(name).at("pem").as_string());
}

Keys load_keys() {
  std::ifstream in(std::string(ONCEPAY_VECTORS_DIR) + "/generated_locally.json");
  std::stringstream text;
  text << in.rdbuf();
  const boost::json::value vectors = boost::json::parse(text.str());
  Keys keys;
  keys.platform_private =
      alipay::load_private_key(key_pem(vectors, "alipay_platform_rsa_private_key_pkcs8"), nullptr);
  keys.platform_public =
      alipay::load_public_key(key_pem(vectors, "alipay_platform_rsa_public_key"), nullptr);
  keys.app_public = alipay::load_public_key(key_pem(vectors, "alipay_app_rsa_public_key"), nullptr);
  FUZZ_CHECK(keys.platform_private && keys.platform_public && keys.app_public, "test keys");
  return keys;
}

const Keys& keys() {
  static const Keys k = load_keys();
  return k;
}

void check_form(std::string_view data) {
  std::string error;
  std::optional<alipay::Params> params = alipay::parse_form(data, &error);
  if (!params) return;
  std::optional<alipay::Params> again = alipay::parse_form(alipay::form_encode(*params), &error);
  FUZZ_CHECK(again && *again == *params, error);
}

void check_amount(std::string_view data) {
  std::optional<int64_t> fen = alipay::parse_yuan(data);
  if (!fen) return;
  FUZZ_CHECK(*fen >= 0, data);
  FUZZ_CHECK(alipay::parse_yuan(alipay::format_yuan(*fen)) == fen, data);
}

void check_notification(std::string_view body) {
  alipay::Notification n = alipay::parse_notification(body, kAppId, *keys().platform_public);
  if (n.verdict != alipay::Verdict::kOk) {
    FUZZ_CHECK(alipay::notify_answer(n) == "fail", n.detail);
    return;
  }
  FUZZ_CHECK(alipay::notify_answer(n) == "success", n.detail);
  if (n.notice) {
    FUZZ_CHECK(n.notice->payment_no == n.out_trade_no, n.out_trade_no);
    FUZZ_CHECK(n.notice->amount_minor >= 0, n.out_trade_no);
  }
}

void check_response(std::string_view method, std::string_view body) {
  alipay::SignedResponse r = alipay::extract_response(body, method);
  alipay::read_reply(method, alipay::verify_response(body, method, *keys().platform_public));
  if (r.verdict != alipay::Verdict::kOk) return;
  FUZZ_CHECK(r.content.data() >= body.data() &&
                 r.content.data() + r.content.size() <= body.data() + body.size(),
             r.content);
  FUZZ_CHECK(alipay::object_members(r.content).has_value(), r.content);
  if (r.key == "error_response") return;
  const std::string resigned =
      alipay::build_signed_response(method, r.content, *keys().platform_private);
  alipay::SignedResponse again = alipay::verify_response(resigned, method, *keys().platform_public);
  FUZZ_CHECK(again.verdict == alipay::Verdict::kOk && again.content == r.content, again.detail);
}

void check_request(std::string_view data) {
  const size_t split = data.find('\n');
  const std::string_view query = data.substr(0, split);
  const std::string_view body =
      split == std::string_view::npos ? std::string_view() : data.substr(split + 1);
  alipay::ParsedRequest parsed =
      alipay::parse_gateway_request(query, body, kAppId, *keys().app_public);
  if (parsed.verdict != alipay::Verdict::kOk) return;
  FUZZ_CHECK(alipay::verify_params(parsed.params, *keys().app_public, alipay::SignRule::kV2),
             parsed.detail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  switch (data[0] % 3) {
    case 0:
      check_notification(rest);
      break;
    case 1:
      check_response(kMethods[data[1] % std::size(kMethods)], rest);
      break;
    default:
      check_request(rest);
      break;
  }
  check_form(rest);
  check_amount(rest);
  alipay::object_members(rest);
  return 0;
}
