"""Token rejection: the protected URL turns away missing, garbage, expired and revoked tokens."""

from __future__ import annotations

import asyncio
import re
import secrets
import string

from onyx_wizard.probes._context import ProbeContext, Response
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.secrets import SecretKey

PROBE_ID = "token-rejection"

# A challenge list may hold several schemes ("Basic realm=x, Bearer realm=y"); any one will do.
_BEARER_CHALLENGE = re.compile(r"(?:^|,)\s*bearer(?:\s|,|$)", re.IGNORECASE)
_INVALID_TOKEN = re.compile(r"\berror\s*=\s*\"?invalid_token\b", re.IGNORECASE)
_GARBAGE_ALPHABET = string.ascii_letters + string.digits + "-._~"
_WORDS = {"garbage": "a garbage", "expired": "an expired", "revoked": "a revoked"}
_ACCEPTED = {
    "garbage": "TOKEN_GARBAGE_ACCEPTED",
    "expired": "TOKEN_EXPIRED_ACCEPTED",
    "revoked": "TOKEN_REVOKED_ACCEPTED",
}


def bearer_challenge(response: Response) -> bool:
    """Whether the response carries a `WWW-Authenticate` challenge with the Bearer scheme."""
    return any(_BEARER_CHALLENGE.search(v) for v in response.headers.get_list("www-authenticate"))


def invalid_token_error(response: Response) -> bool:
    """Whether a Bearer challenge names `error="invalid_token"` (RFC 6750 §3.1)."""
    return any(_INVALID_TOKEN.search(v) for v in response.headers.get_list("www-authenticate"))


def garbage_token() -> str:
    """Forty random characters from the token alphabet, valid in form but meaningless."""
    return "".join(secrets.choice(_GARBAGE_ALPHABET) for _ in range(40))


def _check_without_token(findings: Findings, response: Response) -> None:
    status = response.status
    what = f"the protected URL answered {status} to a request without a token"
    if 200 <= status < 300:
        findings.fail("TOKEN_NONE_ACCEPTED", what)
    elif status >= 500:
        findings.fail("TOKEN_5XX", f"{what} instead of 401")
    elif status == 401 and not bearer_challenge(response):
        findings.fail(
            "TOKEN_NO_WWW_AUTHENTICATE",
            "the protected URL's 401 to a request without a token has no Bearer challenge",
        )
    elif status != 401:
        findings.warn("TOKEN_UNEXPECTED_STATUS", f"{what}, where 401 is expected")
    else:
        findings.passed("no token: 401 with a Bearer challenge")


def _check_rejected(findings: Findings, kind: str, response: Response) -> None:
    status = response.status
    what = f"the protected URL answered {status} to {_WORDS[kind]} access token"
    if 200 <= status < 300:
        findings.fail(_ACCEPTED[kind], what)
    elif status >= 500:
        findings.fail("TOKEN_5XX", f"{what} instead of 401")
    elif status == 401 and not bearer_challenge(response):
        findings.fail(
            "TOKEN_NO_WWW_AUTHENTICATE",
            f"the protected URL's 401 to {_WORDS[kind]} access token has no Bearer challenge",
        )
    elif status == 401 and not invalid_token_error(response):
        findings.warn("TOKEN_NO_INVALID_TOKEN_ERROR", f'{what} without error="invalid_token"')
    elif status != 401:
        findings.warn("TOKEN_UNEXPECTED_STATUS", f"{what}, where 401 is expected")
    else:
        findings.passed(f'{kind} token: 401 with error="invalid_token"')


@probe(
    PROBE_ID,
    title="Protected URL rejects missing, garbage, expired and revoked tokens",
    secrets=(SecretKey.EXPIRED_ACCESS_TOKEN, SecretKey.REVOKED_ACCESS_TOKEN),
    profile=("protected_url",),
)
async def token_rejection(ctx: ProbeContext) -> ProbeResult:
    """Call the protected URL with no token and with three bad ones; each must get a 401."""
    findings = Findings(PROBE_ID)
    url = ctx.profile.protected_url
    tokens = {
        "garbage": garbage_token(),
        "expired": ctx.secret(SecretKey.EXPIRED_ACCESS_TOKEN),
        "revoked": ctx.secret(SecretKey.REVOKED_ACCESS_TOKEN),
    }
    # The valid token is optional here: when present it shows the URL accepts tokens at all,
    # without which the rejections would prove little.
    valid = ctx.secrets.get(SecretKey.VALID_ACCESS_TOKEN, "")
    if valid:
        tokens["valid"] = valid
    requests = [ctx.fetch("GET", url, note="no token")]
    requests += [
        ctx.fetch("GET", url, headers={"authorization": f"Bearer {token}"}, note=f"{kind} token")
        for kind, token in tokens.items()
    ]
    none, *answers = await asyncio.gather(*requests)
    for response in (none, *answers):
        findings.record(response.evidence)

    _check_without_token(findings, none)
    for kind, response in zip(tokens, answers, strict=True):
        if kind != "valid":
            _check_rejected(findings, kind, response)
        elif not 200 <= response.status < 300:
            findings.warn(
                "TOKEN_VALID_REJECTED",
                f"the protected URL answered {response.status} to the valid access token, so it "
                "may not be the URL that checks tokens",
            )
    return findings.result(
        "TOKENS_REJECTED",
        "the protected URL answers 401 with a Bearer challenge to missing, garbage, expired and "
        "revoked tokens",
    )
