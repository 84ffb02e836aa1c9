"""The wizard's layout as a person sees it at 80×24, 120×40 and 200×60: the keys that matter stay
in the footer, probe messages are never cut, wide terminals are used, nothing stray or stale sits
over the run screen, and resuming draws its first frame before it reads the session.

"Seen" means drawn: a widget with a region of non-zero size inside the screen, on top at its first
cell; text is read from the lines a widget renders.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE_PROFILE
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, ProgressBar, Static
from textual.widgets._footer import FooterKey
from textual.widgets._progress_bar import Bar
from textual.widgets._toast import Toast

from onyx_wizard.profile import load_profile
from onyx_wizard.session import new_session
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.messages import RunProbes
from onyx_wizard.tui.screens.item import ItemScreen
from onyx_wizard.tui.screens.overview import OverviewScreen, SectionRow
from onyx_wizard.tui.screens.review import ReviewScreen
from onyx_wizard.tui.screens.run import RunScreen
from onyx_wizard.tui.screens.section import SectionScreen
from onyx_wizard.tui.screens.sessions import SessionsScreen
from onyx_wizard.tui.widgets import SavedIndicator

SMALL, MEDIUM, LARGE = (80, 24), (120, 40), (200, 60)
ITEM = "app-identity.allowed-origins"
# With a blank profile these skip at once (no network), each with a long message.
QUICK_PROBES = ["authorize-request", "domain-verification", "open-redirect"]


class Recorder:
    """A message hook for `run_test` that lets a test wait for a condition to become true."""

    def __init__(self, on_message: Callable[[Message], None] = lambda m: None) -> None:
        self.on_message = on_message
        self._arrived = asyncio.Event()

    def __call__(self, message: Message) -> None:
        self.on_message(message)
        self._arrived.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._arrived.clear()
                await self._arrived.wait()


def seen(widget: Widget) -> bool:
    """Drawn: a region of non-zero size inside the screen, not covered at its first cell (by
    anything but its own children)."""
    screen = widget.screen
    region = widget.region
    if not (widget.display and widget.visible and region.area):
        return False
    if not screen.region.contains_region(region):
        return False
    top, _ = screen.get_widget_at(region.x, region.y)
    return widget in top.ancestors_with_self


def lines(widget: Widget) -> list[str]:
    """The lines a widget draws in its region."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def footer_keys(screen: Screen[object]) -> dict[str, FooterKey]:
    """The footer's keys a person can see, by description."""
    return {key.description: key for key in screen.query(FooterKey) if seen(key)}


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


async def settle(pilot: Pilot[int]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def sample_session(name: str) -> None:
    opened = new_session(name, profile=load_profile(SAMPLE_PROFILE))
    opened.set_cursor(ITEM)


async def open_screen(pilot: Pilot[int], which: str) -> None:
    """Show one of the main screens (the app is open on a session)."""
    app = pilot.app
    if which == "section":
        app.push_screen(SectionScreen("app-identity"))
    elif which == "item":
        app.push_screen(ItemScreen(ITEM))
    elif which == "review":
        app.push_screen(ReviewScreen())
    elif which == "run":
        app.post_message(RunProbes(QUICK_PROBES))
    await settle(pilot)


# --- the footer -------------------------------------------------------------------------------

MAIN_ACTION = {
    "sessions": "New session",
    "overview": "Run all probes",
    "section": "Review",
    "item": "Attest",
    "profile": "Save",
    "review": "Export signed",
    "run": "Run again",
}


@pytest.mark.parametrize("size", [SMALL, MEDIUM], ids=["80x24", "120x40"])
@pytest.mark.parametrize("which", list(MAIN_ACTION))
async def test_the_footer_keeps_quit_help_and_the_main_action(
    which: str, size: tuple[int, int]
) -> None:
    if which == "sessions":
        app = WizardApp()
    else:
        new_session("acme", profile=load_profile(SAMPLE_PROFILE))
        app = WizardApp(session="acme", start="profile" if which == "profile" else "overview")
    async with app.run_test(size=size) as pilot:
        await open_screen(pilot, which)
        keys = footer_keys(app.screen)
        for wanted in ("Quit", "Help", MAIN_ACTION[which]):
            assert wanted in keys, f"{wanted!r} not in the footer: {sorted(keys)}"
            assert wanted in str(keys[wanted].render())
        # Keys that make room are still in the help screen and the palette, never half-drawn.
        widths = sum(key.region.width for key in keys.values())
        assert widths <= size[0]


# --- the run screen ---------------------------------------------------------------------------


async def run_quick_probes(pilot: Pilot[int], recorder: Recorder) -> RunScreen:
    pilot.app.post_message(RunProbes(QUICK_PROBES))
    await recorder.until(lambda: isinstance(pilot.app.screen, RunScreen))
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen)
    await recorder.until(lambda: not screen.running and len(screen.results) == 3)
    await settle(pilot)
    return screen


