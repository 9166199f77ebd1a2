// Tests for channels/wechatpay/signature: the request message and
// Authorization layout of the official Go and Java SDK tests, every signed
// request, response and client pay-parameter vector of
// generated_locally.json (signatures reproduced byte for byte), the
// simulator's parse-and-verify of Authorization, and every way a signed
// answer can be wrong: a flipped byte of body, signature, timestamp, nonce
// or serial, a stale or future timestamp, a wrong key, missing headers.
#include "channels/wechatpay/signature.hpp"

#include <gtest/gtest.h>

#include <string>

#include "channels/wechatpay/base64.hpp"
#include "tests/channels/wechatpay/vectors.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using testing::at;
using testing::generated;
using testing::int_at;
using testing::signed_headers;
using testing::str;

const boost::json::value& request_vectors() {
  return at(generated(), "wechatpay_request_authorization");
}
const boost::json::value& response_vectors() {
  return at(generated(), "wechatpay_response_signature");
}

// A signed 200 answer made here: body, headers, and the time it was made.
struct Signed {
  std::string body = "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}";
  SignedHeaders headers;
  int64_t now = 1554209980;
};

Signed signed_answer() {
  Signed s;
  EXPECT_EQ(sign_response(testing::go_private_key(), "D7CE59D1F522D701", s.now,
                          "c5ac7061fccab6bf3e254dcf98995b8c", s.body, &s.headers),
            Error::kOk);
  return s;
}

Error verify(const Signed& s) {
  return verify_signed(s.headers, s.body, testing::platform_keys(), s.now);
}

std::string flip_char(std::string s, size_t index) {
  s[index] = s[index] == 'A' ? 'B' : 'A';
  return s;
}

// ---------------------------------------------------------------- A.5

TEST(WechatpaySignature, GoMockSignerLayout) {
  const auto v = testing::load_vectors("wechatpay_authorization_header.json");
  const auto& mock = at(v, "mock_signer");
  for (const auto& c : at(v, "cases").as_array()) {
    RequestAuth auth;
    auth.mchid = str(mock, "mchid");
    auth.nonce_str = str(mock, "nonce");
    auth.timestamp = int_at(mock, "timestamp");
    auth.serial_no = str(mock, "serial_no");
    auth.signature = "Sign:" + request_message(str(c, "method"), str(c, "canonical_url"),
                                               auth.timestamp, auth.nonce_str, str(c, "body"));
    std::string header = authorization_header(auth);
    header.replace(0, kAuthScheme.size(), "WECHATPAY2-Mock");
    EXPECT_EQ(header, str(c, "expected_authorization"));
  }
}

TEST(WechatpaySignature, JavaRequestMessage) {
  const auto v = testing::load_vectors("wechatpay_authorization_header.json");
  const auto& j = at(v, "java_equivalent");
  std::string url = str(j, "request_uri");
  url.erase(0, std::string("https://api.mch.weixin.qq.com").size());
  EXPECT_EQ(request_message(str(j, "method"), url, int_at(j, "timestamp"), str(j, "nonce"), ""),
            str(j, "expected_message"));
}

TEST(WechatpaySignature, EveryGeneratedRequestReproduces) {
  for (const auto& c : at(request_vectors(), "cases").as_array()) {
    const std::string message =
        request_message(str(c, "method"), str(c, "canonical_url"), int_at(c, "timestamp"),
                        str(c, "nonce_str"), str(c, "body"));
    EXPECT_EQ(message, str(c, "message_to_sign"));
    std::string header;
    ASSERT_EQ(
        sign_request(testing::go_private_key(), str(request_vectors(), "mchid"),
                     str(request_vectors(), "serial_no"), str(c, "method"), str(c, "canonical_url"),
                     int_at(c, "timestamp"), str(c, "nonce_str"), str(c, "body"), &header),
        Error::kOk);
    EXPECT_EQ(header, str(c, "authorization")) << str(c, "canonical_url");
  }
}

