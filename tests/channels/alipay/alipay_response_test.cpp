// Tests of channels/alipay/alipay_response.hpp: exact-text extraction of the
// `_response` value, RSA2 verification over it, tampering and whitespace.
#include "channels/alipay/alipay_response.hpp"

#include <gtest/gtest.h>

#include "alipay_vectors.hpp"

namespace oncepay::channels::alipay {
namespace {

using testing::str;

const boost::json::value& generated_responses() {
  return testing::generated().at("alipay_response_signature");
}

TEST(AlipayResponse, ResponseKeyReplacesDots) {
  EXPECT_EQ(response_key("alipay.trade.fastpay.refund.query"),
            "alipay_trade_fastpay_refund_query_response");
}

TEST(AlipayResponse, GeneratedValidVectorsVerify) {
  const RsaPublicKey key = testing::platform_public_key();
  for (const auto& c : generated_responses().at("valid").as_array()) {
    SignedResponse r = verify_response(str(c, "raw_http_body"), str(c, "method"), key);
    EXPECT_EQ(r.verdict, Verdict::kOk) << str(c, "label") << r.detail;
    EXPECT_EQ(r.content, str(c, "signed_substring")) << str(c, "label");
    EXPECT_EQ(r.key, str(c, "response_key"));
  }
}

TEST(AlipayResponse, GeneratedInvalidVectorsFail) {
  const RsaPublicKey key = testing::platform_public_key();
  for (const auto& c : generated_responses().at("invalid").as_array()) {
    // The body as sent verifies or not on its own; the vector's claim is that
    // its signed_substring does not verify with its sign.
    EXPECT_FALSE(verify_rsa2_base64(key, str(c, "signed_substring"), str(c, "sign")))
        << str(c, "label");
  }
}

TEST(AlipayResponse, NodeSdkVectors) {
  const auto& set = testing::alipay_rsa2().at("sets").at(1);
  for (const auto& c : set.at("response_sign_cases").as_array()) {
    const auto key = load_public_key(str(c, "public_key_pem"), nullptr);
    ASSERT_TRUE(key);
    EXPECT_EQ(verify_rsa2_base64(*key, str(c, "signed_substring"), str(c, "sign")),
              c.at("expect_valid").as_bool())
        << str(c, "label");
  }
  const auto& good = set.at("response_sign_cases").at(0);
  const auto key = load_public_key(str(good, "public_key_pem"), nullptr);
  SignedResponse r = verify_response(str(good, "raw_http_body"), "alipay.open.file.upload", *key);
  EXPECT_EQ(r.verdict, Verdict::kOk) << r.detail;
  EXPECT_EQ(r.content, str(good, "signed_substring"));
}

class AlipayResponseTamper : public ::testing::Test {
 protected:
  std::string content_ =
      R"({"code":"10000","msg":"Success","out_trade_no":"P1","trade_status":"TRADE_SUCCESS","total_amount":"88.88","note":"a \"q\" \\ {x} \u4e2d","nested":{"a":[1,{"b":"}"}]}})";
  std::string body_ =
      build_signed_response("alipay.trade.query", content_, testing::platform_private_key());
  Verdict check(std::string_view body) {
    return verify_response(body, "alipay.trade.query", testing::platform_public_key()).verdict;
  }
  static std::string replace(std::string text, std::string_view from, std::string_view to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  }
};

TEST_F(AlipayResponseTamper, Untouched) {
  SignedResponse r = verify_response(body_, "alipay.trade.query", testing::platform_public_key());
  EXPECT_EQ(r.verdict, Verdict::kOk) << r.detail;
  EXPECT_EQ(r.content, content_);
}

TEST_F(AlipayResponseTamper, WhitespaceOutsideTheValueIsFine) {
  std::string body = replace(body_, "{\"alipay", " {\n  \"alipay");
  body = replace(body, "_response\":", "_response\" :\t");
  body = replace(body, ",\"sign\":", " ,\r\n \"sign\" : ");
  body.append("\n");
  EXPECT_EQ(check(body), Verdict::kOk);
}

TEST_F(AlipayResponseTamper, WhitespaceInsideTheValueBreaksTheSignature) {
  EXPECT_EQ(check(replace(body_, "\"msg\":", "\"msg\": ")), Verdict::kBadSignature);
}

TEST_F(AlipayResponseTamper, ReserialisedValueBreaksTheSignature) {
  EXPECT_EQ(check(replace(body_, "\\u4e2d", "中")), Verdict::kBadSignature);
}

