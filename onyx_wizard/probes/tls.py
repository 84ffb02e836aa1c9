"""TLS probe: every partner host verifies, speaks TLS 1.2+ and refuses 1.0/1.1, is far from
expiry, and answers with HSTS.

The hosts are those of the partner's URLs in the profile (never Onyx's authorize URL, never a host
the profile does not name); the probe's verdict rests on its own handshakes and its own GET of each
of those URLs. What it cannot see: a legacy protocol offered only with ciphers this TLS library
no longer has, or only to other SNI names; HSTS on pages the profile does not name.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import re
import ssl
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from onyx_wizard.probes._context import (
    HEADERS_ONLY_BODY,
    ProbeContext,
    Response,
    domain_host,
    domain_port,
)
from onyx_wizard.probes._data import hsts_preloaded_tlds
from onyx_wizard.probes._failure import failure_in
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._resolve import NameServerTimeout, open_tls
from onyx_wizard.profile import Profile

PROBE_ID = "tls"
DAY = 86400.0
# Expiry: fail under min(7 days, a sixth of the lifetime) left, warn under min(30 days, a third).
# Relative to the lifetime so that short-lived certificates (6-day, 160-hour) renewed on their
# usual schedule stay healthy, while a 90-day certificate a week from expiry does not.
FAIL_DAYS = 7
WARN_DAYS = 30
FAIL_SHARE = 6
WARN_SHARE = 3
HSTS_MIN_AGE = 15552000  # 180 days: the floor the Mozilla HTTP Observatory gives full marks for
# The legacy handshake offers TLS 1.0 and 1.1 only, with every cipher the library still has.
LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"
_URL_FIELDS = ("login_url", "protected_url", "webhook_url", "privacy_notice_url")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

# Protocol versions as `SSLObject.version()` names them, oldest first.
_VERSION_RANK = {"SSLv2": 0, "SSLv3": 1, "TLSv1": 2, "TLSv1.1": 3, "TLSv1.2": 4, "TLSv1.3": 5}
_MIN_VERSION = "TLSv1.2"
# OpenSSL reasons that mean "no protocol version in common": the server only speaks old TLS.
# Lower-case, compared case-blind, so they are not mistaken for reason codes of ours.
_VERSION_REASONS = frozenset(
    {"tlsv1_alert_protocol_version", "unsupported_protocol", "no_protocols_available"}
)
# Reasons the local library gives before sending anything: it cannot offer TLS 1.0/1.1 itself.
_LOCAL_REASONS = frozenset({"no_protocols_available", "no_ciphers_available"})


@dataclass(frozen=True)
class Target:
    """A TLS endpoint to check, and the profile fields it comes from."""

    host: str
    port: int
    sources: tuple[str, ...]

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"

    @property
    def endpoint(self) -> tuple[str, int]:
        return self.host, self.port


@dataclass(frozen=True)
class Handshake:
    """What a verified handshake showed."""

    version: str
    cipher: str
    not_before: float
    not_after: float
    names: tuple[str, ...]


@dataclass(frozen=True)
class Legacy:
    """How the host answered a handshake capped at TLS 1.1: accepted, refused or skipped."""

    outcome: str
    detail: str


@dataclass(frozen=True)
class TargetReport:
    """One target's handshakes: the verified one (or why it failed) and the legacy one."""

    shake: Handshake | None
    error: OSError | None
    legacy: Legacy | None


def partner_urls(profile: Profile) -> list[tuple[str, str]]:
    """The partner's URLs in the profile, each with its field (the Onyx authorize URL is not)."""
    urls = [(name, str(getattr(profile, name))) for name in _URL_FIELDS if getattr(profile, name)]
    urls += [(f"redirect_uris[{n}]", uri) for n, uri in enumerate(profile.redirect_uris)]
    return urls


def _plain_host(host: str) -> bool:
    """An IP address or a host name (a wildcard such as `*.acme.example` is neither)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return all(_HOST_LABEL.match(label) for label in host.split("."))
    return True


def https_endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of an https URL; None for another scheme, a malformed URL or a host that
    is not a plain host name (a wildcard redirect URI: the redirect-URI rules judge those)."""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() != "https" or not host or not _plain_host(host):
        return None
    return host, port


