"""A probe run over a session or a profile: which probes, the run, and the check document.

The TUI's "Run all probes" and the headless `onyx-wizard check NAME` both run a session's probes
through `SessionRun`, so they pick the same probes, read the same secrets, stamp results with
the same time (the run's start) and save them the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from onyx_wizard.checklist import Checklist
from onyx_wizard.errors import ExitCode, OnyxError
from onyx_wizard.gate import Verdict, evaluate
from onyx_wizard.probes import Outcome, ProbeResult, ProbeSettings, run_probes
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import LoadedSecrets, SecretKey, load_secrets
from onyx_wizard.session import OpenSession, ProbeRecord, Session, apply_probe_results, now

CHECK_SCHEMA = "onyx-wizard/check/v1"


class SelectionError(OnyxError, ValueError):
    """`--only` named something that is neither an item nor a probe."""


def select(
    checklist: Checklist, profile: Profile, only: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """(probe ids to run, item ids they cover) for the applicable probe items, or for `only`.

    `only` holds item ids or probe ids; an item brings its probes, a probe brings the items
    that use it.
    """
    items = [
        item
        for item in checklist.items
        if item.method.needs_probe and item.applies_when.matches(profile.features)
    ]
    if not only:
        every = list(dict.fromkeys(pid for item in items for pid in item.probes))
        return every, [item.id for item in items]
    every_probe = {pid for item in checklist.items for pid in item.probes}
    probe_ids: list[str] = []
    item_ids: list[str] = []
    for wanted in only:
        if wanted in every_probe:
            probe_ids.append(wanted)
            item_ids += [item.id for item in items if wanted in item.probes]
            continue
        try:
            item = checklist.item(wanted)
        except KeyError:
            raise SelectionError(
                f"--only {wanted!r} is neither a checklist item nor a probe "
                "(see `onyx-wizard checklist`)"
            ) from None
        if not item.probes:
            raise SelectionError(f"--only {wanted!r}: that item has no probe (it is attested)")
        probe_ids += item.probes
        item_ids.append(item.id)
    return list(dict.fromkeys(probe_ids)), list(dict.fromkeys(item_ids))


def artifacts_of(opened: OpenSession) -> list[Path]:
    """The files this tool wrote for a session that must hold no secret: it and its exports."""
    return [opened.path, *(Path(p) for p in opened.session.exports if Path(p).is_file())]


def to_records(
    results: Sequence[ProbeResult], at: datetime | None = None, secrets: Iterable[str] = ()
) -> dict[str, ProbeRecord]:
    """Probe results as the session stores them, their text passed through the scanner's rules."""
    from onyx_wizard.scan import redact, redact_data

    at = at or now()
    known = [value for value in secrets if value]
    return {
        r.probe_id: ProbeRecord(
            outcome=r.outcome.value,
            reason_code=r.reason_code,
            message=redact(r.message, known),
            at=at,
            duration_ms=r.duration_ms,
            evidence=redact_data(r.evidence, known),
        )
        for r in results
    }


@dataclass
class CheckRun:
    """What one run produced: its results, when, and how long it took."""

    started_at: datetime
    duration_ms: int
    results: list[ProbeResult]

    @property
    def exit_code(self) -> int:
        """0 the probes that ran passed (warn allowed), 1 a fail or error, 3 a secret was
        missing or no probe ran at all (nothing was tested: not a pass)."""
        if any(r.outcome in (Outcome.FAIL, Outcome.ERROR) for r in self.results):
            return ExitCode.FAIL
        if any(r.reason_code == "SECRET_MISSING" for r in self.results):
            return ExitCode.ENVIRONMENT
        if not any(r.outcome.ran for r in self.results):
            return ExitCode.ENVIRONMENT
        return ExitCode.OK


async def run_check(
    probe_ids: Sequence[str],
    profile: Profile,
    secrets: dict[SecretKey, str],
    *,
    settings: ProbeSettings | None = None,
    on_start: Callable[[str], None] | None = None,
    on_result: Callable[[ProbeResult], None] | None = None,
    on_progress: Callable[[str, float], None] | None = None,
    artifacts: Sequence[Path] = (),
    started_at: datetime | None = None,
) -> CheckRun:
    """Run the probes concurrently and time the whole run (which starts at `started_at`)."""
    started = started_at or now()
    start = time.perf_counter()
    results = await run_probes(
        probe_ids,
        profile,
        secrets,
        settings=settings,
        on_start=on_start,
        on_result=on_result,
        on_progress=on_progress,
        artifacts=artifacts,
    )
    return CheckRun(started, int((time.perf_counter() - start) * 1000), results)


