"""What every probe gets: the profile, the secrets it may use, an HTTP client of its own.

Each probe's client has its own connection pool (the TLS trust store is shared), so a connection
another probe's request left broken is never handed to it. The client follows no redirects unless
a probe asks, times out after 5 s to connect and 10 s to read, reads at most 1 MiB of a body, and
verifies TLS against the system CAs plus the profile's `ca_bundle`. A probe has at most 6
requests in flight however far it fans out, and reads at most 16 MiB of answers in a run.
`ProbeContext.fetch` sends an idempotent request once more, on a fresh connection, when its
connection dropped. Evidence taken through `fetch` is redacted: secret values, the Authorization
header and cookie values never reach it.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from onyx_wizard.errors import OnyxError
from onyx_wizard.probes._model import Findings, body_digest
from onyx_wizard.probes._resolve import NameResolver, ProbeNetwork
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey

MAX_BODY = 1024 * 1024
# Bodies read by one probe in one run, all answers together: 400 origins against a server that
# sends 2 GB to each request must not cost 800 MiB.
MAX_READ = 16 * 1024 * 1024
# What a probe that judges only status and headers reads of a body: the digest in the evidence,
# and the whole of a small answer, so its connection can be used again.
HEADERS_ONLY_BODY = 16 * 1024
MAX_CONNECTIONS = 6  # per probe; also the most requests a probe has in flight
# How many answers a probe that ran out of time shows in its evidence.
_SHOWN_WHEN_UNFINISHED = 10
USER_AGENT = "onyx-wizard-probe/1"
# Requests that may be sent twice without changing anything on the server (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a connection that died under a request looks like: a kept-alive connection the server
# dropped after its last answer (a crashed worker, an idle timeout racing the request) or a
# reset mid-answer.
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)

# Response headers worth keeping as evidence (the rest are noise for a reviewer).
_EVIDENCE_HEADERS = (
    "location",
    "www-authenticate",
    "set-cookie",
    "vary",
    "strict-transport-security",
    "content-type",
    "retry-after",
)
_SENT_HEADERS = (
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "authorization",
    "cookie",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)


@dataclass(frozen=True)
class ProbeSettings:
    """Timeouts and limits; the defaults are DESIGN.md's."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0
    max_body: int = MAX_BODY
    max_read: int = MAX_READ
    # How long after an accepted access.revoked event the test user's token must be refused.
    revoke_within: float = 10.0


@dataclass
class Response:
    """An HTTP response as probes see it: status, headers, a capped body, and its evidence."""

    method: str
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_ms: int
    evidence: dict[str, Any]
    truncated: bool = False  # the body was longer than what was read of it

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return str(self.headers.get("location", ""))

    def set_cookies(self) -> list[str]:
        return self.headers.get_list("set-cookie")


class ProbeSetupError(OnyxError):
    """The probes cannot start (e.g. an unreadable CA bundle); the message says why."""


class ReadLimitReached(Exception):
    """A probe's answers ran past the bytes it may read in one run; the message says how far."""


def make_ssl_context(profile: Profile) -> ssl.SSLContext:
    """System CAs plus the profile's `ca_bundle` (built once per bundle file version)."""
    if not profile.ca_bundle:
        return _ssl_context("", 0.0)
    path = Path(profile.ca_bundle).expanduser()
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ProbeSetupError(f"ca_bundle {path} cannot be read: {exc.strerror}") from None
    return _ssl_context(str(path), mtime)


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str, mtime: float) -> ssl.SSLContext:
    # Loading the system CA store costs ~20 ms; a context is safe to share between runs.
    context = ssl.create_default_context()
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ProbeSetupError(f"ca_bundle {ca_bundle} cannot be loaded: {exc}") from None
    return context


def resolver_for(profile: Profile, settings: ProbeSettings) -> NameResolver:
    """Name resolution as the probes do it for this profile (see `_resolve`)."""
    return NameResolver(
        profile.dns_nameserver,
        domain_host(profile) if profile.production_domain else "",
        settings.connect_timeout,
    )


def new_transport(
    ssl_context: ssl.SSLContext, resolver: NameResolver | None = None
) -> httpx.AsyncHTTPTransport:
    """A connection pool of its own, as DESIGN.md sets the probes' HTTP up.

    Requests go to the transport itself, not through an `httpx.AsyncClient`: a client prepares
    the next request from every Location, even when it follows none, and gives up on a hostile
    one (`https:%2F%2Fevil.example/`) that the probes must judge, not fail on. So nothing here
    follows redirects, keeps cookies or reads proxies from the environment.
    """
    # A few connections per probe: requests queue for them rather than each paying for a TLS
    # handshake of its own, which is most of a probe run's CPU on both sides.
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
    )
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, trust_env=False)
    # httpx cannot hand its pool a network backend; this pool is the one it builds, plus the
    # probes' name resolution (bounded, cancellable, RFC 6761 names kept local).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=ProbeNetwork(resolver or NameResolver()),
    )
    return transport


