"""`onyx-wizard scan`: secrets, tokens and personal data in files."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from onyx_wizard.cli._shared import print_json
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.scan import ScanReport, default_rules, load_allowlist, scan_paths
from onyx_wizard.scan.report import to_sarif


def scan(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        raise CommandError(f"no such file or folder: {', '.join(missing)}")
    allowlist = load_allowlist(args.allowlist) if args.allowlist is not None else None
    secrets: dict[str, str] = {}
    keyring_problem = ""
    if args.session:
        # Sessions need pydantic; a plain scan of files should not pay for importing it.
        from onyx_wizard.secrets import load_secrets
        from onyx_wizard.session import open_session

        opened = open_session(args.session)
        loaded = load_secrets(opened.name, opened.session.profile.environment.value)
        secrets = {key.value: value for key, value in loaded.values.items()}
        keyring_problem = loaded.keyring_problem
        if keyring_problem:
            print(f"onyx-wizard: warning: secrets not all read: {keyring_problem}", file=sys.stderr)
        elif not secrets:
            note = f"session {opened.name} holds no secrets; searching for patterns only"
            print(f"onyx-wizard: {note}", file=sys.stderr)
    progress = _scan_progress() if sys.stderr.isatty() else None
    found = scan_paths(args.paths, secrets=secrets, allowlist=allowlist, progress=progress)
    if progress is not None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.format == "json":
        print_json(found.to_json())
    elif args.format == "sarif":
        print_json(scan_sarif(found))
    else:
        sys.stdout.write(found.to_text())
    if found.findings or found.errors:
        return ExitCode.FAIL
    return ExitCode.ENVIRONMENT if keyring_problem else ExitCode.OK


def scan_sarif(found: ScanReport) -> dict[str, Any]:
    """The scan as a SARIF 2.1.0 log, with each rule's title."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_version = version("onyx-wizard")
    except PackageNotFoundError:  # run from a source tree
        tool_version = "0"
    titles = {rule.id: rule.title for rule in default_rules()}
    return to_sarif(found, titles, tool_version)


def _scan_progress() -> Callable[[int, int], None]:
    """A one-line progress display on stderr, redrawn at most ten times a second."""
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        share = f"{100 * done // total}%" if total else ""
        line = f"scanning… {share} ({done / 1e6:.0f} of {total / 1e6:.0f} MB)"
        print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    return show
