"""Probe suite timing against the sample partner app on 127.0.0.1.

Prints the wall time of the full suite run concurrently beside the sum of the probes run one
by one, and the slowest single probe. Target: concurrent wall within 1.3x the slowest probe.
The sample app runs in its own process (`onyx-wizard demo --serve`), as a partner's deployment
would: in this process it would share the interpreter lock with the probes it answers.
Usage:

    .venv/bin/python benchmarks/probes.py [--runs 5] [--fault NAME]...
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from onyx_wizard import check
from onyx_wizard.checklist import load_checklist
from onyx_wizard.probes import ProbeResult
from onyx_wizard.profile import Profile, load_profile
from onyx_wizard.secrets import SecretKey


@contextmanager
def served(
    faults: list[str], latency_ms: float = 0
) -> Iterator[tuple[Profile, dict[SecretKey, str]]]:
    """Start `onyx-wizard demo --serve`; read its profile path and secrets from its output."""
    args = [
        sys.executable,
        "-m",
        "onyx_wizard.cli",
        "demo",
        "--serve",
        "--latency",
        str(latency_ms),
    ]
    for fault in faults:
        args += ["--fault", fault]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert proc.stdout is not None
    profile_path = ""
    secrets: dict[SecretKey, str] = {}
    for line in proc.stdout:
        if line.startswith("Profile: "):
            profile_path = line.removeprefix("Profile: ").strip()
        found = re.match(r"\s*export ONYX_WIZARD_([A-Z_]+)=(\S+)", line)
        if found:
            secrets[SecretKey(found.group(1).lower())] = found.group(2).strip("'")
        if line.startswith("Ctrl-C"):
            break
    try:
        yield load_profile(Path(profile_path)), secrets
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def timed(
    probe_ids: list[str], profile: Profile, secrets: dict[SecretKey, str]
) -> tuple[float, list[ProbeResult]]:
    start = time.perf_counter()
    result = await check.run_check(probe_ids, profile, secrets)
    return time.perf_counter() - start, result.results


def measure(faults: list[str], latency_ms: float, runs: int) -> None:
    """Time the suite concurrently and each probe alone; print the figures."""
    with served(faults, latency_ms) as (profile, secrets):
        probe_ids, _ = check.select(load_checklist(), profile)
        asyncio.run(timed(probe_ids, profile, secrets))  # warm up imports and caches
        walls = []
        alone: dict[str, list[float]] = {pid: [] for pid in probe_ids}
        for _ in range(runs):
            wall, results = asyncio.run(timed(probe_ids, profile, secrets))
            walls.append(wall)
            for probe_id in probe_ids:
                seconds, _ = asyncio.run(timed([probe_id], profile, secrets))
                alone[probe_id].append(seconds)
        outcomes = {r.probe_id: r.outcome.value for r in results}
    wall = statistics.median(walls)
    single = {pid: statistics.median(times) for pid, times in alone.items()}
    slowest_id = max(single, key=lambda pid: single[pid])
    slowest = single[slowest_id]
    where = f"{latency_ms:g} ms added per answer" if latency_ms else "loopback, no added latency"
    print(f"\n{len(probe_ids)} probes against the demo app ({where}), median of {runs} runs")
    for probe_id in sorted(single, key=lambda pid: -single[pid]):
        print(f"  {probe_id:<24} {single[probe_id] * 1000:8.1f} ms  ({outcomes[probe_id]})")
    print(f"concurrent wall time        {wall * 1000:8.1f} ms")
    print(f"sum of probes one by one    {sum(single.values()) * 1000:8.1f} ms")
    print(f"slowest single probe        {slowest * 1000:8.1f} ms  ({slowest_id})")
    print(f"concurrent / slowest        {wall / slowest:8.2f}x  (target <= 1.3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fault", action="append", default=[])
    parser.add_argument(
        "--latency",
        type=float,
        action="append",
        help="ms the demo adds to each answer (repeatable; default: 0 and 30)",
    )
    args = parser.parse_args()
    for latency in args.latency or [0, 30]:
        measure(args.fault, latency, args.runs)


if __name__ == "__main__":
    main()
