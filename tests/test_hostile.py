"""Every probe against hostile endpoints on 127.0.0.1: bounded, and precise about what broke.

The servers (tests/_hostile.py) never answer, trickle, send 2 GB, loop, redirect away, reset,
speak garbage or plain http, send a 1 MiB header, show expired, not-yet-valid, wrong-host or
self-signed certificates; two more kinds are a name under `.invalid` and a name server that never
answers. Each network probe must end within its deadline (plus the runner's second to unwind)
with the outcome and reason code this table gives; a 400-origin profile must too, with the
default deadline. Nothing here leaves 127.0.0.1: every name is `localhost`, `.invalid` or asked
of a name server on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import pytest
from _hostile import (
    ANSWERING,
    KINDS,
    NETWORK,
    SECRETS,
    Addresses,
    profile_for,
    running,
    settings_for,
)

from onyx_wizard.probes import (
    PROBES,
    Outcome,
    ProbeContext,
    ProbeResult,
    ProbeSettings,
    probe,
    run_probes,
)
from onyx_wizard.probes._runner import UNWIND
from onyx_wizard.profile import Profile

ERROR, FAIL, WARN, PASS = Outcome.ERROR, Outcome.FAIL, Outcome.WARN, Outcome.PASS


def every(
    outcome: Outcome, code: str, **tls: tuple[Outcome, str]
) -> dict[str, tuple[Outcome, str]]:
    """The same verdict from every network probe, but where named otherwise."""
    table = {probe_id: (outcome, code) for probe_id in NETWORK}
    table.update({name.replace("_", "-"): verdict for name, verdict in tls.items()})
    return table


# What each probe must say about each kind of endpoint. Where the hostile behaviour is not what a
# probe judges, its verdict is still the precise one: the loop, foreign-redirect and 2 GB servers
# send no HSTS (tls fails on that, their handshakes verify); a 302 to a missing token is a warn
# by design; a callback or sign-in start that sends the browser to a fixed foreign host breaks no
# rule of callback-errors or session-cookies (authorize-request and open-redirect fail it); a
# callback answering 200 with 2 GB (read to 1 MiB each time) shows no 5xx, trace or sign-in.
EXPECTED: dict[str, dict[str, tuple[Outcome, str]]] = {
    "silent": every(ERROR, "TIMEOUT"),
    "trickle": every(ERROR, "PROBE_DEADLINE"),
    "huge-body": {
        "tls": (FAIL, "HSTS_MISSING"),
        "domain-verification": (FAIL, "DOMAIN_TOKEN_NOT_FOUND"),
        "authorize-request": (FAIL, "AUTHORIZE_NOT_REDIRECT"),
        "callback-errors": (PASS, "CALLBACK_ERRORS_OK"),
        "open-redirect": (ERROR, "READ_LIMIT_REACHED"),
        "token-rejection": (FAIL, "TOKEN_NONE_ACCEPTED"),
        "session-cookies": (FAIL, "SESSION_FORGED_ACCEPTED"),
        "cors-preflight": (FAIL, "CORS_ALLOWED_ORIGIN_REJECTED"),
        "privacy-notice": (FAIL, "PRIVACY_NOTICE_INCOMPLETE"),
        "webhook-delivery": (FAIL, "WEBHOOK_BAD_SIGNATURE_ACCEPTED"),
    },
    "redirect-loop": {
        "tls": (FAIL, "HSTS_MISSING"),
        "domain-verification": (FAIL, "DOMAIN_TOKEN_NOT_FOUND"),
        "authorize-request": (FAIL, "REDIRECT_LOOP"),
        "callback-errors": (FAIL, "REDIRECT_LOOP"),
        "open-redirect": (FAIL, "REDIRECT_LOOP"),
        "token-rejection": (WARN, "TOKEN_UNEXPECTED_STATUS"),
        "session-cookies": (FAIL, "REDIRECT_LOOP"),
        "cors-preflight": (FAIL, "CORS_ALLOWED_ORIGIN_REJECTED"),
        "privacy-notice": (FAIL, "PRIVACY_NOTICE_UNAVAILABLE"),
        "webhook-delivery": (FAIL, "WEBHOOK_VALID_REJECTED"),
    },
    "foreign-redirect": {
        "tls": (FAIL, "HSTS_MISSING"),
        "domain-verification": (FAIL, "DOMAIN_TOKEN_NOT_FOUND"),
        "authorize-request": (FAIL, "AUTHORIZE_WRONG_ENDPOINT"),
        "callback-errors": (PASS, "CALLBACK_ERRORS_OK"),
        "open-redirect": (FAIL, "OPEN_REDIRECT"),
        "token-rejection": (WARN, "TOKEN_UNEXPECTED_STATUS"),
        "session-cookies": (PASS, "COOKIES_OK"),
        "cors-preflight": (FAIL, "CORS_ALLOWED_ORIGIN_REJECTED"),
        "privacy-notice": (FAIL, "PRIVACY_FOREIGN_REDIRECT"),
        "webhook-delivery": (FAIL, "WEBHOOK_VALID_REJECTED"),
    },
    "reset": every(ERROR, "CONNECTION_FAILED"),
    "garbage": every(ERROR, "HTTP_ERROR"),
    "huge-header": every(ERROR, "HTTP_ERROR"),
    "expired-cert": every(ERROR, "TLS_VERIFY_FAILED", tls=(FAIL, "TLS_VERIFY_FAILED")),
    "not-yet-valid-cert": every(ERROR, "TLS_VERIFY_FAILED", tls=(FAIL, "TLS_VERIFY_FAILED")),
    "wrong-host-cert": every(ERROR, "TLS_VERIFY_FAILED", tls=(FAIL, "TLS_VERIFY_FAILED")),
    "self-signed-cert": every(ERROR, "TLS_VERIFY_FAILED", tls=(FAIL, "TLS_VERIFY_FAILED")),
    "plain-http": every(ERROR, "TLS_HANDSHAKE_FAILED", tls=(FAIL, "TLS_HANDSHAKE_FAILED")),
    "unresolvable": every(ERROR, "CONNECTION_FAILED"),
    "silent-dns": every(ERROR, "TIMEOUT"),
}
# What the message must name, so that an error says what happened.
SAYS = {
    "silent": "within 1 s",
    "trickle": "still waiting for",
    "reset": "reset",
    "garbage": "not valid HTTP",
    "huge-header": "100 KiB",
    "expired-cert": "expired",
    "not-yet-valid-cert": "not yet valid",
    "wrong-host-cert": "Hostname mismatch",
    "self-signed-cert": "self-signed",
    "plain-http": "WRONG_VERSION_NUMBER",
    "unresolvable": "does not resolve",
    "silent-dns": "did not answer",
}
# Past the deadline: the runner's second for a cancelled probe to unwind, and scheduling slack.
MARGIN = UNWIND + 1.0


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Addresses]:
    with running(tmp_path_factory.mktemp("hostile") / "servers") as where:
        yield where


def run(
    probe_ids: tuple[str, ...],
    kind: str,
    where: Addresses,
    *,
    origins: int = 2,
    settings: ProbeSettings | None = None,
) -> list[ProbeResult]:
    """Run the probes against the `kind` of endpoint, with its settings unless given."""
    profile = profile_for(kind, where, origins=origins)
    settings = settings or settings_for(kind)
    return asyncio.run(run_probes(probe_ids, profile, SECRETS, settings=settings))


def test_the_table_names_every_kind_and_probe() -> None:
    assert set(EXPECTED) == set(KINDS)
    assert all(set(row) == set(NETWORK) for row in EXPECTED.values())
    assert set(NETWORK) <= set(PROBES)


@pytest.mark.parametrize("kind", KINDS)
def test_every_probe_ends_in_time_and_says_what_broke(kind: str, hostile: Addresses) -> None:
    settings = settings_for(kind)
    start = time.perf_counter()
    results = run(NETWORK, kind, hostile)
    elapsed = time.perf_counter() - start
    got = {r.probe_id: (r.outcome, r.reason_code) for r in results}
    wrong = {
        probe_id: (verdict, next(r.message for r in results if r.probe_id == probe_id))
        for probe_id, verdict in got.items()
        if verdict != EXPECTED[kind][probe_id]
    }
    assert not wrong
    for result in results:
        assert result.duration_ms <= (settings.deadline + MARGIN) * 1000, result.probe_id
        assert result.message.strip() and not result.message.rstrip().endswith(":")
        if result.outcome is Outcome.ERROR and kind in SAYS:
            assert SAYS[kind] in result.message, (result.probe_id, result.message)
    assert elapsed <= settings.deadline + MARGIN + 2


def test_a_trickling_server_leaves_what_was_waited_for_in_the_evidence(
    hostile: Addresses,
) -> None:
    [result] = run(("privacy-notice",), "trickle", hostile)
    stopped = [e for e in result.evidence if e.get("check") == "when the probe stopped"]
    assert stopped and "/privacy" in stopped[0]["waiting_for"][0]
    assert result.evidence[-1]["reason_code"] == "PROBE_DEADLINE"


def test_domain_verification_says_error_not_missing_when_the_file_cannot_be_read(
    hostile: Addresses,
) -> None:
    [reset] = run(("domain-verification",), "reset", hostile)
    assert (reset.outcome, reset.reason_code) == (ERROR, "CONNECTION_FAILED")
    assert "could not tell whether the verification token is published" in reset.message
    # The DNS answer it had is kept beside the failure.
    assert any(e.get("check") == "dns-txt" for e in reset.evidence)


def test_webhook_delivery_keeps_what_it_found_before_a_reset(hostile: Addresses) -> None:
    profile = profile_for("silent", hostile)
    port = hostile.ports["reset-later"]
    profile.webhook_url = f"https://localhost:{port}/onyx/events"
    [result] = asyncio.run(run_probes(("webhook-delivery",), profile, SECRETS, settings=ANSWERING))
    assert (result.outcome, result.reason_code) == (ERROR, "CONNECTION_FAILED")
    # The third delivery met the first reset; the second's failure is kept and counted.
    assert result.message.startswith("the no webhook-signature")
    assert "reset the connection" in result.message and "(and 1 more problem)" in result.message
    codes = [e.get("reason_code") for e in result.evidence]
    # The second delivery (a wrong signature) was answered 200 before the resets began.
    assert "WEBHOOK_BAD_SIGNATURE_ACCEPTED" in codes
    assert [e["status"] for e in result.evidence if "status" in e][:2] == [200, 200]


def test_four_hundred_origins_with_the_default_deadline(hostile: Addresses) -> None:
    settings = ProbeSettings()
    start = time.perf_counter()
    results = run(NETWORK, "silent", hostile, origins=400, settings=settings)
    elapsed = time.perf_counter() - start
    assert {(r.outcome, r.reason_code) for r in results} == {(ERROR, "TIMEOUT")}
    assert elapsed <= settings.deadline + MARGIN


@pytest.mark.parametrize(
    ("kind", "verdict"),
    [
        ("trickle", (ERROR, "PROBE_DEADLINE")),
        ("huge-body", (FAIL, "CORS_ALLOWED_ORIGIN_REJECTED")),
    ],
)
def test_four_hundred_origins_stay_bounded(
    kind: str, verdict: tuple[Outcome, str], hostile: Addresses
) -> None:
    settings = settings_for(kind)
    start = time.perf_counter()
    [result] = run(("cors-preflight",), kind, hostile, origins=400)
    assert (result.outcome, result.reason_code) == verdict, result.message
    assert time.perf_counter() - start <= settings.deadline + MARGIN


# --- the hard deadline itself ---------------------------------------------------------------


def test_a_probe_that_ignores_cancellation_still_ends_at_its_deadline() -> None:
    released = False

    @probe("test-stubborn", title="finds a failure, then will not stop", deadline=1.0)
    async def stubborn(ctx: ProbeContext) -> ProbeResult:
        findings = ctx.findings("test-stubborn")
        findings.fail("OPEN_REDIRECT", "found before the deadline")
        while not released:
            # A badly written probe, swallowing its cancellation.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.05)
        return findings.result("", "")

    async def run_then_release() -> tuple[list[ProbeResult], float]:
        nonlocal released
        start = time.perf_counter()
        results = await run_probes(["test-stubborn"], Profile(), {})
        elapsed = time.perf_counter() - start
        released = True  # the task left behind may end now, so the loop can close
        return results, elapsed

    try:
        [result], elapsed = asyncio.run(run_then_release())
    finally:
        del PROBES["test-stubborn"]
    assert (result.outcome, result.reason_code) == (ERROR, "PROBE_DEADLINE")
    assert "before that it found: found before the deadline" in result.message
    assert any(e.get("reason_code") == "OPEN_REDIRECT" for e in result.evidence)
    assert elapsed < 1.0 + MARGIN
