"""Session cookies: the sign-in start's cookies are safe, unknown session ids are not adopted,
and forged session cookies are refused.

Cookies are judged by role, from their name (`cookie_role`): a CSRF-token cookie (a name holding
csrf, xsrf or antiforgery: XSRF-TOKEN, csrftoken, csrf_token, _csrf, …) is meant to be read by
scripts, so it needs Secure and SameSite but may lack HttpOnly; a load balancer's affinity cookie
(`_INFRASTRUCTURE` names) carries no identity and is only checked for tokens; every other cookie
the sign-in start sets is presumed to hold session or sign-in state and needs Secure, HttpOnly,
a valid SameSite and the `__Host-`/`__Secure-` rules.

Session fixation, as far as a probe that cannot finish a sign-in can see it: a session id the
app never issued, planted before sign-in starts, must be replaced by one of the app's own. Only
cookies that two fresh starts set under the same name with different values are planted (a
constant value or a per-start name is no session id), each with a value of the issued one's shape.

How the probe could still pass a broken app, and what covers it:
- the session cookie is set on a later same-host hop or by the sign-in form's POST: the start is
  walked as a browser would (corpus `valid.login-hop`, `valid.login-post-form`);
- an id store that checks the id's format before adopting it: planted values keep that format;
- a store that crashes on a tampered (well-formed, badly signed) value only: the issued value
  with one character changed is forged too, besides random values;
- a store that decodes the signature leniently would not see a change to its last base64
  character, which may hold only padding bits ("…A" and "…B" decode alike): the character
  changed is the one before it (`tampered`).
How a correct app could fail it, and what prevents that:
- an XSRF-TOKEN cookie without HttpOnly (Angular, Laravel): the CSRF role (corpus
  `valid.xsrf-cookie`);
- per-start cookie names (ASP.NET correlation cookies) or constant preference cookies would look
  "kept" when planted: only names two fresh starts set with different values are planted;
- a signed JWT the app keeps its own session in: a JWT fails only when it is a known token or
  looks like Onyx's (its issuer, audience or scopes); any other is a note for a person.
"Expired" sessions cannot be made from outside; the closest the probe sends are the tampered
issued value and the sign-in start's own cookies (a session that never signed in).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from onyx_wizard.probes._browser import (
    SetCookie,
    SignInStart,
    cookie_role,
    parse_set_cookie,
    start_sign_in,
)
from onyx_wizard.probes._context import HEADERS_ONLY_BODY, ProbeContext, Response
from onyx_wizard.probes._jwt import parse_jwt
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._tasks import together
from onyx_wizard.secrets import SecretKey

PROBE_ID = "session-cookies"

_TOKEN_SECRETS = (
    SecretKey.VALID_ACCESS_TOKEN,
    SecretKey.EXPIRED_ACCESS_TOKEN,
    SecretKey.REVOKED_ACCESS_TOKEN,
)
# Names a session cookie commonly has, forged besides the ones the sign-in start sets.
COMMON_SESSION_NAMES = (
    "session",
    "sessionid",
    "connect.sid",
    "__Host-session",
    "JSESSIONID",
    "PHPSESSID",
    "laravel_session",
    "_session_id",
)
MAX_FORGED_NAMES = 12
# Load balancers' affinity cookies (name prefixes): routing hints, no identity.
_INFRASTRUCTURE = ("AWSALB", "AWSELB", "__cf_bm", "__cflb", "BIGipServer", "INGRESSCOOKIE")
_TOKEN_PARAMS = ("access_token", "id_token", "refresh_token")
# Candidate JWS (3 parts) or JWE (5 parts) inside a longer value, e.g. "s:eyJ….….…".
_JWT_CANDIDATE = re.compile(r"[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2}(?:(?:\.[A-Za-z0-9_-]*){2})?")
_ACCESS_CLAIMS = ("scope", "scp", "client_id", "azp")


def role_of(name: str) -> str:
    """A cookie's role for these rules: "csrf", "infrastructure" or "session"."""
    if cookie_role(name) == "csrf":
        return "csrf"
    if name.startswith(_INFRASTRUCTURE):
        return "infrastructure"
    return "session"


# --- tokens in cookies and URLs -------------------------------------------------------------


