#include "channels/alipay/alipay_methods.hpp"

#include <array>
#include <utility>

#include "channels/alipay/alipay_amount.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "codec/json.hpp"
#include "core/check.hpp"

namespace oncepay::channels::alipay {
namespace {

using core::ChannelOutcome;
using core::ChannelPayState;
using core::ChannelReply;
using Fields = std::vector<std::pair<std::string, std::string>>;

std::string json_object(const Fields& fields) {
  std::string json = "{";
  for (const auto& [name, value] : fields) {
    if (json.size() > 1) json.push_back(',');
    codec::append_json_string(name, &json);
    json.push_back(':');
    codec::append_json_string(value, &json);
  }
  json.push_back('}');
  return json;
}

ChannelReply unavailable(std::string detail) {
  ChannelReply reply;
  reply.outcome = ChannelOutcome::kUnavailable;
  reply.detail = std::move(detail);
  return reply;
}

ChannelReply with(ChannelOutcome outcome, std::string detail) {
  ChannelReply reply;
  reply.outcome = outcome;
  reply.detail = std::move(detail);
  return reply;
}

std::string describe(const ResponseCommon& c) {
  std::string text = "alipay " + c.code;
  if (!c.sub_code.empty()) text += " " + c.sub_code;
  if (!c.sub_msg.empty()) text += ": " + c.sub_msg;
  return text;
}

// Handlers: the business fields of a 10000 answer, or a method's own 40004
// rows (return nullopt to fall back to the generic code table).
struct Handler {
  std::string_view method;
  ChannelReply (*on_success)(const Params& fields, const ResponseCommon& common);
  std::optional<ChannelReply> (*on_business_failure)(const ResponseCommon& common);
};

ChannelReply precreate_success(const Params& f, const ResponseCommon& c) {
  const auto qr = f.find("qr_code");
  if (qr == f.end() || qr->second.empty()) return unavailable("precreate: no qr_code");
  ChannelReply reply = with(ChannelOutcome::kOk, describe(c));
  reply.pay_url = qr->second;
  return reply;
}

std::string_view get(const Params& f, std::string_view name) {
  const auto it = f.find(name);
  return it == f.end() ? std::string_view() : std::string_view(it->second);
}

ChannelReply query_success(const Params& f, const ResponseCommon& c) {
  std::optional<TradeStatus> status = parse_trade_status(get(f, "trade_status"));
  if (!status) return unavailable("query: unknown trade_status");
  ChannelReply reply =
      with(ChannelOutcome::kOk, describe(c) + " " + std::string(to_string(*status)));
  reply.channel_trade_no = get(f, "trade_no");
  switch (*status) {
    case TradeStatus::kWaitBuyerPay:
      reply.state = ChannelPayState::kNotPay;
      return reply;
    case TradeStatus::kTradeClosed:
      reply.state =
          f.contains("send_pay_date") ? ChannelPayState::kRefund : ChannelPayState::kClosed;
      return reply;
    case TradeStatus::kTradeSuccess:
    case TradeStatus::kTradeFinished:
      break;
  }
  std::optional<int64_t> total = parse_yuan(get(f, "total_amount"));
  if (!total) return unavailable("query: paid without a readable total_amount");
  reply.state = ChannelPayState::kSuccess;
  reply.paid_amount_minor = *total;
  reply.paid_currency = "CNY";
  return reply;
}

std::optional<ChannelReply> query_failure(const ResponseCommon& c) {
  if (c.sub_code != "ACQ.TRADE_NOT_EXIST") return std::nullopt;
  ChannelReply reply = with(ChannelOutcome::kOk, describe(c) + " (not paid yet)");
  reply.state = ChannelPayState::kNotPay;
  return reply;
}

ChannelReply close_success(const Params& f, const ResponseCommon& c) {
  ChannelReply reply = with(ChannelOutcome::kOk, describe(c));
  reply.channel_trade_no = get(f, "trade_no");
  return reply;
}

std::optional<ChannelReply> close_failure(const ResponseCommon& c) {
  if (c.sub_code == "ACQ.TRADE_NOT_EXIST" || c.sub_code == "ACQ.TRADE_HAS_CLOSE") {
    return with(ChannelOutcome::kOk, describe(c));
  }
  if (c.sub_code == "ACQ.TRADE_STATUS_ERROR" || c.sub_code == "ACQ.TRADE_HAS_SUCCESS") {
    return with(ChannelOutcome::kAlreadyPaid, describe(c));
  }
  return std::nullopt;
}

ChannelReply cancel_success(const Params& f, const ResponseCommon& c) {
  if (get(f, "retry_flag") == "Y") return unavailable(describe(c) + " retry_flag Y");
  ChannelReply reply = with(ChannelOutcome::kOk, describe(c));
  reply.channel_trade_no = get(f, "trade_no");
  const std::string_view action = get(f, "action");
  reply.state = action == "refund" ? ChannelPayState::kRefund : ChannelPayState::kClosed;
  reply.detail += action.empty() ? std::string() : " action " + std::string(action);
  return reply;
}

std::optional<ChannelReply> cancel_failure(const ResponseCommon& c) {
  if (c.sub_code != "ACQ.TRADE_NOT_EXIST") return std::nullopt;
  ChannelReply reply = with(ChannelOutcome::kOk, describe(c));
  reply.state = ChannelPayState::kClosed;
  return reply;
}

ChannelReply refund_success(const Params& f, const ResponseCommon& c) {
  if (get(f, "fund_change") != "Y") {
    return unavailable(describe(c) + " fund_change not Y: confirm with the refund query");
  }
  ChannelReply reply = with(ChannelOutcome::kOk, describe(c));
  reply.channel_trade_no = get(f, "trade_no");
  return reply;
}

std::optional<ChannelReply> refund_failure(const ResponseCommon& c) {
  if (c.sub_code == "ACQ.TRADE_NOT_EXIST" || c.sub_code == "ACQ.TRADE_STATUS_ERROR" ||
      c.sub_code == "ACQ.TRADE_HAS_CLOSE") {
    return with(ChannelOutcome::kNotPaid, describe(c));
  }
  return std::nullopt;
}

ChannelReply refund_query_success(const Params& f, const ResponseCommon& c) {
  const std::string_view status = get(f, "refund_status");
  if (status == "REFUND_SUCCESS") {
    ChannelReply reply = with(ChannelOutcome::kOk, describe(c) + " REFUND_SUCCESS");
    reply.channel_trade_no = get(f, "trade_no");
    return reply;
  }
  if (status.empty()) return with(ChannelOutcome::kNotFound, describe(c) + " no such refund");
  return unavailable(describe(c) + " refund_status " + std::string(status.substr(0, 32)));
}

std::optional<ChannelReply> refund_query_failure(const ResponseCommon& c) {
  if (c.sub_code != "ACQ.TRADE_NOT_EXIST") return std::nullopt;
  return with(ChannelOutcome::kNotFound, describe(c));
}

constexpr std::array<Handler, 5> kHandlers = {{
    {kMethodPrecreate, precreate_success, nullptr},
    {kMethodQuery, query_success, query_failure},
    {kMethodClose, close_success, close_failure},
    {kMethodCancel, cancel_success, cancel_failure},
    {kMethodRefund, refund_success, refund_failure},
}};
constexpr Handler kRefundQueryHandler = {kMethodRefundQuery, refund_query_success,
                                         refund_query_failure};

const Handler* handler_for(std::string_view method) {
  if (method == kRefundQueryHandler.method) return &kRefundQueryHandler;
  for (const Handler& h : kHandlers) {
    if (h.method == method) return &h;
  }
  return nullptr;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

bool is_valid_out_trade_no(std::string_view text) {
  if (text.empty() || text.size() > kMaxOutTradeNo) return false;
  for (char c : text) {
    if (!is_word_char(c)) return false;
  }
  return true;
}

std::string pay_biz_content(const PayOrder& order) {
  ONCEPAY_CHECK(is_valid_out_trade_no(order.out_trade_no));
  ONCEPAY_CHECK(order.amount_fen > 0 && order.amount_fen <= kMaxAmountFen);
  Fields fields = {{"out_trade_no", order.out_trade_no},
                   {"total_amount", format_yuan(order.amount_fen)},
                   {"subject", order.subject},
                   {"time_expire", format_timestamp(order.expire_unix_ms)}};
  if (!order.product_code.empty()) fields.emplace_back("product_code", order.product_code);
  return json_object(fields);
}

std::string trade_biz_content(std::string_view out_trade_no) {
  ONCEPAY_CHECK(is_valid_out_trade_no(out_trade_no));
  return json_object({{"out_trade_no", std::string(out_trade_no)}});
}

std::string refund_biz_content(std::string_view out_trade_no, int64_t refund_fen,
                               std::string_view refund_no) {
  ONCEPAY_CHECK(is_valid_out_trade_no(out_trade_no));
  ONCEPAY_CHECK(is_valid_out_trade_no(refund_no));
  ONCEPAY_CHECK(refund_fen > 0 && refund_fen <= kMaxAmountFen);
  return json_object({{"out_trade_no", std::string(out_trade_no)},
                      {"refund_amount", format_yuan(refund_fen)},
                      {"out_request_no", std::string(refund_no)}});
}

std::string refund_query_biz_content(std::string_view out_trade_no, std::string_view refund_no) {
  ONCEPAY_CHECK(is_valid_out_trade_no(out_trade_no));
  ONCEPAY_CHECK(is_valid_out_trade_no(refund_no));
  return json_object(
      {{"out_trade_no", std::string(out_trade_no)}, {"out_request_no", std::string(refund_no)}});
}

core::ChannelOutcome outcome_for_code(std::string_view code, std::string_view sub_code) {
  if (code == kCodeSuccess) return ChannelOutcome::kOk;
  if (sub_code == "ACQ.SYSTEM_ERROR") return ChannelOutcome::kUnavailable;
  if (code == "20001" || code == "40001" || code == "40002" || code == "40006") {
    return ChannelOutcome::kRejected;
  }
  if (code == "40004") {
    return sub_code == "ACQ.TRADE_HAS_SUCCESS" ? ChannelOutcome::kAlreadyPaid
                                               : ChannelOutcome::kRejected;
  }
  return ChannelOutcome::kUnavailable;  // 20000 and anything unknown
}

std::optional<Params> read_biz_content(std::string_view biz_content) {
  std::optional<std::vector<RawMember>> members = object_members(biz_content);
  if (!members) return std::nullopt;
  Params fields;
  for (const RawMember& m : *members) {
    // A key twice is ambiguous (which one did the signer mean?): refused.
    if (!fields.emplace(m.key, member_text(m.raw_value)).second) return std::nullopt;
  }
  return fields;
}

std::optional<ResponseCommon> read_common(std::string_view content) {
  std::optional<Params> fields = read_biz_content(content);
  if (!fields) return std::nullopt;
  ResponseCommon common;
  common.code = get(*fields, "code");
  common.msg = get(*fields, "msg");
  common.sub_code = get(*fields, "sub_code");
  common.sub_msg = get(*fields, "sub_msg");
  if (common.code.empty()) return std::nullopt;
  return common;
}

core::ChannelReply read_reply(std::string_view method, const SignedResponse& verified) {
  if (verified.verdict != Verdict::kOk) {
    return unavailable("alipay response not trusted: " + verified.detail);
  }
  const Handler* handler = handler_for(method);
  ONCEPAY_CHECK(handler != nullptr);
  std::optional<Params> fields = read_biz_content(verified.content);
  std::optional<ResponseCommon> common = read_common(verified.content);
  if (!fields || !common) return unavailable("alipay response without a code");
  if (common->code == kCodeSuccess) return handler->on_success(*fields, *common);
  const bool business = common->code == "40004" && common->sub_code != "ACQ.SYSTEM_ERROR";
  if (business && handler->on_business_failure != nullptr) {
    if (std::optional<ChannelReply> own = handler->on_business_failure(*common)) return *own;
  }
  return with(outcome_for_code(common->code, common->sub_code), describe(*common));
}

std::string response_content(const ResponseCommon& common, const Fields& fields) {
  Fields all = {{"code", common.code}, {"msg", common.msg}};
  if (!common.sub_code.empty()) all.emplace_back("sub_code", common.sub_code);
  if (!common.sub_msg.empty()) all.emplace_back("sub_msg", common.sub_msg);
  all.insert(all.end(), fields.begin(), fields.end());
  return json_object(all);
}

}  // namespace oncepay::channels::alipay
