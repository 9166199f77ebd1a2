#!/usr/bin/env python3
"""Checks an oncepay-bench run: exit status 0 and a last stdout line that is
one JSON object with the summary keys (docs/PERFORMANCE.md). Not the speed.

usage: check_summary.py [--mode=core|http] -- COMMAND [ARGS...]
       check_summary.py [--mode=core|http] --file=OUTPUT
"""
import json
import subprocess
import sys

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
        run = subprocess.run(argv[1:], stdout=subprocess.PIPE, text=True, timeout=120)
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
