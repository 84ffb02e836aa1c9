"""`onyx-wizard demo`: list the faults, serve the sample app, and check it from another process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_the_demo_leaves_no_key_secret_or_file_behind(
    real_keyring: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What an operator does in the demo (a signing key for a draft export, a secret typed into
    the profile) lives only as long as the demo: its own keyring service and folder go at exit,
    and it says which exports went with them.

    The operator's part is played by the calls the review and profile screens make.
    """
    from onyx_wizard.attestation import export_session, keys
    from onyx_wizard.cli import demo as demo_command
    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.secrets import SERVICE_VARIABLE, SecretKey, SecretStore, service
    from onyx_wizard.session import open_session

    seen: dict[str, str] = {}

    def operator(session: str, screen: str, notice: str, demo: bool) -> int:
        assert demo
        seen["service"], seen["home"] = service(), os.environ["ONYX_WIZARD_HOME"]
        keys.generate()  # "no signing key named 'default' yet: generate one?" → yes
        SecretStore(session, "production").set(SecretKey.CLIENT_SECRET, "typed-in-the-form")
        opened = open_session(session)
        result = export_session(opened, Path(seen["home"]) / "exports" / "demo.json", draft=True)
        seen["export"] = str(result.envelope_path)
        return 0

    monkeypatch.setattr(demo_command, "run_tui", operator)
    monkeypatch.delenv(SERVICE_VARIABLE, raising=False)
    before = keys.list_keys()
    with DemoDeployment() as deployment:
        assert demo_command._wizard(deployment) == 0
    assert seen["service"].startswith("onyx-wizard-demo-")
    assert not Path(seen["home"]).exists()
    out = capsys.readouterr().out
    assert "exports were removed" in out and seen["export"] in out
    # The operator's own keyring and index are as they were; the demo's service is empty.
    monkeypatch.delenv(SERVICE_VARIABLE, raising=False)
    assert keys.list_keys() == before
    monkeypatch.setenv(SERVICE_VARIABLE, seen["service"])
    assert not keys.has_key("default")
    assert SecretStore("demo", "production").get(SecretKey.CLIENT_SECRET) is None
