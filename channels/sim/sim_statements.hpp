// The sim channel's daily statements (channels/statement_source.hpp): the
// simulator's statement (WeChat's trade bill ALL layout,
// channels/sim/statement.hpp) parsed from a file, and fetched per merchant
// over the simulator's own protocol (sim_protocol.hpp kStatementsPath):
//   GET /channel/v1/statements/{yyyy-MM-dd}/{merchant_id}, signed with
//   X-Channel-Signature like every call; the answer's signature is checked
//   over "<status> <path>\n<body>" with the shared secret (an unsigned or
//   unverifiable answer is kFailed, whatever its status). 200: the CSV goes
//   to dest_path (0600); 404 with code "statement_not_ready": kNotReady;
//   anything else kFailed.
// account_id(merchant_id) is the merchant_id itself: the simulator writes it
// in 商户号 (the channel has no per-merchant accounts, so never kNoAccount).
//
// Threads and ownership: the closures copy the options; any thread,
// concurrently. Each request runs on a client of its own, bounded by
// StatementFetch::timeout. No detail names the secret.
#pragma once

#include <cstdint>
#include <string>

#include "channels/statement_source.hpp"

namespace oncepay::channels::sim {

// `url` the simulator's base URL (no trailing '/'), `secret` the shared
// signing secret.
StatementSource sim_statement_source(std::string url, std::string secret,
                                     int64_t signature_tolerance_s);

}  // namespace oncepay::channels::sim
