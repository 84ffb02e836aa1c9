"""CORS preflight: allowed origins get exactly their origin back; no other origin is echoed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from onyx_wizard.probes._context import ProbeContext, Response
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "cors-preflight"
FOREIGN_ORIGIN = "https://evil.example"
_EVIL_SUFFIX = ".evil.example"

# Evaluation order: the broadest misconfiguration first, so a server that reflects everything
# is reported as reflecting, not as one of the narrower variants it also accepts.
VARIANT_CODES = {
    "foreign": "CORS_ORIGIN_REFLECTED",
    "null": "CORS_NULL_ORIGIN_ALLOWED",
    "suffix": "CORS_SUFFIX_MATCH",
    "prefix": "CORS_PREFIX_MATCH",
    "underscore": "CORS_UNDERSCORE_MATCH",
    "unescaped-dot": "CORS_UNESCAPED_DOT",
    "http": "CORS_HTTP_ORIGIN_ALLOWED",
}
_VARIANT_WORDS = {
    "foreign": "a foreign origin",
    "null": "the null origin",
    "suffix": "an origin whose host merely ends with an allowed host",
    "prefix": "an origin whose host merely starts with an allowed host",
    "underscore": "an origin with an underscore after an allowed host",
    "unescaped-dot": "an origin matching an allowed host with a dot replaced",
    "http": "the plain-http twin of an allowed origin",
}


@dataclass(frozen=True)
class Variant:
    """An origin the server must not allow: its kind (a VARIANT_CODES key) and the value sent."""

    kind: str
    origin: str


def origin_variants(allowed: str) -> list[Variant]:
    """The Corsy variants of one allowed origin (foreign and null are shared, added elsewhere)."""
    parts = urlsplit(allowed)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    scheme = parts.scheme
    variants: list[Variant] = []
    # Host games make no sense on an IPv6 literal: the result would not parse as an origin.
    if ":" not in host:
        variants += [
            Variant("suffix", f"{scheme}://evil{host}{port}"),
            Variant("prefix", f"{scheme}://{host}{_EVIL_SUFFIX}{port}"),
            Variant("underscore", f"{scheme}://{host}_{_EVIL_SUFFIX}{port}"),
        ]
        if "." in host:
            variants.append(
                Variant("unescaped-dot", f"{scheme}://{host.replace('.', 'x', 1)}{port}")
            )
    if scheme == "https":
        netloc = f"[{host}]" if ":" in host else host
        variants.append(Variant("http", f"http://{netloc}{port}"))
    return variants


def all_variants(allowed_origins: list[str]) -> list[Variant]:
    """Every origin to try, in evaluation order, without repeats or allowed origins."""
    found = [Variant("foreign", FOREIGN_ORIGIN), Variant("null", "null")]
    for origin in allowed_origins:
        found += origin_variants(origin)
    order = list(VARIANT_CODES)
    unique = {(v.kind, v.origin): v for v in found if v.origin not in allowed_origins}
    return sorted(unique.values(), key=lambda v: order.index(v.kind))


def _header_tokens(response: Response, name: str) -> list[str]:
    return [
        token.strip().lower()
        for value in response.headers.get_list(name)
        for token in value.split(",")
        if token.strip()
    ]


def _acao(response: Response) -> str:
    return str(response.headers.get("access-control-allow-origin", "")).strip()


def _wildcard_with_credentials(response: Response) -> bool:
    credentials = response.headers.get("access-control-allow-credentials", "").strip().lower()
    return _acao(response) == "*" and credentials == "true"


async def _preflight(ctx: ProbeContext, origin: str, note: str) -> Response:
    headers = {
        "origin": origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
    }
    return await ctx.fetch("OPTIONS", ctx.profile.protected_url, headers=headers, note=note)


def _check_allowed(findings: Findings, origin: str, response: Response) -> None:
    acao = _acao(response)
    what = f"the preflight from the allowed origin {origin}"
    if not 200 <= response.status < 300:
        findings.fail("CORS_ALLOWED_ORIGIN_REJECTED", f"{what} got {response.status}, not a 2xx")
    elif not acao:
        findings.fail("CORS_ALLOWED_ORIGIN_REJECTED", f"{what} got no Access-Control-Allow-Origin")
    elif acao != origin and not _wildcard_with_credentials(response):
        findings.fail(
            "CORS_ALLOWED_ORIGIN_MISMATCH",
            f"{what} got Access-Control-Allow-Origin {acao!r} instead of the origin",
        )
    if "authorization" not in _header_tokens(response, "access-control-allow-headers"):
        # "*" never covers Authorization (Fetch standard), so it is not counted.
        findings.fail(
            "CORS_AUTHORIZATION_NOT_ALLOWED",
            f"{what} does not list authorization in Access-Control-Allow-Headers",
        )


@probe(
    PROBE_ID,
    title="CORS preflight allows exactly the allowed origins",
    profile=("protected_url", "allowed_origins"),
)
async def cors_preflight(ctx: ProbeContext) -> ProbeResult:
    """Preflight the protected URL from each allowed origin and from look-alike origins."""
    findings = Findings(PROBE_ID)
    allowed = list(ctx.profile.allowed_origins)
    variants = all_variants(allowed)
    answers = await asyncio.gather(
        *(_preflight(ctx, origin, "allowed origin") for origin in allowed),
        *(_preflight(ctx, v.origin, f"{v.kind} origin") for v in variants),
    )
    allowed_answers = answers[: len(allowed)]
    variant_answers = answers[len(allowed) :]
    for response in answers:
        findings.record(response.evidence)

    for variant, response in zip(variants, variant_answers, strict=True):
        if _acao(response) == variant.origin:
            findings.fail(
                VARIANT_CODES[variant.kind],
                f"the preflight allows {_VARIANT_WORDS[variant.kind]}: it echoed "
                f"{variant.origin!r} in Access-Control-Allow-Origin",
            )
    wildcard = [
        origin
        for origin, response in zip([*allowed, *(v.origin for v in variants)], answers, strict=True)
        if _wildcard_with_credentials(response)
    ]
    if wildcard:
        findings.fail(
            "CORS_WILDCARD_WITH_CREDENTIALS",
            "the preflight answers Access-Control-Allow-Origin * with credentials, e.g. for "
            f"{wildcard[0]}",
        )
    for origin, response in zip(allowed, allowed_answers, strict=True):
        _check_allowed(findings, origin, response)
    for origin, response in zip(allowed, allowed_answers, strict=True):
        if not {"origin", "*"} & set(_header_tokens(response, "vary")):
            findings.fail(
                "CORS_VARY_ORIGIN_MISSING",
                f"the preflight from {origin} has no Vary: Origin, so caches may serve one "
                "origin's answer to another",
            )
    return findings.result(
        "CORS_OK",
        f"preflights from the {len(allowed)} allowed origin(s) get exactly their origin and "
        f"authorization back; {len(variants)} look-alike origins are not allowed",
    )
