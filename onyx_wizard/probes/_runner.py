"""Run probes concurrently, each within its deadline; report each result as it lands.

A probe never raises past the runner: timeouts, refused connections, TLS and DNS failures and
plain bugs all become `error` results with a reason code, keeping what the probe had found. Each
probe gets a context with a connection pool of its own, so its result depends only on its own
requests: a connection that one crashing endpoint left dead is never handed to another probe.

The deadline is a hard one: the probe runs in a task of its own, cancelled at its deadline and
left behind if it has not unwound within UNWIND seconds, so its result is never later than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from onyx_wizard.probes._context import (
    ProbeContext,
    ProbeSettings,
    make_ssl_context,
    resolver_for,
)
from onyx_wizard.probes._failure import Failure, failure_of
from onyx_wizard.probes._model import Findings, Outcome, ProbeResult
from onyx_wizard.probes._registry import PROBES, ProbeSpec
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey

OnResult = Callable[[ProbeResult], None]
# Seconds a probe cancelled at its deadline (or a closing connection pool) may take to unwind
# before the runner stops waiting for it.
UNWIND = 1.0
# Probes cancelled at their deadline that had not unwound yet: kept so they are not collected
# while they finish.
_LEFT_BEHIND: set[asyncio.Task[ProbeResult]] = set()


def _skip(probe_id: str, code: str, message: str) -> ProbeResult:
    return ProbeResult(probe_id, Outcome.SKIPPED, code, message)


def precheck(
    spec: ProbeSpec, profile: Profile, secrets: Mapping[SecretKey, str]
) -> ProbeResult | None:
    """A `skipped` result when the probe lacks a profile field or a secret, else None."""
    empty = [name for name in spec.needs_profile if not getattr(profile, name)]
    if empty:
        return _skip(
            spec.id, "PROFILE_INCOMPLETE", f"fill in the profile first: {', '.join(empty)}"
        )
    missing = [key for key in spec.needs_secrets if not secrets.get(key)]
    if missing:
        names = ", ".join(f"{key.value} (or set {key.env_var})" for key in missing)
        return _skip(spec.id, "SECRET_MISSING", f"needs the secret {names}")
    return None


def _unfinished(
    spec: ProbeSpec, ctx: ProbeContext, failure: Failure, waiting: list[str]
) -> ProbeResult:
    """The result of a probe that did not finish: `failure`, with everything it had by then
    and the requests it was `waiting` for."""
    findings = ctx.found or Findings(spec.id)
    shown = {id(item) for item in findings.evidence}
    answers = [item for item in ctx.first_answers if id(item) not in shown]
    for item in answers:
        findings.record(item)
    note = f"{ctx.answers} answer(s) had come in"
    if ctx.answers > len(ctx.first_answers):
        note += f" (the first {len(ctx.first_answers)} are shown)"
    summary: dict[str, object] = {"check": "when the probe stopped", "note": note}
    if waiting:
        summary["waiting_for"] = waiting
    findings.record(summary)
    found = findings.problems()
    failure = Failure(failure.outcome, failure.code, ctx.redact(failure.message))
    failure.record(findings)
    result = findings.result("", "")
    # What stopped the probe leads; what it had found by then follows.
    result.outcome, result.reason_code = failure.outcome, failure.code
    result.message = failure.message
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        result.message += f"; before that it found: {found[0]}{more}"
    return result


def _deadline_failure(ctx: ProbeContext, deadline: float, waiting: list[str]) -> Failure:
    message = f"the probe did not finish within its {deadline:g} s deadline"
    if waiting:
        more = f" and {len(waiting) - 1} more" if len(waiting) > 1 else ""
        message += f": still waiting for {waiting[0]}{more}"
    elif ctx.answers:
        message += f" ({ctx.answers} answer(s) had come in)"
    return Failure(Outcome.ERROR, "PROBE_DEADLINE", message)


async def _settle(task: asyncio.Future[ProbeResult], seconds: float) -> None:
    """Wait up to `seconds` for a cancelled task to unwind."""
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(asyncio.shield(task), seconds)


async def run_one(spec: ProbeSpec, ctx: ProbeContext) -> ProbeResult:
    """Run one probe within its deadline; every failure becomes a result."""
    skipped = precheck(spec, ctx.profile, ctx.secrets)
    if skipped is not None:
        return skipped
    deadline = spec.deadline or ctx.settings.deadline
    start = time.perf_counter()
    task = asyncio.ensure_future(spec.func(ctx))
    try:
        await asyncio.wait({task}, timeout=deadline)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task.done() and not task.cancelled():
        exc = task.exception()
        if exc is None:
            result = task.result()
        else:
            failure = failure_of(exc, ctx.settings, tls_probe=spec.id == "tls")
            result = _unfinished(spec, ctx, failure, [])
    else:
        waiting = ctx.still_waiting()  # before the cancelled requests unwind
        task.cancel()
        await _settle(task, UNWIND)
        if not task.done():
            _LEFT_BEHIND.add(task)
            task.add_done_callback(_LEFT_BEHIND.discard)
            # Whatever it ends with, no one reads it: take it, so nothing is logged.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
        result = _unfinished(spec, ctx, _deadline_failure(ctx, deadline, waiting), waiting)
    result.duration_ms = int((time.perf_counter() - start) * 1000)
    result.message = ctx.redact(result.message)
    return result


def _load_probes() -> None:
    # Importing the package registers every probe module.
    import onyx_wizard.probes  # noqa: F401


def known_probes() -> dict[str, ProbeSpec]:
    _load_probes()
    return PROBES


async def run_probes(
    probe_ids: Iterable[str],
    profile: Profile,
    secrets: Mapping[SecretKey, str],
    *,
    settings: ProbeSettings | None = None,
    on_start: Callable[[str], None] | None = None,
    on_result: OnResult | None = None,
    on_progress: Callable[[str, float], None] | None = None,
    artifacts: Sequence[Path] = (),
) -> list[ProbeResult]:
    """Run the probes concurrently; results come back in the order asked.

    Cancelling the task cancels every probe still running (and tells probes working in
    threads to stop). A probe id that is not registered comes back `skipped` with
    PROBE_UNAVAILABLE. `on_progress` hears from probes that report how far they are; it may be
    called from another thread. `artifacts` are files the tool wrote (the session file,
    exports) that the secret-hygiene probe checks hold no secret.
    """
    probes = known_probes()
    ids = list(dict.fromkeys(probe_ids))
    # Built once (loading the CA store is the costly part) and shared; connection pools are not.
    ssl_context = make_ssl_context(profile)
    # Shared too: a name looked up once for the run (see _resolve for why).
    resolver = resolver_for(profile, settings or ProbeSettings())
    cancelled = threading.Event()
    results: dict[str, ProbeResult] = {}

    async def one(probe_id: str) -> None:
        spec = probes.get(probe_id)
        if on_start is not None:
            on_start(probe_id)
        if spec is None:
            result = _skip(
                probe_id, "PROBE_UNAVAILABLE", "this version of onyx-wizard has no such probe"
            )
        else:
            ctx = ProbeContext.create(
                profile,
                secrets,
                settings,
                ssl_context=ssl_context,
                cancelled=cancelled,
                resolver=resolver,
            )
            ctx.on_progress = on_progress
            ctx.scan_artifacts = tuple(artifacts)
            try:
                result = await run_one(spec, ctx)
            finally:
                # Closing connections to a server that never answers must not hold the result.
                with contextlib.suppress(Exception, TimeoutError):
                    await asyncio.wait_for(ctx.aclose(), UNWIND)
        results[probe_id] = result
        if on_result is not None:
            on_result(result)

    try:
        async with asyncio.TaskGroup() as group:
            for probe_id in ids:
                group.create_task(one(probe_id))
    except asyncio.CancelledError:
        cancelled.set()
        raise
    return [results[probe_id] for probe_id in ids]
