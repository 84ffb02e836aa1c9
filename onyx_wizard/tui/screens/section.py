"""One section: its source intro and its items, each with its status."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from onyx_wizard.gate import evaluate
from onyx_wizard.tui.base import ItemListScreen
from onyx_wizard.tui.messages import ShowReview
from onyx_wizard.tui.status import status_markup


class SectionScreen(ItemListScreen):
    """The items of one section."""

    BINDINGS = [
        Binding("escape", "back", "Overview", id="section.back"),
        Binding("v", "review", "Review", id="section.review"),
    ]

    def __init__(self, section_id: str) -> None:
        super().__init__()
        self.section_id = section_id

    def compose_body(self) -> ComposeResult:
        section = self.opened.checklist.section(self.section_id)
        yield Static(section.title, classes="screen-title")
        if section.intro:
            yield Static(section.intro, classes="hint")
        yield OptionList(id="items")

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        opened = self.opened
        section = opened.checklist.section(self.section_id)
        verdict = evaluate(opened.session, opened.checklist)
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for item in section.items:
            state = verdict.states[item.id]
            shown = status_markup(state.status, 11, state.label)
            extra = f"  [dim]({escape(state.reason)})[/dim]" if not state.applicable else ""
            options.add_option(Option(f"{shown} {escape(item.title)}{extra}", id=item.id))
        options.highlighted = highlighted if highlighted is not None else 0
        options.focus()

    def action_review(self) -> None:
        self.post_message(ShowReview())
