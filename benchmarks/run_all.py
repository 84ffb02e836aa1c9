"""Every benchmark, one after the other, and one table of the figures the README shows.

Each benchmark script runs as its own process (its full output is printed as it comes), then
the headline figures are read from what it printed. Figures, not assertions: nothing here fails
a build. The machine is named at the bottom of the table; figures move with load, so run it on
a quiet machine and compare runs made on the same one.

Usage: .venv/bin/python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (what, script and arguments, [(row label, regex whose first group is the figure, unit)])
RUNS: list[tuple[str, list[str], list[tuple[str, str, str]]]] = [
    (
        "start-up",
        ["startup.py", "--runs", "7"],
        [
            ("onyx-wizard --help", r"--help\s+([\d.]+) ms", "ms (target < 150)"),
            ("sessions list first frame vs bare Textual", r"sessions list.*ratio ([\d.]+)x", "x"),
            ("resume: the item, first frame vs bare", r"its first frame.*ratio ([\d.]+)x", "x"),
            ("resume: the item settled (session read) vs bare", r"settled.*ratio ([\d.]+)x", "x"),
            ("resume: Ready event vs bare", r"resume onto an item.*ratio ([\d.]+)x", "x"),
        ],
    ),
    (
        "session save",
        ["save.py"],
        [
            ("save latency, full session, p50", r"p50 ([\d.]+) ms", "ms"),
            ("save latency, full session, p95", r"p95 ([\d.]+) ms", "ms"),
        ],
    ),
    (
        "probe suite",
        ["probes.py", "--latency", "30", "--runs", "3"],
        [
            (
                "probe suite vs slowest probe (30 ms latency)",
                r"concurrent / slowest\s+([\d.]+)x",
                "x",
            )
        ],
    ),
    (
        "hostile endpoints",
        ["hostile.py"],
        [
            ("hostile suite wall time", r"hostile run wall time\s+([\d.]+) s", "s"),
            ("hostile suite peak RSS", r"peak RSS \(this process\)\s+([\d.]+) MB", "MB (< 150)"),
        ],
    ),
    (
        "scanner",
        ["scan.py", "--runs", "1"],
        [
            ("scan throughput, one core", r"onyx-wizard scan\s+([\d.]+) MB/s", "MB/s"),
            ("scan vs detect-secrets (speed-up)", r"speed-up: ([\d,.]+)x", "x (> 100)"),
            ("scan vs gitleaks (speed-up)", r"onyx-wizard speed-up: ([\d.]+)x", "x"),
            ("scan vs ripgrep (time ratio)", r"onyx-wizard / rg time: ([\d.]+)x", "x (< 5)"),
        ],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the scanner (the slowest)")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    for what, command, figures in RUNS:
        script = HERE / command[0]
        if args.quick and what == "scanner":
            continue
        if not script.exists():
            rows += [(label, "not measured (no script)") for label, _, _ in figures]
            continue
        print(f"\n==> {what}: {' '.join(command)}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script), *command[1:]],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        print(done.stdout, end="")
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
        print(f"    ({time.perf_counter() - start:.0f} s)")
        for label, pattern, unit in figures:
            found = re.search(pattern, done.stdout)
            rows.append((label, f"{found.group(1)} {unit}" if found else "not measured"))
    width = max(len(label) for label, _ in rows)
    print("\n| figure | value |\n| --- | --- |")
    for label, value in rows:
        print(f"| {label.ljust(width)} | {value} |")
    cpu = platform.processor() or platform.machine()
    print(
        f"\nmachine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


if __name__ == "__main__":
    main()
