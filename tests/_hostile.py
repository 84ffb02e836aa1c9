"""Hostile endpoints on 127.0.0.1 for the probes, and profiles pointing every probe at one.

Each kind of server breaks one thing a partner's deployment can break: it never answers,
trickles, sends 2 GB, loops, redirects away, resets, speaks garbage or plain http, sends a
100 KiB+ header, or shows a bad certificate. Two name servers on UDP (one answering NXDOMAIN,
one silent) keep every lookup on loopback; `.invalid` names never leave the process.

The servers run in a process of their own (`python -m tests._hostile FOLDER` prints where they
listen as one JSON line and serves until its stdin closes), so that what they cost is not
counted against the probes, as with a real deployment.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import ipaddress
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from onyx_wizard.checklist import FEATURES, scope_catalogue
from onyx_wizard.probes import ProbeSettings
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey

HOST = "127.0.0.1"
# Servers that listen: the kind, and what it does to every connection.
SERVED = {
    "silent": "accepts the connection and never says a word (no TLS handshake)",
    "trickle": "answers a byte a second after the TLS handshake",
    "huge-body": "answers 200 with a 2 GB HTML body, streamed",
    "redirect-loop": "answers every request with a 302 to itself",
    "foreign-redirect": "answers every request with a 302 to https://evil.example/",
    "reset": "reads the request, then resets the connection (RST)",
    "garbage": "answers the request with bytes that are not HTTP",
    "huge-header": "answers with a header line of 1 MiB",
    "expired-cert": "shows a certificate that expired yesterday",
    "not-yet-valid-cert": "shows a certificate valid from tomorrow",
    "wrong-host-cert": "shows a certificate for other.example, not localhost",
    "self-signed-cert": "shows a self-signed certificate no CA vouches for",
    "plain-http": "speaks plain http on the https port",
}
# Served too, for one test: answers its first two requests 200 and resets every later one.
LATER = {"reset-later": "answers the first two requests 200, then resets every connection"}
# Kinds without a server of their own: the profile's names are what is hostile.
NAMED = {
    "unresolvable": "every URL's host is under .invalid, which never resolves",
    "silent-dns": "the profile's name server never answers (names under the production domain)",
}
KINDS = (*SERVED, *NAMED)
CHUNK = 64 * 1024
HUGE = 2 * 1024**3
FOREIGN = "https://evil.example/landing"
PAGE = b"<!doctype html><html><head><title>ok</title></head><body>ok</body></html>"


# --- certificates ----------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _leaf(
    subject_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    names: tuple[str, ...],
    valid: tuple[datetime, datetime],
) -> x509.Certificate:
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    return (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def make_certificates(folder: Path) -> dict[str, tuple[Path, Path]]:
    """A CA (`folder/ca.pem`) and, per certificate kind, its (certificate, key) files."""
    now = datetime.now(UTC)
    day = timedelta(days=1)
    ca_key = _key()
    ca_name = _name("onyx-wizard hostile-suite CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - day)
        .not_valid_after(now + 30 * day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    local = ("localhost", "127.0.0.1", "::1")
    shapes = {
        "good": (local, (now - day, now + 60 * day), False),
        "expired-cert": (local, (now - 60 * day, now - day), False),
        "not-yet-valid-cert": (local, (now + day, now + 60 * day), False),
        "wrong-host-cert": (("other.example",), (now - day, now + 60 * day), False),
        "self-signed-cert": (local, (now - day, now + 60 * day), True),
    }
    files = {}
    for kind, (names, valid, self_signed) in shapes.items():
        key = _key()
        if self_signed:
            cert = _leaf(key, _name(names[0]), key, names, valid)
        else:
            cert = _leaf(key, ca_name, ca_key, names, valid)
        cert_path, key_path = folder / f"{kind}.pem", folder / f"{kind}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        files[kind] = (cert_path, key_path)
    return files


# --- the servers ------------------------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> str:
    """Read one request (head and body); its path, '' when the client went away."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return ""
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value)
    if length:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readexactly(length)
    parts = lines[0].split(" ")
    return parts[1] if len(parts) > 1 else "/"


