"""Small modal forms: new session, attest, waive, mark not applicable, export, confirm.

Each dialog hands what was typed to a core function; the core's error, if any, is shown inline
under the fields and the dialog stays open, so nothing typed is lost. A dialog dismisses with a
typed result (or None when cancelled), which the screen that opened it receives; cancelling a
dialog that holds typed text asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from onyx_wizard.checklist import Item
from onyx_wizard.session import now

ResultT = TypeVar("ResultT")


class InlineError(Static):
    """Why a form or a field was not saved, shown where it is typed; hidden while empty.

    (Textual's `:empty` means "no children", which a Static never has: the class `shown` says
    whether there is a message.)
    """

    DEFAULT_CLASSES = "error"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.message = ""

    def show(self, message: str) -> None:
        """Show `message` (with a ✗), or hide the line when it is empty."""
        appeared = bool(message) and not self.message
        self.message = message
        self.update(f"✗ {message}" if message else "")
        self.set_class(bool(message), "shown")
        if appeared:
            self.call_after_refresh(self.scroll_visible, animate=False)


class FormDialog(ModalScreen[ResultT | None], Generic[ResultT]):
    """A titled form of labelled rows with an inline error, OK / Cancel and its own footer."""

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="dialog.cancel",
            tooltip="Close without saving (asks first if you typed something)",
        ),
        Binding(
            "ctrl+s", "submit", "Save", id="dialog.submit", priority=True, tooltip="Save this form"
        ),
        # `?` types a question mark in a field; the help is on F1 (and in the palette).
        Binding(
            "f1", "app.help", "Help", id="dialog.help", tooltip="Keys and how the wizard works"
        ),
    ]
    TITLE_TEXT = ""
    OK_LABEL = "Save"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.TITLE_TEXT, classes="dialog-title")
            yield from self.compose_intro()
            for label, widget in self.rows():
                if isinstance(widget, Input):
                    # A prefilled value (your name, a date) is edited, not replaced by the
                    # first key typed.
                    widget.select_on_focus = False
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield widget
            yield InlineError(id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.OK_LABEL, id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._as_opened = self._typed()

    def _typed(self) -> dict[str | None, str]:
        """What each field holds."""
        fields: dict[str | None, str] = {w.id: w.value for w in self.query(Input)}
        fields.update({w.id: w.text for w in self.query(TextArea)})
        return fields

    def compose_intro(self) -> ComposeResult:
        return iter(())

    def rows(self) -> list[tuple[str, Widget]]:
        raise NotImplementedError

    def value(self, widget_id: str) -> str:
        widget = self.query_one(f"#{widget_id}")
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_cancel(self) -> None:
        if self._typed() == self._as_opened:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        question = "Discard your changes?\n\nWhat you typed in this form is not saved."
        self.app.push_screen(ConfirmDialog(question, "Discard", no="Keep editing"), answered)

    def action_submit(self) -> None:
        error = self.save()
        self.query_one("#dialog-error", InlineError).show(error or "")
        if not error:
            self.dismiss(self.result())

    def save(self) -> str | None:
        """Hand the form to the core; the error to show, or None when done."""
        raise NotImplementedError

    def result(self) -> ResultT:
        """What the dialog dismisses with once saved."""
        raise NotImplementedError


class NewSessionDialog(FormDialog[str]):
    """Dismisses with the new session's name."""

    TITLE_TEXT = "New session"
    OK_LABEL = "Create"

    def __init__(self, create: Callable[[str], str | None]) -> None:
        super().__init__()
        self._create = create

    def compose_intro(self) -> ComposeResult:
        yield Static("A name for this launch, e.g. acme-prod. It names the session file.")

    def rows(self) -> list[tuple[str, Widget]]:
        return [("Name", Input(placeholder="e.g. acme-prod", id="name"))]

    def save(self) -> str | None:
        name = self.value("name").strip()
        if not name:
            return "type a name"
        return self._create(name)

    def result(self) -> str:
        return self.value("name").strip()


class _ItemDialog(FormDialog[str]):
    """A dialog about one item; `apply` runs the core change. Dismisses with who did it."""

    def __init__(
        self, item: Item, operator: str, apply: Callable[[Callable[[], object]], str | None]
    ) -> None:
        super().__init__()
        self.item = item
        self.operator = operator
        self._apply = apply

    def compose_intro(self) -> ComposeResult:
        yield Static(f"“{self.item.title}”", classes="dialog-item")

    def result(self) -> str:
        return self.value("by").strip()


