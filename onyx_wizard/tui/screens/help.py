"""The `?` help: the keys of the screen below, and how the wizard works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

_ABOUT = """\
The wizard walks Onyx's Production Launch Checklist. Items a machine can check are probed;
the rest are attested by a person, with evidence. Every change is saved at once: quit any
time and `onyx-wizard resume` brings you back to the item where you stopped.

Statuses: ✓ passed / attested · ○ pending · ✗ failed · ⟳ stale (too old, or a probe failed
after the attestation) · ≈ waived (until its expiry) · – n/a (does not apply).

The launch gate is ready when every applicable required item is passed or attested and
fresh, or waived and unexpired, and both Launch Approval items are attested."""


class HelpScreen(ModalScreen[None]):
    """Keys of the current screen, and a short guide."""

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close", id="help.close"),
        Binding("question_mark", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        rows = []
        for binding in [*self.below.BINDINGS, *self.app.BINDINGS]:
            if isinstance(binding, Binding) and binding.description:
                key = self.app.get_key_display(binding)
                rows.append(f"  [b]{escape(key):>8}[/b]  {escape(binding.description)}")
        rows.append(f"  [b]{escape('ctrl+p'):>8}[/b]  Command palette (every action)")
        with Vertical(classes="dialog help"):
            yield Static("Help", classes="dialog-title")
            with VerticalScroll():
                yield Static("[b]Keys on this screen[/b]\n" + "\n".join(rows))
                yield Static("\n" + escape(_ABOUT))
            yield Static("Esc closes this help.", classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
