"""The profile: the integration's facts, validated with errors that name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from onyx_wizard.profile import (
    Environment,
    Profile,
    ProfileError,
    describe_validation_error,
    load_profile,
    with_field,
)

GOOD_PROFILE = """\
[profile]
app_name = "Acme Messenger"
app_description = "Send messages to your Onyx contacts from Acme."
environment = "production"
production_domain = "acme.example"
allowed_origins = ["https://app.acme.example"]
redirect_uris = ["https://app.acme.example/onyx/callback"]
login_url = "https://app.acme.example/login/onyx"
protected_url = "https://api.acme.example/v1/me"
webhook_url = "https://hooks.acme.example/onyx/events"
webhook_events = ["message.delivered", "message.blocked", "access.revoked"]
privacy_notice_url = "https://acme.example/privacy"
features = ["sign-in", "messaging", "events"]
requested_scopes = ["openid", "profile", "messages:send"]
onyx_authorize_url = "https://auth.onyx.example/oauth/authorize"
client_id = "acme-prod"
preview_client_id = "acme-preview"
domain_verification_token = "onyx-verify-123"
ca_bundle = ""
log_paths = []
evidence_dir = ""

[profile.partner_connectivity]
catalogue_version = "2026.10"
approved_catalogue_version = "2026.10"
"""


def problems_of(**fields: Any) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Profile(**fields)
    return describe_validation_error(info.value, "profile")


# --- URLs ---------------------------------------------------------------------------------


def test_urls_are_parsed_and_kept() -> None:
    profile = Profile(
        login_url=" https://app.acme.example/login/onyx ",
        protected_url="https://api.acme.example:8443/v1/me?x=1",
    )
    assert profile.login_url == "https://app.acme.example/login/onyx"
    assert profile.protected_url == "https://api.acme.example:8443/v1/me?x=1"
    assert Profile(login_url="https://[::1]:8443/login").login_url == "https://[::1]:8443/login"


@pytest.mark.parametrize(
    "field", ["login_url", "protected_url", "webhook_url", "privacy_notice_url"]
)
def test_production_needs_https_preview_allows_http(field: str) -> None:
    url = "http://app.acme.example/x"
    lines = problems_of(environment="production", **{field: url})
    assert len(lines) == 1
    assert lines[0].startswith(f"profile.{field}:")
    assert "https" in lines[0]
    preview = Profile(environment="preview", **{field: url})
    assert getattr(preview, field) == url
    assert preview.environment is Environment.PREVIEW


def test_onyx_authorize_url_is_https_even_in_preview() -> None:
    lines = problems_of(environment="preview", onyx_authorize_url="http://auth.onyx.example/a")
    assert lines[0].startswith("profile.onyx_authorize_url:")
    assert "https" in lines[0]


@pytest.mark.parametrize(
    "url",
    [
        "app.acme.example/login",  # no scheme
        "ftp://app.acme.example/login",
        "https://user:pw@app.acme.example/login",
        "https://app.acme.example:99999/login",
        "https://bad_host!.example/",
        "https:///nohost",
        "https://[zz::1]/login",
    ],
)
def test_malformed_urls_are_rejected(url: str) -> None:
    lines = problems_of(login_url=url)
    assert lines[0].startswith("profile.login_url:")


def test_empty_fields_are_allowed_while_filling_in() -> None:
    profile = Profile()
    assert profile.login_url == ""
    assert "app_name" in profile.missing()
    assert "login_url" not in profile.missing()  # only once sign-in is declared
    assert "login_url" in Profile(features=["sign-in"]).missing()


# --- origins and lists --------------------------------------------------------------------


def test_origins_are_normalised_and_deduplicated_in_order() -> None:
    profile = Profile(
        allowed_origins=[
            "https://App.Acme.Example/",
            "https://admin.acme.example:8443",
            "https://app.acme.example",
            "  ",
            "HTTPS://ADMIN.acme.example:8443/",
        ]
    )
    assert profile.allowed_origins == [
        "https://app.acme.example",
        "https://admin.acme.example:8443",
    ]


def test_origins_drop_the_default_port_as_browsers_do() -> None:
    profile = Profile(
        allowed_origins=[
            "https://app.acme.example:443",
            "https://app.acme.example",
            "http://localhost:80/",
            "http://localhost:443",
            "http://[::1]:8080",
        ]
    )
    assert profile.allowed_origins == [
        "https://app.acme.example",
        "http://localhost",
        "http://localhost:443",
        "http://[::1]:8080",
    ]


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.acme.example/path",
        "https://app.acme.example/?q=1",
        "https://app.acme.example/#x",
    ],
)
def test_origin_with_path_query_or_fragment_is_rejected_naming_the_field(origin: str) -> None:
    lines = problems_of(allowed_origins=["https://ok.acme.example", origin])
    assert len(lines) == 1
    assert lines[0].startswith("profile.allowed_origins")
    assert "origin" in lines[0]
    with pytest.raises(ValidationError) as info:
        Profile(allowed_origins=[origin])
    assert describe_validation_error(info.value)[0].startswith("allowed_origins")


def test_list_fields_are_deduplicated_in_order() -> None:
    profile = Profile(
        requested_scopes=["openid", "profile", "openid", " messages:send "],
        webhook_events=["access.revoked", "message.delivered", "access.revoked"],
        features=["events", "sign-in", "events"],
        redirect_uris=["https://a.example/cb", "https://b.example/cb", "https://a.example/cb"],
    )
    assert profile.requested_scopes == ["openid", "profile", "messages:send"]
    assert profile.webhook_events == ["access.revoked", "message.delivered"]
    assert profile.features == ["events", "sign-in"]
    assert profile.redirect_uris == ["https://a.example/cb", "https://b.example/cb"]


def test_unknown_feature_is_rejected() -> None:
    lines = problems_of(features=["sign-in", "telepathy"])
    assert lines[0].startswith("profile.features:")
    assert "telepathy" in lines[0]


def test_bad_scope_token_is_rejected() -> None:
    lines = problems_of(requested_scopes=['bad"scope'])
    assert lines[0].startswith("profile.requested_scopes:")


def test_relative_redirect_uri_is_rejected() -> None:
    lines = problems_of(redirect_uris=["/onyx/callback"])
    assert lines[0].startswith("profile.redirect_uris:")


def test_unknown_field_is_rejected_by_name() -> None:
    lines = problems_of(app_nmae="typo")
    assert lines[0].startswith("profile.app_nmae:")


# --- production domain --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("acme.example", "acme.example"),
        ("localhost:8443", "localhost:8443"),
        ("ACME.Example", "acme.example"),
    ],
)
def test_production_domain_accepts_a_host_with_optional_port(given: str, kept: str) -> None:
    assert Profile(production_domain=given).production_domain == kept


@pytest.mark.parametrize(
    "domain",
    [
        "https://acme.example",
        "acme.example/path",
        "acme.example:0",
        "acme.example:http",
        "-acme.example",
    ],
)
def test_production_domain_rejects_urls_and_bad_ports(domain: str) -> None:
    lines = problems_of(production_domain=domain)
    assert lines[0].startswith("profile.production_domain:")


# --- profile files ------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_profile_reads_a_good_file(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD_PROFILE))
    assert profile.app_name == "Acme Messenger"
    assert profile.environment is Environment.PRODUCTION
    assert profile.allowed_origins == ["https://app.acme.example"]
    assert profile.features == ["sign-in", "messaging", "events"]
    assert profile.partner_connectivity.approved_catalogue_version == "2026.10"
    assert profile.missing() == []


def test_load_profile_says_when_the_file_is_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_PROFILE.replace('app_name = "Acme Messenger"', "app_name = Acme"))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert len(info.value.problems) == 1
    assert "not valid TOML" in info.value.problems[0]
    assert str(path) in str(info.value)


def test_load_profile_needs_the_profile_table(tmp_path: Path) -> None:
    path = write(tmp_path, 'app_name = "Acme"\n')
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert any("[profile]" in problem for problem in info.value.problems)


def test_load_profile_names_the_bad_field(tmp_path: Path) -> None:
    text = GOOD_PROFILE.replace(
        'login_url = "https://app.acme.example/login/onyx"',
        'login_url = "http://app.acme.example/login"',
    ).replace(
        'allowed_origins = ["https://app.acme.example"]',
        'allowed_origins = ["https://app.acme.example/x"]',
    )
    with pytest.raises(ProfileError) as info:
        load_profile(write(tmp_path, text))
    fields = sorted(problem.split(":", 1)[0] for problem in info.value.problems)
    assert fields == ["profile.allowed_origins", "profile.login_url"]


def test_load_profile_names_a_bad_nested_field(tmp_path: Path) -> None:
    text = GOOD_PROFILE + "surprise = 1\n"  # lands in [profile.partner_connectivity]
    with pytest.raises(ProfileError) as info:
        load_profile(write(tmp_path, text))
    assert info.value.problems[0].startswith("profile.partner_connectivity.surprise:")


def test_load_profile_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "nope.toml")
    assert info.value.problems


# --- with_field: one field from what a person typed ---------------------------------------


def test_with_field_splits_list_fields_on_commas_and_spaces() -> None:
    profile = Profile()
    updated = with_field(
        profile,
        "allowed_origins",
        "https://app.acme.example/, https://admin.acme.example,https://app.acme.example",
    )
    assert updated.allowed_origins == ["https://app.acme.example", "https://admin.acme.example"]
    scopes = with_field(updated, "requested_scopes", "openid profile,\nmessages:send")
    assert scopes.requested_scopes == ["openid", "profile", "messages:send"]
    assert scopes.allowed_origins == updated.allowed_origins
    assert profile.allowed_origins == []  # the original is untouched


def test_with_field_sets_scalars_and_partner_connectivity() -> None:
    profile = with_field(Profile(), "app_name", "  Acme  ")
    assert profile.app_name == "Acme"
    profile = with_field(profile, "partner_connectivity.catalogue_version", "2026.10")
    assert profile.partner_connectivity.catalogue_version == "2026.10"


def test_with_field_error_names_only_that_field() -> None:
    with pytest.raises(ProfileError) as info:
        with_field(Profile(), "allowed_origins", "https://ok.example, https://bad.example/path")
    assert info.value.problems
    assert all(problem.startswith("allowed_origins") for problem in info.value.problems)


def test_with_field_checks_urls_against_the_environment() -> None:
    preview = with_field(Profile(environment="preview"), "login_url", "http://localhost:8080/login")
    assert preview.login_url == "http://localhost:8080/login"
    with pytest.raises(ProfileError) as info:
        with_field(Profile(), "login_url", "http://localhost:8080/login")
    assert info.value.problems[0].startswith("login_url:")
    # Switching a preview profile with http URLs to production is refused, naming the URL.
    with pytest.raises(ProfileError) as info:
        with_field(preview, "environment", "production")
    assert any(problem.startswith("login_url") for problem in info.value.problems)


def test_the_sample_profile_lacks_nothing_the_probes_need() -> None:
    """docs/sample-profile.toml: the tests' ready session and the screenshots start from it."""
    from conftest import SAMPLE_PROFILE

    profile = load_profile(SAMPLE_PROFILE)
    assert profile.app_name == "Acme Messenger"
    assert profile.missing() == []