def domain_endpoint(profile: Profile) -> tuple[str, int]:
    return domain_host(profile).lower(), domain_port(profile)


def targets(profile: Profile) -> list[Target]:
    """Every distinct partner host and port: the production domain first, then the URLs'."""
    found: dict[tuple[str, int], list[str]] = {}
    if profile.production_domain:
        found[domain_endpoint(profile)] = ["production_domain"]
    for name, url in partner_urls(profile):
        endpoint = https_endpoint(url)
        if endpoint is not None:
            found.setdefault(endpoint, []).append(name.partition("[")[0])
    return [
        Target(host, port, tuple(dict.fromkeys(sources))) for (host, port), sources in found.items()
    ]


def preloaded(host: str) -> str:
    """The HSTS-preloaded top-level domain `host` is under ('' when none)."""
    tld = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return tld if "." in host and tld in hsts_preloaded_tlds() else ""


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    # A server that never answers the TLS close must not hold the probe up.
    with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


async def handshake(ctx: ProbeContext, target: Target) -> Handshake:
    """Connect, verify against the probes' trust store, and read the peer certificate."""
    writer = await open_tls(
        ctx.resolver, target.host, target.port, ctx.ssl_context, ctx.settings.connect_timeout
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        cert: dict[str, Any] = ssl_object.getpeercert() or {}
        cipher = ssl_object.cipher()
        names = tuple(f"{kind}:{value}" for kind, value in cert.get("subjectAltName", ()))
        return Handshake(
            version=ssl_object.version() or "unknown",
            cipher=cipher[0] if cipher else "unknown",
            not_before=ssl.cert_time_to_seconds(cert["notBefore"]),
            not_after=ssl.cert_time_to_seconds(cert["notAfter"]),
            names=names,
        )
    finally:
        await _close(writer)


def _offers_legacy(context: ssl.SSLContext) -> bool:
    """Whether `context` writes a ClientHello for TLS 1.1 or older (checked in memory)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname="legacy.invalid")
    try:
        client.do_handshake()
    except ssl.SSLWantReadError:
        pass
    except ssl.SSLError:
        return False
    hello = outgoing.read()
    # Record header (5 bytes), handshake header (4), then the ClientHello's version: 3,2 is 1.1.
    return len(hello) > 10 and hello[0] == 0x16 and hello[5] == 0x01 and hello[9:11] <= b"\x03\x02"


@functools.cache
def legacy_context() -> tuple[ssl.SSLContext | None, str]:
    """A client context that offers only TLS 1.0 and 1.1, or None and why this library cannot."""
    try:
        with warnings.catch_warnings():
            # Offering old protocols is the point here; Python warns about doing so.
            warnings.simplefilter("ignore", DeprecationWarning)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            # Only whether the server completes the handshake matters, not whom it proves to be.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
            context.set_ciphers(LEGACY_CIPHERS)
    except (ValueError, ssl.SSLError, AttributeError) as exc:
        return None, f"{ssl.OPENSSL_VERSION} cannot be set to offer TLS 1.0/1.1 ({exc})"
    if not _offers_legacy(context):
        return None, f"{ssl.OPENSSL_VERSION} does not offer TLS 1.0/1.1 (disabled in its build)"
    return context, ""


async def legacy_handshake(ctx: ProbeContext, target: Target) -> Legacy:
    """Offer TLS 1.0/1.1 only: a completed handshake means the host still accepts them."""
    context, why = legacy_context()
    if context is None:
        return Legacy("skipped", why)
    try:
        writer = await open_tls(
            ctx.resolver, target.host, target.port, context, ctx.settings.connect_timeout
        )
    except ssl.SSLError as exc:
        reason = (exc.reason or "").lower()
        if reason in _LOCAL_REASONS:
            return Legacy("skipped", f"this TLS library would not offer TLS 1.0/1.1 ({reason})")
        return Legacy("refused", exc.reason or type(exc).__name__)
    except TimeoutError:
        return Legacy("refused", "no handshake completed within the connect timeout")
    except OSError as exc:
        # The server dropped or reset the connection on an old ClientHello: a refusal.
        return Legacy("refused", str(exc) or type(exc).__name__)
    try:
        version = writer.get_extra_info("ssl_object").version() or "unknown"
    finally:
        await _close(writer)
    if _VERSION_RANK.get(version, _VERSION_RANK[_MIN_VERSION]) < _VERSION_RANK[_MIN_VERSION]:
        return Legacy("accepted", version)
    return Legacy("refused", f"negotiated {version}")


async def inspect(ctx: ProbeContext, target: Target) -> TargetReport:
    """Both handshakes with one target; failures are kept in the report, never raised."""
    async with ctx.gate:  # a profile may name many hosts: a few handshakes at a time
        try:
            shake = await handshake(ctx, target)
        except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            return TargetReport(None, exc, None)
        return TargetReport(shake, None, await legacy_handshake(ctx, target))


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'s' if count != 1 else ''}"


def days_phrase(seconds: float) -> str:
    """A duration in whole days, with the hours too when it is short enough for them to matter."""
    days, rest = divmod(max(seconds, 0.0), DAY)
    hours = int(rest // 3600)
    if days >= FAIL_DAYS or not hours:
        return _plural(int(days), "day") if days >= 1 else "less than an hour"
    if days < 1:
        return _plural(hours, "hour")
    return f"{_plural(int(days), 'day')} and {_plural(hours, 'hour')}"


def expiry_margins(lifetime: float) -> tuple[float, float]:
    """(fail, warn): seconds left under which expiry fails, and warns, for this lifetime."""
    return (
        min(FAIL_DAYS * DAY, lifetime / FAIL_SHARE),
        min(WARN_DAYS * DAY, lifetime / WARN_SHARE),
    )


def check_expiry(findings: Findings, label: str, shake: Handshake, now: float) -> None:
    """Fail under min(7 days, lifetime/6) left; warn under min(30 days, lifetime/3)."""
    left = shake.not_after - now
    fail_margin, warn_margin = expiry_margins(shake.not_after - shake.not_before)
    when = f"{days_phrase(left)} ({_date(shake.not_after)})"
    if left <= 0:
        findings.fail("TLS_EXPIRED", f"certificate for {label} expired on {_date(shake.not_after)}")
    elif left < fail_margin:
        findings.fail("TLS_EXPIRES_SOON", f"certificate for {label} expires in {when}")
    elif left < warn_margin:
        findings.warn(
            "TLS_EXPIRY_WARNING",
            f"certificate for {label} expires in {when}, "
            f"inside its renewal window (the last {days_phrase(warn_margin)})",
        )
    else:
        findings.passed(f"certificate for {label} is valid for {days_phrase(left)} more")


def judge_target(
    ctx: ProbeContext, findings: Findings, target: Target, report: TargetReport, now: float
) -> bool:
    """Judge one target's handshakes; False when no verified connection was made."""
    label = target.label
    where = {"check": "tls-handshake", "target": label, "source": ", ".join(target.sources)}
    exc = report.error
    if isinstance(exc, ssl.SSLCertVerificationError):
        findings.record({**where, "verify_message": exc.verify_message})
        findings.fail(
            "TLS_VERIFY_FAILED", f"certificate for {label} did not verify: {exc.verify_message}"
        )
        return False
    if isinstance(exc, ssl.SSLError):
        findings.record({**where, "ssl_error": exc.reason or str(exc)})
        if (exc.reason or "").lower() in _VERSION_REASONS:
            findings.fail("TLS_VERSION_TOO_OLD", f"{label} does not offer TLS 1.2 or newer")
        else:
            findings.fail(
                "TLS_HANDSHAKE_FAILED", f"TLS handshake with {label} failed: {exc.reason or exc}"
            )
        return False
    if isinstance(exc, NameServerTimeout):
        findings.error("TIMEOUT", f"could not connect to {label}: {exc}")
        return False
    if isinstance(exc, TimeoutError):
        findings.error(
            "TIMEOUT",
            f"{label} did not complete a TLS handshake within {ctx.settings.connect_timeout:g} s",
        )
        return False
    if exc is not None or report.shake is None:
        # A reset during the handshake comes without text; its type still tells what happened.
        reason = str(exc) or type(exc).__name__
        findings.error("CONNECTION_FAILED", f"could not connect to {label}: {reason}")
        return False
    shake = report.shake
    findings.record(
        {
            **where,
            "version": shake.version,
            "cipher": shake.cipher,
            "not_after": _date(shake.not_after),
            "days_left": int((shake.not_after - now) // DAY),
            "lifetime_days": round((shake.not_after - shake.not_before) / DAY, 1),
            "subject_alt_names": list(shake.names),
        }
    )
    if _VERSION_RANK.get(shake.version, -1) < _VERSION_RANK[_MIN_VERSION]:
        findings.fail(
            "TLS_VERSION_TOO_OLD", f"{label} negotiated {shake.version}; TLS 1.2 or newer is needed"
        )
    else:
        findings.passed(f"{label} negotiated {shake.version}")
    judge_legacy(findings, label, report.legacy)
    check_expiry(findings, label, shake, now)
    return True


def judge_legacy(findings: Findings, label: str, legacy: Legacy | None) -> None:
    """A handshake capped at TLS 1.1 must be refused; when it could not be offered, say so."""
    if legacy is None:
        return
    check = f"{label} refuses a handshake capped at TLS 1.1"
    if legacy.outcome == "accepted":
        findings.fail(
            "TLS_LEGACY_PROTOCOL_ACCEPTED",
            f"{label} accepted a {legacy.detail} handshake; TLS 1.0 and 1.1 must be refused",
        )
    elif legacy.outcome == "skipped":
        findings.record({"check": check, "outcome": "skipped", "why": legacy.detail})
    else:
        findings.record({"check": check, "outcome": "pass", "seen": legacy.detail})


# --- HSTS -----------------------------------------------------------------------------------


def hsts_max_age(value: str) -> int | None:
    """The max-age of a Strict-Transport-Security header value, None when it has none."""
    for directive in value.split(";"):
        name, _, argument = directive.strip().partition("=")
        if name.strip().lower() == "max-age":
            argument = argument.strip().strip('"')
            return int(argument) if argument.isdigit() else None
    return None


def _hsts(response: Response) -> str | None:
    # Browsers heed only the first header when several are sent.
    values = response.headers.get_list("strict-transport-security")
    return values[0] if values else None


def _served(response: Response) -> bool:
    """Whether an answer is the app's own: it carries HSTS, or is neither a 404/410 (nothing
    there) nor a server error (a last-resort error page)."""
    return _hsts(response) is not None or (
        response.status not in (404, 410) and response.status < 500
    )


def domain_answer(
    root: Response | None, answers: list[Response], endpoint: tuple[str, int]
) -> Response | None:
    """The answer whose HSTS stands for the production domain: its root when `/` is served;
    where it is not (an API-only host answering 404), the domain's first served answer, in the
    profile's order of URLs."""
    if root is None or _served(root):
        return root
    for response in answers:
        if https_endpoint(response.url) == endpoint and _served(response):
            return response
    return root


def judge_domain_hsts(findings: Findings, response: Response, host: str) -> None:
    """The production domain's answer carries HSTS with max-age of at least 180 days."""
    url = response.url
    value = _hsts(response)
    tld = preloaded(host)
    if value is None and tld:
        findings.record(
            {
                "check": f"{url} sends no Strict-Transport-Security",
                "outcome": "pass",
                "note": f".{tld} is HSTS-preloaded in browsers: https is enforced for {host}",
            }
        )
        return
    if value is None:
        findings.fail("HSTS_MISSING", f"{url} sends no Strict-Transport-Security header")
        return
    max_age = hsts_max_age(value)
    if max_age is None:
        findings.fail(
            "HSTS_INVALID", f"the Strict-Transport-Security header of {url} has no valid max-age"
        )
    elif max_age < HSTS_MIN_AGE:
        findings.fail(
            "HSTS_TOO_SHORT",
            f"Strict-Transport-Security max-age on {url} is {max_age} s, "
            f"below the required {HSTS_MIN_AGE} s (180 days)",
        )
    else:
        findings.passed(f"{url} sends Strict-Transport-Security max-age={max_age}")


def judge_other_answers(findings: Findings, answers: list[Response]) -> None:
    """Warn naming every answer of a partner URL without HSTS of at least 180 days.

    Server errors are left out: an error page is another probe's finding, and a framework's
    last-resort 500 often skips the middleware that adds headers.
    """
    lacking = []
    for response in answers:
        host = (https_endpoint(response.url) or ("", 0))[0]
        if response.status >= 500 or preloaded(host):
            continue
        value = _hsts(response)
        max_age = hsts_max_age(value) if value is not None else None
        if value is None:
            lacking.append(f"{response.method} {response.url} ({response.status})")
        elif max_age is None or max_age < HSTS_MIN_AGE:
            lacking.append(
                f"{response.method} {response.url} ({response.status}, {value.strip()!r})"
            )
    if lacking:
        findings.warn(
            "HSTS_NOT_ON_EVERY_ANSWER",
            f"{len(lacking)} answer(s) from the partner's URLs carry no Strict-Transport-Security "
            f"of at least 180 days: {'; '.join(lacking)}",
        )
    elif answers:
        findings.passed(f"all {len(answers)} answers of the partner's URLs carry HSTS")


async def check_hsts(ctx: ProbeContext, findings: Findings, reachable: set[tuple[str, int]]) -> str:
    """GET the domain's root and every partner URL once; judge HSTS. Returns a note for the
    summary ('' when nothing to add)."""
    profile = ctx.profile
    endpoint = domain_endpoint(profile)
    root_url = f"https://{profile.production_domain}/"
    wanted: dict[str, str] = {}
    if endpoint in reachable:
        wanted[root_url] = "production domain root"
    for name, url in partner_urls(profile):
        if https_endpoint(url) in reachable:
            wanted.setdefault(url, name)
    if not wanted:
        return ""
    # Each answer is judged on its headers: a body is read no further than its digest.
    outcomes = await asyncio.gather(
        *(
            ctx.fetch("GET", url, note=f"HSTS: {name}", body_limit=HEADERS_ONLY_BODY)
            for url, name in wanted.items()
        ),
        return_exceptions=True,
    )
    root: Response | None = None
    answers: list[Response] = []
    for url, outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, Response):
            findings.record(outcome.evidence)
            if url == root_url:
                root = outcome
            else:
                answers.append(outcome)
        elif isinstance(outcome, httpx.HTTPError | OSError):
            failure_in(ctx, outcome).record(findings)
        elif isinstance(outcome, BaseException):
            raise outcome
    note = ""
    judged = domain_answer(root, answers, endpoint)
    if judged is not None:
        if root is not None and judged is not root:
            note = f"/ answered {root.status}, so HSTS was judged on {judged.url}"
            findings.record({"check": "HSTS on the production domain", "note": note})
        judge_domain_hsts(findings, judged, endpoint[0])
        if preloaded(endpoint[0]) and _hsts(judged) is None:
            note = f".{preloaded(endpoint[0])} is HSTS-preloaded"
    others = [a for a in answers if a is not judged]
    if root is not None and root is not judged and _served(root):
        others.insert(0, root)
    judge_other_answers(findings, others)
    return note


@probe(
    PROBE_ID,
    title="TLS: certificates, protocol versions, expiry and HSTS on every partner host",
    profile=("production_domain",),
)
async def tls_probe(ctx: ProbeContext) -> ProbeResult:
    """Check TLS on every partner host in the profile, then HSTS on their answers."""
    findings = ctx.findings(PROBE_ID)
    checked = targets(ctx.profile)
    for name, url in partner_urls(ctx.profile):
        if https_endpoint(url) is None:
            findings.record(
                {
                    "check": "tls-target",
                    "source": name,
                    "note": "no TLS host to check: not https, or not a plain host name",
                }
            )
    reports = await asyncio.gather(*(inspect(ctx, target) for target in checked))
    now = time.time()
    reachable = {
        target.endpoint
        for target, report in zip(checked, reports, strict=True)
        if judge_target(ctx, findings, target, report, now)
    }
    # Without a verified connection to a host, fetching from it would only repeat that failure.
    note = await check_hsts(ctx, findings, reachable)
    labels = ", ".join(target.label for target in checked)
    summary = (
        f"TLS on {labels} verifies, is 1.2 or newer, refuses 1.0/1.1, is far from expiry, "
        "and HSTS is on"
    )
    skipped = {r.legacy.detail for r in reports if r.legacy and r.legacy.outcome == "skipped"}
    if skipped:
        summary = summary.replace(", refuses 1.0/1.1", "")
        summary += f" (whether 1.0/1.1 are refused was not checked: {'; '.join(sorted(skipped))})"
    if note:
        summary += f" ({note})"
    return findings.result("TLS_OK", summary)
