"""The help (`?`, or F1 in a form): the keys of the screen below, and how the wizard works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from onyx_wizard.tui.keys import key_name

_ABOUT = """\
The wizard walks Onyx's Production Launch Checklist. Items a machine can check are probed;
the rest are attested by a person, with evidence. Every change is saved at once: quit any
time and `onyx-wizard resume` brings you back to the item where you stopped.

In a form, ? types a question mark: F1 opens this help there, and Ctrl+P finds any action.
Esc leaves a form; if something typed would be lost, it asks first.

Statuses: ✓ passed / attested · ○ pending · ✗ failed · ⟳ stale (too old, or a probe failed
after the attestation) · ≈ waived (until its expiry) · – n/a (does not apply).

The launch gate is ready when every applicable required item is passed or attested and
fresh, or waived and unexpired, and both Launch Approval items are attested."""


class HelpScreen(ModalScreen[None]):
    """Keys of the current screen, and a short guide."""

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close", id="help.close"),
        Binding("question_mark,f1", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        rows = []
        seen: set[str] = set()
        # A modal screen (a dialog) stops the app's keys but for its priority ones (Quit).
        app_keys = [b for b in self.app.BINDINGS if isinstance(b, Binding)]
        if self.below.is_modal:
            app_keys = [b for b in app_keys if b.priority]
        for binding in [*self.below.BINDINGS, *app_keys]:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            action = binding.action.removeprefix("app.")
            if action in seen:  # the screen's own key for an action wins over the app's
                continue
            seen.add(action)
            key = key_name(self.app, binding)
            rows.append(f"  [b]{escape(key):>8}[/b]  {escape(binding.description)}")
        rows.append(f"  [b]{escape('Ctrl+P'):>8}[/b]  Command palette (every action)")
        with Vertical(classes="dialog help"):
            yield Static("Help", classes="dialog-title")
            with VerticalScroll():
                yield Static("[b]Keys on this screen[/b]\n" + "\n".join(rows))
                # One line a paragraph: the help's width does the wrapping.
                about = "\n\n".join(" ".join(p.split()) for p in _ABOUT.split("\n\n"))
                yield Static("\n" + escape(about))
            yield Static("Esc closes this help.", classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
