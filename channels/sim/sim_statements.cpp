#include "channels/sim/sim_statements.hpp"

#include "channels/sim/sim_protocol.hpp"
#include "channels/statement_files.hpp"
#include "channels/wechatpay/statements.hpp"
#include "core/wall_clock.hpp"

namespace oncepay::channels::sim {

namespace {

using Status = FetchedStatement::Status;

FetchedStatement result(Status status, std::string detail) {
  FetchedStatement r;
  r.status = status;
  r.detail = std::move(detail);
  return r;
}

struct SimSource {
  std::string url;
  std::string secret;
  int64_t tolerance_s = 0;

  FetchedStatement fetch(const StatementFetch& f) const {
    if (!is_statement_date(f.date))
      return result(Status::kFailed, "sim: the date is not YYYY-MM-DD");
    if (f.merchant_id.empty()) return result(Status::kFailed, "sim: no merchant_id");
    const std::string path = statement_path(f.date, f.merchant_id);
    auto r = blocking_http(
        "GET", url + path,
        {{"X-Channel-Signature", sign_request(secret, core::unix_seconds(), "GET", path, "")}}, "",
        f.timeout, kMaxStatementBytes);
    if (!r.ok) return result(Status::kFailed, "sim unreachable: " + r.error);
    auto check = verify_response(secret, answer_header(r, kSignatureHeader), r.status, path, r.body,
                                 core::unix_seconds(), tolerance_s);
    if (check != core::SignatureCheck::kOk) {
      return result(Status::kFailed, "sim: statement answer (HTTP " + std::to_string(r.status) +
                                         ") signature " + std::string(core::to_string(check)));
    }
    v1::ErrorResponse refusal;
    std::string why;
    if (r.status == 404 && from_wire_json(r.body, &refusal, &why) &&
        refusal.error().code() == kStatementNotReadyCode) {
      return result(Status::kNotReady, "sim: the statement does not exist yet");
    }
    if (r.status != 200) {
      return result(Status::kFailed, "sim: statement answered HTTP " + std::to_string(r.status));
    }
    if (!write_statement_file(f.dest_path, r.body, &why)) return result(Status::kFailed, why);
    FetchedStatement ok = result(Status::kOk, "");
    ok.bytes = r.body.size();
    return ok;
  }
};

}  // namespace

StatementSource sim_statement_source(std::string url, std::string secret,
                                     int64_t signature_tolerance_s) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  SimSource source{std::move(url), std::move(secret), signature_tolerance_s};
  StatementSource s;
  s.media = StatementMedia::kCsv;
  s.parse = &wechatpay::parse_tradebill_file;
  s.fetch = [source](const StatementFetch& fetch) { return source.fetch(fetch); };
  s.account_id = [](const std::string& merchant_id) { return merchant_id; };
  return s;
}

}  // namespace oncepay::channels::sim
