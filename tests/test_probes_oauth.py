"""The OAuth, TLS and domain probes' pure parts, and the redirect-URI probe through the runner."""

from __future__ import annotations

import base64
import secrets
import time
import uuid

import httpx
import pytest
from conftest import RouteServer

from onyx_wizard.probes import Findings, Outcome, ProbeContext, Response, run_probes
from onyx_wizard.probes._browser import (
    fetch_fresh,
    query_params,
    resolve_location,
    same_endpoint,
    with_query,
)
from onyx_wizard.probes.authorize import (
    check_client,
    check_pkce,
    check_scopes,
    check_state,
    estimate_state,
)
from onyx_wizard.probes.callback import find_stack_trace, parse_set_cookie, tamper
from onyx_wizard.probes.domain import WELL_KNOWN, check_well_known, parse_nameserver
from onyx_wizard.probes.open_redirect import Bounds, Trial, allowed_hosts, judge, trials
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
    assert estimate_state(str(uuid.uuid4())) == (122.0, "a UUID")
    assert estimate_state("1234567890")[0] == pytest.approx(33.2, abs=0.1)
    # Padding adds nothing; a lower-case-only string is judged on 26 symbols, not 64.
    assert estimate_state("wxyz==")[0] == estimate_state("wxyz")[0] == pytest.approx(18.8, 0.01)
    assert estimate_state("")[0] == 0.0


def test_state_checks_in_order() -> None:
    strong = b64url_state()
    cases = [
        ({}, {}, "AUTHORIZE_STATE_MISSING"),
        ({"state": strong}, {"state": strong}, "AUTHORIZE_STATE_REUSED"),
        ({"state": "a" * 16}, {"state": "b" * 16}, "AUTHORIZE_STATE_WEAK"),
        ({"state": secrets.token_hex(8)}, {"state": secrets.token_hex(8)}, "AUTHORIZE_STATE_WEAK"),
        ({"state": strong}, {"state": b64url_state()}, "OK"),
    ]
    for first, second, code in cases:
        findings = Findings("authorize-request")
        check_state(findings, first, second)
        assert first_code(findings) == code


def test_pkce_checks() -> None:
    good = {"code_challenge": "c1", "code_challenge_method": "S256"}
    cases = [
        ({}, "AUTHORIZE_NO_PKCE"),
        ({"code_challenge": "c1"}, "AUTHORIZE_PKCE_NOT_S256"),
        ({"code_challenge": "c1", "code_challenge_method": "plain"}, "AUTHORIZE_PKCE_NOT_S256"),
        (good, "OK"),
    ]
    for params, code in cases:
        findings = Findings("authorize-request")
        check_pkce(findings, params, {"code_challenge": "c2"})
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
        ("<h1>Sign-in could not be completed</h1><p>Please try again.</p>", None),
        ("<p>You declined. We looked at your request (no changes were made).</p>", None),
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


# --- open-redirect ---------------------------------------------------------------------------


def fake_response(url: str, location: str, status: int = 302) -> Response:
    headers = httpx.Headers({"location": location} if location else {})
    return Response("GET", url, status, headers, b"", 1, {})


def test_open_redirect_plan_is_bounded() -> None:
    planned = trials(demo_like_profile())
    assert len(planned) == 20
    assert all(url.startswith(BASE) for _, _, _, url in planned)


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("/welcome", "OK"),
        (f"{BASE}/account", "OK"),
        ("https://app.localhost/x", "OK"),
        ("https://evil.example", "OPEN_REDIRECT"),
        ("//evil.example", "OPEN_REDIRECT"),
        ("/\\evil.example", "OPEN_REDIRECT"),
        (f"https://localhost:{PORT}@evil.example/", "OPEN_REDIRECT"),
        (f"{AUTHORIZE}?redirect_uri={CALLBACK}", "OK"),
        (f"{AUTHORIZE}?redirect_uri=https%3A%2F%2Fevil.example%2Fcb", "OPEN_REDIRECT"),
        ("", "OK"),
    ],
)
def test_open_redirect_judgement(location: str, code: str) -> None:
    profile = demo_like_profile()
    bounds = Bounds(allowed_hosts(profile), "localhost", AUTHORIZE)
    response = fake_response(f"{BASE}/login/onyx?next=x", location)
    findings = Findings("open-redirect")
    judge(findings, Trial("login_url", "next", "https://evil.example", response), bounds)
    assert first_code(findings) == code
    if code == "OPEN_REDIRECT":
        assert "login_url with next=https://evil.example" in findings.result("", "").message


def test_allowed_hosts_are_the_profiles() -> None:
    assert allowed_hosts(demo_like_profile()) == {"localhost", "127.0.0.1"}


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


async def test_tls_targets_add_the_webhook_host_only_when_it_differs() -> None:
    for webhook, expected in [
        (f"{BASE}/onyx/events", ["localhost:8443"]),
        ("https://hooks.localhost/onyx/events", ["localhost:8443", "hooks.localhost"]),
        ("https://localhost:9443/onyx/events", ["localhost:8443", "localhost:9443"]),
    ]:
        ctx = ProbeContext.create(demo_like_profile(webhook_url=webhook), {})
        try:
            assert [target.label for target in targets(ctx)] == expected
        finally:
            await ctx.aclose()
