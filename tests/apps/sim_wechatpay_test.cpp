// The simulator's WeChat Pay APIv3 front (apps/sim_wechatpay) served
// in-process on loopback: requests signed as a merchant with the protocol
// part (channels/wechatpay), answers and notifications checked with its
// verifier and decoder. Keys: generated_locally.json (the Go SDK test key
// plays both the merchant key and the platform key; the Alipay app key is
// "another merchant's" key).
#include "apps/sim_wechatpay.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "apps/sim_statements.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/notification.hpp"
#include "channels/wechatpay/replies.hpp"
#include "channels/wechatpay/tradebill.hpp"
#include "core/wall_clock.hpp"
#include "sim_test_support.hpp"

namespace oncepay::apps {
namespace {

namespace wx = channels::wechatpay;
using testing::Receiver;
using testing::ServedSim;

constexpr const char* kMchid = "1230000109";
constexpr const char* kKeyId = "PUB_KEY_ID_0112300001092026113000000000000001";
constexpr const char* kMerchantSerial = "F5765756002FDD77";

class SimWechatpayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(wx::load_private_key(testing::vector_key("wechatpay_test_rsa_private_key_pkcs8"),
                                   &merchant_key_),
              wx::Error::kOk);
    platform_keys_.add(kKeyId, wx::public_key_of(merchant_key_));
    apiv3_key_ = testing::vector_key("wechatpay_apiv3_key");
    WechatpayFrontOptions options;
    options.mchid = kMchid;
    options.platform_public_key_id = kKeyId;
    std::string error;
    ASSERT_TRUE(load_wechatpay_keys(files(), &options, &error)) << error;
    sim_ = std::make_unique<ServedSim>(std::make_unique<WechatpayFront>(std::move(options)));
  }

  WechatpayKeyFiles files() {
    WechatpayKeyFiles f;
    f.merchant_public_key_file =
        dir_.write("merchant.pem", testing::vector_key("wechatpay_test_rsa_public_key"));
    f.platform_private_key_file =
        dir_.write("platform.pem", testing::vector_key("wechatpay_test_rsa_private_key_pkcs8"));
    f.apiv3_key_file = dir_.write("apiv3.key", testing::vector_key("wechatpay_apiv3_key") + "\n");
    return f;
  }

  // A request signed as the merchant (A.5) with `key`.
  http::HttpClientResult call(const std::string& method, const std::string& url,
                              const std::string& body, const wx::PrivateKey* key) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}, {"Accept", "application/json"}};
    if (key != nullptr) {
      std::string authorization;
      EXPECT_EQ(wx::sign_request(*key, kMchid, kMerchantSerial, method, url, core::unix_seconds(),
                                 random_alnum(32), body, &authorization),
                wx::Error::kOk);
      headers.emplace_back("Authorization", authorization);
    }
    return sim_->call(method, url, std::move(headers), body);
  }

  http::HttpClientResult call(const std::string& method, const std::string& url,
                              const std::string& body = {}) {
    return call(method, url, body, &merchant_key_);
  }

  wx::Error verification(const http::HttpClientResult& r) {
    wx::SignedHeaders h{
        testing::header_of(r, "wechatpay-timestamp"), testing::header_of(r, "wechatpay-nonce"),
        testing::header_of(r, "wechatpay-signature"), testing::header_of(r, "wechatpay-serial")};
    return wx::verify_signed(h, r.body, platform_keys_, core::unix_seconds());
  }

  wx::Answer answer_of(const http::HttpClientResult& r) {
    return wx::Answer{r.status, r.body, verification(r)};
  }

  http::HttpClientResult prepay(const std::string& no, const std::string& notify_url,
                                int64_t total_fen = 1999) {
    wx::PrepayRequest req;
    req.appid = "wxd678efh567hg6787";
    req.mchid = kMchid;
    req.description = "coffee";
    req.out_trade_no = no;
    req.notify_url = notify_url;
    req.total_fen = total_fen;
    return call("POST", std::string(wx::kNativePrepayPath), wx::prepay_body(req));
  }

  http::HttpClientResult refund(const std::string& no, const std::string& refund_no,
                                int64_t refund_fen, const std::string& notify_url) {
    wx::RefundRequest req;
    req.out_trade_no = no;
    req.out_refund_no = refund_no;
    req.notify_url = notify_url;
    req.refund_fen = refund_fen;
    req.total_fen = 1999;
    return call("POST", std::string(wx::kRefundPath), wx::refund_body(req));
  }

  core::ChannelReply query(const std::string& no) {
    auto r = call("GET", wx::query_url(no, kMchid));
    return wx::query_reply(answer_of(r), no);
  }

  wx::Notification decode(const Receiver::Delivery& d) {
    wx::SignedHeaders h{d.header("wechatpay-timestamp"), d.header("wechatpay-nonce"),
                        d.header("wechatpay-signature"), d.header("wechatpay-serial")};
    wx::Notification n;
    EXPECT_EQ(
        wx::decode_notification(h, d.body, platform_keys_, apiv3_key_, core::unix_seconds(), &n),
        wx::Error::kOk);
    return n;
  }

  testing::TempDir dir_;
  wx::PrivateKey merchant_key_;
  wx::PlatformKeys platform_keys_;
  std::string apiv3_key_;
  std::unique_ptr<ServedSim> sim_;
};

