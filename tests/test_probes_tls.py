"""The TLS probe against real TLS servers on loopback, and its rules on their own.

Ways a broken deployment could pass the old probe, each pinned here: TLS 1.0/1.1 still accepted
beside 1.3; a second partner host (webhook, API) with a bad certificate; HSTS only on the home
page; a skipped legacy check passing silently. Ways a correct one could fail it: a short-lived
certificate; `/` not served on an API-only domain; a `.dev` host relying on the preload list; a
webhook URL answering 405 to GET; a server error page without HSTS.
"""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from _loopback import HSTS, Answer, serve

from onyx_wizard.probes import Findings, Outcome, ProbeResult, Response, run_probes, tls
from onyx_wizard.probes.tls import (
    DAY,
    Handshake,
    check_expiry,
    judge_domain_hsts,
    preloaded,
    targets,
)
from onyx_wizard.profile import Profile

HOUR = 3600.0


def first_code(findings: Findings) -> str:
    return findings.result("OK", "fine").reason_code


@pytest.mark.parametrize(
    ("left", "lifetime", "code"),
    [
        (6 * DAY, 160 * HOUR, "OK"),  # a short-lived certificate on its normal schedule
        (2 * DAY, 160 * HOUR, "TLS_EXPIRY_WARNING"),  # under a third of 160 h (53 h)
        (20 * HOUR, 160 * HOUR, "TLS_EXPIRES_SOON"),  # under a sixth of 160 h (26.7 h)
        (3 * DAY, 90 * DAY, "TLS_EXPIRES_SOON"),
        (8 * DAY, 90 * DAY, "TLS_EXPIRY_WARNING"),
        (31 * DAY, 90 * DAY, "OK"),
        (2 * DAY, 10 * DAY, "TLS_EXPIRY_WARNING"),  # 10-day lifetime: warn under 3.33 days
        (1 * DAY, 10 * DAY, "TLS_EXPIRES_SOON"),  # and fail under 1.67 days
    ],
)
def test_expiry_is_judged_against_the_lifetime(left: float, lifetime: float, code: str) -> None:
    now = time.time()
    shake = Handshake("TLSv1.3", "x", now + left - lifetime, now + left, ())
    findings = Findings("tls")
    check_expiry(findings, "localhost:8443", shake, now)
    assert first_code(findings) == code


def test_targets_are_every_partner_host_and_never_onyx() -> None:
    profile = Profile(
        production_domain="acme.example",
        allowed_origins=["https://www.acme.example"],
        login_url="https://app.acme.example/login/onyx",
        protected_url="https://api.acme.example/v1/me",
        webhook_url="https://hooks.acme.example:8443/onyx/events",
        privacy_notice_url="https://acme.example/privacy",
        redirect_uris=[
            "https://app.acme.example/onyx/callback",
            "http://127.0.0.1:8080/cb",  # not https: nothing to check
            "https://*.acme.example/onyx/callback",  # a wildcard: the redirect-URI rules' finding
        ],
        onyx_authorize_url="https://auth.onyx.example/oauth/authorize",
    )
    found = {target.label: target.sources for target in targets(profile)}
    assert list(found) == [
        "acme.example",
        "app.acme.example",
        "api.acme.example",
        "hooks.acme.example:8443",
    ]
    assert found["acme.example"] == ("production_domain", "privacy_notice_url")
    assert found["app.acme.example"] == ("login_url", "redirect_uris")


def test_preloaded_top_level_domains() -> None:
    assert preloaded("api.acme.dev") == "dev"
    assert preloaded("Acme.APP.") == "app"
    assert preloaded("acme.example") == ""
    assert preloaded("127.0.0.1") == ""
    assert preloaded("dev") == ""


def _answer(url: str, status: int, *headers: tuple[str, str]) -> Response:
    return Response("GET", url, status, httpx.Headers(list(headers)), b"", 1, {})


