#include "apps/sim_alipay.hpp"

#include <array>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "apps/key_file.hpp"
#include "apps/sim_statements.hpp"
#include "channels/alipay/alipay_amount.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_notify.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "core/check.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::apps {

namespace ali = channels::alipay;
using channels::CallOutcome;
using channels::PayState;
using Fields = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view kGatewayPath = "/gateway.do";
constexpr std::string_view kBillPath = "/alipay/bill/download";
constexpr std::string_view kBillMethod = "alipay.data.dataservice.bill.downloadurl.query";
// B.5 codes.
constexpr std::string_view kBusinessFailed = "40004";

bool paid(PayState s) { return s == PayState::kSuccess || s == PayState::kRefund; }

// B.3 trade_status of the model's state. A refund leaves a trade
// TRADE_SUCCESS until it is refunded in full (TRADE_CLOSED).
std::string_view trade_status(const channels::ChannelPayment& p) {
  switch (p.state) {
    case PayState::kSuccess:
      return "TRADE_SUCCESS";
    case PayState::kRefund:
      return p.refunded_minor < p.amount_minor ? "TRADE_SUCCESS" : "TRADE_CLOSED";
    case PayState::kClosed:
      return "TRADE_CLOSED";
    default:
      return "WAIT_BUYER_PAY";
  }
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

struct AlipayFront::Tables {
  struct Trade {
    std::string notify_url;
    std::string subject;
    int64_t total_fen = 0;
    int64_t created_ms = 0;
  };
  struct Refund {
    int64_t cumulative_fen = 0;  // the trade's refunded total after this refund
    bool full = false;
    int64_t time_ms = 0;
  };
  std::map<std::string, Trade, std::less<>> trades;
  std::map<std::pair<std::string, std::string>, Refund> refunds;  // (out_trade_no, out_request_no)
  std::set<std::string, std::less<>> opened;              // trades the payer scanned / opened (B.3)
  std::deque<std::pair<std::string, std::string>> bills;  // token -> zip, oldest first
};

struct AlipayFront::Call {
  std::string method;
  ali::Params params;
  ali::Params biz;
  std::string base_url;
  int64_t now_ms = 0;
};

std::vector<int64_t> alipay_notify_retry_ms() {
  constexpr int64_t min = 60'000, h = 60 * min;
  return {4 * min, 10 * min, 10 * min, 1 * h, 2 * h, 6 * h, 15 * h};
}

bool load_alipay_keys(const AlipayKeyFiles& files, AlipayFrontOptions* options,
                      std::string* error) {
  std::string text, why;
  if (!read_key_file(files.app_public_key_file, &text, error)) {
    return false;
  }
  options->app_public_key = ali::load_public_key(text, &why);
  if (!options->app_public_key) {
    *error = files.app_public_key_file + ": not an app public key (" + why + ")";
    return false;
  }
  if (!read_key_file(files.platform_private_key_file, &text, error)) {
    return false;
  }
  options->platform_private_key = ali::load_private_key(text, &why);
  if (!options->platform_private_key) {
    *error = files.platform_private_key_file + ": not a platform private key (" + why + ")";
    return false;
  }
  return true;
}

AlipayFront::AlipayFront(AlipayFrontOptions options)
    : options_(std::move(options)), tables_(std::make_unique<Tables>()) {
  ONCEPAY_CHECK(!options_.app_id.empty());
  ONCEPAY_CHECK(options_.app_public_key.has_value());
  ONCEPAY_CHECK(options_.platform_private_key.has_value());
}

AlipayFront::~AlipayFront() = default;

bool AlipayFront::owns(const http::HttpRequest& request) const {
  return request.path == kGatewayPath || request.path == kBillPath;
}

bool AlipayFront::is_acknowledged(int status, std::string_view body) const {
  return status / 100 == 2 && body == ali::kNotifyAnswerSuccess;
}

void AlipayFront::payer_touched(std::string_view payment_no) {
  std::lock_guard lock(mutex_);
  if (tables_->opened.size() < kMaxAlipayRecords) tables_->opened.emplace(payment_no);
}

http::HttpResponse AlipayFront::answer(std::string_view method, const std::string& content) const {
  http::HttpResponse r;
  r.content_type = "application/json;charset=utf-8";
  r.body = ali::build_signed_response(method, content, *options_.platform_private_key);
  return r;
}

namespace {

std::string success(const Fields& fields) {
  return ali::response_content({std::string(ali::kCodeSuccess), "Success", "", ""}, fields);
}

std::string failure(std::string_view code, std::string_view sub_code, std::string_view sub_msg) {
  std::string_view msg = code == "40001"   ? "Missing Required Arguments"
                         : code == "40002" ? "Invalid Arguments"
                         : code == "20000" ? "Service Currently Unavailable"
                                           : "Business Failed";
  return ali::response_content(
      {std::string(code), std::string(msg), std::string(sub_code), std::string(sub_msg)}, {});
}

std::string gateway_failure(ali::Verdict verdict, std::string_view detail) {
  switch (verdict) {
    case ali::Verdict::kNoSignature:
      return failure("40001", "isv.missing-signature", detail);
    case ali::Verdict::kUnsupportedSignType:
      return failure("40002", "isv.invalid-signature-type", detail);
    case ali::Verdict::kBadSignature:
      return failure("40002", "isv.invalid-signature", detail);
    case ali::Verdict::kWrongAppId:
      return failure("40002", "isv.invalid-app-id", detail);
    case ali::Verdict::kBadField:
      return failure("40002", "isv.invalid-parameter", detail);
    default:
      return failure("40001", "isv.missing-parameter", detail);
  }
}

std::string get(const ali::Params& params, std::string_view name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

}  // namespace

http::HttpResponse AlipayFront::handle_channel_request(const http::HttpRequest& request,
                                                       SimCore& core) {
  if (request.path == kBillPath) {
    std::lock_guard lock(mutex_);
    return download(request);
  }
  const bool get_request = request.method == "GET";
  if (!get_request && request.method != "POST") {
    http::HttpResponse r;
    r.status = 405;
    r.content_type = "text/plain";
    r.body = "use GET or POST";
    return r;
  }
  ali::ParsedRequest parsed =
      ali::parse_gateway_request(request.query, get_request ? std::string_view() : request.body,
                                 options_.app_id, *options_.app_public_key);
  std::string method = get(parsed.params, "method");
  if (method.empty()) method = "error";  // answered as error_response
  if (parsed.verdict != ali::Verdict::kOk) {
    return answer(method, gateway_failure(parsed.verdict, parsed.detail));
  }
  auto biz = ali::read_biz_content(get(parsed.params, "biz_content"));
  if (!biz) {
    return answer(method, failure("40002", "isv.invalid-parameter", "biz_content is not JSON"));
  }
  std::string_view host = request.header("host");
  Call call{method, std::move(parsed.params), std::move(*biz),
            std::string("http://").append(host.empty() ? std::string_view("127.0.0.1") : host),
            core::unix_ms()};
  std::lock_guard lock(mutex_);
  return dispatch(call, core);
}

http::HttpResponse AlipayFront::dispatch(Call& call, SimCore& core) {
  using Handler = http::HttpResponse (AlipayFront::*)(Call&, SimCore&);
  static const std::array<std::pair<std::string_view, Handler>, 6> kHandlers = {{
      {ali::kMethodQuery, &AlipayFront::query},
      {ali::kMethodClose, &AlipayFront::close},
      {ali::kMethodCancel, &AlipayFront::cancel},
      {ali::kMethodRefund, &AlipayFront::refund},
      {ali::kMethodRefundQuery, &AlipayFront::refund_query},
      {kBillMethod, &AlipayFront::bill_url},
  }};
  if (call.method == ali::kMethodPrecreate) return create(call, core, false);
  if (call.method == ali::kMethodPagePay || call.method == ali::kMethodWapPay) {
    return create(call, core, true);
  }
  for (const auto& [name, handler] : kHandlers) {
    if (name == call.method) return (this->*handler)(call, core);
  }
  return answer(call.method, failure("40002", "isv.invalid-method", "unknown method"));
}

// precreate (QR) and page/wap pay (the cashier page the buyer opens).
http::HttpResponse AlipayFront::create(Call& call, SimCore& core, bool page) {
  const std::string no = get(call.biz, "out_trade_no");
  const std::string subject = get(call.biz, "subject");
  auto fen = ali::parse_yuan(get(call.biz, "total_amount"));
  if (!ali::is_valid_out_trade_no(no) || subject.empty() || !fen || *fen <= 0 ||
      *fen > ali::kMaxAmountFen) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.INVALID_PARAMETER",
                                       "out_trade_no, total_amount or subject"));
  }
  channels::PrepayResult result;
  core.with_model(no, [&](channels::ChannelModel& model) {
    result = model.prepay(no, *fen, "CNY", subject, call.now_ms);
  });
  if (result.outcome == CallOutcome::kOk || result.outcome == CallOutcome::kTimeout) {
    if (tables_->trades.size() < kMaxAlipayRecords || tables_->trades.count(no) != 0) {
      tables_->trades[no] = {get(call.params, "notify_url"), subject, *fen, call.now_ms};
    }
    if (page && tables_->opened.size() < kMaxAlipayRecords) tables_->opened.insert(no);
  }
  std::string content;
  switch (result.outcome) {
    case CallOutcome::kOk:
      break;
    case CallOutcome::kAlreadyPaid:
      content = failure(kBusinessFailed, "ACQ.TRADE_HAS_SUCCESS", "the trade is paid");
      break;
    case CallOutcome::kClosed:
      content = failure(kBusinessFailed, "ACQ.TRADE_HAS_CLOSE", "the trade is closed");
      break;
    case CallOutcome::kRejected:
      content = failure(kBusinessFailed, "ACQ.CONTEXT_INCONSISTENT",
                        "out_trade_no reused with other parameters, or a limit");
      break;
    default:
      content = failure("20000", "isp.unknow-error", "system busy");
  }
  if (!page) {
    if (content.empty()) {
      content =
          success({{"out_trade_no", no}, {"qr_code", "https://qr.alipay.com/" + result.prepay_id}});
    }
    return answer(call.method, content);
  }
  http::HttpResponse r;
  r.content_type = "text/html;charset=utf-8";
  r.body =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Alipay cashier "
      "(oncepay-channel-sim)</title></head><body><p>trade " +
      html_escape(no) + ", " + ali::format_yuan(*fen) +
      " yuan: " + html_escape(content.empty() ? std::string("waiting for the payer") : content) +
      "</p><p>The payer pays with POST /sandbox/payments/" + html_escape(no) +
      "/pay</p></body></html>";
  return r;
}

