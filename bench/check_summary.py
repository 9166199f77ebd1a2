#!/usr/bin/env python3
"""Checks an oncepay-bench run: exit status 0 and a last stdout line that is
one JSON object with the summary keys (docs/PERFORMANCE.md). Not the speed.
--mode=console_load checks bench/console_load.sh's summary instead (every
screen and admin API call timed; docs/PERFORMANCE.md "Console pages").

usage: check_summary.py [--mode=core|http|console_load] -- COMMAND [ARGS...]
       check_summary.py [--mode=core|http|console_load] --file=OUTPUT
"""
import json
import subprocess
import sys

SKIP = 77  # the bench could not run here (e.g. no chromium): CTest's skip

REQUIRED = {
    "mode": str,
    "scenario": str,
    "throughput_rps": (int, float),
    "p50_ms": (int, float),
    "p90_ms": (int, float),
    "p99_ms": (int, float),
    "p999_ms": (int, float),
    "errors": dict,
}


CONSOLE_LOAD_REQUIRED = {
    "bench": str,
    "orders": int,
    "reps": int,
    "screens": dict,
    "api": dict,
    "full_load_phases": dict,
    "all_medians_under_1s": bool,
    "rss_mib": (int, float),
    "peak_rss_mib": (int, float),
    "review_items": dict,
}
# What the console's screens show and the admin calls they make.
CONSOLE_SCREENS = [
    "sign_in_page", "sign_in_to_review", "review", "orders", "order_by_payment_no",
    "order_by_order_no", "order_page", "reconciliation", "reconciliation_run", "merchants",
    "merchant_lookup", "metrics",
]
CONSOLE_API = [
    "review_page", "metrics", "order_search_payment_no", "order_search_order_no", "order_get",
    "order_get_warm", "reconciliations_of_day", "reconciliation_run", "merchants_page",
    "merchant", "merchant_channel_account",
]


def check_timings(summary, key, names):
    for name in names:
        entry = summary[key].get(name)
        if not isinstance(entry, dict):
            return f"{key} has no {name!r}"
        for figure in ("median_ms", "max_ms"):
            value = entry.get(figure)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                return f"{key}.{name}.{figure} is not a duration: {value!r}"
    return None


def check_console_load(summary):
    for key, kind in CONSOLE_LOAD_REQUIRED.items():
        if key not in summary:
            return f"missing key {key!r}"
        if not isinstance(summary[key], kind):
            return f"key {key!r} has the wrong type: {summary[key]!r}"
    if summary["bench"] != "console_load":
        return f"bench is {summary['bench']!r}, expected 'console_load'"
    error = check_timings(summary, "screens", CONSOLE_SCREENS) or check_timings(
        summary, "api", CONSOLE_API)
    if error:
        return error
    if summary["rss_mib"] <= 0:
        return "no RSS of the daemon"
    if not summary["review_items"]:
        return "the review queue was empty"
    print("summary ok:", json.dumps(summary))
    return None


def check(stdout, mode):
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return "no output on stdout"
    try:
        summary = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        return f"last line is not JSON ({e}): {lines[-1]!r}"
    if not isinstance(summary, dict):
        return "last line is not a JSON object"
    if mode == "console_load":
        return check_console_load(summary)
    for key, kind in REQUIRED.items():
        if key not in summary:
            return f"missing key {key!r}"
        if not isinstance(summary[key], kind):
            return f"key {key!r} has the wrong type: {summary[key]!r}"
    if mode and summary["mode"] != mode:
        return f"mode is {summary['mode']!r}, expected {mode!r}"
    if summary["throughput_rps"] <= 0:
        return "no request completed"
    print("summary ok:", json.dumps(summary))
    return None


def main(argv):
    mode = None
    if argv and argv[0].startswith("--mode="):
        mode = argv[0].split("=", 1)[1]
        argv = argv[1:]
    if argv and argv[0].startswith("--file="):
        with open(argv[0].split("=", 1)[1], encoding="utf-8") as f:
            error = check(f.read(), mode)
    elif argv and argv[0] == "--" and len(argv) > 1:
        timeout = 300 if mode == "console_load" else 120
        run = subprocess.run(argv[1:], stdout=subprocess.PIPE, text=True, timeout=timeout)
        if run.returncode == SKIP:
            print(run.stdout, end="")
            return SKIP
        if run.returncode != 0:
            print(f"the bench exited with status {run.returncode}", file=sys.stderr)
            return 1
        error = check(run.stdout, mode)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if error:
        print("bad summary:", error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