TEST(WechatpaySignature, SimulatorParsesAndVerifiesEveryGeneratedRequest) {
  const PublicKey merchant = public_key_of(testing::go_private_key());
  for (const auto& c : at(request_vectors(), "cases").as_array()) {
    RequestAuth auth;
    ASSERT_EQ(parse_authorization(str(c, "authorization"), &auth), Error::kOk);
    EXPECT_EQ(auth.mchid, "1230000109");
    EXPECT_EQ(auth.serial_no, "F5765756002FDD77");
    EXPECT_EQ(auth.timestamp, int_at(c, "timestamp"));
    EXPECT_EQ(auth.signature, str(c, "signature"));
    EXPECT_EQ(verify_request(auth, merchant, str(c, "method"), str(c, "canonical_url"),
                             str(c, "body"), auth.timestamp + 10),
              Error::kOk);
    // Another method, URL or body: the signature no longer matches.
    EXPECT_EQ(verify_request(auth, merchant, "PUT", str(c, "canonical_url"), str(c, "body"),
                             auth.timestamp),
              Error::kBadSignature);
    EXPECT_EQ(verify_request(auth, merchant, str(c, "method"), str(c, "canonical_url") + "x",
                             str(c, "body"), auth.timestamp),
              Error::kBadSignature);
    EXPECT_EQ(verify_request(auth, merchant, str(c, "method"), str(c, "canonical_url"),
                             str(c, "body") + " ", auth.timestamp),
              Error::kBadSignature);
    EXPECT_EQ(verify_request(auth, merchant, str(c, "method"), str(c, "canonical_url"),
                             str(c, "body"), auth.timestamp + kClockWindowSeconds),
              Error::kStale);
  }
}

TEST(WechatpaySignature, TamperedAuthorizationItemsFail) {
  const PublicKey merchant = public_key_of(testing::go_private_key());
  const auto& c = at(request_vectors(), "cases").as_array()[1];  // native prepay, with a body
  RequestAuth genuine;
  ASSERT_EQ(parse_authorization(str(c, "authorization"), &genuine), Error::kOk);
  auto check = [&](const RequestAuth& auth) {
    return verify_request(auth, merchant, str(c, "method"), str(c, "canonical_url"), str(c, "body"),
                          genuine.timestamp);
  };
  ASSERT_EQ(check(genuine), Error::kOk);
  RequestAuth a = genuine;
  a.nonce_str = flip_char(a.nonce_str, 3);
  EXPECT_EQ(check(a), Error::kBadSignature);
  a = genuine;
  a.timestamp += 1;
  EXPECT_EQ(check(a), Error::kBadSignature);
  a = genuine;
  std::string raw;
  ASSERT_TRUE(base64_decode(a.signature, &raw));
  raw[0] = static_cast<char>(raw[0] ^ 0x01);
  a.signature = base64_encode(raw);
  EXPECT_EQ(check(a), Error::kBadSignature);
  a = genuine;
  a.signature = "not base64";
  EXPECT_EQ(check(a), Error::kBadBase64);
}

TEST(WechatpaySignature, AuthorizationItemsInAnyOrder) {
  RequestAuth auth;
  ASSERT_EQ(parse_authorization(
                "WECHATPAY2-SHA256-RSA2048 signature=\"c2ln\", serial_no=\"S1\",timestamp=\"12\","
                "nonce_str=\"n\",mchid=\"1\"",
                &auth),
            Error::kOk);
  EXPECT_EQ(auth.signature, "c2ln");
  EXPECT_EQ(auth.serial_no, "S1");
  EXPECT_EQ(auth.timestamp, 12);
}

TEST(WechatpaySignature, MalformedAuthorizationHeaders) {
  RequestAuth auth;
  const std::string ok_items =
      "mchid=\"1\",nonce_str=\"n\",timestamp=\"12\",serial_no=\"S\",signature=\"c2ln\"";
  EXPECT_EQ(parse_authorization("", &auth), Error::kMissingHeader);
  EXPECT_EQ(parse_authorization("Bearer x", &auth), Error::kMalformedHeader);
  EXPECT_EQ(parse_authorization("WECHATPAY2-SHA256-RSA2048", &auth), Error::kMalformedHeader);
  EXPECT_EQ(parse_authorization("WECHATPAY2-SHA256-RSA2048" + ok_items, &auth),
            Error::kMalformedHeader);
  EXPECT_EQ(parse_authorization("WECHATPAY2-SHA256-RSA2048 " + ok_items + ",mchid=\"2\"", &auth),
            Error::kMalformedHeader);  // an item twice
  EXPECT_EQ(parse_authorization("WECHATPAY2-SHA256-RSA2048 " + ok_items + ",extra=\"2\"", &auth),
            Error::kMalformedHeader);  // an unknown item
  EXPECT_EQ(
      parse_authorization("WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",timestamp=\"12\","
                          "serial_no=\"S\"",
                          &auth),
      Error::kMalformedHeader);  // signature missing
  EXPECT_EQ(
      parse_authorization("WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str=\"n\",timestamp=\"12\","
                          "serial_no=\"S\",signature=\"c2ln\"",
                          &auth),
      Error::kMalformedHeader);  // unquoted
  EXPECT_EQ(
      parse_authorization("WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",timestamp=\"-12\","
                          "serial_no=\"S\",signature=\"c2ln\"",
                          &auth),
      Error::kMalformedHeader);  // not a Unix time
  EXPECT_EQ(
      parse_authorization("WECHATPAY2-SHA256-RSA2048 " + std::string(kMaxHeaderBytes, 'x'), &auth),
      Error::kMalformedHeader);
}

