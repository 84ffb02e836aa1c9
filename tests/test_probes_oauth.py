"""The OAuth, TLS and domain probes: their pure parts, the redirect-URI probe through the runner,
and the sign-in probes (authorize, callback, open redirect) through the runner against small
partner apps served over real HTTPS on loopback."""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from conftest import RouteServer

from onyx_wizard.probes import (
    Findings,
    Outcome,
    ProbeContext,
    ProbeResult,
    Response,
    run_probes,
)
from onyx_wizard.probes._browser import (
    CookieJar,
    Stop,
    cookie_role,
    fetch_fresh,
    parse_page,
    parse_set_cookie,
    query_params,
    redirect_values,
    refresh_url,
    resolve_location,
    same_endpoint,
    start_sign_in,
    with_query,
)
from onyx_wizard.probes.authorize import (
    check_client,
    check_pkce,
    check_scopes,
    check_state,
    estimate_state,
    estimate_states,
)
from onyx_wizard.probes.callback import (
    cookies_say,
    find_stack_trace,
    identity_added,
    session_payload,
    tamper,
)
from onyx_wizard.probes.domain import WELL_KNOWN, check_well_known, parse_nameserver
from onyx_wizard.probes.open_redirect import (
    Bounds,
    Trial,
    allowed_hosts,
    foreign_targets,
    problems,
    target_host,
)
from onyx_wizard.probes.redirect_uris import near_duplicates, uri_problem, within_domain
from onyx_wizard.probes.tls import DAY, Handshake, check_expiry, days_phrase, hsts_max_age, targets
from onyx_wizard.profile import Profile

PORT = 8443
BASE = f"https://localhost:{PORT}"
CALLBACK = f"{BASE}/onyx/callback"
AUTHORIZE = f"https://127.0.0.1:{PORT}/oauth/authorize"


def demo_like_profile(**changes: object) -> Profile:
    """A profile shaped like the demo deployment's."""
    data: dict[str, object] = {
        "app_name": "Acme",
        "production_domain": f"localhost:{PORT}",
        "allowed_origins": [BASE],
        "redirect_uris": [CALLBACK],
        "login_url": f"{BASE}/login/onyx",
        "protected_url": f"{BASE}/api/v1/me",
        "webhook_url": f"{BASE}/onyx/events",
        "privacy_notice_url": f"{BASE}/privacy",
        "features": ["sign-in", "messaging", "events", "partner-connectivity"],
        "onyx_authorize_url": AUTHORIZE,
        "client_id": "acme-demo-prod",
        "preview_client_id": "acme-demo-preview",
    }
    data.update(changes)
    return Profile.model_validate(data)


def first_code(findings: Findings) -> str:
    return findings.result("OK", "fine").reason_code


def b64url_state() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


# --- redirect-uri-rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        (CALLBACK, None),
        ("https://app.localhost/onyx/callback", None),
        ("http://127.0.0.1:9000/cb", "REDIRECT_URI_FOREIGN_HOST"),  # loopback http, other host
        (f"http://localhost:{PORT}/onyx/alt-callback", "REDIRECT_URI_NOT_HTTPS"),
        (f"https://*.localhost:{PORT}/onyx/callback", "REDIRECT_URI_WILDCARD"),
        (f"{CALLBACK}#frag", "REDIRECT_URI_FRAGMENT"),
        (f"{CALLBACK}#", "REDIRECT_URI_FRAGMENT"),
        (f"https://user:pw@localhost:{PORT}/cb", "REDIRECT_URI_USERINFO"),
        ("https://evil.example/onyx/callback", "REDIRECT_URI_FOREIGN_HOST"),
        ("https://evillocalhost/onyx/callback", "REDIRECT_URI_FOREIGN_HOST"),
        ("com.acme.app:/callback", "REDIRECT_URI_NOT_ABSOLUTE"),
        ("ftp://localhost/cb", "REDIRECT_URI_NOT_HTTPS"),
    ],
)
def test_redirect_uri_rules(uri: str, code: str | None) -> None:
    problem = uri_problem(uri, "localhost")
    assert (problem[0] if problem else None) == code
    if problem:
        assert uri in problem[1]


def test_http_is_allowed_on_loopback_ips_only() -> None:
    assert uri_problem("http://127.0.0.1:9000/cb", "127.0.0.1") is None
    assert uri_problem("http://[::1]:9000/cb", "::1") is None
    assert uri_problem("http://localhost:9000/cb", "localhost") is not None


def test_within_domain_compares_hosts_not_suffixes() -> None:
    assert within_domain("acme.example", "acme.example")
    assert within_domain("App.Acme.Example.", "acme.example")
    assert not within_domain("evilacme.example", "acme.example")
    assert not within_domain("acme.example.evil", "acme.example")


def test_near_duplicates_differ_in_case_or_trailing_slash() -> None:
    groups = near_duplicates([CALLBACK, CALLBACK + "/", CALLBACK.upper(), f"{BASE}/other"])
    assert groups == [[CALLBACK, CALLBACK + "/", CALLBACK.upper()]]


async def test_redirect_uri_probe_passes_the_demo_profile() -> None:
    (result,) = await run_probes(["redirect-uri-rules"], demo_like_profile(), {})
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "REDIRECT_URIS_OK")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (f"http://localhost:{PORT}/onyx/alt-callback", "REDIRECT_URI_NOT_HTTPS"),
        (f"https://*.localhost:{PORT}/onyx/callback", "REDIRECT_URI_WILDCARD"),
    ],
)
async def test_redirect_uri_probe_catches_the_profile_faults(extra: str, code: str) -> None:
    profile = demo_like_profile(redirect_uris=[CALLBACK, extra])
    (result,) = await run_probes(["redirect-uri-rules"], profile, {})
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, code)
    assert extra in result.message


async def test_redirect_uri_probe_warns_on_near_duplicates() -> None:
    profile = demo_like_profile(redirect_uris=[CALLBACK, CALLBACK + "/"])
    (result,) = await run_probes(["redirect-uri-rules"], profile, {})
    assert (result.outcome, result.reason_code) == (Outcome.WARN, "REDIRECT_URI_NEAR_DUPLICATE")


# --- authorize-request -----------------------------------------------------------------------


