"""Authorize request probe: the sign-in start sends a least-privilege, CSRF-safe request to Onyx.

The start is a browser's (see `_browser.start_sign_in`): any redirect status, same-host hops, a
sign-in page whose form must be submitted; a page that needs JavaScript warns, for a person.
State is judged on what two fresh starts show: a constant part both share adds no randomness,
a UUID counts by its version (a version 4 has 122 random bits, a version 1 about 14).

Left to a person: a state from a predictable generator that looks random (a seeded PRNG, a hash
of a counter); a start that differs per browser in ways two fresh starts do not trigger; a login
that needs more than 3 same-host hops, or passes through another host of the partner's before
Onyx (DESIGN: the first cross-host redirect must be Onyx's, so that fails).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from onyx_wizard.checklist import scope_catalogue
from onyx_wizard.probes._browser import SignInStart, Stop, start_sign_in
from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._tasks import together

PROBE_ID = "authorize-request"
# DESIGN: "state unguessable (≥ 122 bits: a UUID4 passes)"; a version 4 UUID has 122 random bits.
MIN_STATE_BITS = 122
# Characters both starts' states share at their ends before they count as a constant part; six
# shared by chance happen once in 16^6 starts for hex, far less for base64url.
SHARED_AFFIX_MIN = 6
PKCE_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256, no padding

# --- state entropy --------------------------------------------------------------------------

_HEX_LOWER = frozenset(string.digits + "abcdef")
_HEX_UPPER = frozenset(string.digits + "ABCDEF")
_UUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{12}$", re.I
)
# Random bits per RFC 9562 UUID version: 4 fixes 6 of 128 bits, 7 keeps 74 random bits after its
# millisecond timestamp, 1 and 6 only a 14-bit clock sequence beside time and node, 3 and 5 are
# hashes of a name. Version 8's layout is the vendor's: counted as at most a version 4's.
_UUID_RANDOM_BITS = {4: 122, 7: 74, 8: 122, 1: 14, 6: 14}


def _uuid_estimate(state: str) -> tuple[float, str] | None:
    match = _UUID.match(state)
    if not match:
        return None
    if match[2].lower() not in "89ab":  # not the RFC variant: just hex with dashes
        return 128.0, "32 hex characters with dashes"
    version = int(match[1], 16)
    bits = _UUID_RANDOM_BITS.get(version, 0)
    return float(bits), "a UUID" if version == 4 else f"a version {version} UUID"


def estimate_state(state: str) -> tuple[float, str]:
    """A generous estimate of the randomness in `state`: (bits, what it looks like).

    The alphabet is guessed from the characters present (hex, base64url, …), so the estimate is
    an upper bound: a weak state is never excused, a strong one may be overrated.
    """
    uuid_like = _uuid_estimate(state)
    if uuid_like is not None:
        return uuid_like
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


def _shared_affixes(first: str, second: str) -> tuple[int, int]:
    prefix = 0
    while prefix < min(len(first), len(second)) and first[prefix] == second[prefix]:
        prefix += 1
    suffix = 0
    limit = min(len(first), len(second)) - prefix
    while suffix < limit and first[-1 - suffix] == second[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def estimate_states(first: str, second: str) -> tuple[float, str]:
    """The randomness of two starts' states: the weaker one's, not counting a constant part.

    A constant prefix or suffix ("acme-state-…") adds characters but no randomness, and it
    would make the alphabet look larger than the random part's.
    """
    prefix, suffix = _shared_affixes(first, second)
    if prefix + suffix < SHARED_AFFIX_MIN:
        return min(estimate_state(first), estimate_state(second))
    parts = (first[prefix : len(first) - suffix], second[prefix : len(second) - suffix])
    bits, looks = min(estimate_state(part) for part in parts)
    return bits, f"{looks} beside {prefix + suffix} characters that are the same on every start"


# --- the probe ------------------------------------------------------------------------------


def check_start(ctx: ProbeContext, findings: Findings, start: SignInStart) -> bool:
    """Whether the start reached the Onyx authorize URL; a verdict recorded when it did not."""
    login_url = ctx.profile.login_url
    walk = start.walk
    if start.target:
        findings.passed(f"{login_url} sends the browser to the Onyx authorize URL ({start.how()})")
        return True
    if walk.exit_url:
        try:
            shown = urlunsplit(urlsplit(walk.exit_url)._replace(query="", fragment=""))
        except ValueError:
            shown = walk.exit_url
        findings.fail(
            "AUTHORIZE_WRONG_ENDPOINT",
            f"{login_url} sends the browser to {shown}, not to the Onyx authorize URL "
            f"{ctx.profile.onyx_authorize_url}",
        )
    elif walk.stop is Stop.NEEDS_JAVASCRIPT:
        findings.warn(
            "AUTHORIZE_NEEDS_JAVASCRIPT",
            f"{login_url} starts sign-in with JavaScript, which the probe does not run: "
            "a person must confirm the authorization request (" + walk.detail + ")",
        )
    elif walk.loop:
        findings.fail("REDIRECT_LOOP", walk.loop_message())
    elif walk.stop is Stop.TOO_MANY_HOPS:
        findings.fail("AUTHORIZE_TOO_MANY_HOPS", walk.detail)
    else:
        findings.fail(
            "AUTHORIZE_NOT_REDIRECT",
            f"{login_url} does not send the browser on to Onyx: {walk.detail}",
        )
    return False


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
    """state is present, differs between two starts, and has at least 122 random bits."""
    states = first.get("state", ""), second.get("state", "")
    if not all(states):
        findings.fail("AUTHORIZE_STATE_MISSING", "the authorization request carries no state")
        return
    # Checked before strength: a fixed state defeats CSRF protection however long it is.
    if states[0] == states[1]:
        findings.fail("AUTHORIZE_STATE_REUSED", "state was identical on two sign-in starts")
        return
    bits, looks = estimate_states(*states)
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
    elif not PKCE_S256_CHALLENGE.match(challenge):
        findings.fail(
            "AUTHORIZE_PKCE_MALFORMED",
            f"the PKCE code_challenge is {len(challenge)} characters long and not base64url of a "
            "SHA-256 digest (43 characters), though the method says S256",
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
    """Start sign-in twice, as two fresh browsers, and judge the authorization requests."""
    findings = ctx.findings(PROBE_ID)
    starts = await together(
        start_sign_in(ctx, note="sign-in start 1"), start_sign_in(ctx, note="sign-in start 2")
    )
    for start in starts:
        for item in start.evidence:
            findings.record(item)
    for start in starts:
        if not check_start(ctx, findings, start):
            return findings.result("AUTHORIZE_OK", "")
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
        "sign-in sends the browser to Onyx with the production client id, a registered redirect "
        "URI, only needed scopes, fresh strong state and S256 PKCE",
    )
