"""The demo's Standard Webhooks receiver (`/onyx/events`), with its idempotency store."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import WebhookVerificationError

from onyx_wizard.demo.http import Exchange
from onyx_wizard.demo.state import DemoState

WEBHOOK_TOLERANCE = 300  # seconds either way, as the standardwebhooks library enforces
SLOW_WEBHOOK_DELAY = 12.0
MAX_BODY = 1024 * 1024


class Rejected(Exception):
    """A webhook delivery that verification refused (answered 400)."""


def events(ex: Exchange) -> None:
    """Verify a delivery, then process it once per webhook-id."""
    state = ex.state
    try:
        length = int(ex.headers.get("Content-Length") or "0")
    except ValueError:
        ex.reply_json(400, {"error": "bad Content-Length"})
        return
    if length < 0 or length > MAX_BODY:
        ex.reply_json(413, {"error": "payload too large"})
        return
    body = ex.rfile.read(length)
    headers = {name.lower(): value for name, value in ex.headers.items()}
    try:
        verify(state, body, headers)
    except Rejected as exc:
        ex.reply_json(400, {"error": str(exc)})
        return
    if state.has_fault("webhook-slow") and state.stopping.wait(SLOW_WEBHOOK_DELAY):
        ex.reply_json(503, {"error": "shutting down"})
        return
    if not state.first_delivery(headers["webhook-id"], body):
        if state.has_fault("webhook-not-idempotent"):
            ex.reply_json(409, {"error": "duplicate webhook-id"})
        else:
            ex.reply_json(200, {"status": "already processed"})
        return
    _act_on(state, body)
    ex.reply(204)


def _act_on(state: DemoState, body: bytes) -> None:
    """What a verified event does: `access.revoked` ends the user's access at once."""
    try:
        event = json.loads(body)
    except ValueError:
        return
    if not isinstance(event, dict) or event.get("type") != "access.revoked":
        return
    data = event.get("data")
    user = data.get("user_id") if isinstance(data, dict) else None
    if not isinstance(user, str) or not user:
        return
    if state.has_fault("revocation-ignored"):
        return  # accepted (204), and access goes on
    if state.has_fault("revocation-on-restart"):
        state.revoke_after_restart(user)  # kept, but only a restart would apply it
        return
    state.revoke_user(user)


def verify(state: DemoState, body: bytes, headers: dict[str, str]) -> None:
    """Return when the delivery is genuine; Rejected (→ 400) when it is not."""
    if state.has_fault("webhook-accepts-bad-signature"):
        _check_shape(headers)
        return
    if state.has_fault("webhook-accepts-stale"):
        _verify_ignoring_time(state, body, headers)
        return
    # Each signature of the rotation list on its own: the library gives up on the whole
    # header when one entry is malformed, but a valid signature next to junk must pass.
    entries = headers.get("webhook-signature", "").split(" ")
    if state.has_fault("webhook-no-rotation"):
        entries = entries[:1]
    # The faulty app first checks the three headers are there, as the library does.
    required = ("webhook-id", "webhook-timestamp", "webhook-signature")
    naive = state.has_fault("webhook-500-on-malformed") and all(headers.get(h) for h in required)
    malformed: list[Exception] = []
    for entry in entries:
        try:
            if naive:
                _parse_naively(entry)
            state.webhook.verify(body, {**headers, "webhook-signature": entry})
            return
        except WebhookVerificationError:
            continue
        except ValueError as exc:  # binascii.Error, JSON and UTF-8 errors included
            malformed.append(exc)
    if malformed and naive:
        # The faulty app catches only the library's own error; the rest escapes as a 500.
        raise malformed[0]
    raise Rejected("webhook verification failed")


def _parse_naively(entry: str) -> None:
    """webhook-500-on-malformed: the app takes each signature apart itself, trusting its shape.

    A header that is not `<version>,<base64>` raises ValueError (binascii.Error included),
    which the app does not catch. Done here rather than left to the reference library,
    whose releases differ on it: 1.1 raised ValueError, 1.3 compares the text and raises
    only its own WebhookVerificationError.
    """
    _version, signature = entry.split(",")
    base64.b64decode(signature, validate=True)


def _required_headers(headers: dict[str, str]) -> tuple[str, int, list[str]]:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signature = headers.get("webhook-signature", "")
    if not (msg_id and timestamp and signature):
        raise Rejected("missing webhook headers")
    try:
        seconds = int(timestamp)
    except ValueError:
        raise Rejected("malformed webhook-timestamp") from None
    return msg_id, seconds, signature.split(" ")


def _check_shape(headers: dict[str, str]) -> None:
    """webhook-accepts-bad-signature: headers, timestamp and format checked, value not."""
    _, seconds, entries = _required_headers(headers)
    if abs(time.time() - seconds) > WEBHOOK_TOLERANCE:
        raise Rejected("webhook timestamp outside the tolerance")
    for entry in entries:
        version, sep, value = entry.partition(",")
        if version != "v1" or not sep:
            raise Rejected("malformed webhook-signature")
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise Rejected("malformed webhook-signature") from None


def _verify_ignoring_time(state: DemoState, body: bytes, headers: dict[str, str]) -> None:
    """webhook-accepts-stale: the signature is checked, the timestamp's age is not."""
    msg_id, seconds, entries = _required_headers(headers)
    try:
        when = datetime.fromtimestamp(seconds, UTC)
        expected = str(state.webhook.sign(msg_id, when, body.decode("utf-8")))
    except (ValueError, OverflowError, OSError):
        raise Rejected("malformed webhook delivery") from None
    for entry in entries:
        if hmac.compare_digest(entry.encode(), expected.encode()):
            return
    raise Rejected("no matching webhook signature")
