"""The conformance corpus table: every probe against partner apps on real frameworks.

For each stack (FastAPI, Flask, Express; see tests/partners/README.md) it runs the correct app,
every valid variation and every fault of tests/partners/cases.toml, and prints per stack how
many valid variations pass clean and how many faults are caught by the right probe with the
right reason code, then every case that did not come out as it must.

    .venv/bin/python benchmarks/conformance.py [--stack NAME]... [--json FILE] [--compare FILE]

`--json` saves the per-case results; `--compare` prints a saved run (e.g. one made with the
probes of an earlier commit) beside this one, so a change's gain is visible.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

# Appended, not prepended: PYTHONPATH may name another copy of onyx_wizard to compare with.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from tests.partners.harness import STACKS, CaseRun, run_stack

KINDS = ("correct", "valid", "fault")


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per stack and kind: (cases that came out as they must, cases)."""
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: {k: [0, 0] for k in KINDS})
    for run in runs:
        cell = table[run["stack"]][run["kind"]]
        cell[0] += run["ok"]
        cell[1] += 1
    return {stack: {k: (v[0], v[1]) for k, v in kinds.items()} for stack, kinds in table.items()}


def as_record(run: CaseRun) -> dict[str, Any]:
    expected = run.results.get(run.case.probe) if run.case.kind == "fault" else None
    return {
        "stack": run.stack,
        "case": run.case.name,
        "kind": run.case.kind,
        "ok": run.verdict.ok,
        "expected": f"{run.case.probe} {run.case.reason_code}" if run.case.probe else "",
        "got": f"{expected.outcome.value} {expected.reason_code}" if expected else "",
        "problems": list(run.verdict.problems),
        "outcomes": {pid: r.outcome.value for pid, r in run.results.items()},
        "seconds": round(run.seconds, 2),
    }


def print_table(runs: list[dict[str, Any]], before: list[dict[str, Any]] | None) -> None:
    now = summarise(runs)
    old = summarise(before) if before else {}
    head = f"{'stack':9} {'correct app':>12} {'valid clean':>12} {'faults caught':>14}"
    print(head if not before else head + "   (before: correct, valid, faults)")
    for stack, kinds in now.items():
        cells = [f"{kinds[k][0]}/{kinds[k][1]}" for k in KINDS]
        line = f"{stack:9} {cells[0]:>12} {cells[1]:>12} {cells[2]:>14}"
        if stack in old:
            was = ", ".join(f"{old[stack][k][0]}/{old[stack][k][1]}" for k in KINDS)
            line += f"   ({was})"
        print(line)


def print_cases(runs: list[dict[str, Any]], before: list[dict[str, Any]] | None) -> None:
    earlier = {(r["stack"], r["case"]): r for r in before or []}
    print("\nfaults: expected → got (per stack)")
    faults = [r for r in runs if r["kind"] == "fault"]
    for name in dict.fromkeys(r["case"] for r in faults):
        row = [r for r in faults if r["case"] == name]
        got = "  ".join(
            f"{r['stack']}={'✓' if r['ok'] else '✗ ' + (r['got'] or 'not run')}" for r in row
        )
        print(f"  {name:30} {row[0]['expected']:48} {got}")
    bad = [r for r in runs if not r["ok"]]
    if bad:
        print("\ncases that did not come out as they must:")
        for r in bad:
            print(f"  {r['stack']} {r['kind']} {r['case']}")
            for problem in r["problems"]:
                print(f"      {problem}")
    if before:
        fixed = [r for r in runs if r["ok"] and not earlier.get((r["stack"], r["case"]), r)["ok"]]
        print(f"\n{len(fixed)} case(s) that failed before now come out as they must")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", choices=list(STACKS))
    parser.add_argument("--json", type=Path, help="save the per-case results here")
    parser.add_argument("--compare", type=Path, help="a saved run to print beside this one")
    args = parser.parse_args()
    before = json.loads(args.compare.read_text()) if args.compare else None
    runs: list[dict[str, Any]] = []
    start = time.perf_counter()
    for stack in args.stack or list(STACKS):
        for run in run_stack(stack):
            runs.append(as_record(run))
            print(
                f"  {stack} {run.case.name}: {'ok' if run.verdict.ok else 'NOT OK'}",
                file=sys.stderr,
            )
    print(f"\nconformance corpus: {len(runs)} case runs in {time.perf_counter() - start:.0f} s\n")
    print_table(runs, before)
    print_cases(runs, before)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
