"""One item: the source text, guidance, evidence asked for, and what was recorded.

From here the operator attests, waives, marks the item not applicable or clears it, and moves to
the next or previous item of the checklist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import Collapsible, Static

from onyx_wizard.checklist import Checklist, Item, Method, Section
from onyx_wizard.tui.base import WizardScreen
from onyx_wizard.tui.messages import RunProbes

if TYPE_CHECKING:
    from onyx_wizard.session import ItemRecord

# What the session records (and the gate, which reads it) is imported when the item is first
# shown with its session: a resumed item is drawn from the checklist before that.


class ItemScreen(WizardScreen):
    """The detail of one checklist item and every action on it."""

    BINDINGS = [
        Binding("a", "attest", "Attest", id="item.attest"),
        Binding("w", "waive", "Waive", id="item.waive"),
        Binding("x", "not_applicable", "Not applicable", id="item.na"),
        Binding(
            "c",
            "clear",
            "Clear",
            id="item.clear",
            tooltip="Undo the decision (asks first; history keeps it): the item is pending again",
        ),
        Binding("r", "run_probes", "Run probes", id="item.run", tooltip="Run this item's probes"),
        Binding("n", "next", "Next", id="item.next", tooltip="Next item of the checklist"),
        Binding("p", "previous", "Prev", id="item.previous", tooltip="Previous item"),
        Binding("escape", "back", "Back", id="item.back"),
    ]

    # The item's own keys: none answers until the session is read.
    _ITEM_ACTIONS = frozenset(
        ("attest", "waive", "not_applicable", "clear", "run_probes", "next", "previous", "back")
    )

    def __init__(
        self,
        item_id: str,
        drawn_from: Checklist | None = None,
        when_drawn: Callable[[ItemScreen], object] | None = None,
    ) -> None:
        """`drawn_from`: resuming, the item is drawn from this checklist at once, its status
        shown as being read, and `when_drawn` is called once that frame is on screen; the
        screen shows the session's record when `settle` is called."""
        super().__init__()
        self.item_id = item_id
        self._drawn_from = drawn_from
        self._when_drawn = when_drawn

    @property
    def settled(self) -> bool:
        """Whether the screen shows the open session's record (not only the checklist)."""
        return self._drawn_from is None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Until the session is read, the item's keys are shown, disabled (None).
        return True if self.settled or action not in self._ITEM_ACTIONS else None

    def settle(self) -> None:
        """The session is open: show what it records for the item, and answer the keys."""
        self._drawn_from = None
        if self.is_attached:
            self.show(self.item_id)
            self.refresh_bindings()

    def compose_body(self) -> ComposeResult:
        yield Static("", id="item-heading", classes="screen-title")
        yield Static("", id="item-status")
        with VerticalScroll(id="item-body"):
            yield Static("", id="item-detail")
            yield Vertical(id="probe-results")
            yield Static("", id="item-record")

    def on_screen_resume(self) -> None:
        if self._drawn_from is not None:
            self._draw(self._drawn_from, "[dim]reading the session…[/dim]")
            if self._when_drawn is not None:
                self.call_after_refresh(self._when_drawn, self)
                self._when_drawn = None
        else:
            self.show(self.item_id)

    @property
    def item(self) -> Item:
        return self.opened.checklist.item(self.item_id)

    def show(self, item_id: str) -> None:
        """Show an item (and remember it as where the operator is)."""
        from onyx_wizard.gate import evaluate
        from onyx_wizard.tui.status import status_markup

        self.item_id = item_id
        opened = self.opened
        self.wizard.apply(lambda: opened.set_cursor(item_id))
        state = evaluate(opened.session, opened.checklist).states[item_id]
        reason = f"  ·  {escape(state.reason)}" if state.reason else ""
        item = self._draw(opened.checklist, status_markup(state.status, label=state.label) + reason)
        self._show_probes(item)
        record = opened.session.record(item_id)
        self.query_one("#item-record", Static).update(self._recorded(item, record))

    def _draw(self, checklist: Checklist, status: str) -> Item:
        """What the checklist says of the item, and `status` (markup) under its title."""
        item = checklist.item(self.item_id)
        section = checklist.section_of(self.item_id)
        index = [i.id for i in section.items].index(self.item_id) + 1
        self.query_one("#item-heading", Static).update(
            f"{escape(section.title)} · item {index} of {len(section.items)}"
        )
        self.query_one("#item-status", Static).update(
            f"[b]{escape(item.title)}[/b]\nStatus: {status}"
        )
        self.query_one("#item-detail", Static).update(self._detail(item, section))
        self.query_one("#item-body", VerticalScroll).scroll_home(animate=False)
        return item

    def _show_probes(self, item: Item) -> None:
        """One collapsible panel per probe: outcome and message, evidence inside."""
        from onyx_wizard.report.evidence import describe_all
        from onyx_wizard.report.looks import outcome_icon

        box = self.query_one("#probe-results", Vertical)
        box.remove_children()
        if not item.method.needs_probe:
            return
        panels: list[Static | Collapsible] = [Static("\n[b]Probe results[/b]  (r runs them)")]
        for probe_id in item.probes:
            result = self.opened.session.probes.get(probe_id)
            if result is None:
                panels.append(Static(f"  ○ {escape(probe_id)}: not run yet"))
                continue
            icon = outcome_icon(result.outcome)
            stamp = result.at.astimezone().strftime("%Y-%m-%d %H:%M")
            title = (
                f"{icon} {probe_id}: {result.outcome.value} {result.reason_code} — {result.message}"
            )
            lines = [f"ran {stamp} in {result.duration_ms} ms", *describe_all(result.evidence)]
            panels.append(
                Collapsible(
                    Static(escape("\n".join(lines)), classes="evidence"),
                    title=title,
                    collapsed=True,
                    id=f"evidence-{probe_id}",
                )
            )
        box.mount_all(panels)

    @classmethod
    def _detail(cls, item: Item, section: Section) -> str:
        parts = [
            "[b]Source[/b]",
            escape(f"{section.title} — {section.intro} {item.title}".replace("  ", " ")),
            "",
            "[b]Guidance[/b]",
            escape(item.guidance),
            "",
            "[b]Evidence asked for[/b]" + ("" if item.evidence.required else " (optional)"),
            escape(item.evidence.description),
            "",
            "[b]How it is satisfied[/b]",
            escape(cls._method(item)),
        ]
        return "\n".join(parts)

    def _recorded(self, item: Item, record: ItemRecord) -> str:
        parts = ["", "[b]Recorded[/b]", *self._record(record)]
        history = [h for h in self.opened.session.history if h.item == item.id]
        if history:
            parts += ["", "[b]History[/b]"]
            for entry in history[-8:]:
                stamp = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
                detail = f" — {entry.detail}" if entry.detail else ""
                parts.append(escape(f"  {stamp}  {entry.by}: {entry.action}{detail}"))
        return "\n".join(parts)

    @staticmethod
    def _method(item: Item) -> str:
        scope = "required" if item.required else "optional"
        applies = item.applies_when.describe()
        fresh = f"fresh for {item.valid_days} days"
        probes = ", ".join(item.probes)
        how = {
            Method.ATTEST: "A person attests, with evidence.",
            Method.PROBE: f"Automated probe: {probes}.",
            Method.PROBE_ATTEST: f"Probe ({probes}) must pass, then a person attests.",
        }[item.method]
        return f"{how} {scope.capitalize()}; applies {applies}; {fresh}."

    @staticmethod
    def _record(record: ItemRecord) -> list[str]:
        from onyx_wizard.session import RecordedStatus

        if record.status is RecordedStatus.PENDING or record.at is None:
            return ["  Nothing recorded yet."]
        stamp = record.at.astimezone().strftime("%Y-%m-%d %H:%M")
        lines = [escape(f"  {record.status.value} by {record.by} on {stamp}")]
        if record.note:
            lines.append(escape(f"  Note: {record.note}"))
        if record.reason:
            lines.append(escape(f"  Reason: {record.reason}"))
        if record.waiver is not None:
            w = record.waiver
            lines.append(
                escape(f"  Waiver: {w.reason} — approved by {w.approver}, expires {w.expires}")
            )
        for ref in record.evidence:
            lines.append(escape(f"  Evidence: {ref}"))
        return lines

    # --- actions ----------------------------------------------------------------------------

    def _operator(self) -> str:
        return self.opened.session.operator

    def _after_dialog(self, by: str | None) -> None:
        if by:
            self.wizard.apply(lambda: self.opened.set_operator(by))
        self.show(self.item_id)

    # The dialogs (and the text editor they use) are imported when first opened: resuming onto
    # an item draws it without them.

    def action_attest(self) -> None:
        from onyx_wizard.tui.dialogs import AttestDialog

        item = self.item
        if not item.method.needs_attestation:
            self.notify(
                "This item is proven by its probe; it can be waived or marked not applicable."
            )
            return
        opened = self.opened
        dialog = AttestDialog(
            item,
            self._operator(),
            self.wizard.apply,
            lambda by, note, refs: opened.attest(item.id, by, note, refs),
        )
        self.app.push_screen(dialog, self._after_dialog)

    def action_waive(self) -> None:
        from onyx_wizard.tui.dialogs import WaiveDialog

        item, opened = self.item, self.opened
        refused = opened.refuses_waiver(item.id)
        if refused:
            self.notify(refused, title="Cannot waive", severity="warning", timeout=10)
            return
        dialog = WaiveDialog(
            item,
            self._operator(),
            self.wizard.apply,
            lambda by, reason, approver, expires: opened.waive(
                item.id, by, reason, approver, expires
            ),
        )
        self.app.push_screen(dialog, self._after_dialog)

    def action_not_applicable(self) -> None:
        from onyx_wizard.tui.dialogs import NotApplicableDialog

        item, opened = self.item, self.opened
        refused = opened.refuses_not_applicable(item.id)
        if refused:
            self.notify(refused, title="Cannot mark not applicable", severity="warning", timeout=10)
            return
        dialog = NotApplicableDialog(
            item,
            self._operator(),
            self.wizard.apply,
            lambda by, reason: opened.mark_not_applicable(item.id, by, reason),
        )
        self.app.push_screen(dialog, self._after_dialog)

    def action_clear(self) -> None:
        from onyx_wizard.session import RecordedStatus
        from onyx_wizard.tui.dialogs import ConfirmDialog

        opened, item_id = self.opened, self.item_id
        record = opened.session.record(item_id)
        if record.status is RecordedStatus.PENDING:
            self.notify("Nothing to clear: nothing is recorded for this item.")
            return
        who = f" by {record.by}" if record.by else ""

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            error = self.wizard.apply(lambda: opened.clear(item_id, self._operator()))
            if error:
                self.notify(error, severity="error")
            else:
                self.notify("Cleared; the history keeps what was recorded.")
            self.show(item_id)

        question = (
            f"Clear what is recorded for this item ({record.status.value}{who})?\n\n"
            "It becomes pending again. The session's history keeps the cleared record."
        )
        self.app.push_screen(ConfirmDialog(question, "Clear"), answered)

    def action_run_probes(self) -> None:
        if not self.item.probes:
            self.notify("This item has no probe: a person attests it.")
            return
        self.post_message(RunProbes(only=[self.item_id]))

    def _step(self, delta: int) -> None:
        ids = [item.id for item in self.opened.checklist.items]
        index = ids.index(self.item_id) + delta
        if 0 <= index < len(ids):
            self.show(ids[index])
        else:
            self.notify("That was the " + ("last" if delta > 0 else "first") + " item.")

    def action_next(self) -> None:
        self._step(1)

    def action_previous(self) -> None:
        self._step(-1)

    def action_back(self) -> None:
        self.app.pop_screen()