namespace {

// B.3: a trade Alipay has not created yet (no scan, no page) is not there;
// a close before the scan closes a trade that never existed for the payer.
bool exists(const std::set<std::string, std::less<>>& opened,
            const std::optional<channels::ChannelPayment>& p) {
  return p && (opened.count(p->payment_no) != 0 ||
               (p->state != PayState::kNotPay && p->state != PayState::kClosed));
}

}  // namespace

http::HttpResponse AlipayFront::query(Call& call, SimCore& core) {
  const std::string no = get(call.biz, "out_trade_no");
  channels::QueryResult q;
  std::optional<channels::ChannelPayment> p;
  core.with_model(no, [&](channels::ChannelModel& model) {
    q = model.query(no);
    p = model.get(no);
  });
  if (q.outcome == CallOutcome::kUnavailable) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.SYSTEM_ERROR", "system busy"));
  }
  if (!exists(tables_->opened, p)) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.TRADE_NOT_EXIST", "no such trade"));
  }
  Fields fields;
  if (paid(p->state) || !p->channel_trade_no.empty()) {
    fields.emplace_back("trade_no", p->channel_trade_no);
  }
  fields.emplace_back("out_trade_no", no);
  fields.emplace_back("trade_status", std::string(trade_status(*p)));
  fields.emplace_back("total_amount", ali::format_yuan(p->amount_minor));
  if (paid(p->state)) {
    fields.emplace_back("buyer_pay_amount", ali::format_yuan(p->amount_minor));
    fields.emplace_back("send_pay_date", china_time(p->updated_ms));
  }
  return answer(call.method, success(fields));
}

