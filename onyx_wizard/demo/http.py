"""The demo's HTTPS plumbing: the server, and `Exchange`, one request routed and answered."""

from __future__ import annotations

import contextlib
import html
import json
import select
import socket
import socketserver
import ssl
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qs

from onyx_wizard.demo.state import DemoState, RequestRecord

HOST = "127.0.0.1"
HSTS = "max-age=31536000; includeSubDomains"
# session-forged-crash: how long the dying worker's connection lingers, so that a client reusing
# it has sent its next request before it drops (what makes a real crash bite, made certain).
CRASH_LINGER = 1.0

Route = Callable[["Exchange"], None]
Routes = Mapping[str, Mapping[str, Route]]  # path → method → what answers it


class DemoUrls(NamedTuple):
    """Where the demo answers, once its port is known."""

    base: str
    redirect_uri: str
    authorize_url: str

    @classmethod
    def on_port(cls, port: int) -> DemoUrls:
        base = f"https://localhost:{port}"
        # The Onyx stand-in lives on the same server but under another host name, so that
        # "Location points at Onyx" and "Location stays on the partner's host" differ.
        return cls(base, f"{base}/onyx/callback", f"https://{HOST}:{port}/oauth/authorize")


def page(title: str, body: str) -> bytes:
    """A small HTML page."""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


class DemoHttpServer(ThreadingHTTPServer):
    """The HTTPS server; TLS handshakes happen in the request threads, not in accept()."""

    daemon_threads = True
    # Never join request threads on close: stop() must be quick even with a request pending.
    block_on_close = False
    # socketserver's default backlog of 5 drops connections when probes run concurrently.
    request_queue_size = 128

    def __init__(self, state: DemoState, context: ssl.SSLContext, routes: Routes) -> None:
        self.state = state
        self.context = context
        self.routes = routes
        super().__init__((HOST, 0), Exchange)
        self.urls = DemoUrls.on_port(int(self.server_address[1]))

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the FQDN of the address, which can stall on hosts
        # with slow reverse DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = self.server_address[1]

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        # A client that connects and never handshakes must not block the accept loop.
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Failed handshakes (a probe that rejects the certificate) and dropped connections are
        # normal here; a traceback on stderr would only be noise.
        self.state.note_error()


class Exchange(BaseHTTPRequestHandler):
    """One request, routed to what answers it; every answer carries HSTS unless faulted."""

    server_version = "acme-demo/1.0"
    sys_version = ""
    # Keep-alive, as real deployments do: a client then pays one TLS handshake per
    # connection, not per request. Every answer carries Content-Length (see reply).
    protocol_version = "HTTP/1.1"
    timeout = 10  # seconds per socket operation, so an idle client frees its thread

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        # Headers and body go out in separate writes; without NODELAY, Nagle and the
        # client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.do_handshake()
        super().setup()

    @property
    def state(self) -> DemoState:
        return cast(DemoHttpServer, self.server).state

    @property
    def urls(self) -> DemoUrls:
        return cast(DemoHttpServer, self.server).urls

    # -- what route handlers use ------------------------------------------------------------

    def reply(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._replied = True
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 204 and self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status: int, data: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.reply(status, json.dumps(data).encode(), "application/json", headers)

    def query(self) -> dict[str, str]:
        """The query parameters, the first value of each."""
        query = parse_qs(self.path.partition("?")[2], keep_blank_values=True)
        return {name: values[0] for name, values in query.items()}

    def cookies(self) -> dict[str, str]:
        """The request's cookies; the first of two with one name wins."""
        out: dict[str, str] = {}
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name:
                    out.setdefault(name, value.strip().strip('"'))
        return out

    def crash_after_error(self) -> None:
        """Make the error being raised take the worker down: after its 500 the connection drops."""
        self._crashed = True

    # -- plumbing ---------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces stderr noise

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if str(code).isdigit() else 0
        path = str(getattr(self, "path", "") or "").partition("?")[0]
        self.state.log_request(RequestRecord(getattr(self, "command", None) or "-", path, status))

    def end_headers(self) -> None:
        if not self.state.has_fault("no-hsts"):
            self.send_header("Strict-Transport-Security", HSTS)
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def _dispatch(self) -> None:
        self._replied = False
        self._crashed = False
        state = self.state
        if state.latency:
            state.stopping.wait(state.latency)
        try:
            self._route()
        except Exception:
            # Any bug (or a fault that raises on purpose) becomes a bare 500, like a production
            # framework with debug off; the thread and the server carry on.
            if not self._replied:
                self.reply(500, b"Internal Server Error", "text/plain; charset=utf-8")
            if self._crashed:
                self._drop_connection()

    def _drop_connection(self) -> None:
        """The worker died after its 500: the kept-alive connection goes away unannounced.

        No `Connection: close` was sent, so the client may reuse the connection; a request it
        sends meanwhile gets no answer (the socket closes without a TLS close_notify, and with
        the unread request pending the peer sees a reset).
        """
        self.close_connection = True
        with contextlib.suppress(OSError, ValueError):
            select.select([self.request], [], [], CRASH_LINGER)
        with contextlib.suppress(OSError):
            self.request.close()

    do_GET = do_POST = do_OPTIONS = do_PUT = do_PATCH = do_DELETE = _dispatch

    def do_HEAD(self) -> None:
        self.reply(404)

    def _route(self) -> None:
        path = self.path.partition("?")[0].partition("#")[0]
        methods = cast(DemoHttpServer, self.server).routes.get(path)
        if methods is None:
            self.reply(404, page("Not found", "<p>Not found.</p>"))
            return
        handler = methods.get(self.command)
        if handler is None:
            self.reply(405, b"", headers=[("Allow", ", ".join(methods))])
            return
        handler(self)
