"""Session files: what each change records, how it is saved, and what happens when it breaks."""

from __future__ import annotations

import multiprocessing
import os
import random
import select
import signal
import stat
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onyx_wizard import paths
from onyx_wizard.profile import Profile
from onyx_wizard.session import (
    SCHEMA_VERSION,
    EvidenceError,
    HistoryEntry,
    OpenSession,
    ProbeRecord,
    RecordedStatus,
    SessionError,
    SessionFileError,
    list_sessions,
    load_session,
    new_session,
    open_session,
)

if TYPE_CHECKING:
    from conftest import CliResult

NAME_ITEM = "app-identity.app-name-approved"  # attest; evidence: link or reference, required
ORIGINS_ITEM = "app-identity.allowed-origins"  # probe
REDIRECTS_ITEM = "app-identity.redirect-uris-approved"  # probe+attest
USAGE_ITEM = "partner-connectivity.usage-state-visible"  # attest; file, link or reference


def reload(opened: OpenSession) -> OpenSession:
    """The session as a fresh process would see it: read back from its file."""
    again = open_session(opened.path)
    assert again.session == opened.session
    return again


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- creating -----------------------------------------------------------------------------


def test_new_session_writes_a_private_file_with_schema_version_first(home: Path) -> None:
    opened = new_session("acme")
    assert opened.path == paths.session_path("acme") == home / "sessions" / "acme.toml"
    assert mode(opened.path) == 0o600
    assert mode(opened.path.parent) == 0o700
    first_line = opened.path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"schema_version = {SCHEMA_VERSION}"
    session = reload(opened).session
    assert session.name == "acme"
    assert session.items == {}
    assert [entry.action for entry in session.history] == ["created"]
    assert session.checklist_version == opened.checklist.version


def test_saving_tightens_loose_permissions(home: Path) -> None:
    folder = home / "sessions"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    opened = new_session("acme")
    opened.path.chmod(0o644)
    opened.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    assert mode(opened.path) == 0o600
    assert mode(folder) == 0o700


def test_new_session_with_a_profile_and_a_path_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "mine.toml"
    profile = Profile(app_name="Acme", features=["sign-in"])
    opened = new_session("mine", path=path, profile=profile)
    assert path.is_file()
    assert load_session(path).profile == profile
    assert open_session(path).session == opened.session


def test_new_session_refuses_to_replace_an_existing_one() -> None:
    opened = new_session("acme")
    opened.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    before = opened.path.read_bytes()
    with pytest.raises(SessionError, match="already exists"):
        new_session("acme")
    assert opened.path.read_bytes() == before


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "-dash", "x" * 65, "sp ace"])
def test_invalid_session_names_are_refused(name: str, home: Path) -> None:
    with pytest.raises(SessionError, match="not a valid session name"):
        new_session(name)
    with pytest.raises(SessionError):
        open_session(name) if name else open_session("bad name")
    assert not list((home).rglob("*.toml"))


def test_open_session_by_name_that_does_not_exist() -> None:
    with pytest.raises(SessionError, match="no session named 'ghost'"):
        open_session("ghost")


# --- recording decisions ------------------------------------------------------------------


def test_attest_records_who_when_note_evidence_and_history() -> None:
    opened = new_session("acme")
    before = datetime.now(UTC).replace(microsecond=0)
    opened.attest(
        NAME_ITEM,
        " alice ",
        note=" approved in portal ",
        evidence=["ONYX-123", " ", "https://portal.onyx.example/a/1"],
    )
    record = opened.session.items[NAME_ITEM]
    assert record.status is RecordedStatus.ATTESTED
    assert record.by == "alice"
    assert record.at is not None and before <= record.at <= datetime.now(UTC)
    assert record.note == "approved in portal"
    assert record.evidence == ["ONYX-123", "https://portal.onyx.example/a/1"]
    last = opened.session.history[-1]
    assert (last.action, last.item, last.by) == ("attested", NAME_ITEM, "alice")
    assert len(opened.session.history) == 2
    assert opened.session.updated_at == last.at
    assert reload(opened).session.items[NAME_ITEM] == record


