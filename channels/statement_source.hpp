// A channel's daily statements (对账单) for reconciliation
// (docs/RECONCILIATION.md): how the channel's statement file is parsed, and
// how the statement of one merchant's business day is fetched from the
// channel. A channel plug-in sets ChannelEntry::statements
// (channels/registry.hpp); a channel without it cannot be reconciled.
//
// Implementations: channels/wechatpay/statements.hpp,
// channels/alipay/statements.hpp, channels/sim/sim_statements.hpp, the
// sandbox's (channels/sandbox/sandbox_plugin.hpp); what they share (64 KiB
// chunked reads, 0600 writes, bounded blocking HTTP, the download-host rule)
// is channels/statement_files.hpp; docs/CHANNELS.md "Statements".
//
// Formats (docs/channels/PROTOCOLS.md part C):
// - wechatpay: the tradebill ALL CSV (channels/wechatpay/tradebill.hpp);
// - alipay: the zip holding the GBK trade bill CSV
//   (channels/alipay/trade_bill.hpp);
// - sandbox and sim: WeChat's ALL CSV layout, where the account id column
//   (商户号) holds the oncepay merchant_id.
//
// Threads and ownership: both functions are called on the reconciliation
// worker's own thread (actors/recon_actor.hpp), never on a CAF scheduler
// thread, and may block: parse reads a file; fetch does blocking HTTP
// (channels/statement_files.hpp blocking_http; the sandbox: its in-process
// model) within StatementFetch::timeout per request. They must be safe to call from any one thread
// at a time per call (the registry's closures may be called concurrently
// for different merchants).
//
// Failure modes: parse returns false with the StatementError (1-based line,
// the header being line 1, and the reason) and the caller applies nothing;
// fetch answers kNotReady (the channel says the statement does not exist
// yet: the schedule retries later), kNoAccount (the merchant has no account
// on this channel), or kFailed (anything else: network, a refused or
// unverifiable answer, a hash that does not match), with a sentence that
// names no secret.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/statement.hpp"

namespace oncepay::channels {

// What an uploaded statement's body may be (POST /admin/reconciliations).
enum class StatementMedia : uint8_t {
  kCsv,  // text/csv: WeChat's ALL layout (wechatpay, sandbox, sim)
  kZip,  // application/zip: Alipay's bill zip
};

struct StatementFetch {
  std::string merchant_id;
  std::string date;  // the business day, "YYYY-MM-DD" (recon.timezone)
  // Where to write the statement file (the caller's temporary file in the
  // data dir; created 0600 by the fetcher, overwritten if it exists).
  std::string dest_path;
  std::chrono::milliseconds timeout{30'000};  // per HTTP request
};

struct FetchedStatement {
  enum class Status : uint8_t { kOk, kNotReady, kNoAccount, kFailed };
  Status status = Status::kFailed;
  std::string detail;  // why, for the run's error; no secret
  uint64_t bytes = 0;  // written to dest_path (kOk)
};

struct StatementSource {
  // The media type an upload of this channel must have.
  StatementMedia media = StatementMedia::kCsv;
  // Parses the statement file at `path` as a stream, calling on_line for
  // each line in file order, then fills *summary. False with *error (nothing
  // after the error may be trusted). For sandbox/sim/wechatpay the account id
  // of every line and of the summary is what the file says; the caller checks
  // it against the merchant.
  std::function<bool(const std::string& path,
                     const std::function<void(const core::StatementLine&)>& on_line,
                     core::StatementSummary* summary, core::StatementError* error)>
      parse;
  // Fetches the statement of (merchant, date) into fetch.dest_path. Empty:
  // this channel's statements can only be uploaded.
  std::function<FetchedStatement(const StatementFetch& fetch)> fetch;
  // The account id the merchant's statements carry (WeChat: the account's
  // mchid; Alipay: the account's app_id, what the preamble's #账号 line
  // holds in the simulator's bills, channels/alipay/statements.hpp; sandbox
  // and sim: the merchant_id), or "" when the merchant has no account on
  // this channel: a statement with another account id is refused.
  std::function<std::string(const std::string& merchant_id)> account_id;
};

}  // namespace oncepay::channels
