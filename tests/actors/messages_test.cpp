// Every registered message type (actors/message_types.hpp) survives CAF's
// binary serializer through an actor system configured with
// add_message_types(): a message holding one filled instance is written,
// read back, and each field compared. A field missing from its inspect()
// comes back default and fails here; a type missing from
// add_message_types() fails to serialize (unknown type). That every typed
// actor interface only carries registered types is checked at compile time
// (actors/message_types.cpp).
#include <gtest/gtest.h>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "actors/message_types.hpp"
#include "core/order_snapshot.hpp"

namespace oncepay::actors {
namespace {

class MessagesTest : public ::testing::Test {
 protected:
  MessagesTest() : system_(add_message_types(config_)) {}

  // Writes a message holding `value`, reads it back into a fresh message.
  template <class T>
  T round_trip(const T& value) {
    std::vector<char> buffer;
    caf::message out = caf::make_message(value);
    caf::binary_serializer sink{system_, buffer};
    auto err = sink(out);
    EXPECT_FALSE(err) << system_.render(err);
    caf::message in;
    caf::binary_deserializer source{system_, buffer};
    err = source(in);
    EXPECT_FALSE(err) << system_.render(err);
    EXPECT_TRUE(in.match_elements<T>());
    if (!in.match_elements<T>()) return T{};
    return in.get_as<T>(0);
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
};

OrderKey key() { return OrderKey{"m_1", "order-1"}; }

void expect_key(const OrderKey& a, const OrderKey& b) {
  EXPECT_EQ(a.merchant_id, b.merchant_id);
  EXPECT_EQ(a.merchant_order_no, b.merchant_order_no);
}

core::OrderState order_state() {
  core::OrderState s;
  s.merchant_id = "m_1";
  s.merchant_order_no = "order-1";
  s.status = v1::Order::PAYING;
  s.amount_minor = 1999;
  s.currency = "CNY";
  s.channel = "sandbox";
  s.subject = "tea";
  s.notify_url = "https://example.com/hook";
  s.created_ms = 1'800'000'000'123;
  core::AttemptState a;
  a.payment_no = "P0007180000000012300ab00000001";
  a.number = 1;
  a.channel = "sandbox";
  a.created_ms = 1'800'000'000'124;
  a.ladder = v1::TimerArmed::QUERY;
  a.step = 2;
  a.due_ms = 1'800'000'005'000;
  s.attempts.push_back(a);
  return s;
}

v1::OrderView order_view() {
  v1::OrderView v;
  v.set_merchant_order_no("order-1");
  v.set_status(v1::Order::PAID);
  v.set_amount(1999);
  v.set_subject("tea");
  v.mutable_attempt()->set_payment_no("P0007");
  return v;
}

TEST_F(MessagesTest, PayMsg) {
  PayMsg m{core::PayCommand{"m_1", "order-1", 1999, "CNY", "sandbox", "tea", "https://x/h", "jsapi",
                            "o-openid"},
           core::Policy::kRefundDuplicates};
  PayMsg r = round_trip(m);
  EXPECT_EQ(r.command.merchant_id, "m_1");
  EXPECT_EQ(r.command.merchant_order_no, "order-1");
  EXPECT_EQ(r.command.amount_minor, 1999);
  EXPECT_EQ(r.command.currency, "CNY");
  EXPECT_EQ(r.command.channel, "sandbox");
  EXPECT_EQ(r.command.subject, "tea");
  EXPECT_EQ(r.command.notify_url, "https://x/h");
  EXPECT_EQ(r.command.trade_type, "jsapi");
  EXPECT_EQ(r.command.payer_openid, "o-openid");
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
}

TEST_F(MessagesTest, CloseMsg) {
  CloseMsg r = round_trip(CloseMsg{key(), core::Policy::kRefundDuplicates});
  expect_key(r.key, key());
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
}

TEST_F(MessagesTest, GetOrderMsg) {
  expect_key(round_trip(GetOrderMsg{key()}).key, key());
  EXPECT_FALSE(round_trip(GetOrderMsg{key()}).admin);
  EXPECT_TRUE(round_trip(GetOrderMsg{key(), true}).admin);
}

TEST_F(MessagesTest, GetPaymentMsg) {
  GetPaymentMsg r = round_trip(GetPaymentMsg{"m_1", "P0007"});
  EXPECT_EQ(r.merchant_id, "m_1");
  EXPECT_EQ(r.payment_no, "P0007");
  EXPECT_FALSE(r.admin);
  EXPECT_TRUE(round_trip(GetPaymentMsg{"", "P0007", true}).admin);
}

TEST_F(MessagesTest, NoticeMsg) {
  core::ChannelNotice n;
  n.kind = core::ChannelNotice::Kind::kRefundFailed;
  n.channel = "sandbox";
  n.payment_no = "P0007";
  n.channel_trade_no = "T1";
  n.amount_minor = 500;
  n.currency = "CNY";
  n.refund_no = "R1";
  n.source = "reconciliation";
  n.channel_time_ms = 1'800'000'000'123;
  NoticeMsg r = round_trip(NoticeMsg{n, core::Policy::kRefundDuplicates, "m_1"});
  EXPECT_EQ(r.notice.source, "reconciliation");
  EXPECT_EQ(r.notice.channel_time_ms, 1'800'000'000'123);
  EXPECT_EQ(r.notice.kind, core::ChannelNotice::Kind::kRefundFailed);
  EXPECT_EQ(r.notice.channel, "sandbox");
  EXPECT_EQ(r.notice.payment_no, "P0007");
  EXPECT_EQ(r.notice.channel_trade_no, "T1");
  EXPECT_EQ(r.notice.amount_minor, 500);
  EXPECT_EQ(r.notice.currency, "CNY");
  EXPECT_EQ(r.notice.refund_no, "R1");
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
  EXPECT_EQ(r.merchant_id, "m_1");
}

TEST_F(MessagesTest, PaymentNoMsg) {
  PaymentNoMsg r = round_trip(PaymentNoMsg{"P0007", key()});
  EXPECT_EQ(r.payment_no, "P0007");
  expect_key(r.key, key());
}

TEST_F(MessagesTest, TimerMsg) {
  TimerMsg r = round_trip(TimerMsg{"P0007", v1::TimerArmed::REFUND, 3, "R1", "E1"});
  EXPECT_EQ(r.payment_no, "P0007");
  EXPECT_EQ(r.ladder, v1::TimerArmed::REFUND);
  EXPECT_EQ(r.step, 3);
  EXPECT_EQ(r.refund_no, "R1");
  EXPECT_EQ(r.event_id, "E1");
}

TEST_F(MessagesTest, RefundMsg) {
  RefundMsg r = round_trip(
      RefundMsg{key(), core::RefundCommand{"R1", 700, "broken"}, core::Policy::kRefundDuplicates});
  expect_key(r.key, key());
  EXPECT_EQ(r.command.refund_no, "R1");
  EXPECT_EQ(r.command.amount_minor, 700);
  EXPECT_EQ(r.command.reason, "broken");
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
}

TEST_F(MessagesTest, OperatorMsg) {
  OperatorMsg m;
  m.key = key();
  m.kind = OperatorMsg::Kind::kRefund;
  m.command = core::OperatorCommand{"otto", "goodwill"};
  m.refund = core::RefundCommand{"r-1", 500, "goodwill"};
  m.event_id = "evt_P0007_paid";
  m.policy = core::Policy::kRefundDuplicates;
  OperatorMsg r = round_trip(m);
  EXPECT_EQ(r.event_id, "evt_P0007_paid");
  expect_key(r.key, key());
  EXPECT_EQ(r.kind, OperatorMsg::Kind::kRefund);
  EXPECT_EQ(r.command.operator_name, "otto");
  EXPECT_EQ(r.command.reason, "goodwill");
  EXPECT_EQ(r.refund.refund_no, "r-1");
  EXPECT_EQ(r.refund.amount_minor, 500);
  EXPECT_EQ(r.refund.reason, "goodwill");
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
}

TEST_F(MessagesTest, ReviewMsg) {
  ReviewMsg m;
  m.key = key();
  m.kind = ReviewMsg::Kind::kResolve;
  m.recon.reason = "recon_amount_mismatch";
  m.recon.payment_no = "P0007";
  m.recon.detail = "d";
  m.recon.facts.reconciliation_id = "rc_000000000001";
  m.recon.facts.line = 9;
  m.recon.facts.refund_no = "R1";
  m.recon.facts.channel_trade_no = "T1";
  m.recon.facts.has_channel_amount = true;
  m.recon.facts.channel_amount_minor = 1000;
  m.recon.facts.channel_currency = "CNY";
  m.recon.facts.channel_status = "SUCCESS";
  m.recon.facts.channel_settled = true;
  m.recon.facts.channel_time_ms = 5;
  m.recon.facts.platform_amount_minor = 1999;
  m.payment_no = "P0008";
  m.refund_no = "R2";
  m.resolve = core::ResolveCommand{"item", "dismiss", "alice", "why"};
  m.policy = core::Policy::kRefundDuplicates;
  ReviewMsg r = round_trip(m);
  expect_key(r.key, key());
  EXPECT_EQ(r.kind, ReviewMsg::Kind::kResolve);
  EXPECT_EQ(r.recon.reason, m.recon.reason);
  EXPECT_EQ(r.recon.payment_no, "P0007");
  EXPECT_EQ(r.recon.detail, "d");
  EXPECT_TRUE(r.recon.facts == m.recon.facts);
  EXPECT_EQ(r.payment_no, "P0008");
  EXPECT_EQ(r.refund_no, "R2");
  EXPECT_EQ(r.resolve.item_id, "item");
  EXPECT_EQ(r.resolve.resolution, "dismiss");
  EXPECT_EQ(r.resolve.operator_name, "alice");
  EXPECT_EQ(r.resolve.note, "why");
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
}

TEST_F(MessagesTest, RestoredOrderAndRestoreMsg) {
  RestoredOrder o{order_state(), core::Policy::kRefundDuplicates};
  RestoredOrder r = round_trip(o);
  EXPECT_EQ(r.state, order_state());
  EXPECT_EQ(r.policy, core::Policy::kRefundDuplicates);
  RestoreMsg m;
  m.orders = {o, o};
  RestoreMsg rm = round_trip(m);
  ASSERT_EQ(rm.orders.size(), 2u);
  EXPECT_EQ(rm.orders[1].state, order_state());
  EXPECT_EQ(rm.orders[1].policy, core::Policy::kRefundDuplicates);
}

TEST_F(MessagesTest, WakeMsg) { expect_key(round_trip(WakeMsg{key()}).key, key()); }

TEST_F(MessagesTest, OrderReply) {
  OrderReply m;
  m.code = core::Code::kPaymentStatusUnknown;
  m.message = "later";
  m.payment_no = "P0007";
  m.retry_after_s = 3;
  m.has_view = true;
  m.order = order_view();
  m.payment.set_payment_no("P0007");
  m.payment.set_amount(1999);
  m.has_refund = true;
  m.refund.set_refund_no("R1");
  m.refund.set_amount(700);
  m.has_admin = true;
  m.admin.set_merchant_id("m_1");
  m.admin.add_webhooks()->set_event_id("evt_P0007_paid");
  OrderReply r = round_trip(m);
  EXPECT_EQ(r.code, core::Code::kPaymentStatusUnknown);
  EXPECT_EQ(r.message, "later");
  EXPECT_EQ(r.payment_no, "P0007");
  EXPECT_EQ(r.retry_after_s, 3);
  EXPECT_TRUE(r.has_view);
  EXPECT_EQ(r.order.SerializeAsString(), order_view().SerializeAsString());
  EXPECT_EQ(r.order.attempt().payment_no(), "P0007");
  EXPECT_EQ(r.payment.SerializeAsString(), m.payment.SerializeAsString());
  EXPECT_TRUE(r.has_refund);
  EXPECT_EQ(r.refund.SerializeAsString(), m.refund.SerializeAsString());
  EXPECT_TRUE(r.has_admin);
  EXPECT_EQ(r.admin.SerializeAsString(), m.admin.SerializeAsString());
}

TEST_F(MessagesTest, ChannelCall) {
  core::ChannelCall c{core::ChannelOp::kRefund,
                      "sandbox",
                      "m1",
                      "P0007",
                      700,
                      1999,
                      "CNY",
                      "tea",
                      "jsapi",
                      "o-openid",
                      "R1"};
  core::ChannelCall r = round_trip(c);
  EXPECT_EQ(r.op, core::ChannelOp::kRefund);
  EXPECT_EQ(r.channel, "sandbox");
  EXPECT_EQ(r.merchant_id, "m1");
  EXPECT_EQ(r.payment_no, "P0007");
  EXPECT_EQ(r.amount_minor, 700);
  EXPECT_EQ(r.total_minor, 1999);
  EXPECT_EQ(r.currency, "CNY");
  EXPECT_EQ(r.subject, "tea");
  EXPECT_EQ(r.trade_type, "jsapi");
  EXPECT_EQ(r.payer_openid, "o-openid");
  EXPECT_EQ(r.refund_no, "R1");
}

TEST_F(MessagesTest, ChannelReply) {
  core::ChannelReply c;
  c.outcome = core::ChannelOutcome::kAlreadyPaid;
  c.state = core::ChannelPayState::kSuccess;
  c.channel_trade_no = "T1";
  c.prepay_id = "wx1";
  c.pay_url = "https://pay/1";
  c.code_url = "weixin://wxpay/bizpayurl?pr=1";
  c.qr_code = "https://qr.alipay.com/1";
  c.pay_params = {{"appId", "wx"}, {"paySign", "sig"}};
  c.detail = "paid";
  c.paid_amount_minor = 1999;
  c.paid_currency = "CNY";
  c.http_status = 204;
  core::ChannelReply r = round_trip(c);
  EXPECT_EQ(r.outcome, core::ChannelOutcome::kAlreadyPaid);
  EXPECT_EQ(r.state, core::ChannelPayState::kSuccess);
  EXPECT_EQ(r.channel_trade_no, "T1");
  EXPECT_EQ(r.prepay_id, "wx1");
  EXPECT_EQ(r.pay_url, "https://pay/1");
  EXPECT_EQ(r.code_url, "weixin://wxpay/bizpayurl?pr=1");
  EXPECT_EQ(r.qr_code, "https://qr.alipay.com/1");
  ASSERT_EQ(r.pay_params.size(), 2u);
  EXPECT_EQ(r.pay_params[1].name, "paySign");
  EXPECT_EQ(r.pay_params[1].value, "sig");
  EXPECT_EQ(r.detail, "paid");
  EXPECT_EQ(r.paid_amount_minor, std::optional<int64_t>(1999));
  EXPECT_EQ(r.paid_currency, "CNY");
  EXPECT_EQ(r.http_status, 204);
}

TEST_F(MessagesTest, ChannelReplyWithoutPaidAmount) {
  core::ChannelReply c;
  c.outcome = core::ChannelOutcome::kOk;
  EXPECT_EQ(round_trip(c).paid_amount_minor, std::nullopt);
}

TEST_F(MessagesTest, WalMessages) {
  EXPECT_EQ(round_trip(AppendMsg{"record bytes"}).payload, "record bytes");
  WalDoneMsg d = round_trip(WalDoneMsg{7, 42, true, "none"});
  EXPECT_EQ(d.token, 7u);
  EXPECT_EQ(d.lsn, 42u);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.error, "none");
  round_trip(WalTickMsg{});
  round_trip(WalFlushMsg{});
}

TEST_F(MessagesTest, WebhookMessages) {
  WebhookPost p = round_trip(WebhookPost{"https://m/h", "{}", "whsec", "E1"});
  EXPECT_EQ(p.url, "https://m/h");
  EXPECT_EQ(p.body, "{}");
  EXPECT_EQ(p.secret, "whsec");
  EXPECT_EQ(p.event_id, "E1");
  http::HttpClientResult result{true, "why", 503, "busy", {{"retry-after", "2"}}};
  WebhookDoneMsg d = round_trip(WebhookDoneMsg{9, result});
  EXPECT_EQ(d.token, 9u);
  EXPECT_TRUE(d.result.ok);
  EXPECT_EQ(d.result.error, "why");
  EXPECT_EQ(d.result.status, 503);
  EXPECT_EQ(d.result.body, "busy");
  ASSERT_EQ(d.result.headers.size(), 1u);
  EXPECT_EQ(d.result.headers[0].first, "retry-after");
  EXPECT_EQ(d.result.headers[0].second, "2");
}

TEST_F(MessagesTest, StoredTimerMessages) {
  DueOrder due = round_trip(DueOrder{1'800'000'000'000, key()});
  EXPECT_EQ(due.due_ms, 1'800'000'000'000);
  expect_key(due.key, key());
  ParkedTimersMsg m;
  m.due = {DueOrder{5, key()}};
  ParkedTimersMsg r = round_trip(m);
  ASSERT_EQ(r.due.size(), 1u);
  EXPECT_EQ(r.due[0].due_ms, 5);
  expect_key(r.due[0].key, key());
}

// Every type of MessageTypes has a test above: this list is compared with
// it at compile time, so a newly registered type without a test fails to
// compile.
static_assert(
    std::is_same_v<
        MessageTypes,
        TypeList<PayMsg, CloseMsg, GetOrderMsg, GetPaymentMsg, NoticeMsg, PaymentNoMsg, TimerMsg,
                 RefundMsg, ReviewMsg, OperatorMsg, RestoredOrder, RestoreMsg, WakeMsg, OrderReply,
                 core::ChannelCall, core::ChannelReply, AppendMsg, WalDoneMsg, WalTickMsg,
                 WalFlushMsg, WebhookPost, WebhookDoneMsg, DueOrder, ParkedTimersMsg>>);

// An unregistered type cannot cross: the registry is what makes a message
// portable (CAF names the type on the wire; the reader cannot make one).
struct Unregistered {
  int32_t x = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Unregistered& u) {
  return f(u.x);
}

TEST_F(MessagesTest, UnregisteredTypeIsRefused) {
  std::vector<char> buffer;
  caf::message out = caf::make_message(Unregistered{1});
  caf::binary_serializer sink{system_, buffer};
  // CAF 0.17 logs "a type was not added to the types list" and writes no
  // value; whatever the errors, no Unregistered comes out at the other end.
  static_cast<void>(sink(out));
  caf::message in;
  caf::binary_deserializer source{system_, buffer};
  static_cast<void>(source(in));
  EXPECT_FALSE(in.match_elements<Unregistered>());
}

}  // namespace
}  // namespace oncepay::actors