Receiver acknowledging_receiver() {
  return Receiver([](size_t) { return testing::plain_answer(204, ""); });
}

TEST_F(SimWechatpayTest, NativePrepayAnswerIsSignedWithThePlatformKey) {
  auto r = prepay("P20261130000001", "http://127.0.0.1:9/notify");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(verification(r), wx::Error::kOk);
  EXPECT_EQ(testing::header_of(r, "wechatpay-serial"), kKeyId);
  auto reply = wx::prepay_reply(answer_of(r), false);
  EXPECT_EQ(reply.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(reply.code_url.rfind("weixin://wxpay/bizpayurl?pr=", 0), 0u) << reply.code_url;
}

TEST_F(SimWechatpayTest, JsapiPrepayAnswersAPrepayId) {
  wx::PrepayRequest req;
  req.appid = "wxd678efh567hg6787";
  req.mchid = kMchid;
  req.description = "tea";
  req.out_trade_no = "P20261130000002";
  req.notify_url = "http://127.0.0.1:9/notify";
  req.total_fen = 100;
  req.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
  auto r = call("POST", std::string(wx::kJsapiPrepayPath), wx::prepay_body(req));
  auto reply = wx::prepay_reply(answer_of(r), true);
  EXPECT_EQ(reply.outcome, core::ChannelOutcome::kOk) << r.body;
  EXPECT_EQ(reply.prepay_id.rfind("wx", 0), 0u);
}

TEST_F(SimWechatpayTest, UnsignedRequestIsRefusedWithSignErrorAndChangesNothing) {
  wx::PrepayRequest req;
  req.appid = "wxd678efh567hg6787";
  req.mchid = kMchid;
  req.description = "coffee";
  req.out_trade_no = "P20261130000003";
  req.notify_url = "http://127.0.0.1:9/notify";
  req.total_fen = 1999;
  auto r = call("POST", std::string(wx::kNativePrepayPath), wx::prepay_body(req), nullptr);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(verification(r), wx::Error::kOk);  // the refusal is signed too
  wx::ApiError error;
  ASSERT_EQ(wx::parse_error_body(r.body, &error), wx::Error::kOk);
  EXPECT_EQ(error.code, "SIGN_ERROR");
  EXPECT_EQ(query("P20261130000003").outcome, core::ChannelOutcome::kNotFound);
}

TEST_F(SimWechatpayTest, RequestSignedWithAnotherKeyIsRefused) {
  wx::PrivateKey other;
  ASSERT_EQ(wx::load_private_key(testing::vector_key("alipay_app_rsa_private_key_pkcs8"), &other),
            wx::Error::kOk);
  auto r = call("GET", wx::query_url("P20261130000004", kMchid), "", &other);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("SIGN_ERROR"), std::string::npos);
}

