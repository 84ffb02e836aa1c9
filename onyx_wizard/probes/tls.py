"""TLS probe: the certificate verifies, TLS 1.2 or newer, enough time to expiry, and HSTS."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from onyx_wizard.probes._context import ProbeContext, domain_host, domain_port
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "tls"
DAY = 86400.0
FAIL_DAYS = 7
WARN_DAYS = 30
HSTS_MIN_AGE = 15552000  # 180 days: the floor the Mozilla HTTP Observatory gives full marks for

# Protocol versions as `SSLObject.version()` names them, oldest first.
_VERSION_RANK = {"SSLv2": 0, "SSLv3": 1, "TLSv1": 2, "TLSv1.1": 3, "TLSv1.2": 4, "TLSv1.3": 5}
_MIN_VERSION = "TLSv1.2"
# OpenSSL reasons that mean "no protocol version in common": the server only speaks old TLS.
# Lower-case, compared case-blind, so they are not mistaken for reason codes of ours.
_VERSION_REASONS = frozenset(
    {"tlsv1_alert_protocol_version", "unsupported_protocol", "no_protocols_available"}
)


@dataclass(frozen=True)
class Target:
    """A TLS endpoint to check, and the profile field it comes from."""

    host: str
    port: int
    source: str

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"


@dataclass(frozen=True)
class Handshake:
    """What a verified handshake showed."""

    version: str
    cipher: str
    not_before: float
    not_after: float
    names: tuple[str, ...]


def targets(ctx: ProbeContext) -> list[Target]:
    """The production domain, and the webhook endpoint when it lives elsewhere."""
    profile = ctx.profile
    out = [Target(domain_host(profile).lower(), domain_port(profile), "production_domain")]
    hook = urlsplit(profile.webhook_url)
    if hook.scheme == "https" and hook.hostname:
        webhook = Target(hook.hostname.lower(), hook.port or 443, "webhook_url")
        if (webhook.host, webhook.port) != (out[0].host, out[0].port):
            out.append(webhook)
    return out


async def handshake(ctx: ProbeContext, target: Target) -> Handshake:
    """Connect, verify against the probes' trust store, and read the peer certificate."""
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(
            target.host, target.port, ssl=ctx.ssl_context, server_hostname=target.host
        ),
        ctx.settings.connect_timeout,
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
        writer.close()
        # A server that never answers the TLS close must not hold the probe up.
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


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


def check_expiry(findings: Findings, label: str, shake: Handshake, now: float) -> None:
    """Fail under 7 days left; warn under min(30 days, a third of the certificate's lifetime)."""
    left = shake.not_after - now
    lifetime = shake.not_after - shake.not_before
    when = f"{days_phrase(left)} ({_date(shake.not_after)})"
    margin = min(WARN_DAYS * DAY, lifetime / 3)
    if left <= 0:
        findings.fail("TLS_EXPIRED", f"certificate for {label} expired on {_date(shake.not_after)}")
    elif left < FAIL_DAYS * DAY:
        findings.fail("TLS_EXPIRES_SOON", f"certificate for {label} expires in {when}")
    elif left < margin:
        findings.warn(
            "TLS_EXPIRY_WARNING",
            f"certificate for {label} expires in {when}, "
            f"inside its renewal window (the last {days_phrase(margin)})",
        )
    else:
        findings.passed(f"certificate for {label} is valid for {days_phrase(left)} more")


def hsts_max_age(value: str) -> int | None:
    """The max-age of a Strict-Transport-Security header value, None when it has none."""
    for directive in value.split(";"):
        name, _, argument = directive.strip().partition("=")
        if name.strip().lower() == "max-age":
            argument = argument.strip().strip('"')
            return int(argument) if argument.isdigit() else None
    return None


async def check_target(ctx: ProbeContext, findings: Findings, target: Target) -> bool:
    """Handshake with one target and judge it; False when no verified connection was made."""
    label = target.label
    try:
        shake = await handshake(ctx, target)
    except ssl.SSLCertVerificationError as exc:
        findings.record(
            {
                "check": "tls-handshake",
                "target": label,
                "source": target.source,
                "verify_message": exc.verify_message,
            }
        )
        findings.fail(
            "TLS_VERIFY_FAILED", f"certificate for {label} did not verify: {exc.verify_message}"
        )
        return False
    except ssl.SSLError as exc:
        findings.record(
            {
                "check": "tls-handshake",
                "target": label,
                "source": target.source,
                "ssl_error": exc.reason or str(exc),
            }
        )
        if (exc.reason or "").lower() in _VERSION_REASONS:
            findings.fail("TLS_VERSION_TOO_OLD", f"{label} does not offer TLS 1.2 or newer")
        else:
            findings.fail(
                "TLS_HANDSHAKE_FAILED", f"TLS handshake with {label} failed: {exc.reason or exc}"
            )
        return False
    except TimeoutError:
        findings.error(
            "TIMEOUT",
            f"{label} did not complete a TLS handshake within {ctx.settings.connect_timeout:g} s",
        )
        return False
    except OSError as exc:
        # A reset during the handshake comes without text; its type still tells what happened.
        reason = str(exc) or type(exc).__name__
        findings.error("CONNECTION_FAILED", f"could not connect to {label}: {reason}")
        return False
    now = time.time()
    findings.record(
        {
            "check": "tls-handshake",
            "target": label,
            "source": target.source,
            "version": shake.version,
            "cipher": shake.cipher,
            "not_after": _date(shake.not_after),
            "days_left": int((shake.not_after - now) // DAY),
            "subject_alt_names": list(shake.names),
        }
    )
    if _VERSION_RANK.get(shake.version, -1) < _VERSION_RANK[_MIN_VERSION]:
        findings.fail(
            "TLS_VERSION_TOO_OLD", f"{label} negotiated {shake.version}; TLS 1.2 or newer is needed"
        )
    else:
        findings.passed(f"{label} negotiated {shake.version}")
    check_expiry(findings, label, shake, now)
    return True


async def check_hsts(ctx: ProbeContext, findings: Findings) -> None:
    """The production domain's home page sends a long enough Strict-Transport-Security."""
    url = f"https://{ctx.profile.production_domain}/"
    response = await ctx.fetch("GET", url, note="HSTS")
    findings.record(response.evidence)
    values = response.headers.get_list("strict-transport-security")
    if not values:
        findings.fail("HSTS_MISSING", f"{url} sends no Strict-Transport-Security header")
        return
    # Browsers heed only the first header when several are sent.
    max_age = hsts_max_age(values[0])
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


@probe(
    PROBE_ID,
    title="TLS: certificate, protocol version, expiry and HSTS",
    profile=("production_domain",),
)
async def tls_probe(ctx: ProbeContext) -> ProbeResult:
    """Check TLS on the production domain (and the webhook host), then HSTS on the domain."""
    findings = Findings(PROBE_ID)
    checked = targets(ctx)
    verified = [await check_target(ctx, findings, target) for target in checked]
    # Without a verified connection to the domain, an HSTS fetch would only repeat that failure.
    if verified[0]:
        await check_hsts(ctx, findings)
    labels = " and ".join(target.label for target in checked)
    return findings.result(
        "TLS_OK", f"TLS on {labels} verifies, is 1.2 or newer, is far from expiry and HSTS is on"
    )