TEST(WechatpaySignature, RequestSignedWithAnotherKeyFails) {
  const auto v = testing::load_vectors("wechatpay_rsa_sha256.json");
  PublicKey other;
  ASSERT_EQ(load_public_key(str(at(v, "sets").as_array()[1], "wechat_pay_public_key_pem"), &other),
            Error::kOk);
  const auto& c = at(request_vectors(), "cases").as_array()[0];
  RequestAuth auth;
  ASSERT_EQ(parse_authorization(str(c, "authorization"), &auth), Error::kOk);
  EXPECT_EQ(verify_request(auth, other, str(c, "method"), str(c, "canonical_url"), str(c, "body"),
                           auth.timestamp),
            Error::kBadSignature);
}

// ---------------------------------------------------------------- A.6

TEST(WechatpaySignature, EveryGeneratedResponseVector) {
  const PlatformKeys keys = testing::platform_keys();
  for (const char* group : {"valid", "invalid"}) {
    for (const auto& c : at(response_vectors(), group).as_array()) {
      const SignedHeaders h = signed_headers(at(c, "headers"));
      EXPECT_EQ(response_message(h.timestamp, h.nonce, str(c, "body")),
                str(c, "message_to_verify"));
      const int64_t now = std::stoll(h.timestamp);
      const Error e = verify_signed(h, str(c, "body"), keys, now);
      if (at(c, "expect_valid").as_bool()) {
        EXPECT_EQ(e, Error::kOk) << str(c, "label");
      } else {
        EXPECT_EQ(e, Error::kBadSignature) << str(c, "label");
      }
    }
  }
}

TEST(WechatpaySignature, SimulatorSigningReproducesTheGeneratedResponses) {
  for (const auto& c : at(response_vectors(), "valid").as_array()) {
    const SignedHeaders want = signed_headers(at(c, "headers"));
    SignedHeaders got;
    ASSERT_EQ(sign_response(testing::go_private_key(), want.serial, std::stoll(want.timestamp),
                            want.nonce, str(c, "body"), &got),
              Error::kOk);
    EXPECT_EQ(got.signature, want.signature) << str(c, "label");
    EXPECT_EQ(got.timestamp, want.timestamp);
    EXPECT_EQ(got.serial, want.serial);
  }
}

TEST(WechatpaySignature, SignedAnswerVerifies) { EXPECT_EQ(verify(signed_answer()), Error::kOk); }

TEST(WechatpaySignature, FlippedBodyByteFails) {
  Signed s = signed_answer();
  s.body = flip_char(s.body, 5);
  EXPECT_EQ(verify(s), Error::kBadSignature);
}

TEST(WechatpaySignature, FlippedSignatureByteFails) {
  Signed s = signed_answer();
  std::string raw;
  ASSERT_TRUE(base64_decode(s.headers.signature, &raw));
  raw[100] = static_cast<char>(raw[100] ^ 0x80);
  s.headers.signature = base64_encode(raw);
  EXPECT_EQ(verify(s), Error::kBadSignature);
}

TEST(WechatpaySignature, ChangedTimestampFails) {
  Signed s = signed_answer();
  s.headers.timestamp = std::to_string(s.now + 1);
  EXPECT_EQ(verify(s), Error::kBadSignature);
}

TEST(WechatpaySignature, ChangedNonceFails) {
  Signed s = signed_answer();
  s.headers.nonce = flip_char(s.headers.nonce, 0);
  EXPECT_EQ(verify(s), Error::kBadSignature);
}

TEST(WechatpaySignature, UnknownSerialFails) {
  Signed s = signed_answer();
  s.headers.serial = "D7CE59D1F522D702";
  EXPECT_EQ(verify(s), Error::kUnknownSerial);
  s.headers.serial = "d7ce59d1f522d701";  // serials compare exactly
  EXPECT_EQ(verify(s), Error::kUnknownSerial);
}

TEST(WechatpaySignature, PublicKeyIdSelectsTheKey) {
  Signed s = signed_answer();
  ASSERT_EQ(sign_response(testing::go_private_key(), "PUB_KEY_ID_0112345678", s.now, "n", s.body,
                          &s.headers),
            Error::kOk);
  PlatformKeys keys = testing::platform_keys();
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now), Error::kUnknownSerial);
  keys.add("PUB_KEY_ID_0112345678", public_key_of(testing::go_private_key()));
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now), Error::kOk);
}