@pytest.mark.parametrize("size", [SMALL, MEDIUM, LARGE], ids=["80x24", "120x40", "200x60"])
async def test_the_run_table_shows_every_message_whole(size: tuple[int, int]) -> None:
    new_session("blank")
    app = WizardApp(session="blank")
    recorder = Recorder()
    async with app.run_test(size=size, message_hook=recorder) as pilot:
        screen = await run_quick_probes(pilot, recorder)
        table = screen.query_one("#run-table", DataTable)
        assert seen(table)
        # The message is the last column: it starts where the others end and has the rest.
        columns = list(table.columns.values())
        start = sum(c.get_render_width(table) for c in columns[:-1])
        message_width = columns[-1].get_render_width(table)
        assert message_width >= 30, f"message column {message_width} wide at {size}"
        assert start + message_width <= table.scrollable_content_region.width
        shown = one_line(" ".join(line[start:] for line in lines(table)))
        for result in screen.results.values():
            assert len(result.message) > 50  # long enough to be cut before
            assert one_line(result.message) in shown, f"{result.message!r} cut at {size}"
        # The highlighted probe's whole result, in a detail area sized to fit it.
        detail = screen.query_one("#run-detail", Static)
        first = screen.results[screen.probe_ids[0]]
        assert seen(detail)
        assert one_line(first.message) in one_line(" ".join(lines(detail)))


@pytest.mark.parametrize("size", [SMALL, MEDIUM], ids=["80x24", "120x40"])
async def test_nothing_stray_is_drawn_on_the_run_screen(size: tuple[int, int]) -> None:
    """A table wider than the screen drew a horizontal scrollbar: a lone "▋" under the rows."""
    new_session("blank")
    app = WizardApp(session="blank")
    recorder = Recorder()
    async with app.run_test(size=size, message_hook=recorder) as pilot:
        screen = await run_quick_probes(pilot, recorder)
        table = screen.query_one("#run-table", DataTable)
        assert not table.show_horizontal_scrollbar
        picture = app.export_screenshot()
        stray = [glyph for glyph in "▉▊▋▌▍▎" if glyph in picture]
        assert not stray, f"partial blocks on the run screen: {stray}"


async def test_no_notice_lingers_over_the_run_screen() -> None:
    new_session("blank")
    notice = "Demo mode: a partner app on 127.0.0.1 stands in for a real deployment."
    app = WizardApp(session="blank", notice=notice)
    recorder = Recorder()
    async with app.run_test(size=SMALL, message_hook=recorder, notifications=True) as pilot:
        await settle(pilot)
        assert [t for t in app.screen.query(Toast) if seen(t)], "the notice shows at first"
        await run_quick_probes(pilot, recorder)
        over = [str(t.render()) for t in app.screen.query(Toast) if seen(t)]
        assert not over, f"toasts over the run screen: {over}"


# --- wide terminals ---------------------------------------------------------------------------


async def test_a_wide_terminal_is_used() -> None:
    """At 200×60 nothing sits in the left third: bars, tables and their last column reach right."""
    width = LARGE[0]
    new_session("acme", profile=load_profile(SAMPLE_PROFILE))
    new_session("blank")
    app = WizardApp()
    recorder = Recorder()
    async with app.run_test(size=LARGE, message_hook=recorder) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#sessions", DataTable)
        assert table.row_count == 2
        row = lines(table)[1].rstrip()
        assert len(row) > 0.9 * width, f"the sessions list ends at column {len(row)}"

        await pilot.press("enter")
        await recorder.until(lambda: isinstance(app.screen, OverviewScreen))
        await settle(pilot)
        rows = list(app.screen.query(SectionRow))
        assert rows and all(seen(r) for r in rows)
        for section in rows:
            bar = section.query_one(Bar)
            assert bar.region.width > width / 2, f"progress bar {bar.region.width} wide"

        screen = await run_quick_probes(pilot, recorder)
        bar = screen.query_one(ProgressBar).query_one(Bar)
        assert bar.region.width > width / 2
        table = screen.query_one("#run-table", DataTable)
        row = lines(table)[1].rstrip()
        assert len(row) > 0.6 * width, f"the run table ends at column {len(row)}"