@dataclass(frozen=True)
class TokenClues:
    """What marks a value as an Onyx token: known token values, Onyx's host, the client id."""

    known: tuple[str, ...] = ()
    issuer_host: str = ""
    client_id: str = ""

    def is_onyx_claims(self, claims: Mapping[str, object]) -> bool:
        """Whether JWT claims look like an Onyx token's: its issuer, our audience, scopes."""
        issuer = str(claims.get("iss", ""))
        if self.issuer_host and issuer and _host(issuer) == self.issuer_host:
            return True
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id and self.client_id in audiences:
            return True
        return any(name in claims for name in _ACCESS_CLAIMS)

    def token_in(self, value: str) -> str:
        """What token `value` holds: '' for none (an encrypted JWT reveals nothing either), 'a JWT'
        for a readable one that is not Onyx's, else what marks it as an access token."""
        value = unquote(value)
        if any(token and token in value for token in self.known):
            return "a known access token"
        unknown = ""
        for match in _JWT_CANDIDATE.finditer(value):
            jwt = parse_jwt(match.group(0))
            if jwt is not None:
                if self.is_onyx_claims(jwt.claims):
                    return "an Onyx access token (a JWT with Onyx's issuer, audience or scopes)"
                unknown = "a JWT"
        return unknown


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def token_in_url(url: str, clues: TokenClues) -> str:
    """What in `url` carries a token ('' when nothing does): a token parameter or a token."""
    parts = urlsplit(url)
    for where in (parts.query, parts.fragment):
        for name, _ in parse_qsl(where, keep_blank_values=True):
            if name.lower() in _TOKEN_PARAMS:
                return f"the parameter {name}"
    found = clues.token_in(url)
    return "" if found == "a JWT" else found  # a signed state may well be a JWT


# --- attributes -----------------------------------------------------------------------------


def check_cookie(findings: Findings, cookie: SetCookie, clues: TokenClues) -> None:
    """Judge one cookie by its role; Secure first, then HttpOnly, SameSite, prefixes, content."""
    role = role_of(cookie.name)
    label = f"the cookie {cookie.name} set at sign-in start"
    if role == "csrf":
        label += " (a CSRF-token cookie)"
    secure = cookie.has("secure")
    same_site = cookie.get("samesite").lower()
    if role != "infrastructure":
        if not secure:
            findings.fail("COOKIE_NOT_SECURE", f"{label} lacks the Secure attribute")
        if role == "session" and not cookie.has("httponly"):
            findings.fail("COOKIE_NOT_HTTPONLY", f"{label} lacks the HttpOnly attribute")
        if not cookie.has("samesite"):
            findings.fail("COOKIE_SAMESITE_MISSING", f"{label} has no SameSite attribute")
        elif same_site not in ("lax", "strict", "none"):
            findings.fail(
                "COOKIE_SAMESITE_INVALID",
                f"{label} has SameSite={cookie.get('samesite')}, which is not Lax, Strict or None",
            )
        elif same_site == "none" and not secure:
            findings.fail("COOKIE_SAMESITE_INVALID", f"{label} has SameSite=None without Secure")
    if cookie.name.startswith("__Host-") and (
        not secure or cookie.get("path") != "/" or cookie.has("domain")
    ):
        findings.fail(
            "COOKIE_HOST_PREFIX_INVALID",
            f"{label} has the __Host- prefix but not Secure, Path=/ and no Domain",
        )
    if cookie.name.startswith("__Secure-") and not secure:
        findings.fail(
            "COOKIE_SECURE_PREFIX_INVALID", f"{label} has the __Secure- prefix without Secure"
        )
    if role == "session" and same_site == "strict":
        # The callback arrives as a cross-site top-level GET, which Strict cookies never join.
        findings.warn(
            "COOKIE_SAMESITE_STRICT",
            f"{label} has SameSite=Strict, so it is not sent when Onyx redirects back to the "
            "callback",
        )
    held = clues.token_in(cookie.value)
    if held == "a JWT":
        findings.record({"note": f"{label} holds a JWT that is not Onyx's (the app's own?)"})
    elif held:
        findings.fail("COOKIE_HOLDS_TOKEN", f"{label} holds {held} in its value")
    else:
        findings.passed(f"{label}: attributes fit its role ({role})")


# --- forged and planted values --------------------------------------------------------------


