"""The sample partner app over real HTTPS on loopback: correct by default, one fault at a time."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dns.resolver
import httpx
import pytest
from cryptography import x509
from standardwebhooks.webhooks import Webhook

from onyx_wizard.demo import FAULTS, DemoDeployment, write_profile
from onyx_wizard.profile import load_profile
from onyx_wizard.secrets import SecretKey

ME = "/api/v1/me"
EVENTS = "/onyx/events"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoDeployment]:
    """One correct deployment shared by the tests that do not need a fault."""
    with DemoDeployment() as deployment:
        yield deployment


def client_for(deployment: DemoDeployment) -> httpx.Client:
    return httpx.Client(
        base_url=deployment.base_url,
        verify=ssl.create_default_context(cafile=str(deployment.ca_path)),
        timeout=5,
        follow_redirects=False,
    )


@pytest.fixture
def client(demo: DemoDeployment) -> Iterator[httpx.Client]:
    with client_for(demo) as http:
        yield http


def get(
    http: httpx.Client,
    path: str,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A GET with an empty cookie jar, so only the cookies a test passes are sent."""
    http.cookies.clear()
    return http.get(path, params=params, headers=headers)


def login(http: httpx.Client, **params: str) -> tuple[httpx.Response, dict[str, str]]:
    """Start a sign-in; the response and its Location's query."""
    response = get(http, "/login/onyx", params=params)
    query = parse_qs(urlsplit(response.headers.get("location", "")).query)
    return response, {name: values[0] for name, values in query.items()}


def set_cookie_named(response: httpx.Response, name: str) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.split("=", 1)[0] == name:
            return header
    return None


def deliver(
    http: httpx.Client,
    deployment: DemoDeployment,
    *,
    msg_id: str = "msg_demo_1",
    when: datetime | None = None,
    signature: str | None = None,
    body: str = '{"type": "message.delivered", "data": {"message_id": "msg_1"}}',
    drop: str = "",
) -> httpx.Response:
    """POST a Standard Webhooks delivery, validly signed unless told otherwise."""
    when = when or datetime.now(UTC)
    secret = deployment.secrets()[SecretKey.WEBHOOK_SECRET]
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature or Webhook(secret).sign(msg_id, when, body),
        "content-type": "application/json",
    }
    headers.pop(drop, None)
    return http.post(EVENTS, content=body.encode(), headers=headers)


def valid_signature(deployment: DemoDeployment, msg_id: str, body: str) -> str:
    secret = deployment.secrets()[SecretKey.WEBHOOK_SECRET]
    return str(Webhook(secret).sign(msg_id, datetime.now(UTC), body))


BODY = '{"type": "message.delivered", "data": {"message_id": "msg_1"}}'
JUNK = "v1," + base64.b64encode(b"x" * 32).decode()


