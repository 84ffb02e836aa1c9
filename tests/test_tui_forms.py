"""The wizard's forms and dialogs as an operator sees them: inline reasons on screen, typing that
edits what is there, a line on what the focused field means, the dialog's own keys, and Esc
that asks before throwing typed text away. Each runs at 80×24 and at a larger size."""

from __future__ import annotations

import pytest
from textual.errors import NoWidget
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Select, Static

from onyx_wizard.session import RecordedStatus, new_session, open_session
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.dialogs import AttestDialog, ConfirmDialog, NewSessionDialog, WaiveDialog
from onyx_wizard.tui.screens.help import HelpScreen
from onyx_wizard.tui.screens.item import ItemScreen
from onyx_wizard.tui.screens.overview import OverviewScreen
from onyx_wizard.tui.screens.profile import FIELDS, ProfileScreen
from tests.test_tui import type_into

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ATTEST_ITEM = "app-identity.app-name-approved"  # attested by a person, evidence required
WAIVE_ITEM = "app-identity.app-description-clear"


def on_screen(widget: Widget) -> bool:
    """Displayed, with a non-empty region, and what the screen draws at its first cell (so not
    hidden, scrolled away or covered): the widget or, for a container, one of its own."""
    if not (widget.display and widget.visible and widget.region.area > 0):
        return False
    try:
        found, _ = widget.screen.get_widget_at(*widget.region.offset)
    except NoWidget:
        return False
    return widget in found.ancestors_with_self


def text(widget: Widget) -> str:
    return str(widget.render())


def shown_error(pilot: Pilot[int], selector: str) -> str:
    """The text of an inline error, asserting a person can see it."""
    error = pilot.app.screen.query_one(selector, Static)
    assert on_screen(error), f"{selector} holds {text(error)!r} but is not on screen"
    return text(error)


def toasts(pilot: Pilot[int]) -> str:
    return " ".join(text(toast) for toast in pilot.app.screen.query("Toast"))


async def open_item_dialog(pilot: Pilot[int], item_id: str, key: str) -> None:
    pilot.app.push_screen(ItemScreen(item_id))
    await pilot.pause()
    await pilot.press(key)
    await pilot.pause()


# --- 1. inline reasons are on screen ----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_attest_without_evidence_shows_why_next_to_the_form(size: tuple[int, int]) -> None:
    new_session("attest")
    app = WizardApp(session="attest")
    async with app.run_test(size=size) as pilot:
        await open_item_dialog(pilot, ATTEST_ITEM, "a")
        assert isinstance(app.screen, AttestDialog)
        await type_into(pilot, "#note", "Checked the portal")
        # Nothing shown before there is something to say.
        assert not on_screen(app.screen.query_one("#dialog-error"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AttestDialog)
        assert "evidence is required" in shown_error(pilot, "#dialog-error")
    assert open_session("attest").session.record(ATTEST_ITEM).status is RecordedStatus.PENDING


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("reason", "expires", "why"),
    [
        ("Copy review booked", "next month", "'next month' is not a date"),
        ("", "2099-01-31", "needs a reason"),
    ],
    ids=["vague-expiry", "no-reason"],
)
async def test_a_waiver_that_cannot_be_saved_shows_why(
    size: tuple[int, int], reason: str, expires: str, why: str
) -> None:
    new_session("waive")
    app = WizardApp(session="waive")
    async with app.run_test(size=size) as pilot:
        await open_item_dialog(pilot, WAIVE_ITEM, "w")
        assert isinstance(app.screen, WaiveDialog)
        if reason:
            await type_into(pilot, "#reason", reason)
        await type_into(pilot, "#approver", "Sam Lee")
        await type_into(pilot, "#expires", expires)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, WaiveDialog)
        assert why in shown_error(pilot, "#dialog-error")
    assert open_session("waive").session.record(WAIVE_ITEM).status is RecordedStatus.PENDING


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("name", "why"),
    [("../bad name!", "bad name"), ("taken", "already exists")],
    ids=["bad-name", "existing-name"],
)
async def test_a_new_session_name_that_cannot_be_used_shows_why(
    size: tuple[int, int], name: str, why: str
) -> None:
    new_session("taken")
    app = WizardApp()
    async with app.run_test(size=size) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NewSessionDialog)
        await type_into(pilot, "#name", name)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewSessionDialog)
        assert why in shown_error(pilot, "#dialog-error")


