"""Redirect URI rules: each registered URI is one Onyx can safely send codes to (profile only)."""

from __future__ import annotations

from urllib.parse import urlsplit

from onyx_wizard.probes._context import ProbeContext, domain_host
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "redirect-uri-rules"
# RFC 8252 §7.3 allows plain http only for loopback IP literals (and §8.3 advises against
# "localhost"), so these two are the only http hosts accepted.
LOOPBACK_IPS = frozenset({"127.0.0.1", "::1"})


def within_domain(host: str, domain: str) -> bool:
    """Whether `host` is `domain` or one of its subdomains (ports are not compared)."""
    host = host.lower().rstrip(".")
    domain = domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def uri_problem(uri: str, domain: str) -> tuple[str, str] | None:
    """The first rule `uri` breaks, as (reason code, sentence), or None when it is fine."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        _ = parts.port  # a malformed port raises here
    except ValueError as exc:
        return "REDIRECT_URI_NOT_ABSOLUTE", f"redirect URI {uri} cannot be parsed ({exc})"
    if not parts.scheme or not parts.netloc:
        return "REDIRECT_URI_NOT_ABSOLUTE", f"redirect URI {uri} is not an absolute URI"
    if "@" in parts.netloc:
        return "REDIRECT_URI_USERINFO", f"redirect URI {uri} carries a user name or password"
    if "*" in uri:
        return "REDIRECT_URI_WILDCARD", f"redirect URI {uri} contains a wildcard (*)"
    # An empty fragment ("…/callback#") still counts: the rule is "no fragment component".
    if "#" in uri:
        return "REDIRECT_URI_FRAGMENT", f"redirect URI {uri} has a fragment (#…)"
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and host in LOOPBACK_IPS):
        return "REDIRECT_URI_NOT_HTTPS", f"redirect URI {uri} does not use https"
    if not within_domain(host, domain):
        return (
            "REDIRECT_URI_FOREIGN_HOST",
            f"redirect URI {uri} is on {host or 'no host'}, outside the production domain {domain}",
        )
    return None


def near_duplicates(uris: list[str]) -> list[list[str]]:
    """Groups of URIs that differ only in letter case or a trailing slash."""
    groups: dict[str, list[str]] = {}
    for uri in uris:
        groups.setdefault(uri.lower().rstrip("/"), []).append(uri)
    return [group for group in groups.values() if len(group) > 1]


@probe(
    PROBE_ID,
    title="Redirect URIs follow the OAuth rules",
    profile=("redirect_uris", "production_domain"),
)
async def redirect_uri_rules(ctx: ProbeContext) -> ProbeResult:
    """Judge every registered redirect URI against RFC 6749, RFC 8252 and RFC 9700 rules."""
    findings = Findings(PROBE_ID)
    domain = domain_host(ctx.profile)
    uris = ctx.profile.redirect_uris
    for uri in uris:
        problem = uri_problem(uri, domain)
        if problem is None:
            findings.passed(f"redirect URI {uri} is absolute https within {domain}")
        else:
            findings.fail(*problem)
    # Exact matching makes these different URIs, yet people mistake one for the other.
    for group in near_duplicates(uris):
        findings.warn(
            "REDIRECT_URI_NEAR_DUPLICATE",
            "redirect URIs " + " and ".join(group) + " differ only in case or a trailing slash",
        )
    which = "the redirect URI meets" if len(uris) == 1 else f"all {len(uris)} redirect URIs meet"
    return findings.result(
        "REDIRECT_URIS_OK",
        f"{which} the OAuth rules: absolute, https, no wildcard, fragment or user info, "
        f"within {domain}",
    )
