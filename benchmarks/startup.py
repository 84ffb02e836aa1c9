"""Start-up time: `onyx-wizard --help`, and the wizard's first frame beside a bare Textual app's.

Each figure is the median of several fresh processes, measured from just before the process is
spawned to the moment it reports (exit for --help; Textual's `Ready` event, sent when the first
frame has been displayed, for the apps). Targets: --help under 150 ms; the wizard's first frame
within 1.5x a bare Textual app's. Usage:

    .venv/bin/python benchmarks/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runs in the child: start an app headless, print the time of its first frame, and exit.
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

    args = {"session": "bench", "start": "resume"} if mode == "session" else {}

class Timed(Base):
    def on_ready(self) -> None:
        print(time.time(), flush=True)
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


def time_first_frame(mode: str, runs: int, env: dict[str, str]) -> float:
    samples = []
    for _ in range(runs):
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, mode],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]) - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onyx-wizard-bench-") as home:
        env = {**os.environ, "ONYX_WIZARD_HOME": home}
        subprocess.run(
            [sys.executable, "-m", "onyx_wizard.cli", "new", "bench", "--no-open"],
            check=True,
            capture_output=True,
            env=env,
        )
        # Warm the file cache and bytecode once so every mode starts alike.
        for mode in ("bare", "wizard"):
            time_first_frame(mode, 1, env)
        help_s = time_help(args.runs)
        bare = time_first_frame("bare", args.runs, env)
        wizard = time_first_frame("wizard", args.runs, env)
        session = time_first_frame("session", args.runs, env)
    print(f"onyx-wizard --help                     {help_s * 1000:7.1f} ms   (target < 150 ms)")
    print(f"bare Textual app, first frame          {bare * 1000:7.1f} ms")
    print(
        f"wizard (sessions list), first frame    {wizard * 1000:7.1f} ms   "
        f"ratio {wizard / bare:.2f}x (target <= 1.5x)"
    )
    print(
        f"wizard (resume onto an item), frame    {session * 1000:7.1f} ms   "
        f"ratio {session / bare:.2f}x"
    )
    print(f"median of {args.runs} runs each, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
