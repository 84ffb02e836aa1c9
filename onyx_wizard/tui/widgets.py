"""Small widgets shared by the screens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey  # not exported; the footer is made of these

if TYPE_CHECKING:
    # Only for types: the sessions list draws its first frame without the gate's models.
    from onyx_wizard.gate import Verdict


class SavedIndicator(Static):
    """Shows the session and when it was last saved, updated after every change."""

    saved_at: reactive[datetime | None] = reactive(None)
    session_name: reactive[str] = reactive("")
    unsaved: reactive[str] = reactive("")

    def render(self) -> str:
        name = f"session {self.session_name}" if self.session_name else "no session open"
        if self.unsaved:
            return f"{name}  ·  ✗ not saved ({self.unsaved}) — the change is kept, retrying"
        if self.saved_at is None:
            return name
        stamp = self.saved_at.astimezone().strftime("%H:%M:%S")
        return f"{name}  ·  ✓ saved {stamp}"


class GateBanner(Static):
    """The launch-gate verdict: icon and words, coloured as a second cue."""

    def show(self, verdict: Verdict) -> None:
        from onyx_wizard.report.looks import verdict_line

        self.set_class(verdict.ready, "ready")
        self.set_class(not verdict.ready, "not-ready")
        self.update(f"Launch gate: {verdict_line(verdict)}")


# The app's own keys: always in the footer, however narrow the terminal.
ESSENTIAL_ACTIONS = frozenset({"app.quit", "quit", "app.help", "help"})


class WizardFooter(Footer):
    """The footer, fitted to its width: when the keys do not fit, the screen's secondary keys
    (the later ones) make room, while Quit, Help and the screen's first key stay. A key that
    makes room is still in the help screen (?) and the command palette (^p)."""

    DEFAULT_CSS = """
    WizardFooter {
        padding: 0 1;
    }
    """

    _shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        for key in keys:
            if not isinstance(key, FooterKey):
                continue
            # Classes set before the key mounts (update=False: it is styled as it mounts). The
            # key's `compact`, bound to the footer's, would otherwise add its class after
            # mounting and style the key a second time.
            key.set_class(key.action in ESSENTIAL_ACTIONS, "-essential", update=False)
            key.set_class(self.compact, "-compact", update=False)
        yield from keys

    def on_resize(self) -> None:
        self.fit()

    async def recompose(self) -> None:
        # Focus moves and screen changes ask every footer to rebuild; most change nothing it
        # shows, and rebuilding is a good part of a screen's first frame. A footer out of sight
        # (its screen covered, e.g. the sessions list under a resumed item) waits: Textual asks
        # again when its screen is shown.
        if not self.is_attached or not self.screen.is_current:
            return
        shown = self._keys_to_show()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
        self.fit()

    def _keys_to_show(self) -> tuple[object, ...]:
        return tuple(
            (key, active.binding.description, active.enabled, active.tooltip)
            for key, active in self.screen.active_bindings.items()
            if active.binding.show
        )

    def fit(self) -> None:
        """Show as many keys as fit, dropping secondary ones from the right."""
        keys = [key for key in self.query(FooterKey) if "-command-palette" not in key.classes]
        if not keys or not self.content_region.width:
            return
        palette = [key for key in self.query(FooterKey) if "-command-palette" in key.classes]
        room = self.content_region.width - sum(_width(key) for key in palette)
        # Kept whatever happens: the app's keys and the screen's first (main) key.
        kept = {key for key in keys if key.has_class("-essential")}
        screen_keys = [key for key in keys if key not in kept]
        if screen_keys:
            kept.add(screen_keys[0])
        room -= sum(_width(key) for key in kept)
        for key in screen_keys:
            if key in kept:
                continue
            width = _width(key)
            key.display = width <= room
            if key.display:
                room -= width
            else:
                room = 0  # keep the order: nothing after a dropped key squeezes in
        for key in kept:
            key.display = True


def _width(key: FooterKey) -> int:
    return key.render().cell_len + key.styles.margin.width