def forged_cookie_names(seen: Sequence[str]) -> list[str]:
    """Cookie names to forge: the ones the sign-in start set, then the common session names."""
    return list(dict.fromkeys([*seen, *COMMON_SESSION_NAMES]))[:MAX_FORGED_NAMES]


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def value_like(sample: str) -> str:
    """A random value of `sample`'s shape: each letter or digit replaced by a random one of its
    kind (hex digits by hex digits), punctuation and percent-escapes kept, so that a format check
    alone cannot refuse it."""
    if not sample:
        return secrets.token_urlsafe(24)
    kept = {i for m in _PERCENT_ESCAPE.finditer(sample) for i in range(m.start(), m.end())}
    # Hex stays hex: a store may check the alphabet as well as the length.
    lower = "abcdef" if set(sample) & set(string.ascii_lowercase) <= set("abcdef") else ""
    upper = "ABCDEF" if set(sample) & set(string.ascii_uppercase) <= set("ABCDEF") else ""
    out = []
    for index, char in enumerate(sample):
        if index in kept or not char.isascii() or not char.isalnum():
            out.append(char)
        elif char.isdigit():
            out.append(secrets.choice(string.digits))
        elif char.islower():
            out.append(secrets.choice(lower or string.ascii_lowercase))
        else:
            out.append(secrets.choice(upper or string.ascii_uppercase))
    forged = "".join(out)
    return forged if forged != sample else secrets.token_urlsafe(24)


# The characters of a base64 / base64url / hex run: a signature at the end of a cookie value.
_SIGNATURE_CHARS = frozenset(string.ascii_letters + string.digits + "-_+/")


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def tampered(value: str) -> str:
    """`value` with one letter or digit of its signature changed: well-formed, but no longer
    what was signed.

    The signature is taken to be the run of base64/hex characters at the end (before any `=`
    padding, raw or as `%3D`). Its *last* character is not changed: in base64 it may carry
    padding bits that lenient decoders drop (itsdangerous, Python's b64decode), so a signature
    ending in "A" changed to "B" still decodes to the same bytes. The one before it counts in
    full in every alphabet. A letter stays a letter of its case and a digit a digit ("a"/"b",
    "A"/"B", "0"/"1"), so hex stays hex.
    """
    end = len(value)
    while True:
        if value[:end].endswith("="):
            end -= 1
        elif value[:end].upper().endswith("%3D"):
            end -= 3
        else:
            break
    start = end
    while start > 0 and value[start - 1] in _SIGNATURE_CHARS:
        start -= 1
    run = [i for i in range(start, end) if _alnum(value[i])]
    if len(run) >= 2:
        index = run[-2]
    else:
        index = next((i for i in range(len(value) - 1, -1, -1) if _alnum(value[i])), -1)
        if index < 0:
            return value + "A"
    char = value[index]
    first = "0" if char.isdigit() else "a" if char.islower() else "A"
    swap = first if char != first else chr(ord(first) + 1)
    return value[:index] + swap + value[index + 1 :]


def forgeries(live: Mapping[str, SetCookie]) -> list[tuple[str, str, str]]:
    """(what, name, value) to offer the protected URL: a random value of each name to forge,
    then each issued value tampered with."""
    found = [
        (f"a forged {name} cookie", name, value_like(live[name].value if name in live else ""))
        for name in forged_cookie_names(list(live))
    ]
    found += [
        (
            f"a tampered {name} cookie (the issued value, one character changed)",
            name,
            tampered(c.value),
        )
        for name, c in list(live.items())[:MAX_FORGED_NAMES]
    ]
    return found


def _live_cookies(start: SignInStart) -> dict[str, SetCookie]:
    """The last Set-Cookie of each name along the sign-in start, deletions left out."""
    last: dict[str, SetCookie] = {}
    for response in start.walk.chain:
        for header in response.set_cookies():
            cookie = parse_set_cookie(header)
            if cookie.name:
                last[cookie.name] = cookie
    return {name: cookie for name, cookie in last.items() if not cookie.deletes}


def _set_values(start: SignInStart, name: str) -> list[SetCookie]:
    return [
        cookie
        for response in start.walk.chain
        for cookie in map(parse_set_cookie, response.set_cookies())
        if cookie.name == name
    ]


def fixation_candidates(first: SignInStart, second: SignInStart) -> dict[str, str]:
    """Session-role cookies two fresh starts both set, with different values: name → a value."""
    one, two = _live_cookies(first), _live_cookies(second)
    return {
        name: cookie.value
        for name, cookie in one.items()
        if role_of(name) == "session" and name in two and two[name].value != cookie.value
    }