def test_attest_without_required_evidence_is_refused_and_nothing_is_saved() -> None:
    opened = new_session("acme")
    before = opened.path.read_bytes()
    with pytest.raises(EvidenceError, match="evidence is required"):
        opened.attest(NAME_ITEM, "alice", note="trust me")
    with pytest.raises(EvidenceError, match="evidence is required"):
        opened.attest(NAME_ITEM, "alice", evidence=["  "])
    assert opened.path.read_bytes() == before
    assert NAME_ITEM not in load_session(opened.path).items


def test_attest_checks_the_kind_of_evidence_and_the_person() -> None:
    opened = new_session("acme")
    with pytest.raises(EvidenceError, match="file"):
        opened.attest(NAME_ITEM, "alice", evidence=["./screenshot.png"])  # takes link/reference
    with pytest.raises(EvidenceError, match="name"):
        opened.attest(NAME_ITEM, "  ", evidence=["ONYX-1"])
    opened.attest(USAGE_ITEM, "alice", evidence=["./usage.png"])
    assert opened.session.items[USAGE_ITEM].evidence == ["./usage.png"]


def test_probe_items_cannot_be_attested_and_unknown_items_are_refused() -> None:
    opened = new_session("acme")
    with pytest.raises(EvidenceError, match="probe"):
        opened.attest(ORIGINS_ITEM, "alice", evidence=["x"])
    with pytest.raises(SessionError, match="no checklist item"):
        opened.attest("app-identity.no-such-item", "alice", evidence=["x"])
    assert len(load_session(opened.path).history) == 1


def test_waive_records_reason_approver_expiry_and_history() -> None:
    opened = new_session("acme")
    expires = date.today() + timedelta(days=14)
    opened.waive(ORIGINS_ITEM, " bob ", " CORS fix ships next sprint ", " carol ", expires)
    record = opened.session.items[ORIGINS_ITEM]
    assert record.status is RecordedStatus.WAIVED
    assert record.by == "bob"
    assert record.at is not None
    assert record.waiver is not None
    assert record.waiver.reason == "CORS fix ships next sprint"
    assert record.waiver.approver == "carol"
    assert record.waiver.expires == expires
    last = opened.session.history[-1]
    assert (last.action, last.item, last.by) == ("waived", ORIGINS_ITEM, "bob")
    assert "carol" in last.detail
    assert reload(opened).session.items[ORIGINS_ITEM] == record


@pytest.mark.parametrize("days", [-30, -1, 0])
def test_waiver_that_is_not_in_the_future_is_refused(days: int) -> None:
    opened = new_session("acme")
    before = opened.path.read_bytes()
    with pytest.raises(EvidenceError, match="not in the future"):
        opened.waive(ORIGINS_ITEM, "bob", "later", "carol", date.today() + timedelta(days=days))
    assert opened.path.read_bytes() == before


@pytest.mark.parametrize(
    ("by", "reason", "approver", "what"),
    [("", "r", "a", "name"), ("b", " ", "a", "reason"), ("b", "r", "", "approver")],
)
def test_waiver_needs_person_reason_and_approver(
    by: str, reason: str, approver: str, what: str
) -> None:
    opened = new_session("acme")
    with pytest.raises(EvidenceError, match=what):
        opened.waive(ORIGINS_ITEM, by, reason, approver, date.today() + timedelta(days=3))


def test_mark_not_applicable_records_reason_and_history() -> None:
    opened = new_session("acme")
    opened.mark_not_applicable(USAGE_ITEM, " dan ", " Onyx provides no usage data here ")
    record = opened.session.items[USAGE_ITEM]
    assert record.status is RecordedStatus.NOT_APPLICABLE
    assert (record.by, record.reason) == ("dan", "Onyx provides no usage data here")
    assert record.at is not None
    last = opened.session.history[-1]
    assert (last.action, last.item, last.by) == ("not-applicable", USAGE_ITEM, "dan")
    assert reload(opened).session.items[USAGE_ITEM] == record
    with pytest.raises(EvidenceError, match="why"):
        opened.mark_not_applicable(USAGE_ITEM, "dan", "  ")
    with pytest.raises(EvidenceError, match="waiver"):  # required and applicable
        opened.mark_not_applicable(NAME_ITEM, "dan", "Onyx never asked")


