"""The profile form: the integration's facts, validated as they are typed.

A field is saved when it loses focus or Enter is pressed, if it is valid; an invalid field shows
its error under it and keeps what was typed. Secrets go straight to the OS keyring from masked
inputs and are never shown again.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, SelectionList, Static

from onyx_wizard.checklist import FEATURES
from onyx_wizard.profile import LIST_FIELDS, Environment, Profile, ProfileError, with_field
from onyx_wizard.secrets import KeyringUnavailable, SecretKey, SecretStore
from onyx_wizard.tui.base import WizardScreen


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str = ""


FIELDS = (
    Field("app_name", "App name", "Acme Messenger"),
    Field("app_description", "Description", "what the app does for its users"),
    Field("production_domain", "Production domain", "acme.example"),
    Field("allowed_origins", "Allowed origins", "https://app.acme.example, …"),
    Field("redirect_uris", "Redirect URIs", "https://app.acme.example/onyx/callback"),
    Field("login_url", "Login URL", "https://app.acme.example/login/onyx"),
    Field("protected_url", "Protected URL", "https://api.acme.example/v1/me"),
    Field("webhook_url", "Webhook URL", "https://hooks.acme.example/onyx/events"),
    Field("webhook_events", "Webhook events", "message.delivered, access.revoked"),
    Field("privacy_notice_url", "Privacy notice", "https://acme.example/privacy"),
    Field("requested_scopes", "Requested scopes", "openid, profile, messages:send"),
    Field("onyx_authorize_url", "Onyx authorize URL", "https://auth.onyx.example/oauth/authorize"),
    Field("client_id", "Client id", "acme-prod"),
    Field("preview_client_id", "Preview client id", "acme-preview"),
    Field("domain_verification_token", "Domain token", "onyx-verify-…"),
    Field("ca_bundle", "CA bundle", "optional: PEM file of a private CA"),
    Field("dns_nameserver", "DNS server", "optional: 127.0.0.1:5353"),
    Field("log_paths", "Log paths", "files or folders the scanner reads"),
    Field("evidence_dir", "Evidence folder", "folder of evidence files"),
    Field("scan_allowlist", "Scan allowlist", "optional: TOML of known false positives"),
    Field("partner_connectivity.catalogue_version", "Catalogue version", "2026.10"),
    Field("partner_connectivity.approved_catalogue_version", "Approved catalogue", "2026.10"),
)


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
    ]

    def compose_body(self) -> ComposeResult:
        profile = self.opened.session.profile
        yield Static("Profile", classes="screen-title")
        yield Static(
            "Saved as you leave each field. Lists: separate with commas. Esc when done.",
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
            with Horizontal(classes="form-row"):
                yield Label("Features", classes="form-label")
                yield SelectionList[str](
                    *[(f, f, f in profile.features) for f in FEATURES],
                    compact=True,
                    id="f-features",
                )
            yield Static("", id="e-features", classes="error")
            for field in FIELDS[2:]:
                yield from self._row(field, profile)
            yield Static(
                "Credentials — stored in the OS keyring, never in a file", classes="subtitle"
            )
            yield Static("Checking the keyring…", id="keyring-state", classes="hint")
            for key in SecretKey:
                with Horizontal(classes="form-row"):
                    yield Label(key.value, classes="form-label")
                    yield Input(
                        password=True, id=f"s-{key.value}", placeholder=key.label, disabled=True
                    )

    def _row(self, field: Field, profile: Profile) -> ComposeResult:
        with Vertical(classes="form-field"):
            with Horizontal(classes="form-row"):
                yield Label(field.label, classes="form-label")
                yield Input(
                    _text(profile, field.name),
                    placeholder=field.placeholder,
                    id=_input_id(field.name),
                )
            yield Static("", id="e-" + _input_id(field.name)[2:], classes="error")

    def on_mount(self) -> None:
        self.query_one(f"#{_input_id('app_name')}", Input).focus()
        self._check_keyring()

    # --- profile fields ---------------------------------------------------------------------

    def _field_of(self, widget_id: str | None) -> str | None:
        if widget_id and widget_id.startswith("f-"):
            return widget_id[2:].replace("--", ".")
        return None

    def _validate(self, name: str, text: str) -> Profile | None:
        error = self.query_one("#e-" + _input_id(name)[2:], Static)
        try:
            candidate = with_field(self.opened.session.profile, name, text)
        except ProfileError as exc:
            error.update("✗ " + "; ".join(exc.problems))
            return None
        error.update("")
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
        self.wizard.apply(lambda: opened.update_profile(candidate))
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
        if event.value == self.opened.session.profile.environment.value:
            return
        try:
            candidate = with_field(self.opened.session.profile, "environment", event.value)
        except ProfileError as exc:
            self.notify("; ".join(exc.problems), title="Environment not changed", severity="error")
            return
        opened = self.opened
        self.wizard.apply(lambda: opened.update_profile(candidate))

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        features = ", ".join(event.selection_list.selected)
        try:
            candidate = with_field(self.opened.session.profile, "features", features)
        except ProfileError as exc:
            self.query_one("#e-features", Static).update("✗ " + "; ".join(exc.problems))
            return
        opened = self.opened
        self.wizard.apply(lambda: opened.update_profile(candidate))

    def action_save_all(self) -> None:
        failed = [
            field.label
            for field in FIELDS
            if not self._save_field(
                field.name, self.query_one(f"#{_input_id(field.name)}", Input).value
            )
        ]
        if failed:
            self.notify("Not saved, fix first: " + ", ".join(failed), severity="warning")
        else:
            self.notify("Profile saved.")

    def action_done(self) -> None:
        self.action_save_all()
        self.app.pop_screen()

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
            self.notify(str(exc), title="Secret not stored", severity="error", timeout=15)
            return
        widget.placeholder = "✓ set (keyring) — type to replace"
        self.notify(f"{key.value} stored in the OS keyring.")
