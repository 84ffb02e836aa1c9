"""access-revocation: a correctly signed `access.revoked` event ends the test user's access.

The probe proves "user can revoke access" end to end: the test user's token works on the
protected URL; a Standard Webhooks `access.revoked` event for that user, signed with the
session's webhook secret, is delivered to the app's webhook URL and accepted; and within a
bounded time the same token stops working. The token is then revoked for good (a next run needs
a fresh one). Sessions (cookies) of that user cannot be made by a probe, which cannot sign in:
a person attests to them (the item is probe+attest).

How a broken app could still pass: it revokes this token but not the user's other tokens or
sessions (the attestation covers sessions; the probe only holds one token). How a correct app
could fail: it applies revocations from a queue slower than `ProbeSettings.revoke_within` (10 s);
the message says how long it waited.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

from onyx_wizard.probes._context import HEADERS_ONLY_BODY, ProbeContext
from onyx_wizard.probes._model import Outcome, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes.webhooks import new_message_id, sign
from onyx_wizard.secrets import SecretKey

PROBE_ID = "access-revocation"
POLL_EVERY = 0.5


@probe(
    PROBE_ID,
    title="An access.revoked event ends the test user's access",
    secrets=(SecretKey.WEBHOOK_SECRET, SecretKey.REVOCATION_ACCESS_TOKEN),
    profile=("webhook_url", "protected_url", "revocation_test_user"),
    deadline=30.0,
)
async def access_revocation(ctx: ProbeContext) -> ProbeResult:
    profile = ctx.profile
    findings = ctx.findings(PROBE_ID)  # kept by the context: they outlive the deadline
    token = ctx.secret(SecretKey.REVOCATION_ACCESS_TOKEN)
    bearer = {"Authorization": f"Bearer {token}"}

    async def works() -> int:
        answer = await ctx.fetch(
            "GET", profile.protected_url, headers=bearer, body_limit=HEADERS_ONLY_BODY,
            note="the test user's token on the protected URL",
        )  # fmt: skip
        return answer.status

    before = await works()
    if before in (401, 403):
        # Most often an earlier run revoked it: nothing to test until there is a fresh one.
        # Skipped, never failed: the earlier result stands in the session.
        return ProbeResult(
            PROBE_ID,
            Outcome.SKIPPED,
            "REVOCATION_TOKEN_NOT_VALID",
            f"the test user's token is refused ({before}) before any revocation (an earlier "
            "run revokes it): store a fresh revocation_access_token to test revocation again",
            findings.evidence,
        )
    if not 200 <= before < 300:
        findings.error(
            "REVOCATION_TOKEN_NOT_VALID",
            f"the test user's token gets {before} on the protected URL before any revocation",
        )
        return findings.result("REVOCATION_OK", "")

    stamp = int(time.time())
    msg_id = new_message_id()
    body = json.dumps(
        {
            "type": "access.revoked",
            "timestamp": datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z"),
            "data": {"user_id": profile.revocation_test_user},
        },
        separators=(",", ":"),
    )
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(ctx.secret(SecretKey.WEBHOOK_SECRET), msg_id, stamp, body),
    }
    delivered = await ctx.fetch(
        "POST", profile.webhook_url, headers=headers, content=body.encode(),
        note="a correctly signed access.revoked event for the test user", idempotent=False,
    )  # fmt: skip
    if not 200 <= delivered.status < 300:
        findings.fail(
            "REVOCATION_EVENT_REFUSED",
            f"the webhook URL answered {delivered.status} to a correctly signed access.revoked "
            "event",
        )
        return findings.result("REVOCATION_OK", "")
    findings.passed(f"access.revoked accepted ({delivered.status})")

    within = ctx.settings.revoke_within  # 10 s unless a test asks for less
    started = time.monotonic()
    status = before
    while time.monotonic() - started < within:
        status = await works()
        if status in (401, 403):
            waited = time.monotonic() - started
            return findings.result(
                "REVOCATION_OK",
                f"the test user's token was refused ({status}) {waited:.1f} s after the "
                "access.revoked event; store a fresh token before the next run",
            )
        await asyncio.sleep(POLL_EVERY)
    findings.fail(
        "ACCESS_NOT_REVOKED",
        f"the test user's token still gets {status} {within:g} s after the app accepted "
        "access.revoked for that user",
    )
    return findings.result("REVOCATION_OK", "")