TEST(WechatpaySignature, WrongKeyForTheSerialFails) {
  const auto v = testing::load_vectors("wechatpay_rsa_sha256.json");
  PublicKey other;
  ASSERT_EQ(load_public_key(str(at(v, "sets").as_array()[1], "wechat_pay_public_key_pem"), &other),
            Error::kOk);
  PlatformKeys keys;
  keys.add("D7CE59D1F522D701", std::move(other));
  const Signed s = signed_answer();
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now), Error::kBadSignature);
}

TEST(WechatpaySignature, ClockWindowIsThreeHundredSecondsBothWays) {
  const Signed s = signed_answer();
  const PlatformKeys keys = testing::platform_keys();
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now + 299), Error::kOk);
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now + 300), Error::kStale);
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now - 299), Error::kOk);
  EXPECT_EQ(verify_signed(s.headers, s.body, keys, s.now - 300), Error::kStale);
}

TEST(WechatpaySignature, UnsignedAnswerIsReportedAsUnsigned) {
  Signed s = signed_answer();
  s.headers = SignedHeaders{};
  EXPECT_EQ(verify(s), Error::kUnsigned);
}

TEST(WechatpaySignature, PartlyMissingHeadersFail) {
  for (int i = 0; i < 4; ++i) {
    Signed s = signed_answer();
    std::string* fields[] = {&s.headers.timestamp, &s.headers.nonce, &s.headers.signature,
                             &s.headers.serial};
    fields[i]->clear();
    EXPECT_EQ(verify(s), Error::kMissingHeader) << i;
  }
}

TEST(WechatpaySignature, MalformedTimestampFails) {
  Signed s = signed_answer();
  s.headers.timestamp = "1554209980.0";
  EXPECT_EQ(verify(s), Error::kMalformedHeader);
  s.headers.timestamp = "99999999999999999999";
  EXPECT_EQ(verify(s), Error::kMalformedHeader);
}

TEST(WechatpaySignature, EmptyBodyOf204IsSignedAsAnEmptyLine) {
  EXPECT_EQ(response_message("1554209982", "e1f2", ""), "1554209982\ne1f2\n\n");
  SignedHeaders h;
  ASSERT_EQ(sign_response(testing::go_private_key(), "D7CE59D1F522D701", 10, "n", "", &h),
            Error::kOk);
  EXPECT_EQ(verify_signed(h, "", testing::platform_keys(), 10), Error::kOk);
  EXPECT_EQ(verify_signed(h, "{}", testing::platform_keys(), 10), Error::kBadSignature);
}

// ---------------------------------------------------------------- A.1 pay params

TEST(WechatpaySignature, JsapiPayParamsVector) {
  const auto& v = at(at(generated(), "wechatpay_client_pay_params"), "jsapi");
  std::string prepay_id = str(v, "package");
  prepay_id.erase(0, std::string("prepay_id=").size());
  JsapiPayParams p;
  ASSERT_EQ(jsapi_pay_params(testing::go_private_key(), str(v, "appId"),
                             std::stoll(str(v, "timeStamp")), str(v, "nonceStr"), prepay_id, &p),
            Error::kOk);
  EXPECT_EQ(p.app_id, str(v, "appId"));
  EXPECT_EQ(p.time_stamp, str(v, "timeStamp"));
  EXPECT_EQ(p.nonce_str, str(v, "nonceStr"));
  EXPECT_EQ(p.package, str(v, "package"));
  EXPECT_EQ(p.sign_type, "RSA");
  EXPECT_EQ(p.pay_sign, str(v, "paySign"));
  const auto json = boost::json::parse(to_json(p));
  EXPECT_EQ(str(json, "paySign"), str(v, "paySign"));
  EXPECT_EQ(str(json, "timeStamp"), "1414561699");
  EXPECT_EQ(str(json, "signType"), "RSA");
}

TEST(WechatpaySignature, AppPayParamsVector) {
  const auto& v = at(at(generated(), "wechatpay_client_pay_params"), "app");
  AppPayParams p;
  ASSERT_EQ(
      app_pay_params(testing::go_private_key(), str(v, "appid"), str(v, "partnerid"),
                     std::stoll(str(v, "timestamp")), str(v, "noncestr"), str(v, "prepayid"), &p),
      Error::kOk);
  EXPECT_EQ(p.package, "Sign=WXPay");
  EXPECT_EQ(p.partnerid, "1230000109");
  EXPECT_EQ(p.sign, str(v, "sign"));
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
