"""The demo's protected API (`/api/v1/me`) and its CORS policy."""

from __future__ import annotations

from urllib.parse import urlsplit

from onyx_wizard.demo.http import Exchange
from onyx_wizard.demo.oauth import INSECURE_STATE_COOKIE, SESSION_COOKIE, STATE_COOKIE, TOKEN_COOKIE
from onyx_wizard.demo.state import DemoState

# Cookies the app sets for other purposes: a client replaying them is not trying a session.
_OTHER_COOKIES = frozenset({STATE_COOKIE, INSECURE_STATE_COOKIE, TOKEN_COOKIE})


def cors_allow(state: DemoState, allowed: str, origin: str) -> str | None:
    """The Access-Control-Allow-Origin value for `origin`, or None to send none."""
    if state.has_fault("cors-wildcard-credentials"):
        return "*"
    if origin == allowed or state.has_fault("cors-reflect-origin"):
        return origin
    if origin == "null":
        return "null" if state.has_fault("cors-null-origin") else None
    try:
        parts, mine = urlsplit(origin), urlsplit(allowed)
        same_port = parts.port == mine.port
    except ValueError:
        return None
    host, my_host = parts.hostname or "", mine.hostname or ""
    if parts.scheme != mine.scheme or not same_port or not host:
        return None
    if state.has_fault("cors-suffix-match") and host.endswith(my_host):
        return origin
    # Only "<host>." counts, so that this fault does not also pass the underscore variant.
    if state.has_fault("cors-prefix-match") and host.startswith(my_host + "."):
        return origin
    return None


def _cors_headers(ex: Exchange, *, preflight: bool) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    if not (preflight and ex.state.has_fault("cors-no-vary")):
        headers.append(("Vary", "Origin"))
    origin = ex.headers.get("Origin")
    allowed = cors_allow(ex.state, ex.urls.base, origin) if origin is not None else None
    if allowed is None:
        return headers
    headers += [
        ("Access-Control-Allow-Origin", allowed),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    if preflight:
        headers += [
            ("Access-Control-Allow-Methods", "GET, POST"),
            ("Access-Control-Allow-Headers", "authorization, content-type"),
            ("Access-Control-Max-Age", "600"),
        ]
    return headers


def preflight(ex: Exchange) -> None:
    ex.reply(204, headers=_cors_headers(ex, preflight=True))


def _unauthorized(ex: Exchange, challenge: str, headers: list[tuple[str, str]]) -> None:
    if not ex.state.has_fault("token-no-www-authenticate"):
        headers = [*headers, ("WWW-Authenticate", challenge)]
    error = "invalid_token" if "error=" in challenge else "unauthorized"
    ex.reply_json(401, {"error": error}, headers)


def me(ex: Exchange) -> None:
    """The signed-in user, for a valid bearer token or session cookie; else 401."""
    state = ex.state
    cors = _cors_headers(ex, preflight=False)
    authorization = ex.headers.get("Authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            claims = state.tokens.check(
                token.strip(),
                accept_expired=state.has_fault("token-accepts-expired"),
                accept_revoked=state.has_fault("token-accepts-revoked"),
            )
            if claims is None:
                _unauthorized(ex, 'Bearer error="invalid_token"', cors)
                return
            ex.reply_json(200, {"sub": claims["sub"], "name": "Demo User", "via": "token"}, cors)
            return
    cookies = ex.cookies()
    subject = state.session_subject(cookies.get(SESSION_COOKIE, ""))
    if subject is not None:
        ex.reply_json(200, {"sub": subject, "name": "Demo User", "via": "session"}, cors)
        return
    # A shared client may replay the app's other cookies; that must not trip session-forged-500.
    unknown = set(cookies) - _OTHER_COOKIES
    if unknown and state.has_fault("session-forged-500"):
        # The faulty app looks the session up without checking it exists.
        raise KeyError("session")
    if unknown and state.has_fault("session-forged-crash"):
        # The same bug, in a native extension that takes the worker down with it.
        ex.crash_after_error()
        raise KeyError("session")
    _unauthorized(ex, 'Bearer realm="acme"', cors)
