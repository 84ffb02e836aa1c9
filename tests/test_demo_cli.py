"""`onyx-wizard demo`: list the faults, serve the sample app, and check it from another process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

from conftest import onyx_cli as cli

from onyx_wizard.demo import FAULTS


def test_list_faults_names_each_with_its_probe() -> None:
    done = cli("demo", "--list-faults")
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(FAULTS) >= 24
    for line in lines:
        name = line.split()[0]
        assert name in FAULTS
        fault = FAULTS[name]
        assert f"[{fault.probe}: {fault.outcome} {fault.reason_code}]" in line


def test_unknown_fault_is_a_usage_error() -> None:
    done = cli("demo", "--fault", "no-such-fault", "--serve")
    assert done.returncode == 2
    assert "no-such-fault" in done.stderr and "Traceback" not in done.stderr


def test_serve_prints_a_profile_and_secrets_that_check_can_use() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "onyx_wizard.cli", "demo", "--serve", "--fault", "no-hsts"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C"):
            break
    try:
        text = "".join(lines)
        profile = Path(re.search(r"^Profile: (.+)$", text, re.M).group(1))  # type: ignore[union-attr]
        env = dict(re.findall(r"export (ONYX_WIZARD_[A-Z_]+)='?([^'\n]+)'?", text))
        assert "ONYX_WIZARD_WEBHOOK_SECRET" in env
        assert not any(value in profile.read_text() for value in env.values())
        done = cli("check", "--profile", str(profile), "--format", "json", env=env)
        doc = json.loads(done.stdout)
        failing = {p["id"]: p["reason_code"] for p in doc["probes"] if p["outcome"] == "fail"}
        assert failing == {"tls": "HSTS_MISSING"}
        assert done.returncode == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert not profile.exists()  # the demo cleans up after itself
