"""What every wizard screen shares: header, the saved indicator and the footer.

The screens in `screens/` build on these; this module imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, OptionList

from onyx_wizard.tui.messages import EditProfile, OpenItem
from onyx_wizard.tui.widgets import SavedIndicator, WizardFooter

if TYPE_CHECKING:
    from onyx_wizard.session import OpenSession
    from onyx_wizard.tui.app import WizardApp


class WizardScreen(Screen[None]):
    """A full screen of the wizard; subclasses compose their body."""

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield from self.compose_body()
        yield SavedIndicator(id="saved")
        yield WizardFooter(compact=True)

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def wizard(self) -> WizardApp:
        return cast("WizardApp", self.app)

    @property
    def opened(self) -> OpenSession:
        return self.wizard.session

    def on_mount(self) -> None:
        self.watch(self.app, "saved_at", self._saved, init=True)
        self.watch(self.app, "unsaved", self._unsaved, init=True)

    def show_saved(self) -> None:
        """Bring the saved indicator up to date (a screen composed after it mounted)."""
        self._saved(self.wizard.saved_at)
        self._unsaved(self.wizard.unsaved)

    # A screen may have no indicator yet: the overview under a resumed item composes when shown.

    def _unsaved(self, unsaved: str) -> None:
        for indicator in self.query(SavedIndicator):
            indicator.unsaved = unsaved

    def _saved(self, saved_at: object) -> None:
        opened = self.wizard.opened
        for indicator in self.query(SavedIndicator):
            indicator.saved_at = saved_at if opened is not None else None  # type: ignore[assignment]
            if opened is not None:
                indicator.session_name = opened.name


class ItemListScreen(WizardScreen):
    """A screen listing checklist items (option ids are item ids): Enter opens one."""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from onyx_wizard.gate import NO_FEATURES

        event.stop()
        if event.option.id == NO_FEATURES:  # the gate's blocker for a profile with no feature
            self.post_message(EditProfile())
        elif event.option.id:
            self.post_message(OpenItem(event.option.id))

    def action_back(self) -> None:
        self.app.pop_screen()