TEST_F(SimWechatpayTest, RequestWhoseBodyChangedAfterSigningIsRefused) {
  std::string authorization;
  const std::string body = R"({"mchid":"1230000109"})";
  ASSERT_EQ(wx::sign_request(merchant_key_, kMchid, kMerchantSerial, "POST",
                             wx::close_url("P20261130000005"), core::unix_seconds(), "nonce1", body,
                             &authorization),
            wx::Error::kOk);
  auto r = sim_->call("POST", wx::close_url("P20261130000005"), {{"Authorization", authorization}},
                      R"({"mchid":"1230000110"})");
  EXPECT_EQ(r.status, 401);
}

TEST_F(SimWechatpayTest, QueryIsNotPayBeforeThePayerPaysAndSuccessAfter) {
  ASSERT_EQ(prepay("P20261130000006", "http://127.0.0.1:9/notify").status, 200);
  auto before = query("P20261130000006");
  EXPECT_EQ(before.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(before.state, core::ChannelPayState::kNotPay);
  ASSERT_EQ(sim_->sandbox("P20261130000006"), 200);
  auto after = query("P20261130000006");
  EXPECT_EQ(after.state, core::ChannelPayState::kSuccess);
  EXPECT_FALSE(after.channel_trade_no.empty());
  EXPECT_EQ(after.paid_amount_minor, 1999);
}

TEST_F(SimWechatpayTest, QueryOfAnUnknownOrderIsOrderNotExist) {
  auto r = call("GET", wx::query_url("P20261130999999", kMchid));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("ORDER_NOT_EXIST"), std::string::npos);
}

TEST_F(SimWechatpayTest, CloseAnswers204AndThePayerCannotPayAfterwards) {
  ASSERT_EQ(prepay("P20261130000007", "http://127.0.0.1:9/notify").status, 200);
  auto r = call("POST", wx::close_url("P20261130000007"), wx::close_body(kMchid));
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(verification(r), wx::Error::kOk);
  EXPECT_EQ(sim_->sandbox("P20261130000007"), 409);
  EXPECT_EQ(query("P20261130000007").state, core::ChannelPayState::kClosed);
}

TEST_F(SimWechatpayTest, CloseOfAPaidOrderIsOrderPaid) {
  ASSERT_EQ(prepay("P20261130000008", "http://127.0.0.1:9/notify").status, 200);
  ASSERT_EQ(sim_->sandbox("P20261130000008"), 200);
  auto r = call("POST", wx::close_url("P20261130000008"), wx::close_body(kMchid));
  EXPECT_EQ(wx::outcome_for_answer(core::ChannelOp::kClose, answer_of(r)),
            core::ChannelOutcome::kAlreadyPaid)
      << r.body;
}

