#include "channels/wechatpay/statements.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include "channels/statement_files.hpp"
#include "channels/wechatpay/account.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/json_fields.hpp"
#include "channels/wechatpay/signature.hpp"
#include "core/check.hpp"
#include "core/signature.hpp"
#include "core/wall_clock.hpp"
#include "http/url.hpp"

namespace oncepay::channels::wechatpay {

namespace {

using Status = FetchedStatement::Status;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A.5: nonce_str, 32 characters.
constexpr size_t kNonceBytes = 16;
// The tradebill answer is a small JSON object.
constexpr size_t kMaxBillAnswerBytes = 64 * 1024;

FetchedStatement result(Status status, std::string detail) {
  FetchedStatement r;
  r.status = status;
  r.detail = std::move(detail);
  return r;
}

FetchedStatement failed(std::string detail) { return result(Status::kFailed, std::move(detail)); }

// The signed GET (A.5) of `url`, whose path + query is canonical_url; *why
// set when signing failed (no request is made then).
http::HttpClientResult signed_get(const Account& account, const std::string& url,
                                  const std::string& canonical_url, const StatementFetch& fetch,
                                  size_t max_bytes, const std::string& tls_ca_file,
                                  std::string* why) {
  std::string authorization;
  if (sign_request(account.merchant_key, account.mchid, account.merchant_serial_no, "GET",
                   canonical_url, core::unix_seconds(), core::random_token(kNonceBytes), "",
                   &authorization) != Error::kOk) {
    *why = "wechatpay: signing the request failed";
    return {};
  }
  Headers headers = {{"Authorization", std::move(authorization)}, {"Accept", "application/json"}};
  return blocking_http("GET", url, std::move(headers), "", fetch.timeout, max_bytes, tls_ca_file);
}

Error verify(const http::HttpClientResult& r, const Account& account) {
  SignedHeaders h;
  h.timestamp = answer_header(r, "wechatpay-timestamp");
  h.nonce = answer_header(r, "wechatpay-nonce");
  h.signature = answer_header(r, "wechatpay-signature");
  h.serial = answer_header(r, "wechatpay-serial");
  return verify_signed(h, r.body, account.platform_keys, core::unix_seconds());
}

struct BillAnswer {
  std::string hash_type;
  std::string hash_value;
  std::string download_url;
};

// Step 2 for a verified answer: the bill's location, or the result to give.
std::optional<FetchedStatement> read_bill_answer(const http::HttpClientResult& r,
                                                 const Account& account, BillAnswer* out) {
  if (r.status != 200) {
    ApiError e;
    if (parse_error_body(r.body, &e) != Error::kOk) {
      return failed("wechatpay: tradebill answered HTTP " + std::to_string(r.status));
    }
    if (r.status == 400 && is_bill_not_ready_code(e.code)) {
      return result(Status::kNotReady, "wechatpay: " + e.code + ": the bill does not exist yet");
    }
    return failed("wechatpay: tradebill answered HTTP " + std::to_string(r.status) + " " + e.code);
  }
  boost::json::value v;
  namespace jf = json_fields;
  const Error e =
      jf::parse_object(r.body, &v) != Error::kOk
          ? Error::kMalformedJson
          : jf::first({jf::read_string(v.as_object(), "hash_type", &out->hash_type),
                       jf::read_string(v.as_object(), "hash_value", &out->hash_value),
                       jf::read_string(v.as_object(), "download_url", &out->download_url)});
  if (e != Error::kOk) return failed("wechatpay: tradebill answer: " + std::string(to_string(e)));
  if (out->hash_type != "SHA1") return failed("wechatpay: hash_type " + out->hash_type);
  if (!same_origin(out->download_url, account.base_url)) {
    return failed("wechatpay: download_url is not on the account's base_url");
  }
  return std::nullopt;
}

bool equal_hex(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'F') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

FetchedStatement fetch_bill(const ChannelAccounts& accounts, std::string_view channel,
                            const std::string& tls_ca_file, const StatementFetch& fetch) {
  auto account = accounts.get_as<Account>(fetch.merchant_id, channel);
  if (account == nullptr) {
    return result(Status::kNoAccount, "merchant has no wechatpay account");
  }
  if (!is_statement_date(fetch.date)) return failed("wechatpay: the date is not YYYY-MM-DD");
  const std::string canonical = tradebill_url(fetch.date);
  std::string why;
  auto r = signed_get(*account, account->base_url + canonical, canonical, fetch,
                      kMaxBillAnswerBytes, tls_ca_file, &why);
  if (!why.empty()) return failed(why);
  if (!r.ok) return failed("wechatpay unreachable: " + r.error);
  if (const Error e = verify(r, *account); e != Error::kOk) {
    return failed("wechatpay: tradebill answer (HTTP " + std::to_string(r.status) +
                  ") not verified: " + std::string(to_string(e)));
  }
  BillAnswer bill;
  if (auto done = read_bill_answer(r, *account, &bill)) return *done;
  auto target = http::parse_url(bill.download_url);
  ONCEPAY_CHECK(target.has_value());  // same_origin parsed it
  auto file = signed_get(*account, bill.download_url, target->target, fetch, kMaxStatementBytes,
                         tls_ca_file, &why);
  if (!why.empty()) return failed(why);
  if (!file.ok) return failed("wechatpay bill download failed: " + file.error);
  if (file.status != 200) {
    return failed("wechatpay: bill download answered HTTP " + std::to_string(file.status));
  }
  if (!equal_hex(bill.hash_value, sha1_hex(file.body))) {
    return failed("wechatpay: hash_value does not match the downloaded bill");
  }
  if (!write_statement_file(fetch.dest_path, file.body, &why)) return failed(why);
  FetchedStatement ok = result(Status::kOk, "");
  ok.bytes = file.body.size();
  return ok;
}

}  // namespace

bool parse_tradebill_file(const std::string& path, const TradebillParser::LineFn& on_line,
                          core::StatementSummary* summary, core::StatementError* error) {
  TradebillParser parser(on_line);
  std::string io_error;
  if (!read_file_chunks(
          path, [&parser](std::string_view chunk) { return parser.feed(chunk); }, &io_error)) {
    *error = io_error.empty() ? parser.error() : core::StatementError{0, io_error};
    return false;
  }
  if (!parser.finish(summary)) {
    *error = parser.error();
    return false;
  }
  return true;
}

std::string tradebill_url(std::string_view date) {
  return std::string("/v3/bill/tradebill?bill_date=").append(date).append("&bill_type=ALL");
}

bool is_bill_not_ready_code(std::string_view code) {
  return code == "NO_STATEMENT_EXIST" || code == "STATEMENT_CREATING";
}

std::string sha1_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  ONCEPAY_CHECK(EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha1(), nullptr) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

StatementSource statement_source(std::shared_ptr<const ChannelAccounts> accounts,
                                 std::string channel, std::string tls_ca_file) {
  ONCEPAY_CHECK(accounts != nullptr);
  StatementSource s;
  s.media = StatementMedia::kCsv;
  s.parse = &parse_tradebill_file;
  s.fetch = [accounts, channel, tls_ca_file](const StatementFetch& fetch) {
    return fetch_bill(*accounts, channel, tls_ca_file, fetch);
  };
  s.account_id = [accounts, channel](const std::string& merchant_id) -> std::string {
    auto account = accounts->get_as<Account>(merchant_id, channel);
    return account == nullptr ? std::string() : account->mchid;
  };
  return s;
}

}  // namespace oncepay::channels::wechatpay
