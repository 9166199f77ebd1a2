// The simulator's Alipay front (apps/sim_alipay) served in-process on
// loopback: gateway requests signed as the app with the protocol part
// (channels/alipay), answers verified with the Alipay platform public key
// and read with read_reply, notifications parsed with parse_notification,
// bills with parse_trade_bill_zip. Keys: generated_locally.json.
#include "apps/sim_alipay.hpp"

#include <gtest/gtest.h>

#include "apps/sim_statements.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "channels/alipay/trade_bill.hpp"
#include "core/wall_clock.hpp"
#include "sim_test_support.hpp"

namespace oncepay::apps {
namespace {

using namespace std::chrono_literals;
namespace ali = channels::alipay;
using testing::Receiver;
using testing::ServedSim;

constexpr const char* kAppId = "2021000000000001";

ali::RsaPrivateKey private_key(std::string_view name) {
  std::string error;
  auto key = ali::load_private_key(testing::vector_key(name), &error);
  EXPECT_TRUE(key.has_value()) << error;
  return std::move(*key);
}

class SimAlipayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AlipayKeyFiles files;
    files.app_public_key_file =
        dir_.write("app.pem", testing::vector_key("alipay_app_rsa_public_key"));
    files.platform_private_key_file =
        dir_.write("platform.pem", testing::vector_key("alipay_platform_rsa_private_key_pkcs8"));
    AlipayFrontOptions options;
    options.app_id = kAppId;
    std::string error;
    ASSERT_TRUE(load_alipay_keys(files, &options, &error)) << error;
    sim_ = std::make_unique<ServedSim>(std::make_unique<AlipayFront>(std::move(options)));
  }

  ali::RequestSpec spec(std::string_view method, std::string biz, std::string notify_url = {}) {
    ali::RequestSpec s;
    s.app_id = kAppId;
    s.method = std::string(method);
    s.biz_content = std::move(biz);
    s.notify_url = std::move(notify_url);
    s.now_unix_ms = core::unix_ms();
    return s;
  }

  // POST /gateway.do signed with `key` (the app key by default); the answer
  // verified with the platform public key.
  ali::SignedResponse call(const ali::RequestSpec& s, const ali::RsaPrivateKey* key = nullptr) {
    last_ =
        sim_->call("POST", "/gateway.do", {{"Content-Type", std::string(ali::kFormContentType)}},
                   ali::build_request_body(s, key != nullptr ? *key : app_key_));
    EXPECT_EQ(last_.status, 200);
    return ali::verify_response(last_.body, s.method, platform_public_);
  }

  core::ChannelReply reply(const ali::RequestSpec& s) {
    auto verified = call(s);
    EXPECT_EQ(verified.verdict, ali::Verdict::kOk) << verified.detail << " " << last_.body;
    return ali::read_reply(s.method, verified);
  }

  ali::Params fields(const ali::SignedResponse& r) {
    auto f = ali::read_biz_content(r.content);
    EXPECT_TRUE(f.has_value());
    return f ? *f : ali::Params{};
  }

