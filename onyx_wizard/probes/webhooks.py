"""Webhook delivery: the receiver verifies Standard Webhooks signatures and handles retries.

Bodies are formatted as real events are, in turns: pretty-printed, compact, with non-ASCII text
raw or escaped, keys in more than one order. The first valid event is pretty-printed with raw
non-ASCII text, so a receiver that verifies over re-serialised JSON instead of the raw body is
caught at once. What the probe cannot see: a receiver that answers 2xx and processes a
redelivery twice, or one that drops valid events after acknowledging them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from onyx_wizard.probes._context import HEADERS_ONLY_BODY, ProbeContext, ReadLimitReached, Response
from onyx_wizard.probes._data import webhook_samples
from onyx_wizard.probes._failure import failure_in
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.secrets import SecretKey

PROBE_ID = "webhook-delivery"
# GitHub's 10 s is the strictest common bar for a receiver's answer.
DELIVERY_TIMEOUT = 10.0
# ±600 s is twice the reference libraries' 5-minute tolerance: clearly out of any sane window.
SKEW_SECONDS = 600
MALFORMED_SIGNATURES = ("garbage", "v1,a,b", "v1,!!!notbase64")
# Caps the event-type sweep so the whole probe stays under 20 deliveries.
MAX_EVENT_TYPES = 6
# A 429 is honoured once per delivery when its Retry-After asks for at most this long, while the
# waits of one run add up to at most RATE_LIMIT_BUDGET and no resent delivery got a 429 again
# (a receiver that keeps refusing will not recover in seconds), so the probe stays quick.
MAX_RETRY_AFTER = 5.0
RATE_LIMIT_BUDGET = 10.0


@dataclass(frozen=True)
class BodyStyle:
    """One way senders format a JSON event."""

    name: str
    indent: int | None
    separators: tuple[str, str]
    ensure_ascii: bool
    reorder: bool  # keys in the reverse of the sample's order

    @property
    def label(self) -> str:
        text = "non-ASCII escaped" if self.ensure_ascii else "non-ASCII raw"
        order = ", keys reordered" if self.reorder else ""
        return f"{self.name}, {text}{order}"


PRETTY = BodyStyle("pretty-printed", 2, (",", ": "), False, False)
COMPACT = BodyStyle("compact", None, (",", ":"), False, True)
SPACED = BodyStyle("spaced", None, (", ", ": "), True, True)
# The event-type sweep takes these in turn, after the pretty-printed first event.
STYLES = (COMPACT, SPACED, PRETTY)


@dataclass(frozen=True)
class Delivery:
    """One webhook request: its headers and the exact body they sign."""

    headers: dict[str, str]
    body: str
    style: str = ""


def new_message_id() -> str:
    """A fresh, unique message id in the Standard Webhooks style."""
    return "msg_" + secrets.token_urlsafe(18)


def _reversed(value: dict[str, Any]) -> dict[str, Any]:
    return {key: value[key] for key in reversed(value)}


def event_body(event_type: str, now: datetime, style: BodyStyle = COMPACT) -> str:
    """The JSON body for `event_type`, from the packaged samples or a minimal generic one."""
    sample = webhook_samples().get(event_type)
    data: dict[str, Any] = (
        dict(sample["data"]) if sample else {"probe": "onyx-wizard", "note": "Grüße — 你好"}
    )
    payload: dict[str, Any] = {
        "type": event_type,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    if style.reorder:
        payload = _reversed({**payload, "data": _reversed(data)})
    return json.dumps(
        payload, indent=style.indent, separators=style.separators, ensure_ascii=style.ensure_ascii
    )


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The `v1,<base64>` signature of a message, by the Standard Webhooks reference library."""
    signature: str = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)
    return signature


def junk_signature() -> str:
    """A well-formed `v1,` signature that matches nothing."""
    return "v1," + base64.b64encode(secrets.token_bytes(32)).decode()


def signed(
    secret: str,
    event_type: str,
    *,
    msg_id: str = "",
    skew: int = 0,
    style: BodyStyle = COMPACT,
    body: str = "",
) -> Delivery:
    """A correctly signed delivery of `event_type` (or of `body` as given), its timestamp
    shifted by `skew` seconds."""
    msg_id = msg_id or new_message_id()
    timestamp = int(time.time()) + skew
    body = body or event_body(event_type, datetime.fromtimestamp(timestamp, UTC), style)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    return Delivery(headers, body, style.label)


def with_header(delivery: Delivery, name: str, value: str | None) -> Delivery:
    """A copy of `delivery` with one header replaced, or dropped when `value` is None."""
    headers = {k: v for k, v in delivery.headers.items() if k != name}
    if value is not None:
        headers[name] = value
    return Delivery(headers, delivery.body, delivery.style)