def _answer(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode() + body


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


def handler(kind: str) -> Any:
    """The connection handler of one kind of server."""
    answered = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if kind == "reset-later":
                answered[0] += 1
                await _serve("reset" if answered[0] > 2 else "ok", reader, writer)
                return
            await _serve(kind, reader, writer)
        except (ConnectionError, OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

    return handle


async def _serve(kind: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if kind == "silent":
        await asyncio.Event().wait()  # until the server stops
    if kind == "plain-http":
        await reader.read(4096)  # a TLS ClientHello, read as a request
        writer.write(_answer("400 Bad Request", {"Content-Type": "text/plain"}, b"bad request"))
        await writer.drain()
        return
    path = await _read_request(reader)
    if not path:
        return
    # Done when the client sends more or hangs up: the writing loops below stop then.
    gone = asyncio.ensure_future(reader.read(1))
    gone.add_done_callback(lambda done: done.cancelled() or done.exception())
    if kind == "trickle":
        for byte in _answer("200 OK", {"Content-Type": "text/html"}, PAGE):
            if gone.done():
                return
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)
    elif kind == "huge-body":
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {HUGE}\r\n\r\n"
        writer.write(head.encode())
        start = b"<!doctype html><html><body>"
        writer.write(start)
        chunk = (b"<p>" + b"x" * 1017 + b"</p>\n") * (CHUNK // 1024)
        sent = len(start)
        # Until the client has read what it wants and hung up: that is the point.
        while sent < HUGE and not gone.done():
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
            await asyncio.sleep(0)  # lets the connection's loss be noticed
    elif kind == "redirect-loop":
        writer.write(_answer("302 Found", {"Location": path}))
    elif kind == "foreign-redirect":
        writer.write(_answer("302 Found", {"Location": FOREIGN}))
    elif kind == "reset":
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return  # abort() with linger 0 sends a RST
    elif kind == "garbage":
        writer.write(b"\x16\x00\xffSSH-2.0-not-http\r\n" + bytes(range(256)) * 16)
    elif kind == "huge-header":
        writer.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
        for _ in range(16):
            if gone.done():
                return
            writer.write(b"a" * CHUNK)
            await writer.drain()
        writer.write(b"\r\nContent-Length: 0\r\n\r\n")
    else:  # "ok", or a bad certificate: the handshake should never get this far
        writer.write(_answer("200 OK", {"Content-Type": "text/html"}, PAGE))
    gone.cancel()
    await writer.drain()
    await _close(writer)


class _DnsServer(asyncio.DatagramProtocol):
    """Answers every query NXDOMAIN, or (silent) never answers at all."""

    def __init__(self, silent: bool) -> None:
        self.silent = silent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.silent or self.transport is None:
            return
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        response.set_rcode(dns.rcode.NXDOMAIN)
        self.transport.sendto(response.to_wire(), addr)


@dataclass(frozen=True)
class Addresses:
    """Where the hostile servers listen, and the CA that vouches for their good certificate."""

    ca_path: Path
    ports: dict[str, int]
    dns_port: int
    silent_dns_port: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "ca_path": str(self.ca_path),
                "ports": self.ports,
                "dns_port": self.dns_port,
                "silent_dns_port": self.silent_dns_port,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Addresses:
        data = json.loads(text)
        return cls(Path(data["ca_path"]), data["ports"], data["dns_port"], data["silent_dns_port"])


async def serve(folder: Path, stop: asyncio.Event, ready: asyncio.Future[Addresses]) -> None:
    """Run every hostile server until `stop` is set; `ready` gets their addresses."""
    certs = make_certificates(folder)
    servers = []
    ports = {}
    for kind in (*SERVED, *LATER):
        context = None
        if kind not in ("silent", "plain-http"):
            cert, key = certs[kind] if kind in certs else certs["good"]
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
        server = await asyncio.start_server(handler(kind), HOST, 0, ssl=context, backlog=1024)
        servers.append(server)
        ports[kind] = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    dns_ports = []
    transports = []
    for silent in (False, True):
        transport, _ = await loop.create_datagram_endpoint(
            functools.partial(_DnsServer, silent), local_addr=(HOST, 0)
        )
        transports.append(transport)
        dns_ports.append(transport.get_extra_info("sockname")[1])
    ready.set_result(Addresses(folder / "ca.pem", ports, dns_ports[0], dns_ports[1]))
    await stop.wait()
    for server in servers:
        server.close()
    for transport in transports:
        transport.close()


@contextlib.contextmanager
def running(folder: Path) -> Iterator[Addresses]:
    """Start the servers in a process of their own; stop it on leaving."""
    folder.mkdir(mode=0o700, exist_ok=True)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests._hostile", str(folder)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # What asyncio says about the connections the probes drop is noise for a test run.
        stderr=(folder / "servers.log").open("w"),
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the hostile servers did not start")
        yield Addresses.from_json(line)
    finally:
        proc.stdin.close()  # the servers stop when their stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(folder: Path) -> None:
    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Addresses] = loop.create_future()

        def watch_stdin() -> None:
            sys.stdin.read()  # EOF: the parent is done (or gone)
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, daemon=True).start()
        serving = asyncio.ensure_future(serve(folder, stop, ready))
        addresses = await ready
        print(addresses.to_json(), flush=True)
        await serving
        # Handlers still parked on their connections have nothing to finish.
        os._exit(0)

    asyncio.run(run())


# --- profiles and settings ----------------------------------------------------------------------

# The probes that talk to the deployment (the others judge the profile or local files).
NETWORK = (
    "tls",
    "domain-verification",
    "authorize-request",
    "callback-errors",
    "open-redirect",
    "token-rejection",
    "session-cookies",
    "cors-preflight",
    "privacy-notice",
    "webhook-delivery",
)
# Kinds that keep the probes waiting get short timeouts; the others answer at once, so they get
# room (a loaded machine must not turn a loop into a timeout). The 2 GB body is read to limits.
WAITING = ProbeSettings(connect_timeout=1.0, read_timeout=2.0, deadline=3.0)
ANSWERING = ProbeSettings(connect_timeout=5.0, read_timeout=5.0, deadline=10.0)
_SETTINGS = {
    "silent": WAITING,
    "trickle": WAITING,
    "silent-dns": WAITING,
    "huge-body": ProbeSettings(connect_timeout=5.0, read_timeout=5.0, deadline=20.0),
}


def settings_for(kind: str) -> ProbeSettings:
    """The probe settings the suite uses against `kind`."""
    return _SETTINGS.get(kind, ANSWERING)


SECRETS = {
    SecretKey.CLIENT_SECRET: "client-secret-hostile-0123456789",
    SecretKey.WEBHOOK_SECRET: "whsec_"
    + base64.b64encode(b"hostile-suite-webhook-key-32byte").decode(),
    SecretKey.EXPIRED_ACCESS_TOKEN: "expired-token-hostile-0123456789",
    SecretKey.REVOKED_ACCESS_TOKEN: "revoked-token-hostile-0123456789",
    SecretKey.VALID_ACCESS_TOKEN: "valid-token-hostile-0123456789ab",
    SecretKey.REVOCATION_ACCESS_TOKEN: "revocation-token-hostile-01234567",
}


def profile_for(kind: str, where: Addresses, *, origins: int = 2) -> Profile:
    """A profile whose every URL leads to the hostile endpoint of `kind`."""
    nameserver = f"{HOST}:{where.dns_port}"
    port = where.ports.get(kind, where.ports["silent"])
    if kind == "unresolvable":
        host = domain = "app.hostile.invalid"
    elif kind == "silent-dns":
        host, domain = "app.hostile.test", "hostile.test"
        nameserver = f"{HOST}:{where.silent_dns_port}"
    else:
        host = domain = "localhost"
    base = f"https://{host}:{port}"
    return Profile.model_validate(
        {
            "app_name": f"Hostile ({kind})",
            "production_domain": f"{domain}:{port}",
            "allowed_origins": [f"https://app{n}.acme.example" for n in range(origins)],
            "redirect_uris": [f"{base}/onyx/callback"],
            "login_url": f"{base}/login/onyx",
            "protected_url": f"{base}/api/v1/me",
            "webhook_url": f"{base}/onyx/events",
            "webhook_events": ["message.delivered", "message.blocked", "access.revoked"],
            "privacy_notice_url": f"{base}/privacy",
            "features": ["sign-in", "messaging", "events"],
            "requested_scopes": list(scope_catalogue().needed(FEATURES[:3])),
            "onyx_authorize_url": "https://auth.onyx.example/oauth/authorize",
            "client_id": "acme-prod",
            "preview_client_id": "acme-preview",
            "domain_verification_token": "onyx-verify-hostile",
            "ca_bundle": str(where.ca_path),
            "dns_nameserver": nameserver,
            "revocation_test_user": "hostile-test-user",
        }
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
