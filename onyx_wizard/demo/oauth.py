"""The demo's sign-in: the login URL that starts an Onyx sign-in, the callback, and the Onyx
authorize stand-in (the real Onyx is never contacted)."""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets as rnd
from collections.abc import Iterable
from urllib.parse import quote, urlencode, urlsplit

from onyx_wizard.demo.http import Exchange, page
from onyx_wizard.demo.state import DemoState, PendingLogin
from onyx_wizard.demo.tokens import b64url

STATE_COOKIE = "__Host-acme_state"
INSECURE_STATE_COOKIE = "acme_state"
SESSION_COOKIE = "__Host-acme_session"
TOKEN_COOKIE = "acme_token"
NEXT_PARAMS = ("next", "url", "redirect", "return_to", "continue")

_LOGIN_SCOPES = ("openid", "profile")

# A traceback as a debug-mode framework would print it (callback-stack-trace).
_FAKE_TRACEBACK = """Traceback (most recent call last):
  File "/srv/acme/app.py", line 88, in callback
    check_state(request.args["state"], request.cookies["__Host-acme_state"])
  File "/srv/acme/oauth.py", line 41, in check_state
    raise StateMismatch(expected, received)
acme.oauth.StateMismatch: the state parameter does not match the state cookie
"""


def _is_local_path(value: str) -> bool:
    """True for a same-site path such as "/inbox"; false for URLs, "//host" and "/\\host"."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def _cookie_header(name: str, value: str, attributes: Iterable[str]) -> str:
    return "; ".join([f"{name}={value}", *attributes])


def _state_cookie_name(state: DemoState) -> str:
    return INSECURE_STATE_COOKIE if state.has_fault("cookie-no-secure") else STATE_COOKIE


def _state_cookie(state: DemoState, value: str, *, clear: bool = False) -> str:
    attributes = ["Path=/"]
    if not state.has_fault("cookie-no-secure"):
        attributes.append("Secure")
    if not state.has_fault("cookie-no-httponly"):
        attributes.append("HttpOnly")
    if not state.has_fault("cookie-no-samesite"):
        attributes.append("SameSite=Lax")  # Lax: the callback is a cross-site top-level GET
    attributes.append("Max-Age=0" if clear else "Max-Age=600")
    return _cookie_header(_state_cookie_name(state), value, attributes)


def _session_cookie(session: str) -> str:
    return _cookie_header(SESSION_COOKIE, session, ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"])


def _new_oauth_state(state: DemoState) -> str:
    """The `state` parameter of a new sign-in."""
    if state.has_fault("authorize-static-state"):
        return state.static_state
    if state.has_fault("authorize-weak-state"):
        return rnd.token_hex(8)
    return b64url(rnd.token_bytes(32))  # 256 bits, 43 characters


def _local_next(ex: Exchange, query: dict[str, str]) -> tuple[str | None, bool]:
    """The local `next`-style target (or None), and whether the open-redirect fault answered."""
    target = next((query[name] for name in NEXT_PARAMS if name in query), None)
    if target is None or _is_local_path(target):
        return target, False
    if ex.state.has_fault("open-redirect"):
        ex.reply(302, headers=[("Location", target)])
        return None, True
    return None, False  # a foreign target is ignored, never echoed


def login(ex: Exchange) -> None:
    """Start a sign-in: a state cookie, and a redirect to Onyx's authorize URL."""
    state, urls = ex.state, ex.urls
    target, answered = _local_next(ex, ex.query())
    if answered:
        return
    oauth_state = _new_oauth_state(state)
    verifier = b64url(rnd.token_bytes(32))
    state.remember_login(oauth_state, PendingLogin(verifier, target))
    preview = state.has_fault("authorize-preview-client")
    client_id = state.preview_client_id if preview else state.client_id
    redirect_uri = urls.redirect_uri + ("/" if state.has_fault("redirect-uri-mismatch") else "")
    scopes = list(_LOGIN_SCOPES)
    if state.has_fault("authorize-extra-scope"):
        scopes.append("contacts:read")
    if state.has_fault("authorize-messaging-scope"):
        scopes.append("messages:send")
    params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", " ".join(scopes)),
        ("state", oauth_state),
    ]
    if not state.has_fault("authorize-no-pkce"):
        challenge = b64url(hashlib.sha256(verifier.encode("ascii")).digest())
        params += [("code_challenge", challenge), ("code_challenge_method", "S256")]
    location = f"{urls.authorize_url}?{urlencode(params, quote_via=quote)}"
    headers = [("Location", location), ("Set-Cookie", _state_cookie(state, oauth_state))]
    if state.has_fault("cookie-holds-token"):
        token_cookie = _cookie_header(
            TOKEN_COOKIE, state.tokens.valid, ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
        )
        headers.append(("Set-Cookie", token_cookie))
    ex.reply(302, headers=headers)


def callback(ex: Exchange) -> None:
    """Onyx's redirect back: check the state, then sign the user in or explain the error."""
    state = ex.state
    query = ex.query()
    target, answered = _local_next(ex, query)
    if answered:
        return
    expected = ex.cookies().get(_state_cookie_name(state), "")
    oauth_state = query.get("state", "")
    state_ok = bool(oauth_state) and bool(expected) and hmac.compare_digest(oauth_state, expected)
    clear = ("Set-Cookie", _state_cookie(state, "", clear=True))
    error = query.get("error")

    if error is not None:
        if error == "access_denied" and state.has_fault("callback-500-on-denied"):
            # The faulty app assumes a code is always there.
            raise KeyError("code")
        headers = []
        if state.has_fault("callback-session-on-error"):
            # The faulty app signs the user in before looking at the error. Only a client
            # that keeps this cookie is signed in; the probes' shared client keeps none.
            headers.append(("Set-Cookie", _session_cookie(state.new_session())))
        if not state_ok:
            _callback_failed(ex, headers)
            return
        state.take_login(oauth_state)
        if error == "access_denied":
            body = "<h1>You declined</h1><p>You declined to sign in with Onyx.</p>"
            title = "You declined"
        else:
            body = "<h1>Sign-in could not be completed</h1><p>Please try again later.</p>"
            title = "Sign-in could not be completed"
        ex.reply(200, page(title, body), headers=[clear, *headers])
        return

    if not state_ok or not query.get("code"):
        _callback_failed(ex, [])
        return
    pending = state.take_login(oauth_state)
    destination = target or (pending.next_path if pending else None) or "/"
    session = state.new_session()
    headers = [("Location", destination), clear, ("Set-Cookie", _session_cookie(session))]
    ex.reply(302, headers=headers)


def _callback_failed(ex: Exchange, headers: list[tuple[str, str]]) -> None:
    if ex.state.has_fault("callback-stack-trace"):
        trace = f"<pre>{html.escape(_FAKE_TRACEBACK, quote=False)}</pre>"
        ex.reply(400, page("Error", trace), headers=headers)
        return
    body = "<h1>Sign-in could not be completed</h1><p>Please start again from the app.</p>"
    ex.reply(400, page("Sign-in could not be completed", body), headers=headers)


def authorize(ex: Exchange) -> None:
    """The Onyx authorize stand-in, so that following the login redirect lands somewhere."""
    body = "<h1>Onyx sign-in (demo stand-in)</h1><p>The real Onyx is not contacted.</p>"
    ex.reply(200, page("Onyx sign-in (demo stand-in)", body))
