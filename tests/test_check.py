"""Headless `check`, the probe runner's guarantees, reason codes, and the report formats."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from conftest import onyx_cli as cli

from onyx_wizard.demo import DemoDeployment, write_profile
from onyx_wizard.probes import (
    PROBES,
    Outcome,
    ProbeContext,
    ProbeResult,
    ProbeSettings,
    probe,
    run_probes,
)
from onyx_wizard.probes._data import reason_codes
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey
from onyx_wizard.session import new_session, open_session

DATA = Path(__file__).parent / "data"
PROBES_DIR = Path(__file__).parent.parent / "onyx_wizard" / "probes"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoDeployment]:
    with DemoDeployment() as deployment:
        yield deployment


def secret_env(deployment: DemoDeployment) -> dict[str, str]:
    return {key.env_var: value for key, value in deployment.secrets().items()}


# --- the runner ----------------------------------------------------------------------------


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_black_hole_gives_timeout_errors_and_the_other_probes_finish(black_hole: int) -> None:
    base = f"https://127.0.0.1:{black_hole}"
    profile = Profile(
        production_domain=f"127.0.0.1:{black_hole}",
        protected_url=f"{base}/api/me",
        allowed_origins=["https://app.example"],
        privacy_notice_url=f"{base}/privacy",
        features=["sign-in"],
        requested_scopes=["openid", "profile"],
        client_id="a",
        preview_client_id="b",
    )
    secrets = {key: f"value-of-{key.value}" for key in SecretKey}
    settings = ProbeSettings(connect_timeout=1.0, read_timeout=1.0, deadline=3.0)
    stuck = ["token-rejection", "cors-preflight", "privacy-notice", "tls"]
    results = asyncio.run(
        run_probes(
            [*stuck, "scope-review", "credential-separation"], profile, secrets, settings=settings
        )
    )
    by_id = {r.probe_id: r for r in results}
    for probe_id in stuck:
        result = by_id[probe_id]
        assert result.outcome is Outcome.ERROR, (probe_id, result.message)
        assert result.reason_code in ("TIMEOUT", "PROBE_DEADLINE"), result.reason_code
        assert result.duration_ms <= (settings.deadline + 1) * 1000
    assert by_id["scope-review"].outcome is Outcome.PASS
    assert by_id["credential-separation"].outcome is Outcome.PASS


def test_black_hole_with_the_default_timeouts(black_hole: int) -> None:
    profile = Profile(
        protected_url=f"https://127.0.0.1:{black_hole}/api/me",
        allowed_origins=["https://app.example"],
    )
    [result] = asyncio.run(run_probes(["cors-preflight"], profile, {}))
    assert (result.outcome, result.reason_code) == (Outcome.ERROR, "TIMEOUT")
    assert result.duration_ms <= ProbeSettings().deadline * 1000


def test_a_crashing_probe_becomes_an_error_result() -> None:
    @probe("test-crash", title="crashes on purpose")
    async def crash(ctx: ProbeContext) -> ProbeResult:
        raise KeyError("boom")

    try:
        [result] = asyncio.run(run_probes(["test-crash"], Profile(), {}))
    finally:
        del PROBES["test-crash"]
    assert result.outcome is Outcome.ERROR
    assert result.reason_code == "PROBE_CRASHED"
    assert "KeyError" in result.message


def test_missing_secret_skips_only_the_probes_that_need_it(demo: DemoDeployment) -> None:
    secrets = demo.secrets()
    del secrets[SecretKey.WEBHOOK_SECRET]
    results = asyncio.run(
        run_probes(
            ["webhook-delivery", "token-rejection", "privacy-notice"], demo.profile(), secrets
        )
    )
    by_id = {r.probe_id: r for r in results}
    skipped = by_id["webhook-delivery"]
    assert (skipped.outcome, skipped.reason_code) == (Outcome.SKIPPED, "SECRET_MISSING")
    assert "ONYX_WIZARD_WEBHOOK_SECRET" in skipped.message
    assert by_id["token-rejection"].outcome is Outcome.PASS
    assert by_id["privacy-notice"].outcome is Outcome.PASS


def test_every_reason_code_in_the_probes_is_documented() -> None:
    documented = reason_codes()
    used = set()
    for path in PROBES_DIR.glob("*.py"):
        used |= set(re.findall(r'"([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)"', path.read_text()))
    used -= {"SHA256", "S256", "CERTIFICATE_VERIFY"}  # an OpenSSL message fragment, not ours
    missing = sorted(code for code in used if code not in documented)
    assert not missing
    assert all(len(meaning.splitlines()) == 1 for meaning in documented.values())


# --- the headless command ------------------------------------------------------------------


def test_check_against_the_healthy_demo_passes(demo: DemoDeployment, tmp_path: Path) -> None:
    profile_path = tmp_path / "profile.toml"
    write_profile(demo, profile_path)
    done = cli("check", "--profile", str(profile_path), "--format", "json", env=secret_env(demo))
    assert done.returncode == 0, done.stderr + done.stdout
    doc = json.loads(done.stdout)
    assert doc["schema"] == "onyx-wizard/check/v1"
    outcomes = {p["id"]: p["outcome"] for p in doc["probes"]}
    assert not [pid for pid, outcome in outcomes.items() if outcome in ("fail", "error")]
    assert doc["summary"]["fail"] == doc["summary"]["error"] == 0
    for item in doc["items"]:
        assert {"id", "status", "probes"} <= set(item)


def test_check_saves_results_into_the_session(demo: DemoDeployment) -> None:
    new_session("ci", profile=demo.profile())
    done = cli("check", "ci", "--only", "cors-preflight", env=secret_env(demo))
    assert done.returncode == 0, done.stderr + done.stdout
    session = open_session("ci").session
    assert session.probes["cors-preflight"].outcome == "pass"
    assert session.items["app-identity.allowed-origins"].status == "passed"
    assert session.history[-1].action == "probes-run"


def test_check_exit_codes(demo: DemoDeployment, tmp_path: Path) -> None:
    profile_path = tmp_path / "profile.toml"
    write_profile(demo, profile_path)
    env = {k: "" for k in secret_env(demo)}  # no secrets at all
    missing = cli("check", "--profile", str(profile_path), "--only", "webhook-delivery", env=env)
    assert missing.returncode == 3
    assert "ONYX_WIZARD_WEBHOOK_SECRET" in missing.stdout + missing.stderr
    unknown = cli("check", "--profile", str(profile_path), "--only", "no-such-thing")
    assert unknown.returncode == 2
    assert unknown.stderr.count("\n") == 1 and "no-such-thing" in unknown.stderr
    neither = cli("check")
    assert neither.returncode == 2


def test_junit_output_validates_one_testcase_per_probe(tmp_path: Path) -> None:
    with DemoDeployment(["cors-null-origin"]) as deployment:
        profile_path = tmp_path / "profile.toml"
        write_profile(deployment, profile_path)
        out = tmp_path / "report.xml"
        done = cli(
            "check",
            "--profile",
            str(profile_path),
            "--format",
            "junit",
            "-o",
            str(out),
            env=secret_env(deployment),
        )
    assert done.returncode == 1
    schema = xmlschema.XMLSchema(str(DATA / "junit.xsd"))
    schema.validate(str(out))
    import xml.etree.ElementTree as ET

    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests", "0"))
    assert len({case.get("name") for case in cases}) == len(cases)
    failed = [case for case in cases if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["cors-preflight"]
    failure = failed[0].find("failure")
    assert failure is not None and failure.get("type") == "CORS_NULL_ORIGIN_ALLOWED"
    # Booleans as JSON and the check/v1 document spell them, not Python's "False".
    ready = suite.find("properties/property[@name='ready']")
    assert ready is not None and ready.get("value") == "false"


def test_no_secret_reaches_the_session_or_the_reports(demo: DemoDeployment, tmp_path: Path) -> None:
    new_session("leak", profile=demo.profile())
    env = secret_env(demo)
    outputs = []
    for fmt in ("json", "junit", "text"):
        out = tmp_path / f"report.{fmt}"
        done = cli("check", "leak", "--format", fmt, "-o", str(out), env=env)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_text() + done.stdout + done.stderr)
    outputs.append(open_session("leak").path.read_text())
    for value in demo.secrets().values():
        for text in outputs:
            assert value not in text