# --- resuming ---------------------------------------------------------------------------------


class FrameWatch(WizardApp):
    """The wizard, noting what each frame written shows of a resumed item."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.item_frames: list[tuple[bool, bool, str, str]] = []

    def _display(self, screen: Screen[object], renderable: object) -> None:
        super()._display(screen, renderable)  # type: ignore[arg-type]
        if renderable is None or not isinstance(screen, ItemScreen) or not screen.is_mounted:
            return
        shown = screen.query_one("#item-status", Static)
        status = one_line(" ".join(lines(shown))) if seen(shown) else ""
        attest = footer_keys(screen).get("Attest")
        key = "not shown" if attest is None else "enabled"
        if attest is not None and (attest.disabled or attest.has_class("-disabled")):
            key = "disabled"
        self.item_frames.append((screen.settled, self.opened is not None, status, key))


async def test_resume_draws_the_item_first_and_reads_the_session_after() -> None:
    """The first frame is the item the session was left on, drawn from the checklist: its
    status reads as being read and its keys are disabled. The session is opened and checked
    after that frame; then the status is the gate's and the keys answer."""
    sample_session("later")
    app = FrameWatch(session="later", start="resume")
    recorder = Recorder()
    async with app.run_test(size=SMALL, message_hook=recorder) as pilot:
        await recorder.until(lambda: any(settled for settled, *_ in app.item_frames))
        await settle(pilot)
        first = app.item_frames[0]
        assert first[:2] == (False, False), "the first item frame waits for nothing"
        assert "allowed origins are correct" in first[2]
        assert "Status: reading the session…" in first[2]
        # Textual fills the footer in a frame or two later; until the session is read, the
        # item's keys it shows are disabled.
        unread = [key for settled, _, _, key in app.item_frames if not settled]
        assert set(unread) <= {"not shown", "disabled"}, unread
        last = app.item_frames[-1]
        assert last[:2] == (True, True) and last[3] == "enabled"
        assert "reading the session" not in last[2], last
        assert "Status: ○ pending · probe has not run yet" in last[2], last
        item = app.screen
        assert isinstance(item, ItemScreen) and item.item_id == ITEM
        assert seen(item.query_one("#item-status"))
        assert "Nothing recorded yet" in one_line(" ".join(lines(item.query_one("#item-record"))))
        # The overview below fills in when it is shown, not while the item is being drawn.
        overview = app.screen_stack[-2]
        assert isinstance(overview, OverviewScreen) and not overview.query(SectionRow)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is overview
        rows = list(overview.query(SectionRow))
        assert len(rows) == 8 and all(seen(r) for r in rows)
        # The screens stacked under the item get their footer's keys when they are shown, and
        # the overview (composed only now) says which session it is and that it is saved.
        assert "Run all probes" in footer_keys(overview)
        saved = str(overview.query_one(SavedIndicator).render())
        assert "session later" in saved and "✓ saved" in saved, saved
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        await recorder.until(lambda: app.screen.query_one("#sessions", DataTable).row_count == 1)
        assert "New session" in footer_keys(app.screen)


async def test_a_resumed_item_whose_session_does_not_validate_is_not_left_on_screen(
    home: Path,
) -> None:
    """The cursor reads, but the file does not validate: the item drawn from the checklist
    goes, the error is on screen, and the sessions list is read."""
    sample_session("broken")
    path = home / "sessions" / "broken.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("schema_version = 1", "schema_version = 99"),
        encoding="utf-8",
    )
    app = FrameWatch(session="broken", start="resume")
    recorder = Recorder()
    async with app.run_test(size=SMALL, message_hook=recorder, notifications=True) as pilot:
        await recorder.until(lambda: isinstance(app.screen, SessionsScreen))
        table = app.screen.query_one("#sessions", DataTable)
        await recorder.until(lambda: table.row_count == 1)
        await settle(pilot)
        assert app.item_frames and not any(settled for settled, *_ in app.item_frames)
        assert len(app.screen_stack) == 1 and app.opened is None
        toasts = [t for t in app.screen.query(Toast) if seen(t)]
        assert toasts and "schema_version" in one_line(" ".join(lines(toasts[0])))
        assert "cannot be read" in one_line(" ".join(lines(table)))


