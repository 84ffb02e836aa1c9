"""Start-up time: `onyx-wizard --help`, and the wizard's first frame beside a bare Textual app's.

Each figure is the median of several fresh processes, measured from just before the process is
spawned. `--help` counts until the process exits; an app counts until Textual's `Ready` event,
sent when its first frame has been displayed. Resuming onto an item also reports two later
moments, each when a frame showing it is written: the item on screen (drawn from the checklist,
its status "reading the session…" and its keys disabled), and the item settled (the session read
and validated, the status and record shown, the keys answering). Targets: --help under 150 ms;
the sessions list's first frame, and the resumed item on screen, within 1.5x a bare Textual
app's first frame. Usage:

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
        # Each frame is written here: note the first showing the item, and the first showing
        # it settled (the session read).
        super()._display(screen, renderable)
        if mode != "resume" or type(screen).__name__ != "ItemScreen" or renderable is None:
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


def time_app(mode: str, runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds from spawn to each event the child reports ("frame", "item", "settled")."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, mode],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        for line in out.stdout.splitlines():
            event, _, stamp = line.partition(" ")
            if event in ("frame", "item", "settled"):
                samples.setdefault(event, []).append(float(stamp) - start)
    if mode == "resume" and len(samples.get("settled", [])) != runs:
        raise SystemExit(f"resume did not reach the item in every run: {samples}")
    return {event: statistics.median(values) for event, values in samples.items()}


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
        for mode in ("bare", "sessions", "resume"):
            time_app(mode, 1, env)
        help_s = time_help(args.runs)
        bare = time_app("bare", args.runs, env)["frame"]
        sessions = time_app("sessions", args.runs, env)["frame"]
        resume = time_app("resume", args.runs, env)
    ms = 1000
    print(f"onyx-wizard --help                      {help_s * ms:7.1f} ms   (target < 150 ms)")
    print(f"bare Textual app, first frame           {bare * ms:7.1f} ms")
    print(
        f"wizard, sessions list, first frame      {sessions * ms:7.1f} ms   "
        f"ratio {sessions / bare:.2f}x (target <= 1.5x)"
    )
    print(
        f"wizard, resume onto an item, 1st frame  {resume['frame'] * ms:7.1f} ms   "
        f"ratio {resume['frame'] / bare:.2f}x (target <= 1.5x)"
    )
    print(
        f"wizard, resume onto an item, item shown {resume['item'] * ms:7.1f} ms   "
        f"ratio {resume['item'] / bare:.2f}x (target <= 1.5x)"
    )
    print(
        f"wizard, resume, item settled (session)  {resume['settled'] * ms:7.1f} ms   "
        f"ratio {resume['settled'] / bare:.2f}x"
    )
    print(f"median of {args.runs} runs each, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
