"""Run probes concurrently, each within its deadline; report each result as it lands.

A probe never raises past the runner: timeouts, refused connections, TLS and DNS failures and
plain bugs all become `error` results with a reason code. Each probe gets a context with a
connection pool of its own, so its result depends only on its own requests: a connection that
one crashing endpoint left dead is never handed to another probe.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import httpx

from onyx_wizard.errors import DataFileError
from onyx_wizard.probes._context import ProbeContext, ProbeSettings, make_ssl_context
from onyx_wizard.probes._model import Outcome, ProbeResult
from onyx_wizard.probes._registry import PROBES, ProbeSpec
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey

OnResult = Callable[[ProbeResult], None]


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


def _error_for(exc: BaseException, spec: ProbeSpec, settings: ProbeSettings) -> ProbeResult:
    if isinstance(exc, TimeoutError):
        return ProbeResult(
            spec.id,
            Outcome.ERROR,
            "PROBE_DEADLINE",
            f"no answer within the probe's {spec.deadline or settings.deadline:g} s deadline",
        )
    if isinstance(exc, httpx.TimeoutException):
        kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
        limit = settings.connect_timeout if kind == "connect" else settings.read_timeout
        return ProbeResult(
            spec.id,
            Outcome.ERROR,
            "TIMEOUT",
            f"the server did not answer in time ({kind} timeout, {limit:g} s)",
        )
    if isinstance(exc, httpx.ConnectError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY" in str(exc):
            return ProbeResult(
                spec.id, Outcome.FAIL, "TLS_VERIFY_FAILED", f"TLS verification failed: {exc}"
            )
        return ProbeResult(spec.id, Outcome.ERROR, "CONNECTION_FAILED", f"could not connect: {exc}")
    if isinstance(exc, httpx.HTTPError):
        return ProbeResult(spec.id, Outcome.ERROR, "HTTP_ERROR", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, OSError):
        return ProbeResult(
            spec.id, Outcome.ERROR, "CONNECTION_FAILED", f"{type(exc).__name__}: {exc}"
        )
    if isinstance(exc, DataFileError):
        return ProbeResult(spec.id, Outcome.ERROR, "CONFIGURATION_INVALID", str(exc))
    return ProbeResult(
        spec.id,
        Outcome.ERROR,
        "PROBE_CRASHED",
        f"the probe failed unexpectedly: {type(exc).__name__}: {exc}",
    )


async def run_one(spec: ProbeSpec, ctx: ProbeContext) -> ProbeResult:
    """Run one probe within its deadline; every failure becomes a result."""
    skipped = precheck(spec, ctx.profile, ctx.secrets)
    if skipped is not None:
        return skipped
    start = time.perf_counter()
    try:
        async with asyncio.timeout(spec.deadline or ctx.settings.deadline):
            result = await spec.func(ctx)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a probe never raises past the runner
        result = _error_for(exc, spec, ctx.settings)
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
                profile, secrets, settings, ssl_context=ssl_context, cancelled=cancelled
            )
            ctx.on_progress = on_progress
            ctx.scan_artifacts = tuple(artifacts)
            try:
                result = await run_one(spec, ctx)
            finally:
                await ctx.aclose()
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
