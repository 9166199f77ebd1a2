// `oncepay-bench recon`: the speed (and the correctness) of a
// reconciliation run's reading half (issue #13). It generates, outside the
// timed part, a WeChat Pay trade bill (channels/wechatpay/tradebill.hpp) of
// --lines lines for merchant "bench" on business day 2026-11-29
// (Asia/Shanghai), and the engine state it is checked against as ledger
// rows (storage/snapshot_layout.hpp ledger_rows of synthetic
// core::OrderState values) committed straight into a SnapshotStore, like
// bench/recovery_bench.cpp builds its snapshot. Then it times what a run
// does (actors/reconciler.cpp steps 2, 4 and 6): validate_statement,
// classify_statement (actors/recon_classify.hpp) and
// ReconStore::finish_run, each phase and the whole.
//
// The mix is deterministic from --seed: ~92 % matched payments, ~2 %
// matched refunds, ~0.4-0.75 % each of channel_only_success,
// amount_mismatch, status_mismatch (a REVOKED line of a paid payment, or a
// settled refund oncepay has pending), refund_channel_only,
// refund_amount_mismatch, unknown_payment and duplicate_line; besides the
// statement, ~0.5 % platform-only successes of the day and a held pool
// (ClassifyRequest::held) of payments the statement releases, that stay
// held, and that turn channel_missing. The run's counts, items and held
// changes are checked against what was planted: the bench exits 1 when a
// class count is off, so it doubles as a correctness check (CTest
// bench_smoke_recon).
//
// Output: a table on stdout (phases, lines/s, counts per class, peak RSS
// from getrusage ru_maxrss, which includes the generation, statement
// bytes); the LAST line is one JSON object ({"bench":"recon",...}).
// Method and figures: docs/PERFORMANCE.md "Reconciliation".
//
// Threads: the calling thread only. Failure modes: a storage or file error
// or a count that is off prints the reason on stderr and returns 1; bad
// options return 2.
#pragma once

namespace oncepay::bench {

// argv[1] is "recon"; options follow. Returns the process exit status.
int run_recon(int argc, char** argv);

}  // namespace oncepay::bench