def test_a_preloaded_domain_passes_without_the_header_with_a_note() -> None:
    findings = Findings("tls")
    judge_domain_hsts(findings, _answer("https://acme.dev/", 200), "acme.dev")
    assert first_code(findings) == "OK"
    assert any("preloaded" in str(item.get("note", "")) for item in findings.evidence)
    findings = Findings("tls")
    judge_domain_hsts(findings, _answer("https://acme.example/", 200), "acme.example")
    assert first_code(findings) == "HSTS_MISSING"


# --- against real servers --------------------------------------------------------------------


def profile_for(base: str, ca: Path, **changes: object) -> Profile:
    data: dict[str, object] = {
        "production_domain": base.removeprefix("https://"),
        "login_url": f"{base}/login/onyx",
        "protected_url": f"{base}/api/v1/me",
        "webhook_url": f"{base}/onyx/events",
        "privacy_notice_url": f"{base}/privacy",
        "redirect_uris": [f"{base}/onyx/callback"],
        "ca_bundle": str(ca),
    }
    data.update(changes)
    return Profile.model_validate(data)


def healthy_routes() -> dict[str, Answer]:
    return {
        "/": Answer(200, [HSTS], b"home"),
        "/login/onyx": Answer(302, [HSTS, ("Location", "https://auth.onyx.example/x")]),
        "/api/v1/me": Answer(401, [HSTS, ("WWW-Authenticate", "Bearer")]),
        "/onyx/events": Answer(405, [HSTS, ("Allow", "POST")]),
        "/privacy": Answer(200, [HSTS], b"privacy"),
        "/onyx/callback": Answer(400, [HSTS]),
    }


def run_tls(profile: Profile) -> ProbeResult:
    [result] = asyncio.run(run_probes(["tls"], profile, {}))
    return result


def test_a_healthy_host_passes_and_the_legacy_refusal_is_in_the_evidence(tmp_path: Path) -> None:
    with serve(tmp_path / "a") as server:
        server.routes.update(healthy_routes())
        result = run_tls(profile_for(server.base, server.ca_path))
        gets = sorted(r.path for r in server.seen)
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "TLS_OK"), result.message
    assert "refuses 1.0/1.1" in result.message
    legacy = [e for e in result.evidence if "capped at TLS 1.1" in str(e.get("check"))]
    assert legacy and legacy[0]["outcome"] == "pass"
    # Each partner URL fetched once by the probe itself, the 405 of the webhook URL included.
    assert gets == ["/", "/api/v1/me", "/login/onyx", "/onyx/callback", "/onyx/events", "/privacy"]


def test_a_host_that_still_accepts_tls_1_0_fails(tmp_path: Path) -> None:
    with serve(tmp_path / "a", legacy_tls=True) as server:
        server.routes.update(healthy_routes())
        result = run_tls(profile_for(server.base, server.ca_path))
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "TLS_LEGACY_PROTOCOL_ACCEPTED")
    assert "TLSv1" in result.message


def test_a_legacy_check_that_cannot_run_is_skipped_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a system whose OpenSSL is built without TLS 1.0/1.1.
    monkeypatch.setattr(tls, "legacy_context", lambda: (None, "this OpenSSL has no TLS 1.0"))
    with serve(tmp_path / "a", legacy_tls=True) as server:
        server.routes.update(healthy_routes())
        result = run_tls(profile_for(server.base, server.ca_path))
    assert result.outcome is Outcome.PASS
    assert "was not checked: this OpenSSL has no TLS 1.0" in result.message
    skipped = [e for e in result.evidence if e.get("outcome") == "skipped"]
    assert skipped and skipped[0]["why"] == "this OpenSSL has no TLS 1.0"


def test_the_local_library_offers_tls_1_1_here() -> None:
    # The container's OpenSSL can offer the old protocols, so the refusal is really checked.
    context, why = tls.legacy_context()
    assert context is not None, why


