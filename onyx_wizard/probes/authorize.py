"""Authorize request probe: the sign-in start sends a least-privilege, CSRF-safe request to Onyx."""

from __future__ import annotations

import asyncio
import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from onyx_wizard.checklist import scope_catalogue
from onyx_wizard.probes._browser import fetch_fresh, query_params, resolve_location, same_endpoint
from onyx_wizard.probes._context import ProbeContext, Response
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "authorize-request"
MIN_STATE_BITS = 128  # RFC 6749 §10.10: guessing probability at most 2^-128
REDIRECT_STATUSES = (302, 303)

# --- state entropy --------------------------------------------------------------------------

_HEX_LOWER = frozenset(string.digits + "abcdef")
_HEX_UPPER = frozenset(string.digits + "ABCDEF")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_UUID_RANDOM_BITS = 122  # a version 4 UUID fixes 6 of its 128 bits


def estimate_state(state: str) -> tuple[float, str]:
    """A generous estimate of the randomness in `state`: (bits, what it looks like).

    The alphabet is guessed from the characters present (hex, base64url, …), so the estimate is
    an upper bound: a weak state is never excused, a strong one may be overrated.
    """
    if _UUID.match(state):
        return float(_UUID_RANDOM_BITS), "a UUID"
    body = state.rstrip("=")  # base64 padding carries no randomness
    chars = set(body)
    if not chars:
        return 0.0, "empty"
    if chars <= set(string.digits):
        size, kind = 10, "decimal"
    elif chars <= _HEX_LOWER or chars <= _HEX_UPPER:
        size, kind = 16, "hex"
    else:
        size = 0
        for group, count in (
            (string.digits, 10),
            (string.ascii_lowercase, 26),
            (string.ascii_uppercase, 26),
        ):
            if chars & set(group):
                size += count
        others = chars - set(string.ascii_letters + string.digits)
        # base64url's (or base64's) two extra symbols count as a pair even when one is missing.
        if others and (others <= set("-_") or others <= set("+/")):
            size += 2
            kind = "base64url" if others <= set("-_") else "base64"
        else:
            size += len(others)
            kind = "alphanumeric" if not others else "mixed"
    bits = len(body) * math.log2(size) if size > 1 else 0.0
    return bits, f"{len(body)} {kind} characters"


# --- the probe ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInStart:
    """One GET of login_url: the answer and the authorize parameters it redirects with."""

    response: Response
    target: str
    params: dict[str, str]


def check_start(ctx: ProbeContext, findings: Findings, response: Response) -> SignInStart | None:
    """A redirect to the Onyx authorize URL, or a failure recorded and None."""
    login_url = ctx.profile.login_url
    if response.status not in REDIRECT_STATUSES or not response.location:
        missing = " without a Location" if response.status in REDIRECT_STATUSES else ""
        findings.fail(
            "AUTHORIZE_NOT_REDIRECT",
            f"{login_url} answered {response.status}{missing} "
            "instead of a 302/303 redirect to Onyx",
        )
        return None
    target = resolve_location(response.url, response.location)
    if not same_endpoint(target, ctx.profile.onyx_authorize_url):
        shown = urlunsplit(urlsplit(target)._replace(query="", fragment=""))
        findings.fail(
            "AUTHORIZE_WRONG_ENDPOINT",
            f"{login_url} redirects to {shown}, not to the Onyx authorize URL "
            f"{ctx.profile.onyx_authorize_url}",
        )
        return None
    findings.passed(f"{login_url} redirects ({response.status}) to the Onyx authorize URL")
    return SignInStart(response, target, query_params(target))


def check_client(ctx: ProbeContext, findings: Findings, params: Mapping[str, str]) -> None:
    """response_type=code, the production client id, and a registered redirect URI exactly."""
    profile = ctx.profile
    response_type = params.get("response_type", "")
    if response_type != "code":
        findings.fail(
            "AUTHORIZE_RESPONSE_TYPE",
            f"response_type is {response_type or 'missing'}; "
            "the authorization code flow needs code",
        )
    else:
        findings.passed("response_type=code")
    client_id = params.get("client_id", "")
    if profile.preview_client_id and client_id == profile.preview_client_id:
        findings.fail(
            "AUTHORIZE_PREVIEW_CLIENT_ID",
            f"the production sign-in uses the preview client id {client_id}",
        )
    elif client_id != profile.client_id:
        findings.fail(
            "AUTHORIZE_WRONG_CLIENT_ID",
            f"client_id is {client_id or 'missing'}, not the profile's {profile.client_id}",
        )
    else:
        findings.passed(f"client_id is the production id {client_id}")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in profile.redirect_uris:
        findings.fail(
            "AUTHORIZE_REDIRECT_URI_MISMATCH",
            f"redirect_uri {redirect_uri} is not exactly one of the registered redirect URIs"
            if redirect_uri
            else "the authorization request has no redirect_uri",
        )
    else:
        findings.passed(f"redirect_uri {redirect_uri} is registered")