def test_clear_makes_an_item_pending_and_keeps_the_old_decision_in_history() -> None:
    opened = new_session("acme")
    opened.attest(NAME_ITEM, "alice", note="portal approval", evidence=["ONYX-1"])
    opened.clear(NAME_ITEM, "erin")
    # The history keeps what was cleared: who, the note and the evidence.
    cleared = opened.session.history[-1].detail
    assert "was attested by alice" in cleared
    assert "note: portal approval" in cleared and "evidence: ONYX-1" in cleared
    assert NAME_ITEM not in opened.session.items
    assert opened.session.record(NAME_ITEM).status is RecordedStatus.PENDING
    actions = [(e.action, e.item, e.by) for e in opened.session.history]
    assert actions[-2:] == [("attested", NAME_ITEM, "alice"), ("cleared", NAME_ITEM, "erin")]
    assert "attested" in opened.session.history[-1].detail
    again = reload(opened)
    assert NAME_ITEM not in again.session.items
    # Clearing what is already pending changes nothing, and writes nothing.
    before = opened.path.read_bytes()
    opened.clear(NAME_ITEM, "erin")
    assert opened.path.read_bytes() == before


def test_a_session_round_trips_with_everything_in_it() -> None:
    profile = Profile(
        app_name="Acme Messenger",
        production_domain="localhost:8443",
        allowed_origins=["https://app.acme.example"],
        features=["sign-in", "events"],
        login_url="https://app.acme.example/login/onyx",
    )
    opened = new_session("acme", profile=profile)
    opened.attest(NAME_ITEM, "alice", note='line one\nline "two" ü ✓', evidence=["ONYX-1"])
    opened.waive(ORIGINS_ITEM, "bob", "later", "carol", date.today() + timedelta(days=3))
    opened.mark_not_applicable(USAGE_ITEM, "dan", "no usage data")
    opened.set_cursor(REDIRECTS_ITEM)
    opened.session.probes["tls"] = ProbeRecord(
        outcome="warn",
        reason_code="TLS_EXPIRES_SOON",
        message="certificate expires in 20 days",
        at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        duration_ms=41,
        evidence=[
            {
                "method": "GET",
                "url": "https://acme.example/",
                "status": 200,
                "headers": {"hsts": "x"},
            }
        ],
    )
    opened.update_profile(profile.model_copy(update={"app_name": "Acme Chat"}), by="alice")
    assert opened.session.history[-1].detail == "changed app_name"
    session = reload(opened).session
    assert session.cursor == REDIRECTS_ITEM
    assert session.probes["tls"].evidence[0]["headers"] == {"hsts": "x"}
    assert [e.action for e in session.history] == [
        "created",
        "attested",
        "waived",
        "not-applicable",
        "profile-updated",
    ]


