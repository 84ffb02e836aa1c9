"""Where a session was left, read before the session is validated (for a resume's first frame)."""

from __future__ import annotations

from pathlib import Path

from onyx_wizard.cursor import left_at
from onyx_wizard.session import HistoryEntry, new_session

ITEM = "app-identity.allowed-origins"


def test_the_cursor_of_a_saved_session_by_name_and_by_path() -> None:
    opened = new_session("later")
    assert left_at("later") is None  # a new session was left nowhere yet
    opened.set_cursor(ITEM)
    assert left_at("later") == ITEM
    assert left_at(str(opened.path)) == ITEM
    assert left_at(opened.path) == ITEM


def test_a_long_history_after_the_cursor_is_not_needed_to_find_it() -> None:
    opened = new_session("long")
    opened.set_cursor(ITEM)
    stamp = opened.session.created_at
    opened.session.history.extend(
        HistoryEntry(at=stamp, by="x", action="attested", item="x", detail=f"[entry {i}]\n[x]")
        for i in range(500)
    )
    opened.save()
    assert left_at("long") == ITEM


def test_what_does_not_say_reads_as_nowhere(home: Path) -> None:
    folder = home / "sessions"
    folder.mkdir(exist_ok=True)
    cases = {
        "missing-key": 'name = "x"\n[profile]\ncursor = "in.a-table"\n',
        "not-text": "cursor = 3\n",
        "empty": 'cursor = ""\n',
        "broken": 'cursor = "app-identity.allowed-origins\n',
        # A head cut inside a string reads as nowhere, never as text the string holds.
        "cut-string": 'note = """\n[x]\ncursor = "wrong.item"\n"""\ncursor = "a.b"\n',
    }
    for name, text in cases.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
        assert left_at(name) is None, name
    (folder / "latin1.toml").write_bytes(b'cursor = "caf\xe9"\n')
    assert left_at("latin1") is None
    assert left_at("no-such-session") is None
    assert left_at("../escape") is None  # not a session name: nothing outside the folder
