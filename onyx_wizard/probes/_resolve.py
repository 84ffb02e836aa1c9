"""How the probes find a partner's hosts, without blocking or waiting longer than they may.

IP literals are used as they are; `localhost` names are loopback and `.invalid` names never
resolve (RFC 6761 §6.3, §6.4), without asking DNS. Names at or under the production domain go to
the profile's `dns_nameserver` when it names one; the rest to the system resolver. Every lookup
is bounded by the connect timeout. The system resolver runs in a thread that cancellation cannot
stop, so each name is looked up once per run and the answer (or failure) shared.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable

import dns.asyncresolver
import dns.exception
import dns.resolver
import httpcore

_LOOPBACK = ("127.0.0.1", "::1")


class NameNotResolved(OSError):
    """A host name has no address: the message says which, where it was asked and why."""


class NameServerTimeout(TimeoutError):
    """The name server asked did not answer in time: the message says which and for what."""


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


def dns_resolver(nameserver: str, lifetime: float) -> dns.asyncresolver.Resolver:
    """A dnspython resolver asking `nameserver` ("ip[:port]"), or the system's name servers."""
    if nameserver:
        resolver = dns.asyncresolver.Resolver(configure=False)
        ip, port = parse_nameserver(nameserver)
        resolver.nameservers = [ip]
        resolver.port = port
    else:
        resolver = dns.asyncresolver.Resolver(configure=True)
    resolver.lifetime = lifetime
    resolver.timeout = lifetime
    return resolver


def special_name(host: str) -> str:
    """'localhost' or 'invalid' for an RFC 6761 name that never goes to DNS, else ''."""
    name = host.lower().rstrip(".")
    for label in ("localhost", "invalid"):
        if name == label or name.endswith("." + label):
            return label
    return ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class NameResolver:
    """Looks host names up for one probe run; answers and failures are kept for the run."""

    def __init__(self, nameserver: str = "", domain: str = "", timeout: float = 5.0) -> None:
        self.nameserver = nameserver
        self.domain = domain.lower().rstrip(".")
        self.timeout = timeout
        self._known: dict[str, list[str] | OSError] = {}
        self._pending: dict[str, asyncio.Task[list[str]]] = {}

    def asks_nameserver(self, host: str) -> bool:
        """Whether `host` goes to the profile's name server (at or under the production domain)."""
        name = host.lower().rstrip(".")
        return bool(self.nameserver and self.domain) and (
            name == self.domain or name.endswith("." + self.domain)
        )

    async def resolve(self, host: str) -> list[str]:
        """The addresses of `host`, IPv4 first; NameNotResolved or NameServerTimeout if none."""
        if _is_ip(host):
            return [host.strip("[]")]
        kind = special_name(host)
        if kind == "localhost":
            return list(_LOOPBACK)
        if kind == "invalid":
            raise NameNotResolved(f"{host} does not resolve: .invalid names never do (RFC 6761)")
        key = host.lower().rstrip(".")
        known = self._known.get(key)
        if isinstance(known, OSError):
            raise known
        if known is not None:
            return known
        task = self._pending.get(key)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(self._lookup(key))
            # Every waiter may be gone (cancelled) when it fails: its exception is still taken.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._pending[key] = task
        # Shielded: one probe's cancelled wait must not cancel the lookup others share.
        return await asyncio.shield(task)

    async def _lookup(self, host: str) -> list[str]:
        try:
            if self.asks_nameserver(host):
                found = await self._ask_nameserver(host)
            else:
                found = await self._ask_system(host)
        except OSError as exc:
            self._known[host] = exc
            raise
        finally:
            self._pending.pop(host, None)
        self._known[host] = found
        return found

    async def _ask_system(self, host: str) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            # The thread goes on after a timeout; it ends when the system resolver gives up.
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), self.timeout
            )
        except TimeoutError:
            raise NameServerTimeout(
                f"the system resolver found no address for {host} within {self.timeout:g} s"
            ) from None
        except socket.gaierror as exc:
            raise NameNotResolved(f"{host} does not resolve ({exc.strerror})") from None
        return _ipv4_first(str(info[4][0]) for info in infos)

    async def _ask_nameserver(self, host: str) -> list[str]:
        resolver = dns_resolver(self.nameserver, self.timeout)
        where = f"the name server {self.nameserver}"
        answers = await asyncio.gather(
            resolver.resolve(host, "A", search=False),
            resolver.resolve(host, "AAAA", search=False),
            return_exceptions=True,
        )
        found: list[str] = []
        problems: list[BaseException] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                problems.append(answer)
            else:
                found += [rdata.to_text() for rdata in answer]
        if found:
            return _ipv4_first(found)
        if any(isinstance(p, dns.exception.Timeout) for p in problems):
            raise NameServerTimeout(f"{where} did not answer for {host} within {self.timeout:g} s")
        if any(isinstance(p, dns.resolver.NXDOMAIN) for p in problems):
            raise NameNotResolved(f"{host} does not exist (NXDOMAIN from {where})")
        if all(isinstance(p, dns.resolver.NoAnswer) for p in problems):
            raise NameNotResolved(f"{host} has no A or AAAA record at {where}")
        for problem in problems:
            if not isinstance(problem, Exception):
                raise problem  # cancellation
        detail = next((str(p) for p in problems if not isinstance(p, dns.resolver.NoAnswer)), "")
        raise NameNotResolved(f"{where} gave no address for {host} ({detail})")


def _ipv4_first(addresses: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(addresses))
    return sorted(unique, key=lambda address: ":" in address)


class ProbeNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the probes' name resolution in front of it."""

    def __init__(self, resolver: NameResolver) -> None:
        self.resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver.resolve(host)
        except NameServerTimeout as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc  # refused on this address: the next one may listen
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def open_tls(
    resolver: NameResolver, host: str, port: int, context: ssl.SSLContext, timeout: float
) -> asyncio.StreamWriter:
    """A TLS connection to `host` (each of its addresses in turn), its handshake done within
    `timeout`; the writer (its `ssl_object` shows the handshake)."""
    addresses = await resolver.resolve(host)
    failure: OSError | None = None
    for address in addresses:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port, ssl=context, server_hostname=host),
                timeout,
            )
        except ConnectionRefusedError as exc:
            failure = exc
            continue
        return writer
    assert failure is not None
    raise failure