def test_notes_lose_the_sessions_secret_values_and_token_shapes_in_the_core() -> None:
    """Redaction is the session's, not the TUI's: any caller that attests gets it."""
    from onyx_wizard.secrets import SecretKey, SecretStore

    opened = new_session("redacted")
    secret = "tangerine-harbour-4471"  # no token shape: only the keyring knows it
    SecretStore("redacted", opened.session.profile.environment.value).set(
        SecretKey.WEBHOOK_SECRET, secret
    )
    note = f"pasted {secret} by mistake; mail ops@acme.example"
    opened.attest(NAME_ITEM, "alice", note=note, evidence=["ONYX-1"])
    opened.waive(
        "privacy-and-security.logs-avoid-sensitive-data",
        "alice",
        reason=f"secret {secret} rotates",
        approver="bob",
        expires=date.today() + timedelta(days=30),
    )
    text = opened.path.read_text()
    assert secret not in text and "ops@acme.example" not in text
    assert "[REDACTED:" in opened.session.items[NAME_ITEM].note


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    note=st.text(max_size=200), reference=st.from_regex(r"[A-Z]{2,5}-[0-9]{1,6}", fullmatch=True)
)
def test_any_note_survives_the_file(note: str, reference: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        opened = new_session("acme", path=Path(folder) / "acme.toml")
        opened.text_filter = str  # the file's round trip, not redaction, is under test
        opened.attest(NAME_ITEM, "alice", note=note, evidence=[reference])
        record = load_session(opened.path).items[NAME_ITEM]
        assert record.note == note.strip()
        assert record.evidence == [reference]


# --- files that do not load ---------------------------------------------------------------


def test_a_newer_schema_is_refused_with_a_clear_message() -> None:
    opened = new_session("acme")
    text = opened.path.read_text(encoding="utf-8")
    newer = (
        text.replace("schema_version = 1\n", "schema_version = 99\n", 1)
        + "\n[future_table]\nx = 1\n"
    )
    opened.path.write_text(newer, encoding="utf-8")
    with pytest.raises(SessionFileError) as info:
        load_session(opened.path)
    message = str(info.value)
    assert "newer" in message and "upgrade" in message
    assert info.value.line == 1
    assert info.value.field == "schema_version"
    assert opened.path.read_text(encoding="utf-8") == newer


def test_a_file_without_schema_version_is_not_a_session(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('name = "acme"\n', encoding="utf-8")
    with pytest.raises(SessionFileError, match="schema_version"):
        load_session(path)


def broken_toml_session() -> tuple[Path, int]:
    """A session file with one broken line; returns its path and that line's number."""
    opened = new_session("acme")
    opened.attest(NAME_ITEM, "alice", note="ok", evidence=["ONYX-1"])
    lines = opened.path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("note = "))
    lines[index] = 'note = "this string never ends'
    opened.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return opened.path, index + 1


def test_broken_toml_names_the_line_and_the_file_is_left_alone() -> None:
    path, line = broken_toml_session()
    before = path.read_bytes()
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert info.value.line == line
    assert info.value.path == path
    assert "not valid TOML" in str(info.value)
    assert f"line {line}" in str(info.value)
    with pytest.raises(SessionFileError):
        open_session("acme")
    with pytest.raises(SessionError):
        new_session("acme")
    [listing] = list_sessions()
    assert listing.session is None
    assert f"line {line}" in listing.error
    assert path.read_bytes() == before


def test_cli_status_on_broken_toml_is_one_line_no_traceback(
    run_cli_subprocess: Callable[..., CliResult],
) -> None:
    path, line = broken_toml_session()
    before = path.read_bytes()
    result = run_cli_subprocess("status", "acme")
    assert result.code == 2
    assert result.out == ""
    err_lines = result.err.strip().splitlines()
    assert len(err_lines) == 1, result.err
    assert str(path) in err_lines[0]
    assert f"line {line}" in err_lines[0]
    assert "Traceback" not in result.err
    assert path.read_bytes() == before


def test_a_bad_value_names_its_line_and_field_and_the_file_is_left_alone() -> None:
    opened = new_session("acme")
    opened.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    opened.mark_not_applicable(USAGE_ITEM, "dan", "no usage data")
    lines = opened.path.read_text(encoding="utf-8").splitlines()
    header = lines.index(f'[items."{NAME_ITEM}"]')
    index = next(i for i in range(header, len(lines)) if lines[i].startswith("status = "))
    lines[index] = 'status = "bogus"'
    opened.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = opened.path.read_bytes()
    with pytest.raises(SessionFileError) as info:
        load_session(opened.path)
    assert info.value.field == f"items.{NAME_ITEM}.status"
    assert info.value.line == index + 1
    assert f"line {index + 1}" in str(info.value)
    assert f"items.{NAME_ITEM}.status" in str(info.value)
    assert opened.path.read_bytes() == before


def test_a_bad_value_inside_the_history_array_names_its_line() -> None:
    opened = new_session("acme")
    opened.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    opened.mark_not_applicable(USAGE_ITEM, "dan", "no usage data")
    lines = opened.path.read_text(encoding="utf-8").splitlines()
    headers = [i for i, line in enumerate(lines) if line == "[[history]]"]
    assert len(headers) == 3
    index = next(i for i in range(headers[2], len(lines)) if lines[i].startswith("at = "))
    lines[index] = 'at = "yesterday-ish"'
    opened.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SessionFileError) as info:
        load_session(opened.path)
    assert info.value.field == "history.2.at"
    assert info.value.line == index + 1


def test_cli_status_on_a_bad_value_names_line_and_field(run_cli: Callable[..., CliResult]) -> None:
    opened = new_session("acme")
    opened.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    text = opened.path.read_text(encoding="utf-8").replace(
        'status = "attested"', 'status = "bogus"'
    )
    opened.path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('status = "bogus"') + 1
    result = run_cli("status", "acme")
    assert result.code == 2
    [err] = result.err.strip().splitlines()
    assert f"line {line}" in err
    assert f"items.{NAME_ITEM}.status" in err
    assert opened.path.read_text(encoding="utf-8") == text


