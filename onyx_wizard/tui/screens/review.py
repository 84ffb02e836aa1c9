"""The review: the launch-gate verdict and every blocker, each a link to its item."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from onyx_wizard.gate import evaluate
from onyx_wizard.tui.screens.base import WizardScreen
from onyx_wizard.tui.status import status_markup
from onyx_wizard.tui.widgets import GateBanner


class ReviewScreen(WizardScreen):
    """What still stands between this integration and launch."""

    BINDINGS = [Binding("escape", "back", "Back", id="review.back")]

    def compose_body(self) -> ComposeResult:
        yield Static("Review", classes="screen-title")
        yield GateBanner(id="gate")
        yield Static("", id="review-hint", classes="hint")
        yield OptionList(id="blockers")

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        opened = self.opened
        verdict = evaluate(opened.session, opened.checklist)
        self.query_one(GateBanner).show(verdict.ready, verdict.summary)
        hint = self.query_one("#review-hint", Static)
        options = self.query_one(OptionList)
        options.clear_options()
        if verdict.ready:
            hint.update("Every applicable required item is done and fresh. ✓")
        else:
            hint.update("Blocking items — Enter opens one:")
        for blocker in verdict.blockers:
            section = opened.checklist.section_of(blocker.item_id).title
            options.add_option(
                Option(
                    f"{status_markup(blocker.status, 11)} {escape(blocker.title)}\n"
                    f"            [dim]{escape(section)} · {escape(blocker.reason)}[/dim]",
                    id=blocker.item_id,
                )
            )
        if verdict.blockers:
            options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from onyx_wizard.tui.screens.item import ItemScreen

        event.stop()
        if event.option.id:
            self.app.push_screen(ItemScreen(event.option.id))

    def action_back(self) -> None:
        self.app.pop_screen()
