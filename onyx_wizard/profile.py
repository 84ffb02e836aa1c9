"""The integration's facts (URLs, origins, scopes, …), validated at every boundary.

Every field may be empty while the operator fills the profile in; a value that is present
must be well-formed. `Profile.missing()` names what is still to be filled in.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from onyx_wizard.checklist import FEATURES
from onyx_wizard.errors import DataFileError, Problem
from onyx_wizard.tomlmodel import load_toml_model


class Environment(StrEnum):
    PRODUCTION = "production"
    PREVIEW = "preview"


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token
# Control characters other than tab and line breaks: never part of a URL, path or name.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _dedupe(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def _check_host(host: str) -> None:
    if (host.startswith("[") and host.endswith("]")) or ":" in host:
        return  # IPv6 literal (urlsplit's hostname drops the brackets); urlsplit checked it
    if not host or len(host) > 253:
        raise ValueError("the host name is empty or too long")
    labels = host.rstrip(".").split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{host!r} is not a valid host name")


def _check_port(value: str, port_text: str) -> None:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{value!r} has an invalid port")


def parse_url(value: str, *, https_only: bool) -> str:
    """Check that `value` is an absolute http(s) URL (https only if asked) and return it."""
    value = value.strip()
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    if https_only and parts.scheme != "https":
        raise ValueError(f"{value!r} must use https")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{value!r} must not carry a user name or password")
    _check_host(parts.hostname)
    return value


def parse_origin(value: str) -> str:
    """Check that `value` is an origin (scheme://host[:port]) and return its normal form."""
    value = value.strip()
    parsed = parse_url(value, https_only=False)
    parts = urlsplit(parsed)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not an origin: an origin has no path, query or fragment")
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    # Browsers leave the scheme's default port out of an Origin header; so does the normal form.
    if parts.port is not None and parts.port != {"http": 80, "https": 443}[parts.scheme]:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}"


def parse_domain(value: str) -> str:
    """Check a production domain: a host name with an optional port, nothing else."""
    value = value.strip().lower()
    if "://" in value or "/" in value:
        raise ValueError(f"{value!r} is a URL; give the domain alone, e.g. acme.example")
    host, _, port = value.partition(":")
    if port:
        _check_port(value, port)
    _check_host(host)
    return value


class PartnerConnectivity(BaseModel):
    """Partner Connectivity facts, used only when the integration uses it."""

    model_config = ConfigDict(extra="forbid")

    catalogue_version: str = ""
    approved_catalogue_version: str = ""


# Fields that hold a URL: https in production; the Onyx authorize URL always.
URL_FIELDS = (
    "login_url",
    "protected_url",
    "webhook_url",
    "privacy_notice_url",
    "onyx_authorize_url",
)