def test_state_entropy_estimates() -> None:
    assert estimate_state(b64url_state())[0] >= 250
    assert estimate_state(secrets.token_hex(8)) == (64.0, "16 hex characters")
    assert estimate_state(secrets.token_hex(16))[0] == 128.0
    assert estimate_state("1234567890")[0] == pytest.approx(33.2, abs=0.1)
    # Padding adds nothing; a lower-case-only string is judged on 26 symbols, not 64.
    assert estimate_state("wxyz==")[0] == estimate_state("wxyz")[0] == pytest.approx(18.8, 0.01)
    assert estimate_state("")[0] == 0.0


def test_uuid_states_count_their_random_bits_by_version() -> None:
    # A version 4 UUID passes (DESIGN: a UUID4 passes); time- and name-based UUIDs are guessable.
    assert estimate_state(str(uuid.uuid4())) == (122.0, "a UUID")
    assert estimate_state(str(uuid.uuid4()).upper())[0] == 122.0
    assert estimate_state(str(uuid.uuid1())) == (14.0, "a version 1 UUID")
    assert estimate_state(str(uuid.uuid5(uuid.NAMESPACE_URL, "x")))[0] == 0.0
    assert estimate_state("00000000-0000-0000-0000-000000000000")[0] <= 128.0


def test_a_constant_part_of_the_state_adds_no_randomness() -> None:
    # "acme-state-" + 16 hex looks like 27 characters of a large alphabet (~160 bits) alone.
    first, second = (f"acme-state-{secrets.token_hex(8)}" for _ in range(2))
    assert estimate_state(first)[0] > 122
    bits, looks = estimate_states(first, second)
    assert bits <= 64 and "the same on every start" in looks
    # Two strong states rarely share more than a character or two: nothing is discounted.
    strong = estimate_states(b64url_state(), b64url_state())
    assert strong[0] >= 240 and "same" not in strong[1]


def test_state_checks_in_order() -> None:
    strong = b64url_state()
    cases = [
        ({}, {}, "AUTHORIZE_STATE_MISSING"),
        ({"state": strong}, {"state": strong}, "AUTHORIZE_STATE_REUSED"),
        ({"state": "a" * 16}, {"state": "b" * 16}, "AUTHORIZE_STATE_WEAK"),
        ({"state": secrets.token_hex(8)}, {"state": secrets.token_hex(8)}, "AUTHORIZE_STATE_WEAK"),
        ({"state": str(uuid.uuid1())}, {"state": str(uuid.uuid1())}, "AUTHORIZE_STATE_WEAK"),
        ({"state": str(uuid.uuid4())}, {"state": str(uuid.uuid4())}, "OK"),
        ({"state": strong}, {"state": b64url_state()}, "OK"),
    ]
    for first, second, code in cases:
        findings = Findings("authorize-request")
        check_state(findings, first, second)
        assert first_code(findings) == code, first


def test_pkce_checks() -> None:
    c1, c2 = b64url_state(), b64url_state()  # 43 base64url characters, as S256 gives
    good = {"code_challenge": c1, "code_challenge_method": "S256"}
    hex_digest = {"code_challenge": secrets.token_hex(32), "code_challenge_method": "S256"}
    cases = [
        ({}, "AUTHORIZE_NO_PKCE"),
        ({"code_challenge": c1}, "AUTHORIZE_PKCE_NOT_S256"),
        ({"code_challenge": c1, "code_challenge_method": "plain"}, "AUTHORIZE_PKCE_NOT_S256"),
        # S256 claimed, but a hex digest (or the verifier itself) sent: Onyx could never match.
        (hex_digest, "AUTHORIZE_PKCE_MALFORMED"),
        (good, "OK"),
    ]
    for params, code in cases:
        findings = Findings("authorize-request")
        check_pkce(findings, params, {"code_challenge": c2})
        assert first_code(findings) == code
    findings = Findings("authorize-request")
    check_pkce(findings, good, good)
    assert first_code(findings) == "AUTHORIZE_PKCE_REUSED"


async def test_client_and_scope_checks() -> None:
    ctx = ProbeContext.create(demo_like_profile(), {})
    try:
        base = {
            "response_type": "code",
            "client_id": "acme-demo-prod",
            "redirect_uri": CALLBACK,
            "scope": "openid profile",
        }
        cases = [
            ({}, "OK"),
            ({"response_type": "token"}, "AUTHORIZE_RESPONSE_TYPE"),
            ({"client_id": "acme-demo-preview"}, "AUTHORIZE_PREVIEW_CLIENT_ID"),
            ({"client_id": "someone-else"}, "AUTHORIZE_WRONG_CLIENT_ID"),
            ({"redirect_uri": CALLBACK + "/"}, "AUTHORIZE_REDIRECT_URI_MISMATCH"),
            ({"scope": "openid profile contacts:read"}, "AUTHORIZE_EXTRA_SCOPE"),
            ({"scope": "openid profile messages:send"}, "AUTHORIZE_MESSAGING_SCOPE"),
            ({"scope": "openid"}, "AUTHORIZE_SCOPE_MISSING"),
        ]
        for change, code in cases:
            findings = Findings("authorize-request")
            params = {**base, **change}
            check_client(ctx, findings, params)
            check_scopes(ctx, findings, params)
            assert first_code(findings) == code, change
    finally:
        await ctx.aclose()


def test_authorize_endpoint_comparison() -> None:
    assert same_endpoint(f"{AUTHORIZE}?client_id=x", AUTHORIZE)
    assert same_endpoint(
        "https://127.0.0.1:443/oauth/authorize", "https://127.0.0.1/oauth/authorize"
    )
    assert not same_endpoint(f"https://127.0.0.1:{PORT}/oauth/authorize/x", AUTHORIZE)
    assert not same_endpoint(f"http://127.0.0.1:{PORT}/oauth/authorize", AUTHORIZE)
    assert not same_endpoint("https://127.0.0.1:99999/oauth/authorize", AUTHORIZE)


def test_query_helpers() -> None:
    url = with_query(f"{BASE}/login/onyx?lang=en", {"next": "//evil.example"})
    assert url == f"{BASE}/login/onyx?lang=en&next=%2F%2Fevil.example"
    assert query_params(url) == {"lang": "en", "next": "//evil.example"}
    assert query_params(f"{AUTHORIZE}?scope=openid%20profile&scope=x")["scope"] == "openid profile"