def build_request(
    method: str,
    url: str,
    settings: ProbeSettings,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
) -> httpx.Request:
    """A request with the probes' user agent and timeouts (5 s to connect, 10 s to read)."""
    # Waiting for one of the probe's own connections is bounded by the probe's deadline.
    timeout = httpx.Timeout(
        settings.read_timeout, connect=settings.connect_timeout, pool=settings.deadline
    )
    return httpx.Request(
        method,
        url,
        headers={"user-agent": USER_AGENT, "accept": "*/*", **(headers or {})},
        content=content,
        params=params,
        extensions={"timeout": timeout.as_dict()},
    )


@dataclass
class ProbeContext:
    """Everything a probe may use; made by `ProbeContext.create`, closed with `aclose`.

    A probe that works for long off the event loop (a scan in a thread) reports its progress
    with `report_progress` and stops when `cancelled` is set. A probe builds its result from
    `findings`, so what it found survives its deadline or a failure.
    """

    profile: Profile
    secrets: Mapping[SecretKey, str]
    transport: httpx.AsyncHTTPTransport
    ssl_context: ssl.SSLContext
    settings: ProbeSettings = field(default_factory=ProbeSettings)
    on_progress: Callable[[str, float], None] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    scan_artifacts: tuple[Path, ...] = ()
    resolver: NameResolver = field(default_factory=NameResolver)
    # At most this many requests (or TLS handshakes) of the probe at a time.
    gate: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS), repr=False
    )
    bytes_read: int = 0  # of answers' bodies, against settings.max_read
    # What the probe had when it stopped: its findings, answers, and requests still out.
    found: Findings | None = None
    answers: int = 0
    first_answers: list[dict[str, Any]] = field(default_factory=list)
    waiting: dict[int, tuple[str, str, float]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count, repr=False)

    def findings(self, probe_id: str) -> Findings:
        """The probe's findings, kept here so that they outlive its deadline."""
        self.found = Findings(probe_id)
        return self.found

    def still_waiting(self) -> list[str]:
        """The requests in flight, oldest first: "GET https://… (for 12.0 s)"."""
        now = time.perf_counter()
        return [
            f"{method} {url} (for {now - since:.1f} s)"
            for method, url, since in sorted(self.waiting.values(), key=lambda w: w[2])
        ]

    def report_progress(self, probe_id: str, fraction: float) -> None:
        """Tell the runner how far a probe is (0.0–1.0); safe to call from any thread."""
        if self.on_progress is not None:
            self.on_progress(probe_id, max(0.0, min(1.0, fraction)))

    @classmethod
    def create(
        cls,
        profile: Profile,
        secrets: Mapping[SecretKey, str],
        settings: ProbeSettings | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        cancelled: threading.Event | None = None,
        resolver: NameResolver | None = None,
    ) -> ProbeContext:
        """A context with a connection pool of its own; `ssl_context`, `cancelled` and
        `resolver` may be shared."""
        settings = settings or ProbeSettings()
        context = ssl_context or make_ssl_context(profile)
        resolver = resolver or resolver_for(profile, settings)
        ctx = cls(
            profile, secrets, new_transport(context, resolver), context, settings, resolver=resolver
        )
        if cancelled is not None:
            ctx.cancelled = cancelled
        return ctx

    async def aclose(self) -> None:
        await self.transport.aclose()

    def secret(self, key: SecretKey) -> str:
        """A secret the probe declared it needs (the runner checked it is there)."""
        return self.secrets[key]

    def redact(self, text: str) -> str:
        """`text` with known secret values, token and secret shapes and personal data replaced."""
        from onyx_wizard.scan import redact
        from onyx_wizard.scan.engine import MIN_SECRET_LENGTH

        for key, value in self.secrets.items():
            if not value or value not in text:
                continue
            if len(value) >= MIN_SECRET_LENGTH:
                text = text.replace(value, f"[REDACTED:{key.value}]")
            else:
                # Too short to be a real secret: replacing it inside words would garble every
                # message (and show where it is); only a value standing alone is replaced.
                alone = rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"
                text = re.sub(alone, f"[REDACTED:{key.value}]", text)
        return redact(text)

    def _sent_evidence(self, headers: Mapping[str, str]) -> dict[str, str]:
        sent = {}
        for name, value in headers.items():
            lower = name.lower()
            if lower not in _SENT_HEADERS:
                continue
            if lower == "authorization":
                scheme = value.split(" ", 1)[0]
                value = f"{scheme} [REDACTED]" if " " in value else "[REDACTED]"
            elif lower == "cookie":
                value = "; ".join(p.split("=", 1)[0] + "=[REDACTED]" for p in value.split(";"))
            elif lower == "webhook-signature":
                value = " ".join(p.split(",", 1)[0] + ",[…]" for p in value.split())
            sent[lower] = self.redact(value)
        return sent

    def _received_evidence(self, headers: httpx.Headers) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for name in _EVIDENCE_HEADERS:
            values = headers.get_list(name)
            if not values:
                continue
            if name == "set-cookie":
                values = [_redact_cookie(v) for v in values]
            values = [self.redact(v) for v in values]
            kept[name] = values if len(values) > 1 else values[0]
        for name, value in headers.items():
            if name.lower().startswith("access-control-"):
                kept[name.lower()] = self.redact(value)
        return kept

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        note: str = "",
        idempotent: bool | None = None,
        body_limit: int | None = None,
    ) -> Response:
        """One request, body capped at `max_body` (or the lower `body_limit` of a probe that
        judges only status and headers), with redacted evidence attached.

        At most MAX_CONNECTIONS requests of a probe are in flight; the rest wait their turn.
        When the connection drops under an idempotent request (GET, HEAD, OPTIONS, or any
        request the caller declares `idempotent`), it is sent once more on a fresh connection.
        A failed request's exception carries the request (`exc.request`).
        """
        request = build_request(
            method, url, self.settings, headers=headers, content=content, params=params
        )
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        limit = min(body_limit or self.settings.max_body, self.settings.max_body)
        shown_url = self.redact(str(request.url))
        async with self.gate:
            ident = next(self._ids)
            start = time.perf_counter()
            self.waiting[ident] = (method.upper(), shown_url, start)
            retried = ""
            try:
                try:
                    response, body, truncated = await self._send(self.transport, request, limit)
                except _DROPPED as exc:
                    if not idempotent:
                        raise
                    retried = (
                        f"the connection dropped ({type(exc).__name__}); sent again on a new one"
                    )
                    async with new_transport(self.ssl_context, self.resolver) as fresh:
                        response, body, truncated = await self._send(fresh, request, limit)
            except httpx.RequestError as exc:
                exc.request = request
                raise
            finally:
                self.waiting.pop(ident, None)
        elapsed = int((time.perf_counter() - start) * 1000)
        evidence: dict[str, Any] = {
            "method": method,
            "url": shown_url,
            "status": response.status_code,
        }
        sent = self._sent_evidence(request.headers)
        if sent:
            evidence["sent"] = sent
        # httpx re-detects the header encoding on every access unless told; latin-1 never fails.
        headers = httpx.Headers(response.headers.raw, encoding="iso-8859-1")
        received = self._received_evidence(headers)
        if received:
            evidence["headers"] = received
        evidence["body"] = body_digest(body)
        if truncated:
            evidence["body_read"] = f"the first {len(body)} bytes of a longer body"
        if note:
            evidence["note"] = note
        if retried:
            evidence["retried"] = retried
        self.answers += 1
        if len(self.first_answers) < _SHOWN_WHEN_UNFINISHED:
            self.first_answers.append(evidence)
        return Response(
            method,
            str(request.url),
            response.status_code,
            headers,
            body,
            elapsed,
            evidence,
            truncated,
        )

    async def _send(
        self, transport: httpx.AsyncHTTPTransport, request: httpx.Request, limit: int
    ) -> tuple[httpx.Response, bytes, bool]:
        """Send, and read the body to `limit` bytes within what the probe may still read.

        What is kept counts against the probe's `max_read`; past `limit` the rest of a body is
        not read at all (its connection is closed), so a 2 GB answer costs a chunk more.
        """
        room = self.settings.max_read - self.bytes_read
        if room <= 0:
            raise self._read_limit(request)
        response = await transport.handle_async_request(request)
        try:
            body = bytearray()
            truncated = False
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    truncated = True
                    del body[limit:]
                    break
                if len(body) > room:
                    raise self._read_limit(request)
            self.bytes_read += len(body)
            return response, bytes(body), truncated
        finally:
            await response.aclose()

    def _read_limit(self, request: httpx.Request) -> ReadLimitReached:
        mib = 1024 * 1024
        return ReadLimitReached(
            f"the probe's answers ran past {self.settings.max_read / mib:g} MiB, the most one "
            f"probe reads in a run (each answer is cut at {self.settings.max_body / mib:g} MiB); "
            f"it stopped at {request.method} {self.redact(str(request.url))}"
        )


def _redact_cookie(header: str) -> str:
    name, _, rest = header.partition("=")
    _, _, attributes = rest.partition(";")
    return f"{name}=[REDACTED]" + (f";{attributes}" if attributes else "")


def host_of(url: str) -> str:
    """The lower-case host of a URL ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def domain_host(profile: Profile) -> str:
    """The production domain's host, without a port."""
    return (
        profile.production_domain.rsplit(":", 1)[0]
        if ":" in profile.production_domain
        else (profile.production_domain)
    )


def domain_port(profile: Profile) -> int:
    """The production domain's port (443 unless the domain names one)."""
    if ":" in profile.production_domain:
        return int(profile.production_domain.rsplit(":", 1)[1])
    return 443
