"""The profile form: the integration's facts, validated as they are typed.

A field is saved when it loses focus or Enter is pressed, if it is valid; an invalid field shows
its error under it and keeps what was typed. The focused field's meaning is on the line under the
form. Secrets go straight to the OS keyring from masked inputs and are never shown again.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.widgets import Input, Label, Select, SelectionList, Static

from onyx_wizard.checklist import FEATURES
from onyx_wizard.profile import LIST_FIELDS, Environment, Profile, ProfileError, with_field
from onyx_wizard.secrets import KeyringUnavailable, SecretKey, SecretStore
from onyx_wizard.tui.base import WizardScreen
from onyx_wizard.tui.dialogs import ConfirmDialog, InlineError


@dataclass(frozen=True)
class Field:
    """A profile field in the form: its label (one line at 80 columns), what it means (one
    line, shown while it has focus) and an example that cannot pass for a value."""

    name: str
    label: str
    example: str
    help: str


FIELDS = (
    Field(
        "app_name",
        "App name",
        "e.g. Acme Messenger",
        "The app's name as users see it and as Onyx approved it.",
    ),
    Field(
        "app_description",
        "Description",
        "e.g. Team chat for clinics",
        "One or two sentences on what the app does for its users.",
    ),
    Field(
        "production_domain",
        "Production domain",
        "e.g. app.example.com (no https://)",
        "Your app's domain, no scheme or path: TLS and domain verification check it.",
    ),
    Field(
        "allowed_origins",
        "Allowed origins",
        "e.g. https://app.example.com",
        "Web origins (scheme://host[:port]) that may call Onyx from a browser.",
    ),
    Field(
        "redirect_uris",
        "Redirect URIs",
        "e.g. https://app.example.com/onyx/callback",
        "Where Onyx sends people back after sign-in, exactly as registered with Onyx.",
    ),
    Field(
        "login_url",
        "Login URL",
        "e.g. https://app.example.com/login",
        "Your page that starts Onyx sign-in; the probes open it as a browser would.",
    ),
    Field(
        "protected_url",
        "Protected URL",
        "e.g. https://api.example.com/v1/me",
        "A URL that needs a valid Onyx token or session; probes call it without one.",
    ),
    Field(
        "revocation_test_user",
        "Revocation user",
        "e.g. usr_test_42",
        "A test user whose access the revocation probe may revoke (its token is a secret).",
    ),
    Field(
        "webhook_url",
        "Webhook URL",
        "e.g. https://hooks.example.com/onyx",
        "Where Onyx delivers events to your app (Standard Webhooks, signed).",
    ),
    Field(
        "webhook_events",
        "Webhook events",
        "e.g. message.delivered, access.revoked",
        "The event types your app subscribes to; each is sent to the webhook URL.",
    ),
    Field(
        "privacy_notice_url",
        "Privacy notice",
        "e.g. https://example.com/privacy",
        "The public page with your privacy notice.",
    ),
    Field(
        "requested_scopes",
        "Requested scopes",
        "e.g. openid, profile",
        "The OAuth scopes your app asks for; they must fit the features declared.",
    ),
    Field(
        "onyx_authorize_url",
        "Onyx authorize URL",
        "e.g. https://auth.onyx.example/oauth/authorize",
        "Onyx's authorization endpoint that sign-in redirects to (always https).",
    ),
    Field(
        "client_id",
        "Client id",
        "e.g. example-prod",
        "The production OAuth client id Onyx issued to your app.",
    ),
    Field(
        "preview_client_id",
        "Preview client id",
        "e.g. example-preview",
        "The client id for Onyx's preview environment; must differ from production's.",
    ),
    Field(
        "domain_verification_token",
        "Domain token",
        "e.g. onyx-verify-…",
        "Onyx's domain-ownership token, published in DNS (TXT) or a .well-known file.",
    ),
    Field(
        "ca_bundle",
        "CA bundle",
        "optional, e.g. ~/ca/private-ca.pem",
        "Optional: a PEM file of extra CA certificates, for hosts on a private PKI.",
    ),
    Field(
        "dns_nameserver",
        "DNS server",
        "optional, e.g. 192.0.2.53:53",
        "Optional: DNS server (IP[:port]) for names under the production domain.",
    ),
    Field(
        "log_paths",
        "Log paths",
        "e.g. /var/log/app, ./logs",
        "Log files or folders the secret scanner reads for leaked tokens and secrets.",
    ),
    Field(
        "evidence_dir",
        "Evidence folder",
        "e.g. ./evidence",
        "Folder of evidence files; the scanner reads it and relative paths start there.",
    ),
    Field(
        "scan_allowlist",
        "Scan allowlist",
        "optional, e.g. ./scan-allowlist.toml",
        "Optional: a TOML file of the secret scanner's known false positives.",
    ),
    Field(
        "partner_connectivity.catalogue_version",
        "Catalogue version",
        "e.g. 2026.10",
        "Partner Connectivity: the catalogue version production serves.",
    ),
    Field(
        "partner_connectivity.approved_catalogue_version",
        "Approved catalogue",
        "e.g. 2026.10",
        "Partner Connectivity: the version Onyx approved; must equal the served one.",
    ),
)

# The other widgets' meanings, by widget id.
OTHER_HELP = {
    "f-environment": "Which Onyx environment this session checks: production or preview.",
    "f-features": "The Onyx features this integration uses (Space ticks one).",
}

# Secrets by a short label (the keyring names are too long for the label column).
SECRET_LABELS = {
    SecretKey.CLIENT_SECRET: "Client secret",
    SecretKey.PREVIEW_CLIENT_SECRET: "Preview secret",
    SecretKey.WEBHOOK_SECRET: "Webhook secret",
    SecretKey.VALID_ACCESS_TOKEN: "Valid token",
    SecretKey.EXPIRED_ACCESS_TOKEN: "Expired token",
    SecretKey.REVOKED_ACCESS_TOKEN: "Revoked token",
    SecretKey.REVOCATION_ACCESS_TOKEN: "Test user token",
}


def _input_id(name: str) -> str:
    return "f-" + name.replace(".", "--")


def _text(profile: Profile, name: str) -> str:
    if name.startswith("partner_connectivity."):
        value: object = getattr(profile.partner_connectivity, name.split(".", 1)[1])
    else:
        value = getattr(profile, name)
    return ", ".join(value) if isinstance(value, list) else str(value)


class ProfileScreen(WizardScreen):
    """Fill in or correct the integration's facts."""

    BINDINGS = [
        Binding("ctrl+s", "save_all", "Save", id="profile.save", tooltip="Save every valid field"),
        Binding("escape", "done", "Done", id="profile.done", tooltip="Save and go to the overview"),
        # `?` types a question mark in a field, so the help is on F1 here (the app's `?` still
        # opens it from the feature list or the environment, hence the hidden binding).
        Binding(
            "f1", "app.help", "Help", id="profile.help", tooltip="Keys and what the form is for"
        ),
        Binding("question_mark", "app.help", "Help", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        profile = self.opened.session.profile
        yield Static("Profile", classes="screen-title")
        yield Static(
            "Saved as you leave a field · lists: commas between · Esc: done · F1: help",
            classes="hint",
        )
        with VerticalScroll(id="profile-form"):
            for field in FIELDS[:2]:
                yield from self._row(field, profile)
            with Horizontal(classes="form-row"):
                yield Label("Environment", classes="form-label")
                yield Select(
                    [(env.value, env.value) for env in Environment],
                    value=profile.environment.value,
                    allow_blank=False,
                    compact=True,
                    id="f-environment",
                )
            yield InlineError(id="e-environment")
            with Horizontal(classes="form-row"):
                yield Label("Features", classes="form-label")
                yield SelectionList[str](
                    *[(f, f, f in profile.features) for f in FEATURES],
                    compact=True,
                    id="f-features",
                )
            yield InlineError(id="e-features")
            for field in FIELDS[2:]:
                yield from self._row(field, profile)
            yield Static(
                "Credentials — stored in the OS keyring, never in a file", classes="subtitle"
            )
            yield Static("Checking the keyring…", id="keyring-state", classes="hint")
            for key in SecretKey:
                with Horizontal(classes="form-row"):
                    yield Label(SECRET_LABELS.get(key, key.value), classes="form-label")
                    yield Input(
                        password=True, id=f"s-{key.value}", placeholder=key.label, disabled=True
                    )
                yield InlineError(id=f"e-s-{key.value}")
        yield Static("", id="field-help", classes="hint")

    def _row(self, field: Field, profile: Profile) -> ComposeResult:
        with Vertical(classes="form-field"):
            with Horizontal(classes="form-row"):
                yield Label(field.label, classes="form-label")
                # A prefilled value is edited, not replaced by the first key typed.
                yield Input(
                    _text(profile, field.name),
                    placeholder=field.example,
                    id=_input_id(field.name),
                    select_on_focus=False,
                )
            yield InlineError(id="e-" + _input_id(field.name)[2:])

    def on_mount(self) -> None:
        self._as_opened = self.opened.session.profile.model_dump()
        self.query_one(f"#{_input_id('app_name')}", Input).focus()
        self._check_keyring()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Say what the focused field means."""
        self.query_one("#field-help", Static).update(_help_for(event.widget.id or ""))

    # --- profile fields ---------------------------------------------------------------------

    def _field_of(self, widget_id: str | None) -> str | None:
        if widget_id and widget_id.startswith("f-"):
            return widget_id[2:].replace("--", ".")
        return None

    def _error(self, name: str) -> InlineError:
        return self.query_one("#e-" + _input_id(name)[2:], InlineError)

    def _validate(self, name: str, text: str) -> Profile | None:
        try:
            candidate = with_field(self.opened.session.profile, name, text)
        except ProfileError as exc:
            self._error(name).show("; ".join(exc.problems))
            return None
        self._error(name).show("")
        return candidate

    def on_input_changed(self, event: Input.Changed) -> None:
        name = self._field_of(event.input.id)
        if name:
            self._validate(name, event.value)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        name = self._field_of(event.input.id)
        if name:
            self._save_field(name, event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = self._field_of(event.input.id)
        if name:
            self._save_field(name, event.value)
            self.focus_next()
        elif event.input.id and event.input.id.startswith("s-"):
            self._store_secret(SecretKey(event.input.id[2:]), event.input)

    def _save_field(self, name: str, text: str) -> bool:
        candidate = self._validate(name, text)
        if candidate is None:
            return False
        opened = self.opened
        error = self.wizard.apply(lambda: opened.update_profile(candidate))
        if error:
            self._error(name).show(error)
            return False
        if name not in LIST_FIELDS:
            return True
        # Show the normal form (trimmed, de-duplicated) once saved.
        widget = self.query_one(f"#{_input_id(name)}", Input)
        normal = _text(opened.session.profile, name)
        if widget.value != normal and not widget.has_focus:
            widget.value = normal
        return True

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "f-environment" or not isinstance(event.value, str):
            return
        error = self.query_one("#e-environment", InlineError)
        if event.value == self.opened.session.profile.environment.value:
            error.show("")
            return
        try:
            candidate = with_field(self.opened.session.profile, "environment", event.value)
        except ProfileError as exc:
            error.show("environment not changed: " + "; ".join(exc.problems))
            return
        opened = self.opened
        error.show(self.wizard.apply(lambda: opened.update_profile(candidate)) or "")

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        features = ", ".join(event.selection_list.selected)
        try:
            candidate = with_field(self.opened.session.profile, "features", features)
        except ProfileError as exc:
            self.query_one("#e-features", InlineError).show("; ".join(exc.problems))
            return
        opened = self.opened
        self.query_one("#e-features", InlineError).show(
            self.wizard.apply(lambda: opened.update_profile(candidate)) or ""
        )

    def _save_all(self) -> tuple[bool, list[str]]:
        """Save every valid field: whether that changed the profile, and the fields not saved."""
        before = self.opened.session.profile.model_dump()
        failed = [
            field.label
            for field in FIELDS
            if not self._save_field(
                field.name, self.query_one(f"#{_input_id(field.name)}", Input).value
            )
        ]
        return self.opened.session.profile.model_dump() != before, failed

    def action_save_all(self) -> None:
        changed, failed = self._save_all()
        if failed:
            self.notify("Not saved, fix first: " + ", ".join(failed), severity="warning")
        elif changed:
            self.notify("Profile saved.")
        elif self.opened.session.profile.model_dump() != self._as_opened:
            self.notify("No changes to save: each field was saved as you left it.")
        else:
            self.notify("No changes to save.")

    def action_done(self) -> None:
        """Save what is valid and leave; ask first if something typed would be lost."""
        _, failed = self._save_all()
        unstored = [
            SECRET_LABELS.get(key, key.value)
            for key in SecretKey
            if self.query_one(f"#s-{key.value}", Input).value
        ]
        if not failed and not unstored:
            self.app.pop_screen()
            return
        lost = []
        if failed:
            lost.append("not valid, so not saved: " + ", ".join(failed))
        if unstored:
            lost.append("typed but not stored (Enter stores a secret): " + ", ".join(unstored))

        def answered(discard: bool | None) -> None:
            if discard and self.is_current:
                self.app.pop_screen()

        question = "Discard your changes?\n\n" + "\n".join(f"• {line}" for line in lost)
        self.app.push_screen(ConfirmDialog(question, "Discard", no="Keep editing"), answered)

    # --- secrets ----------------------------------------------------------------------------

    def _store(self) -> SecretStore:
        session = self.opened.session
        return SecretStore(session.name, session.profile.environment.value)

    @work(thread=True, exclusive=True, group="keyring")
    def _check_keyring(self) -> None:
        try:
            states = self._store().states()
        except KeyringUnavailable as exc:
            self.app.call_from_thread(self._keyring_unavailable, str(exc))
            return
        self.app.call_from_thread(self._keyring_ready, {s.key: s.source for s in states})

    def _keyring_unavailable(self, message: str) -> None:
        self.query_one("#keyring-state", Static).update(f"✗ {message}")

    def _keyring_ready(self, sources: dict[SecretKey, str]) -> None:
        self.query_one("#keyring-state", Static).update(
            "Type a secret and press Enter to store it; it is not shown again."
        )
        for key, source in sources.items():
            widget = self.query_one(f"#s-{key.value}", Input)
            widget.disabled = False
            widget.placeholder = (
                f"✓ set ({source}) — type to replace" if source else f"○ not set — {key.label}"
            )

    def _store_secret(self, key: SecretKey, widget: Input) -> None:
        value = widget.value
        widget.value = ""  # never keep a secret in the form
        if not value:
            return
        try:
            self._store().set(key, value)
        except (KeyringUnavailable, ValueError) as exc:
            self.query_one(f"#e-s-{key.value}", InlineError).show(f"not stored: {exc}")
            return
        self.query_one(f"#e-s-{key.value}", InlineError).show("")
        widget.placeholder = "✓ set (keyring) — type to replace"
        self.notify(f"{key.value} stored in the OS keyring.")


def _help_for(widget_id: str) -> str:
    """The one-line meaning of the field with this widget id."""
    if widget_id.startswith("s-"):
        try:
            key = SecretKey(widget_id[2:])
        except ValueError:
            return ""
        return f"{key.label}. Enter stores it in the OS keyring."
    for field in FIELDS:
        if _input_id(field.name) == widget_id:
            return field.help
    return OTHER_HELP.get(widget_id, "")
