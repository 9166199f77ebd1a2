// The simulator's wire format: call encoding, answer encoding, the
// round trip against the model, and request / answer signatures.
#include "channels/sim/sim_protocol.hpp"

#include <gtest/gtest.h>

namespace oncepay::channels::sim {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kNowS = kNow / 1000;

core::ChannelCall make_call(core::ChannelOp op, std::string payment_no = "p-1") {
  core::ChannelCall call;
  call.op = op;
  call.channel = "sim";
  call.payment_no = std::move(payment_no);
  if (op == core::ChannelOp::kPrepay) {
    call.amount_minor = 1999;
    call.currency = "CNY";
    call.subject = "2 coffees";
  }
  if (op == core::ChannelOp::kRefund) {
    call.amount_minor = 500;
    call.refund_no = "r-1";
  }
  return call;
}

void expect_same(const core::ChannelReply& a, const core::ChannelReply& b) {
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.channel_trade_no, b.channel_trade_no);
  EXPECT_EQ(a.prepay_id, b.prepay_id);
  EXPECT_EQ(a.pay_url, b.pay_url);
  EXPECT_EQ(a.detail, b.detail);
}

// What the engine gets through the wire: encode the call, decode it at the
// simulator, run it, encode the answer, decode it at the engine.
core::ChannelReply over_the_wire(ChannelModel& model, const core::ChannelCall& call) {
  WireRequest request = encode_call(call);
  core::ChannelCall decoded;
  int status = 0;
  std::string error;
  EXPECT_TRUE(
      decode_call(request.method, request.path, request.body, "sim", &decoded, &status, &error))
      << error;
  WireResponse response = encode_answer(decoded.op, apply_call(model, decoded, kNow));
  CallAnswer answer;
  EXPECT_TRUE(decode_answer(call, response.status, response.body, &answer, &error)) << error;
  return to_reply(call.op, answer);
}

// Two models with one seed stay in step: one answers in process (what the
// sandbox does), the other over the wire.
struct Twins {
  ChannelModel direct{"sim", 42};
  ChannelModel wired{"sim", 42};

  void check(const core::ChannelCall& call) {
    SCOPED_TRACE(std::string(core::to_string(call.op)) + " " + call.payment_no);
    auto expected = to_reply(call.op, apply_call(direct, call, kNow));
    expect_same(over_the_wire(wired, call), expected);
  }
  void pay(const std::string& payment_no, bool after_close = false) {
    direct.pay(payment_no, after_close, kNow);
    wired.pay(payment_no, after_close, kNow);
  }
  void faults(const Faults& f) {
    direct.set_faults(f);
    wired.set_faults(f);
  }
};

TEST(SimProtocolTest, PrepayIsAPostWithAmountCurrencySubject) {
  WireRequest r = encode_call(make_call(core::ChannelOp::kPrepay));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/channel/v1/payments/p-1/prepay");
  v1::PayRequest body;
  std::string error;
  ASSERT_TRUE(from_wire_json(r.body, &body, &error)) << error;
  EXPECT_EQ(body.amount(), 1999);
  EXPECT_EQ(body.currency(), "CNY");
  EXPECT_EQ(body.subject(), "2 coffees");
  EXPECT_TRUE(body.channel().empty());
}

TEST(SimProtocolTest, PrepayCarriesTheMerchantIdWhenTheCallNamesOne) {
  auto call = make_call(core::ChannelOp::kPrepay);
  call.merchant_id = "m-1";
  WireRequest r = encode_call(call);
  core::ChannelCall decoded;
  int status = 0;
  std::string error;
  ASSERT_TRUE(decode_call(r.method, r.path, r.body, "sim", &decoded, &status, &error)) << error;
  EXPECT_EQ(decoded.merchant_id, "m-1");
  EXPECT_EQ(decoded.amount_minor, 1999);
  EXPECT_EQ(decoded.subject, "2 coffees");
}

TEST(SimProtocolTest, PrepayWithoutMerchantIdIsStillTaken) {
  WireRequest r = encode_call(make_call(core::ChannelOp::kPrepay));
  EXPECT_EQ(r.body.find("merchant_id"), std::string::npos);
  core::ChannelCall decoded;
  decoded.merchant_id = "stale";
  int status = 0;
  std::string error;
  ASSERT_TRUE(decode_call(r.method, r.path, r.body, "sim", &decoded, &status, &error)) << error;
  EXPECT_TRUE(decoded.merchant_id.empty());
}

