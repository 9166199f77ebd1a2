// The wechatpay channel's daily statements (channels/statement_source.hpp):
// the trade bill of type ALL (tradebill.hpp) parsed from a file, the account
// id a merchant's bill carries, and the fetch of one merchant's bill for one
// day through the merchant's own WeChat Pay account.
//
// Fetch (docs/channels/PROTOCOLS.md A.1 "trade bill" and "bill file", C.1):
//   1. GET /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL, signed as
//      every adapter request (A.5, the account's merchant key and serial);
//      the answer's Wechatpay-* signature is verified over its exact body
//      with the account's platform keys (A.6), whatever its status: an
//      unsigned or unverifiable answer is kFailed (A.6 "unsigned 2xx").
//   2. 200 {"hash_type":"SHA1","hash_value","download_url"}: download_url
//      must be on the account's base_url (scheme, host and port), else
//      kFailed: a signed answer must not send the merchant's signed request
//      anywhere else. 400 NO_STATEMENT_EXIST or STATEMENT_CREATING (the bill
//      page's error table, A.8 note): kNotReady. Anything else: kFailed with
//      the code.
//   3. GET download_url, signed the same way (A.1 "bill file": signed like
//      any request). Its answer is NOT signed (A.1: "response is not
//      signed"), so its signature is not checked; instead the SHA-1 of the
//      bytes must equal hash_value (case-insensitive hex), else kFailed
//      "hash_value does not match". Then the bytes go to dest_path (0600).
// Each HTTP request is bounded by StatementFetch::timeout; the file by
// kMaxStatementBytes (statement_files.hpp).
//
// account_id(merchant_id): the account's mchid (the bill's 商户号, C.1), ""
// when the merchant has no wechatpay account.
//
// Threads and ownership: the StatementSource's closures hold the shared
// ChannelAccounts and are safe to call from any thread, concurrently; an
// account is read once per fetch (a replaced account does not change a
// fetch in flight). Nothing here logs, and no detail names a key.
//
// Failure modes: parse as TradebillParser (1-based line and reason; line 0
// for a file that cannot be read); fetch as statement_source.hpp says.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "channels/accounts.hpp"
#include "channels/statement_source.hpp"
#include "channels/wechatpay/tradebill.hpp"

namespace oncepay::channels::wechatpay {

// The ALL bill in the file at `path`, streamed in 64 KiB chunks through a
// TradebillParser (also the sandbox's and the sim channel's statements).
bool parse_tradebill_file(const std::string& path, const TradebillParser::LineFn& on_line,
                          core::StatementSummary* summary, core::StatementError* error);

// A.1: "/v3/bill/tradebill?bill_date=<date>&bill_type=ALL" (what is sent and signed).
std::string tradebill_url(std::string_view date);

// The bill-not-ready error codes of the trade bill API (A.8 note).
bool is_bill_not_ready_code(std::string_view code);

// Lower-case hex SHA-1 of `bytes` (the answer's hash_value, C.1).
std::string sha1_hex(std::string_view bytes);

// The wechatpay StatementSource over the accounts registered under
// `channel` ("wechatpay"). `tls_ca_file`: the channel's further CAs
// (wechatpay.tls-ca-file) for https base URLs.
StatementSource statement_source(std::shared_ptr<const ChannelAccounts> accounts,
                                 std::string channel, std::string tls_ca_file);

}  // namespace oncepay::channels::wechatpay
