"""Shared fixtures: every test gets its own data folder, and two ways to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from onyx_wizard import cli
from onyx_wizard.checklist import EvidenceKind
from onyx_wizard.gate import evaluate
from onyx_wizard.profile import Profile, load_profile
from onyx_wizard.secrets import KeyringUnavailable, SecretKey, SecretStore
from onyx_wizard.session import OpenSession, ProbeRecord, new_session, now


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


def onyx_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m onyx_wizard.cli` as a real process (the test's ONYX_WIZARD_HOME applies)."""
    return subprocess.run(
        [sys.executable, "-m", "onyx_wizard.cli", *args],
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def run_cli_subprocess(home: Path) -> Callable[..., CliResult]:
    """Run `python -m onyx_wizard.cli` as a real process against the test's data folder."""

    def run(*args: str, timeout: float = 60) -> CliResult:
        proc = onyx_cli(*args, env={"ONYX_WIZARD_HOME": str(home)}, timeout=timeout)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@dataclass
class RouteServer:
    """A real HTTPS server on 127.0.0.1 answering from a table of routes, for probe tests."""

    port: int
    ca_path: Path
    routes: dict[str, tuple[int, str, str]]  # path -> (status, body, Location)
    seen: list[tuple[str, str]]  # (path, Cookie header) of every request

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"


@pytest.fixture
def route_server(tmp_path: Path) -> Iterator[RouteServer]:
    """Serve `routes` over TLS with a throwaway CA (the demo's certificate maker)."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from onyx_wizard.demo.certs import make_certificates

    (tmp_path / "certs").mkdir(mode=0o700)
    certs = make_certificates(tmp_path / "certs")
    state = RouteServer(0, certs.ca_path, {}, [])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.partition("?")[0]
            state.seen.append((path, self.headers.get("cookie", "")))
            status, body, location = state.routes.get(path, (404, "", ""))
            data = body.encode()
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_path, certs.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _keyring_ready() -> bool:
    try:
        SecretStore("probe", "production").get(SecretKey.CLIENT_SECRET)
    except KeyringUnavailable:
        return False
    return True


@pytest.fixture
def real_keyring() -> None:
    """A usable Secret Service; in CI its absence is a failure, not a skip."""
    if _keyring_ready():
        return
    message = "no usable keyring: run the tests with scripts/test (it starts gnome-keyring)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# --- a session the launch gate passes, built through the public API -------------------------


@dataclass(frozen=True)
class ReadySession:
    """A ready session and the evidence folder its file references point into."""

    opened: OpenSession
    evidence_dir: Path
    consent_png: Path
    drill_log: Path


# The DESIGN.md sample profile, kept once as data (the screenshots start from it too).
SAMPLE_PROFILE = Path(__file__).resolve().parent.parent / "docs" / "sample-profile.toml"


def full_profile(evidence_dir: Path) -> Profile:
    """The sample profile, every field the probes need filled in, with its evidence folder."""
    profile = load_profile(SAMPLE_PROFILE)
    profile.evidence_dir = str(evidence_dir)
    profile.log_paths = [str(evidence_dir / "logs")]  # something for secret-hygiene to scan
    return profile


WAIVED_ITEM = "support-readiness.refund-credit-rules-match-agreement"
# Marked not applicable by a person: allowed because the sample profile does not declare
# partner-connectivity (a required item that applies can only be waived).
NOT_APPLICABLE_ITEM = "partner-connectivity.catalogue-version-approved"


def make_ready_session(name: str, evidence_dir: Path) -> ReadySession:
    """Every probe passes, every attest item is attested with evidence (files where allowed)."""
    consent_png = evidence_dir / "screenshots" / "consent.png"
    drill_log = evidence_dir / "logs" / "support-drill.txt"
    consent_png.parent.mkdir(parents=True)
    drill_log.parent.mkdir(parents=True)
    consent_png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    drill_log.write_text("2026-05-30 support drill: ticket answered in 12 min\n")
    opened = new_session(name, profile=full_profile(evidence_dir))
    stamp = now()
    probe_ids = {pid for item in opened.checklist.items for pid in item.probes}
    opened.record_probe_results(
        {
            pid: ProbeRecord(outcome="pass", reason_code="OK", message=f"{pid} ok", at=stamp)
            for pid in sorted(probe_ids)
        },
        by="ci",
    )
    features = set(opened.session.profile.features)
    # Relative references (with and without ./) and an absolute one, all inside the evidence
    # folder: each is digested as the same file wherever it is used.
    file_refs = ["./screenshots/consent.png", str(drill_log), "screenshots/consent.png"]
    n = 0
    for item in opened.checklist.items:
        applies = not item.applies_when.features or set(item.applies_when.features) & features
        if not (item.method.needs_attestation and applies) or item.id == NOT_APPLICABLE_ITEM:
            continue
        if EvidenceKind.FILE in item.evidence.kinds:
            ref = file_refs[n % len(file_refs)]
            n += 1
        else:
            ref = f"https://portal.onyx.example/tickets/{item.id}"
        opened.attest(item.id, "alice", note=f"checked {item.id}", evidence=[ref])
    opened.mark_not_applicable(NOT_APPLICABLE_ITEM, "alice", "no catalogue is offered")
    opened.waive(
        WAIVED_ITEM, "alice", "support page goes live at launch", "carol", date(2099, 1, 1)
    )
    assert evaluate(opened.session, opened.checklist).ready
    return ReadySession(opened, evidence_dir, consent_png, drill_log)


@pytest.fixture
def ready(tmp_path: Path) -> ReadySession:
    return make_ready_session("acme", tmp_path / "evidence")
