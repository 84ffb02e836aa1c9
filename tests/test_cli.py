"""The `onyx-wizard` command line: sessions, status and its error paths (never the TUI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from onyx_wizard.checklist import load_checklist
from onyx_wizard.gate import evaluate
from onyx_wizard.session import ProbeRecord, load_session, new_session, open_session

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]

PROFILE = """\
[profile]
app_name = "Acme Messenger"
environment = "preview"
production_domain = "localhost:8443"
allowed_origins = ["https://app.acme.example/"]
login_url = "http://localhost:8443/login/onyx"
features = ["sign-in", "events"]
requested_scopes = ["openid", "profile"]
"""


def write_profile(tmp_path: Path, text: str = PROFILE) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --- new ----------------------------------------------------------------------------------


def test_new_creates_a_session(run_cli: Run, home: Path) -> None:
    result = run_cli("new", "acme", "--no-open")
    assert result.code == 0, result.err
    path = home / "sessions" / "acme.toml"
    assert "Created session acme" in result.out
    assert str(path) in result.out
    session = load_session(path)
    assert session.name == "acme"
    assert session.profile.app_name == ""


def test_new_refuses_a_duplicate(run_cli: Run, home: Path) -> None:
    assert run_cli("new", "acme", "--no-open").code == 0
    before = (home / "sessions" / "acme.toml").read_bytes()
    result = run_cli("new", "acme", "--no-open")
    assert result.code == 2
    assert result.out == ""
    line = one_line(result.err)
    assert "already exists" in line
    assert "acme" in line
    assert (home / "sessions" / "acme.toml").read_bytes() == before


def test_new_refuses_an_invalid_name(run_cli: Run, home: Path) -> None:
    result = run_cli("new", "../escape", "--no-open")
    assert result.code == 2
    assert "not a valid session name" in one_line(result.err)
    assert not list(home.rglob("*.toml"))


def test_new_imports_a_profile(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("new", "acme", "--profile", str(write_profile(tmp_path)), "--no-open")
    assert result.code == 0, result.err
    profile = open_session("acme").session.profile
    assert profile.app_name == "Acme Messenger"
    assert profile.environment.value == "preview"
    assert profile.production_domain == "localhost:8443"
    assert profile.allowed_origins == ["https://app.acme.example"]
    assert profile.login_url == "http://localhost:8443/login/onyx"
    assert profile.features == ["sign-in", "events"]


def test_new_with_a_bad_profile_names_the_field_and_creates_nothing(
    run_cli: Run, tmp_path: Path, home: Path
) -> None:
    bad = PROFILE.replace('environment = "preview"', 'environment = "production"')
    path = write_profile(tmp_path, bad)
    result = run_cli("new", "acme", "--profile", str(path), "--no-open")
    assert result.code == 2
    line = one_line(result.err)
    assert str(path) in line
    assert "profile.login_url" in line
    assert "https" in line
    assert not (home / "sessions" / "acme.toml").exists()


def test_new_with_a_profile_that_is_not_toml(run_cli: Run, tmp_path: Path) -> None:
    path = write_profile(tmp_path, "[profile\napp_name = 1\n")
    result = run_cli("new", "acme", "--profile", str(path), "--no-open")
    assert result.code == 2
    assert "not valid TOML" in one_line(result.err)


def test_new_with_a_missing_profile_file(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("new", "acme", "--profile", str(tmp_path / "nope.toml"), "--no-open")
    assert result.code == 2
    assert "nope.toml" in one_line(result.err)


# --- sessions -----------------------------------------------------------------------------


def test_sessions_when_there_are_none(run_cli: Run) -> None:
    result = run_cli("sessions")
    assert result.code == 0
    assert "No sessions yet" in result.out


def test_sessions_lists_name_app_environment_progress_and_last_saved(
    run_cli: Run, tmp_path: Path, home: Path
) -> None:
    assert run_cli("new", "acme", "--profile", str(write_profile(tmp_path)), "--no-open").code == 0
    assert run_cli("new", "blank", "--no-open").code == 0
    (home / "sessions" / "broken.toml").write_text("schema_version = \n", encoding="utf-8")

    result = run_cli("sessions")
    assert result.code == 0
    lines = result.out.strip().splitlines()
    assert lines[0].split() == ["NAME", "APP", "ENVIRONMENT", "PROGRESS", "LAST", "SAVED"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"acme", "blank", "broken"}

    checklist = load_checklist()
    for name, app, environment in (
        ("acme", "Acme Messenger", "preview"),
        ("blank", "(no app name)", "production"),
    ):
        session = open_session(name).session
        verdict = evaluate(session, checklist)
        done = sum(s.done for s in verdict.sections)
        applicable = sum(s.total for s in verdict.sections)
        saved = session.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        row = rows[name]
        assert app in row
        assert environment in row
        assert f"{done}/{applicable}" in row
        if name == "blank":  # nothing established, so nothing done (not 26/46)
            assert done == 0 and " 0/" in row
        assert saved in row
    assert "unreadable" in rows["broken"]
    assert "broken.toml" in result.err
    assert "warning" in result.err


# --- status -------------------------------------------------------------------------------


def test_status_json(run_cli: Run, tmp_path: Path) -> None:
    run_cli("new", "acme", "--profile", str(write_profile(tmp_path)), "--no-open")
    result = run_cli("status", "acme", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["schema"] == "onyx-wizard/status/v1"
    assert doc["session"] == "acme"
    assert doc["app_name"] == "Acme Messenger"
    assert doc["environment"] == "preview"
    assert doc["checklist_version"] == load_checklist().version
    assert doc["ready"] is False
    assert len(doc["sections"]) == 8
    assert [s["title"] for s in doc["sections"]] == [s.title for s in load_checklist().sections]
    assert len(doc["items"]) == 46
    assert doc["blockers"]
    for blocker in doc["blockers"]:
        assert set(blocker) >= {"id", "title", "status", "reason"}
        assert blocker["reason"]
    ids = {b["id"] for b in doc["blockers"]}
    assert "app-identity.app-name-approved" in ids
    assert not any(i.startswith("partner-connectivity.") for i in ids)  # feature not declared
    assert sum(s["blocking"] for s in doc["sections"]) == len(doc["blockers"])
    assert doc["verdict"] == f"Not ready: {len(doc['blockers'])} blocking items"


def test_status_json_follows_recorded_decisions(run_cli: Run) -> None:
    opened = new_session("acme")
    opened.attest("app-identity.app-name-approved", "alice", evidence=["ONYX-1"])
    opened.session.probes["cors-preflight"] = ProbeRecord(
        outcome="fail",
        reason_code="CORS_ORIGIN_REFLECTED",
        message="reflected",
        at=datetime.now(UTC) - timedelta(minutes=1),
    )
    opened.save()
    doc = json.loads(run_cli("status", "acme", "--json").out)
    blockers = {b["id"]: b for b in doc["blockers"]}
    assert "app-identity.app-name-approved" not in blockers
    origins = blockers["app-identity.allowed-origins"]
    assert origins["status"] == "failed"
    assert origins["title"] == "allowed origins are correct"
    assert "CORS_ORIGIN_REFLECTED" in origins["reason"]
    items = {i["id"]: i for i in doc["items"]}
    assert items["app-identity.app-name-approved"]["status"] == "attested"
    assert items["app-identity.app-name-approved"]["done"] is True


def test_status_text(run_cli: Run) -> None:
    opened = new_session("acme")
    opened.attest("app-identity.app-name-approved", "alice", evidence=["ONYX-1"])
    result = run_cli("status", "acme")
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith("Session acme: (no app name) (production)")
    assert "NOT READY" in out
    for section in load_checklist().sections:
        assert section.title in out
    assert "Blocking items:" in out
    assert "app-identity.app-description-clear" in out
    blocking_part = out.split("Blocking items:", 1)[1]
    assert "app-identity.app-name-approved" not in blocking_part


def test_status_of_a_session_that_does_not_exist(run_cli: Run) -> None:
    result = run_cli("status", "ghost")
    assert result.code == 2
    assert "no session named 'ghost'" in one_line(result.err)


def test_status_by_subprocess_matches_in_process(run_cli: Run, run_cli_subprocess: Run) -> None:
    new_session("acme")
    inside = json.loads(run_cli("status", "acme", "--json").out)
    outside = run_cli_subprocess("status", "acme", "--json")
    assert outside.code == 0, outside.err
    assert json.loads(outside.out) == inside


# --- resume: only the paths that stop before the TUI --------------------------------------


def test_resume_with_no_sessions(run_cli_subprocess: Run) -> None:
    result = run_cli_subprocess("resume", timeout=30)
    assert result.code == 2
    assert "no sessions yet" in one_line(result.err)


def test_resume_a_session_that_does_not_exist(run_cli_subprocess: Run) -> None:
    new_session("acme")
    result = run_cli_subprocess("resume", "ghost", timeout=30)
    assert result.code == 2
    assert "ghost" in one_line(result.err)


def test_resume_a_broken_session_names_file_and_line(run_cli_subprocess: Run, home: Path) -> None:
    opened = new_session("acme")
    text = opened.path.read_text(encoding="utf-8").replace('operator = "', "operator = ", 1)
    opened.path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("operator = "))
    result = run_cli_subprocess("resume", "acme", timeout=30)
    assert result.code == 2
    err = one_line(result.err)
    assert str(opened.path) in err
    assert f"line {line}" in err
    assert opened.path.read_text(encoding="utf-8") == text


# --- help and usage -----------------------------------------------------------------------


def test_help_exits_zero(run_cli: Run) -> None:
    result = run_cli("--help")
    assert result.code == 0
    for command in ("checklist", "new", "resume", "sessions", "status", "secrets"):
        assert command in result.out


def test_help_by_subprocess(run_cli_subprocess: Run) -> None:
    result = run_cli_subprocess("status", "--help")
    assert result.code == 0
    assert "--json" in result.out


def test_usage_errors_exit_two(run_cli: Run) -> None:
    assert run_cli("no-such-command").code == 2
    assert run_cli("status").code == 2  # NAME missing
    assert run_cli("checklist", "--format", "xml").code == 2


def test_status_says_not_ready_once_and_require_ready_fails_ci(run_cli: Run) -> None:
    assert run_cli("new", "acme", "--no-open").code == 0
    shown = run_cli("status", "acme")
    assert shown.code == 0  # a report, whatever the verdict
    [gate] = [line for line in shown.out.splitlines() if line.startswith("Launch gate:")]
    assert gate.startswith("Launch gate: ✗ NOT READY — ") and "Not ready" not in gate
    assert "profile.features" in shown.out  # a blank profile: declare the features first
    strict = run_cli("status", "acme", "--require-ready")
    assert strict.code == 1
    assert run_cli("status", "acme", "--json", "--require-ready").code == 1


def test_status_help_explains_its_argument_and_exit_codes(run_cli: Run) -> None:
    shown = run_cli("status", "--help")
    assert shown.code == 0
    assert "session name" in shown.out and "--require-ready" in shown.out
