"""Domain verification probe: the Onyx token is published in DNS or in a well-known file."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import dns.asyncresolver
import dns.exception
import dns.resolver
import httpx

from onyx_wizard.probes._context import ProbeContext, domain_host
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "domain-verification"
TXT_PREFIX = "onyx-domain-verification="
WELL_KNOWN = "/.well-known/onyx-domain-verification.txt"
DNS_LIFETIME = 3.0


def parse_nameserver(value: str) -> tuple[str, int]:
    """Split a profile `dns_nameserver` ("ip", "ip:port", "[v6]:port" or "v6") into ip and port."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, int(port)
    return value, 53


def make_resolver(nameserver: str) -> dns.asyncresolver.Resolver:
    """The profile's name server when it names one; the system's otherwise (real deployments)."""
    if nameserver:
        resolver = dns.asyncresolver.Resolver(configure=False)
        ip, port = parse_nameserver(nameserver)
        resolver.nameservers = [ip]
        resolver.port = port
    else:
        resolver = dns.asyncresolver.Resolver(configure=True)
    resolver.lifetime = DNS_LIFETIME
    resolver.timeout = DNS_LIFETIME
    return resolver


async def txt_records(resolver: dns.asyncresolver.Resolver, name: str) -> list[str]:
    """The TXT strings at `name`, each record's character-strings joined as RFC 7208 does."""
    answer = await resolver.resolve(name, "TXT", search=False)
    records = []
    for rdata in answer:
        parts: tuple[bytes, ...] = getattr(rdata, "strings", ())
        records.append(b"".join(parts).decode("utf-8", errors="replace"))
    return records


async def check_dns(
    ctx: ProbeContext, findings: Findings, host: str, token: str
) -> tuple[bool, str]:
    """Look for the TXT token; (found, what was seen when not found)."""
    resolver = make_resolver(ctx.profile.dns_nameserver)
    where = ctx.profile.dns_nameserver or "the system resolver"
    try:
        records = await txt_records(resolver, host)
    except dns.resolver.NXDOMAIN:
        seen = f"{host} does not exist in DNS"
    except dns.resolver.NoAnswer:
        seen = f"{host} has no TXT records"
    except dns.exception.Timeout:
        seen = f"the TXT lookup for {host} at {where} timed out"
    except dns.exception.DNSException as exc:
        seen = f"the TXT lookup for {host} at {where} failed ({exc})"
    else:
        ours = [r.strip() for r in records if r.strip().startswith(TXT_PREFIX)]
        findings.record({"check": "dns-txt", "name": host, "resolver": where, "records": ours})
        if f"{TXT_PREFIX}{token}" in ours:
            return True, ""
        if ours:
            seen = f"the {TXT_PREFIX}… TXT record at {host} holds a different token"
        else:
            seen = f"no {TXT_PREFIX}… TXT record at {host}"
        return False, seen
    findings.record({"check": "dns-txt", "name": host, "resolver": where, "result": seen})
    return False, seen


async def check_well_known(ctx: ProbeContext, findings: Findings, token: str) -> tuple[bool, str]:
    """Fetch the well-known file; one redirect is allowed if it stays on the same host."""
    url = f"https://{ctx.profile.production_domain}{WELL_KNOWN}"
    host = urlsplit(url).hostname
    try:
        response = await ctx.fetch("GET", url, note="domain verification file")
        findings.record(response.evidence)
        if response.status in (301, 302, 303, 307, 308) and response.location:
            target = urljoin(url, response.location)
            parts = urlsplit(target)
            # The token must come from the domain itself, not from wherever it points.
            if parts.scheme != "https" or parts.hostname != host:
                return False, f"{url} redirects to another host ({target}), which does not count"
            response = await ctx.fetch("GET", target, note="domain verification file (redirect)")
            findings.record(response.evidence)
    except httpx.HTTPError as exc:
        return False, f"{url} could not be fetched ({type(exc).__name__}: {exc})"
    if response.status != 200:
        return False, f"{response.url} answered {response.status}"
    if response.text.strip() != token:
        return False, f"{response.url} does not hold the token"
    return True, ""


@probe(
    PROBE_ID,
    title="Production domain verified with the Onyx token",
    profile=("production_domain", "domain_verification_token"),
)
async def domain_verification(ctx: ProbeContext) -> ProbeResult:
    """Pass when DNS TXT or the well-known file carries the profile's verification token."""
    findings = Findings(PROBE_ID)
    token = ctx.profile.domain_verification_token.strip()
    host = domain_host(ctx.profile)
    found, dns_seen = await check_dns(ctx, findings, host, token)
    if found:
        findings.passed(f"TXT {TXT_PREFIX}<token> found at {host}")
        return findings.result("DOMAIN_VERIFIED", f"{host} publishes the Onyx token in DNS")
    found, http_seen = await check_well_known(ctx, findings, token)
    if found:
        findings.passed(f"{WELL_KNOWN} on {ctx.profile.production_domain} holds the token")
        return findings.result(
            "DOMAIN_VERIFIED",
            f"https://{ctx.profile.production_domain}{WELL_KNOWN} holds the Onyx token",
        )
    findings.fail(
        "DOMAIN_TOKEN_NOT_FOUND",
        f"the verification token is in neither place checked: {dns_seen}, and {http_seen}",
    )
    return findings.result("DOMAIN_VERIFIED", "")
