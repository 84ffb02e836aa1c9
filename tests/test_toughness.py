"""Calm on bad input, lossless under concurrent use: files that do not load say which line and
field, one bad session never hides the others, two processes never lose each other's changes,
and `-o` never turns a link or a device into a regular file."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import onyx_cli as cli

from onyx_wizard.outcome import Outcome
from onyx_wizard.profile import Profile, ProfileError, load_profile
from onyx_wizard.session import (
    ProbeRecord,
    SessionFileError,
    list_sessions,
    load_session,
    new_session,
    open_session,
)

NAME_ITEM = "app-identity.app-name-approved"


def write_session(folder: Path, name: str, text: str) -> Path:
    path = folder / "sessions" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text, encoding="utf-8")
    return path


# --- loose or wrong values ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", '"1"', "1.0"])
def test_schema_version_must_be_a_whole_number(home: Path, value: str) -> None:
    opened = new_session("acme")
    text = opened.path.read_text().replace("schema_version = 1", f"schema_version = {value}")
    opened.path.write_text(text)
    with pytest.raises(SessionFileError) as caught:
        load_session(opened.path)
    assert caught.value.line == 1 and caught.value.field == "schema_version"
    assert "whole number" in str(caught.value)


def test_a_date_where_a_date_time_belongs_is_named_and_hides_no_other_session(
    home: Path,
) -> None:
    good = new_session("good")
    bad = new_session("bad")
    bad.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    text = bad.path.read_text()
    # The item's `at` (the first one after its [items.…] header) becomes a bare date.
    head = text.index(f'[items."{NAME_ITEM}"]')
    start = text.index("\nat = ", head) + 1
    end = text.index("\n", start)
    text = text[:start] + "at = 2026-12-03" + text[end:]
    bad.path.write_text(text)
    with pytest.raises(SessionFileError) as caught:
        load_session(bad.path)
    assert "is a date; a date-time with its offset belongs here" in str(caught.value)
    assert caught.value.field.endswith(".at") and caught.value.line is not None
    listings = {listing.path.stem: listing for listing in list_sessions()}
    assert listings["good"].session is not None and listings["bad"].session is None
    shown = cli("sessions")
    assert shown.returncode == 0 and "good" in shown.stdout and "unreadable" in shown.stdout
    status = cli("status", "bad")
    assert status.returncode == 2 and len(status.stderr.strip().splitlines()) == 1
    assert good.path.exists()


def test_a_file_that_is_not_utf8_names_its_line(home: Path) -> None:
    opened = new_session("acme")
    data = opened.path.read_bytes().replace(b'operator = "', b'operator = "\xff', 1)
    line = data[: data.index(b"\xff")].count(b"\n") + 1
    opened.path.write_bytes(data)
    with pytest.raises(SessionFileError) as caught:
        load_session(opened.path)
    assert caught.value.line == line and "not UTF-8" in str(caught.value)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_profile_in_another_encoding_is_one_clear_error(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "profile.toml"
    path.write_bytes('[profile]\napp_name = "Café Ünïcode"\n'.encode(encoding))
    with pytest.raises(ProfileError, match="UTF-8"):
        load_profile(path)
    done = cli("check", "--profile", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_deeply_nested_arrays_are_refused_not_a_crash(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text("[profile]\nallowed_origins = " + "[" * 5000 + "]" * 5000 + "\n")
    done = cli("check", "--profile", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    session = write_session(
        home, "deep", "schema_version = 1\nexports = " + "[" * 5000 + "]" * 5000
    )
    with pytest.raises(SessionFileError, match="nested too deeply"):
        load_session(session)


def test_a_nul_in_a_path_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\nca_bundle = "/etc/ssl/\\u0000ca.pem"\n')
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "profile.ca_bundle" and "control character" in str(caught.value)


# --- the file's name is the session's name ------------------------------------------------------


def test_a_copied_session_file_is_the_session_its_name_says(home: Path) -> None:
    opened = new_session("base")
    copy = opened.path.with_name("renamed.toml")
    copy.write_bytes(opened.path.read_bytes())
    assert {listing.session.name for listing in list_sessions() if listing.session} == {
        "base",
        "renamed",
    }
    assert open_session("renamed").name == "renamed"
    status = cli("status", "renamed")
    assert status.returncode == 0 and status.stdout.startswith("Session renamed:")
    open_session("renamed").attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    assert 'name = "renamed"' in copy.read_text()  # reconciled on the next save
    assert 'name = "base"' in opened.path.read_text()


# --- two processes, one session ------------------------------------------------------------------


def _attest_many(path: str, who: str, count: int, start: multiprocessing.synchronize.Event) -> None:
    opened = open_session(Path(path))
    opened.text_filter = str  # saving is under test, not redaction
    start.wait()
    for n in range(count):
        opened.attest(NAME_ITEM, who, evidence=[f"ONYX-{who}-{n}"])


def test_two_processes_saving_one_session_lose_nothing(home: Path) -> None:
    opened = new_session("acme")
    context = multiprocessing.get_context("fork")
    start = context.Event()
    workers = [
        context.Process(target=_attest_many, args=(str(opened.path), who, 100, start))
        for who in ("left", "right")
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    history = load_session(opened.path).history
    by = [entry.by for entry in history]
    assert by.count("left") == 100 and by.count("right") == 100  # 200 of 200 kept


def test_a_probe_run_saved_after_an_attestation_elsewhere_keeps_it(home: Path) -> None:
    runner = new_session("acme")  # e.g. `check acme`, opened before the attestation
    runner.text_filter = str
    wizard = open_session("acme")  # e.g. the TUI, in another process
    wizard.text_filter = str
    wizard.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    record = ProbeRecord(outcome=Outcome.PASS, reason_code="OK", message="ok", at=datetime.now(UTC))
    runner.record_probe_results({"cors-preflight": record})
    saved = load_session(runner.path)
    assert saved.items[NAME_ITEM].by == "alice"
    assert saved.probes["cors-preflight"].reason_code == "OK"


# --- nothing tested is not a pass -----------------------------------------------------------------


def test_check_with_nothing_tested_exits_3_and_says_what_to_configure(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\napp_name = "Acme"\nfeatures = ["sign-in"]\n')
    done = cli("check", "--profile", str(path))
    assert done.returncode == 3, done.stderr
    assert "no probe ran" in done.stderr and "fill in the profile first" in done.stderr


# --- -o: regular files replaced atomically, links followed, devices written in place -----------


def test_check_output_to_a_folder_or_a_new_folder(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\napp_name = "Acme"\nfeatures = ["sign-in"]\n')
    to_folder = cli("check", "--profile", str(path), "-o", str(tmp_path))
    assert to_folder.returncode == 2 and "Traceback" not in to_folder.stderr
    assert "is a folder" in to_folder.stderr and "report went to stdout" in to_folder.stderr
    assert "onyx-wizard check" in to_folder.stdout  # the run is not lost
    nested = tmp_path / "missing" / "dir" / "out.json"
    made = cli("check", "--profile", str(path), "--format", "json", "-o", str(nested))
    assert made.returncode == 3 and nested.is_file()


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\napp_name = "Acme"\nfeatures = ["sign-in"]\n')
    cli("check", "--profile", str(path), "--format", "json", "-o", str(link))
    assert link.is_symlink() and target.read_text().startswith("{")


def test_output_to_a_fifo_writes_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=read)
    reader.start()
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\napp_name = "Acme"\nfeatures = ["sign-in"]\n')
    cli("check", "--profile", str(path), "--format", "json", "-o", str(fifo))
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO, not a regular file
    assert received and received[0].startswith(b"{")


def test_output_to_dev_stdout_goes_to_stdout(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\napp_name = "Acme"\nfeatures = ["sign-in"]\n')
    done = cli("check", "--profile", str(path), "--format", "json", "-o", "/dev/stdout")
    assert done.stdout.startswith("{")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- secrets too short to be real --------------------------------------------------------------


def test_a_one_letter_secret_does_not_garble_every_message() -> None:
    from onyx_wizard.probes._context import ProbeContext
    from onyx_wizard.secrets import SecretKey

    ctx = ProbeContext.__new__(ProbeContext)
    ctx.secrets = {SecretKey.CLIENT_SECRET: "c"}
    said = ctx.redact("could not connect: c")
    assert said == "could not connect: [REDACTED:client_secret]"


def test_storing_a_secret_too_short_to_be_real_is_refused(home: Path) -> None:
    new_session("acme")
    done = cli("secrets", "set", "acme", "client_secret", stdin="abc\n")
    assert done.returncode == 2 and "too short" in done.stderr


def test_a_killed_writer_leaves_no_temp_file_after_the_next_open(home: Path) -> None:
    opened = new_session("acme")
    orphan = opened.path.with_name(f".{opened.path.name}.abc123.tmp")
    orphan.write_text("half a session")
    other = opened.path.with_name(".other.toml.abc123.tmp")  # another file's: not ours
    other.write_text("x")
    time.sleep(0.01)
    open_session("acme")
    assert not orphan.exists() and other.exists()


def test_profile_files_load_with_every_field_still(tmp_path: Path) -> None:
    # The strictness above is for dates and numbers; a plain profile still loads as before.
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\napp_name = "Acme"\ndescription_note = 1\n')
    with pytest.raises(ProfileError, match="description_note"):
        load_profile(path)
    assert Profile(app_name="Acme").app_name == "Acme"