# --- Location resolution ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "resolved"),
    [
        ("/", f"{BASE}/"),
        ("?a=1", f"{BASE}/login/onyx?a=1"),
        ("https://evil.example", "https://evil.example"),
        ("//evil.example", "https://evil.example"),
        ("///evil.example/x", "https://evil.example/x"),
        ("/\\evil.example", "https://evil.example"),
        ("\\\\evil.example", "https://evil.example"),
        (" \t//evil.example\n", "https://evil.example"),
        ("/\t/evil.example", "https://evil.example"),
        ("https:evil.example", f"{BASE}/login/evil.example"),
        ("https:/evil.example", f"{BASE}/evil.example"),
        ("https:\\/evil.example", "https://evil.example"),
        ("http:evil.example", "http://evil.example"),
        ("HTTPS://Evil.Example/", "https://Evil.Example/"),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_resolve_location_like_a_browser(location: str, resolved: str) -> None:
    assert resolve_location(f"{BASE}/login/onyx", location) == resolved


# --- callback-errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "runtime"),
    [
        (
            'Traceback (most recent call last):\n  File "/srv/acme/app.py", line 88, in callback\n'
            "KeyError: 'state'",
            "Python",
        ),
        ("<pre>  File &quot;/srv/acme/app.py&quot;, line 88, in callback</pre>", "Python"),
        ('Exception in thread "main" java.lang.NullPointerException', "Java"),
        (
            "java.lang.IllegalStateException: bad\n\tat com.acme.Callback.handle(Callback.java:42)",
            "Java",
        ),
        ("TypeError: x is undefined\n    at Function.handle (/srv/app/routes.js:12:3)", "Node.js"),
        ("Error: boom\n    at /srv/app/index.js:7:11", "Node.js"),
        (
            "PHP Fatal error:  Uncaught Exception: x in /var/www/cb.php:3\nStack trace:\n#0 {main}",
            "PHP",
        ),
        ("Stack trace:<br />#0 /var/www/cb.php(3): handle()", "PHP"),
        ("<b>Fatal error</b>:  Uncaught TypeError: x() in /var/www/cb.php:3", "PHP"),
        ("   at Acme.Callback.Handle(String state) in C:\\src\\Callback.cs:line 12", ".NET"),
        ("app/controllers/callback.rb:12:in `handle'", "Ruby"),
        ("goroutine 1 [running]:\nmain.main()", "Go"),
        # Express's development error handler: one <pre>, frames joined by <br> and &nbsp;.
        (
            "<pre>TypeError: Cannot read properties of undefined (reading &#39;length&#39;)"
            "<br> &nbsp; &nbsp;at /srv/app/app.js:12:34<br> &nbsp; &nbsp;at Layer.handle "
            "[as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)</pre>",
            "Node.js",
        ),
        (
            "<pre>Error: x<br> &nbsp; &nbsp;at Layer.handle [as handle_request] "
            "(/srv/node_modules/express/lib/router/layer.js:95:5)</pre>",
            "Node.js",
        ),
        ("Error: x\n    at process.processTicksAndRejections (node:internal/x:95:5)", "Node.js"),
        # Werkzeug's debugger page and Starlette's debug page: the words split by tags.
        ("<h3>Traceback <em>(most recent call last)</em></h3>", "Python"),
        (
            '<h4>File <cite class="filename">"/srv/app.py"</cite>,\n      line '
            '<em class="line">12</em>,\n      in <code class="function">callback</code></h4>',
            "Python",
        ),
        (
            '<p>File <span class="debug-filename frame-line">/srv/app.py</span>, line <i>12</i>, '
            "in callback</p>",
            "Python",
        ),
        # JSON bodies: a formatted traceback as one "\n"-escaped string, or as a list of lines.
        (
            '{"detail": "state mismatch", "traceback": "Traceback (most recent call last):\\n'
            '  File \\"/srv/app.py\\", line 12, in callback\\nValueError: x\\n"}',
            "Python",
        ),
        (
            '{"error": {"stack": ["  File \\"/srv/app.py\\", line 12, in callback\\n", '
            '"    raise ValueError\\n"]}}',
            "Python",
        ),
        ('{"stack": "Error: x\\n    at /srv/app/app.js:12:34"}', "Node.js"),
        ('{"detail": "The sign-in could not be completed."}', None),
        ("<h1>Sign-in could not be completed</h1><p>Please try again.</p>", None),
        ("<p>You declined. We looked at your request (no changes were made).</p>", None),
        ("<p>Filed under: profile.py, line by line</p>", None),
    ],
)
def test_stack_trace_patterns(body: str, runtime: str | None) -> None:
    assert find_stack_trace(body) == runtime


def test_tamper_changes_every_state() -> None:
    for state in (b64url_state(), "0000", "zzzz", "Zz9-_", "---"):
        assert tamper(state) != state
        assert len(tamper(state)) >= len(state)


def test_set_cookie_clearing() -> None:
    now = time.time()
    assert not parse_set_cookie("__Host-acme_session=abc; Path=/; Secure").clears(now)
    assert parse_set_cookie("__Host-acme_state=; Path=/; Max-Age=0").clears(now)
    assert parse_set_cookie("__Host-acme_state=x; Max-Age=0").clears(now)
    assert parse_set_cookie("s=x; Expires=Thu, 01-Jan-1970 00:00:00 GMT").clears(now)
    assert parse_set_cookie('s=""; Path=/').clears(now)
    assert not parse_set_cookie("s=x; Expires=Fri, 01 Jan 2100 00:00:00 GMT").clears(now)
    # Max-Age wins over Expires.
    assert not parse_set_cookie("s=x; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT").clears(
        now
    )


def test_cookie_jar_keeps_sends_and_deletes_like_a_browser() -> None:
    jar = CookieJar()
    jar.update(
        f"{BASE}/login/onyx",
        [
            "sid=s1; Path=/; Secure; HttpOnly",
            "flow=f1",  # no Path: the default path is the answer's folder, /login
            "wide=w1; Domain=localhost; Path=/",
            "foreign=x; Domain=evil.example",  # not this answer's to set: ignored
        ],
    )
    assert jar.header_for(f"{BASE}/login/next") == "flow=f1; sid=s1; wide=w1"
    assert jar.header_for(f"{BASE}/onyx/callback") == "sid=s1; wide=w1"
    assert jar.header_for("https://api.localhost/v1/me") == "wide=w1"  # Domain reaches subdomains
    assert jar.header_for(f"http://localhost:{PORT}/") == "wide=w1"  # Secure: https only
    jar.update(f"{BASE}/onyx/callback", ["sid=; Path=/; Max-Age=0", "wide=w2; Domain=localhost"])
    assert jar.values() == {"flow": "f1", "wide": "w2"}
    copy = CookieJar.for_url(BASE, {"planted": "p"})
    assert copy.header_for(f"{BASE}/x") == "planted=p" and not copy.header_for(
        "https://a.localhost/"
    )


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("session", "session"),
        ("connect.sid", "session"),
        ("__Host-acme_session", "session"),
        (".AspNetCore.Cookies", "session"),
        ("remember_token", "session"),
        ("XSRF-TOKEN", "csrf"),
        ("csrftoken", "csrf"),
        ("_csrf", "csrf"),
        ("__Host-acme_state", "flow"),
        ("oauth_pkce_verifier", "flow"),
        ("lang", "flow"),
        ("acme", "other"),
    ],
)
def test_cookie_roles_by_name(name: str, role: str) -> None:
    assert cookie_role(name) == role