def retry_after(value: str, now: float) -> float | None:
    """Seconds a `Retry-After` value asks to wait (delta-seconds or an HTTP date), or None."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class _Slow(Exception):
    """The receiver took longer than DELIVERY_TIMEOUT to answer; carries the evidence."""

    def __init__(self, evidence: dict[str, Any]) -> None:
        super().__init__(evidence.get("note", ""))
        self.evidence = evidence


class _Undelivered(Exception):
    """A delivery's request failed (no connection, a reset, a bad answer); names which."""

    def __init__(self, note: str, failure: BaseException) -> None:
        super().__init__(note)
        self.failure = failure


@dataclass
class _Sender:
    """Sends deliveries one at a time, records their evidence, and honours a short 429 once."""

    ctx: ProbeContext
    findings: Findings
    waited: float = 0.0
    honoured: list[str] = field(default_factory=list)
    still_limited: bool = False

    async def _send(self, delivery: Delivery, note: str) -> Response:
        try:
            async with asyncio.timeout(DELIVERY_TIMEOUT):
                response = await self.ctx.fetch(
                    "POST",
                    self.ctx.profile.webhook_url,
                    headers=delivery.headers,
                    content=delivery.body.encode(),
                    note=note,
                    # Standard Webhooks deliveries are made to be sent again (the receiver
                    # de-duplicates by webhook-id), so a dropped connection may be retried.
                    idempotent=True,
                    # Verdicts come from the status only: the body is read to its digest.
                    body_limit=HEADERS_ONLY_BODY,
                )
        except (TimeoutError, httpx.ReadTimeout):
            url = self.ctx.redact(self.ctx.profile.webhook_url)
            raise _Slow({"method": "POST", "url": url, "note": note, "status": None}) from None
        except (httpx.HTTPError, OSError, ReadLimitReached) as exc:
            raise _Undelivered(note, exc) from exc
        if response.elapsed_ms > DELIVERY_TIMEOUT * 1000:
            raise _Slow(response.evidence)
        self.findings.record(response.evidence)
        return response

    async def post(self, delivery: Delivery, note: str) -> Response:
        if delivery.style:
            note = f"{note} ({delivery.style})"
        response = await self._send(delivery, note)
        if response.status != 429:
            return response
        delay = retry_after(response.headers.get("retry-after", ""), time.time())
        if self.still_limited or delay is None or delay > MAX_RETRY_AFTER:
            return response
        if self.waited + delay > RATE_LIMIT_BUDGET:
            return response
        # Rate limited: wait as asked and send the very same delivery again, once.
        self.waited += delay
        self.honoured.append(note)
        await asyncio.sleep(delay)
        response = await self._send(delivery, f"{note}, again after 429 and {delay:g} s")
        self.still_limited = response.status == 429
        return response


@dataclass
class _Judge:
    """Turns answers into findings; `verifies_async` softens 2xx to bad deliveries to a warn."""

    findings: Findings
    verifies_async: bool
    acknowledged: list[str] = field(default_factory=list)

    def accepted(self, response: Response, code: str, what: str) -> None:
        if not 200 <= response.status < 300:
            limited = " (rate limited)" if response.status == 429 else ""
            self.findings.fail(
                code, f"the webhook URL answered {response.status}{limited} to {what}"
            )

    def rejected(self, response: Response, accepted: str, server_error: str, what: str) -> None:
        status = response.status
        if 200 <= status < 300 and self.verifies_async:
            self.acknowledged.append(f"{what} ({status})")
        elif 200 <= status < 300:
            self.findings.fail(accepted, f"the webhook URL accepted {what} with {status}")
        elif status >= 500:
            self.findings.fail(
                server_error, f"the webhook URL answered {status} to {what} instead of 4xx"
            )
        elif not 400 <= status < 500:
            self.findings.warn(
                "WEBHOOK_UNEXPECTED_STATUS",
                f"the webhook URL answered {status} to {what}, where a 4xx is expected",
            )

    def finish(self) -> None:
        if self.acknowledged:
            self.findings.warn(
                "WEBHOOK_ASYNC_ATTEST",
                f"the webhook URL acknowledged {len(self.acknowledged)} deliveries it must not "
                f"act on ({'; '.join(self.acknowledged)}); the profile says it verifies after "
                "acknowledging (webhook_verifies_async), so a person must attest that such "
                "deliveries are dropped unprocessed",
            )


