"""CORS: allowed origins get exactly their origin back; no other origin is ever echoed.

Each origin (the allowed ones, a foreign one, `null` and the Corsy look-alikes of each allowed
origin) sends a preflight and an actual GET of the protected URL (with the valid access token
when there is one, as the browser app would). A look-alike echoed on a preflight fails with its
variant's code. Echoed only on actual responses, it fails with the same variant code, except a
foreign origin, which gives CORS_ACTUAL_ORIGIN_REFLECTED: the narrower codes say which pattern
is loose, and an app that echoes anything is best told so in one word. `Vary: Origin` is needed
only when the answers differ between origins; a static Access-Control-Allow-Origin needs none.

How the probe could still pass a broken app, and what covers it:
- CORS headers added by a hook on actual responses only: actual requests are sent too (corpus
  `cors-actual-reflects`);
- a pattern with only its second dot unescaped: every dot of every allowed host is tried;
- `null` allowed (a leftover of file:// testing): `Origin: null` is one of the variants
  (corpus `cors-null-origin`).
How a correct app could fail it, and what prevents that:
- a single static allowed origin answered to every request with no `Vary`: Vary is required only
  when the answers vary (corpus `valid.static-single-origin`);
- an anchored, escaped origin regex: matched only by what it should match (corpus
  `valid.origin-regex`);
- CORS headers only on successful answers (auth middleware first): the valid token is sent, and
  a refused actual request without Access-Control-Allow-Origin only warns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from onyx_wizard.probes._context import HEADERS_ONLY_BODY, ProbeContext, Response
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._tasks import together
from onyx_wizard.secrets import SecretKey

PROBE_ID = "cors-preflight"
FOREIGN_ORIGIN = "https://evil.example"
_EVIL_SUFFIX = ".evil.example"
# Profiles may list many origins: requests run at most this many at a time, and look-alikes are
# tried until this many requests are planned (allowed origins themselves are always tried).
CONCURRENCY = 8
REQUEST_BUDGET = 240

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
# On actual responses only the foreign origin has its own code; see the module docstring.
ACTUAL_CODES = {**VARIANT_CODES, "foreign": "CORS_ACTUAL_ORIGIN_REFLECTED"}
_VARIANT_WORDS = {
    "foreign": "a foreign origin",
    "null": "the null origin",
    "suffix": "an origin whose host merely ends with an allowed host",
    "prefix": "an origin whose host merely starts with an allowed host",
    "underscore": "an origin with an underscore after an allowed host",
    "unescaped-dot": "an origin matching an allowed host with a dot replaced",
    "http": "the plain-http twin of an allowed origin",
}
_KIND_WORDS = {"preflight": "the preflight", "actual": "the actual GET"}


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
        # Each dot on its own: a pattern may escape some dots and miss one.
        if not host.replace(".", "").isdigit():  # an IPv4 address has no pattern to loosen
            for index in (i for i, char in enumerate(host) if char == "."):
                twin = f"{host[:index]}x{host[index + 1 :]}"
                variants.append(Variant("unescaped-dot", f"{scheme}://{twin}{port}"))
    if scheme == "https":
        netloc = f"[{host}]" if ":" in host else host
        variants.append(Variant("http", f"http://{netloc}{port}"))
    return variants


def all_variants(allowed_origins: Sequence[str]) -> list[Variant]:
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


def _credentials(response: Response) -> bool:
    value = response.headers.get("access-control-allow-credentials", "")
    return str(value).strip().lower() == "true"


def _answer(response: Response) -> tuple[str, bool]:
    """What a cache would have to tell apart: the allowed origin and whether credentials go."""
    return _acao(response), _credentials(response)


@dataclass
class Exchange:
    """The preflight and the actual GET sent from one origin."""

    origin: str
    preflight: Response
    actual: Response

    def of(self, kind: str) -> Response:
        return self.preflight if kind == "preflight" else self.actual


async def _exchange(
    ctx: ProbeContext, origin: str, note: str, token: str, gate: asyncio.Semaphore
) -> Exchange:
    url = ctx.profile.protected_url
    preflight_headers = {
        "origin": origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
    }
    actual_headers = {"origin": origin}
    if token:
        actual_headers["authorization"] = f"Bearer {token}"
    # Verdicts come from status and headers only: a body is read no further than its digest.
    async with gate:
        preflight = await ctx.fetch(
            "OPTIONS", url, headers=preflight_headers, note=note, body_limit=HEADERS_ONLY_BODY
        )
    async with gate:
        actual = await ctx.fetch(
            "GET", url, headers=actual_headers, note=note, body_limit=HEADERS_ONLY_BODY
        )
    return Exchange(origin, preflight, actual)


def _check_allowed(findings: Findings, exchange: Exchange) -> None:
    origin, preflight, actual = exchange.origin, exchange.preflight, exchange.actual
    what = f"the preflight from the allowed origin {origin}"
    acao = _acao(preflight)
    if not 200 <= preflight.status < 300:
        findings.fail("CORS_ALLOWED_ORIGIN_REJECTED", f"{what} got {preflight.status}, not a 2xx")
    elif not acao:
        findings.fail("CORS_ALLOWED_ORIGIN_REJECTED", f"{what} got no Access-Control-Allow-Origin")
    elif acao not in (origin, "*"):  # "*" is judged on its own
        findings.fail(
            "CORS_ALLOWED_ORIGIN_MISMATCH",
            f"{what} got Access-Control-Allow-Origin {acao!r} instead of the origin",
        )
    if "authorization" not in _header_tokens(preflight, "access-control-allow-headers"):
        # "*" never covers Authorization (Fetch standard), so it is not counted.
        findings.fail(
            "CORS_AUTHORIZATION_NOT_ALLOWED",
            f"{what} does not list authorization in Access-Control-Allow-Headers",
        )
    what = f"the actual GET from the allowed origin {origin}"
    acao = _acao(actual)
    if not acao and 200 <= actual.status < 300:
        findings.fail(
            "CORS_ALLOWED_ORIGIN_REJECTED",
            f"{what} got {actual.status} without Access-Control-Allow-Origin, so the browser "
            "app cannot read it",
        )
    elif not acao:
        findings.warn(
            "CORS_ERROR_NOT_READABLE",
            f"{what} got {actual.status} without Access-Control-Allow-Origin, so the browser "
            "app cannot see why it was refused",
        )
    elif acao not in (origin, "*"):
        findings.fail(
            "CORS_ALLOWED_ORIGIN_MISMATCH",
            f"{what} got Access-Control-Allow-Origin {acao!r} instead of the origin",
        )


def _check_wildcard(findings: Findings, exchanges: Sequence[Exchange]) -> None:
    answers = [(e.origin, e.of(kind)) for kind in _KIND_WORDS for e in exchanges]
    starred = [(origin, r) for origin, r in answers if _acao(r) == "*"]
    with_credentials = [origin for origin, r in starred if _credentials(r)]
    if with_credentials:
        findings.fail(
            "CORS_WILDCARD_WITH_CREDENTIALS",
            "the protected URL answers Access-Control-Allow-Origin * with credentials, e.g. "
            f"for {with_credentials[0]}",
        )
    elif starred:
        findings.warn(
            "CORS_WILDCARD_ORIGIN",
            "the protected URL answers Access-Control-Allow-Origin * (without credentials), so "
            "any site's scripts may call this bearer-token API",
        )


def _check_vary(
    findings: Findings, allowed: Sequence[Exchange], everyone: Sequence[Exchange]
) -> None:
    for kind, words in _KIND_WORDS.items():
        if len({_answer(e.of(kind)) for e in everyone}) < 2:
            continue  # the same answer whatever the Origin: nothing for a cache to tell apart
        for exchange in allowed:
            response = exchange.of(kind)
            if _acao(response) and not {"origin", "*"} & set(_header_tokens(response, "vary")):
                findings.fail(
                    "CORS_VARY_ORIGIN_MISSING",
                    f"{words} from {exchange.origin} has no Vary: Origin although the answer "
                    "depends on the Origin, so caches may serve one origin's answer to another",
                )


def plan(allowed: Sequence[str]) -> tuple[list[Variant], int]:
    """The look-alikes that fit the request budget, and how many were left out."""
    variants = all_variants(allowed)
    room = max(0, REQUEST_BUDGET // 2 - len(allowed))
    return variants[:room], max(0, len(variants) - room)


@probe(
    PROBE_ID,
    title="CORS allows exactly the allowed origins, on preflights and actual requests",
    profile=("protected_url", "allowed_origins"),
)
async def cors_preflight(ctx: ProbeContext) -> ProbeResult:
    """Preflight and GET the protected URL from each allowed origin and from look-alikes."""
    findings = ctx.findings(PROBE_ID)
    allowed = list(ctx.profile.allowed_origins)
    variants, left_out = plan(allowed)
    token = ctx.secrets.get(SecretKey.VALID_ACCESS_TOKEN, "")
    gate = asyncio.Semaphore(CONCURRENCY)
    exchanges = await together(
        *(_exchange(ctx, origin, "allowed origin", token, gate) for origin in allowed),
        *(_exchange(ctx, v.origin, f"{v.kind} origin", token, gate) for v in variants),
    )
    allowed_exchanges = exchanges[: len(allowed)]
    variant_exchanges = exchanges[len(allowed) :]

    echoed: list[Exchange] = []
    for kind, codes in (("preflight", VARIANT_CODES), ("actual", ACTUAL_CODES)):
        for variant, exchange in zip(variants, variant_exchanges, strict=True):
            if _acao(exchange.of(kind)) == variant.origin:
                echoed.append(exchange)
                findings.fail(
                    codes[variant.kind],
                    f"{_KIND_WORDS[kind]} allows {_VARIANT_WORDS[variant.kind]}: it echoed "
                    f"{variant.origin!r} in Access-Control-Allow-Origin",
                )
    _check_wildcard(findings, exchanges)
    for exchange in allowed_exchanges:
        _check_allowed(findings, exchange)
    _check_vary(findings, allowed_exchanges, exchanges)

    # Evidence: the allowed origins, the shared look-alikes, and every one that was echoed.
    shown: list[Exchange] = []
    for exchange in [*allowed_exchanges, *variant_exchanges[:2], *echoed]:
        if all(exchange is not e for e in shown):
            shown.append(exchange)
            findings.record(exchange.preflight.evidence)
            findings.record(exchange.actual.evidence)
    findings.record(
        {
            "note": f"{len(variants)} look-alike origins sent a preflight and an actual GET"
            + (f"; {left_out} more not tried (request budget)" if left_out else "")
            + ("" if token else "; no valid access token is set, so the GETs carry none")
        }
    )
    return findings.result(
        "CORS_OK",
        f"the {len(allowed)} allowed origin(s) get exactly their origin back on preflights and "
        f"actual requests; {len(variants)} look-alike origins are never echoed",
    )