def _b64json(data: object, *, urlsafe: bool = True) -> str:
    raw = json.dumps(data).encode()
    encoded = base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)
    return encoded.decode().rstrip("=")


def test_client_side_sessions_are_read_to_tell_a_popped_state_from_a_sign_in() -> None:
    flask_before = _b64json({"state": "s", "code_verifier": "v"}) + ".aGk.sig1"
    flask_after = _b64json({"next": "/"}) + ".aGl.sig2"  # state popped: a new value, no user
    signed_in = _b64json({"_user_id": "u1", "_fresh": True}) + ".aGm.sig3"
    compressed = "." + base64.urlsafe_b64encode(zlib.compress(b'{"user": "u1"}')).decode()
    starlette = base64.b64encode(json.dumps({"user": "u1"}).encode()).decode() + ".ts.sig"
    assert session_payload(flask_before) == {"state": "s", "code_verifier": "v"}
    assert session_payload(compressed + ".ts.sig") == {"user": "u1"}
    assert session_payload(starlette) == {"user": "u1"}
    assert session_payload("s%3Aabc123.sig") is None  # express-session: an opaque id
    assert identity_added(flask_before, flask_after) is False
    assert identity_added(flask_before, signed_in) is True
    assert identity_added("s%3Aabc.sig", "s%3Adef.sig") is None
    # What a correct app may keep on a decline names no user.
    declined = _b64json({"csrf_token": "t", "auth_error": "access_denied"}) + ".x.y"
    assert identity_added(flask_before, declined) is False


def test_cookie_fallback_when_no_protected_url_can_tell() -> None:
    login = CookieJar.for_url(BASE, {"session": _b64json({"state": "s"}) + ".a.b"})
    popped = CookieJar.for_url(BASE, {"session": _b64json({}) + ".c.d"})
    user = CookieJar.for_url(BASE, {"session": _b64json({"user": "u1"}) + ".e.f"})
    assert not cookies_say(login, popped).signed_in  # Flask re-signs after popping the state
    assert cookies_say(login, user).signed_in
    sid = CookieJar.for_url(BASE, {"connect.sid": "s%3Aold.sig"})
    assert cookies_say(sid, CookieJar.for_url(BASE, {"connect.sid": "s%3Anew.sig"})).signed_in
    fresh = CookieJar.for_url(BASE, {"__Host-acme_session": "abc"})
    assert cookies_say(CookieJar(), fresh).signed_in
    # A CSRF or flow cookie is not a session, and an unchanged session id shows nothing.
    assert not cookies_say(CookieJar(), CookieJar.for_url(BASE, {"XSRF-TOKEN": "t"})).signed_in
    assert not cookies_say(sid, sid.copy()).signed_in


# --- browser-like pages ----------------------------------------------------------------------


def test_forms_are_read_with_their_default_values() -> None:
    page = parse_page(
        """<html><head><script src="/app.js"></script>
        <meta http-equiv="Refresh" content="5; URL='/later'"></head><body>
        <form action="/search"><input name="q"></form>
        <form method="POST" action="/login/onyx">
          <input type="hidden" name="csrf_token" value="t&amp;1">
          <input type="checkbox" name="remember" checked><input type="checkbox" name="no">
          <select name="lang"><option value="de">Deutsch</option>
            <option value="en" selected>English</option></select>
          <textarea name="note">hi</textarea><input name="off" disabled value="x">
          <button type="submit" name="provider" value="onyx">Sign in with Onyx</button>
        </form></body></html>"""
    )
    assert page.scripts == 1 and page.refresh == "5; URL='/later'"
    search, login = page.forms
    assert (search.method, search.fields) == ("get", [("q", "")])
    assert login.method == "POST" and login.action == "/login/onyx"
    assert login.fields == [
        ("csrf_token", "t&1"),
        ("remember", "on"),
        ("lang", "en"),
        ("note", "hi"),
    ]
    assert login.submitter == ("provider", "onyx") and login.mentions("onyx")


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("0;url=https://evil.example/", "https://evil.example/"),
        ("0; URL='//evil.example/'", "//evil.example/"),
        ('3, url="/next"', "/next"),
        ("0;https://evil.example/", "https://evil.example/"),
        ("5", None),
    ],
)
def test_refresh_values(value: str, url: str | None) -> None:
    assert refresh_url(value) == url


# --- open-redirect ---------------------------------------------------------------------------


def fake_response(
    url: str, location: str = "", status: int = 302, *, refresh: str = "", body: str = ""
) -> Response:
    headers = {"location": location} if location else {}
    if refresh:
        headers["refresh"] = refresh
    if body:
        headers["content-type"] = "text/html; charset=utf-8"
    return Response("GET", url, status, httpx.Headers(headers), body.encode(), 1, {})


def test_foreign_targets_cover_the_tricks() -> None:
    values = foreign_targets(demo_like_profile())
    assert values == [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\/evil.example/",
        f"https://localhost:{PORT}@evil.example/",
        "https://localhost.evil.example/",
        "https:%2F%2Fevil.example/",
        "%2F%2Fevil.example/",
    ]


