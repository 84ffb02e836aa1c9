"""Snapshots of every main screen at 80×24 and 120×40 (pytest-textual-snapshot), so a layout
change shows up as a failing test with a picture of before and after.

The screens show fixed data: a sample session built at a frozen instant (UTC), a blank session
whose probes skip at once (no network), and a run clock that does not move. On a failure the
plugin writes `snapshot_report.html` (in the folder pytest ran from) with both pictures.

After a deliberate change, look at the report, then regenerate every snapshot with one command
(it needs the throwaway keyring that scripts/test starts, for the profile's credentials):

    scripts/test tests/test_snapshots.py --snapshot-update

The SVGs live in tests/__snapshots__/test_snapshots/.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import SAMPLE_PROFILE
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from onyx_wizard import session as session_module
from onyx_wizard.profile import load_profile
from onyx_wizard.session import new_session
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.messages import RunProbes
from onyx_wizard.tui.screens import run as run_module
from onyx_wizard.tui.screens.item import ItemScreen
from onyx_wizard.tui.screens.review import ReviewScreen
from onyx_wizard.tui.screens.run import RunScreen
from onyx_wizard.tui.screens.section import SectionScreen

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
FROZEN = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
# With a blank profile these skip at once, each saying which profile fields to fill in.
QUICK_PROBES = ["authorize-request", "domain-verification", "open-redirect"]

Compare = Callable[..., bool]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every `now()` of the wizard returns FROZEN, in UTC; the run screen's clock stands still."""
    real_now = session_module.now
    for module in list(sys.modules.values()):
        if module.__name__.startswith("onyx_wizard") and getattr(module, "now", None) is real_now:
            monkeypatch.setattr(module, "now", lambda: FROZEN)
    monkeypatch.setattr(run_module, "time", SimpleNamespace(monotonic=lambda: 0.0))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def sample_session() -> None:
    """The DESIGN.md sample part-way through: an attestation, a waiver, an n/a."""
    opened = new_session("acme-prod", profile=load_profile(SAMPLE_PROFILE))
    opened.set_operator("Dana Reyes")
    opened.attest(
        "app-identity.app-name-approved",
        "Dana Reyes",
        "Matches the portal approval",
        ["https://partners.onyx.example/apps/acme/approval"],
    )
    opened.waive(
        "app-identity.app-ownership-verified",
        "Dana Reyes",
        "Ownership letter in legal review",
        "Sam Lee",
        date(2026, 6, 22),
    )


def no_blinking(pilot: Pilot[Any]) -> None:
    """A blinking cursor would make the picture depend on when it is taken."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    no_blinking(pilot)


@pytest.mark.parametrize("size", list(SIZES))
def test_sessions(snap_compare: Compare, size: str) -> None:
    sample_session()
    new_session("blank")

    async def listed(pilot: Pilot[Any]) -> None:
        table = pilot.app.screen.query_one("#sessions", DataTable)
        for _ in range(50):  # the list is read in a worker after the first frame
            if table.row_count == 2:
                break
            await settle(pilot)
        assert table.row_count == 2

    assert snap_compare(WizardApp(), run_before=listed, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_overview(snap_compare: Compare, size: str) -> None:
    sample_session()
    app = WizardApp(session="acme-prod")
    assert snap_compare(app, run_before=settle, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_profile(snap_compare: Compare, size: str, real_keyring: None) -> None:
    sample_session()
    app = WizardApp(session="acme-prod", start="profile")
    assert snap_compare(app, run_before=settle, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_section(snap_compare: Compare, size: str) -> None:
    sample_session()

    async def section(pilot: Pilot[Any]) -> None:
        pilot.app.push_screen(SectionScreen("app-identity"))
        await settle(pilot)

    app = WizardApp(session="acme-prod")
    assert snap_compare(app, run_before=section, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_item(snap_compare: Compare, size: str) -> None:
    sample_session()

    async def item(pilot: Pilot[Any]) -> None:
        pilot.app.push_screen(ItemScreen("app-identity.app-ownership-verified"))
        await settle(pilot)

    app = WizardApp(session="acme-prod")
    assert snap_compare(app, run_before=item, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_review(snap_compare: Compare, size: str) -> None:
    sample_session()

    async def review(pilot: Pilot[Any]) -> None:
        pilot.app.push_screen(ReviewScreen())
        await settle(pilot)

    app = WizardApp(session="acme-prod")
    assert snap_compare(app, run_before=review, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_help(snap_compare: Compare, size: str) -> None:
    sample_session()

    async def help_over_the_overview(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    app = WizardApp(session="acme-prod")
    assert snap_compare(app, run_before=help_over_the_overview, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_run(snap_compare: Compare, size: str) -> None:
    new_session("blank")

    async def run(pilot: Pilot[Any]) -> None:
        pilot.app.post_message(RunProbes(QUICK_PROBES))
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        for _ in range(50):
            if not screen.running:
                break
            await settle(pilot)
        assert not screen.running and len(screen.results) == len(QUICK_PROBES)

    app = WizardApp(session="blank")
    assert snap_compare(app, run_before=run, terminal_size=SIZES[size])