class SessionRun:
    """One probe run over an open session, from choosing the probes to saving their results.

    `run()` reads the session's secrets, runs the probes and saves what finished into the
    session, stamped with the run's start; if the run is cancelled, what finished before is
    saved. `save()` may also be called by whoever holds the run when it is torn down (the TUI
    quitting mid-run); it saves once.
    """

    def __init__(self, opened: OpenSession, only: Sequence[str] = ()) -> None:
        self.opened = opened
        self.probe_ids, self.item_ids = select(opened.checklist, opened.session.profile, only)
        self.started_at: datetime | None = None
        self.results: list[ProbeResult] = []
        self.secrets = LoadedSecrets({})
        self._saved = False
        # Why the results could not be saved into the session (the run itself still stands).
        self.save_error: OnyxError | OSError | None = None

    async def run(
        self,
        *,
        settings: ProbeSettings | None = None,
        on_start: Callable[[str], None] | None = None,
        on_result: Callable[[ProbeResult], None] | None = None,
        on_progress: Callable[[str, float], None] | None = None,
    ) -> CheckRun:
        """Run the probes and save their results; returns the whole run."""
        opened = self.opened
        profile = opened.session.profile
        # Reading the keyring may wait on D-Bus: keep it off the event loop.
        self.secrets = await asyncio.to_thread(load_secrets, opened.name, profile.environment.value)

        def landed(result: ProbeResult) -> None:
            self.results.append(result)
            if on_result is not None:
                on_result(result)

        self.started_at = now()
        try:
            check_run = await run_check(
                self.probe_ids,
                profile,
                self.secrets.values,
                settings=settings,
                on_start=on_start,
                on_result=landed,
                on_progress=on_progress,
                artifacts=artifacts_of(opened),
                started_at=self.started_at,
            )
        finally:
            try:
                self.save()
            except (OnyxError, OSError) as exc:
                self.save_error = exc
        return check_run

    def save(self) -> None:
        """Save the results that finished into the session (once; nothing if none finished)."""
        if self._saved or not self.results or self.started_at is None:
            return
        records = to_records(self.results, self.started_at, self.secrets.values.values())
        self.opened.record_probe_results(records)
        self._saved = True


def verdict_with(session: Session, checklist: Checklist, check_run: CheckRun) -> Verdict:
    """The gate's verdict for the session with this run's results in it (session unchanged)."""
    merged = session.model_copy(deep=True)
    apply_probe_results(merged, checklist, to_records(check_run.results, check_run.started_at))
    return evaluate(merged, checklist)


def document(
    checklist: Checklist,
    profile: Profile,
    check_run: CheckRun,
    verdict: Verdict,
    item_ids: Sequence[str],
) -> dict[str, Any]:
    """The `onyx-wizard/check/v1` JSON document."""
    by_probe = {r.probe_id: r for r in check_run.results}
    items = []
    for item_id in item_ids:
        item = checklist.item(item_id)
        state = verdict.states[item_id]
        items.append(
            {
                "id": item_id,
                "title": item.title,
                "status": state.status.value,
                "reason": state.reason,
                "probes": [by_probe[pid].to_json() for pid in item.probes if pid in by_probe],
            }
        )
    return {
        "schema": CHECK_SCHEMA,
        "checklist_version": checklist.version,
        "environment": profile.environment.value,
        "started_at": check_run.started_at.isoformat().replace("+00:00", "Z"),
        "duration_ms": check_run.duration_ms,
        "ready": verdict.ready,
        "summary": _summary(check_run.results),
        "items": items,
        "probes": [r.to_json() for r in check_run.results],
    }


def _summary(results: Sequence[ProbeResult]) -> dict[str, int]:
    counts = {outcome.value: 0 for outcome in Outcome}
    for r in results:
        counts[r.outcome.value] += 1
    return counts
