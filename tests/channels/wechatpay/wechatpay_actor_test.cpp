// The wechatpay adapter (channels/wechatpay/wechatpay_actor.hpp) against the
// simulator's wechatpay-v3 front (apps/sim_wechatpay) served in-process on
// loopback, on CAF's normal scheduler: real sockets, real time, every wait
// bounded. Keys: generated_locally.json (the Go SDK test key is both the
// merchant's and the platform's key, as in tests/apps/sim_wechatpay_test.cpp).
#include "channels/wechatpay/wechatpay_actor.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include "actors/message_types.hpp"
#include "apps/sim_wechatpay.hpp"
#include "channels/wechatpay/account.hpp"
#include "channels/wechatpay/signature.hpp"
#include "tests/apps/sim_test_support.hpp"

namespace oncepay::channels::wechatpay {
namespace {

using namespace std::chrono_literals;
using apps::testing::ServedSim;
using apps::testing::vector_key;
using core::ChannelOp;
using core::ChannelOutcome;
using core::ChannelPayState;

constexpr const char* kMchid = "1230000109";
constexpr const char* kAppid = "wxd678efh567hg6787";
constexpr const char* kKeyId = "PUB_KEY_ID_0112300001092026113000000000000001";
constexpr const char* kMerchant = "m1";

// The admin body of merchant kMerchant's account at `base_url`.
std::string account_body(const std::string& base_url, const std::string& platform_key_pem) {
  boost::json::object body;
  body["mchid"] = kMchid;
  body["appid"] = kAppid;
  body["merchant_serial_no"] = "F5765756002FDD77";
  body["merchant_private_key_pem"] = vector_key("wechatpay_test_rsa_private_key_pkcs8");
  body["platform_public_key_id"] = kKeyId;
  body["platform_public_key_pem"] = platform_key_pem;
  body["apiv3_key"] = vector_key("wechatpay_apiv3_key");
  body["base_url"] = base_url;
  return boost::json::serialize(body);
}

class WechatpayActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    system_ = std::make_unique<caf::actor_system>(actors::add_message_types(cfg_));
    apps::WechatpayFrontOptions options;
    options.mchid = kMchid;
    options.platform_public_key_id = kKeyId;
    apps::WechatpayKeyFiles files;
    files.merchant_public_key_file =
        dir_.write("merchant.pem", vector_key("wechatpay_test_rsa_public_key"));
    files.platform_private_key_file =
        dir_.write("platform.pem", vector_key("wechatpay_test_rsa_private_key_pkcs8"));
    files.apiv3_key_file = dir_.write("apiv3.key", vector_key("wechatpay_apiv3_key"));
    std::string error;
    ASSERT_TRUE(apps::load_wechatpay_keys(files, &options, &error)) << error;
    sim_ = std::make_unique<ServedSim>(std::make_unique<apps::WechatpayFront>(std::move(options)));
    accounts_ = std::make_shared<ChannelAccounts>();
    accounts_->add_parser("wechatpay", &parse_account);
    put_account(sim_->url(""), vector_key("wechatpay_test_rsa_public_key"));
    WechatPayChannelOptions o;
    o.timeout = 2000ms;
    o.breaker_failures = 2;
    o.breaker_open = 60s;
    channel_ = std::make_unique<WechatPayChannel>(*system_, o, accounts_, receiver_.url("/"));
  }

  void TearDown() override { channel_.reset(); }

  void put_account(const std::string& base_url, const std::string& platform_key_pem) {
    std::shared_ptr<const ChannelAccount> account;
    std::string canonical;
    auto error = accounts_->parse("wechatpay", account_body(base_url, platform_key_pem), &account,
                                  &canonical);
    ASSERT_FALSE(error) << error->field << ": " << error->message;
    accounts_->put(kMerchant, "wechatpay", account);
  }

  static core::ChannelCall make_call(ChannelOp op, std::string payment_no) {
    core::ChannelCall call;
    call.op = op;
    call.channel = "wechatpay";
    call.merchant_id = kMerchant;
    call.payment_no = std::move(payment_no);
    call.amount_minor = op == ChannelOp::kPrepay ? 1999 : 0;
    call.total_minor = 1999;
    call.currency = "CNY";
    call.subject = "coffee";
    return call;
  }