TEST(SimProtocolTest, PrepayWithAMerchantIdThatIsNoStringIsRefused) {
  core::ChannelCall decoded;
  int status = 0;
  std::string error;
  EXPECT_FALSE(decode_call("POST", "/channel/v1/payments/p-1/prepay",
                           R"({"amount":"1999","currency":"CNY","merchant_id":7})", "sim", &decoded,
                           &status, &error));
  EXPECT_EQ(status, 400);
  EXPECT_NE(error.find("merchant_id"), std::string::npos) << error;
}

TEST(SimProtocolTest, StatementPathRoundTripsTheMerchantId) {
  const std::string path = statement_path("2026-11-30", "m 1/x");
  EXPECT_EQ(path, "/channel/v1/statements/2026-11-30/m%201%2Fx");
  std::string date, merchant_id;
  ASSERT_TRUE(parse_statement_path(path, &date, &merchant_id));
  EXPECT_EQ(date, "2026-11-30");
  EXPECT_EQ(merchant_id, "m 1/x");
  ASSERT_TRUE(parse_statement_path("/channel/v1/statements/2026-11-30", &date, &merchant_id));
  EXPECT_TRUE(merchant_id.empty());
  EXPECT_FALSE(parse_statement_path("/channel/v1/statements/2026-11-30/a/b", &date, &merchant_id));
  EXPECT_FALSE(parse_statement_path("/channel/v1/statements/2026-11-30/", &date, &merchant_id));
}

TEST(SimProtocolTest, QueryCloseReverseHaveEmptyBodies) {
  for (auto op : {core::ChannelOp::kQuery, core::ChannelOp::kClose, core::ChannelOp::kReverse}) {
    WireRequest r = encode_call(make_call(op));
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.path, std::string("/channel/v1/payments/p-1/").append(core::to_string(op)));
  }
}

TEST(SimProtocolTest, EveryCallDecodesToItself) {
  for (auto op : {core::ChannelOp::kPrepay, core::ChannelOp::kQuery, core::ChannelOp::kClose,
                  core::ChannelOp::kReverse, core::ChannelOp::kRefund}) {
    auto call = make_call(op);
    WireRequest r = encode_call(call);
    core::ChannelCall back;
    int status = 0;
    std::string error;
    ASSERT_TRUE(decode_call(r.method, r.path, r.body, "sim", &back, &status, &error)) << error;
    EXPECT_EQ(back.op, call.op);
    EXPECT_EQ(back.channel, "sim");
    EXPECT_EQ(back.payment_no, call.payment_no);
    EXPECT_EQ(back.amount_minor, call.amount_minor);
    EXPECT_EQ(back.currency, call.currency);
    EXPECT_EQ(back.subject, call.subject);
    EXPECT_EQ(back.refund_no, call.refund_no);
  }
}

TEST(SimProtocolTest, PaymentNoIsPercentEncodedInThePath) {
  auto call = make_call(core::ChannelOp::kQuery, "a/b c%");
  WireRequest r = encode_call(call);
  EXPECT_EQ(r.path, "/channel/v1/payments/a%2Fb%20c%25/query");
  core::ChannelCall back;
  int status = 0;
  ASSERT_TRUE(decode_call(r.method, r.path, r.body, "sim", &back, &status, nullptr));
  EXPECT_EQ(back.payment_no, "a/b c%");
}

TEST(SimProtocolTest, DecodeCallRefusesUnknownRoutes) {
  core::ChannelCall call;
  int status = 0;
  EXPECT_FALSE(
      decode_call("POST", "/channel/v1/payments/p-1/pay", "", "sim", &call, &status, nullptr));
  EXPECT_EQ(status, 404);
  EXPECT_FALSE(
      decode_call("POST", "/channel/v1/payments//query", "", "sim", &call, &status, nullptr));
  EXPECT_EQ(status, 404);
  EXPECT_FALSE(
      decode_call("POST", "/channel/v1/payments/a/b/query", "", "sim", &call, &status, nullptr));
  EXPECT_EQ(status, 404);
}

TEST(SimProtocolTest, DecodeCallRefusesOtherMethods) {
  core::ChannelCall call;
  int status = 0;
  EXPECT_FALSE(
      decode_call("GET", "/channel/v1/payments/p-1/query", "", "sim", &call, &status, nullptr));
  EXPECT_EQ(status, 405);
}