def _check_fixation(findings: Findings, planted: Mapping[str, str], start: SignInStart) -> None:
    for name, value in planted.items():
        answers = _set_values(start, name)
        fresh = [c for c in answers if not c.deletes and c.value != value]
        if fresh:
            findings.passed(f"{name}: a planted id was replaced by one the app issued")
        elif any(not c.deletes for c in answers):
            findings.fail(
                "SESSION_FIXATION",
                f"the sign-in start set the cookie {name} back to a value the probe planted "
                "(an id the app never issued), so an attacker can fix a victim's session",
            )
        elif answers:
            findings.passed(f"{name}: a planted id was deleted")
        else:
            findings.fail(
                "SESSION_FIXATION",
                f"the sign-in start kept using a {name} cookie the probe planted (an id the app "
                "never issued) and issued none of its own, so an attacker can fix a victim's "
                "session",
            )


def _check_forged(findings: Findings, what: str, response: Response) -> None:
    if response.status >= 500:
        findings.fail(
            "SESSION_FORGED_5XX", f"the protected URL answered {response.status} to {what}"
        )
    elif 200 <= response.status < 300:
        findings.fail(
            "SESSION_FORGED_ACCEPTED",
            f"the protected URL accepted {what} with {response.status}",
        )


@probe(
    PROBE_ID,
    title="Sign-in cookies are safe, unknown session ids are not adopted, forged ones refused",
    profile=("login_url", "protected_url"),
)
async def session_cookies(ctx: ProbeContext) -> ProbeResult:
    """Start sign-in twice, judge its cookies, plant an id, then offer forged session cookies."""
    findings = ctx.findings(PROBE_ID)
    profile = ctx.profile
    # Token secrets are optional here: each one present sharpens the token-in-cookie check.
    clues = TokenClues(
        tuple(ctx.secrets[key] for key in _TOKEN_SECRETS if ctx.secrets.get(key)),
        _host(profile.onyx_authorize_url),
        profile.client_id,
    )
    first, second = await together(
        start_sign_in(ctx, note="sign-in start"),
        start_sign_in(ctx, note="sign-in start, again"),
    )
    for response in first.walk.chain:
        findings.record(response.evidence)
    live = _live_cookies(first)
    for cookie in live.values():
        check_cookie(findings, cookie, clues)
    for response in first.walk.chain:
        carried = token_in_url(response.location, clues) if response.location else ""
        if carried:
            findings.fail(
                "TOKEN_IN_URL", f"{response.url} redirects to a URL that carries {carried}"
            )

    issued = fixation_candidates(first, second)
    planted = {name: value_like(value) for name, value in issued.items()}
    forged = forgeries(live)
    url = profile.protected_url
    anonymous = first.jar.header_for(url)

    async def offer(cookie: str, note: str) -> Response:
        # Judged on the status alone: the body is read to its digest.
        return await ctx.fetch(
            "GET", url, headers={"cookie": cookie}, note=note, body_limit=HEADERS_ONLY_BODY
        )

    async def attack() -> SignInStart | None:
        if not planted:
            return None
        return await start_sign_in(ctx, cookies=planted, note="sign-in start, id planted")

    async def unauthenticated() -> Response | None:
        return await offer(anonymous, "the sign-in start's own cookies") if anonymous else None

    # One task group: a failed request cancels the others rather than leaving them running.
    async with asyncio.TaskGroup() as group:
        attacking = group.create_task(attack())
        offering = group.create_task(
            together(*(offer(f"{name}={value}", what) for what, name, value in forged))
        )
        asking = group.create_task(unauthenticated())
    attacked, forged_answers, anonymous_answer = (
        attacking.result(),
        offering.result(),
        asking.result(),
    )
    if attacked is not None:
        for response in attacked.walk.chain:
            findings.record(response.evidence)
        _check_fixation(findings, planted, attacked)
    else:
        findings.record(
            {
                "note": "session fixation not observable: two fresh sign-in starts set no "
                "session cookie with a per-browser value"
            }
        )
    for (what, _, _), response in zip(forged, forged_answers, strict=True):
        findings.record(response.evidence)
        _check_forged(findings, what, response)
    if anonymous_answer is not None:
        findings.record(anonymous_answer.evidence)
        _check_forged(
            findings, "the cookies of a sign-in start that never signed in", anonymous_answer
        )

    loop = next((s.walk.loop_message() for s in (first, second) if s.walk.loop), "")
    if loop:
        # The sign-in start never lands: the cookies it would set cannot be seen.
        findings.fail("REDIRECT_LOOP", loop)

    what = "the sign-in start sets no cookies"
    if live:
        what = f"the {len(live)} cookie(s) the sign-in start sets fit their roles"
    if planted:
        what += "; a planted session id is replaced"
    return findings.result("COOKIES_OK", f"{what}; forged session cookies are refused")
