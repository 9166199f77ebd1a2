// The reading half of a reconciliation run (actors/reconciler.hpp steps 2
// and 4), without the engine: validating a statement file, and classifying
// it against the snapshot's ledger (storage/stored_orders.hpp) with the
// classifier (core/recon_decide.hpp). The Reconciler applies what comes
// out; the benchmark (bench/recon_bench.cpp) times exactly this.
//
// Threads: the calling thread only; blocking (file and LMDB reads).
// Memory: O(items that are not matched + the statement's distinct keys),
// never O(file): lines stream from the parser through the classifier.
// Failure modes: validate_statement returns the first problem (the parser's
// line and reason, or a line of another account); classify_statement
// reports a parse error (the file changed since validation) or the first
// storage error, and then nothing of it may be applied.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "actors/recon_calendar.hpp"
#include "channels/statement_source.hpp"
#include "core/recon_decide.hpp"
#include "core/statement.hpp"
#include "oncepay.pb.h"
#include "storage/recon_store.hpp"
#include "storage/status.hpp"
#include "storage/stored_orders.hpp"

namespace oncepay::actors {

// Why one line cannot be reconciled whatever its format says ("" when it
// can): an empty or over-64-byte payment_no (refund_no on a refund), a
// channel id over 64 bytes, a negative amount, a currency that is not three
// letters, a trade time that does not parse.
std::string statement_line_problem(const core::StatementLine& line);

// Parses the whole file once: the parser's error, or the first line (or the
// summary) whose account id is not `expected_account`, or the first line
// with a statement_line_problem; nullopt when the file is good.
std::optional<core::StatementError> validate_statement(const channels::StatementSource& source,
                                                       const std::string& path,
                                                       const std::string& merchant_id,
                                                       const std::string& expected_account);

struct ClassifyRequest {
  const channels::StatementSource* source = nullptr;
  std::string path;
  std::string merchant_id;
  std::string channel;
  DayWindow window;
  bool intraday = false;
  int32_t hold_days = 3;
  const storage::StoredOrders* stored = nullptr;
  std::vector<std::pair<std::string, v1::HeldRecord>> held;  // the scratch pool
  // Whether an open recon_* review item concerns the payment / refund
  // (matched lines then close it). Empty: none do.
  std::function<bool(std::string_view payment_no, std::string_view refund_no)> has_recon_item;
};

struct Classified {
  std::vector<v1::ReconItemView> items;  // every class but matched, in order
  std::vector<core::ReconItem> fixes;    // kApplySuccess / kApplyRefundSuccess
  std::vector<size_t> fix_items;         // their index in items
  std::vector<core::ReconItem> reviews;  // kReview
  std::vector<size_t> review_items;
  std::vector<std::pair<OrderKey, core::ReconItem>> matched_with_items;
  std::vector<storage::ReconStore::HeldChange> held;         // the scratch pool's changes
  std::unordered_map<std::string, int64_t> line_time_ms;     // subject -> the line's time
  std::unordered_map<std::string, std::string> line_status;  // subject -> "status|settled"
  core::ReconReport report;
  std::optional<core::StatementError> parse_error;
  storage::Status storage_error;
};

Classified classify_statement(const ClassifyRequest& request);

v1::ReconItemView recon_item_view(const core::ReconItem& item);

}  // namespace oncepay::actors