TEST_F(SimWechatpayTest, PaymentNotificationIsRedeliveredUntilAcknowledged) {
  Receiver receiver([](size_t i) {
    return i < 2 ? testing::plain_answer(500, R"({"code":"FAIL","message":"busy"})")
                 : testing::plain_answer(204, "");
  });
  ASSERT_EQ(prepay("P20261130000009", receiver.url()).status, 200);
  ASSERT_EQ(sim_->sandbox("P20261130000009"), 200);
  auto deliveries = receiver.wait_for(3);
  ASSERT_EQ(deliveries.size(), 3u);
  std::string id;
  for (const auto& d : deliveries) {
    auto n = decode(d);
    EXPECT_EQ(n.kind, wx::Notification::Kind::kTransaction);
    EXPECT_EQ(n.envelope.event_type, "TRANSACTION.SUCCESS");
    EXPECT_EQ(n.transaction.out_trade_no, "P20261130000009");
    EXPECT_EQ(n.transaction.trade_state, "SUCCESS");
    EXPECT_EQ(n.transaction.total_fen, 1999);
    if (id.empty()) id = n.envelope.id;
    EXPECT_EQ(n.envelope.id, id);  // the same notification, re-sent
  }
  // The acknowledgement is counted once the third answer came back; then
  // nothing is pending, so no fourth delivery can come.
  EXPECT_TRUE(
      testing::eventually([&] { return sim_->sim().stats().notifications_delivered == 1; }));
  EXPECT_EQ(sim_->sim().stats().notifications_pending, 0u);
  EXPECT_EQ(sim_->sim().stats().delivery_attempts_failed, 2u);
  EXPECT_EQ(receiver.count(), 3u);
}

TEST_F(SimWechatpayTest, FailedPaymentSendsNoNotification) {
  Receiver receiver = acknowledging_receiver();
  ASSERT_EQ(prepay("P20261130000010", receiver.url()).status, 200);
  ASSERT_EQ(sim_->sandbox("P20261130000010", "fail"), 200);
  ASSERT_EQ(sim_->sandbox("P20261130000010"), 200);  // the payer retries and pays
  auto deliveries = receiver.wait_for(1);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(decode(deliveries[0]).envelope.event_type, "TRANSACTION.SUCCESS");
  EXPECT_TRUE(
      testing::eventually([&] { return sim_->sim().stats().notifications_delivered == 1; }));
  EXPECT_EQ(receiver.count(), 1u);
}