TEST(SimProtocolTest, DecodeCallRefusesBadBodies) {
  core::ChannelCall call;
  int status = 0;
  std::string error;
  const std::string prepay = "/channel/v1/payments/p-1/prepay";
  EXPECT_FALSE(decode_call("POST", prepay, "{", "sim", &call, &status, &error));
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(
      decode_call("POST", prepay, R"({"amount":1,"foo":2})", "sim", &call, &status, &error));
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(
      decode_call("POST", prepay, R"({"amount":1,"channel":"x"})", "sim", &call, &status, &error));
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(decode_call("POST", "/channel/v1/payments/p-1/query", R"({"x":1})", "sim", &call,
                           &status, &error));
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(
      decode_call("POST", "/channel/v1/payments/p%2/query", "", "sim", &call, &status, &error));
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(decode_call("POST", prepay, std::string(kMaxBodyBytes + 1, ' '), "sim", &call,
                           &status, &error));
  EXPECT_EQ(status, 400);
}

TEST(SimProtocolTest, QueryAcceptsAnEmptyObject) {
  core::ChannelCall call;
  int status = 0;
  EXPECT_TRUE(
      decode_call("POST", "/channel/v1/payments/p-1/query", "{}", "sim", &call, &status, nullptr));
}

TEST(SimProtocolTest, AmountsReadAsNumbersOrStrings) {
  core::ChannelCall call;
  int status = 0;
  ASSERT_TRUE(decode_call("POST", "/channel/v1/payments/p-1/prepay",
                          R"({"amount":1999,"currency":"CNY"})", "sim", &call, &status, nullptr));
  EXPECT_EQ(call.amount_minor, 1999);
  ASSERT_TRUE(decode_call("POST", "/channel/v1/payments/p-1/prepay",
                          R"({"amount":"2999","currency":"CNY"})", "sim", &call, &status, nullptr));
  EXPECT_EQ(call.amount_minor, 2999);
}

TEST(SimProtocolTest, WireAnswersEqualInProcessAnswersThroughALifecycle) {
  Twins t;
  t.check(make_call(core::ChannelOp::kQuery, "never"));  // not found
  t.check(make_call(core::ChannelOp::kClose, "never"));  // not found
  t.check(make_call(core::ChannelOp::kPrepay));          // created
  t.check(make_call(core::ChannelOp::kPrepay));          // same again
  t.check(make_call(core::ChannelOp::kQuery));           // NOTPAY
  t.check(make_call(core::ChannelOp::kRefund));          // not paid
  t.pay("p-1");
  t.check(make_call(core::ChannelOp::kQuery));   // SUCCESS, trade no
  t.check(make_call(core::ChannelOp::kClose));   // already paid, trade no
  t.check(make_call(core::ChannelOp::kPrepay));  // already paid
  t.check(make_call(core::ChannelOp::kRefund));  // refunded 500
  t.check(make_call(core::ChannelOp::kRefund));  // idempotent
  auto big = make_call(core::ChannelOp::kRefund);
  big.refund_no = "r-2";
  big.amount_minor = 1999;
  t.check(big);                                   // exceeds
  t.check(make_call(core::ChannelOp::kQuery));    // REFUND
  t.check(make_call(core::ChannelOp::kReverse));  // fully refunded
  t.check(make_call(core::ChannelOp::kPrepay, "p-2"));
  t.check(make_call(core::ChannelOp::kClose, "p-2"));   // CLOSED
  t.check(make_call(core::ChannelOp::kPrepay, "p-2"));  // closed -> rejected
  t.check(make_call(core::ChannelOp::kQuery, "p-2"));   // CLOSED
  t.pay("p-2", /*after_close=*/true);
  t.check(make_call(core::ChannelOp::kQuery, "p-2"));    // SUCCESS after close
  t.check(make_call(core::ChannelOp::kReverse, "p-2"));  // reversed
  auto bad = make_call(core::ChannelOp::kPrepay, "p-3");
  bad.amount_minor = 0;
  t.check(bad);  // rejected
}