def check_scopes(ctx: ProbeContext, findings: Findings, params: Mapping[str, str]) -> None:
    """Only scopes the declared features need, no messaging scope at sign-in, sign-in scopes."""
    catalogue = scope_catalogue()
    features = ctx.profile.features
    asked = [scope for scope in params.get("scope", "").split(" ") if scope]
    needed = set(catalogue.needed(features))
    extra = [scope for scope in asked if scope not in needed]
    messaging = [scope for scope in asked if scope in catalogue.messaging]
    sign_in = catalogue.features.get("sign-in", ()) if "sign-in" in features else ()
    missing = [scope for scope in sign_in if scope not in asked]
    if extra:
        findings.fail(
            "AUTHORIZE_EXTRA_SCOPE",
            f"sign-in asks for {', '.join(extra)}, which no declared feature needs",
        )
    if messaging:
        findings.fail(
            "AUTHORIZE_MESSAGING_SCOPE",
            f"sign-in asks for the messaging scope {', '.join(messaging)}; "
            "messaging permission must be asked for separately",
        )
    if missing:
        findings.warn("AUTHORIZE_SCOPE_MISSING", f"sign-in does not ask for {', '.join(missing)}")
    if not (extra or messaging or missing):
        findings.passed(f"scope is {' '.join(asked) or 'empty'}")


def check_state(findings: Findings, first: Mapping[str, str], second: Mapping[str, str]) -> None:
    """state is present, differs between two starts, and has at least 128 bits."""
    states = first.get("state", ""), second.get("state", "")
    if not all(states):
        findings.fail("AUTHORIZE_STATE_MISSING", "the authorization request carries no state")
        return
    # Checked before strength: a fixed state defeats CSRF protection however long it is.
    if states[0] == states[1]:
        findings.fail("AUTHORIZE_STATE_REUSED", "state was identical on two sign-in starts")
        return
    bits, looks = min(estimate_state(state) for state in states)
    findings.record({"check": "state entropy", "estimated_bits": round(bits), "looks_like": looks})
    if bits < MIN_STATE_BITS:
        findings.fail(
            "AUTHORIZE_STATE_WEAK",
            f"state is {looks}, about {bits:.0f} bits of randomness; "
            f"at least {MIN_STATE_BITS} are needed",
        )
    else:
        findings.passed(f"state is {looks} (about {bits:.0f} bits) and new on each start")


def check_pkce(findings: Findings, first: Mapping[str, str], second: Mapping[str, str]) -> None:
    """A code_challenge with method S256, new on each start."""
    challenge = first.get("code_challenge", "")
    method = first.get("code_challenge_method", "")
    if not challenge:
        findings.fail(
            "AUTHORIZE_NO_PKCE", "the authorization request carries no PKCE code_challenge"
        )
    elif method != "S256":
        findings.fail(
            "AUTHORIZE_PKCE_NOT_S256",
            f"PKCE code_challenge_method is {method or 'missing (so plain)'}; S256 is required",
        )
    elif challenge == second.get("code_challenge", ""):
        findings.fail(
            "AUTHORIZE_PKCE_REUSED", "the PKCE code_challenge was identical on two sign-in starts"
        )
    else:
        findings.passed("PKCE with S256, new on each start")


@probe(
    PROBE_ID,
    title="Sign-in start sends a correct authorization request",
    profile=("login_url", "onyx_authorize_url", "client_id", "redirect_uris", "features"),
)
async def authorize_request(ctx: ProbeContext) -> ProbeResult:
    """Start sign-in twice and judge the authorization requests login_url redirects to."""
    findings = Findings(PROBE_ID)
    responses = await asyncio.gather(
        fetch_fresh(ctx, ctx.profile.login_url, note="sign-in start 1"),
        fetch_fresh(ctx, ctx.profile.login_url, note="sign-in start 2"),
    )
    starts = []
    for response in responses:
        findings.record(response.evidence)
        start = check_start(ctx, findings, response)
        if start is None:
            return findings.result("AUTHORIZE_OK", "")
        starts.append(start)
    first, second = starts[0].params, starts[1].params
    findings.record(
        {
            "check": "authorization request",
            **{
                name: first.get(name, "")
                for name in (
                    "response_type",
                    "client_id",
                    "redirect_uri",
                    "scope",
                    "code_challenge_method",
                )
            },
        }
    )
    check_client(ctx, findings, first)
    check_scopes(ctx, findings, first)
    check_state(findings, first, second)
    check_pkce(findings, first, second)
    return findings.result(
        "AUTHORIZE_OK",
        "sign-in redirects to Onyx with the production client id, a registered redirect URI, "
        "only needed scopes, fresh strong state and S256 PKCE",
    )
