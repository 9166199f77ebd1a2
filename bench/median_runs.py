#!/usr/bin/env python3
"""Runs an oncepay-bench command N times and prints the median of its
summary figures (the method of docs/PERFORMANCE.md).

usage: median_runs.py N -- COMMAND [ARGS...]
"""
import json
import statistics
import subprocess
import sys

KEYS = ["throughput_rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "mean_batch_records",
        "rss_per_order_bytes"]


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    runs = int(argv[0])
    summaries = []
    for i in range(runs):
        out = subprocess.run(argv[2:], stdout=subprocess.PIPE, text=True, check=True).stdout
        summary = json.loads(out.strip().splitlines()[-1])
        summaries.append(summary)
        shown = {k: summary[k] for k in KEYS if summary.get(k) is not None}
        print(f"run {i + 1}: {json.dumps(shown)} errors={json.dumps(summary['errors'])}")
    median = {}
    for k in KEYS:
        values = [s[k] for s in summaries if s.get(k) is not None]
        if values:
            median[k] = round(statistics.median(values), 3)
    print("median:", json.dumps(median))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