@pytest.mark.parametrize(
    ("location", "sent", "found"),
    [
        ("/welcome", "https://evil.example/", False),
        (f"{BASE}/account", "https://evil.example/", False),
        ("https://app.localhost/x", "https://evil.example/", False),
        ("/?signin=failed", "//evil.example/", False),
        ("https://evil.example", "https://evil.example/", True),
        ("//evil.example", "//evil.example/", True),
        ("/\\evil.example", "/\\evil.example/", True),
        ("\\/evil.example/", "\\/evil.example/", True),
        (f"https://localhost:{PORT}@evil.example/", "x", True),
        ("https://localhost.evil.example/", "x", True),
        ("https://evil.example:99999/", "x", True),  # no parser accepts it; browsers go anyway
        # Sent straight back: httpx cannot follow it, browsers read it as a path. Unchecked.
        ("https:%2F%2Fevil.example/", "https:%2F%2Fevil.example/", True),
        ("%2F%2Fevil.example/", "%2F%2Fevil.example/", True),
        # Werkzeug percent-encodes a backslash on the way out: still the value, unchecked.
        ("/%5Cevil.example/", "/\\evil.example/", True),
        (f"{AUTHORIZE}?redirect_uri={CALLBACK}", "x", False),
        (f"{AUTHORIZE}?redirect_uri=https%3A%2F%2Fevil.example%2Fcb", "x", True),
        ("", "https://evil.example/", False),
    ],
)
def test_open_redirect_judgement(location: str, sent: str, found: bool) -> None:
    bounds = Bounds.of(demo_like_profile())
    response = fake_response(f"{BASE}/login/onyx?next=x", location)
    messages = problems(Trial("login_url", "next", sent, response), bounds)
    assert bool(messages) is found, messages
    if found:
        assert messages[0].startswith(f"login_url with next={sent} ")


def test_refresh_header_and_meta_refresh_are_redirects_too() -> None:
    bounds = Bounds.of(demo_like_profile())
    sent = "https://evil.example/"
    meta = '<html><meta http-equiv="refresh" content="0;url=https://evil.example/"></html>'
    for response, how in [
        (fake_response(CALLBACK, status=200, refresh="0;url=https://evil.example/"), "Refresh"),
        (fake_response(CALLBACK, status=200, body=meta), "meta refresh"),
    ]:
        assert [how for how, _ in redirect_values(response)] == [how]
        (message,) = problems(Trial("the callback", "next", sent, response), bounds)
        assert f"(its {how})" in message
    local = fake_response(CALLBACK, status=200, body=meta.replace("https://evil.example/", "/"))
    assert not problems(Trial("the callback", "next", sent, local), bounds)


def test_allowed_hosts_are_the_profiles() -> None:
    assert allowed_hosts(demo_like_profile()) == {"localhost", "127.0.0.1"}
    assert target_host("https://evil.example:99999/x") == "evil.example"
    assert target_host("https://a@[::1]:1/") == "::1"


# --- tls and domain --------------------------------------------------------------------------


def test_hsts_max_age() -> None:
    assert hsts_max_age("max-age=31536000; includeSubDomains") == 31536000
    assert hsts_max_age('includeSubDomains; Max-Age="15552000"') == 15552000
    assert hsts_max_age("includeSubDomains") is None
    assert hsts_max_age("max-age=soon") is None


@pytest.mark.parametrize(
    ("days_left", "lifetime_days", "code"),
    [
        (3, 90, "TLS_EXPIRES_SOON"),
        (-1, 90, "TLS_EXPIRED"),
        (20, 365, "TLS_EXPIRY_WARNING"),
        (40, 365, "OK"),
        (20, 47, "OK"),  # a 47-day certificate renewed at a third of its life is fine at 20 days
        (15, 47, "TLS_EXPIRY_WARNING"),
        (8, 10, "OK"),
    ],
)
def test_certificate_expiry(days_left: float, lifetime_days: float, code: str) -> None:
    now = time.time()
    not_after = now + days_left * DAY
    shake = Handshake(
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        not_after - lifetime_days * DAY,
        not_after,
        ("DNS:localhost",),
    )
    findings = Findings("tls")
    check_expiry(findings, "localhost:8443", shake, now)
    assert first_code(findings) == code


def test_expiry_message_names_days_and_date() -> None:
    now = time.time()
    shake = Handshake("TLSv1.3", "x", now - 80 * DAY, now + 3.5 * DAY, ())
    findings = Findings("tls")
    check_expiry(findings, "localhost:8443", shake, now)
    message = findings.result("", "").message
    assert message.startswith("certificate for localhost:8443 expires in 3 days and 12 hours (20")
    assert message.endswith(")") and len(message.rsplit("(", 1)[1]) == len("2026-12-03)")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (3 * DAY - 60, "2 days and 23 hours"),
        (3 * DAY, "3 days"),
        (DAY, "1 day"),
        (5 * 3600 + 60, "5 hours"),
        (600, "less than an hour"),
        (20.9 * DAY, "20 days"),
    ],
)
def test_expiry_durations(seconds: float, shown: str) -> None:
    assert days_phrase(seconds) == shown


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("::1", ("::1", 53)),
        ("[::1]:5353", ("::1", 5353)),
        ("[::1]", ("::1", 53)),
    ],
)
def test_parse_nameserver(value: str, parsed: tuple[str, int]) -> None:
    assert parse_nameserver(value) == parsed


# --- through a mock transport (still no network) ---------------------------------------------


async def test_fetch_fresh_sends_exactly_the_cookies_given(route_server: RouteServer) -> None:
    route_server.routes["/login/onyx"] = (302, "", AUTHORIZE)
    profile = demo_like_profile(ca_bundle=str(route_server.ca_path))
    ctx = ProbeContext.create(profile, {})
    try:
        # The server sets nothing, but even a cookie another probe received must not ride along.
        plain = await fetch_fresh(ctx, f"{route_server.base}/login/onyx")
        await fetch_fresh(
            ctx, f"{route_server.base}/login/onyx", cookies={"__Host-acme_state": "s1"}
        )
        again = await fetch_fresh(ctx, f"{route_server.base}/login/onyx")
    finally:
        await ctx.aclose()
    assert [cookie for _, cookie in route_server.seen] == ["", "__Host-acme_state=s1", ""]
    assert "sent" not in plain.evidence and "sent" not in again.evidence


@pytest.mark.parametrize(
    ("answers", "found", "paths"),
    [
        ({WELL_KNOWN: (200, "tok\n", "")}, True, [WELL_KNOWN]),
        ({WELL_KNOWN: (404, "", "")}, False, [WELL_KNOWN]),
        ({WELL_KNOWN: (200, "other", "")}, False, [WELL_KNOWN]),
        (
            {WELL_KNOWN: (301, "", "/verify.txt"), "/verify.txt": (200, "tok", "")},
            True,
            [WELL_KNOWN, "/verify.txt"],
        ),
        ({WELL_KNOWN: (302, "", "https://evil.example/t")}, False, [WELL_KNOWN]),
    ],
)
async def test_well_known_file(
    route_server: RouteServer,
    answers: dict[str, tuple[int, str, str]],
    found: bool,
    paths: list[str],
) -> None:
    route_server.routes.update(answers)
    profile = demo_like_profile(
        production_domain=f"localhost:{route_server.port}",
        domain_verification_token="tok",
        ca_bundle=str(route_server.ca_path),
    )
    ctx = ProbeContext.create(profile, {})
    try:
        ok, seen = await check_well_known(ctx, Findings("domain-verification"), "tok")
    finally:
        await ctx.aclose()
    assert ok is found
    assert [path for path, _ in route_server.seen] == paths  # a cross-host redirect is not followed
    if not found:
        assert seen.startswith(f"https://localhost:{route_server.port}/")


