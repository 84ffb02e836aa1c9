"""Domain verification probe: the Onyx token is published in DNS or in a well-known file.

The token counts as not found (`fail`) only when both places were read. A TXT lookup that timed
out or failed, or a well-known fetch that timed out, was reset or failed TLS, leaves the question
open: the probe says `error` with what happened, never that the token is missing.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import dns.asyncresolver
import dns.exception
import dns.resolver
import httpx

from onyx_wizard.outcome import Outcome
from onyx_wizard.probes._context import ProbeContext, ReadLimitReached, domain_host
from onyx_wizard.probes._failure import Failure, failure_in
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._resolve import dns_resolver, parse_nameserver, special_name

__all__ = ["parse_nameserver"]  # where the tests and older callers find it

PROBE_ID = "domain-verification"
TXT_PREFIX = "onyx-domain-verification="
WELL_KNOWN = "/.well-known/onyx-domain-verification.txt"
DNS_LIFETIME = 3.0  # or the connect timeout, when that is shorter


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
) -> tuple[bool, str, Failure | None]:
    """Look for the TXT token: (found, what was seen when not found, and why the lookup could
    not tell when it failed)."""
    where = ctx.profile.dns_nameserver or "the system resolver"
    lifetime = min(DNS_LIFETIME, ctx.settings.connect_timeout)
    problem = None
    try:
        if special_name(host) == "invalid":  # RFC 6761: never asked of DNS
            raise dns.resolver.NXDOMAIN
        records = await txt_records(dns_resolver(ctx.profile.dns_nameserver, lifetime), host)
    except dns.resolver.NXDOMAIN:
        seen = f"{host} does not exist in DNS"
    except dns.resolver.NoAnswer:
        seen = f"{host} has no TXT records"
    except dns.exception.Timeout:
        seen = f"the TXT lookup for {host} at {where} timed out after {lifetime:g} s"
        problem = Failure(Outcome.ERROR, "TIMEOUT", seen)
    except dns.exception.DNSException as exc:
        seen = f"the TXT lookup for {host} at {where} failed ({exc})"
        problem = Failure(Outcome.ERROR, "CONNECTION_FAILED", seen)
    else:
        ours = [r.strip() for r in records if r.strip().startswith(TXT_PREFIX)]
        findings.record({"check": "dns-txt", "name": host, "resolver": where, "records": ours})
        if f"{TXT_PREFIX}{token}" in ours:
            return True, "", None
        if ours:
            seen = f"the {TXT_PREFIX}… TXT record at {host} holds a different token"
        else:
            seen = f"no {TXT_PREFIX}… TXT record at {host}"
        return False, seen, None
    findings.record({"check": "dns-txt", "name": host, "resolver": where, "result": seen})
    return False, seen, problem


def well_known_url(ctx: ProbeContext) -> str:
    return f"https://{ctx.profile.production_domain}{WELL_KNOWN}"


async def check_well_known(ctx: ProbeContext, findings: Findings, token: str) -> tuple[bool, str]:
    """Fetch the well-known file; one redirect is allowed if it stays on the same host.

    A request that fails raises: it says nothing about whether the file holds the token.
    """
    url = well_known_url(ctx)
    host = urlsplit(url).hostname
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
    findings = ctx.findings(PROBE_ID)
    token = ctx.profile.domain_verification_token.strip()
    host = domain_host(ctx.profile)
    found, dns_seen, dns_problem = await check_dns(ctx, findings, host, token)
    if found:
        findings.passed(f"TXT {TXT_PREFIX}<token> found at {host}")
        return findings.result("DOMAIN_VERIFIED", f"{host} publishes the Onyx token in DNS")
    http_problem = None
    try:
        found, http_seen = await check_well_known(ctx, findings, token)
    except (httpx.HTTPError, OSError, ReadLimitReached) as exc:
        failure = failure_in(ctx, exc)
        found, http_seen = False, f"{well_known_url(ctx)} could not be read: {failure.message}"
        http_problem = Failure(failure.outcome, failure.code, http_seen)
    if found:
        findings.passed(f"{WELL_KNOWN} on {ctx.profile.production_domain} holds the token")
        return findings.result(
            "DOMAIN_VERIFIED",
            f"https://{ctx.profile.production_domain}{WELL_KNOWN} holds the Onyx token",
        )
    problem = http_problem or dns_problem
    if problem is not None:
        # One place could not be read, so the token may well be there: not a finding.
        findings.error(
            problem.code,
            f"could not tell whether the verification token is published: {dns_seen}, and "
            f"{http_seen}",
        )
    else:
        findings.fail(
            "DOMAIN_TOKEN_NOT_FOUND",
            f"the verification token is in neither place checked: {dns_seen}, and {http_seen}",
        )
    return findings.result("DOMAIN_VERIFIED", "")
