"""Webhook delivery: the receiver verifies Standard Webhooks signatures and handles retries."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from onyx_wizard.probes._context import ProbeContext, Response
from onyx_wizard.probes._data import webhook_samples
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.secrets import SecretKey

PROBE_ID = "webhook-delivery"
# GitHub's 10 s is the strictest common bar for a receiver's answer.
DELIVERY_TIMEOUT = 10.0
# ±600 s is twice the reference libraries' 5-minute tolerance: clearly out of any sane window.
SKEW_SECONDS = 600
MALFORMED_SIGNATURES = ("garbage", "v1,a,b", "v1,!!!notbase64")
# Caps the event-type sweep so the whole probe stays under 20 requests.
MAX_EVENT_TYPES = 6


@dataclass(frozen=True)
class Delivery:
    """One webhook request: its headers and the exact body they sign."""

    headers: dict[str, str]
    body: str


def new_message_id() -> str:
    """A fresh, unique message id in the Standard Webhooks style."""
    return "msg_" + secrets.token_urlsafe(18)


def event_body(event_type: str, now: datetime) -> str:
    """The JSON body for `event_type`, from the packaged samples or a minimal generic one."""
    sample = webhook_samples().get(event_type)
    data: dict[str, Any] = dict(sample["data"]) if sample else {"probe": "onyx-wizard"}
    payload = {
        "type": event_type,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"))


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The `v1,<base64>` signature of a message, by the Standard Webhooks reference library."""
    signature: str = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)
    return signature


def junk_signature() -> str:
    """A well-formed `v1,` signature that matches nothing."""
    return "v1," + base64.b64encode(secrets.token_bytes(32)).decode()


def signed(secret: str, event_type: str, *, msg_id: str = "", skew: int = 0) -> Delivery:
    """A correctly signed delivery of `event_type`, its timestamp shifted by `skew` seconds."""
    msg_id = msg_id or new_message_id()
    timestamp = int(time.time()) + skew
    body = event_body(event_type, datetime.fromtimestamp(timestamp, UTC))
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    return Delivery(headers, body)


def with_header(delivery: Delivery, name: str, value: str | None) -> Delivery:
    """A copy of `delivery` with one header replaced, or dropped when `value` is None."""
    headers = {k: v for k, v in delivery.headers.items() if k != name}
    if value is not None:
        headers[name] = value
    return Delivery(headers, delivery.body)


class _Slow(Exception):
    """The receiver took longer than DELIVERY_TIMEOUT to answer; carries the evidence."""

    def __init__(self, evidence: dict[str, Any]) -> None:
        super().__init__(evidence.get("note", ""))
        self.evidence = evidence


async def _post(ctx: ProbeContext, delivery: Delivery, note: str) -> Response:
    try:
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            response = await ctx.fetch(
                "POST",
                ctx.profile.webhook_url,
                headers=delivery.headers,
                content=delivery.body.encode(),
                note=note,
            )
    except (TimeoutError, httpx.ReadTimeout):
        url = ctx.redact(ctx.profile.webhook_url)
        raise _Slow({"method": "POST", "url": url, "note": note, "status": None}) from None
    if response.elapsed_ms > DELIVERY_TIMEOUT * 1000:
        raise _Slow(response.evidence)
    return response


def _expect_accepted(findings: Findings, response: Response, code: str, what: str) -> None:
    if not 200 <= response.status < 300:
        findings.fail(code, f"the webhook URL answered {response.status} to {what}")


def _expect_rejected(
    findings: Findings, response: Response, accepted: str, server_error: str, what: str
) -> None:
    status = response.status
    if 200 <= status < 300:
        findings.fail(accepted, f"the webhook URL accepted {what} with {status}")
    elif status >= 500:
        findings.fail(server_error, f"the webhook URL answered {status} to {what} instead of 4xx")
    elif not 400 <= status < 500:
        findings.warn(
            "WEBHOOK_UNEXPECTED_STATUS",
            f"the webhook URL answered {status} to {what}, where a 4xx is expected",
        )