http::HttpResponse AlipayFront::close(Call& call, SimCore& core) {
  const std::string no = get(call.biz, "out_trade_no");
  std::optional<channels::ChannelPayment> before;
  channels::CloseResult result;
  core.with_model(no, [&](channels::ChannelModel& model) {
    before = model.get(no);
    result = model.close(no, call.now_ms);  // a late scan cannot pay it either way
  });
  if (!exists(tables_->opened, before)) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.TRADE_NOT_EXIST", "no such trade"));
  }
  if (result.outcome == CallOutcome::kAlreadyPaid) {
    return answer(call.method,
                  failure(kBusinessFailed, "ACQ.TRADE_STATUS_ERROR", "the trade is paid"));
  }
  if (before->state == PayState::kClosed) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.TRADE_HAS_CLOSE", "already closed"));
  }
  return answer(call.method, success({{"out_trade_no", no}}));
}

// B.2 cancel (reversal): unpaid -> closed (action close), paid -> refunded
// in full (action refund).
http::HttpResponse AlipayFront::cancel(Call& call, SimCore& core) {
  const std::string no = get(call.biz, "out_trade_no");
  std::optional<channels::ChannelPayment> before;
  channels::CloseResult result;
  core.with_model(no, [&](channels::ChannelModel& model) {
    before = model.get(no);
    result = model.reverse(no, call.now_ms);
  });
  if (!exists(tables_->opened, before)) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.TRADE_NOT_EXIST", "no such trade"));
  }
  Fields fields;
  if (!result.channel_trade_no.empty()) fields.emplace_back("trade_no", result.channel_trade_no);
  fields.emplace_back("out_trade_no", no);
  fields.emplace_back("retry_flag", "N");
  fields.emplace_back("action", paid(before->state) ? "refund" : "close");
  return answer(call.method, success(fields));
}

