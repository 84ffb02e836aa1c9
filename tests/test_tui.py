"""The wizard, driven through Pilot like an operator would, against real session files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Collapsible, DataTable, Input, ProgressBar, TextArea

from onyx_wizard.gate import Status, evaluate
from onyx_wizard.session import OpenSession, RecordedStatus, open_session
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.dialogs import AttestDialog, NewSessionDialog
from onyx_wizard.tui.messages import (
    OpenItem,
    ProbeLanded,
    ProbeProgress,
    RunFinished,
    RunProbes,
    ShowReview,
)
from onyx_wizard.tui.screens.item import ItemScreen
from onyx_wizard.tui.screens.overview import OverviewScreen
from onyx_wizard.tui.screens.profile import ProfileScreen
from onyx_wizard.tui.screens.review import ReviewScreen
from onyx_wizard.tui.screens.section import SectionScreen
from onyx_wizard.tui.widgets import SavedIndicator

SIZE = (80, 24)

M = TypeVar("M", bound=Message)


class Messages:
    """A message hook for `run_test`: records every message the app's widgets dispatch, so a
    test can wait for the one it needs instead of polling the screen.

    The hook lives in the app's context: a screen the test pushes itself runs outside it, so a
    test that listens asks for screens with a message, as the screens do.
    """

    def __init__(self) -> None:
        self.seen: list[Message] = []
        self._arrived = asyncio.Event()

    def __call__(self, message: Message) -> None:
        self.seen.append(message)
        self._arrived.set()

    def of(self, kind: type[M]) -> list[M]:
        return [m for m in self.seen if isinstance(m, kind)]

    async def wait_for(
        self, kind: type[M], enough: Callable[[list[M]], bool] = bool, timeout: float = 30
    ) -> list[M]:
        """Wait until the messages of `kind` seen so far are `enough` (by default: one)."""
        async with asyncio.timeout(timeout):
            while not enough(self.of(kind)):
                self._arrived.clear()
                await self._arrived.wait()
        return self.of(kind)


async def type_into(pilot: Pilot[int], selector: str, text: str) -> None:
    """Focus an input and replace what it holds, as a person would.

    The last characters are typed as keys; the rest is pasted, which keeps the test fast.
    """
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    await pilot.pause()
    widget.value = text[:-4]
    widget.action_end()
    await pilot.press(*text[-4:])
    await pilot.pause()
    assert widget.value == text


async def test_walkthrough_then_resume_on_the_same_item() -> None:
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, NewSessionDialog)
        await type_into(pilot, "#name", "acme")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)

        await type_into(pilot, "#f-app_name", "Acme Messenger")
        await type_into(pilot, "#f-production_domain", "acme.example")
        await type_into(
            pilot, "#f-allowed_origins", "https://app.acme.example/, https://app.acme.example"
        )
        await type_into(pilot, "#f-login_url", "http://app.acme.example/login")
        # Production needs https: the error is inline and nothing invalid is saved.
        assert "must use https" in str(app.screen.query_one("#e-login_url").render())
        await type_into(pilot, "#f-login_url", "https://app.acme.example/login/onyx")
        assert str(app.screen.query_one("#e-login_url").render()) == ""
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        profile = open_session("acme").session.profile
        assert profile.app_name == "Acme Messenger"
        assert profile.allowed_origins == ["https://app.acme.example"]
        assert profile.login_url == "https://app.acme.example/login/onyx"

        await pilot.press("enter")  # App Identity
        await pilot.pause()
        assert isinstance(app.screen, SectionScreen)
        await pilot.press("enter")  # its first item
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        assert app.screen.item_id == "app-identity.app-name-approved"

        await pilot.press("a")
        assert isinstance(app.screen, AttestDialog)
        await type_into(pilot, "#by", "Dana Reyes")
        await type_into(pilot, "#note", "Name matches the approval")
        # Evidence is required: saving without it keeps the dialog open with the reason.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AttestDialog)
        assert "evidence is required" in str(app.screen.query_one("#dialog-error").render())
        app.screen.query_one("#evidence").focus()
        app.screen.query_one("#evidence", TextArea).insert(
            "https://partners.onyx.example/approvals/123"
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        assert "saved" in str(app.screen.query_one(SavedIndicator).render())

        await pilot.press("n")
        await pilot.pause()
        assert app.screen.item_id == "app-identity.app-description-clear"
        await pilot.press("w")
        await pilot.pause()
        await type_into(pilot, "#reason", "Copy review booked for next sprint")
        await type_into(pilot, "#approver", "Sam Lee")
        await type_into(pilot, "#expires", "2099-01-31")
        await pilot.press("ctrl+s")
        await pilot.pause()

        await pilot.press("n")
        await pilot.pause()
        assert app.screen.item_id == "app-identity.app-ownership-verified"
        # Required for every integration: not applicable is refused before any dialog opens.
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        assert not app.screen.query("#reason")
        await pilot.press("ctrl+q")

    first = open_session("acme").session
    assert first.cursor == "app-identity.app-ownership-verified"
    attested = first.items["app-identity.app-name-approved"]
    assert attested.status is RecordedStatus.ATTESTED
    assert attested.by == "Dana Reyes"
    assert attested.note == "Name matches the approval"
    assert attested.evidence == ["https://partners.onyx.example/approvals/123"]
    waived = first.items["app-identity.app-description-clear"]
    assert waived.status is RecordedStatus.WAIVED
    assert waived.waiver is not None
    assert (waived.waiver.approver, waived.waiver.expires) == ("Sam Lee", date(2099, 1, 31))
    assert "app-identity.app-ownership-verified" not in first.items
    actions = [(h.action, h.item) for h in first.history]
    assert ("attested", "app-identity.app-name-approved") in actions
    assert ("waived", "app-identity.app-description-clear") in actions

    second = WizardApp(session="acme", start="resume")
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = second.screen
        assert isinstance(screen, ItemScreen)
        assert screen.item_id == "app-identity.app-ownership-verified"
        assert "pending" in str(screen.query_one("#item-status").render())
        await pilot.press("p")
        await pilot.pause()
        assert "waived" in str(screen.query_one("#item-status").render())
        await pilot.press("p")
        await pilot.pause()
        detail = str(screen.query_one("#item-record").render())
        assert "Dana Reyes" in detail and "Name matches the approval" in detail
    reloaded = open_session("acme").session
    assert reloaded.items == first.items
    assert reloaded.history == first.history


async def test_review_lists_blockers_and_opens_them() -> None:
    from onyx_wizard.session import new_session

    opened = new_session("review-me")
    verdict = evaluate(opened.session, opened.checklist)
    app = WizardApp(session="review-me")
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert messages.of(ShowReview)  # the overview asked; the app pushed the review
        banner = str(app.screen.query_one("#gate").render())
        assert "NOT READY" in banner and f"{len(verdict.blockers)} blocking" in banner
        # A blank profile: the first blocker is the profile's own (declare the features).
        assert verdict.blockers[0].item_id == "profile.features"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        assert app.screen.item_id == verdict.blockers[1].item_id
        assert {m.item_id for m in messages.of(OpenItem)} == {verdict.blockers[1].item_id}


async def test_probe_items_say_their_probe_has_not_run_and_can_be_waived() -> None:
    from onyx_wizard.session import new_session

    new_session("probes")
    app = WizardApp(session="probes")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ItemScreen("app-identity.allowed-origins"))
        await pilot.pause()
        panels = " ".join(str(w.render()) for w in app.screen.query("#probe-results Static"))
        assert "cors-preflight: not run yet" in panels
        await pilot.press("a")  # a probe item cannot be attested
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        await pilot.press("w")
        await pilot.pause()
        await type_into(pilot, "#reason", "CORS handled by the gateway team")
        await type_into(pilot, "#approver", "Sam Lee")
        await pilot.press("ctrl+s")
        await pilot.pause()
    opened = open_session("probes")
    state = evaluate(opened.session, opened.checklist).states["app-identity.allowed-origins"]
    assert state.status is Status.WAIVED and state.done


async def test_help_and_palette_list_the_screen_actions() -> None:
    from onyx_wizard.session import new_session

    new_session("helpme")
    app = WizardApp(session="helpme")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ItemScreen("app-identity.app-name-approved"))
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for wanted in ("Attest", "Waive", "Not applicable", "Clear", "Run probes", "Next", "Prev"):
            assert wanted in titles
        await pilot.press("question_mark")
        await pilot.pause()
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "Attest" in text and "Waive" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)


async def test_broken_session_is_reported_not_opened(tmp_path: object) -> None:
    from onyx_wizard import paths
    from onyx_wizard.session import new_session

    opened = new_session("broken")
    path = paths.session_path("broken")
    path.write_text(path.read_text().replace("schema_version = 1", "schema_version = [", 1))
    before = path.read_bytes()
    app = WizardApp(session="broken")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.opened is None
        assert app.screen.__class__.__name__ == "SessionsScreen"
    assert path.read_bytes() == before
    assert opened.path == path


async def test_run_all_probes_live_while_keys_still_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.session import new_session
    from onyx_wizard.tui.screens.run import RunScreen

    # webhook-slow keeps one probe busy for its 10 s budget, so keys are pressed mid-run.
    with DemoDeployment(["cors-null-origin", "webhook-slow"]) as deployment:
        for key, value in deployment.secrets().items():
            monkeypatch.setenv(key.env_var, value)
        new_session("live", profile=deployment.profile())
        app = WizardApp(session="live")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("r")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RunScreen)
            assert screen.running
            # The UI answers while probes run: help opens and closes, the cursor moves.
            await pilot.press("question_mark")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "HelpScreen"
            await pilot.press("escape")
            await pilot.press("down", "down")
            assert app.screen is screen
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not screen.running
            assert set(screen.results) == set(screen.probe_ids)
            status = str(screen.query_one("#run-status").render())
            assert status.startswith("Done") and "saved" in status
            table = screen.query_one("#run-table", DataTable)
            assert "✗ fail" in str(table.get_cell("cors-preflight", "outcome"))
            # Its own column, or leading the message where the terminal is too narrow for it.
            row = " ".join(str(cell) for cell in table.get_row("cors-preflight"))
            assert "CORS_NULL_ORIGIN_ALLOWED" in row

            # The item shows the result, with its evidence in a collapsible panel.
            await pilot.press("escape")
            app.push_screen(ItemScreen("app-identity.allowed-origins"))
            await pilot.pause()
            panel = app.screen.query_one("#evidence-cors-preflight", Collapsible)
            assert "CORS_NULL_ORIGIN_ALLOWED" in str(panel.title)
            assert panel.collapsed
            assert "fail" in str(app.screen.query_one("#item-status").render())
    saved = open_session("live").session
    assert saved.probes["cors-preflight"].reason_code == "CORS_NULL_ORIGIN_ALLOWED"
    assert saved.items["app-identity.allowed-origins"].status is RecordedStatus.FAILED


async def test_cancel_a_run_keeps_what_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.session import new_session
    from onyx_wizard.tui.screens.run import RunScreen

    with DemoDeployment(["webhook-slow"]) as deployment:
        for key, value in deployment.secrets().items():
            monkeypatch.setenv(key.env_var, value)
        new_session("cancel", profile=deployment.profile())
        app = WizardApp(session="cancel")
        messages = Messages()
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await pilot.press("r")
            screen = app.screen
            assert isinstance(screen, RunScreen)
            # Every fast probe lands; the two that deliver to the slow webhook still wait.
            slow = {"webhook-delivery", "access-revocation"}
            await messages.wait_for(
                ProbeLanded, lambda landed: len(landed) >= len(screen.probe_ids) - len(slow)
            )
            await pilot.pause()
            assert len(screen.results) == len(screen.probe_ids) - len(slow)
            assert not slow & set(screen.results)
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert [m.how for m in messages.of(RunFinished)] == ["cancelled"]
            assert not screen.running
            assert str(screen.query_one("#run-status").render()).startswith("Cancelled")
            table = screen.query_one("#run-table", DataTable)
            assert "cancelled" in str(table.get_cell("webhook-delivery", "outcome"))
    saved = open_session("cancel").session
    assert "webhook-delivery" not in saved.probes
    assert saved.probes["cors-preflight"].outcome == "pass"


async def test_review_exports_a_signed_attestation_offering_a_key_first(
    real_keyring: None, tmp_path: Path
) -> None:
    import secrets as pysecrets

    from conftest import make_ready_session

    from onyx_wizard.attestation import keys

    ready = make_ready_session("ready", tmp_path / "evidence")
    # A name of this run's own (the keyring outlives the test), deleted at the end.
    key_name = f"tui-operator-{pysecrets.token_hex(4)}"
    try:
        await export_from_the_review(ready, key_name, tmp_path)
    finally:
        keys.delete(key_name)


async def export_from_the_review(ready: OpenSession, key_name: str, tmp_path: Path) -> None:
    from textual.widgets import Button

    from onyx_wizard.attestation import keys, verify_file
    from onyx_wizard.tui.dialogs import ConfirmDialog, ExportDialog

    out = tmp_path / "out" / "ready.attestation.json"
    app = WizardApp(session="ready")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        assert "READY" in str(app.screen.query_one("#gate").render())
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await type_into(pilot, "#out", str(out))
        await type_into(pilot, "#key", key_name)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # no key yet: offered, not assumed
        app.screen.query_one("#yes", Button).press()
        await pilot.pause()
        result = str(app.screen.query_one("#export-result").render())
        key_id = keys.key_id(keys.public_key(key_name))
        assert "✓ Signed attestation of" in result
        assert str(out) in result and key_id in result
    pem = tmp_path / "operator.pem"
    pem.write_text(keys.public_pem(key_name))
    verification = verify_file(out, [pem], 1, ready.evidence_dir)
    assert verification.ok, verification.reason
    assert open_session("ready").session.history[-1].action == "exported"


async def test_notes_are_redacted_before_they_are_saved() -> None:
    from onyx_wizard.session import new_session

    new_session("redact")
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    app = WizardApp(session="redact")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ItemScreen("app-identity.app-name-approved"))
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#note", f"asked dana@acme.example, used {token}")
        app.screen.query_one("#evidence", TextArea).insert("ONYX-4821")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
    opened = open_session("redact")
    note = opened.session.items["app-identity.app-name-approved"].note
    assert "[REDACTED:email]" in note and "[REDACTED:github-token]" in note
    text = opened.path.read_text()
    assert token not in text and "dana@acme.example" not in text


HYGIENE_ITEMS = [
    "support-readiness.support-evidence-excludes-sensitive",
    "privacy-and-security.tokens-protected",
    "privacy-and-security.webhook-secrets-protected",
    "privacy-and-security.logs-avoid-sensitive-data",
]


@pytest.mark.parametrize("fault", [None, "log-leaks-pii"])
async def test_secret_hygiene_items_in_the_tui(
    fault: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.session import new_session
    from onyx_wizard.tui.screens.run import RunScreen

    with DemoDeployment([fault] if fault else []) as deployment:
        for key, value in deployment.secrets().items():
            monkeypatch.setenv(key.env_var, value)
        new_session("hygiene", profile=deployment.profile())
        app = WizardApp(session="hygiene")
        async with app.run_test(size=(100, 30)) as pilot:
            app.push_screen(ItemScreen("privacy-and-security.logs-avoid-sensitive-data"))
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            run = app.screen
            assert isinstance(run, RunScreen) and run.only == [HYGIENE_ITEMS[-1]]
            await app.workers.wait_for_complete()
            await pilot.pause()
            result = run.results["secret-hygiene"]
            await pilot.press("escape")
            await pilot.pause()
            item = app.screen
            assert isinstance(item, ItemScreen)
            status = str(item.query_one("#item-status").render())
            panel = item.query_one("#evidence-secret-hygiene", Collapsible)
            evidence = " ".join(str(w.render()) for w in panel.query(".evidence"))
    states = evaluate(open_session("hygiene").session, open_session("hygiene").checklist).states
    if fault is None:
        assert (result.outcome.value, result.reason_code) == ("pass", "SCAN_CLEAN")
        assert "passed" in status
        # tokens-protected also needs session-cookies, which this run did not include.
        assert states[HYGIENE_ITEMS[1]].status is Status.PENDING
        assert [states[i].status for i in HYGIENE_ITEMS[2:]] == [Status.PASSED] * 2
        assert states[HYGIENE_ITEMS[0]].label == "probe passed · attestation needed"
    else:
        assert (result.outcome.value, result.reason_code) == ("fail", "PII_FOUND")
        assert "failed" in status
        assert "app.log:" in evidence and "email" in evidence and "credit-card" in evidence
        assert "jane.doe@example.com" not in evidence
        assert all(states[i].status is Status.FAILED for i in HYGIENE_ITEMS)


async def test_a_large_scan_shows_progress_and_can_be_cancelled(tmp_path: Path) -> None:
    from onyx_wizard.profile import Profile
    from onyx_wizard.session import new_session
    from onyx_wizard.tui.screens.run import RunScreen

    logs = tmp_path / "logs"
    logs.mkdir()
    # Decimal trace ids are card-number candidates the scanner must look at and reject: a slow,
    # clean log. 8 x 24 MB takes seconds, read in 4 MiB chunks.
    line = b"2026-11-30T10:00:00Z dd.trace_id=3877126432771356425 dd.span_id=4196388405723419387\n"
    for n in range(8):
        (logs / f"app-{n}.log").write_bytes(line * (24_000_000 // len(line)))
    new_session("big", profile=Profile(log_paths=[str(logs)]))
    app = WizardApp(session="big")
    messages = Messages()
    async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
        # Asked for as a screen would, so the run screen starts inside the app (and the hook).
        app.post_message(RunProbes(only=["secret-hygiene"]))
        await pilot.pause()
        run = app.screen
        assert isinstance(run, RunScreen)
        table = run.query_one("#run-table", DataTable)
        # The scan reports from its thread as it reads; the run screen shows each report.
        await messages.wait_for(ProbeProgress, lambda reports: any(r.fraction for r in reports))
        await pilot.pause()
        cell = str(table.get_cell("secret-hygiene", "outcome"))
        assert "%" in cell, cell
        assert 0 < run.query_one(ProgressBar).progress < 1
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(run.query_one("#run-status").render()).startswith("Cancelled")
        assert "cancelled" in str(table.get_cell("secret-hygiene", "outcome"))
    assert "secret-hygiene" not in open_session("big").session.probes


async def test_the_tui_and_check_stamp_a_run_with_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both run a session's probes through one core call: every result of a run carries the
    time the run started, in the TUI as in `check NAME` (the TUI once stamped save time)."""
    import json

    from conftest import onyx_cli

    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.session import new_session
    from onyx_wizard.tui.screens.run import RunScreen

    only = ["cors-preflight", "session-cookies", "token-rejection"]
    # The latency makes each probe take long enough that "the start" and "the save" differ.
    with DemoDeployment(latency_ms=40) as deployment:
        env = {key.env_var: value for key, value in deployment.secrets().items()}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        new_session("stamp-tui", profile=deployment.profile())
        new_session("stamp-cli", profile=deployment.profile())

        app = WizardApp(session="stamp-tui")
        messages = Messages()
        landed_at: list[datetime] = []
        async with app.run_test(size=SIZE, message_hook=messages) as pilot:
            app.post_message(RunProbes(only))
            await messages.wait_for(RunFinished, timeout=60)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RunScreen)
            assert screen.session_run is not None and screen.session_run.started_at is not None
            tui_started = screen.session_run.started_at
            landed_at.append(now_utc())
        tui = open_session("stamp-tui").session
        assert {tui.probes[p].at for p in only} == {tui_started}
        # The stamp is the run's start: before the last probe finished, not the save time.
        slowest = max(tui.probes[p].duration_ms for p in only)
        assert slowest > 0
        assert (landed_at[0] - tui_started).total_seconds() * 1000 >= slowest

        args = ["check", "stamp-cli", "--format", "json"]
        done = onyx_cli(*args, *(f"--only={p}" for p in only), env=env)
        assert done.returncode == 0, done.stderr
        started = datetime.fromisoformat(json.loads(done.stdout)["started_at"])
    cli_session = open_session("stamp-cli").session
    assert {cli_session.probes[p].at for p in only} == {started}


def now_utc() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