@pytest.mark.parametrize(
    ("validity", "code"),
    [
        ((timedelta(hours=160), timedelta(days=6)), "TLS_OK"),
        ((timedelta(days=90), timedelta(days=3)), "TLS_EXPIRES_SOON"),
    ],
)
def test_certificate_lifetimes(
    tmp_path: Path, validity: tuple[timedelta, timedelta], code: str
) -> None:
    with serve(tmp_path / "a", validity=validity) as server:
        server.routes.update(healthy_routes())
        result = run_tls(profile_for(server.base, server.ca_path))
    assert result.reason_code == code, result.message


def test_every_partner_host_is_checked(tmp_path: Path) -> None:
    # The webhook lives on another port with a certificate 3 days from expiry.
    with (
        serve(tmp_path / "a") as main,
        serve(tmp_path / "b", validity=(timedelta(days=90), timedelta(days=3))) as hooks,
    ):
        main.routes.update(healthy_routes())
        hooks.routes.update(healthy_routes())
        bundle = tmp_path / "bundle.pem"
        bundle.write_bytes(main.ca_path.read_bytes() + hooks.ca_path.read_bytes())
        profile = profile_for(main.base, bundle, webhook_url=f"{hooks.base}/onyx/events")
        result = run_tls(profile)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "TLS_EXPIRES_SOON")
    assert f"localhost:{hooks.port}" in result.message
    assert [r.path for r in hooks.seen] == ["/onyx/events"]


def test_root_not_served_is_judged_on_the_domains_first_answer(tmp_path: Path) -> None:
    with serve(tmp_path / "a") as server:
        routes = healthy_routes()
        routes["/"] = Answer(404)  # an API-only host: nothing at /, and no header either
        server.routes.update(routes)
        result = run_tls(profile_for(server.base, server.ca_path))
        assert (result.outcome, result.reason_code) == (Outcome.PASS, "TLS_OK"), result.message
        assert "judged on" in result.message and "/login/onyx" in result.message

        # Not served either: the next URL's answer (a 401 carrying HSTS) stands for the domain;
        # the login URL's bare 404 is still an answer of a partner URL without HSTS.
        server.routes["/login/onyx"] = Answer(404)
        result = run_tls(profile_for(server.base, server.ca_path))
        assert (result.outcome, result.reason_code) == (Outcome.WARN, "HSTS_NOT_ON_EVERY_ANSWER")
        notes = [str(e.get("note", "")) for e in result.evidence]
        assert any("judged on" in note and note.endswith("/api/v1/me") for note in notes)

        server.routes["/login/onyx"] = Answer(302, [("Location", "https://auth.onyx.example/")])
        result = run_tls(profile_for(server.base, server.ca_path))
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "HSTS_MISSING")
    assert "/login/onyx" in result.message


def test_answers_without_hsts_are_named_in_a_warn(tmp_path: Path) -> None:
    with serve(tmp_path / "a") as server:
        routes = healthy_routes()
        routes["/api/v1/me"] = Answer(401, [("WWW-Authenticate", "Bearer")])
        routes["/privacy"] = Answer(200, [("Strict-Transport-Security", "max-age=300")])
        routes["/onyx/callback"] = Answer(500)  # an error page: another probe's finding
        server.routes.update(routes)
        result = run_tls(profile_for(server.base, server.ca_path))
    assert (result.outcome, result.reason_code) == (Outcome.WARN, "HSTS_NOT_ON_EVERY_ANSWER")
    assert "/api/v1/me (401)" in result.message and "max-age=300" in result.message
    assert "/onyx/callback" not in result.message and "/onyx/events" not in result.message


def test_the_onyx_host_is_never_contacted(tmp_path: Path) -> None:
    onyx = socket.socket()
    onyx.bind(("127.0.0.1", 0))
    onyx.listen(8)
    onyx.setblocking(False)
    try:
        with serve(tmp_path / "a") as server:
            server.routes.update(healthy_routes())
            onyx_url = f"https://127.0.0.1:{onyx.getsockname()[1]}/oauth/authorize"
            profile = profile_for(server.base, server.ca_path, onyx_authorize_url=onyx_url)
            result = run_tls(profile)
        assert result.outcome is Outcome.PASS, result.message
        with pytest.raises(BlockingIOError):
            onyx.accept()
    finally:
        onyx.close()