  core::ChannelReply call(core::ChannelCall c) {
    caf::scoped_actor self{*system_};
    core::ChannelReply out;
    out.detail = "no reply";
    self->request(channel_->actor(), std::chrono::seconds(10), std::move(c))
        .receive([&](core::ChannelReply& reply) { out = std::move(reply); },
                 [&](caf::error& e) { ADD_FAILURE() << "request failed: " << to_string(e); });
    return out;
  }

  core::ChannelReply prepay(const std::string& no) {
    return call(make_call(ChannelOp::kPrepay, no));
  }

  core::ChannelReply refund(const std::string& no, const std::string& refund_no,
                            int64_t amount_minor) {
    auto c = make_call(ChannelOp::kRefund, no);
    c.refund_no = refund_no;
    c.amount_minor = amount_minor;
    return call(std::move(c));
  }

  apps::testing::TempDir dir_;
  apps::testing::Receiver receiver_{[](size_t) { return apps::testing::plain_answer(204, ""); }};
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<ServedSim> sim_;
  std::shared_ptr<ChannelAccounts> accounts_;
  std::unique_ptr<WechatPayChannel> channel_;
};

TEST_F(WechatpayActorTest, NativePrepayAnswersTheCodeUrl) {
  auto r = prepay("P20261130000001");
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(r.code_url.rfind("weixin://wxpay/bizpayurl?pr=", 0), 0u) << r.code_url;
  EXPECT_TRUE(r.pay_url.empty());
  EXPECT_TRUE(r.pay_params.empty());
}

TEST_F(WechatpayActorTest, JsapiPrepayAnswersSignedClientParameters) {
  auto c = make_call(ChannelOp::kPrepay, "P20261130000002");
  c.trade_type = "jsapi";
  c.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
  auto r = call(std::move(c));
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  ASSERT_FALSE(r.prepay_id.empty());
  ASSERT_EQ(r.pay_params.size(), 6u);
  std::map<std::string, std::string> p;
  for (const auto& param : r.pay_params) p[param.name] = param.value;
  EXPECT_EQ(p["appId"], kAppid);
  EXPECT_EQ(p["package"], "prepay_id=" + r.prepay_id);
  EXPECT_EQ(p["signType"], "RSA");
  PublicKey key;
  ASSERT_EQ(load_public_key(vector_key("wechatpay_test_rsa_public_key"), &key), Error::kOk);
  const std::string message =
      p["appId"] + "\n" + p["timeStamp"] + "\n" + p["nonceStr"] + "\n" + p["package"] + "\n";
  EXPECT_EQ(rsa_sha256_verify(key, message, p["paySign"]), Error::kOk);
}

TEST_F(WechatpayActorTest, JsapiWithoutOpenidIsRejected) {
  auto c = make_call(ChannelOp::kPrepay, "P20261130000003");
  c.trade_type = "jsapi";
  auto r = call(std::move(c));
  EXPECT_EQ(r.outcome, ChannelOutcome::kRejected);
  EXPECT_NE(r.detail.find("payer_openid"), std::string::npos) << r.detail;
}

TEST_F(WechatpayActorTest, UnknownTradeTypeIsRejected) {
  auto c = make_call(ChannelOp::kPrepay, "P20261130000004");
  c.trade_type = "app";
  EXPECT_EQ(call(std::move(c)).outcome, ChannelOutcome::kRejected);
}

TEST_F(WechatpayActorTest, CurrencyOtherThanCnyIsRejected) {
  auto c = make_call(ChannelOp::kPrepay, "P20261130000005");
  c.currency = "USD";
  auto r = call(std::move(c));
  EXPECT_EQ(r.outcome, ChannelOutcome::kRejected);
  EXPECT_NE(r.detail.find("USD"), std::string::npos) << r.detail;
}

TEST_F(WechatpayActorTest, MerchantWithoutAccountIsRejected) {
  auto c = make_call(ChannelOp::kPrepay, "P20261130000006");
  c.merchant_id = "m-none";
  auto r = call(std::move(c));
  EXPECT_EQ(r.outcome, ChannelOutcome::kRejected);
  EXPECT_NE(r.detail.find("no wechatpay account"), std::string::npos) << r.detail;
}

