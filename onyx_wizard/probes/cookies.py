"""Session cookies: login cookies are safe and hold no token, and forged sessions are refused."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.secrets import SecretKey

PROBE_ID = "session-cookies"

_TOKEN_SECRETS = (
    SecretKey.VALID_ACCESS_TOKEN,
    SecretKey.EXPIRED_ACCESS_TOKEN,
    SecretKey.REVOKED_ACCESS_TOKEN,
)
# Names a session cookie commonly has, tried besides the ones the login sets.
_COMMON_SESSION_NAMES = ("session", "__Host-session")
_TOKEN_PARAMS = ("access_token", "id_token", "refresh_token")
# Candidate JWS (3 parts) or JWE (5 parts) inside a longer value, e.g. "s:eyJ….….…".
_JWT_CANDIDATE = re.compile(r"[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2}(?:(?:\.[A-Za-z0-9_-]*){2})?")


@dataclass(frozen=True)
class SetCookie:
    """One `Set-Cookie` header: name, value, and attributes keyed by lower-case name."""

    name: str
    value: str
    attributes: dict[str, str] = field(default_factory=dict)

    def has(self, attribute: str) -> bool:
        return attribute.lower() in self.attributes

    def get(self, attribute: str) -> str:
        return self.attributes.get(attribute.lower(), "")

    @property
    def deletes(self) -> bool:
        """Whether the header removes the cookie (Max-Age ≤ 0 or Expires in the past)."""
        max_age = self.get("max-age").strip()
        if max_age:
            try:
                return int(max_age) <= 0
            except ValueError:
                pass
        expires = self.get("expires").strip()
        if expires:
            try:
                when = parsedate_to_datetime(expires)
            except (TypeError, ValueError, IndexError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when < datetime.now(UTC)
        return False


def parse_set_cookie(header: str) -> SetCookie:
    """Parse one `Set-Cookie` header value; attribute names are matched case-insensitively."""
    pair, *parts = header.split(";")
    name, _, value = pair.partition("=")
    attributes: dict[str, str] = {}
    for part in parts:
        key, _, attr_value = part.partition("=")
        key = key.strip().lower()
        if key:
            # rfc6265bis: when an attribute repeats, the last one wins.
            attributes[key] = attr_value.strip()
    return SetCookie(name.strip(), value.strip().strip('"'), attributes)


def _b64url_json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None


def looks_like_jwt(value: str) -> bool:
    """Whether `value` holds a JWT: dot-separated base64url parts, the first a JSON header."""
    for match in _JWT_CANDIDATE.finditer(value):
        header = _b64url_json(match.group(0).split(".", 1)[0])
        if isinstance(header, dict) and "alg" in header:
            return True
    return False


def token_in_url(url: str, known_tokens: list[str]) -> str:
    """What in `url` carries a token ('' when nothing does): a token parameter, a JWT, a token."""
    parts = urlsplit(url)
    for where in (parts.query, parts.fragment):
        for name, value in parse_qsl(where, keep_blank_values=True):
            if name.lower() in _TOKEN_PARAMS:
                return f"the parameter {name}"
            if looks_like_jwt(value):
                return f"a JWT in the parameter {name}"
    decoded = unquote(url)
    if any(token in decoded for token in known_tokens):
        return "a known access token"
    if looks_like_jwt(decoded):
        return "a JWT"
    return ""


def _holds_token(cookie: SetCookie, known_tokens: list[str]) -> bool:
    value = unquote(cookie.value)
    return looks_like_jwt(value) or any(token in value for token in known_tokens)


def check_cookie(findings: Findings, cookie: SetCookie, known_tokens: list[str]) -> None:
    """Judge one cookie; Secure comes first, then HttpOnly, SameSite, prefixes and content."""
    label = f"the cookie {cookie.name} set by the login URL"
    secure = cookie.has("secure")
    same_site = cookie.get("samesite").lower()
    if not secure:
        findings.fail("COOKIE_NOT_SECURE", f"{label} lacks the Secure attribute")
    if not cookie.has("httponly"):
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
    if same_site == "strict":
        # The callback arrives as a cross-site top-level GET, which Strict cookies never join.
        findings.warn(
            "COOKIE_SAMESITE_STRICT",
            f"{label} has SameSite=Strict, so it is not sent when Onyx redirects back to the "
            "callback",
        )
    if _holds_token(cookie, known_tokens):
        findings.fail("COOKIE_HOLDS_TOKEN", f"{label} holds an access token in its value")


def forged_cookie_names(seen: list[str]) -> list[str]:
    """Cookie names to forge: likely session names first, then the names the login set."""
    # A login that sets "<prefix>state" most likely keeps its session in "<prefix>session".
    twins = [re.sub(r"state$", "session", name, flags=re.IGNORECASE) for name in seen]
    return list(dict.fromkeys([*twins, *_COMMON_SESSION_NAMES, *seen]))


@probe(
    PROBE_ID,
    title="Login cookies are safe and a forged session is refused",
    profile=("login_url", "protected_url"),
)
async def session_cookies(ctx: ProbeContext) -> ProbeResult:
    """Inspect the cookies the login sets, then offer the protected URL forged session cookies."""
    findings = Findings(PROBE_ID)
    # Token secrets are optional here: each one present sharpens the token-in-cookie check.
    known_tokens = [ctx.secrets[key] for key in _TOKEN_SECRETS if ctx.secrets.get(key)]

    login = await ctx.fetch("GET", ctx.profile.login_url, note="start sign-in")
    findings.record(login.evidence)
    cookies = [parse_set_cookie(header) for header in login.set_cookies()]
    live = [cookie for cookie in cookies if not cookie.deletes]
    for cookie in live:
        check_cookie(findings, cookie, known_tokens)
    if cookies and not live:
        findings.record({"note": "the login URL only deletes cookies"})

    carried = token_in_url(login.location, known_tokens) if login.location else ""
    if carried:
        findings.fail("TOKEN_IN_URL", f"the login URL redirects to a URL that carries {carried}")

    names = forged_cookie_names([cookie.name for cookie in cookies if cookie.name])
    forged = await asyncio.gather(
        *(
            ctx.fetch(
                "GET",
                ctx.profile.protected_url,
                headers={"cookie": f"{name}={secrets.token_urlsafe(24)}"},
                note=f"forged cookie {name}",
            )
            for name in names
        )
    )
    for name, response in zip(names, forged, strict=True):
        findings.record(response.evidence)
        if response.status >= 500:
            findings.fail(
                "SESSION_FORGED_5XX",
                f"the protected URL answered {response.status} to a forged {name} cookie",
            )
        elif 200 <= response.status < 300:
            findings.fail(
                "SESSION_FORGED_ACCEPTED",
                f"the protected URL accepted a forged {name} cookie with {response.status}",
            )

    if live:
        message = (
            f"the {len(live)} cookie(s) the login sets are Secure, HttpOnly and SameSite and "
            "hold no token; forged session cookies are refused"
        )
    else:
        message = "the login URL sets no cookies; forged session cookies are refused"
    return findings.result("COOKIES_OK", message)
