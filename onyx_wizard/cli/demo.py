"""`onyx-wizard demo`: the wizard (or only the server) against the built-in sample partner app."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from onyx_wizard.cli._shared import run_tui
from onyx_wizard.demo import FAULTS, DemoDeployment, write_profile
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.session import new_session


def demo(args: argparse.Namespace) -> int:
    if args.list_faults:
        width = max(len(name) for name in FAULTS)
        for name, fault in FAULTS.items():
            verdict = f"{fault.outcome} {fault.reason_code}"
            print(f"{name.ljust(width)}  {fault.description}  [{fault.probe}: {verdict}]")
        return ExitCode.OK
    try:
        deployment = DemoDeployment(args.fault or (), latency_ms=args.latency)
    except ValueError as exc:  # an unknown fault name
        raise CommandError(str(exc)) from None
    with deployment:
        if args.serve:
            return _serve(deployment)
        return _wizard(deployment)


def _serve(deployment: DemoDeployment) -> int:
    folder = Path(tempfile.mkdtemp(prefix="onyx-wizard-demo-"))
    profile_path = folder / "profile.toml"
    write_profile(deployment, profile_path)
    faults = ", ".join(deployment.faults) or "none"
    print(f"Demo partner app at {deployment.base_url} (faults: {faults})")
    print(f"Profile: {profile_path}")
    print("Its secrets (demo values, in memory only; export them where you run `check`):")
    for key, value in deployment.secrets().items():
        print(f"  export {key.env_var}={shlex.quote(value)}")
    print(f"Then: onyx-wizard check --profile {profile_path}")
    print("Ctrl-C stops the demo.", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM ends the demo as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ExitCode.OK


def _wizard(deployment: DemoDeployment) -> int:
    # The demo keeps its session in a folder of its own (removed at exit) so it never touches
    # the operator's sessions, and its secrets only in this process's environment.
    home = tempfile.mkdtemp(prefix="onyx-wizard-demo-")
    os.environ["ONYX_WIZARD_HOME"] = home
    for key, value in deployment.secrets().items():
        os.environ[key.env_var] = value
    try:
        new_session("demo", profile=deployment.profile())
        faults = ", ".join(deployment.faults) or "none"
        notice = (
            f"The sample partner app is serving at {deployment.base_url} (faults: {faults}). "
            "Press r to run every probe against it, ? for the keys."
        )
        return run_tui(session="demo", screen="overview", notice=notice)
    finally:
        shutil.rmtree(home, ignore_errors=True)