class Profile(BaseModel):
    """The facts of one integration, as DESIGN.md names them."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    app_name: str = ""
    app_description: str = ""
    environment: Environment = Environment.PRODUCTION
    production_domain: str = ""
    allowed_origins: list[str] = Field(default_factory=list)
    redirect_uris: list[str] = Field(default_factory=list)
    login_url: str = ""
    protected_url: str = ""
    # The user id of a test user whose access the revocation probe may revoke (with an
    # `access.revoked` event); its valid token is the secret `revocation_access_token`.
    revocation_test_user: str = ""
    webhook_url: str = ""
    webhook_events: list[str] = Field(default_factory=list)
    # True when the webhook receiver acknowledges a delivery (2xx) before it verifies the
    # signature, and drops bad deliveries later (a queue-first receiver). The webhook probe then
    # cannot see a refusal: 2xx to a badly signed delivery warns, and a person attests to what
    # the receiver does with it, instead of failing.
    webhook_verifies_async: bool = False
    privacy_notice_url: str = ""
    features: list[str] = Field(default_factory=list)
    requested_scopes: list[str] = Field(default_factory=list)
    onyx_authorize_url: str = ""
    client_id: str = ""
    preview_client_id: str = ""
    domain_verification_token: str = ""
    ca_bundle: str = ""
    dns_nameserver: str = ""
    log_paths: list[str] = Field(default_factory=list)
    evidence_dir: str = ""
    scan_allowlist: str = ""
    partner_connectivity: PartnerConnectivity = Field(default_factory=PartnerConnectivity)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # A NUL or other control character is never part of a URL, path or name here, and
        # breaks what uses it (a path with NUL cannot be opened).
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and _CONTROL.search(text):
                raise ValueError("holds a control character (e.g. NUL); remove it")
        return value

    @field_validator("app_name", "app_description", "client_id", "preview_client_id")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("production_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return parse_domain(value) if value.strip() else ""

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return _dedupe([parse_origin(v) for v in value if v.strip()])

    @field_validator("redirect_uris")
    @classmethod
    def _redirects(cls, value: list[str]) -> list[str]:
        # Only shape here: the redirect-URI probe judges https, wildcards and hosts, so that a
        # bad registration is reported as a failed item rather than hidden by the form.
        out = []
        for v in value:
            v = v.strip()
            if not v:
                continue
            parts = urlsplit(v)
            if not parts.scheme or not parts.netloc:
                raise ValueError(f"{v!r} is not an absolute URI")
            out.append(v)
        return _dedupe(out)

    @field_validator("webhook_events", "requested_scopes", "log_paths")
    @classmethod
    def _lists(cls, value: list[str]) -> list[str]:
        return _dedupe([v.strip() for v in value if v.strip()])

    @field_validator("requested_scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _SCOPE.match(v)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a valid scope token")
        return value

    @field_validator("features")
    @classmethod
    def _features(cls, value: list[str]) -> list[str]:
        value = _dedupe([v.strip() for v in value if v.strip()])
        unknown = [v for v in value if v not in FEATURES]
        if unknown:
            raise ValueError(f"unknown feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")
        return value

    @field_validator("dns_nameserver")
    @classmethod
    def _nameserver(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        host, sep, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        if sep:
            _check_port(value, port)
        import ipaddress

        try:
            ipaddress.ip_address((host or value).strip("[]"))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address with an optional :port") from None
        return value

    @field_validator(*URL_FIELDS)
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            return ""
        production = info.data.get("environment") is Environment.PRODUCTION
        return parse_url(value, https_only=production or info.field_name == "onyx_authorize_url")

    def missing(self) -> list[str]:
        """Names of the fields the probes need that are still empty."""
        needed = [
            "app_name",
            "production_domain",
            "allowed_origins",
            "redirect_uris",
            "features",
            "requested_scopes",
            "client_id",
        ]
        if "sign-in" in self.features:
            needed += ["login_url", "protected_url", "onyx_authorize_url"]
        if "events" in self.features:
            needed += ["webhook_url", "webhook_events"]
        needed.append("privacy_notice_url")
        return [name for name in needed if not getattr(self, name)]

    def to_toml_dict(self) -> dict[str, Any]:
        """The profile as plain TOML-ready data."""
        return self.model_dump(mode="json")


class ProfileError(DataFileError):
    """A profile that does not validate; `problems` are one line each, naming the field."""


def describe_validation_error(error: ValidationError, prefix: str = "") -> list[str]:
    """One line per problem, each naming the field (dotted path) and what is wrong."""
    lines = []
    for problem in error.errors():
        loc = [str(p) for p in problem["loc"]]
        msg = problem["msg"].removeprefix("Value error, ")
        path = ".".join(part if not part.isdigit() else f"[{part}]" for part in loc)
        path = path.replace(".[", "[")
        where = f"{prefix}.{path}" if prefix and path else (prefix or path or "profile")
        lines.append(f"{where}: {msg}")
    return lines


def load_profile(path: Path) -> Profile:
    """Read a `profile.toml` (the `[profile]` table); ProfileError names file, line and field."""
    return load_toml_model(path, Profile, table="profile", error=ProfileError)


LIST_FIELDS = frozenset(
    name for name, field in Profile.model_fields.items() if field.annotation == list[str]
)


def split_list(text: str) -> list[str]:
    """A list field typed as text: items separated by commas, spaces or new lines."""
    return [part for part in re.split(r"[,\s]+", text) if part]


def with_field(profile: Profile, name: str, text: str) -> Profile:
    """A copy of `profile` with one field set from what a person typed.

    `name` is a field name, or `partner_connectivity.<field>`. ProfileError carries one line
    naming the field when the value is not valid.
    """
    data = profile.model_dump()
    value: object = split_list(text) if name in LIST_FIELDS else text
    if name.startswith("partner_connectivity."):
        data["partner_connectivity"][name.split(".", 1)[1]] = value
    else:
        data[name] = value
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = [p.split(": ", 1) for p in describe_validation_error(exc)]
        mine = [p for p in problems if p[0].split("[", 1)[0] == name] or problems
        (field, message), *more = mine
        raise ProfileError(
            name, message, field=field, more=[Problem(m, f) for f, m in more]
        ) from None