async def _run(ctx: ProbeContext, findings: Findings, secret: str) -> None:
    events = list(ctx.profile.webhook_events)
    first = events[0]

    async def post(delivery: Delivery, note: str) -> Response:
        response = await _post(ctx, delivery, note)
        findings.record(response.evidence)
        return response

    # 1. A valid event must be accepted; everything after leans on it.
    valid = signed(secret, first)
    response = await post(valid, f"valid {first}")
    if response.status >= 500:
        findings.fail(
            "WEBHOOK_5XX",
            f"the webhook URL answered {response.status} to a valid, correctly signed {first} "
            "event",
        )
    else:
        _expect_accepted(
            findings, response, "WEBHOOK_VALID_REJECTED", f"a valid, correctly signed {first} event"
        )

    # 2.-5. Deliveries a receiver must refuse with a 4xx.
    bad = with_header(signed(secret, first), "webhook-signature", junk_signature())
    response = await post(bad, "wrong signature")
    _expect_rejected(
        findings,
        response,
        "WEBHOOK_BAD_SIGNATURE_ACCEPTED",
        "WEBHOOK_5XX",
        "an event with a wrong signature",
    )
    for header in ("webhook-signature", "webhook-timestamp", "webhook-id"):
        response = await post(with_header(signed(secret, first), header, None), f"no {header}")
        _expect_rejected(
            findings,
            response,
            "WEBHOOK_MISSING_HEADERS_ACCEPTED",
            "WEBHOOK_5XX",
            f"an event without the {header} header",
        )
    for value in MALFORMED_SIGNATURES:
        malformed = with_header(signed(secret, first), "webhook-signature", value)
        response = await post(malformed, f"signature {value!r}")
        _expect_rejected(
            findings,
            response,
            "WEBHOOK_MALFORMED_ACCEPTED",
            "WEBHOOK_MALFORMED_5XX",
            f"an event whose signature header is {value!r}",
        )
    response = await post(signed(secret, first, skew=-SKEW_SECONDS), "timestamp 600 s old")
    _expect_rejected(
        findings,
        response,
        "WEBHOOK_STALE_ACCEPTED",
        "WEBHOOK_5XX",
        "a correctly signed event timestamped 600 s in the past",
    )
    response = await post(signed(secret, first, skew=SKEW_SECONDS), "timestamp 600 s ahead")
    _expect_rejected(
        findings,
        response,
        "WEBHOOK_FUTURE_ACCEPTED",
        "WEBHOOK_5XX",
        "a correctly signed event timestamped 600 s in the future",
    )

    # 6. A retry carries the same id with a fresh timestamp and signature.
    retry = signed(secret, first, msg_id=valid.headers["webhook-id"])
    response = await post(retry, "redelivery of the valid event")
    _expect_accepted(
        findings,
        response,
        "WEBHOOK_REDELIVERY_REJECTED",
        "a redelivery of an event it had accepted",
    )

    # 7. During key rotation the header lists a signature by the old key before the real one.
    fresh = signed(secret, first)
    rotated = with_header(
        fresh, "webhook-signature", f"{junk_signature()} {fresh.headers['webhook-signature']}"
    )
    response = await post(rotated, "rotation: two signatures")
    _expect_accepted(
        findings,
        response,
        "WEBHOOK_ROTATION_REJECTED",
        "an event signed under two keys, the second one valid",
    )

    # 8. Every other subscribed type (the first one was delivered in step 1).
    others = events[1:MAX_EVENT_TYPES]
    if len(events) > MAX_EVENT_TYPES:
        findings.record({"note": f"event types not sent: {', '.join(events[MAX_EVENT_TYPES:])}"})
    for event_type in others:
        response = await post(signed(secret, event_type), f"valid {event_type}")
        _expect_accepted(
            findings,
            response,
            "WEBHOOK_EVENT_REJECTED",
            f"a valid, correctly signed {event_type} event",
        )


@probe(
    PROBE_ID,
    title="Webhook receiver verifies signatures, tolerates retries and accepts every event",
    secrets=(SecretKey.WEBHOOK_SECRET,),
    profile=("webhook_url", "webhook_events"),
)
async def webhook_delivery(ctx: ProbeContext) -> ProbeResult:
    """Send signed, mis-signed, stale, repeated and rotated events to the webhook URL."""
    findings = Findings(PROBE_ID)
    secret = ctx.secret(SecretKey.WEBHOOK_SECRET)
    try:
        Webhook(secret)
    except Exception:  # the library raises several unrelated types for a bad secret
        findings.error(
            "WEBHOOK_SECRET_INVALID",
            "the webhook secret is not a whsec_ base64 secret, so no event can be signed",
        )
        return findings.result("WEBHOOK_OK", "")
    try:
        # One delivery at a time: a burst could trip the receiver's rate limiting.
        await _run(ctx, findings, secret)
    except _Slow as slow:
        # Every later check would wait as long again; the verdict is clear already.
        findings.record(slow.evidence)
        findings.fail(
            "WEBHOOK_SLOW",
            f"the webhook URL did not answer the {slow} delivery within {DELIVERY_TIMEOUT:g} s",
        )
    return findings.result(
        "WEBHOOK_OK",
        "the webhook URL accepts valid, redelivered and key-rotated events of every subscribed "
        "type and refuses bad, missing, malformed, stale and future signatures with 4xx",
    )