  core::ChannelReply precreate(const std::string& no, const std::string& notify_url,
                               int64_t fen = 1999) {
    ali::PayOrder order{no, fen, "coffee", core::unix_ms() + 900'000, ""};
    return reply(spec(ali::kMethodPrecreate, ali::pay_biz_content(order), notify_url));
  }

  core::ChannelReply query(const std::string& no) {
    return reply(spec(ali::kMethodQuery, ali::trade_biz_content(no)));
  }

  ali::SignedResponse refund(const std::string& no, int64_t fen, const std::string& request_no) {
    return call(spec(ali::kMethodRefund, ali::refund_biz_content(no, fen, request_no)));
  }

  ali::Notification parse(const Receiver::Delivery& d) {
    return ali::parse_notification(d.body, kAppId, platform_public_);
  }

  testing::TempDir dir_;
  ali::RsaPrivateKey app_key_ = private_key("alipay_app_rsa_private_key_pkcs8");
  ali::RsaPrivateKey platform_key_ = private_key("alipay_platform_rsa_private_key_pkcs8");
  ali::RsaPublicKey platform_public_ = ali::public_half(platform_key_);
  std::unique_ptr<ServedSim> sim_;
  http::HttpClientResult last_;
};

Receiver success_receiver() {
  return Receiver([](size_t) { return testing::plain_answer(200, "success"); });
}

TEST_F(SimAlipayTest, PrecreateAnswersAQrCodeSignedWithThePlatformKey) {
  auto r = precreate("P20261130000101", "http://127.0.0.1:9/notify");
  EXPECT_EQ(r.outcome, core::ChannelOutcome::kOk) << r.detail << " " << last_.body;
  EXPECT_EQ(r.pay_url.rfind("https://qr.alipay.com/", 0), 0u) << r.pay_url;
}

TEST_F(SimAlipayTest, RequestSignedWithAnotherKeyIsInvalidSignature) {
  ali::PayOrder order{"P20261130000102", 100, "tea", core::unix_ms() + 900'000, ""};
  auto r = call(spec(ali::kMethodPrecreate, ali::pay_biz_content(order)), &platform_key_);
  ASSERT_EQ(r.verdict, ali::Verdict::kOk) << r.detail;  // the refusal is signed
  auto common = ali::read_common(r.content);
  ASSERT_TRUE(common.has_value());
  EXPECT_EQ(common->code, "40002");
  EXPECT_EQ(common->sub_code, "isv.invalid-signature");
  EXPECT_EQ(ali::read_reply(ali::kMethodPrecreate, r).outcome, core::ChannelOutcome::kRejected);
  EXPECT_EQ(sim_->sim().stats().payments, 0u);  // nothing was created
}

TEST_F(SimAlipayTest, UnsignedRequestIsMissingSignature) {
  auto params = ali::signed_request_params(
      spec(ali::kMethodQuery, ali::trade_biz_content("P20261130000103")), app_key_);
  params.erase("sign");
  auto r = sim_->call("POST", "/gateway.do", {{"Content-Type", std::string(ali::kFormContentType)}},
                      ali::form_encode(params));
  auto verified = ali::verify_response(r.body, ali::kMethodQuery, platform_public_);
  ASSERT_EQ(verified.verdict, ali::Verdict::kOk) << r.body;
  EXPECT_EQ(ali::read_common(verified.content)->sub_code, "isv.missing-signature");
}

TEST_F(SimAlipayTest, RequestOfAnotherAppIsInvalidAppId) {
  auto s = spec(ali::kMethodQuery, ali::trade_biz_content("P20261130000104"));
  s.app_id = "2021000000000999";
  auto r = call(s);
  ASSERT_EQ(r.verdict, ali::Verdict::kOk);
  EXPECT_EQ(ali::read_common(r.content)->sub_code, "isv.invalid-app-id");
}

TEST_F(SimAlipayTest, QueryIsTradeNotExistBeforeTheScanAndSuccessAfterThePayerPays) {
  ASSERT_EQ(precreate("P20261130000105", "http://127.0.0.1:9/notify").outcome,
            core::ChannelOutcome::kOk);
  auto before = call(spec(ali::kMethodQuery, ali::trade_biz_content("P20261130000105")));
  EXPECT_EQ(ali::read_common(before.content)->sub_code, "ACQ.TRADE_NOT_EXIST");
  auto read = ali::read_reply(ali::kMethodQuery, before);
  EXPECT_EQ(read.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(read.state, core::ChannelPayState::kNotPay);

  ASSERT_EQ(sim_->sandbox("P20261130000105"), 200);
  auto after = query("P20261130000105");
  EXPECT_EQ(after.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(after.state, core::ChannelPayState::kSuccess);
  EXPECT_EQ(after.paid_amount_minor, 1999);
  EXPECT_FALSE(after.channel_trade_no.empty());
}

TEST_F(SimAlipayTest, PagePayOpensTheTradeSoQueryWaitsForTheBuyer) {
  ali::PayOrder order{"P20261130000106", 500, "cake", core::unix_ms() + 900'000,
                      "FAST_INSTANT_TRADE_PAY"};
  auto s = spec(ali::kMethodPagePay, ali::pay_biz_content(order), "http://127.0.0.1:9/notify");
  const std::string url = ali::build_gateway_url(sim_->url("/gateway.do"), s, app_key_);
  auto page = http::http_request_blocking("GET", url, {}, {}, 3000ms);
  ASSERT_TRUE(page.ok) << page.error;
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("P20261130000106"), std::string::npos);
  auto q = call(spec(ali::kMethodQuery, ali::trade_biz_content("P20261130000106")));
  EXPECT_EQ(ali::read_biz_content(q.content)->at("trade_status"), "WAIT_BUYER_PAY");
}

TEST_F(SimAlipayTest, NotificationIsRedeliveredUntilTheAnswerIsSuccess) {
  Receiver receiver([](size_t i) {
    // A 200 that is not exactly `success` is no acknowledgement (B.4).
    return i == 0   ? testing::plain_answer(200, "fail")
           : i == 1 ? testing::plain_answer(500, "")
                    : testing::plain_answer(200, "success");
  });
  ASSERT_EQ(precreate("P20261130000107", receiver.url()).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000107"), 200);
  auto deliveries = receiver.wait_for(3);
  ASSERT_EQ(deliveries.size(), 3u);
  std::string notify_id;
  for (const auto& d : deliveries) {
    auto n = parse(d);
    ASSERT_EQ(n.verdict, ali::Verdict::kOk) << n.detail;
    EXPECT_EQ(n.trade_status, ali::TradeStatus::kTradeSuccess);
    EXPECT_EQ(n.out_trade_no, "P20261130000107");
    EXPECT_EQ(n.total_amount_fen, 1999);
    ASSERT_TRUE(n.notice.has_value());
    EXPECT_EQ(n.notice->kind, core::ChannelNotice::Kind::kSuccess);
    if (notify_id.empty()) notify_id = n.notify_id;
    EXPECT_EQ(n.notify_id, notify_id);
  }
  EXPECT_TRUE(
      testing::eventually([&] { return sim_->sim().stats().notifications_delivered == 1; }));
  EXPECT_EQ(sim_->sim().stats().notifications_pending, 0u);
  EXPECT_EQ(receiver.count(), 3u);
}

TEST_F(SimAlipayTest, CloseAfterTheScanClosesAndThePayerCannotPay) {
  ASSERT_EQ(precreate("P20261130000108", "http://127.0.0.1:9/notify").outcome,
            core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000108", "fail"), 200);  // scanned, payment failed
  auto close = reply(spec(ali::kMethodClose, ali::trade_biz_content("P20261130000108")));
  EXPECT_EQ(close.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(ali::read_common(ali::extract_response(last_.body, ali::kMethodClose).content)->code,
            "10000");
  EXPECT_EQ(sim_->sandbox("P20261130000108"), 409);
  EXPECT_EQ(query("P20261130000108").state, core::ChannelPayState::kClosed);
}

TEST_F(SimAlipayTest, CloseBeforeTheScanIsTradeNotExistAndStopsALateScan) {
  ASSERT_EQ(precreate("P20261130000109", "http://127.0.0.1:9/notify").outcome,
            core::ChannelOutcome::kOk);
  auto r = call(spec(ali::kMethodClose, ali::trade_biz_content("P20261130000109")));
  EXPECT_EQ(ali::read_common(r.content)->sub_code, "ACQ.TRADE_NOT_EXIST");
  EXPECT_EQ(ali::read_reply(ali::kMethodClose, r).outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(sim_->sandbox("P20261130000109"), 409);
}

TEST_F(SimAlipayTest, RefundMovesMoneyOnceNotifiesAndIsFoundByRefundQuery) {
  Receiver receiver = success_receiver();
  ASSERT_EQ(precreate("P20261130000110", receiver.url()).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000110"), 200);
  ASSERT_EQ(receiver.wait_for(1).size(), 1u);

  auto first = refund("P20261130000110", 500, "R1");
  ASSERT_EQ(first.verdict, ali::Verdict::kOk);
  EXPECT_EQ(fields(first).at("fund_change"), "Y");
  EXPECT_EQ(fields(first).at("refund_fee"), "5.00");
  EXPECT_EQ(ali::read_reply(ali::kMethodRefund, first).outcome, core::ChannelOutcome::kOk);
  auto again = refund("P20261130000110", 500, "R1");
  EXPECT_EQ(fields(again).at("fund_change"), "N");  // idempotent: no money moved

  auto deliveries = receiver.wait_for(2);
  ASSERT_EQ(deliveries.size(), 2u);
  auto n = parse(deliveries[1]);
  ASSERT_EQ(n.verdict, ali::Verdict::kOk) << n.detail;
  EXPECT_EQ(n.trade_status, ali::TradeStatus::kTradeSuccess);  // partly refunded
  EXPECT_EQ(n.out_biz_no, "R1");
  EXPECT_EQ(n.refund_fee_fen, 500);
  ASSERT_TRUE(n.notice.has_value());
  EXPECT_EQ(n.notice->kind, core::ChannelNotice::Kind::kRefundSuccess);

  auto found =
      reply(spec(ali::kMethodRefundQuery, ali::refund_query_biz_content("P20261130000110", "R1")));
  EXPECT_EQ(found.outcome, core::ChannelOutcome::kOk);
  auto unknown =
      reply(spec(ali::kMethodRefundQuery, ali::refund_query_biz_content("P20261130000110", "R2")));
  EXPECT_EQ(unknown.outcome, core::ChannelOutcome::kNotFound);
}

TEST_F(SimAlipayTest, FullRefundNotifiesTradeClosed) {
  Receiver receiver = success_receiver();
  ASSERT_EQ(precreate("P20261130000111", receiver.url(), 800).outcome, core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000111"), 200);
  ASSERT_EQ(refund("P20261130000111", 800, "R1").verdict, ali::Verdict::kOk);
  auto deliveries = receiver.wait_for(2);
  ASSERT_EQ(deliveries.size(), 2u);
  auto n = parse(deliveries[1]);
  ASSERT_EQ(n.verdict, ali::Verdict::kOk) << n.detail;
  EXPECT_EQ(n.trade_status, ali::TradeStatus::kTradeClosed);
  EXPECT_EQ(n.refund_fee_fen, 800);
}

TEST_F(SimAlipayTest, RefundOfAnUnpaidTradeIsTradeStatusError) {
  ASSERT_EQ(precreate("P20261130000112", "http://127.0.0.1:9/notify").outcome,
            core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000112", "fail"), 200);
  auto r = refund("P20261130000112", 100, "R1");
  EXPECT_EQ(ali::read_common(r.content)->sub_code, "ACQ.TRADE_STATUS_ERROR");
  EXPECT_EQ(ali::read_reply(ali::kMethodRefund, r).outcome, core::ChannelOutcome::kNotPaid);
}

TEST_F(SimAlipayTest, CancelOfAPaidTradeRefundsIt) {
  ASSERT_EQ(precreate("P20261130000113", "http://127.0.0.1:9/notify").outcome,
            core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000113"), 200);
  auto r = reply(spec(ali::kMethodCancel, ali::trade_biz_content("P20261130000113")));
  EXPECT_EQ(r.outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(r.state, core::ChannelPayState::kRefund);
  auto q = call(spec(ali::kMethodQuery, ali::trade_biz_content("P20261130000113")));
  EXPECT_EQ(fields(q).at("trade_status"), "TRADE_CLOSED");
}

TEST_F(SimAlipayTest, BillDownloadIsAZipThatParsesBackWithTheDaysRows) {
  ASSERT_EQ(precreate("P20261130000114", "http://127.0.0.1:9/notify").outcome,
            core::ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000114"), 200);
  ASSERT_EQ(fields(refund("P20261130000114", 300, "R7")).at("fund_change"), "Y");
  const std::string day = business_day(core::unix_ms());
  auto r = call(spec("alipay.data.dataservice.bill.downloadurl.query",
                     R"({"bill_type":"trade","bill_date":")" + day + "\"}"));
  ASSERT_EQ(r.verdict, ali::Verdict::kOk) << last_.body;
  const std::string url = fields(r).at("bill_download_url");
  auto file = http::http_request_blocking("GET", url, {}, {}, 3000ms);
  ASSERT_TRUE(file.ok) << file.error;
  ASSERT_EQ(file.status, 200);
  std::vector<core::StatementLine> lines;
  core::StatementSummary summary;
  core::StatementError error;
  ASSERT_TRUE(ali::parse_trade_bill_zip(
      file.body, [&](const core::StatementLine& l) { lines.push_back(l); }, &summary, &error))
      << error.line << ": " << error.reason;
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].kind, core::StatementLine::Kind::kPayment);
  EXPECT_EQ(lines[0].payment_no, "P20261130000114");
  EXPECT_EQ(lines[0].amount_minor, 1999);
  EXPECT_EQ(lines[0].account_id, kAppId);
  EXPECT_EQ(lines[1].kind, core::StatementLine::Kind::kRefund);
  EXPECT_EQ(lines[1].refund_no, "R7");
  EXPECT_EQ(lines[1].amount_minor, 300);
}

TEST(SimAlipayKeys, APublicKeyGivenAsThePlatformPrivateKeyIsRefused) {
  testing::TempDir dir;
  AlipayKeyFiles files;
  files.app_public_key_file = dir.write("a.pem", testing::vector_key("alipay_app_rsa_public_key"));
  files.platform_private_key_file =
      dir.write("p.pem", testing::vector_key("alipay_platform_rsa_public_key"));
  AlipayFrontOptions options;
  std::string error;
  EXPECT_FALSE(load_alipay_keys(files, &options, &error));
  EXPECT_NE(error.find("p.pem"), std::string::npos);
}

}  // namespace
}  // namespace oncepay::apps
