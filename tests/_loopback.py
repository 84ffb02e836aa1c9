"""A small HTTPS server on 127.0.0.1 for probe tests: answers from a table, records requests.

Unlike conftest's `route_server` it sets any header, answers any method, can run a handler
per route, and starts with a certificate of any validity or a server that still speaks TLS 1.0.
"""

from __future__ import annotations

import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from onyx_wizard.demo.certs import make_certificates

HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


@dataclass
class Answer:
    """A canned answer: status, headers (name, value) and body."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class Request:
    """What the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Request], Answer]


@dataclass
class Loopback:
    """A running server: its base URL, CA file, routes and the requests it saw."""

    port: int
    ca_path: Path
    routes: dict[str, Answer | Handler]  # path (no query) -> answer, or a handler
    seen: list[Request]

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"


@contextmanager
def serve(
    folder: Path,
    *,
    validity: tuple[timedelta, timedelta] | None = None,
    legacy_tls: bool = False,
) -> Iterator[Loopback]:
    """Serve over TLS with a throwaway CA in `folder` (which must not exist yet)."""
    folder.mkdir(mode=0o700)
    certs = make_certificates(folder, validity=validity)
    state = Loopback(0, certs.ca_path, {}, [])
    lock = threading.Lock()

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.partition("?")[0]
            request = Request(
                self.command, path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            with lock:
                state.seen.append(request)
            route = state.routes.get(path, Answer(404, [HSTS]))
            answer = route if isinstance(route, Answer) else route(request)
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # refused handshakes are what some tests are about

    server = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if legacy_tls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certs.cert_path, certs.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
