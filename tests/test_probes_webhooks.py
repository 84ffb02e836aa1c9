"""The webhook probe against real receivers on loopback, each verifying in its own way.

Ways a broken receiver could pass the old probe: it verifies over re-serialised JSON (the old
probe only ever sent compact ASCII JSON in the samples' order, exactly what `JSON.stringify`
and `json.dumps(separators=…)` give back). Ways a correct receiver could fail it: a rate limit
answering 429 with Retry-After; a receiver that acknowledges first and verifies later.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _loopback import Answer, Loopback, Request, serve
from standardwebhooks import Webhook

from onyx_wizard.probes import Outcome, ProbeResult, run_probes
from onyx_wizard.probes.webhooks import COMPACT, PRETTY, SPACED, event_body, retry_after
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EVENTS = ["message.delivered", "message.blocked", "access.revoked"]
Reserialise = Callable[[object], str]


def receiver(reserialise: Reserialise | None = None) -> Callable[[Request], Answer]:
    """A Standard Webhooks receiver; with `reserialise`, it verifies over re-encoded JSON."""
    hook = Webhook(SECRET)
    seen: set[str] = set()

    def handle(request: Request) -> Answer:
        body = request.body.decode("utf-8")
        if reserialise is not None:
            try:
                body = reserialise(json.loads(body))
            except ValueError:
                return Answer(400)
        try:
            hook.verify(body, request.headers)
        except Exception:
            return Answer(400)
        seen.add(request.headers["webhook-id"])
        return Answer(204)

    return handle


def rate_limited(
    inner: Callable[[Request], Answer], times: int, after: str = "1"
) -> Callable[[Request], Answer]:
    """`inner`, but the first `times` deliveries get 429 with Retry-After `after`."""
    count = [0]

    def handle(request: Request) -> Answer:
        count[0] += 1
        if count[0] <= times:
            return Answer(429, [("Retry-After", after)])
        return inner(request)

    return handle


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Loopback]:
    with serve(tmp_path / "certs") as running:
        yield running


def run_webhooks(server: Loopback, **changes: object) -> ProbeResult:
    data: dict[str, object] = {
        "webhook_url": f"{server.base}/hooks",
        "webhook_events": EVENTS,
        "ca_bundle": str(server.ca_path),
    }
    data.update(changes)
    profile = Profile.model_validate(data)
    [result] = asyncio.run(
        run_probes(["webhook-delivery"], profile, {SecretKey.WEBHOOK_SECRET: SECRET})
    )
    return result


def test_a_raw_body_verifier_passes_whatever_the_format(server: Loopback) -> None:
    server.routes["/hooks"] = receiver()
    result = run_webhooks(server)
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "WEBHOOK_OK"), result.message
    bodies = [r.body.decode() for r in server.seen]
    assert any("\n  " in b for b in bodies)  # pretty-printed
    assert any(":" in b and ": " not in b and "\n" not in b for b in bodies)  # compact
    assert any("Grüße — 你好" in b for b in bodies)  # non-ASCII raw
    assert any("\\u00fc" in b for b in bodies)  # non-ASCII escaped
    orders = {tuple(json.loads(b)) for b in bodies}
    assert len(orders) >= 2  # keys in more than one order
    # The first valid event and its redelivery carry the same bytes, as real retries do.
    ids = [r.headers.get("webhook-id") for r in server.seen]
    first = server.seen[0]
    again = [r for r in server.seen[1:] if r.headers.get("webhook-id") == ids[0]]
    assert again and again[0].body == first.body


RESERIALISERS: dict[str, Reserialise] = {
    # Express: JSON.stringify(req.body) — compact, raw non-ASCII, the parsed order.
    "js-stringify": lambda obj: json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
    # Python: json.dumps(await request.json(), separators=(",", ":")) — non-ASCII escaped.
    "py-compact": lambda obj: json.dumps(obj, separators=(",", ":")),
    "py-default": lambda obj: json.dumps(obj),
    "py-sorted": lambda obj: json.dumps(obj, sort_keys=True, separators=(",", ":")),
}


@pytest.mark.parametrize("name", sorted(RESERIALISERS))
def test_a_re_serialising_verifier_fails_on_the_first_event(server: Loopback, name: str) -> None:
    server.routes["/hooks"] = receiver(RESERIALISERS[name])
    result = run_webhooks(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "WEBHOOK_VALID_REJECTED")


def test_a_429_with_a_short_retry_after_is_honoured_once(server: Loopback) -> None:
    server.routes["/hooks"] = rate_limited(receiver(), times=1)
    start = time.perf_counter()
    result = run_webhooks(server)
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "WEBHOOK_OK"), result.message
    assert time.perf_counter() - start >= 1.0
    first, second = server.seen[:2]
    assert (first.body, first.headers["webhook-id"]) == (second.body, second.headers["webhook-id"])
    assert any("again after 429" in str(e.get("note", "")) for e in result.evidence)


def test_a_receiver_that_keeps_rate_limiting_fails_in_bounded_time(server: Loopback) -> None:
    server.routes["/hooks"] = rate_limited(receiver(), times=1000)
    start = time.perf_counter()
    result = run_webhooks(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "WEBHOOK_VALID_REJECTED")
    assert "429 (rate limited)" in result.message
    assert time.perf_counter() - start < 5  # gives up once a resend is limited again


def test_a_long_retry_after_is_not_waited_for(server: Loopback) -> None:
    server.routes["/hooks"] = rate_limited(receiver(), times=1, after="120")
    start = time.perf_counter()
    result = run_webhooks(server)
    assert result.reason_code == "WEBHOOK_VALID_REJECTED"
    assert time.perf_counter() - start < 5


def acknowledge_everything(request: Request) -> Answer:
    return Answer(202)


def test_acknowledging_everything_fails_unless_declared_async(server: Loopback) -> None:
    server.routes["/hooks"] = acknowledge_everything
    result = run_webhooks(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "WEBHOOK_BAD_SIGNATURE_ACCEPTED")
    result = run_webhooks(server, webhook_verifies_async=True)
    assert (result.outcome, result.reason_code) == (Outcome.WARN, "WEBHOOK_ASYNC_ATTEST")
    assert "a person must attest" in result.message


def test_declared_async_still_fails_a_5xx(server: Loopback) -> None:
    verify = receiver()

    def crash_on_bad(request: Request) -> Answer:
        answer = verify(request)
        return Answer(500) if answer.status == 400 else answer

    server.routes["/hooks"] = crash_on_bad
    result = run_webhooks(server, webhook_verifies_async=True)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "WEBHOOK_5XX")


def test_body_styles_parse_to_the_same_event() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    bodies = [event_body("message.delivered", now, style) for style in (PRETTY, COMPACT, SPACED)]
    assert len(set(bodies)) == 3
    assert all(json.loads(b) == json.loads(bodies[0]) for b in bodies)


def test_retry_after_values() -> None:
    now = time.time()
    assert retry_after("1", now) == 1.0
    assert retry_after(" 3 ", now) == 3.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 2))
    assert 0.5 < (retry_after(date, now) or 0) <= 2.0
    assert retry_after("soon", now) is None
    assert retry_after("", now) is None