http::HttpResponse AlipayFront::refund(Call& call, SimCore& core) {
  const std::string no = get(call.biz, "out_trade_no");
  std::string request_no = get(call.biz, "out_request_no");
  if (request_no.empty()) request_no = no;  // Alipay's default (C.2)
  auto fen = ali::parse_yuan(get(call.biz, "refund_amount"));
  if (!fen || *fen <= 0) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.INVALID_PARAMETER", "refund_amount"));
  }
  std::optional<channels::ChannelPayment> before, after;
  channels::RefundResult result;
  core.with_model(no, [&](channels::ChannelModel& model) {
    before = model.get(no);
    if (!exists(tables_->opened, before)) return;
    result = model.refund(no, request_no, *fen, call.now_ms);
    after = model.get(no);
  });
  if (!exists(tables_->opened, before)) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.TRADE_NOT_EXIST", "no such trade"));
  }
  switch (result.outcome) {
    case CallOutcome::kOk:
      break;
    case CallOutcome::kNotPaid:
      return answer(call.method,
                    failure(kBusinessFailed, "ACQ.TRADE_STATUS_ERROR", "the trade is not paid"));
    case CallOutcome::kExceeds:
      return answer(call.method, failure(kBusinessFailed, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                                         "refunds would exceed the paid amount"));
    default:
      return answer(call.method, failure(kBusinessFailed, "ACQ.INVALID_PARAMETER",
                                         "bad refund, or out_request_no reused"));
  }
  const bool moved = before->refunds.count(request_no) == 0;
  auto key = std::make_pair(no, request_no);
  if (moved && tables_->refunds.size() < kMaxAlipayRecords) {
    tables_->refunds[key] = {after->refunded_minor, after->refunded_minor >= after->amount_minor,
                             call.now_ms};
  }
  return answer(call.method, success({{"trade_no", after->channel_trade_no},
                                      {"out_trade_no", no},
                                      {"buyer_logon_id", "sim***@alipay.test"},
                                      {"fund_change", moved ? "Y" : "N"},
                                      {"refund_fee", ali::format_yuan(after->refunded_minor)},
                                      {"gmt_refund_pay", china_time(call.now_ms)}}));
}

http::HttpResponse AlipayFront::refund_query(Call& call, SimCore& core) {
  const std::string no = get(call.biz, "out_trade_no");
  std::string request_no = get(call.biz, "out_request_no");
  if (request_no.empty()) request_no = no;
  std::optional<channels::ChannelPayment> p;
  core.with_model(no, [&](channels::ChannelModel& model) { p = model.get(no); });
  if (!exists(tables_->opened, p)) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.TRADE_NOT_EXIST", "no such trade"));
  }
  auto it = p->refunds.find(request_no);
  if (it == p->refunds.end()) {
    // B.2: no refund_status means the refund request is unknown.
    return answer(call.method, success({{"out_trade_no", no}, {"out_request_no", request_no}}));
  }
  Fields fields = {{"trade_no", p->channel_trade_no},
                   {"out_trade_no", no},
                   {"out_request_no", request_no},
                   {"refund_amount", ali::format_yuan(it->second)},
                   {"total_amount", ali::format_yuan(p->amount_minor)},
                   {"refund_status", "REFUND_SUCCESS"}};
  auto info = tables_->refunds.find(std::make_pair(no, request_no));
  if (info != tables_->refunds.end()) {
    fields.emplace_back("gmt_refund_pay", china_time(info->second.time_ms));
  }
  return answer(call.method, success(fields));
}