TEST(SimProtocolTest, InjectedFaultsReadAsUnavailable) {
  Twins t;
  Faults f;
  f.prepay_timeout = 1;
  t.faults(f);
  auto call = make_call(core::ChannelOp::kPrepay);
  t.check(call);
  auto reply = over_the_wire(t.wired, call);
  EXPECT_EQ(reply.outcome, core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(reply.detail, "prepay timed out");
  f = Faults{};
  f.query_unavailable = 1;
  t.faults(f);
  t.check(make_call(core::ChannelOp::kQuery));
  EXPECT_EQ(encode_answer(core::ChannelOp::kQuery,
                          apply_call(t.wired, make_call(core::ChannelOp::kQuery), kNow))
                .status,
            503);
}

TEST(SimProtocolTest, CloseOfAPaidPaymentIsAlreadyPaidWithTheTradeNo) {
  ChannelModel model("sim", 7);
  apply_call(model, make_call(core::ChannelOp::kPrepay), kNow);
  model.pay("p-1", false, kNow);
  auto answer = apply_call(model, make_call(core::ChannelOp::kClose), kNow);
  auto wire = encode_answer(core::ChannelOp::kClose, answer);
  EXPECT_EQ(wire.status, 200);
  CallAnswer back;
  ASSERT_TRUE(
      decode_answer(make_call(core::ChannelOp::kClose), wire.status, wire.body, &back, nullptr));
  EXPECT_EQ(back.outcome, CallOutcome::kAlreadyPaid);
  auto reply = to_reply(core::ChannelOp::kClose, back);
  EXPECT_EQ(reply.outcome, core::ChannelOutcome::kAlreadyPaid);
  EXPECT_FALSE(reply.channel_trade_no.empty());
}

TEST(SimProtocolTest, DecodeAnswerRefusesARecordOfAnotherPayment) {
  v1::ChannelPaymentView view;
  view.set_payment_no("p-other");
  view.set_status(v1::ChannelPaymentView::NOTPAY);
  CallAnswer answer;
  std::string error;
  EXPECT_FALSE(
      decode_answer(make_call(core::ChannelOp::kQuery), 200, to_wire_json(view), &answer, &error));
  EXPECT_NE(error.find("another payment_no"), std::string::npos);
}

TEST(SimProtocolTest, DecodeAnswerRefusesUnknownCodesAndMismatchedStatuses) {
  CallAnswer answer;
  auto call = make_call(core::ChannelOp::kQuery);
  EXPECT_FALSE(decode_answer(call, 418, error_body("teapot", "no"), &answer, nullptr));
  EXPECT_FALSE(decode_answer(call, 409, error_body("payment_not_found", "x"), &answer, nullptr));
  EXPECT_FALSE(decode_answer(call, 500, "<html>oops</html>", &answer, nullptr));
  EXPECT_FALSE(decode_answer(call, 200, "", &answer, nullptr));
  EXPECT_FALSE(decode_answer(make_call(core::ChannelOp::kPrepay), 200, "{}", &answer, nullptr));
  ASSERT_TRUE(decode_answer(call, 404, error_body("payment_not_found", "x"), &answer, nullptr));
  EXPECT_EQ(answer.outcome, CallOutcome::kNotFound);
}

TEST(SimProtocolTest, WireCodesRoundTrip) {
  for (auto o : {CallOutcome::kNotFound, CallOutcome::kUnavailable, CallOutcome::kTimeout,
                 CallOutcome::kAlreadyPaid, CallOutcome::kClosed, CallOutcome::kNotPaid,
                 CallOutcome::kExceeds, CallOutcome::kRejected}) {
    CallOutcome back = CallOutcome::kOk;
    ASSERT_TRUE(outcome_from_wire_code(wire_code(o), &back)) << wire_code(o);
    EXPECT_EQ(back, o);
    EXPECT_GE(wire_status(o), 400);
  }
  CallOutcome unused;
  EXPECT_FALSE(outcome_from_wire_code("ok", &unused));
}

TEST(SimProtocolTest, MappingMatchesTheSandbox) {
  EXPECT_EQ(to_core(CallOutcome::kTimeout), core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(to_core(CallOutcome::kUnavailable), core::ChannelOutcome::kUnavailable);
  EXPECT_EQ(to_core(CallOutcome::kClosed), core::ChannelOutcome::kRejected);
  EXPECT_EQ(to_core(CallOutcome::kExceeds), core::ChannelOutcome::kRejected);
  EXPECT_EQ(to_core(CallOutcome::kNotPaid), core::ChannelOutcome::kNotPaid);
  EXPECT_EQ(to_core(PayState::kPayError), core::ChannelPayState::kPayError);
  EXPECT_EQ(to_core(v1::ChannelPaymentView::REFUND), core::ChannelPayState::kRefund);
}

// ---------------------------------------------------------------- signing

TEST(SimProtocolTest, SignedRequestVerifies) {
  auto h = sign_request("s3cret", kNowS, "POST", "/channel/v1/payments/p-1/query", "");
  EXPECT_EQ(verify_request("s3cret", h, "POST", "/channel/v1/payments/p-1/query", "", kNowS),
            core::SignatureCheck::kOk);
}

TEST(SimProtocolTest, RequestSignatureBindsThePath) {
  auto h = sign_request("s3cret", kNowS, "POST", "/channel/v1/payments/p-1/query", "");
  EXPECT_EQ(verify_request("s3cret", h, "POST", "/channel/v1/payments/p-1/close", "", kNowS),
            core::SignatureCheck::kMismatch);
  EXPECT_EQ(verify_request("s3cret", h, "POST", "/channel/v1/payments/p-2/query", "", kNowS),
            core::SignatureCheck::kMismatch);
}

TEST(SimProtocolTest, RequestSignatureBindsMethodAndBody) {
  auto h = sign_request("s3cret", kNowS, "POST", "/p", R"({"amount":1})");
  EXPECT_EQ(verify_request("s3cret", h, "PUT", "/p", R"({"amount":1})", kNowS),
            core::SignatureCheck::kMismatch);
  EXPECT_EQ(verify_request("s3cret", h, "POST", "/p", R"({"amount":2})", kNowS),
            core::SignatureCheck::kMismatch);
}

TEST(SimProtocolTest, RequestSignatureNeedsTheSecret) {
  auto h = sign_request("s3cret", kNowS, "POST", "/p", "");
  EXPECT_EQ(verify_request("other", h, "POST", "/p", "", kNowS), core::SignatureCheck::kMismatch);
  EXPECT_EQ(verify_request("s3cret", "", "POST", "/p", "", kNowS), core::SignatureCheck::kMissing);
  EXPECT_EQ(verify_request("s3cret", "t=1,v1=zz", "POST", "/p", "", kNowS),
            core::SignatureCheck::kMalformed);
}

TEST(SimProtocolTest, StaleRequestSignatureIsRefused) {
  auto h = sign_request("s3cret", kNowS - 301, "POST", "/p", "");
  EXPECT_EQ(verify_request("s3cret", h, "POST", "/p", "", kNowS), core::SignatureCheck::kStale);
}

TEST(SimProtocolTest, AnswerSignatureBindsStatusAndPath) {
  auto h = sign_response("s3cret", kNowS, 200, "/p", "{}");
  EXPECT_EQ(verify_response("s3cret", h, 200, "/p", "{}", kNowS), core::SignatureCheck::kOk);
  EXPECT_EQ(verify_response("s3cret", h, 404, "/p", "{}", kNowS), core::SignatureCheck::kMismatch);
  EXPECT_EQ(verify_response("s3cret", h, 200, "/q", "{}", kNowS), core::SignatureCheck::kMismatch);
}

TEST(SimProtocolTest, RequestAnswerAndNotificationSignaturesAreNotInterchangeable) {
  const std::string body = "{}";
  auto request = sign_request("s3cret", kNowS, "POST", "/p", body);
  auto answer = sign_response("s3cret", kNowS, 200, "/p", body);
  auto notification = core::sign_header("s3cret", kNowS, body);
  EXPECT_NE(verify_response("s3cret", request, 200, "/p", body, kNowS), core::SignatureCheck::kOk);
  EXPECT_NE(verify_request("s3cret", answer, "POST", "/p", body, kNowS), core::SignatureCheck::kOk);
  EXPECT_NE(core::verify_header("s3cret", answer, body, kNowS), core::SignatureCheck::kOk);
  EXPECT_NE(verify_request("s3cret", notification, "POST", "/p", body, kNowS),
            core::SignatureCheck::kOk);
}

TEST(SimProtocolTest, ErrorBodyHasTheApiShape) {
  v1::ErrorResponse e;
  ASSERT_TRUE(from_wire_json(error_body("closed", "why"), &e, nullptr));
  EXPECT_EQ(e.error().code(), "closed");
  EXPECT_EQ(e.error().message(), "why");
  EXPECT_FALSE(e.error().has_payment_no());
}

}  // namespace
}  // namespace oncepay::channels::sim
