"""Save latency of a full session: how long one change takes to reach the disk.

A "full" session is the DESIGN sample integration with every item decided, every probe
recorded with evidence, and a long history (a launch worked on for weeks). Each change goes the
way the wizard makes it: under the session's save lock, re-read if another process saved,
then an atomic write with fsync. Prints p50 and p95 over many changes.

Usage: .venv/bin/python benchmarks/save.py [--changes 200] [--history 2000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def measure(changes: int, history: int) -> dict[str, float]:
    home = tempfile.mkdtemp(prefix="onyx-wizard-bench-")
    os.environ["ONYX_WIZARD_HOME"] = home
    from conftest import make_ready_session

    from onyx_wizard.session import HistoryEntry, open_session

    ready = make_ready_session("bench", Path(home) / "evidence")
    opened = ready.opened
    opened.text_filter = str  # the write, not the keyring, is measured
    stamp = opened.session.created_at
    opened.session.history.extend(
        HistoryEntry(at=stamp, by="bench", action="attested", item="x", detail=f"entry {i}")
        for i in range(history)
    )
    opened.save()
    size = opened.path.stat().st_size
    opened = open_session("bench")
    opened.text_filter = str
    item = "app-identity.app-name-approved"
    timings = []
    for n in range(changes):
        start = time.perf_counter()
        opened.attest(item, f"operator-{n}", note=f"change {n}", evidence=[f"ONYX-{n}"])
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "file_kb": size / 1024,
        "changes": changes,
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "max_ms": timings[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.changes, args.history)
    print(
        f"save latency, full session ({figures['file_kb']:.0f} KB, {args.history} history "
        f"entries), {figures['changes']} changes: p50 {figures['p50_ms']:.1f} ms, "
        f"p95 {figures['p95_ms']:.1f} ms, max {figures['max_ms']:.1f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
