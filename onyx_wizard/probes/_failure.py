"""One place that says what went wrong when a probe could not finish: outcome, code, sentence.

The sentence names what happened and where (a reset, a timeout of which kind, a certificate
that did not verify and why, an answer that is not HTTP), never an exception's bare name or an
empty message. The runner uses it for a probe that raised; probes that keep going after a failed
request (domain-verification, webhook-delivery, tls) use it for their findings.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from onyx_wizard.errors import DataFileError
from onyx_wizard.outcome import Outcome
from onyx_wizard.probes._context import ProbeContext, ProbeSettings, ReadLimitReached
from onyx_wizard.probes._model import Findings
from onyx_wizard.probes._resolve import NameNotResolved, NameServerTimeout
from onyx_wizard.probes._tasks import first_failure

# The longest piece of a server's bytes quoted in a message (garbage can be long).
_QUOTED = 120
# OpenSSL reasons that mean the other side does not speak TLS at all. Lower-case, compared
# case-blind, so they are not mistaken for reason codes of ours.
_NOT_TLS = (
    "wrong_version_number",
    "record_layer_failure",
    "http_request",
    "packet_length_too_long",
)


@dataclass(frozen=True)
class Failure:
    """What a failure means for a probe's result."""

    outcome: Outcome
    code: str
    message: str

    def record(self, findings: Findings) -> None:
        """Add the failure to `findings` as its verdict."""
        if self.outcome is Outcome.FAIL:
            findings.fail(self.code, self.message)
        else:
            findings.error(self.code, self.message)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it was raised from or during, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


def _quote(text: str) -> str:
    return text if len(text) <= _QUOTED else text[:_QUOTED] + "…"


def _what(exc: BaseException) -> str:
    """'GET https://…' for an httpx error that carries its request, else ''."""
    if isinstance(exc, httpx.RequestError):
        try:
            request = exc.request
        except RuntimeError:
            return ""
        return f"{request.method} {request.url}"
    return ""


def _where(exc: BaseException) -> str:
    """'host:port' of an httpx error that carries its request, else 'the server'."""
    if isinstance(exc, httpx.RequestError):
        try:
            url = exc.request.url
        except RuntimeError:
            return "the server"
        return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    return "the server"


def _detail(exc: BaseException) -> str:
    """The most telling text in the chain: the first non-empty message, else a type name."""
    for item in _chain(exc):
        text = str(item).strip()
        if text:
            return _quote(text)
    return type(exc).__name__


def _tls_failure(exc: BaseException, where: str, tls_probe: bool) -> Failure | None:
    outcome = Outcome.FAIL if tls_probe else Outcome.ERROR
    verify = _find(exc, ssl.SSLCertVerificationError)
    if isinstance(verify, ssl.SSLCertVerificationError):
        why = verify.verify_message or verify.reason or "did not verify"
        return Failure(
            outcome, "TLS_VERIFY_FAILED", f"the TLS certificate of {where} did not verify: {why}"
        )
    broken = next(
        (
            e
            for e in _chain(exc)
            # A handshake that waited for bytes leaves "want read" behind: not a TLS failure.
            if isinstance(e, ssl.SSLError)
            and not isinstance(e, ssl.SSLWantReadError | ssl.SSLWantWriteError)
        ),
        None,
    )
    if isinstance(broken, ssl.SSLError):
        reason = broken.reason or _detail(broken)
        hint = ""
        if any(word in str(reason).lower() for word in _NOT_TLS):
            hint = " (it does not speak TLS there: plain http on the https port?)"
        return Failure(
            outcome,
            "TLS_HANDSHAKE_FAILED",
            f"the TLS handshake with {where} failed: {reason}{hint}",
        )
    return None


