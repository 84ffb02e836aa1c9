"""Open redirect probe: return-to values on login and callback never leave the partner's hosts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from onyx_wizard.probes._browser import (
    fetch_fresh,
    query_params,
    resolve_location,
    safe_host,
    same_endpoint,
    with_query,
)
from onyx_wizard.probes._context import ProbeContext, Response, domain_host
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.profile import Profile

PROBE_ID = "open-redirect"
PARAMS = ("next", "url", "redirect", "return_to", "continue")
# Only ever sent as values, never connected to; the second is scheme-relative.
EVIL_VALUES = ("https://evil.example", "//evil.example")


def allowed_hosts(profile: Profile) -> frozenset[str]:
    """Every host the profile names: where the partner's pages may legitimately send a browser."""
    urls = [
        *profile.allowed_origins,
        *profile.redirect_uris,
        profile.login_url,
        profile.protected_url,
        profile.webhook_url,
        profile.privacy_notice_url,
        profile.onyx_authorize_url,
    ]
    hosts = {safe_host(url) for url in urls if url}
    hosts.add(domain_host(profile).lower())
    hosts.discard("")
    return frozenset(hosts)


@dataclass(frozen=True)
class Trial:
    """One request: which endpoint, which parameter and value, and the answer."""

    endpoint: str
    param: str
    value: str
    response: Response


def trials(profile: Profile) -> list[tuple[str, str, str, str]]:
    """(endpoint name, parameter, value, URL) for each request to make: 20 in all."""
    out = []
    for param in PARAMS:
        for value in EVIL_VALUES:
            out.append(("login_url", param, value, with_query(profile.login_url, {param: value})))
            # The callback needs an error and a state to reach its redirect logic at all.
            callback_query = {"error": "access_denied", "state": "x", param: value}
            out.append(
                (
                    "the callback",
                    param,
                    value,
                    with_query(profile.redirect_uris[0], callback_query),
                )
            )
    return out


@dataclass(frozen=True)
class Bounds:
    """Where redirects may go: the profile's hosts, the production domain, and Onyx."""

    hosts: frozenset[str]
    domain: str
    onyx_authorize_url: str

    def inside(self, host: str) -> bool:
        """Whether `host` is one the profile names, or a subdomain of the production domain."""
        return host in self.hosts or host.endswith("." + self.domain)


def judge(findings: Findings, trial: Trial, bounds: Bounds) -> None:
    """Fail when the Location (or the redirect_uri it hands Onyx) points off the partner's hosts."""
    response = trial.response
    if not response.location:
        return
    sent = f"{trial.param}={trial.value}"
    target = resolve_location(response.url, response.location)
    host = safe_host(target)
    if host and not bounds.inside(host):
        findings.fail(
            "OPEN_REDIRECT",
            f"{trial.endpoint} with {sent} redirects to {target}, a host outside the partner's",
        )
        return
    # Onyx would send the browser (and the code) on to redirect_uri: an evil one is a redirect too.
    if bounds.onyx_authorize_url and same_endpoint(target, bounds.onyx_authorize_url):
        redirect_uri = query_params(target).get("redirect_uri", "")
        back = safe_host(resolve_location(target, redirect_uri)) if redirect_uri else ""
        if back and not bounds.inside(back):
            findings.fail(
                "OPEN_REDIRECT",
                f"{trial.endpoint} with {sent} sends the sign-in to Onyx with "
                f"redirect_uri {redirect_uri}, a host outside the partner's",
            )


@probe(
    PROBE_ID,
    title="No open redirect on login or callback",
    profile=("login_url", "redirect_uris"),
)
async def open_redirect(ctx: ProbeContext) -> ProbeResult:
    """Offer foreign return-to values to login and callback; no answer may redirect off-site."""
    findings = Findings(PROBE_ID)
    profile = ctx.profile
    planned = trials(profile)
    responses = await asyncio.gather(
        *(
            fetch_fresh(ctx, url, note=f"{endpoint} with {param}={value}")
            for endpoint, param, value, url in planned
        )
    )
    bounds = Bounds(
        allowed_hosts(profile), domain_host(profile).lower(), profile.onyx_authorize_url
    )
    for (endpoint, param, value, _), response in zip(planned, responses, strict=True):
        findings.record(response.evidence)
        judge(findings, Trial(endpoint, param, value, response), bounds)
    return findings.result(
        "NO_OPEN_REDIRECT",
        f"none of {len(planned)} foreign return-to values ({', '.join(PARAMS)}) on login or "
        "the callback led a redirect off the partner's hosts",
    )
