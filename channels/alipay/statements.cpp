#include "channels/alipay/statements.hpp"

#include <boost/json.hpp>

#include "channels/alipay/account.hpp"
#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "channels/alipay/trade_bill.hpp"
#include "channels/statement_files.hpp"
#include "core/check.hpp"
#include "core/wall_clock.hpp"
#include "http/url.hpp"

namespace oncepay::channels::alipay {

namespace {

using Status = FetchedStatement::Status;

// The gateway's answer is a small JSON object.
constexpr size_t kMaxQueryAnswerBytes = 64 * 1024;

FetchedStatement result(Status status, std::string detail) {
  FetchedStatement r;
  r.status = status;
  r.detail = std::move(detail);
  return r;
}

FetchedStatement failed(std::string detail) { return result(Status::kFailed, std::move(detail)); }

// Steps 1-2: the bill's URL, or (url empty) *refusal says why not.
std::string query_bill_url(const Account& account, const StatementFetch& fetch,
                           const std::string& tls_ca_file, FetchedStatement* refusal) {
  RequestSpec spec;
  spec.app_id = account.app_id;
  spec.method = std::string(kMethodBillDownloadUrl);
  spec.biz_content = bill_biz_content(fetch.date);
  spec.now_unix_ms = core::unix_ms();
  auto r = blocking_http(
      "POST", account.base_url, {{"Content-Type", std::string(kFormContentType)}},
      build_request_body(spec, *account.app_key), fetch.timeout, kMaxQueryAnswerBytes, tls_ca_file);
  std::string why;
  if (!r.ok) {
    why = "alipay unreachable: " + r.error;
  } else if (r.status != 200) {
    why = "alipay answered HTTP " + std::to_string(r.status);
  }
  if (!why.empty()) {
    *refusal = failed(why);
    return {};
  }
  const SignedResponse verified = verify_response(r.body, spec.method, *account.alipay_key);
  if (verified.verdict != Verdict::kOk) {
    *refusal =
        failed("alipay: bill answer not verified: " + std::string(to_string(verified.verdict)));
    return {};
  }
  auto common = read_common(verified.content);
  auto fields = read_biz_content(verified.content);
  if (!common || !fields) {
    *refusal = failed("alipay: bill answer is malformed");
    return {};
  }
  if (common->code != kCodeSuccess) {
    const bool not_ready = common->sub_code == kSubCodeBillNotExist;
    *refusal = result(not_ready ? Status::kNotReady : Status::kFailed,
                      "alipay: " + common->code + " " + common->sub_code);
    return {};
  }
  auto it = fields->find("bill_download_url");
  if (it == fields->end() || it->second.empty()) {
    *refusal = failed("alipay: bill answer without bill_download_url");
    return {};
  }
  if (!is_allowed_bill_url(it->second, account.base_url)) {
    *refusal = failed("alipay: bill_download_url is not on the account's base_url");
    return {};
  }
  return it->second;
}

FetchedStatement fetch_bill(const ChannelAccounts& accounts, std::string_view channel,
                            const std::string& tls_ca_file, const StatementFetch& fetch) {
  auto account = accounts.get_as<Account>(fetch.merchant_id, channel);
  if (!account || !account->app_key || !account->alipay_key) {
    return result(Status::kNoAccount, "merchant has no alipay account");
  }
  if (!is_statement_date(fetch.date)) return failed("alipay: the date is not YYYY-MM-DD");
  FetchedStatement done;
  const std::string url = query_bill_url(*account, fetch, tls_ca_file, &done);
  if (url.empty()) return done;
  auto file = blocking_http("GET", url, {}, "", fetch.timeout, kMaxStatementBytes, tls_ca_file);
  if (!file.ok) return failed("alipay bill download failed: " + file.error);
  if (file.status != 200) {
    return failed("alipay: bill download answered HTTP " + std::to_string(file.status));
  }
  std::string why;
  if (!write_statement_file(fetch.dest_path, file.body, &why)) return failed(why);
  done = result(Status::kOk, "");
  done.bytes = file.body.size();
  return done;
}

}  // namespace

bool is_allowed_bill_url(std::string_view url, std::string_view base_url) {
  if (same_origin(url, base_url)) return true;
  auto u = http::parse_url(url);
  auto b = http::parse_url(base_url);
  if (!u || !b) return false;
  return b->tls && b->host == kGatewayHost && u->host == kBillHost &&
         u->port == http::default_port(u->tls);
}

std::string bill_biz_content(std::string_view date) {
  boost::json::object o;
  o["bill_type"] = "trade";
  o["bill_date"] = boost::json::string_view(date.data(), date.size());
  return boost::json::serialize(o);
}

StatementSource statement_source(std::shared_ptr<const ChannelAccounts> accounts,
                                 std::string channel, std::string tls_ca_file) {
  ONCEPAY_CHECK(accounts != nullptr);
  StatementSource s;
  s.media = StatementMedia::kZip;
  s.parse = &parse_trade_bill_zip_file;
  s.fetch = [accounts, channel, tls_ca_file](const StatementFetch& fetch) {
    return fetch_bill(*accounts, channel, tls_ca_file, fetch);
  };
  s.account_id = [accounts, channel](const std::string& merchant_id) -> std::string {
    auto account = accounts->get_as<Account>(merchant_id, channel);
    return account == nullptr ? std::string() : account->app_id;
  };
  return s;
}

}  // namespace oncepay::channels::alipay