def test_tls_targets_add_the_webhook_host_only_when_it_differs() -> None:
    for webhook, expected in [
        (f"{BASE}/onyx/events", ["localhost:8443"]),
        ("https://hooks.localhost/onyx/events", ["localhost:8443", "hooks.localhost"]),
        ("https://localhost:9443/onyx/events", ["localhost:8443", "localhost:9443"]),
    ]:
        profile = demo_like_profile(webhook_url=webhook)
        assert [target.label for target in targets(profile)] == expected


# --- the sign-in probes against a small partner app over real HTTPS --------------------------


@dataclass
class Request:
    """One request as the partner app saw it."""

    method: str
    path: str
    query: dict[str, str]
    cookies: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


Answer = tuple[int, list[tuple[str, str]], str]  # status, headers, body


class Partner:
    """A partner app for the sign-in probes: correct by default, each switch one behaviour.

    Sessions live on the server under a `sid` cookie (express-session's way), or, with
    `client_session`, in a readable signed cookie re-issued whenever it changes (Flask's way).
    """

    def __init__(self, **switches: object) -> None:
        self.switches = switches
        self.sessions: dict[str, dict[str, str]] = {}
        self.seen: list[Request] = []
        self.issued: list[str] = []  # every state handed out
        self.base = ""
        self.onyx = ""

    def on(self, name: str) -> object:
        return self.switches.get(name)

    # -- sessions --

    def load(self, request: Request) -> tuple[str, dict[str, str]]:
        if self.on("client_session"):
            data = session_payload(request.cookies.get("session", "")) or {}
            return "", {str(k): str(v) for k, v in data.items()}
        sid = request.cookies.get("sid", "")
        return sid, dict(self.sessions.get(sid, {}))

    def save(
        self, sid: str, data: dict[str, str], headers: list[tuple[str, str]], *, new_id: bool
    ) -> None:
        attrs = "Path=/; Secure; HttpOnly; SameSite=Lax"
        if self.on("client_session"):
            value = _b64json(data) + f".{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(8)}"
            headers.append(("Set-Cookie", f"session={value}; {attrs}"))
            return
        if new_id or not sid:
            self.sessions.pop(sid, None)
            sid = secrets.token_urlsafe(16)
            headers.append(("Set-Cookie", f"sid={sid}; {attrs}"))
        self.sessions[sid] = data

    # -- routes --

    def answer(self, request: Request) -> Answer:
        self.seen.append(request)
        route = {
            "/login/onyx": self.login,
            "/auth/start": self.start,
            "/onyx/callback": self.callback,
            "/api/v1/me": self.me,
        }.get(request.path)
        return route(request) if route else (404, [], "not found")

    def login(self, request: Request) -> Answer:
        style = self.on("login") or "redirect"
        if style == "javascript":
            return 200, [], "<html><script src='/app.js'></script><div id='root'></div></html>"
        if style == "hop":
            return 302, [("Location", "/auth/start")], ""
        if style == "form" and request.method == "GET":
            sid, data = self.load(request)
            data["csrf"] = secrets.token_urlsafe(16)
            headers: list[tuple[str, str]] = [("Content-Type", "text/html")]
            self.save(sid, data, headers, new_id=False)
            page = (
                "<form method='post' action='/login/onyx'><input type='hidden' "
                f"name='csrf_token' value='{data['csrf']}'><button>Sign in with Onyx</button>"
                "</form>"
            )
            return 200, headers, page
        if style == "form":
            _, data = self.load(request)
            if request.form.get("csrf_token") != data.get("csrf") or not request.form:
                return 403, [], "bad CSRF token"
        return self.start(request, status=int(str(self.on("status") or 302)))

    def start(self, request: Request, status: int = 302) -> Answer:
        sid, data = self.load(request)
        state = str(self.on("state") or "") or b64url_state()
        data.update(state=state)
        self.issued.append(state)
        next_value = request.query.get("next", "")
        check = self.on("naive_next") and next_value.startswith("/")
        if check or (next_value.startswith("/") and next_value[1:2] not in ("/", "\\")):
            data["next"] = next_value
        params = {
            "response_type": "code",
            "client_id": "acme-demo-prod",
            "redirect_uri": f"{self.base}/onyx/callback",
            "scope": "openid profile",
            "state": state,
            "code_challenge": b64url_state(),
            "code_challenge_method": "S256",
        }
        headers = [("Location", with_query(self.onyx, params))]
        self.save(sid, data, headers, new_id=False)
        return status, headers, ""

    def callback(self, request: Request) -> Answer:
        sid, data = self.load(request)
        query = request.query
        headers: list[tuple[str, str]] = []
        state = query.get("state")
        if "error" in query:
            if self.on("crash_on") == query["error"]:
                return 500, [], "Internal Server Error"
            if self.on("sign_in_on_error"):
                data["user"] = "u1"
                self.save(sid, data, headers, new_id=False)
            elif state is not None and state == data.get("state"):
                data.pop("state")
                self.save(sid, data, headers, new_id=False)
                target = data.get("next") if self.on("naive_next") else None
                if target:
                    return 302, [*headers, ("Location", target)], ""
            if self.on("trace_json"):
                trace = 'Traceback (most recent call last):\n  File "/srv/app.py", line 9\n'
                body = json.dumps({"detail": "declined", "traceback": trace})
                return 400, [*headers, ("Content-Type", "application/json")], body
            return 200, headers, "<h1>You declined</h1>"
        accepted = state is not None and state == data.get("state")
        if self.on("ignore_state") or (self.on("optional_state") and state is None):
            accepted = True
        if not accepted or not query.get("code"):
            return 400, headers, "<h1>Sign-in could not be completed</h1>"
        data.pop("state", None)
        data["user"] = "u1"
        # The faulty express-session app forgets to regenerate: the same sid, now signed in.
        self.save(sid, data, headers, new_id=not self.on("keep_sid"))
        return 302, [*headers, ("Location", "/")], ""

    def me(self, request: Request) -> Answer:
        _, data = self.load(request)
        if data.get("user") and not self.on("bearer_only"):
            return 200, [("Content-Type", "application/json")], '{"sub": "u1"}'
        return 401, [("WWW-Authenticate", 'Bearer realm="acme"')], ""


