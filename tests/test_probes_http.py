"""The HTTP probes' pure parts, and the probes that need no network, run through the runner."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from standardwebhooks import Webhook

from onyx_wizard.probes import Findings, Outcome, ProbeResult, run_probes
from onyx_wizard.probes._jwt import b64url_json, parse_jwt
from onyx_wizard.probes.cookies import (
    COMMON_SESSION_NAMES,
    TokenClues,
    check_cookie,
    forged_cookie_names,
    parse_set_cookie,
    role_of,
    tampered,
    token_in_url,
    value_like,
)
from onyx_wizard.probes.cors import (
    CONCURRENCY,
    FOREIGN_ORIGIN,
    REQUEST_BUDGET,
    all_variants,
    origin_variants,
)
from onyx_wizard.probes.privacy import data_topics, mentions_onyx, visible_text
from onyx_wizard.probes.tokens import garbage_token, parse_challenges
from onyx_wizard.probes.webhooks import event_body, sign, signed, with_header
from onyx_wizard.profile import PartnerConnectivity, Profile
from onyx_wizard.secrets import SecretKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, object], key: bytes = b"k" * 32) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    mac = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(mac)}"


def first_code(findings: Findings) -> str:
    return findings.result("OK", "fine").reason_code


# --- cookies -----------------------------------------------------------------------------


def test_set_cookie_attributes_are_case_insensitive() -> None:
    cookie = parse_set_cookie("__Host-acme_state=abc; path=/; SECURE; HttpOnly; samesite=LAX")
    assert (cookie.name, cookie.value) == ("__Host-acme_state", "abc")
    assert cookie.has("Secure") and cookie.has("httponly")
    assert cookie.get("SameSite") == "LAX"
    assert cookie.get("Path") == "/"
    assert not cookie.has("domain")


def test_set_cookie_value_may_hold_equals_signs_and_quotes() -> None:
    cookie = parse_set_cookie('s="a=b=="; Max-Age=600')
    assert cookie.value == '"a=b=="'  # kept as a browser keeps it, quotes and all
    assert not cookie.deletes


@pytest.mark.parametrize(
    "header",
    [
        "s=; Max-Age=0",
        "s=; max-age=-1",
        f"s=x; Expires={format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)}",
    ],
)
def test_deleting_cookies_are_recognised(header: str) -> None:
    assert parse_set_cookie(header).deletes


def test_future_expiry_is_not_a_deletion() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    assert not parse_set_cookie(f"s=x; Expires={when}").deletes


GOOD = "; Path=/; Secure; HttpOnly; SameSite=Lax"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("__Host-acme_state=abc" + GOOD, "OK"),
        ("acme_state=abc; Path=/; HttpOnly; SameSite=Lax", "COOKIE_NOT_SECURE"),
        ("acme_state=abc; Path=/; HttpOnly", "COOKIE_NOT_SECURE"),  # Secure is judged first
        ("__Host-acme_state=abc; Path=/; Secure; SameSite=Lax", "COOKIE_NOT_HTTPONLY"),
        ("__Host-acme_state=abc; Path=/; Secure; HttpOnly", "COOKIE_SAMESITE_MISSING"),
        ("__Host-a=abc; Path=/; Secure; HttpOnly; SameSite=Loose", "COOKIE_SAMESITE_INVALID"),
        ("__Host-a=abc; Path=/; Secure; HttpOnly; SameSite=Strict", "COOKIE_SAMESITE_STRICT"),
        ("__Host-a=abc; Path=/x; Secure; HttpOnly; SameSite=Lax", "COOKIE_HOST_PREFIX_INVALID"),
        ("__Host-a=abc; Domain=acme.example" + GOOD, "COOKIE_HOST_PREFIX_INVALID"),
        ("__Secure-a=abc; Path=/; Secure; HttpOnly; SameSite=None", "OK"),
    ],
)
def test_cookie_attribute_rules(header: str, code: str) -> None:
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie(header), TokenClues())
    assert first_code(findings) == code


def test_samesite_none_without_secure_is_invalid() -> None:
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie("a=b; HttpOnly; SameSite=None"), TokenClues())
    codes = [e["reason_code"] for e in findings.evidence if "reason_code" in e]
    assert codes == ["COOKIE_NOT_SECURE", "COOKIE_SAMESITE_INVALID"]


ONYX = TokenClues(issuer_host="auth.onyx.example", client_id="acme-prod")


def test_cookie_holding_an_onyx_token_fails_and_the_apps_own_jwt_does_not() -> None:
    onyx_token = make_jwt({"iss": "https://auth.onyx.example", "sub": "usr_1", "exp": 2**31})
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie(f"acme_token={onyx_token}" + GOOD), ONYX)
    assert first_code(findings) == "COOKIE_HOLDS_TOKEN"
    scoped = make_jwt({"sub": "usr_1", "scope": "openid profile"})
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie(f"s=s:{scoped}" + GOOD), ONYX)
    assert first_code(findings) == "COOKIE_HOLDS_TOKEN"
    opaque = "opaque-token-value-0123456789abcdef"
    findings = Findings("session-cookies")
    clues = TokenClues(known=(opaque,))
    check_cookie(findings, parse_set_cookie(f"acme_token=Bearer%20{opaque}" + GOOD), clues)
    assert first_code(findings) == "COOKIE_HOLDS_TOKEN"
    # A stateless session the app signs itself (its own issuer): a note, not a failure.
    own = make_jwt({"iss": "https://acme.example", "sid": "abc", "exp": 2**31})
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie(f"__Host-session={own}" + GOOD), ONYX)
    assert first_code(findings) == "OK"
    assert any("not Onyx's" in e.get("note", "") for e in findings.evidence)


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("XSRF-TOKEN", "csrf"),
        ("csrftoken", "csrf"),
        ("csrf_token", "csrf"),
        ("_csrf", "csrf"),
        ("__Host-psifi.x-csrf-token", "csrf"),
        (".AspNetCore.Antiforgery.x1", "csrf"),
        ("AWSALB", "infrastructure"),
        ("session", "session"),
        ("connect.sid", "session"),
        ("__Host-acme_state", "session"),
        ("acme", "session"),  # a name that says nothing is judged strictly
    ],
)
def test_cookie_roles(name: str, role: str) -> None:
    assert role_of(name) == role


def test_csrf_cookie_may_lack_httponly_but_not_secure_or_samesite() -> None:
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie("XSRF-TOKEN=abc; Path=/; Secure; SameSite=Lax"), ONYX)
    assert first_code(findings) == "OK"
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie("XSRF-TOKEN=abc; Path=/; SameSite=Lax"), ONYX)
    assert first_code(findings) == "COOKIE_NOT_SECURE"
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie("csrftoken=abc; Path=/; Secure"), ONYX)
    assert first_code(findings) == "COOKIE_SAMESITE_MISSING"
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie("session=abc; Path=/; Secure; SameSite=Lax"), ONYX)
    assert first_code(findings) == "COOKIE_NOT_HTTPONLY"


def test_planted_and_tampered_values_keep_the_issued_shape() -> None:
    issued = "s%3AQmFzZTY0U2Vzc2lvbklk.Sig_nature-0123"
    planted = value_like(issued)
    assert planted != issued and len(planted) == len(issued)
    assert planted[1:4] == "%3A"  # a percent-escape survives as one piece
    assert [c.isdigit() for c in planted] == [c.isdigit() for c in issued]
    assert [c.isalnum() for c in planted] == [c.isalnum() for c in issued]
    assert len(value_like("")) >= 32
    assert re.fullmatch(r"[0-9a-f]{32}", value_like("0123456789abcdef" * 2))
    assert tampered("payload.sig0") == "payload.sia0"
    assert tampered("abc.") == "aba."
    assert tampered("...") == "...A"
    assert tampered("deadbeef--3f2a") == "deadbeef--3f0a"  # hex stays hex


@pytest.mark.parametrize("size", [20, 32, 48, 64])  # HMAC-SHA1/256/384/512
@pytest.mark.parametrize(
    ("encode", "decode"),
    [
        (base64.b64encode, base64.b64decode),
        (base64.urlsafe_b64encode, base64.urlsafe_b64decode),
    ],
)
@pytest.mark.parametrize("padded", [True, False])
def test_a_tampered_signature_never_decodes_to_the_signed_bytes(
    size: int, encode: Any, decode: Any, padded: bool
) -> None:
    # A signature whose last base64 character is "A" holds padding bits a lenient decoder
    # drops: changing that character to "B" left the bytes (and the signature) as they were.
    for n in range(200):
        digest = hashlib.sha512(f"{size}.{n}".encode()).digest()[:size]
        text = encode(digest).decode()
        sig = text if padded else text.rstrip("=")
        for value in (f"payload.{sig}", f"s%3Apayload.{sig.replace('=', '%3D')}"):
            forged = tampered(value)
            assert forged != value and len(forged) == len(value)
            tail = forged.rpartition(".")[2].replace("%3D", "=")
            assert decode(tail + "=" * (-len(tail) % 4)) != digest, (value, forged)


def test_jwt_shape_detection() -> None:
    token = make_jwt({"sub": "usr_1"})

    def holds(value: str) -> str:
        return TokenClues().token_in(value)

    assert holds(token) == "a JWT"
    assert holds(f"s:{token}") == "a JWT"  # embedded in a signed-cookie wrapper
    assert holds(token.rsplit(".", 1)[0] + ".") == "a JWT"  # unsecured JWT: empty signature
    state = b64url(bytes(32))
    assert holds(state) == ""
    assert holds("auth.onyx.example") == ""
    # itsdangerous-style session: payload.timestamp.signature, but no "alg" header
    payload = b64url(json.dumps({"user": 1}).encode())
    flask_like = f"{payload}.ZmF1bHQ.{b64url(bytes(20))}"
    assert holds(flask_like) == ""
    # An encrypted JWT (five parts) shows nothing a script could read.
    jwe_header = b64url(json.dumps({"alg": "dir", "enc": "A256GCM"}).encode())
    assert holds(f"{jwe_header}..{b64url(bytes(12))}.{b64url(bytes(40))}.{b64url(bytes(16))}") == ""


def test_token_in_url() -> None:
    token = make_jwt({"iss": "https://auth.onyx.example", "sub": "usr_1"})
    clean = "https://auth.onyx.example/oauth/authorize?response_type=code&state=abc&scope=openid"
    assert token_in_url(clean, ONYX) == ""
    assert token_in_url("https://app.example/cb#access_token=opaque", ONYX) == (
        "the parameter access_token"
    )
    assert "Onyx access token" in token_in_url(f"https://app.example/cb?x={token}", ONYX)
    known = TokenClues(known=("opaque-secret-token",))
    assert token_in_url("https://app.example/t/opaque-secret-token", known)
    # A state that is a JWT signed by the app is no token.
    signed_state = make_jwt({"nonce": "n", "return_to": "/inbox"})
    assert token_in_url(f"{clean}&state={signed_state}", ONYX) == ""


def test_forged_cookie_names_are_the_apps_then_the_common_ones() -> None:
    names = forged_cookie_names(["__Host-acme_state", "session"])
    assert names[:2] == ["__Host-acme_state", "session"]
    assert set(COMMON_SESSION_NAMES) <= set(names)
    assert len(names) == len(set(names))
    assert len(forged_cookie_names([f"c{i}" for i in range(40)])) == 12


# --- tokens ------------------------------------------------------------------------------


def test_garbage_tokens_are_random_and_forty_characters() -> None:
    first, second = garbage_token(), garbage_token()
    assert len(first) == 40 and first != second
    assert parse_jwt(first) is None


# --- CORS --------------------------------------------------------------------------------


def test_cors_variants_of_a_port_origin() -> None:
    variants = {v.kind: v.origin for v in origin_variants("https://localhost:8443")}
    assert variants == {
        "suffix": "https://evillocalhost:8443",
        "prefix": "https://localhost.evil.example:8443",
        "underscore": "https://localhost_.evil.example:8443",
        "http": "http://localhost:8443",
    }


def test_cors_variants_of_a_dotted_host() -> None:
    variants = origin_variants("https://app.acme.example")
    by_kind = {v.kind: v.origin for v in variants}
    # Every dot on its own: a pattern may escape some and miss one.
    dots = [v.origin for v in variants if v.kind == "unescaped-dot"]
    assert dots == ["https://appxacme.example", "https://app.acmexexample"]
    assert by_kind["prefix"] == "https://app.acme.example.evil.example"
    assert by_kind["http"] == "http://app.acme.example"
    assert not [v for v in origin_variants("https://10.0.0.1") if v.kind == "unescaped-dot"]


def test_cors_variants_skip_what_does_not_apply() -> None:
    assert [v.kind for v in origin_variants("http://[::1]:8080")] == []
    assert "http" not in {v.kind for v in origin_variants("http://127.0.0.1:8080")}


def test_all_variants_are_ordered_deduplicated_and_never_allowed() -> None:
    allowed = ["https://localhost:8443", "http://localhost:8443"]
    variants = all_variants(allowed)
    kinds = [v.kind for v in variants]
    assert kinds[:2] == ["foreign", "null"]
    assert variants[0].origin == FOREIGN_ORIGIN
    assert kinds == sorted(
        kinds,
        key=["foreign", "null", "suffix", "prefix", "underscore", "unescaped-dot", "http"].index,
    )
    assert not {v.origin for v in variants} & set(allowed)
    assert len({v.origin for v in variants}) == len(variants)


# --- privacy -----------------------------------------------------------------------------


def test_privacy_text_ignores_markup_and_scripts() -> None:
    html = (
        "<html><head><style>.onyx{}</style><script>var data = 1; delete x;</script></head>"
        "<body><h1>Privacy</h1><p>We process personal data from Onyx.</p></body></html>"
    )
    text = visible_text(html, "text/html")
    assert mentions_onyx(text)
    assert data_topics(text) == ["data", "processing"]
    assert data_topics(visible_text("<p>Hello</p><script>data delete</script>", "text/html")) == []
    assert not mentions_onyx("onyxia")


# --- Standard Webhooks --------------------------------------------------------------------

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_signing_matches_the_standard_webhooks_test_vector() -> None:
    signature = sign(
        VECTOR_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signed_deliveries_verify_and_tampered_ones_do_not() -> None:
    delivery = signed(VECTOR_SECRET, "message.delivered")
    payload = Webhook(VECTOR_SECRET).verify(delivery.body, delivery.headers)
    assert payload["type"] == "message.delivered"
    assert payload["data"]["message_id"] == "msg_2Xg7Qm1"
    stale = signed(VECTOR_SECRET, "message.delivered", skew=-600)
    with pytest.raises(Exception, match="too old"):
        Webhook(VECTOR_SECRET).verify(stale.body, stale.headers)
    retry = signed(VECTOR_SECRET, "access.revoked", msg_id=delivery.headers["webhook-id"])
    assert retry.headers["webhook-id"] == delivery.headers["webhook-id"]
    assert retry.headers["webhook-signature"] != delivery.headers["webhook-signature"]
    assert "webhook-id" not in with_header(delivery, "webhook-id", None).headers


def test_unknown_event_types_get_a_generic_payload() -> None:
    body = json.loads(event_body("billing.updated", datetime(2026, 1, 1, tzinfo=UTC)))
    assert body == {
        "type": "billing.updated",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {"probe": "onyx-wizard", "note": "Grüße — 你好"},
    }


# --- probes without network, through the runner -------------------------------------------

FEATURES = ["sign-in", "messaging", "events", "partner-connectivity"]
SCOPES = [
    "openid",
    "profile",
    "messages:send",
    "messages:status",
    "events:subscribe",
    "connectivity:catalogue",
    "connectivity:orders",
]
SECRETS = {SecretKey.CLIENT_SECRET: "prod-secret-1", SecretKey.PREVIEW_CLIENT_SECRET: "prev-2"}


def profile(**changes: object) -> Profile:
    data: dict[str, object] = {
        "features": FEATURES,
        "requested_scopes": SCOPES,
        "client_id": "acme-prod",
        "preview_client_id": "acme-preview",
        "partner_connectivity": PartnerConnectivity(
            catalogue_version="2026.10", approved_catalogue_version="2026.10"
        ),
    }
    data.update(changes)
    return Profile.model_validate(data)


async def run(probe_id: str, prof: Profile, secrets: dict[SecretKey, str]) -> ProbeResult:
    (result,) = await run_probes([probe_id], prof, secrets)
    return result


async def test_scope_review() -> None:
    assert (await run("scope-review", profile(), {})).reason_code == "SCOPES_OK"
    extra = await run("scope-review", profile(requested_scopes=[*SCOPES, "contacts:read"]), {})
    assert (extra.outcome, extra.reason_code) == (Outcome.FAIL, "SCOPE_NOT_NEEDED")
    assert "contacts:read" in extra.message
    short = await run("scope-review", profile(requested_scopes=SCOPES[:-1]), {})
    assert (short.outcome, short.reason_code) == (Outcome.WARN, "SCOPE_MISSING")
    assert "connectivity:orders" in short.message


async def test_credential_separation_never_names_a_secret() -> None:
    ok = await run("credential-separation", profile(), SECRETS)
    assert (ok.outcome, ok.reason_code) == (Outcome.PASS, "CREDENTIALS_SEPARATE")
    shared = {**SECRETS, SecretKey.PREVIEW_CLIENT_SECRET: SECRETS[SecretKey.CLIENT_SECRET]}
    result = await run("credential-separation", profile(), shared)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "CREDENTIALS_SHARED_SECRET")
    assert "prod-secret-1" not in json.dumps(result.to_json())
    same_id = await run("credential-separation", profile(preview_client_id="acme-prod"), SECRETS)
    assert same_id.reason_code == "CREDENTIALS_SHARED_CLIENT_ID"
    missing = await run("credential-separation", profile(), {SecretKey.CLIENT_SECRET: "x"})
    assert (missing.outcome, missing.reason_code) == (Outcome.SKIPPED, "SECRET_MISSING")


async def test_catalogue_version() -> None:
    assert (await run("catalogue-version", profile(), {})).reason_code == "CATALOGUE_APPROVED"
    newer = PartnerConnectivity(catalogue_version="2026.11", approved_catalogue_version="2026.10")
    result = await run("catalogue-version", profile(partner_connectivity=newer), {})
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "CATALOGUE_NOT_APPROVED")
    empty = PartnerConnectivity(catalogue_version="2026.10")
    result = await run("catalogue-version", profile(partner_connectivity=empty), {})
    assert (result.reason_code, "approved_catalogue_version" in result.message) == (
        "CATALOGUE_VERSION_MISSING",
        True,
    )
    unused = await run("catalogue-version", profile(features=["sign-in"]), {})
    assert unused.outcome is Outcome.SKIPPED


async def test_privacy_notice_over_http_fails_without_a_request() -> None:
    prof = Profile(environment="preview", privacy_notice_url="http://127.0.0.1:9/privacy")
    result = await run("privacy-notice", prof, {})
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "PRIVACY_NOT_HTTPS")
    assert not any("status" in item for item in result.evidence)


# --- CORS, cookies and tokens against a partner app on loopback ---------------------------
#
# `MiniPartner` is the corpus contract (tests/partners/README.md) in a few lines of Python, with
# switchable quirks: the valid variations real partners use, and the faults the probes must name.

KEY = b"mini-partner-hs256-key-0123456789"
REVOKED_JTI = "jti-revoked"
AUTHORIZE = "https://auth.onyx.example/oauth/authorize"  # never contacted: the walk stops there
CLIENT_ID = "acme-prod"
CORRELATION = ".AspNetCore.Correlation."


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in header.split(";") if "=" in part)
    return {name: value for name, _, value in pairs}


class MiniPartner:
    """A partner app answering the login, the protected API and CORS, with `quirks` switched on."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.quirks: set[str] = set()
        self.origins = [f"https://app.localhost:{port}", f"https://admin.localhost:{port}"]
        self.sessions: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.delay = 0.0  # seconds per answer, so that concurrent requests overlap

    # -- sign-in start and sessions --

    def _session_cookie(self, value: str) -> str:
        attributes = ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"]
        if "no-secure" in self.quirks:
            attributes.remove("Secure")
        if "samesite-none" in self.quirks:
            attributes[-1] = "SameSite=None"
        return "; ".join([f"session={value}", *attributes])

    def _signed(self, sid: str) -> str:
        payload = b64url(json.dumps({"sid": sid}).encode())
        return f"{payload}.{b64url(hmac.new(KEY, payload.encode(), hashlib.sha256).digest())}"

    def _adopts(self, sid: str) -> bool:
        if "fixation" in self.quirks or "fixation-echo" in self.quirks:
            return True
        # A store that checks an id's format, then adopts it: planted ids keep the format.
        return "fixation-format" in self.quirks and re.fullmatch(r"[0-9a-f]{32}", sid) is not None

    def login(self, cookies: dict[str, str]) -> Reply:
        headers: list[tuple[str, str]] = []
        sid = cookies.get("session", "")
        with self.lock:
            if sid in self.sessions:
                pass  # a session this app issued: kept, as any framework does
            elif sid and self._adopts(sid):
                self.sessions[sid] = {}
                if "fixation-echo" in self.quirks:
                    headers.append(("Set-Cookie", self._session_cookie(sid)))
            else:
                sid = secrets.token_hex(16)
                self.sessions[sid] = {}
                value = self._signed(sid) if "signed" in self.quirks else sid
                headers.append(("Set-Cookie", self._session_cookie(value)))
        if "xsrf-cookie" in self.quirks:
            xsrf = f"XSRF-TOKEN={secrets.token_urlsafe(24)}; Path=/; Secure; SameSite=Lax"
            headers.append(("Set-Cookie", xsrf))
        if "per-start-names" in self.quirks:
            name = CORRELATION + secrets.token_hex(6)
            cookie = f"{name}=N; Path=/; Secure; HttpOnly; SameSite=None"
            headers.append(("Set-Cookie", cookie))
            if "lang" not in cookies:  # set once, then kept: a preference, not an id
                headers.append(("Set-Cookie", "lang=en; Path=/; Secure; HttpOnly; SameSite=Lax"))
        state = secrets.token_urlsafe(32)
        location = f"{AUTHORIZE}?response_type=code&client_id={CLIENT_ID}&state={state}"
        return Reply(302, [("Location", location), *headers])

    def _session_user(self, value: str) -> str | None:
        if "signed" in self.quirks:
            payload, _, signature = value.partition(".")
            claims = b64url_json(payload)
            if not isinstance(claims, dict):
                return None  # not even a session of ours: no session
            if not hmac.compare_digest(signature, self._signed(claims["sid"]).partition(".")[2]):
                if "signed-crash" in self.quirks:
                    raise ValueError("bad signature")  # well-formed but tampered: uncaught
                return None
            value = claims["sid"]
        with self.lock:
            session = self.sessions.get(value)
        if session is None:
            if "forged-500" in self.quirks:
                raise KeyError(value)
            return None
        if "anonymous-accepted" in self.quirks:
            return "anonymous"
        return session.get("user")

    # -- tokens --

    def _token_ok(self, token: str) -> bool:
        try:
            head, payload, signature = token.split(".")
        except ValueError:
            return False
        header, claims = b64url_json(head), b64url_json(payload)
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return False
        expected = b64url(hmac.new(KEY, f"{head}.{payload}".encode(), hashlib.sha256).digest())
        unchecked = "unverified" in self.quirks or (
            header.get("alg") == "none" and "alg-none" in self.quirks
        )
        if not unchecked and (
            header.get("alg") != "HS256" or not hmac.compare_digest(signature, expected)
        ):
            return False
        if claims.get("exp", 0) < time.time() and "ignores-exp" not in self.quirks:
            return False
        return claims.get("jti") != REVOKED_JTI

    def _refused(self, bad_token: bool, cors: list[tuple[str, str]]) -> Reply:
        if "cors-only-on-success" in self.quirks:
            cors = []
        if "no-challenge" in self.quirks:
            return Reply(401, cors)
        if not bad_token:
            return Reply(401, [*cors, ("WWW-Authenticate", 'Bearer realm="acme"')])
        if "bad-token-403" in self.quirks:
            return Reply(403, cors)
        if "challenge-variants" in self.quirks:
            described = (
                'Bearer realm="acme", error="invalid_token", '
                'error_description="The access token is invalid, or expired"'
            )
            challenges = [
                ("WWW-Authenticate", 'Basic realm="acme"'),
                ("WWW-Authenticate", described),
            ]
            return Reply(401, [*cors, *challenges])
        if "challenge-unquoted" in self.quirks:
            return Reply(
                401, [*cors, ("WWW-Authenticate", "Basic realm=x, Bearer error=invalid_token")]
            )
        return Reply(401, [*cors, ("WWW-Authenticate", 'Bearer error="invalid_token"')])

    def me(self, target: str, headers: dict[str, str]) -> Reply:
        cors = self.cors(headers.get("origin"), preflight=False)
        authorization = headers.get("authorization", "")
        query = dict(parse_qsl(target.partition("?")[2]))
        if authorization.lower().startswith("bearer "):
            if self._token_ok(authorization[7:].strip()):
                return Reply(200, cors, b'{"sub": "usr_1"}')
            return self._refused(True, cors)
        query_token = query.get("access_token", "") if "query" in self.quirks else ""
        if query_token and self._token_ok(query_token):
            return Reply(200, cors, b'{"sub": "usr_1"}')
        session = _cookies(headers.get("cookie", "")).get("session")
        if session is not None and self._session_user(session) is not None:
            return Reply(200, cors, b'{"sub": "usr_1"}')
        return self._refused(False, cors)

    # -- CORS --

    def _allowed(self, origin: str) -> bool:
        if "cors-regex-second-dot" in self.quirks:
            return re.fullmatch(r"https://app\.acme.example", origin) is not None
        return origin in self.origins

    def cors(self, origin: str | None, *, preflight: bool) -> list[tuple[str, str]]:
        quirks = self.quirks
        if "cors-static" in quirks:
            return [
                ("Access-Control-Allow-Origin", self.origins[0]),
                ("Access-Control-Allow-Credentials", "true"),
                *([("Access-Control-Allow-Headers", "authorization")] if preflight else []),
            ]
        if "cors-wildcard" in quirks:
            return [
                ("Access-Control-Allow-Origin", "*"),
                *([("Access-Control-Allow-Headers", "authorization")] if preflight else []),
            ]
        vary = [] if "no-vary-actual" in quirks and not preflight else [("Vary", "Origin")]
        if origin is None:
            return vary
        echo = "cors-reflect" in quirks or (
            not preflight
            and (
                "cors-actual-reflects" in quirks
                or ("cors-actual-null" in quirks and origin == "null")
            )
        )
        if not (echo or self._allowed(origin)):
            return vary
        headers = [
            *vary,
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
        if preflight:
            headers += [
                ("Access-Control-Allow-Methods", "GET, POST"),
                ("Access-Control-Allow-Headers", "authorization, content-type"),
            ]
        return headers

    # -- routing --

    def handle(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        path = target.partition("?")[0]
        cookies = _cookies(headers.get("cookie", ""))
        if path == "/login/onyx" and method == "GET":
            if "hop" in self.quirks:
                return Reply(302, [("Location", "/auth/onyx/start?provider=onyx")])
            return self.login(cookies)
        if path == "/auth/onyx/start" and method == "GET" and "hop" in self.quirks:
            return self.login(cookies)
        if path == "/api/v1/me" and method == "OPTIONS":
            return Reply(204, self.cors(headers.get("origin"), preflight=True))
        if path == "/api/v1/me" and method == "GET":
            return self.me(target, headers)
        return Reply(404)


@dataclass
class PartnerServer:
    app: MiniPartner
    ca_path: Path

    @property
    def base(self) -> str:
        return f"https://localhost:{self.app.port}"

    def profile(self, **changes: object) -> Profile:
        data: dict[str, object] = {
            "production_domain": f"localhost:{self.app.port}",
            "allowed_origins": self.app.origins,
            "login_url": f"{self.base}/login/onyx",
            "protected_url": f"{self.base}/api/v1/me",
            "onyx_authorize_url": AUTHORIZE,
            "client_id": CLIENT_ID,
            "ca_bundle": str(self.ca_path),
        }
        data.update(changes)
        return Profile.model_validate(data)

    def secrets(self, *, valid: bool = True) -> dict[SecretKey, str]:
        now = int(time.time())
        claims = {"iss": "https://auth.onyx.example", "aud": CLIENT_ID, "sub": "usr_1"}
        tokens = {
            SecretKey.EXPIRED_ACCESS_TOKEN: make_jwt(
                {**claims, "exp": now - 3600, "jti": "e"}, KEY
            ),
            SecretKey.REVOKED_ACCESS_TOKEN: make_jwt(
                {**claims, "exp": now + 3600, "jti": REVOKED_JTI}, KEY
            ),
        }
        if valid:
            tokens[SecretKey.VALID_ACCESS_TOKEN] = make_jwt(
                {**claims, "exp": now + 3600, "jti": "v"}, KEY
            )
        return tokens

    async def run(self, probe_id: str, *, valid: bool = True, **changes: object) -> ProbeResult:
        return await run(probe_id, self.profile(**changes), self.secrets(valid=valid))


@pytest.fixture
def partner(tmp_path: Path) -> Iterator[PartnerServer]:
    """A `MiniPartner` behind TLS on 127.0.0.1 (HTTP/1.1 keep-alive), with a throwaway CA."""
    from onyx_wizard.demo.certs import make_certificates

    (tmp_path / "certs").mkdir(mode=0o700)
    certs = make_certificates(tmp_path / "certs")
    holder: list[MiniPartner] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            app = holder[0]
            headers = {name.lower(): value for name, value in self.headers.items()}
            with app.lock:
                app.requests.append((self.command, self.path))
                app.in_flight += 1
                app.most_in_flight = max(app.most_in_flight, app.in_flight)
            try:
                time.sleep(app.delay)
                reply = app.handle(self.command, self.path, headers)
            except Exception:
                reply = Reply(500, body=b"Internal Server Error")
            finally:
                with app.lock:
                    app.in_flight -= 1
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_OPTIONS = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_path, certs.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    holder.append(MiniPartner(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PartnerServer(holder[0], certs.ca_path)
    finally:
        server.shutdown()
        server.server_close()


def expect(result: ProbeResult, outcome: Outcome, code: str) -> None:
    assert (result.outcome, result.reason_code) == (outcome, code), result.message


# -- CORS --


@pytest.mark.parametrize(
    ("quirks", "changes", "outcome", "code"),
    [
        (set(), {}, Outcome.PASS, "CORS_OK"),
        # One static origin, answered to everyone, no Vary: nothing varies, nothing to fix.
        ({"cors-static"}, {"allowed_origins": ["{origin1}"]}, Outcome.PASS, "CORS_OK"),
        ({"cors-reflect"}, {}, Outcome.FAIL, "CORS_ORIGIN_REFLECTED"),
        ({"cors-actual-reflects"}, {}, Outcome.FAIL, "CORS_ACTUAL_ORIGIN_REFLECTED"),
        # Narrower than "anything": the variant's own code, also when only actual answers echo.
        ({"cors-actual-null"}, {}, Outcome.FAIL, "CORS_NULL_ORIGIN_ALLOWED"),
        (
            {"cors-regex-second-dot"},
            {"allowed_origins": ["https://app.acme.example"]},
            Outcome.FAIL,
            "CORS_UNESCAPED_DOT",
        ),
        ({"no-vary-actual"}, {}, Outcome.FAIL, "CORS_VARY_ORIGIN_MISSING"),
        ({"cors-wildcard"}, {}, Outcome.WARN, "CORS_WILDCARD_ORIGIN"),
    ],
)
async def test_cors_against_a_partner(
    partner: PartnerServer,
    quirks: set[str],
    changes: dict[str, list[str]],
    outcome: Outcome,
    code: str,
) -> None:
    partner.app.quirks = quirks
    origins = {"origin1": partner.app.origins[0]}
    changes = {name: [v.format(**origins) for v in value] for name, value in changes.items()}
    expect(await partner.run("cors-preflight", **changes), outcome, code)


async def test_cors_on_refusals_only_matters_without_a_valid_token(partner: PartnerServer) -> None:
    partner.app.quirks = {"cors-only-on-success"}
    expect(await partner.run("cors-preflight"), Outcome.PASS, "CORS_OK")
    result = await partner.run("cors-preflight", valid=False)
    expect(result, Outcome.WARN, "CORS_ERROR_NOT_READABLE")
    assert any("GETs carry none" in e.get("note", "") for e in result.evidence)


async def test_cors_requests_are_bounded_and_capped(partner: PartnerServer) -> None:
    many = [f"https://o{i}.acme.example" for i in range(60)]
    partner.app.delay = 0.02
    result = await partner.run("cors-preflight", allowed_origins=many)
    # Every listed origin is refused by this app: each one fails, the budget still holds.
    assert result.reason_code == "CORS_ALLOWED_ORIGIN_REJECTED"
    assert len(partner.app.requests) <= REQUEST_BUDGET
    assert 1 < partner.app.most_in_flight <= CONCURRENCY
    assert any("not tried" in e.get("note", "") for e in result.evidence)


# -- session cookies --


@pytest.mark.parametrize(
    ("quirks", "outcome", "code"),
    [
        (set(), Outcome.PASS, "COOKIES_OK"),
        ({"xsrf-cookie"}, Outcome.PASS, "COOKIES_OK"),
        ({"samesite-none"}, Outcome.PASS, "COOKIES_OK"),
        ({"signed"}, Outcome.PASS, "COOKIES_OK"),
        ({"per-start-names"}, Outcome.PASS, "COOKIES_OK"),
        ({"hop"}, Outcome.PASS, "COOKIES_OK"),
        # The session cookie is set on the second same-host hop: still judged.
        ({"hop", "no-secure"}, Outcome.FAIL, "COOKIE_NOT_SECURE"),
        ({"fixation"}, Outcome.FAIL, "SESSION_FIXATION"),
        ({"fixation-echo"}, Outcome.FAIL, "SESSION_FIXATION"),
        ({"fixation-format"}, Outcome.FAIL, "SESSION_FIXATION"),
        ({"forged-500"}, Outcome.FAIL, "SESSION_FORGED_5XX"),
        # Only a well-formed, tampered value of the issued cookie crashes it.
        ({"signed", "signed-crash"}, Outcome.FAIL, "SESSION_FORGED_5XX"),
        ({"anonymous-accepted"}, Outcome.FAIL, "SESSION_FORGED_ACCEPTED"),
    ],
)
async def test_session_cookies_against_a_partner(
    partner: PartnerServer, quirks: set[str], outcome: Outcome, code: str
) -> None:
    partner.app.quirks = quirks
    expect(await partner.run("session-cookies"), outcome, code)


async def test_fixation_is_checked_only_when_a_start_issues_an_id(partner: PartnerServer) -> None:
    partner.app.quirks = {"signed"}
    result = await partner.run("session-cookies")
    assert "planted session id is replaced" in result.message
    planted = [e for e in result.evidence if e.get("note") == "sign-in start, id planted"]
    assert planted and planted[0]["sent"]["cookie"] == "session=[REDACTED]"


# -- tokens --


@pytest.mark.parametrize(
    ("quirks", "outcome", "code"),
    [
        (set(), Outcome.PASS, "TOKENS_REJECTED"),
        ({"challenge-variants"}, Outcome.PASS, "TOKENS_REJECTED"),
        ({"challenge-unquoted"}, Outcome.PASS, "TOKENS_REJECTED"),
        ({"bad-token-403"}, Outcome.WARN, "TOKEN_UNEXPECTED_STATUS"),
        ({"no-challenge"}, Outcome.WARN, "TOKEN_NO_WWW_AUTHENTICATE"),
        ({"unverified"}, Outcome.FAIL, "TOKEN_FORGED_ACCEPTED"),
        ({"alg-none"}, Outcome.FAIL, "TOKEN_FORGED_ACCEPTED"),
        ({"ignores-exp"}, Outcome.FAIL, "TOKEN_EXPIRED_ACCEPTED"),
        ({"query"}, Outcome.FAIL, "TOKEN_QUERY_ACCEPTED"),
    ],
)
async def test_token_rejection_against_a_partner(
    partner: PartnerServer, quirks: set[str], outcome: Outcome, code: str
) -> None:
    partner.app.quirks = quirks
    expect(await partner.run("token-rejection"), outcome, code)


async def test_forgeries_need_a_jwt_and_are_never_claimed_without_one(
    partner: PartnerServer,
) -> None:
    # Without the valid token the forgeries come from the expired one's claims.
    partner.app.quirks = {"unverified"}
    expect(await partner.run("token-rejection", valid=False), Outcome.FAIL, "TOKEN_FORGED_ACCEPTED")
    partner.app.quirks = set()
    secrets_ = {
        SecretKey.EXPIRED_ACCESS_TOKEN: "opaque-expired-0123456789",
        SecretKey.REVOKED_ACCESS_TOKEN: "opaque-revoked-0123456789",
    }
    result = await run("token-rejection", partner.profile(), secrets_)
    expect(result, Outcome.PASS, "TOKENS_REJECTED")
    assert "forged" not in result.message and "query" not in result.message
    notes = " ".join(e.get("note", "") for e in result.evidence)
    assert "forged-token checks skipped" in notes and "query-string check skipped" in notes


def test_www_authenticate_challenges_are_parsed_not_matched() -> None:
    described = parse_challenges(
        'Bearer realm="acme", error="invalid_token", error_description="bad, or expired"'
    )
    assert [(c.scheme, c.params.get("error")) for c in described] == [("bearer", "invalid_token")]
    several = parse_challenges('Basic realm="x", Bearer realm="y", error=invalid_token')
    assert [c.scheme for c in several] == ["basic", "bearer"]
    assert several[1].params == {"realm": "y", "error": "invalid_token"}
    assert [c.scheme for c in parse_challenges("Basic dXNlcjpwYXNz==, Bearer")] == [
        "basic",
        "bearer",
    ]
    # "bearer" inside a quoted value is no challenge, and another scheme's error is not Bearer's.
    quoted = parse_challenges('Basic realm="bearer error=invalid_token"')
    assert [c.scheme for c in quoted] == ["basic"]
    other = parse_challenges('DPoP error="invalid_token", Bearer realm="a"')
    assert other[1].params == {"realm": "a"}
