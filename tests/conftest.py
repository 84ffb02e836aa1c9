"""Shared fixtures: every test gets its own data folder, and two ways to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from onyx_wizard import cli


@dataclass(frozen=True)
class CliResult:
    """What one run of `onyx-wizard` produced."""

    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ONYX_WIZARD_HOME, so no test reads or writes the user's own sessions."""
    folder = tmp_path / "onyx-home"
    folder.mkdir()
    monkeypatch.setenv("ONYX_WIZARD_HOME", str(folder))
    return folder


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `onyx_wizard.cli.main` in this process; a SystemExit (argparse) counts as its code."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        try:
            code = cli.main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def run_cli_subprocess(home: Path) -> Callable[..., CliResult]:
    """Run `python -m onyx_wizard.cli` as a real process against the test's data folder."""

    def run(*args: str, timeout: float = 60) -> CliResult:
        env = {**os.environ, "ONYX_WIZARD_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
        proc = subprocess.run(
            [sys.executable, "-m", "onyx_wizard.cli", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
