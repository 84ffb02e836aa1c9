"""The review: the launch-gate verdict and every blocker, each a link to its item."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from onyx_wizard import paths
from onyx_wizard.gate import evaluate
from onyx_wizard.tui.base import ItemListScreen
from onyx_wizard.tui.dialogs import ConfirmDialog, ExportChoice, ExportDialog
from onyx_wizard.tui.status import status_markup
from onyx_wizard.tui.widgets import GateBanner


class ReviewScreen(ItemListScreen):
    """What still stands between this integration and launch."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="review.back"),
        Binding(
            "e",
            "export",
            "Export signed",
            id="review.export",
            tooltip="Sign and write the attestation (the gate must pass)",
        ),
        Binding(
            "d",
            "export_draft",
            "Export draft",
            id="review.draft",
            tooltip="Sign and write a draft whose verdict says not ready",
        ),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("Review", classes="screen-title")
        yield GateBanner(id="gate")
        yield Static("", id="export-result")
        yield Static("", id="review-hint", classes="hint")
        yield Static("", id="drift")
        yield OptionList(id="blockers")

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        opened = self.opened
        verdict = evaluate(opened.session, opened.checklist)
        self.query_one(GateBanner).show(verdict)
        hint = self.query_one("#review-hint", Static)
        options = self.query_one(OptionList)
        options.clear_options()
        if verdict.ready:
            hint.update("Every applicable required item is done and fresh. ✓")
        else:
            hint.update("Blocking items — Enter opens one:")
        for blocker in verdict.blockers:
            state = verdict.states.get(blocker.item_id)
            if state is None:  # the profile's own blocker (no feature declared)
                section = "Profile"
            else:
                section = opened.checklist.section_of(blocker.item_id).title
            label = state.label if state is not None else ""
            options.add_option(
                Option(
                    f"{status_markup(blocker.status, 11, label)} {escape(blocker.title)}\n"
                    f"            [dim]{escape(section)} · {escape(blocker.reason)}[/dim]",
                    id=blocker.item_id,
                )
            )
        if verdict.blockers:
            options.highlighted = 0
        options.focus()
        self._show_drift()

    def _show_drift(self) -> None:
        """What changed since this session's last export, as `onyx-wizard drift` reports it."""
        from pathlib import Path

        from onyx_wizard.drift import ProbeNow, since_export
        from onyx_wizard.errors import OnyxError
        from onyx_wizard.session import now

        panel = self.query_one("#drift", Static)
        opened = self.opened
        exported = [Path(p) for p in opened.session.exports if p.endswith(".json")]
        last = next((p for p in reversed(exported) if p.is_file()), None)
        if last is None:
            panel.update("")
            return
        profile = opened.session.profile
        folder = Path(profile.evidence_dir).expanduser() if profile.evidence_dir else None
        probes = {
            pid: ProbeNow(record.outcome, record.reason_code)
            for pid, record in opened.session.probes.items()
        }
        try:
            signed, changes = since_export(
                last.read_bytes(), opened.checklist, probes, folder, now()
            )
        except (OnyxError, OSError, ValueError) as exc:
            panel.update(escape(f"Since the last export ({last.name}): cannot be read ({exc})"))
            return
        stamp = signed.generated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        head = f"Since the last export ({last.name}, {stamp}): "
        if not changes:
            panel.update(escape(head + "nothing changed ✓"))
            return
        lines = [head + f"{sum(c.regression for c in changes)} regression(s)"]
        for change in changes[:6]:
            mark = "✗" if change.regression else "!"
            where = f"{change.item_id}: " if change.item_id else ""
            lines.append(f"  {mark} {change.kind} {where}{change.detail}")
        if len(changes) > 6:
            lines.append(f"  … and {len(changes) - 6} more (onyx-wizard drift lists them all)")
        panel.update(escape("\n".join(lines)))

    # --- export -----------------------------------------------------------------------------

    def action_export(self) -> None:
        verdict = evaluate(self.opened.session, self.opened.checklist)
        if not verdict.ready:
            n = len(verdict.blockers)
            self.notify(
                f"{n} item{'s' if n != 1 else ''} still block launch: export a draft (d), "
                "or clear the blockers listed here.",
                title="Not ready",
                severity="warning",
            )
            return
        self._ask(draft=False)

    def action_export_draft(self) -> None:
        self._ask(draft=True)

    def _ask(self, draft: bool) -> None:
        from onyx_wizard import paths

        dialog = ExportDialog(self.opened.name, draft, str(paths.exports_dir()))
        self.app.push_screen(dialog, lambda answer: self._with_key(answer, draft))

    def _with_key(self, answer: ExportChoice | None, draft: bool) -> None:
        """Export with the named key, offering to make the key first when there is none."""
        from onyx_wizard.attestation import has_key
        from onyx_wizard.secrets import KeyringUnavailable

        if answer is None:
            return
        out, markdown, key = answer.out, answer.markdown, answer.key
        try:
            present = has_key(key)
        except (KeyringUnavailable, ValueError) as exc:
            self._show_error(str(exc))
            return
        if present:
            self._export(out, markdown, key, draft)
            return

        def generate(yes: bool | None) -> None:
            from onyx_wizard.attestation import AttestationError, keys

            if not yes:
                return
            try:
                keys.generate(key)
            except (AttestationError, KeyringUnavailable) as exc:
                self._show_error(str(exc))
                return
            self.notify(f"Signing key {key!r} generated; its private half is in the OS keyring.")
            self._export(out, markdown, key, draft)

        question = (
            f"There is no signing key named {key!r} yet.\n\nGenerate an Ed25519 key pair now? "
            "The private key goes to the OS keyring, never to a file; share the public key "
            "(onyx-wizard keys public) with whoever verifies."
        )
        self.app.push_screen(ConfirmDialog(question, "Generate key"), generate)

    def _export(self, out: str, markdown: str, key: str, draft: bool) -> None:
        from pathlib import Path

        from onyx_wizard.attestation import export_session
        from onyx_wizard.errors import OnyxError
        from onyx_wizard.report.attestation import export_summary

        opened = self.opened
        try:
            result = export_session(
                opened,
                Path(out).expanduser(),
                Path(markdown).expanduser() if markdown else None,
                draft=draft,
                key_name=key,
            )
        except (OnyxError, OSError) as exc:
            self._show_error(str(exc))
            return
        self.wizard.saved_at = opened.session.updated_at
        self._show_drift()
        lines = export_summary(opened.name, result)
        lines[0] = f"✓ {lines[0]}"
        if self.wizard.demo and result.envelope_path.resolve().is_relative_to(paths.data_dir()):
            lines.append(
                "  ! The demo's own folder is removed when the demo ends, and these files "
                "with it: copy them elsewhere to keep them."
            )
        self._show("\n".join(lines))

    def _show_error(self, message: str) -> None:
        self._show(f"✗ Export failed: {message}")

    def _show(self, text: str) -> None:
        panel = self.query_one("#export-result", Static)
        panel.update(escape(text))
        panel.add_class("shown")
