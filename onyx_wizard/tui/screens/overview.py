"""The session's home: eight sections with their progress and the launch-gate verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Label, ListItem, ListView, ProgressBar, Static

from onyx_wizard.tui.base import WizardScreen
from onyx_wizard.tui.messages import EditProfile, OpenItem, OpenSection, RunProbes, ShowReview
from onyx_wizard.tui.widgets import GateBanner

if TYPE_CHECKING:
    from onyx_wizard.gate import SectionProgress

# The gate (and the session model it reads) is imported when the overview is first shown: a
# resumed item stacks this screen under it before the session is read.


class SectionRow(ListItem):
    """One section: title, a progress bar, and how many items block."""

    def __init__(self, progress: SectionProgress) -> None:
        super().__init__(id=f"section-{progress.section_id}")
        self.section_id = progress.section_id
        self.progress = progress

    def compose(self) -> ComposeResult:
        p = self.progress
        with Horizontal(classes="section-row"):
            yield Label(p.title, classes="section-title")
            yield ProgressBar(total=p.total, show_eta=False, show_percentage=False)
            yield Label("", classes="section-counts")

    def on_mount(self) -> None:
        self.show(self.progress)

    def show(self, progress: SectionProgress) -> None:
        from onyx_wizard.report.looks import section_counts

        self.progress = p = progress
        bars = self.query(ProgressBar)
        if not bars:  # mounted as the app closes, before its children were composed
            return
        bars.first().update(total=p.total, progress=p.done)
        self.query_one(".section-counts", Label).update(section_counts(p))


class OverviewScreen(WizardScreen):
    """Where the operator sees the whole launch at a glance."""

    BINDINGS = [
        Binding("enter", "open_section", "Open section", id="overview.open", show=False),
        Binding("r", "run_all", "Run all probes", id="overview.run"),
        Binding("e", "profile", "Edit profile", id="overview.profile"),
        Binding(
            "v",
            "review",
            "Review",
            id="overview.review",
            tooltip="The gate verdict and every blocker",
        ),
        Binding(
            "j",
            "next_pending",
            "Next to do",
            id="overview.next",
            tooltip="Open the first item that still blocks launch",
        ),
        Binding("escape", "sessions", "Sessions", id="overview.sessions"),
    ]

    def compose(self) -> ComposeResult:
        # Resuming onto an item stacks this screen under it: it is composed when first shown.
        if self.is_active:
            yield from super().compose()

    def compose_body(self) -> ComposeResult:
        yield Static("", id="overview-title", classes="screen-title")
        yield GateBanner(id="gate")
        yield self._sections()

    def _sections(self) -> ListView:
        from onyx_wizard.gate import evaluate

        verdict = evaluate(self.opened.session, self.opened.checklist)
        return ListView(*[SectionRow(p) for p in verdict.sections], id="sections")

    async def on_screen_resume(self) -> None:
        if not self.is_active or self.wizard.opened is None:
            return  # under a resumed item whose session could not be opened: being popped
        if not self.query(GateBanner):  # stacked under a resumed item until now
            await self.recompose()
            self.show_saved()
        await self.refresh_view()

    async def refresh_view(self) -> None:
        from onyx_wizard.gate import evaluate

        opened = self.opened
        profile = opened.session.profile
        verdict = evaluate(opened.session, opened.checklist)
        self.query_one("#overview-title", Static).update(
            f"{profile.app_name or '(no app name yet)'} · {profile.environment.value} · "
            f"checklist {opened.checklist.version}"
        )
        self.query_one(GateBanner).show(verdict)
        for row, progress in zip(self.query(SectionRow), verdict.sections, strict=True):
            row.show(progress)
        self.query_one(ListView).focus()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, SectionRow):
            self._open(event.item.section_id)

    def action_open_section(self) -> None:
        for sections in self.query(ListView):  # none until the screen is composed
            row = sections.highlighted_child
            if isinstance(row, SectionRow):
                self._open(row.section_id)

    def _open(self, section_id: str) -> None:
        self.post_message(OpenSection(section_id))

    def action_profile(self) -> None:
        self.post_message(EditProfile())

    def action_run_all(self) -> None:
        self.post_message(RunProbes())

    def action_review(self) -> None:
        self.post_message(ShowReview())

    def action_next_pending(self) -> None:
        from onyx_wizard.gate import evaluate

        verdict = evaluate(self.opened.session, self.opened.checklist)
        if not verdict.blockers:
            self.notify("Nothing blocks launch.", title="All done")
            return
        self.post_message(OpenItem(verdict.blockers[0].item_id))

    def action_sessions(self) -> None:
        self.app.pop_screen()