@dataclass
class PartnerServer:
    """A real HTTPS server on 127.0.0.1 in front of a `Partner`."""

    port: int
    ca_path: Path
    app: Partner

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"

    def profile(self, **changes: object) -> Profile:
        fields: dict[str, object] = {
            "production_domain": f"localhost:{self.port}",
            "allowed_origins": [self.base],
            "redirect_uris": [f"{self.base}/onyx/callback"],
            "login_url": f"{self.base}/login/onyx",
            "protected_url": f"{self.base}/api/v1/me",
            "onyx_authorize_url": f"https://127.0.0.1:{self.port}/oauth/authorize",
            "ca_bundle": str(self.ca_path),
        }
        return demo_like_profile(**{**fields, **changes})

    def serve(self, **switches: object) -> PartnerServer:
        """Serve a fresh partner app with these switches from now on."""
        self.app = Partner(**switches)
        self.app.base = self.base
        self.app.onyx = f"https://127.0.0.1:{self.port}/oauth/authorize"
        return self


@pytest.fixture
def partner(tmp_path: Path) -> Iterator[PartnerServer]:
    from onyx_wizard.demo.certs import make_certificates

    (tmp_path / "certs").mkdir(mode=0o700)
    certs = make_certificates(tmp_path / "certs")
    holder = PartnerServer(0, certs.ca_path, Partner())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("content-length") or 0)
            form = self.rfile.read(length).decode() if length else ""
            cookies = {}
            for part in (self.headers.get("cookie") or "").split(";"):
                name, sep, value = part.strip().partition("=")
                if sep:
                    cookies[name] = value
            request = Request(
                self.command,
                path,
                {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()},
                cookies,
                {k: v[0] for k, v in parse_qs(form, keep_blank_values=True).items()},
                {k.lower(): v for k, v in self.headers.items()},
            )
            status, headers, body = holder.app.answer(request)
            data = body.encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_path, certs.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    holder.port = server.server_address[1]
    holder.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        server.shutdown()
        server.server_close()


async def run_one_probe(server: PartnerServer, probe_id: str, **changes: object) -> ProbeResult:
    (result,) = await run_probes([probe_id], server.profile(**changes), {})
    return result


# -- start_sign_in --


@pytest.mark.parametrize(
    ("switches", "hops"),
    [
        ({"status": 302}, 1),
        ({"status": 303}, 1),
        ({"status": 307}, 1),  # FastAPI/Starlette's RedirectResponse
        ({"status": 308}, 1),
        ({"login": "hop"}, 2),
        ({"login": "form"}, 2),  # a CSRF-protected POST form, as django-allauth and Auth.js do
    ],
)
async def test_sign_in_starts_as_a_browser_does(
    partner: PartnerServer, switches: dict[str, object], hops: int
) -> None:
    partner.serve(**switches)
    ctx = ProbeContext.create(partner.profile(), {})
    try:
        start = await start_sign_in(ctx)
    finally:
        await ctx.aclose()
    assert start.target.startswith(partner.app.onyx) and start.state
    assert len(start.walk.chain) == hops
    if switches.get("login") == "form":
        post = partner.app.seen[-1]
        assert post.method == "POST" and post.form["csrf_token"]
        assert "sid=" in post.headers["cookie"]  # the cookie the form page set rode along
        assert post.headers["origin"] == partner.base
        assert post.headers["referer"] == f"{partner.base}/login/onyx"
        assert start.walk.forms_submitted == (f"POST {partner.base}/login/onyx",)


async def test_a_307_after_a_form_post_posts_again(partner: PartnerServer) -> None:
    partner.serve(login="form")
    original = partner.app.answer

    def moved(request: Request) -> Answer:
        if (
            request.path == "/login/onyx"
            and request.method == "POST"
            and "moved" not in request.query
        ):
            partner.app.seen.append(request)
            return 307, [("Location", "/login/onyx?moved=1")], ""
        return original(request)

    partner.app.answer = moved  # type: ignore[method-assign]
    ctx = ProbeContext.create(partner.profile(), {})
    try:
        start = await start_sign_in(ctx)
    finally:
        await ctx.aclose()
    assert start.target
    methods = [(r.method, r.path, bool(r.form)) for r in partner.app.seen]
    assert methods[-2:] == [("POST", "/login/onyx", True), ("POST", "/login/onyx", True)]


async def test_sign_in_stops_and_says_why(partner: PartnerServer) -> None:
    ctx = ProbeContext.create(partner.profile(), {})
    try:
        partner.serve(login="javascript")
        assert (await start_sign_in(ctx)).walk.stop is Stop.NEEDS_JAVASCRIPT
        partner.app.answer = lambda request: (302, [("Location", "/again")], "")  # type: ignore[method-assign]
        walk = (await start_sign_in(ctx)).walk
        assert walk.stop is Stop.TOO_MANY_HOPS and len(walk.chain) == 4
        partner.app.answer = lambda request: (302, [("Location", "https://sso.example/x")], "")  # type: ignore[method-assign]
        start = await start_sign_in(ctx)
        assert (start.target, start.walk.exit_url) == ("", "https://sso.example/x")
        # A local username/password form is not a sign-in start: it is never submitted.
        page = "<form method=post><input name=user><input type=password name=pw></form>"
        partner.app.answer = lambda request: (200, [("Content-Type", "text/html")], page)  # type: ignore[method-assign]
        assert (await start_sign_in(ctx)).walk.stop is Stop.NOT_REDIRECT
        # httpx refuses to parse this Location; the walk still returns the answer.
        hostile = "https:%2F%2Fevil.example/"
        partner.app.answer = lambda request: (302, [("Location", hostile)], "")  # type: ignore[method-assign]
        walk = (await start_sign_in(ctx)).walk
        assert walk.chain[0].location == hostile
    finally:
        await ctx.aclose()


# -- authorize-request --


