"""Run probes with live progress: each probe's outcome lands as it finishes; Esc cancels.

The run is the core's `SessionRun`, the one `onyx-wizard check NAME` uses: it picks the probes,
reads the secrets, stamps the results with the run's start and saves them into the session.
Probes run in an async worker, so the UI answers keys throughout; the worker only posts
messages (`ProbeStarted`, `ProbeProgress`, `ProbeLanded`, `RunFinished`) and this screen's
handlers change the table, in order, on the UI's loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import DataTable, ProgressBar, Static
from textual.worker import Worker

from onyx_wizard.probes import ProbeResult
from onyx_wizard.report.looks import outcome_label
from onyx_wizard.tui.base import WizardScreen
from onyx_wizard.tui.messages import (
    OpenItem,
    ProbeLanded,
    ProbeProgress,
    ProbeStarted,
    RunFinished,
)
from onyx_wizard.tui.table import FittedTable, TableColumn

if TYPE_CHECKING:
    from onyx_wizard.check import SessionRun

# The message takes the width the other columns leave and wraps: a whole sentence shows at any
# width. On a narrow terminal the reason code makes room and leads the message instead.
COLUMNS = [
    TableColumn("probe", "Probe"),
    TableColumn("outcome", "Outcome", width=11),
    TableColumn("reason", "Reason", optional=True),
    TableColumn("time", "Time", width=6),
    TableColumn("message", "Message", flex=True),
]


class RunScreen(WizardScreen):
    """Runs the selected probes (all applicable ones, or those of `only`)."""

    BINDINGS = [
        Binding("escape", "stop_or_back", "Cancel / back", id="run.back"),
        Binding("enter", "open_item", "Open item", id="run.open", show=False),
        Binding("r", "rerun", "Run again", id="run.again"),
    ]

    def __init__(self, only: list[str] | None = None) -> None:
        super().__init__()
        self.only = only or []
        self.probe_ids: list[str] = []
        self.results: dict[str, ProbeResult] = {}
        self.session_run: SessionRun | None = None
        self._partial: dict[str, float] = {}
        self._started = 0.0
        self._worker: Worker[None] | None = None
        self._finished = True

    def compose_body(self) -> ComposeResult:
        what = f"the probes of {', '.join(self.only)}" if self.only else "every applicable probe"
        yield Static(f"Run probes — {escape(what)}", classes="screen-title")
        yield Static("", id="run-status", classes="hint")
        yield ProgressBar(id="run-progress", show_eta=False)
        yield FittedTable(id="run-table", min_flex=32)
        yield Static("", id="run-detail")

    def on_mount(self) -> None:
        # Toasts (the demo's notice) would sit over the results: this screen starts clear.
        self.app.clear_notifications()
        self.query_one(FittedTable).fill(COLUMNS, [])
        self.set_interval(0.1, self._tick)
        self.action_rerun()

    @property
    def running(self) -> bool:
        """From the start of a run until its `RunFinished` has been handled."""
        return not self._finished

    def action_rerun(self) -> None:
        from onyx_wizard.check import SelectionError, SessionRun

        if self.running:
            return
        try:
            self.session_run = SessionRun(self.opened, self.only)
        except SelectionError as exc:
            self.query_one("#run-status", Static).update(f"✗ {escape(str(exc))}")
            return
        self.probe_ids = self.session_run.probe_ids
        table = self.query_one(FittedTable)
        queued = outcome_label("queued")
        table.fill(COLUMNS, [(pid, {"probe": pid, "outcome": queued}) for pid in self.probe_ids])
        self.results = {}
        self._partial = {}
        bar = self.query_one(ProgressBar)
        bar.update(total=len(self.probe_ids), progress=0)
        self._started = time.monotonic()
        self._finished = False
        self._worker = self._run(self.session_run)
        table.focus()

    @work(exclusive=True, group="probes")
    async def _run(self, session_run: SessionRun) -> None:
        try:
            await session_run.run(
                on_start=self._post_started,
                on_result=self._post_landed,
                on_progress=self._post_progress,
            )
        except asyncio.CancelledError:
            self.post_message(RunFinished("cancelled"))
            raise
        except Exception as exc:  # e.g. an unreadable CA bundle: say so, keep the UI alive
            self.post_message(RunFinished("failed", str(exc)))
            return
        self.post_message(RunFinished("done"))

    # The worker's callbacks only post; the handlers below change the screen.

    def _post_started(self, probe_id: str) -> None:
        self.post_message(ProbeStarted(probe_id))

    def _post_landed(self, result: ProbeResult) -> None:
        self.post_message(ProbeLanded(result))

    def _post_progress(self, probe_id: str, fraction: float) -> None:
        # The scan calls this from its own thread; post_message is safe from any thread.
        self.post_message(ProbeProgress(probe_id, fraction))

    def on_probe_started(self, message: ProbeStarted) -> None:
        self.query_one(FittedTable).set_cells(message.probe_id, outcome=outcome_label("running"))

    def on_probe_progress(self, message: ProbeProgress) -> None:
        # A report queued by the scan thread may arrive after the run ended or was cancelled.
        probe_id = message.probe_id
        if not self.running:
            return
        if probe_id not in self.results and probe_id in self.probe_ids:
            self._partial[probe_id] = message.fraction
            table = self.query_one(FittedTable)
            table.set_cells(probe_id, outcome=f"◌ {message.fraction:4.0%}")
            self._update_bar()

    def _update_bar(self) -> None:
        # Finished probes count whole; a long scan moves the bar as it reads.
        running = sum(f for pid, f in self._partial.items() if pid not in self.results)
        self.query_one(ProgressBar).update(progress=len(self.results) + running)

    def on_probe_landed(self, message: ProbeLanded) -> None:
        result = message.result
        self.results[result.probe_id] = result
        self.query_one(FittedTable).set_cells(
            result.probe_id,
            outcome=outcome_label(result.outcome),
            reason=result.reason_code,
            time=f"{result.duration_ms / 1000:.1f} s",
            message=result.message,
        )
        self._update_bar()
        self._describe_highlighted()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._describe_highlighted()

    def _describe_highlighted(self) -> None:
        """The highlighted probe's whole message, which the table's column cuts short."""
        table = self.query_one(DataTable)
        if not self.probe_ids or not 0 <= table.cursor_row < len(self.probe_ids):
            return
        probe_id = self.probe_ids[table.cursor_row]
        result = self.results.get(probe_id)
        text = f"{probe_id}: " + (
            f"{result.outcome.value} {result.reason_code} — {result.message}"
            if result
            else "not finished"
        )
        self.query_one("#run-detail", Static).update(escape(text))

    def on_run_finished(self, message: RunFinished) -> None:
        self._finished = True
        if message.how == "failed":
            self.query_one("#run-status", Static).update(f"✗ {escape(message.error)}")
            return
        table = self.query_one(FittedTable)
        for probe_id in self.probe_ids:
            if probe_id not in self.results:
                table.set_cells(probe_id, outcome=outcome_label("cancelled"))
        self._record()
        counts: dict[str, int] = {}
        for result in self.results.values():
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
        summary = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "nothing ran"
        elapsed = time.monotonic() - self._started
        head = "Cancelled" if message.how == "cancelled" else "Done"
        self.query_one("#run-status", Static).update(
            f"{head} in {elapsed:.1f} s: {summary} · saved · Enter opens an item, r runs again"
        )

    def _record(self) -> None:
        """Save what finished into the session (the run saves itself; this is for teardown)."""
        if self.session_run is not None:
            self.wizard.apply(self.session_run.save)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A run cancelled before its worker began posts nothing: finish it here, so Esc still
        # leaves. (A worker's own RunFinished is always handled before its state change.)
        if event.worker is self._worker and event.worker.is_finished and self.running:
            self.post_message(RunFinished("cancelled"))

    def on_unmount(self) -> None:
        # Quitting mid-run closes this screen before the worker's RunFinished can be handled:
        # what finished is saved anyway.
        if self.running:
            self._finished = True
            self._record()

    def _tick(self) -> None:
        if not self.running:
            return
        elapsed = time.monotonic() - self._started
        done = len(self.results)
        self.query_one("#run-status", Static).update(
            f"Running… {done}/{len(self.probe_ids)} finished · {elapsed:.1f} s · Esc cancels"
        )

    def action_stop_or_back(self) -> None:
        if self.running and self._worker is not None:
            self._worker.cancel()
            return
        self.app.pop_screen()

    def action_open_item(self) -> None:
        table = self.query_one(DataTable)
        if not self.probe_ids or table.cursor_row < 0:
            return
        probe_id = self.probe_ids[table.cursor_row]
        if self.only and self.only[0] in {i.id for i in self.opened.checklist.items}:
            self.app.pop_screen()
            return
        for item in self.opened.checklist.items:
            if probe_id in item.probes:
                self.post_message(OpenItem(item.id))
                return

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_item()