TEST_F(SimWechatpayTest, RefundSucceedsNotifiesAndIsFoundByRefundQuery) {
  Receiver receiver = acknowledging_receiver();
  ASSERT_EQ(prepay("P20261130000011", receiver.url()).status, 200);
  ASSERT_EQ(sim_->sandbox("P20261130000011"), 200);
  ASSERT_EQ(receiver.wait_for(1).size(), 1u);
  auto r = refund("P20261130000011", "R20261130000011", 500, receiver.url("/refund-notify"));
  auto reply = wx::refund_reply(answer_of(r), "R20261130000011");
  EXPECT_EQ(reply.outcome, core::ChannelOutcome::kOk) << r.body;
  auto deliveries = receiver.wait_for(2);
  ASSERT_EQ(deliveries.size(), 2u);
  auto n = decode(deliveries[1]);
  EXPECT_EQ(n.kind, wx::Notification::Kind::kRefund);
  EXPECT_EQ(n.envelope.event_type, "REFUND.SUCCESS");
  EXPECT_EQ(n.refund.out_refund_no, "R20261130000011");
  EXPECT_EQ(n.refund.refund_fen, 500);
  core::ChannelNotice notice;
  ASSERT_EQ(wx::to_channel_notice(n, &notice), wx::Error::kOk);

  auto q = call("GET", wx::refund_query_url("R20261130000011"));
  EXPECT_EQ(wx::refund_reply(answer_of(q), "R20261130000011").outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(query("P20261130000011").state, core::ChannelPayState::kRefund);
}

TEST_F(SimWechatpayTest, RefundOfAnUnpaidOrderIsRefused) {
  ASSERT_EQ(prepay("P20261130000012", "http://127.0.0.1:9/notify").status, 200);
  auto r = refund("P20261130000012", "R20261130000012", 500, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(verification(r), wx::Error::kOk);
  EXPECT_EQ(call("GET", wx::refund_query_url("R20261130000012")).status, 404);
}

TEST_F(SimWechatpayTest, TradebillDownloadParsesBackWithTheDaysRows) {
  ASSERT_EQ(prepay("P20261130000013", "http://127.0.0.1:9/notify").status, 200);
  ASSERT_EQ(prepay("P20261130000014", "http://127.0.0.1:9/notify", 300).status, 200);
  ASSERT_EQ(sim_->sandbox("P20261130000013"), 200);
  ASSERT_EQ(refund("P20261130000013", "R20261130000013", 700, "").status, 200);
  const std::string day = business_day(core::unix_ms());
  auto r = call("GET", "/v3/bill/tradebill?bill_date=" + day + "&bill_type=ALL");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(verification(r), wx::Error::kOk);
  auto answer = boost::json::parse(r.body).as_object();
  EXPECT_EQ(answer.at("hash_type").as_string(), "SHA1");
  const std::string url(answer.at("download_url").as_string());
  const std::string target = url.substr(url.find("/v3/"));
  auto file = call("GET", target);
  ASSERT_EQ(file.status, 200);
  EXPECT_EQ(sha1_hex(file.body), std::string(answer.at("hash_value").as_string()));

  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
  ASSERT_TRUE(wx::parse_tradebill(
      file.body, [&](const core::StatementLine& l) { lines.push_back(l); }, &summary, &error))
      << error.line << ": " << error.reason;
  ASSERT_EQ(lines.size(), 2u);  // the unpaid order is not settled
  EXPECT_EQ(lines[0].kind, core::StatementLine::Kind::kPayment);
  EXPECT_EQ(lines[0].payment_no, "P20261130000013");
  EXPECT_EQ(lines[0].amount_minor, 1999);
  EXPECT_EQ(lines[0].account_id, kMchid);
  EXPECT_EQ(lines[1].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(lines[1].refund_no, "R20261130000013");
  EXPECT_EQ(lines[1].amount_minor, 700);
  EXPECT_EQ(summary.payment_lines, 1u);
  EXPECT_EQ(summary.refund_lines, 1u);
}

TEST_F(SimWechatpayTest, TradebillOfAnotherTypeOrABadDateIsParamError) {
  EXPECT_EQ(call("GET", "/v3/bill/tradebill?bill_date=2026-11-30&bill_type=SUCCESS").status, 400);
  EXPECT_EQ(call("GET", "/v3/bill/tradebill?bill_date=20261130&bill_type=ALL").status, 400);
  EXPECT_EQ(call("GET", "/v3/billdownload/file?token=nope").status, 404);
}

TEST(SimWechatpayKeys, AnApiV3KeyThatIsNot32BytesIsRefused) {
  testing::TempDir dir;
  WechatpayKeyFiles files;
  files.merchant_public_key_file =
      dir.write("m.pem", testing::vector_key("wechatpay_test_rsa_public_key"));
  files.platform_private_key_file =
      dir.write("p.pem", testing::vector_key("wechatpay_test_rsa_private_key_pkcs8"));
  files.apiv3_key_file = dir.write("k", "short");
  WechatpayFrontOptions options;
  std::string error;
  EXPECT_FALSE(load_wechatpay_keys(files, &options, &error));
  EXPECT_NE(error.find("32 bytes"), std::string::npos);
}

TEST(SimWechatpayKeys, APrivateKeyGivenAsTheMerchantPublicKeyIsRefusedWithoutPrintingIt) {
  testing::TempDir dir;
  WechatpayKeyFiles files;
  const std::string pem = testing::vector_key("wechatpay_test_rsa_private_key_pkcs8");
  files.merchant_public_key_file = dir.write("m.pem", pem);
  files.platform_private_key_file = dir.write("p.pem", pem);
  files.apiv3_key_file = dir.write("k", testing::vector_key("wechatpay_apiv3_key"));
  WechatpayFrontOptions options;
  std::string error;
  EXPECT_FALSE(load_wechatpay_keys(files, &options, &error));
  EXPECT_NE(error.find("m.pem"), std::string::npos);
  EXPECT_EQ(error.find("MII"), std::string::npos);
}

}  // namespace
}  // namespace oncepay::apps
