"""The HTTP probes' pure parts, and the probes that need no network, run through the runner."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from onyx_wizard.probes import Findings, Outcome, ProbeResult, run_probes
from onyx_wizard.probes.cookies import (
    check_cookie,
    forged_cookie_names,
    looks_like_jwt,
    parse_set_cookie,
    token_in_url,
)
from onyx_wizard.probes.cors import FOREIGN_ORIGIN, all_variants, origin_variants
from onyx_wizard.probes.privacy import data_topics, mentions_onyx, visible_text
from onyx_wizard.probes.tokens import garbage_token
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
    assert cookie.value == "a=b=="
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
    check_cookie(findings, parse_set_cookie(header), [])
    assert first_code(findings) == code


def test_samesite_none_without_secure_is_invalid() -> None:
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie("a=b; HttpOnly; SameSite=None"), [])
    codes = [e["reason_code"] for e in findings.evidence if "reason_code" in e]
    assert codes == ["COOKIE_NOT_SECURE", "COOKIE_SAMESITE_INVALID"]


def test_cookie_holding_a_token_fails() -> None:
    token = make_jwt({"sub": "usr_1", "exp": 2_000_000_000})
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie(f"acme_token={token}" + GOOD), [])
    assert first_code(findings) == "COOKIE_HOLDS_TOKEN"
    opaque = "opaque-token-value-0123456789abcdef"
    findings = Findings("session-cookies")
    check_cookie(findings, parse_set_cookie(f"acme_token=Bearer%20{opaque}" + GOOD), [opaque])
    assert first_code(findings) == "COOKIE_HOLDS_TOKEN"


def test_jwt_shape_detection() -> None:
    token = make_jwt({"sub": "usr_1"})
    assert looks_like_jwt(token)
    assert looks_like_jwt(f"s:{token}")  # embedded in a signed-cookie wrapper
    assert looks_like_jwt(token.rsplit(".", 1)[0] + ".")  # unsecured JWT: empty signature
    state = b64url(bytes(32))
    assert not looks_like_jwt(state)
    assert not looks_like_jwt("auth.onyx.example")
    # itsdangerous-style session: payload.timestamp.signature, but no "alg" header
    payload = b64url(json.dumps({"user": 1}).encode())
    flask_like = f"{payload}.ZmF1bHQ.{b64url(bytes(20))}"
    assert not looks_like_jwt(flask_like)


def test_token_in_url() -> None:
    token = make_jwt({"sub": "usr_1"})
    clean = "https://auth.onyx.example/oauth/authorize?response_type=code&state=abc&scope=openid"
    assert token_in_url(clean, []) == ""
    assert token_in_url("https://app.example/cb#access_token=opaque", []) == (
        "the parameter access_token"
    )
    assert token_in_url(f"https://app.example/cb?x={token}", []) == "a JWT in the parameter x"
    assert token_in_url("https://app.example/t/opaque-secret-token", ["opaque-secret-token"])


def test_forged_cookie_names_include_a_session_twin_and_common_names() -> None:
    names = forged_cookie_names(["__Host-acme_state", "__Host-acme_state"])
    assert names == ["__Host-acme_session", "session", "__Host-session", "__Host-acme_state"]


# --- tokens ------------------------------------------------------------------------------


def test_garbage_tokens_are_random_and_forty_characters() -> None:
    first, second = garbage_token(), garbage_token()
    assert len(first) == 40 and first != second
    assert not looks_like_jwt(first)


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
    variants = {v.kind: v.origin for v in origin_variants("https://app.acme.example")}
    assert variants["unescaped-dot"] == "https://appxacme.example"
    assert variants["prefix"] == "https://app.acme.example.evil.example"
    assert variants["http"] == "http://app.acme.example"


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
    assert data_topics(text) == ["data", "personal", "processing"]
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
        "data": {"probe": "onyx-wizard"},
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