def _transport_failure(exc: httpx.TransportError, settings: ProbeSettings) -> Failure:
    what = _what(exc)
    where = _where(exc)
    on = f" ({what})" if what else ""
    if isinstance(exc, httpx.ConnectTimeout):
        dns = _find(exc, NameServerTimeout)
        if dns is not None:
            return Failure(Outcome.ERROR, "TIMEOUT", f"{dns}{on}")
        return Failure(
            Outcome.ERROR,
            "TIMEOUT",
            f"{where} accepted no connection or completed no TLS handshake within "
            f"{settings.connect_timeout:g} s (connect timeout){on}",
        )
    if isinstance(exc, httpx.ReadTimeout):
        return Failure(
            Outcome.ERROR,
            "TIMEOUT",
            f"{where} sent nothing for {settings.read_timeout:g} s (read timeout){on}",
        )
    if isinstance(exc, httpx.WriteTimeout):
        return Failure(
            Outcome.ERROR,
            "TIMEOUT",
            f"{where} took no request bytes for {settings.read_timeout:g} s (write timeout){on}",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return Failure(Outcome.ERROR, "TIMEOUT", f"no connection to {where} came free in time{on}")
    unresolved = _find(exc, NameNotResolved)
    if unresolved is not None:
        return Failure(Outcome.ERROR, "CONNECTION_FAILED", f"{unresolved}{on}")
    if isinstance(exc, httpx.ConnectError | httpx.ReadError | httpx.WriteError):
        if _find(exc, ConnectionResetError) is not None or "reset" in _detail(exc).lower():
            during = {
                httpx.ConnectError: "while connecting",
                httpx.ReadError: "while the answer was read",
                httpx.WriteError: "while the request was sent",
            }[type(exc)]
            return Failure(
                Outcome.ERROR,
                "CONNECTION_FAILED",
                f"{where} reset the connection {during}{on}",
            )
        if _find(exc, ConnectionRefusedError) is not None or "refused" in _detail(exc).lower():
            return Failure(
                Outcome.ERROR, "CONNECTION_FAILED", f"{where} refused the connection{on}"
            )
        if isinstance(exc, httpx.ConnectError):
            return Failure(
                Outcome.ERROR,
                "CONNECTION_FAILED",
                f"could not connect to {where}: {_detail(exc)}{on}",
            )
        return Failure(
            Outcome.ERROR,
            "CONNECTION_FAILED",
            f"the connection to {where} broke off: {_detail(exc)}{on}",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        detail = _detail(exc)
        if "Receive buffer too long" in detail:
            said = "an answer whose header section is larger than 100 KiB"
        elif "without sending a response" in detail or "peer closed" in detail.lower():
            said = "closed the connection without a complete answer"
        else:
            said = f"an answer that is not valid HTTP ({detail})"
        if not said.startswith("closed"):
            said = f"sent {said}"
        return Failure(Outcome.ERROR, "HTTP_ERROR", f"{where} {said}{on}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Failure(Outcome.ERROR, "HTTP_ERROR", f"cannot request {_detail(exc)}{on}")
    return Failure(
        Outcome.ERROR,
        "HTTP_ERROR",
        f"the exchange with {where} broke off: {type(exc).__name__}: {_detail(exc)}{on}",
    )


def failure_of(exc: BaseException, settings: ProbeSettings, *, tls_probe: bool = False) -> Failure:
    """What `exc`, raised while a probe ran, means for its result.

    TLS failures are `fail` for the tls probe (they are what it judges) and `error` for every
    other probe (it could not examine what it is about); every other failure is `error`.
    """
    exc = first_failure(exc)
    if isinstance(exc, httpx.TimeoutException):
        return _transport_failure(exc, settings)
    if isinstance(exc, httpx.TransportError | ssl.SSLError):
        where = _where(exc)
        on = f" ({_what(exc)})" if _what(exc) else ""
        tls = _tls_failure(exc, where, tls_probe)
        if tls is not None:
            return Failure(tls.outcome, tls.code, tls.message + on)
        if isinstance(exc, httpx.TransportError):
            return _transport_failure(exc, settings)
    if isinstance(exc, httpx.HTTPError):
        return Failure(Outcome.ERROR, "HTTP_ERROR", f"{type(exc).__name__}: {_detail(exc)}")
    if isinstance(exc, ReadLimitReached):
        return Failure(Outcome.ERROR, "READ_LIMIT_REACHED", str(exc))
    if isinstance(exc, NameServerTimeout):
        return Failure(Outcome.ERROR, "TIMEOUT", str(exc))
    if isinstance(exc, TimeoutError):
        return Failure(Outcome.ERROR, "TIMEOUT", f"no answer in time ({_detail(exc)})")
    if isinstance(exc, NameNotResolved):
        return Failure(Outcome.ERROR, "CONNECTION_FAILED", str(exc))
    if isinstance(exc, ConnectionResetError):
        return Failure(Outcome.ERROR, "CONNECTION_FAILED", "the server reset the connection")
    if isinstance(exc, OSError):
        return Failure(Outcome.ERROR, "CONNECTION_FAILED", f"{type(exc).__name__}: {_detail(exc)}")
    if isinstance(exc, DataFileError):
        return Failure(Outcome.ERROR, "CONFIGURATION_INVALID", str(exc))
    return Failure(
        Outcome.ERROR,
        "PROBE_CRASHED",
        f"the probe failed unexpectedly: {type(exc).__name__}: {_detail(exc)}",
    )


def failure_in(ctx: ProbeContext, exc: BaseException) -> Failure:
    """`failure_of` for a probe that goes on after a failed request, its message redacted."""
    failure = failure_of(exc, ctx.settings)
    return Failure(failure.outcome, failure.code, ctx.redact(failure.message))
