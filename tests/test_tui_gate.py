"""What the wizard shows about the launch gate, as an operator sees it: nothing looks closer to
ready than it is, refusals come before a dialog, destructive keys ask first.

Each test reads what is on screen (a widget that is displayed, in a region of non-zero size),
at 80×24 unless it says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, Static
from textual.widgets._toast import Toast

from onyx_wizard.outcome import Outcome
from onyx_wizard.profile import Profile
from onyx_wizard.session import ProbeRecord, new_session, open_session
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.dialogs import ConfirmDialog
from onyx_wizard.tui.messages import RunProbes, ShowReview
from onyx_wizard.tui.screens.item import ItemScreen
from onyx_wizard.tui.screens.section import SectionScreen

SIZE = (80, 24)
FEATURES = ["sign-in", "messaging", "events"]
BOTH_ITEM = "consent-and-scopes.user-can-approve-or-decline"  # probe+attest: callback-errors
APPROVAL_ITEM = "launch-approval.final-approval-recorded"
REQUIRED_ITEM = "app-identity.app-name-approved"  # required, applies to every integration


def on_screen(widget: Widget) -> bool:
    """Displayed, visible and given a region of non-zero size."""
    return widget.display and widget.visible and widget.region.area > 0


def shown_text(widget: Widget) -> str:
    return str(widget.render())


def toasts(app: App[object]) -> list[str]:
    """The text of every notification on screen."""
    return [shown_text(t) for t in app.screen.query(Toast) if on_screen(t)]


def options_text(options: OptionList) -> list[str]:
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def settle(pilot: Pilot[object]) -> None:
    await pilot.pause()
    await pilot.pause()


# --- a blank profile --------------------------------------------------------------------------


async def test_a_blank_profile_shows_no_section_complete_and_the_gate_names_the_features() -> None:
    new_session("blank")
    app = WizardApp(session="blank")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        rows = [shown_text(label) for label in app.screen.query(".section-counts")]
        assert rows and not any("complete" in row for row in rows), rows
        assert any("not applicable" in row for row in rows)  # e.g. Partner Connectivity
        assert all(row.lstrip().startswith(("0/", "–")) for row in rows), rows
        app.post_message(ShowReview())
        await settle(pilot)
        blockers = app.screen.query_one(OptionList)
        assert on_screen(blockers)
        first = options_text(blockers)[0]
        assert "Declare the features this integration uses" in first
        # Enter on it opens the profile, where features are declared.
        blockers.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ProfileScreen"


async def test_the_sessions_list_counts_nothing_done_for_a_blank_session() -> None:
    new_session("blank")
    app = WizardApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert on_screen(table)
        row = [str(cell) for cell in table.get_row_at(0)]
        progress = next(cell for cell in row if "/" in cell)
        assert progress.startswith("0/"), row


# --- refusals come before the dialog ----------------------------------------------------------


async def test_not_applicable_on_a_required_item_is_refused_before_any_dialog() -> None:
    new_session("acme", profile=Profile(features=FEATURES))
    app = WizardApp(session="acme")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ItemScreen(REQUIRED_ITEM))
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)  # no dialog was opened
        shown = " ".join(toasts(app))
        assert "cannot be marked not applicable" in shown and "waiver" in shown
    assert REQUIRED_ITEM not in open_session("acme").session.items


async def test_resuming_a_session_open_elsewhere_asks_first_with_no_item_left_unread() -> None:
    """The item a resume draws before reading the session goes when the session turns out to
    be open in another wizard: the question is asked over the sessions list, and read-only
    brings the item back with what the session records."""
    from onyx_wizard.files import FileLock
    from onyx_wizard.session import lock_path

    opened = new_session("acme", profile=Profile(features=FEATURES))
    opened.set_cursor(REQUIRED_ITEM)
    other = FileLock(lock_path(opened.path, "open"))
    other.acquire()
    try:
        app = WizardApp(session="acme", start="resume")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert [type(s).__name__ for s in app.screen_stack] == [
                "SessionsScreen",
                "ConfirmDialog",
            ]
            await pilot.click("#no")  # read-only
            await settle(pilot)
            item = app.screen
            assert isinstance(item, ItemScreen) and item.settled and item.item_id == REQUIRED_ITEM
            assert app.opened is not None and app.opened.read_only
            status = item.query_one("#item-status", Static)
            assert on_screen(status) and "Status: ○ pending" in shown_text(status)
            await pilot.pause(0.2)
    finally:
        other.release()


async def test_a_waiver_on_a_launch_approval_item_is_refused_before_any_dialog() -> None:
    new_session("acme", profile=Profile(features=FEATURES))
    app = WizardApp(session="acme")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ItemScreen(APPROVAL_ITEM))
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert "cannot be waived" in " ".join(toasts(app))


# --- "passed" only where nothing more is needed -------------------------------------------------


async def test_a_probe_attest_item_awaiting_its_attestation_never_reads_passed() -> None:
    opened = new_session("acme", profile=Profile(features=FEATURES))
    opened.record_probe_results(
        {
            "callback-errors": ProbeRecord(
                outcome=Outcome.PASS, reason_code="OK", message="ok", at=datetime.now(UTC)
            )
        }
    )
    app = WizardApp(session="acme")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.push_screen(SectionScreen("consent-and-scopes"))
        await settle(pilot)
        title = opened.checklist.item(BOTH_ITEM).title
        listed = options_text(app.screen.query_one(OptionList))
        [line] = [text for text in listed if title in text]
        assert "probe passed · attestation needed" in line
        assert "✓" not in line
        app.post_message(ShowReview())
        await settle(pilot)
        blockers = options_text(app.screen.query_one(OptionList))
        [entry] = [text for text in blockers if title in text]
        assert "probe passed · attestation needed" in entry and "✓" not in entry
        app.push_screen(ItemScreen(BOTH_ITEM))
        await settle(pilot)
        status = app.screen.query_one("#item-status", Static)
        assert on_screen(status)
        assert "probe passed · attestation needed" in shown_text(status)


# --- secret hygiene with nothing to scan --------------------------------------------------------


async def test_secret_hygiene_with_nothing_to_scan_is_skipped_and_says_what_to_set() -> None:
    new_session("acme", profile=Profile(features=FEATURES))
    app = WizardApp(session="acme")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.post_message(RunProbes(only=["secret-hygiene"]))
        await app.workers.wait_for_complete()
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert "skipped" in str(table.get_cell("secret-hygiene", "outcome"))
        assert "NO_SCAN_PATHS" in str(table.get_cell("secret-hygiene", "reason"))
        app.push_screen(ItemScreen("privacy-and-security.logs-avoid-sensitive-data"))
        await settle(pilot)
        status = shown_text(app.screen.query_one("#item-status", Static))
        assert "pending" in status and "set log_paths" in status
    session = open_session("acme").session
    assert session.probes["secret-hygiene"].outcome is Outcome.SKIPPED


# --- clearing asks first ------------------------------------------------------------------------


async def test_clear_asks_first_and_the_history_keeps_what_was_cleared() -> None:
    opened = new_session("acme", profile=Profile(features=FEATURES))
    opened.attest(REQUIRED_ITEM, "alice", note="portal approval", evidence=["ONYX-1"])
    app = WizardApp(session="acme")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ItemScreen(REQUIRED_ITEM))
        await settle(pilot)
        footer = " ".join(shown_text(w) for w in app.screen.query("FooterKey") if on_screen(w))
        assert "Clear" in footer  # the key is offered where people look for keys
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "attested by alice" in shown_text(app.screen.query_one(Static))
        await pilot.press("escape")  # changed my mind
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert REQUIRED_ITEM in open_session("acme").session.items
        await pilot.press("c")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
    session = open_session("acme").session
    assert REQUIRED_ITEM not in session.items
    last = session.history[-1]
    assert last.action == "cleared" and "note: portal approval" in last.detail


# --- one wizard changes a session at a time -------------------------------------------------------


async def test_a_session_open_in_another_wizard_is_offered_read_only_or_after_a_wait() -> None:
    from onyx_wizard.files import FileLock
    from onyx_wizard.session import lock_path

    opened = new_session("acme", profile=Profile(features=FEATURES))
    other = FileLock(lock_path(opened.path, "open"))
    other.acquire()  # another wizard (its lock, as another process would hold it)
    try:
        app = WizardApp(session="acme")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            question = shown_text(app.screen.query_one(Static))
            assert "is open in onyx-wizard (pid" in question and "read-only" in question
            await pilot.click("#no")  # read-only
            await settle(pilot)
            app.push_screen(ItemScreen(REQUIRED_ITEM))
            await settle(pilot)
            # Looking is fine; a change is refused with the reason.
            error = app.apply(lambda: app.session.attest(REQUIRED_ITEM, "x", evidence=["X-1"]))
            assert error is not None and "read-only" in error
            await pilot.pause(0.2)  # let every screen finish mounting before the app closes
        # Wait: the session opens once the other wizard lets go.
        app = WizardApp(session="acme")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            await pilot.click("#yes")  # wait
            await settle(pilot)
            other.release()
            for _ in range(30):
                await pilot.pause(0.1)
                if app.opened is not None:
                    break
            assert app.opened is not None and not app.opened.read_only
            await pilot.pause(0.2)  # the overview it pushed finishes mounting
    finally:
        other.release()
    assert REQUIRED_ITEM not in open_session("acme").session.items


# --- the demo says its exports go with it ------------------------------------------------------


async def test_a_demo_export_says_its_files_go_when_the_demo_ends(
    real_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secrets as pysecrets

    from textual.widgets import Button

    from onyx_wizard.attestation import keys
    from onyx_wizard.secrets import SERVICE_VARIABLE

    monkeypatch.setenv(SERVICE_VARIABLE, f"onyx-wizard-test-{pysecrets.token_hex(4)}")
    new_session("demo", profile=Profile(features=FEATURES))
    app = WizardApp(session="demo", demo=True)
    try:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await pilot.press("v")
            await settle(pilot)
            await pilot.press("d")  # a draft: the demo session is not ready
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)  # no key yet: generate one
            app.screen.query_one("#yes", Button).press()
            await settle(pilot)
            panel = app.screen.query_one("#export-result", Static)
            assert on_screen(panel)
            said = shown_text(panel)
            assert "Draft attestation of demo" in said
            assert "removed when the demo ends" in said and "copy them elsewhere" in said
    finally:
        keys.delete("default")


async def test_the_review_shows_what_changed_since_the_last_export(tmp_path: Path) -> None:
    from conftest import make_ready_session
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from onyx_wizard.attestation import export_session

    ready = make_ready_session("acme", tmp_path / "evidence")
    export_session(
        ready.opened, tmp_path / "acme.attestation.json", private_key=Ed25519PrivateKey.generate()
    )
    ready.drill_log.write_text("rewritten after the export\n")
    app = WizardApp(session="acme")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("v")
        await settle(pilot)
        panel = app.screen.query_one("#drift", Static)
        assert on_screen(panel)
        said = shown_text(panel)
        assert "Since the last export (acme.attestation.json" in said
        assert "logs/support-drill.txt: changed since it was signed" in said
