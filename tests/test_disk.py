"""A full or read-only disk: a clear error, the previous file intact, and nothing lost — the
change stays in memory and is written once there is room again.

Real file systems: a small tmpfs mounted for the test (needs root; skipped with the reason
otherwise), filled up or remounted read-only.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from onyx_wizard.session import load_session, new_session, open_session

NAME_ITEM = "app-identity.app-name-approved"


class SmallDisk:
    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.filler = mount / "filler"

    def fill(self) -> None:
        """Take every free byte."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.mount)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; run the test command as root (CI does)")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    monkeypatch.setenv("ONYX_WIZARD_HOME", str(mount / "home"))
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onyx_wizard.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_a_full_disk_keeps_the_old_file_and_the_change_is_saved_later(
    small_disk: SmallDisk,
) -> None:
    opened = new_session("acme")
    opened.text_filter = str
    before = opened.path.read_bytes()
    small_disk.fill()
    with pytest.raises(OSError) as caught:
        opened.attest(NAME_ITEM, "alice", evidence=["ONYX-1"])
    assert caught.value.errno == errno.ENOSPC
    assert opened.path.read_bytes() == before  # the previous file, whole
    assert opened.unsaved and NAME_ITEM in opened.session.items  # the change, kept in memory
    assert [p.name for p in opened.path.parent.iterdir() if p.suffix == ".tmp"] == []
    small_disk.free()
    opened.retry_save()
    assert not opened.unsaved
    assert load_session(opened.path).items[NAME_ITEM].by == "alice"


def test_commands_on_a_full_or_read_only_disk_say_so_in_one_line(small_disk: SmallDisk) -> None:
    new_session("acme")
    small_disk.fill()
    made = cli("new", "other", "--no-open")
    assert made.returncode == 3 and "Traceback" not in made.stderr
    assert made.stderr.count("\n") == 1 and "No space left" in made.stderr
    small_disk.free()
    small_disk.remount("ro")
    try:
        made = cli("new", "other", "--no-open")
        assert made.returncode == 3 and "Read-only file system" in made.stderr
        assert made.stderr.count("\n") == 1
        status = cli("status", "acme")  # reading still works
        assert status.returncode == 0, status.stderr
    finally:
        small_disk.remount("rw")


def test_check_prints_its_report_when_only_the_save_fails(
    small_disk: SmallDisk, tmp_path: Path
) -> None:
    from onyx_wizard.profile import Profile

    new_session("acme", profile=Profile(app_name="Acme", features=["sign-in"]))
    small_disk.remount("ro")
    try:
        done = cli("check", "acme", "--only", "privacy-notice")
    finally:
        small_disk.remount("rw")
    assert "onyx-wizard check" in done.stdout  # the report is there
    assert "were not saved into session 'acme'" in done.stderr
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert open_session("acme").session.probes == {}


async def test_the_wizard_keeps_a_change_the_disk_refused_and_saves_it_later(
    small_disk: SmallDisk,
) -> None:
    from textual.widgets import TextArea

    from onyx_wizard.tui.app import WizardApp
    from onyx_wizard.tui.screens.item import ItemScreen
    from onyx_wizard.tui.widgets import SavedIndicator

    new_session("acme")
    app = WizardApp(session="acme")
    app.RETRY_EVERY = 0.2
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.session.text_filter = str
        app.push_screen(ItemScreen(NAME_ITEM))
        await pilot.pause()
        small_disk.fill()
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#evidence", TextArea).insert("ONYX-1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)  # the change was taken
        indicator = app.screen.query_one(SavedIndicator)
        assert "not saved" in str(indicator.render()) and indicator.region.area > 0
        assert NAME_ITEM not in load_session(app.session.path).items
        small_disk.free()
        for _ in range(50):
            await pilot.pause(0.1)
            if not app.unsaved:
                break
        assert "✓ saved" in str(app.screen.query_one(SavedIndicator).render())
    assert load_session(open_session("acme").path).items[NAME_ITEM].evidence == ["ONYX-1"]