@pytest.mark.parametrize("size", SIZES)
async def test_a_profile_field_that_is_not_valid_shows_why_under_it(size: tuple[int, int]) -> None:
    new_session("prof")
    app = WizardApp(session="prof", start="profile")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        assert not on_screen(app.screen.query_one("#e-login_url"))
        await type_into(pilot, "#f-login_url", "not a url")
        assert "not an absolute http(s) URL" in shown_error(pilot, "#e-login_url")
        # The last field too: its reason scrolls into view.
        await type_into(pilot, "#f-dns_nameserver", "not an ip")
        assert "not an IP address" in shown_error(pilot, "#e-dns_nameserver")
        await type_into(pilot, "#f-login_url", "https://app.example.com/login")
        assert not on_screen(app.screen.query_one("#e-login_url"))
        await pilot.press("enter")  # saves the field
    assert open_session("prof").session.profile.login_url == "https://app.example.com/login"


@pytest.mark.parametrize("size", SIZES)
async def test_a_refused_environment_or_secret_shows_why_beside_it(size: tuple[int, int]) -> None:
    from onyx_wizard.profile import Environment, Profile

    preview = Profile(environment=Environment.PREVIEW, login_url="http://app.example.com/login")
    new_session("refused", profile=preview)
    app = WizardApp(session="refused", start="profile")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.query_one("#f-environment", Select).value = "production"
        await pilot.pause()
        assert "must use https" in shown_error(pilot, "#e-environment")
        await app.workers.wait_for_complete()  # the keyring check enables the secret fields
        await pilot.pause()
        await type_into(pilot, "#s-webhook_secret", "short")
        await pilot.press("enter")
        await pilot.pause()
        assert "too short" in shown_error(pilot, "#e-s-webhook_secret")
    assert open_session("refused").session.profile.environment is Environment.PREVIEW


# --- 12. typing edits a prefilled value; ? types, F1 helps --------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_typing_in_a_prefilled_profile_field_appends(size: tuple[int, int]) -> None:
    from onyx_wizard.profile import with_field

    opened = new_session("typing")
    opened.update_profile(with_field(opened.session.profile, "app_name", "Acme"))
    app = WizardApp(session="typing", start="profile")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        name = app.screen.query_one("#f-app_name", Input)
        assert name.has_focus
        await pilot.press("question_mark")  # a question mark, typed: not the help
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        assert name.value == "Acme?"
        await pilot.press("backspace", "tab", "shift+tab", "space", "1")  # away and back
        assert name.value == "Acme 1"
        # The help is on F1 while a field has focus, and the footer says so.
        keys = {key.description: key.key_display for key in app.screen.query("FooterKey")}
        assert keys.get("Help", "").lower() == "f1"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "F1" in " ".join(text(w) for w in app.screen.query(Static))
        await pilot.press("escape")
        await pilot.pause()
        assert name.value == "Acme 1" and name.has_focus


@pytest.mark.parametrize("size", SIZES)
async def test_typing_in_a_prefilled_dialog_field_appends(size: tuple[int, int]) -> None:
    opened = new_session("typing")
    opened.set_operator("Dana")
    app = WizardApp(session="typing")
    async with app.run_test(size=size) as pilot:
        await open_item_dialog(pilot, ATTEST_ITEM, "a")
        by = app.screen.query_one("#by", Input)
        assert by.has_focus and by.value == "Dana"
        await pilot.press("space", "R", "question_mark")
        assert by.value == "Dana R?"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


# --- 13. the profile form explains itself -------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_the_focused_profile_field_says_what_it_means(size: tuple[int, int]) -> None:
    new_session("explain")
    app = WizardApp(session="explain", start="profile")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        hint = app.screen.query_one("#field-help", Static)
        for field_id, words in [
            ("#f-domain_verification_token", "domain-ownership token"),
            ("#f-dns_nameserver", "DNS server"),
            ("#f-partner_connectivity--approved_catalogue_version", "Onyx approved"),
            ("#s-webhook_secret", "keyring"),
        ]:
            app.screen.query_one(field_id).focus()
            await pilot.pause()
            assert on_screen(hint)
            assert words in text(hint), field_id