async def test_resume_of_a_missing_session_lists_the_sessions() -> None:
    sample_session("other")
    app = WizardApp(session="gone", start="resume")
    recorder = Recorder()
    async with app.run_test(size=SMALL, message_hook=recorder) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        await recorder.until(lambda: table.row_count == 1)
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen) and app.opened is None
        assert "Enter resumes" in str(app.screen.query_one("#sessions-hint").render())


def test_the_sessions_list_starts_without_the_core_models() -> None:
    """The first screen imports no session, gate or pydantic: it reads sessions after its first
    frame, in a worker."""
    code = (
        "import sys\n"
        "import onyx_wizard.tui.app, onyx_wizard.tui.screens.sessions\n"
        "heavy = ('pydantic', 'onyx_wizard.gate', 'onyx_wizard.session', 'httpx')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stdout.strip() == "[]", done.stdout


# Loaded only when asked for: a dialog, the profile form, credentials, the network, signing.
NOT_FOR_RESUMING = (
    "onyx_wizard.tui.dialogs",
    "onyx_wizard.tui.screens.profile",
    "onyx_wizard.secrets",
    "onyx_wizard.probes",
    "onyx_wizard.attestation",
    "onyx_wizard.scan",
    "keyring",
    "httpx",
    "cryptography",
)


def test_resuming_onto_an_item_loads_only_what_the_item_shows() -> None:
    """Resume draws the item without importing what only a key press would need, and its
    first frame is drawn before the session model (and pydantic) is even imported, and
    before the sessions list under it is composed (or its table's code loaded)."""
    sample_session("later")
    code = f"""
import asyncio, sys
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.screens.item import ItemScreen

first = []

class Watched(WizardApp):
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is not None and isinstance(screen, ItemScreen) and not first:
            loaded = ("pydantic", "onyx_wizard.session", "textual.widgets._data_table")
            first.append([m for m in loaded if m in sys.modules])
            first.append(len(self.screen_stack[0].children))

async def main():
    app = Watched(session="later", start="resume")
    arrived = asyncio.Event()
    async with app.run_test(size=(80, 24), message_hook=lambda m: arrived.set()) as pilot:
        while not (isinstance(app.screen, ItemScreen) and app.screen.settled):
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 30)
        await pilot.pause()
        assert "allowed origins" in str(app.screen.query_one("#item-status").render())
    print(first[0], first[1])
    print([m for m in {NOT_FOR_RESUMING!r} if m in sys.modules])

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    at_first_frame, at_the_end = done.stdout.strip().splitlines()[-2:]
    assert at_first_frame == "[] 0", done.stdout
    assert at_the_end == "[]", done.stdout


async def test_a_passport_in_the_evidence_is_shown_failing_on_the_identity_item() -> None:
    """The identity-documents probe's verdict, on screen at 80x24: the run screen's detail
    area gives its whole message, and the item reads failed once the run is closed."""
    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.tui.screens.item import ItemScreen
    from onyx_wizard.tui.screens.run import RunScreen

    item_id = "privacy-and-security.identity-documents-in-approved-flows"
    with DemoDeployment(["evidence-holds-passport"]) as deployment:
        new_session("passport", profile=deployment.profile())
        app = WizardApp(session="passport")
        async with app.run_test(size=SMALL) as pilot:
            app.push_screen(ItemScreen(item_id))
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            run = app.screen
            assert isinstance(run, RunScreen) and run.only == [item_id]
            await app.workers.wait_for_complete()
            await settle(pilot)
            result = run.results["identity-documents"]
            assert result.reason_code == "IDENTITY_DOCUMENT_FOUND"
            detail = run.query_one("#run-detail", Static)
            assert seen(detail)
            assert "machine-readable zone" in one_line(" ".join(lines(detail)))
            await pilot.press("escape")
            await settle(pilot)
            item = app.screen
            assert isinstance(item, ItemScreen)
            status = item.query_one("#item-status", Static)
            assert seen(status)
            assert "failed" in one_line(" ".join(lines(status)))