@pytest.mark.parametrize(
    ("switches", "outcome", "code"),
    [
        ({}, Outcome.PASS, "AUTHORIZE_OK"),
        ({"status": 307}, Outcome.PASS, "AUTHORIZE_OK"),
        ({"login": "form"}, Outcome.PASS, "AUTHORIZE_OK"),
        ({"login": "hop"}, Outcome.PASS, "AUTHORIZE_OK"),
        ({"login": "javascript"}, Outcome.WARN, "AUTHORIZE_NEEDS_JAVASCRIPT"),
        ({"state": "static-" + "x" * 40}, Outcome.FAIL, "AUTHORIZE_STATE_REUSED"),
    ],
)
async def test_authorize_probe_starts_sign_in_as_a_browser(
    partner: PartnerServer, switches: dict[str, object], outcome: Outcome, code: str
) -> None:
    partner.serve(**switches)
    result = await run_one_probe(partner, "authorize-request")
    assert (result.outcome, result.reason_code) == (outcome, code), result.message


async def test_authorize_probe_accepts_a_uuid4_state(partner: PartnerServer) -> None:
    partner.serve()
    original = partner.app.start

    def uuid_state(request: Request, status: int = 302) -> Answer:
        partner.app.switches["state"] = str(uuid.uuid4())
        return original(request, status)

    partner.app.start = uuid_state  # type: ignore[method-assign]
    result = await run_one_probe(partner, "authorize-request")
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "AUTHORIZE_OK"), result.message


# -- callback-errors --


@pytest.mark.parametrize(
    ("switches", "outcome", "code"),
    [
        ({}, Outcome.PASS, "CALLBACK_ERRORS_OK"),
        # Flask: the session cookie gets a new value whenever the state is popped.
        ({"client_session": True}, Outcome.PASS, "CALLBACK_ERRORS_OK"),
        ({"login": "form"}, Outcome.PASS, "CALLBACK_ERRORS_OK"),
        ({"ignore_state": True}, Outcome.FAIL, "CALLBACK_FORGED_STATE_ACCEPTED"),
        # express-session without regenerate: the same sid, now signed in.
        ({"ignore_state": True, "keep_sid": True}, Outcome.FAIL, "CALLBACK_FORGED_STATE_ACCEPTED"),
        ({"optional_state": True}, Outcome.FAIL, "CALLBACK_MISSING_STATE_ACCEPTED"),
        (
            {"optional_state": True, "client_session": True},
            Outcome.FAIL,
            "CALLBACK_MISSING_STATE_ACCEPTED",
        ),
        ({"sign_in_on_error": True}, Outcome.FAIL, "CALLBACK_SETS_SESSION"),
        ({"crash_on": "temporarily_unavailable"}, Outcome.FAIL, "CALLBACK_5XX"),
        ({"trace_json": True}, Outcome.FAIL, "CALLBACK_STACK_TRACE"),
    ],
)
async def test_callback_probe_judges_sign_in_by_the_protected_url(
    partner: PartnerServer, switches: dict[str, object], outcome: Outcome, code: str
) -> None:
    partner.serve(**switches)
    result = await run_one_probe(partner, "callback-errors")
    assert (result.outcome, result.reason_code) == (outcome, code), result.message
    callbacks = [r for r in partner.app.seen if r.path == "/onyx/callback"]
    assert len(callbacks) == 7
    # A code never comes with a state the app issued: that would really sign in.
    with_code = [r.query.get("state") for r in callbacks if "code" in r.query]
    assert len(with_code) == 2 and not set(with_code) & set(partner.app.issued)


@pytest.mark.parametrize(
    ("switches", "outcome"),
    [
        ({"client_session": True, "bearer_only": True}, Outcome.PASS),
        ({"client_session": True, "bearer_only": True, "ignore_state": True}, Outcome.FAIL),
    ],
)
async def test_callback_probe_reads_a_session_a_bearer_only_api_ignores(
    partner: PartnerServer, switches: dict[str, object], outcome: Outcome
) -> None:
    partner.serve(**switches)
    result = await run_one_probe(partner, "callback-errors")
    assert result.outcome is outcome, result.message
    if outcome is Outcome.FAIL:
        assert result.reason_code == "CALLBACK_FORGED_STATE_ACCEPTED"
        assert "now holds user" in result.message


@pytest.mark.parametrize(
    ("switches", "outcome", "code"),
    [
        ({"client_session": True}, Outcome.PASS, "CALLBACK_ERRORS_OK"),
        (
            {"client_session": True, "ignore_state": True},
            Outcome.FAIL,
            "CALLBACK_FORGED_STATE_ACCEPTED",
        ),
        ({}, Outcome.PASS, "CALLBACK_ERRORS_OK"),
        ({"ignore_state": True}, Outcome.FAIL, "CALLBACK_FORGED_STATE_ACCEPTED"),  # a new sid
    ],
)
async def test_callback_probe_reads_cookies_without_a_protected_url(
    partner: PartnerServer, switches: dict[str, object], outcome: Outcome, code: str
) -> None:
    partner.serve(**switches)
    result = await run_one_probe(partner, "callback-errors", protected_url="")
    assert (result.outcome, result.reason_code) == (outcome, code), result.message


# -- open-redirect --


@pytest.mark.parametrize(
    ("switches", "outcome"),
    [
        ({}, Outcome.PASS),
        ({"login": "form"}, Outcome.PASS),
        # The login keeps '/\evil.example/' (it starts with '/'), the decline honours it.
        ({"naive_next": True}, Outcome.FAIL),
    ],
)
async def test_open_redirect_probe_follows_a_stored_next(
    partner: PartnerServer, switches: dict[str, object], outcome: Outcome
) -> None:
    partner.serve(**switches)
    started = time.perf_counter()
    result = await run_one_probe(partner, "open-redirect")
    assert result.outcome is outcome, result.message
    assert time.perf_counter() - started < 10
    if outcome is Outcome.FAIL:
        assert result.reason_code == "OPEN_REDIRECT"
        assert result.message.startswith("the callback after a sign-in start with next")


async def test_open_redirect_probe_reports_a_location_httpx_refuses(partner: PartnerServer) -> None:
    partner.serve()
    original = partner.app.answer

    def echo(request: Request) -> Answer:
        value = request.query.get("continue", "")
        if request.path == "/onyx/callback" and value:
            partner.app.seen.append(request)
            return 302, [("Location", value)], ""
        return original(request)

    partner.app.answer = echo  # type: ignore[method-assign]
    result = await run_one_probe(partner, "open-redirect")
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "OPEN_REDIRECT"), result.message
    messages = [e["check"] for e in result.evidence if e.get("reason_code") == "OPEN_REDIRECT"]
    assert any("https:%2F%2Fevil.example/" in m and "unchecked" in m for m in messages)
