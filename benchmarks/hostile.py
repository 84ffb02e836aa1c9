"""The hostile-endpoint run: wall time and peak memory of every probe against every hostile kind.

Runs each network probe against each hostile server of tests/_hostile.py (short timeouts for the
kinds that keep probes waiting, as the test suite does), then the 400-origin cases with the
default settings: a silent server, a trickling one (the 30 s deadline must hold: it once ran
94 s) and the 2 GB body (memory must not grow with the origins: 60 origins once took 542 MB).
Prints each run's outcomes, then the wall time and the peak RSS of this process for the whole
run. Target: peak RSS under 150 MB. The servers run in a process of their own.

    .venv/bin/python benchmarks/hostile.py [--quick]

`--quick` leaves out the 400-origin trickle run (it takes the full 30 s deadline).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# Appended, not prepended, as in benchmarks/conformance.py.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from onyx_wizard.probes import ProbeResult, ProbeSettings, run_probes
from tests._hostile import (
    KINDS,
    NETWORK,
    SECRETS,
    Addresses,
    profile_for,
    running,
    settings_for,
)

TARGET_MB = 150
# The suite's ten, and access-revocation: its own 30 s deadline and 10 s of polling make it too
# slow for the test run against the trickling and 2 GB servers, not for this one.
PROBES = (*NETWORK, "access-revocation")


def peak_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def once(
    where: Addresses,
    kind: str,
    probe_ids: tuple[str, ...],
    settings: ProbeSettings,
    origins: int = 2,
) -> tuple[float, list[ProbeResult]]:
    profile = profile_for(kind, where, origins=origins)
    start = time.perf_counter()
    results = asyncio.run(run_probes(probe_ids, profile, SECRETS, settings=settings))
    return time.perf_counter() - start, results


def show(label: str, seconds: float, results: list[ProbeResult]) -> None:
    verdicts = Counter(f"{r.outcome.value} {r.reason_code}" for r in results)
    slowest = max(r.duration_ms for r in results) / 1000
    summary = ", ".join(f"{n}x {verdict}" for verdict, n in verdicts.most_common())
    print(f"  {label:<34} {seconds:6.1f} s  (slowest probe {slowest:4.1f} s)  {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the 30 s trickle fan-out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, running(Path(folder) / "servers") as where:
        start = time.perf_counter()
        print(f"every network probe ({len(PROBES)}) against each hostile kind:")
        for kind in KINDS:
            seconds, results = once(where, kind, PROBES, settings_for(kind))
            show(kind, seconds, results)
        print("400 allowed origins, default settings (30 s deadline):")
        fan_out = [("silent", PROBES), ("huge-body", ("cors-preflight",))]
        if not args.quick:
            fan_out.append(("trickle", ("cors-preflight",)))
        for kind, probe_ids in fan_out:
            seconds, results = once(where, kind, probe_ids, ProbeSettings(), origins=400)
            show(f"{kind} x 400 origins", seconds, results)
        wall = time.perf_counter() - start
    peak = peak_mb()
    print(f"hostile run wall time   {wall:7.1f} s")
    print(f"peak RSS (this process) {peak:7.1f} MB  (target < {TARGET_MB} MB)")


if __name__ == "__main__":
    main()
