// The alipay channel's daily statements (channels/statement_source.hpp): the
// 业务明细 zip (trade_bill.hpp) parsed from a file, the account id a
// merchant's bill carries, and the fetch of one merchant's trade bill for
// one day through the merchant's own Alipay account.
//
// Fetch (docs/channels/PROTOCOLS.md B.1, B.2 "bill.downloadurl.query", B.5, C.2):
//   1. alipay.data.dataservice.bill.downloadurl.query with biz_content
//      {"bill_type":"trade","bill_date":"YYYY-MM-DD"}, signed like every
//      adapter call (B.1, the account's app key), POSTed to the account's
//      gateway; the answer must be HTTP 200 and its `_response` must verify
//      under the account's Alipay public key (B.1 "response sign"), whatever
//      its code: an unsigned or unverifiable answer is kFailed.
//   2. code 10000 with bill_download_url: the URL must be on the account's
//      base_url (scheme, host and port), or, for an account on Alipay's
//      production gateway, on Alipay's bill host kBillHost (is_allowed_bill_url),
//      else kFailed. code 40004 with
//      sub_code isp.bill_not_exist (B.5 note: the bill does not exist yet,
//      or the day had no trade): kNotReady. Anything else: kFailed with the
//      codes.
//   3. GET bill_download_url (unsigned: the URL carries its own token, valid
//      30 s, B.2); HTTP 200: the zip goes to dest_path (0600). Its content
//      is checked by parse, not here (Alipay publishes no hash of it).
// Each HTTP request is bounded by StatementFetch::timeout; the zip by
// kMaxStatementBytes (statement_files.hpp).
//
// account_id(merchant_id): the account's app_id. The bill's preamble line
// `#账号：[…]` holds the account (C.2; a real bill prints the Alipay pid +
// "0156", which the account admin body does not hold), and the simulator
// prints the app_id there (apps/sim_alipay.hpp AlipayFrontOptions::
// account_id, default app_id), so the app_id is what oncepay checks a bill
// against. "" when the merchant has no alipay account.
//
// Threads and ownership: as wechatpay/statements.hpp: closures over the
// shared ChannelAccounts, any thread, concurrently; nothing logs, no detail
// names a key.
//
// Failure modes: parse as parse_trade_bill_zip_file (line 0 for a file that
// is not a readable zip); fetch as statement_source.hpp says.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "channels/accounts.hpp"
#include "channels/statement_source.hpp"

namespace oncepay::channels::alipay {

inline constexpr std::string_view kMethodBillDownloadUrl =
    "alipay.data.dataservice.bill.downloadurl.query";
// B.5 note: the sub_code of a bill that does not exist (yet).
inline constexpr std::string_view kSubCodeBillNotExist = "isp.bill_not_exist";

// Where Alipay's production gateway points bill_download_url: the official
// EasySDK's test expects "http://dwbillcenter.alipay.com/..." (AE
// java/src/test/java/com/alipay/easysdk/payment/common/ClientTest.java
// testDownloadBill). Plain http as Alipay gives it: the URL comes from a
// verified answer, but the zip itself carries no hash (uncertain, PROTOCOLS.md).
inline constexpr std::string_view kBillHost = "dwbillcenter.alipay.com";
// The host of kGatewayUrl.
inline constexpr std::string_view kGatewayHost = "openapi.alipay.com";

// True when the download URL may be followed for an account at `base_url`:
// same_origin (statement_files.hpp), or base_url on kGatewayHost and the URL
// on kBillHost (http or https, default port).
bool is_allowed_bill_url(std::string_view url, std::string_view base_url);

// {"bill_type":"trade","bill_date":"<date>"}.
std::string bill_biz_content(std::string_view date);

// The alipay StatementSource over the accounts registered under `channel`
// ("alipay"). `tls_ca_file`: the channel's further CAs (alipay.tls-ca-file).
StatementSource statement_source(std::shared_ptr<const ChannelAccounts> accounts,
                                 std::string channel, std::string tls_ca_file);

}  // namespace oncepay::channels::alipay