TEST_F(AlipayResponseTamper, FlippedContentByte) {
  EXPECT_EQ(check(replace(body_, "88.88", "88.89")), Verdict::kBadSignature);
}

TEST_F(AlipayResponseTamper, FlippedSignByte) {
  const size_t at = body_.find("\"sign\":\"") + 12;
  std::string body = body_;
  body[at] = body[at] == 'A' ? 'B' : 'A';
  EXPECT_EQ(check(body), Verdict::kBadSignature);
}

TEST_F(AlipayResponseTamper, WrongKey) {
  EXPECT_EQ(verify_response(body_, "alipay.trade.query", testing::app_public_key()).verdict,
            Verdict::kBadSignature);
}

TEST_F(AlipayResponseTamper, OtherMethodsKeyIsMissing) {
  EXPECT_EQ(verify_response(body_, "alipay.trade.close", testing::platform_public_key()).verdict,
            Verdict::kMalformed);
}

TEST_F(AlipayResponseTamper, DuplicatedResponseKeyIsMalformed) {
  std::string body = replace(body_, "{\"alipay", "{\"alipay_trade_query_response\":{},\"alipay");
  EXPECT_EQ(check(body), Verdict::kMalformed);
}

TEST_F(AlipayResponseTamper, DuplicatedSignIsMalformed) {
  EXPECT_EQ(check(replace(body_, ",\"sign\":", ",\"sign\":\"x\",\"sign\":")), Verdict::kMalformed);
}

TEST_F(AlipayResponseTamper, SignRemovedIsUnsigned) {
  const size_t at = body_.find(",\"sign\":");
  EXPECT_EQ(check(body_.substr(0, at) + "}"), Verdict::kNoSignature);
}

TEST_F(AlipayResponseTamper, SignNotAStringIsMalformed) {
  const size_t at = body_.find(",\"sign\":");
  EXPECT_EQ(check(body_.substr(0, at) + ",\"sign\":1}"), Verdict::kMalformed);
}

TEST_F(AlipayResponseTamper, TruncatedBodyIsMalformed) {
  EXPECT_EQ(check(body_.substr(0, body_.size() - 1)), Verdict::kMalformed);
}

TEST_F(AlipayResponseTamper, SignBeforeTheResponseIsFine) {
  SignedResponse r = extract_response(body_, "alipay.trade.query");
  std::string body = "{\"sign\":\"" + r.sign +
                     "\",\"alipay_trade_query_response\":" + std::string(r.content) + "}";
  EXPECT_EQ(check(body), Verdict::kOk);
}

TEST(AlipayResponse, ErrorResponseIsFoundUnsigned) {
  SignedResponse r = extract_response(
      R"({"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}})",
      "alipay.trade.query");
  EXPECT_EQ(r.verdict, Verdict::kOk);
  EXPECT_EQ(r.key, "error_response");
  EXPECT_TRUE(r.sign.empty());
}

TEST(AlipayResponse, ResponseValueMustBeAnObject) {
  EXPECT_EQ(
      extract_response(R"({"alipay_trade_query_response":"x","sign":"y"})", "alipay.trade.query")
          .verdict,
      Verdict::kMalformed);
}

TEST(AlipayResponse, RefusesNonObjectBodies) {
  for (const char* body : {"", "[]", "null", "{", "{\"a\":1}x", "\"x\""}) {
    EXPECT_EQ(extract_response(body, "alipay.trade.query").verdict, Verdict::kMalformed) << body;
  }
}

TEST(AlipayResponse, RefusesTooDeepBodies) {
  std::string deep = "{\"alipay_trade_query_response\":";
  for (int i = 0; i < 40; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 40; ++i) deep += "}";
  deep += "}";
  EXPECT_EQ(extract_response(deep, "alipay.trade.query").verdict, Verdict::kMalformed);
}

TEST(AlipayResponse, ObjectMembersKeepRawValues) {
  auto members = object_members(R"( { "a" : "x\"y" , "b":[1, "]"] ,"c":12.50,"d\u0041":null } )");
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 4u);
  EXPECT_EQ((*members)[0].raw_value, R"("x\"y")");
  EXPECT_EQ(member_text((*members)[0].raw_value), "x\"y");
  EXPECT_EQ((*members)[1].raw_value, R"([1, "]"])");
  EXPECT_EQ((*members)[2].raw_value, "12.50");
  EXPECT_EQ((*members)[3].key, "dA");
  EXPECT_EQ(member_text((*members)[3].raw_value), "null");
}

}  // namespace
}  // namespace oncepay::channels::alipay