def preflight(http: httpx.Client, origin: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    return http.options(ME, headers=headers)


def peer_certificate(
    deployment: DemoDeployment, server_hostname: str
) -> tuple[x509.Certificate, str]:
    context = ssl.create_default_context(cafile=str(deployment.ca_path))
    with (
        socket.create_connection(("127.0.0.1", deployment.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        version = tls.version()
    assert der is not None and version is not None
    return x509.load_der_x509_certificate(der), version


def resolver_for(deployment: DemoDeployment) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = deployment.dns_port
    resolver.lifetime = 2
    return resolver


# -- the correct app --------------------------------------------------------------------------


def test_profile_has_the_contract_values(demo: DemoDeployment) -> None:
    p, port = demo.profile(), demo.port
    base = f"https://localhost:{port}"
    assert p.app_name == "Acme Messenger (demo)"
    assert p.environment == "production"
    assert p.production_domain == f"localhost:{port}"
    assert p.allowed_origins == [base]
    assert p.redirect_uris == [f"{base}/onyx/callback"]
    assert (p.login_url, p.protected_url) == (f"{base}/login/onyx", f"{base}{ME}")
    assert (p.webhook_url, p.privacy_notice_url) == (f"{base}{EVENTS}", f"{base}/privacy")
    assert p.webhook_events == ["message.delivered", "message.blocked", "access.revoked"]
    assert p.features == ["sign-in", "messaging", "events", "partner-connectivity"]
    assert p.requested_scopes == [
        "openid",
        "profile",
        "messages:send",
        "messages:status",
        "events:subscribe",
        "connectivity:catalogue",
        "connectivity:orders",
    ]
    assert p.onyx_authorize_url == f"https://127.0.0.1:{port}/oauth/authorize"
    assert (p.client_id, p.preview_client_id) == ("acme-demo-prod", "acme-demo-preview")
    assert p.domain_verification_token.startswith("onyx-verify-")
    assert Path(p.ca_bundle) == demo.ca_path and demo.ca_path.name == "demo-ca.pem"
    assert p.dns_nameserver == f"127.0.0.1:{demo.dns_port}"
    assert p.partner_connectivity.catalogue_version == "2026.10"
    assert p.partner_connectivity.approved_catalogue_version == "2026.10"


def test_secrets_are_distinct_and_well_formed(demo: DemoDeployment) -> None:
    values = demo.secrets()
    assert set(values) == set(SecretKey)
    assert values[SecretKey.CLIENT_SECRET] != values[SecretKey.PREVIEW_CLIENT_SECRET]
    secret = values[SecretKey.WEBHOOK_SECRET]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    for key in (SecretKey.EXPIRED_ACCESS_TOKEN, SecretKey.REVOKED_ACCESS_TOKEN):
        header = json.loads(base64.urlsafe_b64decode(values[key].split(".")[0] + "=="))
        assert header == {"alg": "HS256", "typ": "JWT"}


def test_write_profile_round_trips_without_secrets(demo: DemoDeployment, tmp_path: Path) -> None:
    path = write_profile(demo, tmp_path / "profile.toml")
    assert set(tomllib.loads(path.read_text())) == {"profile"}
    assert load_profile(path) == demo.profile()
    text = path.read_text()
    assert not any(value in text for value in demo.secrets().values())


def test_login_redirects_to_onyx_with_pkce_and_a_host_cookie(
    demo: DemoDeployment, client: httpx.Client
) -> None:
    response, query = login(client)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(demo.profile().onyx_authorize_url + "?")
    assert "scope=openid%20profile" in location
    assert query["response_type"] == "code"
    assert query["client_id"] == "acme-demo-prod"
    assert query["redirect_uri"] == demo.profile().redirect_uris[0]
    assert query["scope"] == "openid profile"
    assert len(query["state"]) == 43 and len(base64.urlsafe_b64decode(query["state"] + "=")) == 32
    assert len(query["code_challenge"]) == 43 and query["code_challenge_method"] == "S256"
    assert response.headers.get_list("set-cookie") == [
        f"__Host-acme_state={query['state']}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"
    ]
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_every_login_gets_a_new_state_and_challenge(client: httpx.Client) -> None:
    first, second = login(client)[1], login(client)[1]
    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]


def test_login_ignores_a_foreign_next_and_keeps_a_local_one(
    demo: DemoDeployment, client: httpx.Client
) -> None:
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        for name in ("next", "url", "redirect", "return_to", "continue"):
            response, _ = login(client, **{name: target})
            assert response.headers["location"].startswith(demo.profile().onyx_authorize_url)
            assert "evil" not in response.headers["location"]
    _, query = login(client, next="/inbox")
    state = query["state"]
    done = get(
        client,
        "/onyx/callback",
        params={"code": "c", "state": state},
        headers={"Cookie": f"__Host-acme_state={state}"},
    )
    assert done.status_code == 302 and done.headers["location"] == "/inbox"


def test_callback_decline_with_matching_state(client: httpx.Client) -> None:
    state = login(client)[1]["state"]
    response = get(
        client,
        "/onyx/callback",
        params={"error": "access_denied", "state": state},
        headers={"Cookie": f"__Host-acme_state={state}"},
    )
    assert response.status_code == 200 and "You declined" in response.text
    assert set_cookie_named(response, "__Host-acme_session") is None
    cleared = set_cookie_named(response, "__Host-acme_state")
    assert cleared is not None and "Max-Age=0" in cleared


@pytest.mark.parametrize("params", [{"error": "access_denied"}, {"code": "c"}])
def test_callback_with_a_tampered_state_is_a_400(
    client: httpx.Client, params: dict[str, str]
) -> None:
    state = login(client)[1]["state"]
    response = get(
        client,
        "/onyx/callback",
        params={**params, "state": state[:-2] + "xx", "next": "https://evil.example"},
        headers={"Cookie": f"__Host-acme_state={state}"},
    )
    assert response.status_code == 400
    assert "Sign-in could not be completed" in response.text
    assert "Traceback" not in response.text
    assert not response.headers.get_list("set-cookie")
    assert "location" not in response.headers


def test_callback_with_code_starts_a_session(client: httpx.Client) -> None:
    state = login(client)[1]["state"]
    response = get(
        client,
        "/onyx/callback",
        params={"code": "c", "state": state, "next": "https://evil.example"},
        headers={"Cookie": f"__Host-acme_state={state}"},
    )
    assert response.status_code == 302 and response.headers["location"] == "/"
    cookie = set_cookie_named(response, "__Host-acme_session")
    assert cookie is not None and cookie.endswith("; Path=/; Secure; HttpOnly; SameSite=Lax")
    session = cookie.split(";")[0].split("=", 1)[1]
    me = get(client, ME, headers={"Cookie": f"__Host-acme_session={session}"})
    assert me.status_code == 200 and me.json()["via"] == "session"
    forged = get(client, ME, headers={"Cookie": "__Host-acme_session=forged"})
    assert forged.status_code == 401


def test_protected_api_accepts_only_a_valid_token(
    demo: DemoDeployment, client: httpx.Client
) -> None:
    values = demo.secrets()
    ok = get(
        client, ME, headers={"Authorization": f"Bearer {values[SecretKey.VALID_ACCESS_TOKEN]}"}
    )
    assert ok.status_code == 200 and ok.json()["sub"]
    none = get(client, ME)
    assert none.status_code == 401 and none.headers["www-authenticate"] == 'Bearer realm="acme"'
    valid = values[SecretKey.VALID_ACCESS_TOKEN]
    bad_signature = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    alg_none = ".".join(
        [base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("="), valid.split(".")[1], ""]
    )
    for token in (
        values[SecretKey.EXPIRED_ACCESS_TOKEN],
        values[SecretKey.REVOKED_ACCESS_TOKEN],
        "garbage",
        "a.b.c",
        bad_signature,
        alg_none,
    ):
        response = get(client, ME, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_cors_allows_only_the_allowed_origin(demo: DemoDeployment, client: httpx.Client) -> None:
    origin = demo.profile().allowed_origins[0]
    ok = preflight(client, origin)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == origin
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert ok.headers["access-control-allow-methods"] == "GET, POST"
    assert ok.headers["access-control-allow-headers"] == "authorization, content-type"
    assert ok.headers["vary"] == "Origin"
    port = demo.port
    for foreign in (
        "https://evil.example",
        "null",
        f"https://evillocalhost:{port}",
        f"https://localhost.evil.example:{port}",
        f"https://localhost_.evil.example:{port}",
        f"http://localhost:{port}",
        "https://localhost",
        "not a url",
    ):
        response = preflight(client, foreign)
        assert response.status_code in (204, 403)
        assert "access-control-allow-origin" not in response.headers, foreign
        assert response.headers["vary"] == "Origin"
    token = demo.secrets()[SecretKey.VALID_ACCESS_TOKEN]
    bearer = {"Authorization": f"Bearer {token}"}
    same = get(client, ME, headers={"Origin": origin, **bearer})
    assert same.headers["access-control-allow-origin"] == origin
    other = get(client, ME, headers={"Origin": "https://evil.example", **bearer})
    assert "access-control-allow-origin" not in other.headers


def test_webhook_receiver_verifies_and_is_idempotent(
    demo: DemoDeployment, client: httpx.Client
) -> None:
    started = time.monotonic()
    assert deliver(client, demo, msg_id="msg_a").status_code == 204
    assert time.monotonic() - started < 1
    assert demo.processed_webhooks[-1] == "msg_a"
    again = deliver(client, demo, msg_id="msg_a", when=datetime.now(UTC) + timedelta(seconds=5))
    assert again.status_code == 200
    assert demo.processed_webhooks.count("msg_a") == 1

    rotated = f"{JUNK} {valid_signature(demo, 'msg_b', BODY)}"
    assert deliver(client, demo, msg_id="msg_b", signature=rotated).status_code == 204
    rotated_garbage = f"v1,@@@ {valid_signature(demo, 'msg_c', BODY)}"
    assert deliver(client, demo, msg_id="msg_c", signature=rotated_garbage).status_code == 204

    assert deliver(client, demo, msg_id="msg_d", signature=JUNK).status_code == 400
    for malformed in ("garbage", "v1,a,b", "v1,@@@", "v1,abc", "v1", ","):
        response = deliver(client, demo, msg_id="msg_e", signature=malformed)
        assert response.status_code == 400, malformed
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert deliver(client, demo, msg_id="msg_f", drop=header).status_code == 400
    for offset in (-600, 600):
        when = datetime.now(UTC) + timedelta(seconds=offset)
        assert deliver(client, demo, msg_id="msg_g", when=when).status_code == 400
    assert "msg_d" not in demo.processed_webhooks


def test_pages_and_well_known(demo: DemoDeployment, client: httpx.Client) -> None:
    privacy = get(client, "/privacy")
    assert privacy.status_code == 200 and privacy.headers["content-type"].startswith("text/html")
    text = privacy.text.lower()
    for word in ("onyx", "data", "retention", "delete", "shar"):
        assert word in text
    token = get(client, "/.well-known/onyx-domain-verification.txt")
    assert token.status_code == 200 and token.headers["content-type"].startswith("text/plain")
    assert token.text == demo.profile().domain_verification_token
    assert get(client, "/").status_code == 200
    assert get(client, "/oauth/authorize").status_code == 200
    assert get(client, "/nowhere").status_code == 404
    assert client.head("/").status_code == 404
    assert client.put(ME).status_code == 405
    assert all(r.status for r in demo.requests)
    assert ("GET", "/nowhere", 404) in demo.requests


def test_dns_answers_the_verification_record(demo: DemoDeployment) -> None:
    resolver = resolver_for(demo)
    answer = resolver.resolve("localhost.", "TXT")
    texts = [b"".join(rdata.strings).decode() for rdata in answer]
    assert texts == [f"onyx-domain-verification={demo.profile().domain_verification_token}"]
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("acme.example.", "TXT")


def test_tls_certificate_names_and_validity(demo: DemoDeployment) -> None:
    for name in ("localhost", "127.0.0.1"):
        cert, version = peer_certificate(demo, name)
        assert version in ("TLSv1.2", "TLSv1.3")
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=90)
    assert cert.not_valid_before_utc < datetime.now(UTC)
    key_mode = demo.certificates.key_path.stat().st_mode & 0o777
    assert key_mode == 0o600


def test_unknown_fault_is_rejected_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match="cors-reflect-origin") as error:
        DemoDeployment(["no-such-fault"])
    assert "no-such-fault" in str(error.value)


def test_the_fault_table_is_complete() -> None:
    assert len(FAULTS) == 48
    assert {f.kind for f in FAULTS.values()} == {"server", "profile", "secrets", "files"}
    assert all(f.description and f.probe and f.reason_code.isupper() for f in FAULTS.values())
    assert set(FAULT_CHECKS) | {"webhook-slow"} == set(FAULTS)


def test_stop_is_prompt_with_a_slow_webhook_pending() -> None:
    deployment = DemoDeployment(["webhook-slow"]).start()
    outcome: list[object] = []

    def send() -> None:
        with client_for(deployment) as http:
            try:
                outcome.append(deliver(http, deployment).status_code)
            except httpx.HTTPError as exc:
                outcome.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(0.3)  # let the delivery reach its 12 s wait
    started = time.monotonic()
    deployment.stop()
    sender.join(timeout=5)
    assert time.monotonic() - started < 2
    assert not sender.is_alive() and outcome


# -- one deployment per fault: the matching behaviour flips ----------------------------------


def _tampered_callback(d: DemoDeployment, http: httpx.Client) -> httpx.Response:
    state = login(http)[1]["state"]
    tampered = ("y" if state.startswith("x") else "x") + state[1:]  # never the state itself
    return get(
        http,
        "/onyx/callback",
        params={"error": "access_denied", "state": tampered},
        headers={"Cookie": f"__Host-acme_state={state}"},
    )


def _declined(d: DemoDeployment, http: httpx.Client) -> httpx.Response:
    state = login(http)[1]["state"]
    return get(
        http,
        "/onyx/callback",
        params={"error": "access_denied", "state": state},
        headers={"Cookie": f"__Host-acme_state={state}"},
    )


def _acao(d: DemoDeployment, http: httpx.Client, origin: str) -> str | None:
    value: str | None = preflight(http, origin).headers.get("access-control-allow-origin")
    return value


def _token(d: DemoDeployment, http: httpx.Client, key: SecretKey) -> httpx.Response:
    return get(http, ME, headers={"Authorization": f"Bearer {d.secrets()[key]}"})


def _check_cors_reflect(d: DemoDeployment, http: httpx.Client) -> None:
    assert _acao(d, http, "https://evil.example") == "https://evil.example"


def _check_cors_null(d: DemoDeployment, http: httpx.Client) -> None:
    assert _acao(d, http, "null") == "null"
    assert _acao(d, http, "https://evil.example") is None


def _check_cors_suffix(d: DemoDeployment, http: httpx.Client) -> None:
    assert _acao(d, http, f"https://evillocalhost:{d.port}") == f"https://evillocalhost:{d.port}"
    assert _acao(d, http, f"https://localhost.evil.example:{d.port}") is None


def _check_cors_prefix(d: DemoDeployment, http: httpx.Client) -> None:
    origin = f"https://localhost.evil.example:{d.port}"
    assert _acao(d, http, origin) == origin
    assert _acao(d, http, f"https://evillocalhost:{d.port}") is None
    assert _acao(d, http, f"https://localhost_.evil.example:{d.port}") is None


def _check_cors_wildcard(d: DemoDeployment, http: httpx.Client) -> None:
    response = preflight(http, "https://evil.example")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-credentials"] == "true"


def _check_cors_no_vary(d: DemoDeployment, http: httpx.Client) -> None:
    response = preflight(http, d.base_url)
    assert "vary" not in response.headers
    assert response.headers["access-control-allow-origin"] == d.base_url


def _state_cookie(d: DemoDeployment, http: httpx.Client) -> str:
    return login(http)[0].headers.get_list("set-cookie")[0]


def _check_cookie_no_httponly(d: DemoDeployment, http: httpx.Client) -> None:
    cookie = _state_cookie(d, http)
    assert "HttpOnly" not in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def _check_cookie_no_secure(d: DemoDeployment, http: httpx.Client) -> None:
    cookie = _state_cookie(d, http)
    assert cookie.startswith("acme_state=") and "Secure" not in cookie and "HttpOnly" in cookie
    state = cookie.split(";")[0].split("=", 1)[1]
    declined = get(
        http,
        "/onyx/callback",
        params={"error": "access_denied", "state": state},
        headers={"Cookie": f"acme_state={state}"},
    )
    assert declined.status_code == 200


def _check_cookie_no_samesite(d: DemoDeployment, http: httpx.Client) -> None:
    cookie = _state_cookie(d, http)
    assert "SameSite" not in cookie and "HttpOnly" in cookie


def _check_cookie_holds_token(d: DemoDeployment, http: httpx.Client) -> None:
    token = d.secrets()[SecretKey.VALID_ACCESS_TOKEN]
    cookie = set_cookie_named(login(http)[0], "acme_token")
    assert cookie is not None and cookie.startswith(f"acme_token={token};")


def _check_session_forged(d: DemoDeployment, http: httpx.Client) -> None:
    assert get(http, ME, headers={"Cookie": "__Host-acme_session=forged"}).status_code == 500
    assert get(http, ME, headers={"Cookie": "sessionid=forged"}).status_code == 500
    assert get(http, ME).status_code == 401
    # The app's own state cookie, replayed by a client that keeps cookies, is not a forgery.
    state = login(http)[1]["state"]
    assert get(http, ME, headers={"Cookie": f"__Host-acme_state={state}"}).status_code == 401


def _check_session_forged_crash(d: DemoDeployment, http: httpx.Client) -> None:
    crashed = get(http, ME, headers={"Cookie": "sessionid=forged"})
    # A plain 500, as if nothing were wrong with the connection...
    assert crashed.status_code == 500 and "connection" not in crashed.headers
    # ...but the next request on the same kept-alive connection gets no answer at all.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        get(http, ME)
    assert get(http, ME).status_code == 401  # a new connection works
    assert get(http, ME, headers={"Cookie": "__Host-acme_session=forged"}).status_code == 500
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        get(http, "/")


def _check_token_expired(d: DemoDeployment, http: httpx.Client) -> None:
    assert _token(d, http, SecretKey.EXPIRED_ACCESS_TOKEN).status_code == 200
    assert _token(d, http, SecretKey.REVOKED_ACCESS_TOKEN).status_code == 401


def _check_token_revoked(d: DemoDeployment, http: httpx.Client) -> None:
    assert _token(d, http, SecretKey.REVOKED_ACCESS_TOKEN).status_code == 200
    assert _token(d, http, SecretKey.EXPIRED_ACCESS_TOKEN).status_code == 401


def _check_token_no_www_authenticate(d: DemoDeployment, http: httpx.Client) -> None:
    for response in (get(http, ME), _token(d, http, SecretKey.EXPIRED_ACCESS_TOKEN)):
        assert response.status_code == 401 and "www-authenticate" not in response.headers


def _check_callback_500(d: DemoDeployment, http: httpx.Client) -> None:
    response = _declined(d, http)
    assert response.status_code == 500 and "Traceback" not in response.text


def _check_callback_trace(d: DemoDeployment, http: httpx.Client) -> None:
    response = _tampered_callback(d, http)
    assert response.status_code == 400
    assert "Traceback (most recent call last):" in response.text
    assert 'File "/srv/acme/app.py", line 88, in callback' in response.text


def _check_callback_session(d: DemoDeployment, http: httpx.Client) -> None:
    response = _declined(d, http)
    assert response.status_code == 200
    cookie = set_cookie_named(response, "__Host-acme_session")
    assert cookie is not None
    # The faulty app signed the browser in although the user declined.
    session_cookie = cookie.split(";")[0]
    assert get(http, ME, headers={"Cookie": session_cookie}).status_code == 200


def _check_no_pkce(d: DemoDeployment, http: httpx.Client) -> None:
    query = login(http)[1]
    assert "code_challenge" not in query and "code_challenge_method" not in query


def _check_static_state(d: DemoDeployment, http: httpx.Client) -> None:
    assert login(http)[1]["state"] == login(http)[1]["state"]


def _check_weak_state(d: DemoDeployment, http: httpx.Client) -> None:
    state = login(http)[1]["state"]
    assert len(state) == 16 and int(state, 16) >= 0


def _check_extra_scope(d: DemoDeployment, http: httpx.Client) -> None:
    assert login(http)[1]["scope"] == "openid profile contacts:read"


def _check_messaging_scope(d: DemoDeployment, http: httpx.Client) -> None:
    assert login(http)[1]["scope"] == "openid profile messages:send"


def _check_preview_client(d: DemoDeployment, http: httpx.Client) -> None:
    assert login(http)[1]["client_id"] == "acme-demo-preview"


def _check_redirect_mismatch(d: DemoDeployment, http: httpx.Client) -> None:
    assert login(http)[1]["redirect_uri"] == d.profile().redirect_uris[0] + "/"


def _check_open_redirect(d: DemoDeployment, http: httpx.Client) -> None:
    for path in ("/login/onyx", "/onyx/callback"):
        response = get(http, path, params={"next": "https://evil.example"})
        assert response.headers["location"] == "https://evil.example"
    assert login(http)[1]["client_id"] == "acme-demo-prod"  # without next: unchanged


def _check_webhook_bad_signature(d: DemoDeployment, http: httpx.Client) -> None:
    assert deliver(http, d, msg_id="m1", signature=JUNK).status_code == 204
    assert deliver(http, d, msg_id="m2", signature="garbage").status_code == 400
    stale = datetime.now(UTC) - timedelta(seconds=600)
    assert deliver(http, d, msg_id="m3", when=stale).status_code == 400


def _check_webhook_stale(d: DemoDeployment, http: httpx.Client) -> None:
    stale = datetime.now(UTC) - timedelta(seconds=600)
    assert deliver(http, d, msg_id="m1", when=stale).status_code == 204
    assert deliver(http, d, msg_id="m2", signature=JUNK).status_code == 400


def _check_webhook_malformed(d: DemoDeployment, http: httpx.Client) -> None:
    for malformed in ("garbage", "v1,a,b", "v1,abc"):
        assert deliver(http, d, msg_id="m1", signature=malformed).status_code == 500
    assert deliver(http, d, msg_id="m2", signature=JUNK).status_code == 400
    rotated = f"v1,@@@ {valid_signature(d, 'm3', BODY)}"
    assert deliver(http, d, msg_id="m3", signature=rotated).status_code == 204


REVOKE_BODY = '{"type": "access.revoked", "data": {"user_id": "usr_demo_revocable"}}'


def _revocable_token_status(d: DemoDeployment, http: httpx.Client) -> int:
    token = d.secrets()[SecretKey.REVOCATION_ACCESS_TOKEN]
    return get(http, "/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _check_revocation_ignored(d: DemoDeployment, http: httpx.Client) -> None:
    assert _revocable_token_status(d, http) == 200
    assert deliver(http, d, msg_id="r1", body=REVOKE_BODY).status_code == 204
    assert _revocable_token_status(d, http) == 200  # accepted, and access goes on


def _check_revocation_on_restart(d: DemoDeployment, http: httpx.Client) -> None:
    assert deliver(http, d, msg_id="r1", body=REVOKE_BODY).status_code == 204
    assert _revocable_token_status(d, http) == 200
    assert d.state.pending_revocations == ["usr_demo_revocable"]  # only a restart applies it


def test_a_revocation_event_ends_the_users_access() -> None:
    with DemoDeployment() as d, client_for(d) as http:
        assert _revocable_token_status(d, http) == 200
        assert deliver(http, d, msg_id="r1", body=REVOKE_BODY).status_code == 204
        assert _revocable_token_status(d, http) == 401
        valid = d.secrets()[SecretKey.VALID_ACCESS_TOKEN]  # another user's token still works
        assert (
            get(http, "/api/v1/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200
        )


def _check_webhook_not_idempotent(d: DemoDeployment, http: httpx.Client) -> None:
    assert deliver(http, d, msg_id="m1").status_code == 204
    assert deliver(http, d, msg_id="m1").status_code == 409


def _check_webhook_no_rotation(d: DemoDeployment, http: httpx.Client) -> None:
    rotated = f"{JUNK} {valid_signature(d, 'm1', BODY)}"
    assert deliver(http, d, msg_id="m1", signature=rotated).status_code == 400
    assert deliver(http, d, msg_id="m2").status_code == 204


def _check_tls_expiring(d: DemoDeployment, http: httpx.Client) -> None:
    cert, _ = peer_certificate(d, "localhost")
    left = cert.not_valid_after_utc - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=90)


def _check_no_hsts(d: DemoDeployment, http: httpx.Client) -> None:
    for path in ("/", "/login/onyx", "/nowhere"):
        assert "strict-transport-security" not in get(http, path).headers


def _check_privacy_missing(d: DemoDeployment, http: httpx.Client) -> None:
    assert get(http, "/privacy").status_code == 404


def _check_privacy_no_onyx(d: DemoDeployment, http: httpx.Client) -> None:
    response = get(http, "/privacy")
    assert response.status_code == 200 and "onyx" not in response.text.lower()
    assert "retention" in response.text.lower()


def _check_domain_token_missing(d: DemoDeployment, http: httpx.Client) -> None:
    assert get(http, "/.well-known/onyx-domain-verification.txt").status_code == 404
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(d).resolve("localhost.", "TXT")


def _check_redirect_not_https(d: DemoDeployment, http: httpx.Client) -> None:
    uris = d.profile().redirect_uris
    assert uris == [f"{d.base_url}/onyx/callback", f"http://localhost:{d.port}/onyx/alt-callback"]
    assert login(http)[1]["redirect_uri"] == uris[0]


def _check_redirect_wildcard(d: DemoDeployment, http: httpx.Client) -> None:
    assert d.profile().redirect_uris[1] == f"https://*.localhost:{d.port}/onyx/callback"


def _check_scope_not_needed(d: DemoDeployment, http: httpx.Client) -> None:
    assert d.profile().requested_scopes[-1] == "contacts:read"
    assert login(http)[1]["scope"] == "openid profile"


def _check_credentials_shared(d: DemoDeployment, http: httpx.Client) -> None:
    values = d.secrets()
    assert values[SecretKey.CLIENT_SECRET] == values[SecretKey.PREVIEW_CLIENT_SECRET]


def _check_catalogue(d: DemoDeployment, http: httpx.Client) -> None:
    connectivity = d.profile().partner_connectivity
    assert connectivity.catalogue_version == "2026.11"
    assert connectivity.approved_catalogue_version == "2026.10"


def _log_text(d: DemoDeployment) -> str:
    return (Path(d.profile().log_paths[0]) / "app.log").read_text()


def _check_log_leaks_token(d: DemoDeployment, http: httpx.Client) -> None:
    assert d.secrets()[SecretKey.VALID_ACCESS_TOKEN] in _log_text(d)


def _check_log_leaks_pii(d: DemoDeployment, http: httpx.Client) -> None:
    assert "jane.doe@example.com" in _log_text(d)


def _check_evidence_holds_key(d: DemoDeployment, http: httpx.Client) -> None:
    dump = Path(d.profile().evidence_dir) / "debug-dump.txt"
    assert "BEGIN PRIVATE KEY" in dump.read_text()


def _check_evidence_holds_passport(d: DemoDeployment, http: httpx.Client) -> None:
    ticket = Path(d.profile().evidence_dir) / "ticket-4821-attachment.txt"
    assert "P<NLD" in ticket.read_text()


def test_healthy_logs_and_evidence_are_clean_and_realistic() -> None:
    with DemoDeployment() as deployment:
        log = _log_text(deployment)
        evidence = sorted(p.name for p in Path(deployment.profile().evidence_dir).iterdir())
        secrets = deployment.secrets().values()
    assert len(log.splitlines()) == 400 and "request_id=" in log
    assert not any(value in log for value in secrets) and "@" not in log
    assert evidence == ["support-runbook.md"]


FAULT_CHECKS: dict[str, Callable[[DemoDeployment, httpx.Client], None]] = {
    "log-leaks-token": _check_log_leaks_token,
    "log-leaks-pii": _check_log_leaks_pii,
    "evidence-holds-key": _check_evidence_holds_key,
    "evidence-holds-passport": _check_evidence_holds_passport,
    "cors-reflect-origin": _check_cors_reflect,
    "cors-null-origin": _check_cors_null,
    "cors-suffix-match": _check_cors_suffix,
    "cors-prefix-match": _check_cors_prefix,
    "cors-wildcard-credentials": _check_cors_wildcard,
    "cors-no-vary": _check_cors_no_vary,
    "cookie-no-httponly": _check_cookie_no_httponly,
    "cookie-no-secure": _check_cookie_no_secure,
    "cookie-no-samesite": _check_cookie_no_samesite,
    "cookie-holds-token": _check_cookie_holds_token,
    "session-forged-500": _check_session_forged,
    "session-forged-crash": _check_session_forged_crash,
    "token-accepts-expired": _check_token_expired,
    "token-accepts-revoked": _check_token_revoked,
    "token-no-www-authenticate": _check_token_no_www_authenticate,
    "callback-500-on-denied": _check_callback_500,
    "callback-stack-trace": _check_callback_trace,
    "callback-session-on-error": _check_callback_session,
    "authorize-no-pkce": _check_no_pkce,
    "authorize-static-state": _check_static_state,
    "authorize-weak-state": _check_weak_state,
    "authorize-extra-scope": _check_extra_scope,
    "authorize-messaging-scope": _check_messaging_scope,
    "authorize-preview-client": _check_preview_client,
    "redirect-uri-mismatch": _check_redirect_mismatch,
    "open-redirect": _check_open_redirect,
    "webhook-accepts-bad-signature": _check_webhook_bad_signature,
    "webhook-accepts-stale": _check_webhook_stale,
    "webhook-500-on-malformed": _check_webhook_malformed,
    "webhook-not-idempotent": _check_webhook_not_idempotent,
    "revocation-ignored": _check_revocation_ignored,
    "revocation-on-restart": _check_revocation_on_restart,
    "webhook-no-rotation": _check_webhook_no_rotation,
    "tls-expiring": _check_tls_expiring,
    "no-hsts": _check_no_hsts,
    "privacy-missing": _check_privacy_missing,
    "privacy-no-onyx": _check_privacy_no_onyx,
    "domain-token-missing": _check_domain_token_missing,
    "redirect-uri-not-https": _check_redirect_not_https,
    "redirect-uri-wildcard": _check_redirect_wildcard,
    "scope-not-needed": _check_scope_not_needed,
    "credentials-shared": _check_credentials_shared,
    "catalogue-unapproved": _check_catalogue,
}


@pytest.mark.parametrize("fault", sorted(FAULT_CHECKS))
def test_each_fault_flips_its_behaviour(fault: str) -> None:
    with DemoDeployment([fault]) as deployment, client_for(deployment) as http:
        assert deployment.faults == (fault,)
        FAULT_CHECKS[fault](deployment, http)
        # The baseline the other probes rely on still holds.
        assert get(http, "/").status_code == 200


def test_a_fault_name_not_in_faults_toml_is_refused_where_it_is_checked() -> None:
    # A typo in a fault check must fail loudly, not silently never fire.
    with pytest.raises(ValueError, match="cors-no-varry"):
        DemoDeployment().state.has_fault("cors-no-varry")