# --- temp files and crashes ---------------------------------------------------------------


def test_list_sessions_ignores_leftover_temp_files(home: Path) -> None:
    opened = new_session("acme")
    folder = opened.path.parent
    good = opened.path.read_text(encoding="utf-8")
    (folder / ".acme.toml.k3j9x_1.tmp").write_text(good[: len(good) // 2], encoding="utf-8")
    (folder / ".acme.toml.zz81q.tmp").write_text("", encoding="utf-8")
    (folder / ".acme.toml.b2.tmp").write_text(good, encoding="utf-8")
    listings = list_sessions()
    assert [listing.path.name for listing in listings] == ["acme.toml"]
    assert listings[0].session is not None
    assert listings[0].error == ""


def test_list_sessions_orders_by_last_save_and_reports_broken_files(home: Path) -> None:
    older = new_session("older")
    newer = new_session("newer")
    older.session.updated_at = datetime(2026, 1, 1, tzinfo=UTC)
    older.save()
    (home / "sessions" / "broken.toml").write_text("schema_version = [\n", encoding="utf-8")
    listings = list_sessions()
    named = [listing.session.name for listing in listings if listing.session]
    assert named == [newer.name, older.name]
    [broken] = [listing for listing in listings if listing.session is None]
    assert broken.path.name == "broken.toml"
    assert "not valid TOML" in broken.error


def _save_forever(path: str, ready_fd: int) -> None:
    """Child process: load the session, say so, then save change after change until killed.

    It writes "r" when loaded and "s" after its first save, so a loaded machine can't turn the
    test into kills of a child that never saved.
    """
    opened = open_session(Path(path))
    opened.text_filter = str  # saving is under test, not redaction (no keyring in the child)
    os.write(ready_fd, b"r")
    n = 0
    while True:
        n += 1
        opened.attest(NAME_ITEM, f"operator-{n}", note="x" * (n % 200), evidence=[f"ONYX-{n}"])
        if n == 1:
            os.write(ready_fd, b"s")
        if n % 3 == 0:
            opened.mark_not_applicable(USAGE_ITEM, f"operator-{n}", f"reason {n}")
        if n % 5 == 0:
            opened.clear(USAGE_ITEM, f"operator-{n}")


def test_killing_a_saving_process_never_leaves_a_broken_session() -> None:
    opened = new_session("acme")
    stamp = opened.session.created_at
    opened.session.history.extend(
        HistoryEntry(
            at=stamp, by="seed", action="attested", item=NAME_ITEM, detail=f"seed entry {i}"
        )
        for i in range(1200)
    )
    opened.save()
    assert opened.path.stat().st_size > 100_000
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    context = multiprocessing.get_context("fork")
    lengths = [len(opened.session.history)]
    started = time.monotonic()
    kills = 0
    while kills < 200 and time.monotonic() - started < 150:
        read_fd, write_fd = os.pipe()
        child = context.Process(
            target=_save_forever, args=(str(opened.path), write_fd), daemon=True
        )
        child.start()
        os.close(write_fd)
        try:
            for expected in (b"r", b"s"):
                ready, _, _ = select.select([read_fd], [], [], 10)
                assert ready and os.read(read_fd, 1) == expected, f"child stalled (seed {seed})"
        finally:
            os.close(read_fd)
        time.sleep(rng.uniform(0, 0.030))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(5)
        assert child.exitcode == -signal.SIGKILL, f"child ended on its own (seed {seed})"
        kills += 1
        session = load_session(opened.path)  # must never raise
        assert session.name == "acme"
        lengths.append(len(session.history))
    assert kills == 200, f"only {kills} kills in the time allowed"
    assert lengths == sorted(lengths), f"history went backwards (seed {seed})"
    assert lengths[-1] > lengths[0] + 20, "the child barely saved: the kills tested nothing"
    # The next open clears what the killed writers left behind (their temp files).
    open_session("acme")
    leftovers = [p.name for p in opened.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], leftovers
    [listing] = list_sessions()
    assert listing.session is not None
    assert listing.path == opened.path
    assert mode(opened.path) == 0o600