class AttestDialog(_ItemDialog):
    TITLE_TEXT = "Attest"
    OK_LABEL = "Attest"

    def __init__(
        self,
        item: Item,
        operator: str,
        apply: Callable[[Callable[[], object]], str | None],
        attest: Callable[[str, str, list[str]], None],
    ) -> None:
        super().__init__(item, operator, apply)
        self._attest = attest

    def compose_intro(self) -> ComposeResult:
        yield from super().compose_intro()
        need = "required" if self.item.evidence.required else "optional"
        yield Static(f"Evidence ({need}): {self.item.evidence.description}", classes="hint")

    def rows(self) -> list[tuple[str, Widget]]:
        evidence = TextArea(
            id="evidence",
            soft_wrap=True,
            show_line_numbers=False,
            placeholder="one link, file path or reference a line",
        )
        return [
            ("Your name", Input(value=self.operator, id="by")),
            ("Note", Input(placeholder="what you checked", id="note")),
            ("Evidence", evidence),
        ]

    def save(self) -> str | None:
        refs = [line for line in self.value("evidence").splitlines() if line.strip()]
        return self._apply(lambda: self._attest(self.value("by"), self.value("note"), refs))


class WaiveDialog(_ItemDialog):
    TITLE_TEXT = "Waive"
    OK_LABEL = "Waive"

    def __init__(
        self,
        item: Item,
        operator: str,
        apply: Callable[[Callable[[], object]], str | None],
        waive: Callable[[str, str, str, date], None],
    ) -> None:
        super().__init__(item, operator, apply)
        self._waive = waive

    def rows(self) -> list[tuple[str, Widget]]:
        default_expiry = (now().date() + timedelta(days=30)).isoformat()
        return [
            ("Your name", Input(value=self.operator, id="by")),
            ("Reason", Input(placeholder="why launch can go ahead without it", id="reason")),
            ("Approver", Input(placeholder="who approved the waiver", id="approver")),
            ("Expires", Input(value=default_expiry, placeholder="YYYY-MM-DD", id="expires")),
        ]

    def save(self) -> str | None:
        text = self.value("expires").strip()
        try:
            expires = date.fromisoformat(text)
        except ValueError:
            return f"expiry {text!r} is not a date (YYYY-MM-DD)"
        return self._apply(
            lambda: self._waive(
                self.value("by"), self.value("reason"), self.value("approver"), expires
            )
        )


class NotApplicableDialog(_ItemDialog):
    TITLE_TEXT = "Not applicable"
    OK_LABEL = "Mark not applicable"

    def __init__(
        self,
        item: Item,
        operator: str,
        apply: Callable[[Callable[[], object]], str | None],
        mark: Callable[[str, str], None],
    ) -> None:
        super().__init__(item, operator, apply)
        self._mark = mark

    def rows(self) -> list[tuple[str, Widget]]:
        return [
            ("Your name", Input(value=self.operator, id="by")),
            ("Reason", Input(placeholder="why this item does not apply", id="reason")),
        ]

    def save(self) -> str | None:
        return self._apply(lambda: self._mark(self.value("by"), self.value("reason")))


@dataclass(frozen=True)
class ExportChoice:
    """Where the export writes (`markdown` may be empty: no summary) and with which key."""

    out: str
    markdown: str
    key: str


class ExportDialog(FormDialog[ExportChoice]):
    """Where to write the signed envelope and the Markdown summary, and with which key."""

    OK_LABEL = "Export"

    def __init__(self, session: str, draft: bool, default_dir: str) -> None:
        super().__init__()
        self.session = session
        self.draft = draft
        self.default_dir = default_dir.rstrip("/")
        self.TITLE_TEXT = "Export draft attestation" if draft else "Export signed attestation"

    def compose_intro(self) -> ComposeResult:
        what = (
            "A draft: the verdict says not ready."
            if self.draft
            else "The launch gate passes: this is the attestation Onyx's approver verifies."
        )
        yield Static(f"{what} The private key stays in the OS keyring.", classes="hint")

    def rows(self) -> list[tuple[str, Widget]]:
        stem = f"{self.default_dir}/{self.session}" + (".draft" if self.draft else "")
        return [
            ("Envelope", Input(value=f"{stem}.attestation.json", id="out")),
            ("Summary (.md)", Input(value=f"{stem}.md", id="markdown")),
            ("Signing key", Input(value="default", id="key")),
        ]

    def save(self) -> str | None:
        if not self.value("out").strip():
            return "name the envelope file"
        if not self.value("key").strip():
            return "name the signing key"
        return None

    def result(self) -> ExportChoice:
        return ExportChoice(
            out=self.value("out").strip(),
            markdown=self.value("markdown").strip(),
            key=self.value("key").strip(),
        )


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; Esc answers no."""

    BINDINGS = [Binding("escape", "no", "No", id="confirm.no")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="primary", compact=True)
                yield Button(self.no, id="no", compact=True)
        yield Footer(compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)