http::HttpResponse AlipayFront::bill_url(Call& call, SimCore& core) {
  const std::string day = get(call.biz, "bill_date");
  const std::string type = get(call.biz, "bill_type");
  if (type != "trade" || !is_day(day)) {
    return answer(call.method, failure(kBusinessFailed, "ACQ.INVALID_PARAMETER",
                                       "this simulator serves daily trade bills only"));
  }
  // B.5 note: a day that is not over has no bill yet (the real one comes
  // T+1; this simulator serves today's intraday so far).
  if (day > business_day(core::unix_ms())) {
    return answer(call.method, failure(kBusinessFailed, "isp.bill_not_exist",
                                       "the bill of that day does not exist yet"));
  }
  const std::string account = options_.account_id.empty() ? options_.app_id : options_.account_id;
  std::string zip, why;
  if (!alipay_trade_bill_zip(core.settled_on(day, ""), account, day, &zip, &why)) {
    return answer(call.method, failure("20000", "isp.unknow-error", why));
  }
  const std::string token = random_alnum(32);
  tables_->bills.emplace_back(token, std::move(zip));
  if (tables_->bills.size() > kMaxAlipayBills) tables_->bills.pop_front();
  return answer(call.method,
                success({{"bill_download_url", call.base_url + std::string(kBillPath) +
                                                   "?token=" + token + "&fileType=csv.zip"}}));
}

http::HttpResponse AlipayFront::download(const http::HttpRequest& request) {
  auto params = ali::parse_form(request.query, nullptr);
  const std::string token = params ? get(*params, "token") : std::string();
  for (const auto& [t, zip] : tables_->bills) {
    if (!token.empty() && t == token) {
      http::HttpResponse r;
      r.content_type = "application/zip";
      r.body = zip;
      return r;
    }
  }
  http::HttpResponse r;
  r.status = 404;
  r.content_type = "text/plain";
  r.body = "no bill for that token";
  return r;
}

// B.4: the V1-signed form body; the common fields, then the trade's.
std::optional<WireNotification> AlipayFront::encode_notification(const v1::ChannelNotification& n) {
  const bool refund = n.status() == v1::ChannelNotification::REFUND_SUCCESS;
  if (n.status() != v1::ChannelNotification::SUCCESS && !refund) return std::nullopt;
  const int64_t now_ms = core::unix_ms();
  ali::Params f;
  WireNotification wire;
  {
    std::lock_guard lock(mutex_);
    auto trade = tables_->trades.find(n.payment_no());
    if (trade == tables_->trades.end()) return std::nullopt;  // not created through this API
    wire.url = trade->second.notify_url;
    f["subject"] = trade->second.subject;
    f["gmt_create"] = china_time(trade->second.created_ms);
    f["total_amount"] = ali::format_yuan(refund ? trade->second.total_fen : n.amount());
    f["trade_status"] = "TRADE_SUCCESS";
    if (refund) {
      auto r = tables_->refunds.find(std::make_pair(n.payment_no(), n.refund_no()));
      if (r == tables_->refunds.end()) return std::nullopt;
      f["refund_fee"] = ali::format_yuan(r->second.cumulative_fen);
      f["out_biz_no"] = n.refund_no();
      f["gmt_refund"] = china_time(r->second.time_ms);
      if (r->second.full) f["trade_status"] = "TRADE_CLOSED";
    } else {
      f["receipt_amount"] = f["total_amount"];
      f["buyer_pay_amount"] = f["total_amount"];
      f["gmt_payment"] = china_time(now_ms);
    }
  }
  f["notify_time"] = china_time(now_ms);
  f["notify_type"] = "trade_status_sync";
  f["notify_id"] = n.notify_id();
  f["app_id"] = options_.app_id;
  f["auth_app_id"] = options_.app_id;
  f["charset"] = "utf-8";
  f["version"] = "1.0";
  f["trade_no"] = n.channel_trade_no();
  f["out_trade_no"] = n.payment_no();
  f["seller_id"] = options_.account_id.empty() ? options_.app_id : options_.account_id;
  wire.body = ali::build_notification_body(std::move(f), *options_.platform_private_key);
  wire.headers = {{"Content-Type", std::string(ali::kFormContentType)}};
  return wire;
}

}  // namespace oncepay::apps
