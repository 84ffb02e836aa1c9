"""Credential separation: the preview and production OAuth clients share no id or secret."""

from __future__ import annotations

import hmac

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.secrets import SecretKey

PROBE_ID = "credential-separation"


def same_secret(first: str, second: str) -> bool:
    """Whether two secrets are equal, compared in constant time."""
    return hmac.compare_digest(first.encode(), second.encode())


@probe(
    PROBE_ID,
    title="Preview and production credentials are separate",
    secrets=(SecretKey.CLIENT_SECRET, SecretKey.PREVIEW_CLIENT_SECRET),
    profile=("client_id", "preview_client_id"),
)
async def credential_separation(ctx: ProbeContext) -> ProbeResult:
    """Compare the production and preview client ids and secrets; no request is made."""
    findings = Findings(PROBE_ID)
    profile = ctx.profile
    keys = (SecretKey.CLIENT_SECRET, SecretKey.PREVIEW_CLIENT_SECRET)
    client_secret, preview_secret = (ctx.secret(key) for key in keys)
    # The runner only skips empty values; a secret of blanks is as good as none.
    blank = [key.value for key in keys if not ctx.secret(key).strip()]
    if blank:
        findings.fail("CREDENTIALS_INCOMPLETE", f"the secret {', '.join(blank)} is blank")
        return findings.result("CREDENTIALS_SEPARATE", "")
    if profile.client_id == profile.preview_client_id:
        findings.fail(
            "CREDENTIALS_SHARED_CLIENT_ID",
            f"production and preview use the same client id {profile.client_id}",
        )
    else:
        findings.passed("client ids differ")
    if same_secret(client_secret, preview_secret):
        findings.fail(
            "CREDENTIALS_SHARED_SECRET", "production and preview use the same client secret"
        )
    else:
        findings.passed("client secrets differ")
    return findings.result(
        "CREDENTIALS_SEPARATE",
        f"production ({profile.client_id}) and preview ({profile.preview_client_id}) have their "
        "own client ids and secrets",
    )