async def _run(sender: _Sender, judge: _Judge, secret: str, events: list[str]) -> None:
    first = events[0]
    post = sender.post

    # 1. A valid event must be accepted; everything after leans on it. Pretty-printed with raw
    # non-ASCII text: only a receiver that verifies the raw body accepts it.
    valid = signed(secret, first, style=PRETTY)
    response = await post(valid, f"valid {first}")
    if response.status >= 500:
        judge.findings.fail(
            "WEBHOOK_5XX",
            f"the webhook URL answered {response.status} to a valid, correctly signed {first} "
            "event",
        )
    else:
        judge.accepted(
            response, "WEBHOOK_VALID_REJECTED", f"a valid, correctly signed {first} event"
        )

    # 2.-5. Deliveries a receiver must refuse with a 4xx.
    bad = with_header(signed(secret, first), "webhook-signature", junk_signature())
    response = await post(bad, "wrong signature")
    judge.rejected(
        response,
        "WEBHOOK_BAD_SIGNATURE_ACCEPTED",
        "WEBHOOK_5XX",
        "an event with a wrong signature",
    )
    for n, header in enumerate(("webhook-signature", "webhook-timestamp", "webhook-id")):
        missing = with_header(signed(secret, first, style=STYLES[n % 3]), header, None)
        response = await post(missing, f"no {header}")
        judge.rejected(
            response,
            "WEBHOOK_MISSING_HEADERS_ACCEPTED",
            "WEBHOOK_5XX",
            f"an event without the {header} header",
        )
    for n, value in enumerate(MALFORMED_SIGNATURES):
        malformed = with_header(
            signed(secret, first, style=STYLES[n % 3]), "webhook-signature", value
        )
        response = await post(malformed, f"signature {value!r}")
        judge.rejected(
            response,
            "WEBHOOK_MALFORMED_ACCEPTED",
            "WEBHOOK_MALFORMED_5XX",
            f"an event whose signature header is {value!r}",
        )
    stale = signed(secret, first, skew=-SKEW_SECONDS, style=SPACED)
    response = await post(stale, "timestamp 600 s old")
    judge.rejected(
        response,
        "WEBHOOK_STALE_ACCEPTED",
        "WEBHOOK_5XX",
        "a correctly signed event timestamped 600 s in the past",
    )
    future = signed(secret, first, skew=SKEW_SECONDS, style=PRETTY)
    response = await post(future, "timestamp 600 s ahead")
    judge.rejected(
        response,
        "WEBHOOK_FUTURE_ACCEPTED",
        "WEBHOOK_5XX",
        "a correctly signed event timestamped 600 s in the future",
    )

    # 6. A retry carries the same id and the same body, with a fresh timestamp and signature.
    retry = signed(secret, first, msg_id=valid.headers["webhook-id"], style=PRETTY, body=valid.body)
    response = await post(retry, "redelivery of the valid event")
    judge.accepted(
        response, "WEBHOOK_REDELIVERY_REJECTED", "a redelivery of an event it had accepted"
    )

    # 7. During key rotation the header lists a signature by the old key before the real one.
    fresh = signed(secret, first, style=COMPACT)
    rotated = with_header(
        fresh, "webhook-signature", f"{junk_signature()} {fresh.headers['webhook-signature']}"
    )
    response = await post(rotated, "rotation: two signatures")
    judge.accepted(
        response,
        "WEBHOOK_ROTATION_REJECTED",
        "an event signed under two keys, the second one valid",
    )

    # 8. Every other subscribed type (the first one was delivered in step 1), formats in turn.
    others = events[1:MAX_EVENT_TYPES]
    if len(events) > MAX_EVENT_TYPES:
        judge.findings.record(
            {"note": f"event types not sent: {', '.join(events[MAX_EVENT_TYPES:])}"}
        )
    for n, event_type in enumerate(others):
        delivery = signed(secret, event_type, style=STYLES[n % len(STYLES)])
        response = await post(delivery, f"valid {event_type}")
        judge.accepted(
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
    findings = ctx.findings(PROBE_ID)
    secret = ctx.secret(SecretKey.WEBHOOK_SECRET)
    try:
        Webhook(secret)
    except Exception:  # the library raises several unrelated types for a bad secret
        findings.error(
            "WEBHOOK_SECRET_INVALID",
            "the webhook secret is not a whsec_ base64 secret, so no event can be signed",
        )
        return findings.result("WEBHOOK_OK", "")
    sender = _Sender(ctx, findings)
    judge = _Judge(findings, ctx.profile.webhook_verifies_async)
    try:
        # One delivery at a time: a burst could trip the receiver's rate limiting.
        await _run(sender, judge, secret, list(ctx.profile.webhook_events))
    except _Slow as slow:
        # Every later check would wait as long again; the verdict is clear already.
        findings.record(slow.evidence)
        limit = min(DELIVERY_TIMEOUT, ctx.settings.read_timeout)
        findings.fail(
            "WEBHOOK_SLOW", f"the webhook URL did not answer the {slow} delivery within {limit:g} s"
        )
    except _Undelivered as undelivered:
        # Every later delivery would meet the same failure; what came before stays on record.
        failure = failure_in(ctx, undelivered.failure)
        url = ctx.redact(ctx.profile.webhook_url)
        findings.record({"method": "POST", "url": url, "note": str(undelivered), "status": None})
        findings.error(
            failure.code,
            f"the {undelivered} delivery could not be made, so the deliveries after it were not "
            f"sent: {failure.message}",
        )
    judge.finish()
    if sender.honoured:
        waited = "; ".join(sender.honoured)
        findings.record({"note": f"rate limited (429), sent again after waiting: {waited}"})
    return findings.result(
        "WEBHOOK_OK",
        "the webhook URL accepts valid, redelivered and key-rotated events of every subscribed "
        "type, formatted in several ways, and refuses bad, missing, malformed, stale and future "
        "signatures with 4xx",
    )
