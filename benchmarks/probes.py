"""Probe suite timing against the sample partner app on 127.0.0.1.

Prints the wall time of the full suite run concurrently beside the sum of the probes run one
by one, and the slowest single probe. Target: concurrent wall within 1.3x the slowest probe.
Usage:

    .venv/bin/python benchmarks/probes.py [--runs 5] [--fault NAME]...
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from onyx_wizard import check
from onyx_wizard.checklist import load_checklist
from onyx_wizard.demo import DemoDeployment
from onyx_wizard.probes import ProbeResult


async def timed(
    probe_ids: list[str], deployment: DemoDeployment
) -> tuple[float, list[ProbeResult]]:
    start = time.perf_counter()
    result = await check.run_check(probe_ids, deployment.profile(), deployment.secrets())
    return time.perf_counter() - start, result.results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fault", action="append", default=[])
    args = parser.parse_args()
    with DemoDeployment(args.fault) as deployment:
        probe_ids, _ = check.select(load_checklist(), deployment.profile())
        asyncio.run(timed(probe_ids, deployment))  # warm up imports, TLS session set-up
        walls = []
        alone: dict[str, list[float]] = {pid: [] for pid in probe_ids}
        for _ in range(args.runs):
            wall, results = asyncio.run(timed(probe_ids, deployment))
            walls.append(wall)
            for probe_id in probe_ids:
                seconds, _ = asyncio.run(timed([probe_id], deployment))
                alone[probe_id].append(seconds)
        outcomes = {r.probe_id: r.outcome.value for r in results}
    wall = statistics.median(walls)
    single = {pid: statistics.median(times) for pid, times in alone.items()}
    slowest_id = max(single, key=lambda pid: single[pid])
    slowest = single[slowest_id]
    print(f"{len(probe_ids)} probes against the demo app, median of {args.runs} runs")
    for probe_id in sorted(single, key=lambda pid: -single[pid]):
        print(f"  {probe_id:<24} {single[probe_id] * 1000:8.1f} ms  ({outcomes[probe_id]})")
    print(f"concurrent wall time        {wall * 1000:8.1f} ms")
    print(f"sum of probes one by one    {sum(single.values()) * 1000:8.1f} ms")
    print(f"slowest single probe        {slowest * 1000:8.1f} ms  ({slowest_id})")
    print(f"concurrent / slowest        {wall / slowest:8.2f}x  (target <= 1.3x)")


if __name__ == "__main__":
    main()
