"""Start-up time: `onyx-wizard --help`, and the wizard's first frame beside a bare Textual app's.

Each figure is the median of several fresh processes, measured from just before the process is
spawned. `--help` counts until the process exits. An app counts until its first frame is
written to the terminal, and, as a second view, until Textual's `Ready` event (sent after that
frame). Resuming onto an item also reports two moments, each when a frame showing it is
written: the item on screen (its first frame, drawn from the checklist, its status "reading
the session…" and its keys disabled), and the item settled (the session read and validated,
the status and record shown, the keys answering). The modes take turns, and each ratio is the
median of the rounds' own ratios. Targets: --help under 150 ms; the sessions list's first
frame, and the resumed item's, within 1.5x a bare Textual app's first frame. Usage:

    .venv/bin/python benchmarks/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("bare", "sessions", "resume")
# The item the benchmark's session was left on: a probe item with a recorded result.
RESUME_ITEM = "app-identity.allowed-origins"

# Runs in the child: start an app headless, print the time of its first frame (and, resuming,
# of the item's), and exit.
_CHILD = """
import sys, time
mode = sys.argv[1]
if mode == "bare":
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Base(App[None]):
        def compose(self):
            yield Header()
            yield Static("hello")
            yield Footer()

    args = {}
else:
    from onyx_wizard.tui.app import WizardApp as Base

    args = {"session": "bench", "start": "resume"} if mode == "resume" else {}

class Timed(Base):
    _seen = ()

    def on_ready(self) -> None:
        print("frame", time.time(), flush=True)
        if mode != "resume":
            self.exit()

    def _display(self, screen, renderable):
        # Each frame is written here: note the first, and resuming, the first showing the
        # item and the first showing it settled (the session read).
        super()._display(screen, renderable)
        if renderable is None:
            return
        if "drawn" not in self._seen:
            self._seen += ("drawn",)
            print("drawn", time.time(), flush=True)
        if mode != "resume" or type(screen).__name__ != "ItemScreen":
            return
        if "item" not in self._seen:
            self._seen += ("item",)
            print("item", time.time(), flush=True)
        if screen.settled and "settled" not in self._seen:
            self._seen += ("settled",)
            print("settled", time.time(), flush=True)
            self.exit()

Timed(**args).run(headless=True, size=(100, 30))
"""


def time_help(runs: int) -> float:
    exe = Path(sys.executable).with_name("onyx-wizard")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "onyx_wizard.cli"]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*cmd, "--help"], check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run_app(mode: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds from spawn to each event one child reports ("frame", "drawn", "item", ...)."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], check=True, capture_output=True, text=True, env=env
    )
    times = {}
    for line in out.stdout.splitlines():
        event, _, stamp = line.partition(" ")
        if event in ("frame", "drawn", "item", "settled"):
            times[event] = float(stamp) - start
    if mode == "resume" and "settled" not in times:
        raise SystemExit(f"resume did not reach the item: {out.stdout}")
    return times


def make_session(env: dict[str, str]) -> None:
    """A session like an operator's mid-way: the sample profile, an attestation, a probe result
    with evidence, and the cursor on a probe item (where `resume` lands)."""
    sample = ROOT / "docs" / "sample-profile.toml"
    script = f"""
from pathlib import Path
from onyx_wizard.profile import load_profile
from onyx_wizard.session import ProbeRecord, new_session, now

opened = new_session("bench", profile=load_profile(Path({str(sample)!r})))
opened.attest("app-identity.app-name-approved", "Dana", "ok", ["ONYX-1"])
evidence = [{{"kind": "http", "request": "OPTIONS /", "status": 204}}]
opened.record_probe_results(
    {{"cors-preflight": ProbeRecord(
        outcome="pass", reason_code="OK", message="preflight ok", at=now(), evidence=evidence
    )}},
    by="bench",
)
opened.set_cursor({RESUME_ITEM!r})
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"could not make the benchmark's session:\n{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onyx-wizard-bench-") as home:
        env = {**os.environ, "ONYX_WIZARD_HOME": home}
        # An installed package is byte-compiled (pip does it, as for Textual); with
        # PYTHONDONTWRITEBYTECODE set, every run would compile the wizard's modules afresh.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        compileall.compile_dir(ROOT / "onyx_wizard", quiet=1)
        make_session(env)
        # Warm the file cache and bytecode once so every mode starts alike.
        for mode in MODES:
            run_app(mode, env)
        help_s = time_help(args.runs)
        # The modes take turns (bare, sessions, resume, bare, ...) so that a machine that slows
        # down or speeds up part-way weighs on each alike; each ratio is the median of the
        # rounds' own ratios.
        rounds = [{mode: run_app(mode, env) for mode in MODES} for _ in range(args.runs)]
    ms = 1000

    def median(mode: str, event: str) -> float:
        return statistics.median(r[mode][event] for r in rounds)

    def line(label: str, mode: str, event: str, base: str = "", target: bool = True) -> None:
        text = f"{label:<44}{median(mode, event) * ms:7.1f} ms"
        if base:
            ratio = statistics.median(r[mode][event] / r["bare"][base] for r in rounds)
            text += f"   ratio {ratio:.2f}x" + (" (target <= 1.5x)" if target else "")
        print(text)

    print(f"{'onyx-wizard --help':<44}{help_s * ms:7.1f} ms   (target < 150 ms)")
    print("first frame written to the terminal:")
    line("  bare Textual app", "bare", "drawn")
    line("  wizard, sessions list", "sessions", "drawn", "drawn")
    line("  wizard, resume: the item (its first frame)", "resume", "item", "drawn")
    line("  wizard, resume: the item settled (session)", "resume", "settled", "drawn", False)
    if any(r["resume"]["item"] > r["resume"]["drawn"] + 0.0005 for r in rounds):
        print("  (resuming drew another screen before the item)")
    print("Textual's Ready event (sent after the first frame):")
    line("  bare Textual app", "bare", "frame")
    line("  wizard, sessions list", "sessions", "frame", "frame")
    line("  wizard, resume onto an item", "resume", "frame", "frame")
    print(f"median of {args.runs} rounds, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
