"""`onyx-wizard demo`: the wizard (or only the server) against the built-in sample partner app."""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from onyx_wizard.attestation import keys
from onyx_wizard.cli._shared import run_tui
from onyx_wizard.demo import FAULTS, DemoDeployment, write_profile
from onyx_wizard.errors import CommandError, ExitCode, OnyxError
from onyx_wizard.profile import Environment
from onyx_wizard.secrets import SERVICE_VARIABLE, SecretKey, SecretStore
from onyx_wizard.session import load_session, new_session


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
    # The demo keeps its session and exports in a folder of its own and its keyring entries
    # (signing keys made for a demo export, secrets typed into its profile) under a keyring
    # service of its own: all removed at exit, so it never touches the operator's sessions or
    # keys. Its secrets live only in this process's environment.
    home = Path(tempfile.mkdtemp(prefix="onyx-wizard-demo-"))
    settings = {
        "ONYX_WIZARD_HOME": str(home),
        SERVICE_VARIABLE: f"onyx-wizard-demo-{secrets.token_hex(6)}",
        **{key.env_var: value for key, value in deployment.secrets().items()},
    }
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    session_path = home / "sessions" / "demo.toml"
    try:
        new_session("demo", path=session_path, profile=deployment.profile())
        faults = ", ".join(deployment.faults) or "none"
        notice = (
            f"The sample partner app is serving at {deployment.base_url} (faults: {faults}). "
            "Press r to run every probe against it, ? for the keys."
        )
        return run_tui(session="demo", screen="overview", notice=notice, demo=True)
    finally:
        exported = _exports_of(session_path, home)
        _forget_keyring()
        shutil.rmtree(home, ignore_errors=True)
        for name, value in before.items():  # the demo's settings end with it
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if exported:
            print("The demo ended; its exports were removed with it:")
            for path in exported:
                print(f"  {path}")


def _exports_of(session_path: Path, home: Path) -> list[str]:
    """The files the demo session exported into the demo's own folder (removed with it)."""
    try:
        exports = load_session(session_path).exports
    except (OnyxError, OSError):  # no session yet (it failed to start): no exports either
        return []
    return [path for path in exports if Path(path).is_file() and Path(path).is_relative_to(home)]


def _forget_keyring() -> None:
    """Remove what the demo stored under its keyring service: keys it made, secrets typed."""
    try:
        for info in keys.list_keys():
            keys.delete(info.name)
        for environment in Environment:
            store = SecretStore("demo", environment.value)
            for key in SecretKey:
                store.delete(key)
    except OnyxError:
        pass  # no usable keyring: then nothing was stored in one