TEST_F(WechatpayActorTest, PrepayNamesTheMerchantsNotifyUrl) {
  ASSERT_EQ(prepay("P20261130000007").outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000007"), 200);
  auto deliveries = receiver_.wait_for(1);
  ASSERT_GE(deliveries.size(), 1u);
  EXPECT_FALSE(deliveries[0].header("wechatpay-signature").empty());
}

TEST_F(WechatpayActorTest, QueryOfAPaidOrderIsSuccessWithTheAmount) {
  ASSERT_EQ(prepay("P20261130000008").outcome, ChannelOutcome::kOk);
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000008")).state, ChannelPayState::kNotPay);
  ASSERT_EQ(sim_->sandbox("P20261130000008"), 200);
  auto r = call(make_call(ChannelOp::kQuery, "P20261130000008"));
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(r.state, ChannelPayState::kSuccess);
  EXPECT_FALSE(r.channel_trade_no.empty());
  EXPECT_EQ(r.paid_amount_minor, 1999);
  EXPECT_EQ(r.paid_currency, "CNY");
}

TEST_F(WechatpayActorTest, QueryOfAnUnknownOrderIsNotFound) {
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000009")).outcome,
            ChannelOutcome::kNotFound);
}

TEST_F(WechatpayActorTest, CloseOfAnUnpaidOrderClosesIt) {
  ASSERT_EQ(prepay("P20261130000010").outcome, ChannelOutcome::kOk);
  auto r = call(make_call(ChannelOp::kClose, "P20261130000010"));
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000010")).state, ChannelPayState::kClosed);
}

TEST_F(WechatpayActorTest, ReverseOfAnUnpaidOrderClosesIt) {
  ASSERT_EQ(prepay("P20261130000011").outcome, ChannelOutcome::kOk);
  ASSERT_EQ(call(make_call(ChannelOp::kReverse, "P20261130000011")).outcome, ChannelOutcome::kOk);
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000011")).state, ChannelPayState::kClosed);
}

TEST_F(WechatpayActorTest, CloseOfAPaidOrderIsAlreadyPaidWithTheTransaction) {
  ASSERT_EQ(prepay("P20261130000012").outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000012"), 200);
  auto r = call(make_call(ChannelOp::kClose, "P20261130000012"));
  ASSERT_EQ(r.outcome, ChannelOutcome::kAlreadyPaid) << r.detail;
  EXPECT_FALSE(r.channel_trade_no.empty());
  EXPECT_EQ(r.paid_amount_minor, 1999);
}

TEST_F(WechatpayActorTest, PartialRefundSucceeds) {
  ASSERT_EQ(prepay("P20261130000013").outcome, ChannelOutcome::kOk);
  ASSERT_EQ(sim_->sandbox("P20261130000013"), 200);
  auto r = refund("P20261130000013", "R20261130000013", 500);
  ASSERT_EQ(r.outcome, ChannelOutcome::kOk) << r.detail;
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000013")).state, ChannelPayState::kRefund);
}

TEST_F(WechatpayActorTest, RefundAboveTheTotalIsRejectedBeforeAnyRequest) {
  EXPECT_EQ(refund("P20261130000014", "R20261130000014", 5000).outcome, ChannelOutcome::kRejected);
}

TEST_F(WechatpayActorTest, AnswerSignedWithAnotherKeyIsUnavailable) {
  put_account(sim_->url(""), vector_key("alipay_app_rsa_public_key"));
  auto r = prepay("P20261130000015");
  EXPECT_EQ(r.outcome, ChannelOutcome::kUnavailable);
  EXPECT_NE(r.detail.find("signature"), std::string::npos) << r.detail;
}

TEST_F(WechatpayActorTest, UnreachableChannelIsUnavailableThenTheBreakerOpens) {
  put_account("http://127.0.0.1:1", vector_key("wechatpay_test_rsa_public_key"));
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000016")).outcome,
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(call(make_call(ChannelOp::kQuery, "P20261130000016")).outcome,
            ChannelOutcome::kUnavailable);
  EXPECT_EQ(channel_->breaker_state(), "open");
  auto r = call(make_call(ChannelOp::kQuery, "P20261130000016"));
  EXPECT_NE(r.detail.find("circuit open"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace oncepay::channels::wechatpay