@pytest.mark.parametrize("size", SIZES)
async def test_profile_examples_read_as_examples_and_labels_fit(size: tuple[int, int]) -> None:
    new_session("labels")
    app = WizardApp(session="labels", start="profile")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        # Examples read as examples, never as values.
        for field in FIELDS:
            example = app.screen.query_one(f"#f-{field.name.replace('.', '--')}", Input).placeholder
            assert example.startswith(("e.g. ", "optional, e.g. ")), field.name
        # Every label fits on its line: none wraps mid-word.
        for label in app.screen.query(Label).filter(".form-label"):
            assert label.size.height == 1, text(label)


async def test_saving_an_unchanged_profile_says_there_was_nothing_to_save() -> None:
    new_session("nochange")
    app = WizardApp(session="nochange", start="profile")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "No changes to save." in toasts(pilot)
        assert "Profile saved." not in toasts(pilot)
        app.clear_notifications()
        await pilot.press("A", "c", "m", "e", "ctrl+s")
        await pilot.pause()
        assert "Profile saved." in toasts(pilot)
    assert open_session("nochange").session.profile.app_name == "Acme"


# --- 14. the palette names keys as people do ----------------------------------------------------


async def test_the_palette_names_keys_as_people_know_them() -> None:
    new_session("palette")
    app = WizardApp(session="palette", start="profile")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        profile = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert profile["Save"].endswith("Key: Ctrl+S")
        assert profile["Done"].endswith("Key: Esc")
        assert profile["Help"].endswith("Key: F1")
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(ItemScreen(ATTEST_ITEM))
        await pilot.pause()
        item = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert item["Attest"].endswith("Key: a")
        assert item["Help"].endswith("Key: ?")
        assert item["Back"].endswith("Key: Esc")
        for help_text in [*profile.values(), *item.values()]:
            assert "question_mark" not in help_text and "escape" not in help_text


# --- 15. dialogs show their own keys; Esc asks before discarding ----------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_a_dialog_shows_its_own_keys_in_the_footer(size: tuple[int, int]) -> None:
    new_session("keys")
    app = WizardApp(session="keys")
    async with app.run_test(size=size) as pilot:
        await open_item_dialog(pilot, WAIVE_ITEM, "w")
        assert isinstance(app.screen, WaiveDialog)
        footer = app.screen.query_one(Footer)
        assert footer.screen is app.screen and on_screen(footer)
        keys = {k.description: k.key_display for k in footer.query("FooterKey") if on_screen(k)}
        assert keys.get("Save") in ("^s", "Ctrl+S") and keys.get("Cancel") in ("esc", "Esc")
        assert "Waive" not in keys and "Next" not in keys  # the item screen's keys


@pytest.mark.parametrize("size", SIZES)
async def test_escape_asks_before_discarding_what_was_typed_in_a_dialog(
    size: tuple[int, int],
) -> None:
    new_session("discard")
    app = WizardApp(session="discard")
    async with app.run_test(size=size) as pilot:
        await open_item_dialog(pilot, ATTEST_ITEM, "a")
        await pilot.press("escape")  # nothing typed: closes at once
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)

        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#note", "Half-written note")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard your changes?" in " ".join(text(w) for w in app.screen.query(Static))
        await pilot.press("escape")  # no: back to the form, text intact
        await pilot.pause()
        assert isinstance(app.screen, AttestDialog)
        assert app.screen.query_one("#note", Input).value == "Half-written note"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
    assert open_session("discard").session.record(ATTEST_ITEM).status is RecordedStatus.PENDING


@pytest.mark.parametrize("size", SIZES)
async def test_escape_asks_before_discarding_an_invalid_profile_field(
    size: tuple[int, int],
) -> None:
    new_session("pdiscard")
    app = WizardApp(session="pdiscard", start="profile")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await type_into(pilot, "#f-login_url", "not a url")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        question = " ".join(text(w) for w in app.screen.query(Static))
        assert "Discard your changes?" in question and "Login URL" in question
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        await type_into(pilot, "#f-login_url", "https://app.example.com/login")
        await pilot.press("escape")  # everything valid is saved: leaves at once
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
    assert open_session("pdiscard").session.profile.login_url == "https://app.example.com/login"
