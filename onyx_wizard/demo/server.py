"""The sample partner app: a real HTTPS server on 127.0.0.1 with named faults.

`DemoDeployment` runs "Acme Messenger (demo)": a login that starts an Onyx sign-in, the OAuth
callback, a protected API with CORS, a Standard Webhooks receiver with an idempotency store, a
privacy notice, the domain verification file, and a UDP DNS server answering the verification
TXT record. By default every behaviour is correct; each named fault (see `faults.toml`) breaks
exactly one, so the matching probe fails and every other probe still passes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import html
import json
import random
import secrets as rnd
import select
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from onyx_wizard.checklist import scope_catalogue
from onyx_wizard.demo.certs import DemoCertificates, make_certificates
from onyx_wizard.demo.faults import check_fault_names
from onyx_wizard.profile import Environment, PartnerConnectivity, Profile
from onyx_wizard.secrets import SecretKey

HOST = "127.0.0.1"
HSTS = "max-age=31536000; includeSubDomains"
STATE_COOKIE = "__Host-acme_state"
INSECURE_STATE_COOKIE = "acme_state"
SESSION_COOKIE = "__Host-acme_session"
TOKEN_COOKIE = "acme_token"
NEXT_PARAMS = ("next", "url", "redirect", "return_to", "continue")
WEBHOOK_TOLERANCE = 300  # seconds either way, as the standardwebhooks library enforces
SLOW_WEBHOOK_DELAY = 12.0
MAX_BODY = 1024 * 1024
TOKEN_LIFETIME = 7 * 24 * 3600  # the demo may run for a long walkthrough
REQUEST_LOG_SIZE = 1000
# session-forged-crash: how long the dying worker's connection lingers, so that a client reusing
# it has sent its next request before it drops (what makes a real crash bite, made certain).
CRASH_LINGER = 1.0
STORE_SIZE = 10_000  # bound on pending logins, sessions and seen webhook ids

_LOCALHOST = dns.name.from_text("localhost.")
_LOGIN_SCOPES = ("openid", "profile")
_DEMO_SUBJECT = "usr_demo_1"

# A traceback as a debug-mode framework would print it (callback-stack-trace).
_FAKE_TRACEBACK = """Traceback (most recent call last):
  File "/srv/acme/app.py", line 88, in callback
    check_state(request.args["state"], request.cookies["__Host-acme_state"])
  File "/srv/acme/oauth.py", line 41, in check_state
    raise StateMismatch(expected, received)
acme.oauth.StateMismatch: the state parameter does not match the state cookie
"""

_PRIVACY = """<h1>Acme Messenger privacy notice</h1>
<p>Acme Messenger lets you sign in with {provider} and send messages through {provider}.
This notice explains how we handle the partner data we receive from {provider}.</p>
<h2>What data we receive</h2>
<p>Your {provider} account identifier, your display name, and the delivery status of the
messages you send. We use this personal data only to run the service you asked for.</p>
<h2>Retention</h2>
<p>We keep message delivery records for 30 days and account data while your account is
active.</p>
<h2>Deletion</h2>
<p>When you disconnect {provider} or close your account we delete your data within 30 days.
You can ask us to delete it at any time: privacy@acme.example.</p>
<h2>Sharing</h2>
<p>We do not sell your data and we do not share it with third parties, except the processors
that host the service under contract.</p>
"""


class RequestRecord(NamedTuple):
    """One answered request: method, path (query left out: it may hold codes), status."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class _PendingLogin:
    verifier: str
    next_path: str | None


class _Rejected(Exception):
    """A webhook delivery that verification refused (answered 400)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _is_local_path(value: str) -> bool:
    """True for a same-site path such as "/inbox"; false for URLs, "//host" and "/\\host"."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def _cookie_header(name: str, value: str, attributes: Iterable[str]) -> str:
    return "; ".join([f"{name}={value}", *attributes])


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


class _Http(ThreadingHTTPServer):
    """The HTTPS server; TLS handshakes happen in the request threads, not in accept()."""

    daemon_threads = True
    # Never join request threads on close: stop() must be quick even with a request pending.
    block_on_close = False
    # socketserver's default backlog of 5 drops connections when probes run concurrently.
    request_queue_size = 128

    def __init__(self, deployment: DemoDeployment, context: ssl.SSLContext) -> None:
        self.deployment = deployment
        self.context = context
        super().__init__((HOST, 0), _Handler)

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
        self.deployment._note_error()


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to the deployment; every answer carries HSTS unless faulted."""

    server_version = "acme-demo/1.0"
    sys_version = ""
    # Keep-alive, as real deployments do: a client then pays one TLS handshake per
    # connection, not per request. Every answer carries Content-Length (see _reply).
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
    def app(self) -> DemoDeployment:
        return cast(_Http, self.server).deployment

    # -- plumbing ---------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log below replaces stderr noise

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if str(code).isdigit() else 0
        path = str(getattr(self, "path", "") or "").partition("?")[0]
        self.app._log_request(RequestRecord(getattr(self, "command", None) or "-", path, status))

    def end_headers(self) -> None:
        if "no-hsts" not in self.app.faults:
            self.send_header("Strict-Transport-Security", HSTS)
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def _reply(
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

    def _json(self, status: int, data: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._reply(status, json.dumps(data).encode(), "application/json", headers)

    def _dispatch(self) -> None:
        self._replied = False
        self._crashed = False
        if self.app.latency:
            self.app._stopping.wait(self.app.latency)
        try:
            self._route()
        except Exception:
            # Any bug (or a fault that raises on purpose) becomes a bare 500, like a production
            # framework with debug off; the thread and the server carry on.
            if not self._replied:
                self._reply(500, b"Internal Server Error", "text/plain; charset=utf-8")
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
        self._reply(404)

    def _query(self) -> dict[str, str]:
        query = parse_qs(self.path.partition("?")[2], keep_blank_values=True)
        return {name: values[0] for name, values in query.items()}

    def _cookies(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name:
                    out.setdefault(name, value.strip().strip('"'))
        return out

    def _route(self) -> None:
        path = self.path.partition("?")[0].partition("#")[0]
        routes = {
            "/": {"GET": self._home},
            "/.well-known/onyx-domain-verification.txt": {"GET": self._well_known},
            "/login/onyx": {"GET": self._login},
            "/onyx/callback": {"GET": self._callback},
            "/api/v1/me": {"GET": self._me, "OPTIONS": self._preflight},
            "/onyx/events": {"POST": self._events},
            "/privacy": {"GET": self._privacy},
            "/oauth/authorize": {"GET": self._authorize},
        }
        methods = routes.get(path)
        if methods is None:
            self._reply(404, _page("Not found", "<p>Not found.</p>"))
            return
        handler = methods.get(self.command)
        if handler is None:
            self._reply(405, b"", headers=[("Allow", ", ".join(methods))])
            return
        handler()

    # -- pages ------------------------------------------------------------------------------

    def _home(self) -> None:
        body = (
            "<h1>Acme Messenger (demo)</h1>\n"
            "<p><a href='/login/onyx'>Sign in with Onyx</a> · <a href='/privacy'>Privacy</a></p>"
        )
        self._reply(200, _page("Acme Messenger (demo)", body))

    def _authorize(self) -> None:
        body = "<h1>Onyx sign-in (demo stand-in)</h1><p>The real Onyx is not contacted.</p>"
        self._reply(200, _page("Onyx sign-in (demo stand-in)", body))

    def _privacy(self) -> None:
        faults = self.app.faults
        if "privacy-missing" in faults:
            self._reply(404, _page("Not found", "<p>Not found.</p>"))
            return
        provider = "our messaging partner" if "privacy-no-onyx" in faults else "Onyx"
        self._reply(200, _page("Acme Messenger privacy notice", _PRIVACY.format(provider=provider)))

    def _well_known(self) -> None:
        if "domain-token-missing" in self.app.faults:
            self._reply(404, b"Not found", "text/plain; charset=utf-8")
            return
        self._reply(200, self.app.verification_token.encode(), "text/plain; charset=utf-8")

    # -- sign-in ----------------------------------------------------------------------------

    def _next_target(self, query: dict[str, str]) -> str | None:
        for name in NEXT_PARAMS:
            if name in query:
                return query[name]
        return None

    def _state_cookie(self, value: str, *, clear: bool = False) -> str:
        faults = self.app.faults
        name = INSECURE_STATE_COOKIE if "cookie-no-secure" in faults else STATE_COOKIE
        attributes = ["Path=/"]
        if "cookie-no-secure" not in faults:
            attributes.append("Secure")
        if "cookie-no-httponly" not in faults:
            attributes.append("HttpOnly")
        if "cookie-no-samesite" not in faults:
            attributes.append("SameSite=Lax")  # Lax: the callback is a cross-site top-level GET
        attributes.append("Max-Age=0" if clear else "Max-Age=600")
        return _cookie_header(name, value, attributes)

    def _session_cookie(self, session: str) -> str:
        return _cookie_header(
            SESSION_COOKIE, session, ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
        )

    def _local_next(self, query: dict[str, str]) -> tuple[str | None, bool]:
        """The local `next`-style target (or None), and whether the open-redirect fault answered."""
        target = self._next_target(query)
        if target is None or _is_local_path(target):
            return target, False
        if "open-redirect" in self.app.faults:
            self._reply(302, headers=[("Location", target)])
            return None, True
        return None, False  # a foreign target is ignored, never echoed

    def _login(self) -> None:
        app = self.app
        query = self._query()
        target, answered = self._local_next(query)
        if answered:
            return
        state = app._new_state()
        verifier = _b64url(rnd.token_bytes(32))
        app._remember_login(state, _PendingLogin(verifier, target))
        client_id = (
            app.preview_client_id if "authorize-preview-client" in app.faults else app.client_id
        )
        redirect_uri = app.redirect_uri + ("/" if "redirect-uri-mismatch" in app.faults else "")
        scopes = list(_LOGIN_SCOPES)
        if "authorize-extra-scope" in app.faults:
            scopes.append("contacts:read")
        if "authorize-messaging-scope" in app.faults:
            scopes.append("messages:send")
        params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", " ".join(scopes)),
            ("state", state),
        ]
        if "authorize-no-pkce" not in app.faults:
            challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
            params += [("code_challenge", challenge), ("code_challenge_method", "S256")]
        location = f"{app.authorize_url}?{urlencode(params, quote_via=quote)}"
        headers = [("Location", location), ("Set-Cookie", self._state_cookie(state))]
        if "cookie-holds-token" in app.faults:
            token_cookie = _cookie_header(
                TOKEN_COOKIE, app._valid_token, ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
            )
            headers.append(("Set-Cookie", token_cookie))
        self._reply(302, headers=headers)

    def _callback(self) -> None:
        app = self.app
        query = self._query()
        target, answered = self._local_next(query)
        if answered:
            return
        cookie_name = INSECURE_STATE_COOKIE if "cookie-no-secure" in app.faults else STATE_COOKIE
        expected = self._cookies().get(cookie_name, "")
        state = query.get("state", "")
        state_ok = bool(state) and bool(expected) and hmac.compare_digest(state, expected)
        clear = ("Set-Cookie", self._state_cookie("", clear=True))
        error = query.get("error")

        if error is not None:
            if error == "access_denied" and "callback-500-on-denied" in app.faults:
                # The faulty app assumes a code is always there.
                raise KeyError("code")
            headers = []
            if "callback-session-on-error" in app.faults:
                # The faulty app signs the user in before looking at the error. Only a client
                # that keeps this cookie is signed in; the probes' shared client keeps none.
                headers.append(("Set-Cookie", self._session_cookie(app._new_session())))
            if not state_ok:
                self._callback_failed(headers)
                return
            app._take_login(state)
            if error == "access_denied":
                body = "<h1>You declined</h1><p>You declined to sign in with Onyx.</p>"
                title = "You declined"
            else:
                body = "<h1>Sign-in could not be completed</h1><p>Please try again later.</p>"
                title = "Sign-in could not be completed"
            self._reply(200, _page(title, body), headers=[clear, *headers])
            return

        if not state_ok or not query.get("code"):
            self._callback_failed([])
            return
        pending = app._take_login(state)
        destination = target or (pending.next_path if pending else None) or "/"
        session = app._new_session()
        headers = [("Location", destination), clear, ("Set-Cookie", self._session_cookie(session))]
        self._reply(302, headers=headers)

    def _callback_failed(self, headers: list[tuple[str, str]]) -> None:
        if "callback-stack-trace" in self.app.faults:
            trace = f"<pre>{html.escape(_FAKE_TRACEBACK, quote=False)}</pre>"
            self._reply(400, _page("Error", trace), headers=headers)
            return
        body = "<h1>Sign-in could not be completed</h1><p>Please start again from the app.</p>"
        self._reply(400, _page("Sign-in could not be completed", body), headers=headers)

    # -- protected API and CORS -------------------------------------------------------------

    def _cors_headers(self, *, preflight: bool) -> list[tuple[str, str]]:
        app = self.app
        headers: list[tuple[str, str]] = []
        if not (preflight and "cors-no-vary" in app.faults):
            headers.append(("Vary", "Origin"))
        origin = self.headers.get("Origin")
        allowed = app._cors_allow(origin) if origin is not None else None
        if allowed is None:
            return headers
        headers += [
            ("Access-Control-Allow-Origin", allowed),
            ("Access-Control-Allow-Credentials", "true"),
        ]
        if preflight:
            headers += [
                ("Access-Control-Allow-Methods", "GET, POST"),
                ("Access-Control-Allow-Headers", "authorization, content-type"),
                ("Access-Control-Max-Age", "600"),
            ]
        return headers

    def _preflight(self) -> None:
        self._reply(204, headers=self._cors_headers(preflight=True))

    def _unauthorized(self, challenge: str, headers: list[tuple[str, str]]) -> None:
        if "token-no-www-authenticate" not in self.app.faults:
            headers = [*headers, ("WWW-Authenticate", challenge)]
        error = "invalid_token" if "error=" in challenge else "unauthorized"
        self._json(401, {"error": error}, headers)

    def _me(self) -> None:
        app = self.app
        cors = self._cors_headers(preflight=False)
        authorization = self.headers.get("Authorization")
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() == "bearer":
                claims = app._check_token(token.strip())
                if claims is None:
                    self._unauthorized('Bearer error="invalid_token"', cors)
                    return
                self._json(200, {"sub": claims["sub"], "name": "Demo User", "via": "token"}, cors)
                return
        cookies = self._cookies()
        subject = app._session_subject(cookies.get(SESSION_COOKIE, ""))
        if subject is not None:
            self._json(200, {"sub": subject, "name": "Demo User", "via": "session"}, cors)
            return
        # Cookies the app set itself for other purposes are not session attempts; a shared
        # client may replay them, and that must not trip session-forged-500.
        unknown = set(cookies) - {STATE_COOKIE, INSECURE_STATE_COOKIE, TOKEN_COOKIE}
        if unknown and "session-forged-500" in app.faults:
            # The faulty app looks the session up without checking it exists.
            raise KeyError("session")
        if unknown and "session-forged-crash" in app.faults:
            # The same bug, in a native extension that takes the worker down with it.
            self._crashed = True
            raise KeyError("session")
        self._unauthorized('Bearer realm="acme"', cors)

    # -- webhooks ---------------------------------------------------------------------------

    def _events(self) -> None:
        app = self.app
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            self._json(400, {"error": "bad Content-Length"})
            return
        if length < 0 or length > MAX_BODY:
            self._json(413, {"error": "payload too large"})
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            app._verify_webhook(body, headers)
        except _Rejected as exc:
            self._json(400, {"error": str(exc)})
            return
        if "webhook-slow" in app.faults and app._stopping.wait(SLOW_WEBHOOK_DELAY):
            self._json(503, {"error": "shutting down"})
            return
        if not app._first_delivery(headers["webhook-id"], body):
            if "webhook-not-idempotent" in app.faults:
                self._json(409, {"error": "duplicate webhook-id"})
            else:
                self._json(200, {"status": "already processed"})
            return
        self._reply(204)


# The demo uses every feature, so every checklist item applies to it.
FEATURES = ("sign-in", "messaging", "events", "partner-connectivity")


class DemoDeployment:
    """The sample partner app on loopback; a context manager that starts and stops it.

    `DemoDeployment(["cors-reflect-origin"])` breaks one behaviour; unknown fault names raise
    ValueError listing the valid ones. Secrets exist only in this object's memory.
    """

    def __init__(self, faults: Iterable[str] = (), latency_ms: float = 0) -> None:
        names = list(dict.fromkeys(faults))
        check_fault_names(names)
        if latency_ms < 0:
            raise ValueError("latency must not be negative")
        # Added before every answer, to behave like a deployment across a network.
        self.latency = latency_ms / 1000
        self._faults = tuple(names)
        self._fault_set = frozenset(names)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._started = False
        self._http: _Http | None = None
        self._dns: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._folder: Path | None = None
        self._certs: DemoCertificates | None = None
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._errors = 0
        self._pending: OrderedDict[str, _PendingLogin] = OrderedDict()
        self._sessions: OrderedDict[str, str] = OrderedDict()
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._processed: list[str] = []

        self.client_id = "acme-demo-prod"
        self.preview_client_id = "acme-demo-preview"
        self.verification_token = f"onyx-verify-{rnd.token_hex(16)}"
        self._client_secret = rnd.token_urlsafe(32)
        self._preview_secret = (
            self._client_secret
            if "credentials-shared" in self._fault_set
            else rnd.token_urlsafe(32)
        )
        self._webhook_secret = "whsec_" + base64.b64encode(rnd.token_bytes(32)).decode("ascii")
        self._webhook = Webhook(self._webhook_secret)
        self._static_state = _b64url(rnd.token_bytes(32))

        self._jwt_key = rnd.token_bytes(32)
        self._revoked: set[str] = set()
        now = int(time.time())
        self._valid_token = self._make_token(now, now + TOKEN_LIFETIME)
        self._expired_token = self._make_token(now - 7200, now - 3600)
        revoked_jti = rnd.token_hex(8)
        self._revoked_token = self._make_token(now, now + TOKEN_LIFETIME, jti=revoked_jti)
        self._revoked.add(revoked_jti)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> DemoDeployment:
        """Make the certificates and start the HTTPS and DNS servers; returns self."""
        if self._started:
            raise RuntimeError("this demo deployment was already started")
        self._started = True
        try:
            self._folder = Path(tempfile.mkdtemp(prefix="onyx-demo-"))
            self._certs = make_certificates(
                self._folder, expiring="tls-expiring" in self._fault_set
            )
            self._write_logs_and_evidence(self._folder)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(self._certs.cert_path, self._certs.key_path)
            self._http = _Http(self, context)
            self._dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._dns.bind((HOST, 0))
            self._dns.settimeout(0.1)  # how often the DNS loop looks at the stop flag
            http = self._http
            self._threads = [
                threading.Thread(
                    target=lambda: http.serve_forever(poll_interval=0.05),
                    name="onyx-demo-https",
                    daemon=True,
                ),
                threading.Thread(target=self._serve_dns, name="onyx-demo-dns", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _write_logs_and_evidence(self, folder: Path) -> None:
        """An application log and a support-evidence folder, clean unless a fault plants a leak.

        The lines look like a real service's (ids, hashes, dates, versions) so the scanner is
        shown close calls, not an empty file.
        """
        rng = random.Random(7)
        logs = folder / "logs"
        evidence = folder / "evidence"
        logs.mkdir()
        evidence.mkdir()
        lines = []
        paths = ("/login/onyx", "/onyx/callback", "/api/v1/me", "/onyx/events", "/privacy")
        for n in range(400):
            stamp = f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}Z"
            request = uuid.UUID(int=rng.getrandbits(128), version=4)
            digest = hashlib.sha256(f"body-{n}".encode()).hexdigest()
            lines.append(
                f"{stamp} INFO acme-web/2.14.{n % 9} request_id={request} "
                f"path={rng.choice(paths)} status={rng.choice((200, 204, 302, 401))} "
                f"order=ORD-2026-{n:06d} body_sha256={digest} duration_ms={rng.randint(3, 900)}"
            )
        if "log-leaks-token" in self._fault_set:
            lines.insert(
                137,
                f"2026-11-18T09:12:44Z DEBUG acme-web/2.14.3 inbound headers "
                f"authorization='Bearer {self._valid_token}' path=/api/v1/me",
            )
        if "log-leaks-pii" in self._fault_set:
            lines.insert(
                211,
                "2026-11-20T16:02:10Z WARN acme-web/2.14.5 payment retry for "
                "customer jane.doe@example.com card=4111 1111 1111 1111",
            )
        (logs / "app.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (evidence / "support-runbook.md").write_text(
            "# First checks\n\n1. Confirm the user's Onyx connection in Settings > Connected "
            "apps.\n2. Look up the request by its request_id (a UUID) in the app log.\n"
            "3. Escalate to Onyx partner support with the request_id and time, never tokens.\n",
            encoding="utf-8",
        )
        if "evidence-holds-key" in self._fault_set:
            key = base64.b64encode(rng.randbytes(48)).decode()
            (evidence / "debug-dump.txt").write_text(
                f"TLS debug dump\n-----BEGIN PRIVATE KEY-----\n{key}\n-----END PRIVATE KEY-----\n",
                encoding="utf-8",
            )

    def stop(self) -> None:
        """Stop both servers, wake any slow request, and remove the certificate folder."""
        self._stopping.set()
        if self._http is not None:
            if self._threads and self._threads[0].is_alive():
                self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._dns is not None:
            self._dns.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._threads = []

    def __enter__(self) -> DemoDeployment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what callers see -------------------------------------------------------------------

    @property
    def faults(self) -> tuple[str, ...]:
        """The faults this deployment was started with, in the order given."""
        return self._faults

    @property
    def port(self) -> int:
        """The HTTPS port on 127.0.0.1."""
        if self._http is None:
            raise RuntimeError("the demo deployment is not started")
        return int(self._http.server_address[1])

    @property
    def dns_port(self) -> int:
        """The UDP port of the DNS server on 127.0.0.1."""
        if self._dns is None:
            raise RuntimeError("the demo deployment is not started")
        return int(self._dns.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/onyx/callback"

    @property
    def authorize_url(self) -> str:
        # The Onyx stand-in lives on the same server but under another host name, so that
        # "Location points at Onyx" and "Location stays on the partner's host" differ.
        return f"https://{HOST}:{self.port}/oauth/authorize"

    @property
    def ca_path(self) -> Path:
        """The throwaway CA certificate (the profile's `ca_bundle`)."""
        if self._certs is None:
            raise RuntimeError("the demo deployment is not started")
        return self._certs.ca_path

    @property
    def certificates(self) -> DemoCertificates:
        if self._certs is None:
            raise RuntimeError("the demo deployment is not started")
        return self._certs

    @property
    def requests(self) -> list[RequestRecord]:
        """The most recent answered requests (a bounded log), oldest first."""
        with self._lock:
            return list(self._log)

    @property
    def processed_webhooks(self) -> list[str]:
        """The webhook-ids processed (first deliveries only), in order."""
        with self._lock:
            return list(self._processed)

    def profile(self) -> Profile:
        """The profile of this deployment, with any profile fault applied."""
        base, port = self.base_url, self.port
        redirect_uris = [self.redirect_uri]
        if "redirect-uri-not-https" in self._fault_set:
            redirect_uris.append(f"http://localhost:{port}/onyx/alt-callback")
        if "redirect-uri-wildcard" in self._fault_set:
            redirect_uris.append(f"https://*.localhost:{port}/onyx/callback")
        # Exactly what the declared features need, per the probes' scope catalogue.
        scopes = scope_catalogue().needed(FEATURES)
        if "scope-not-needed" in self._fault_set:
            scopes.append("contacts:read")
        catalogue = "2026.11" if "catalogue-unapproved" in self._fault_set else "2026.10"
        return Profile(
            app_name="Acme Messenger (demo)",
            app_description="The onyx-wizard sample partner app, served on loopback.",
            environment=Environment.PRODUCTION,
            production_domain=f"localhost:{port}",
            allowed_origins=[base],
            redirect_uris=redirect_uris,
            login_url=f"{base}/login/onyx",
            protected_url=f"{base}/api/v1/me",
            webhook_url=f"{base}/onyx/events",
            webhook_events=["message.delivered", "message.blocked", "access.revoked"],
            privacy_notice_url=f"{base}/privacy",
            features=list(FEATURES),
            requested_scopes=scopes,
            onyx_authorize_url=self.authorize_url,
            client_id=self.client_id,
            preview_client_id=self.preview_client_id,
            domain_verification_token=self.verification_token,
            ca_bundle=str(self.ca_path),
            dns_nameserver=f"{HOST}:{self.dns_port}",
            log_paths=[str(self._data_folder() / "logs")],
            evidence_dir=str(self._data_folder() / "evidence"),
            partner_connectivity=PartnerConnectivity(
                catalogue_version=catalogue, approved_catalogue_version="2026.10"
            ),
        )

    def _data_folder(self) -> Path:
        if self._folder is None:
            raise RuntimeError("start the demo deployment first")
        return self._folder

    def secrets(self) -> dict[SecretKey, str]:
        """The demo's secrets (memory only), with the secrets fault applied."""
        return {
            SecretKey.CLIENT_SECRET: self._client_secret,
            SecretKey.PREVIEW_CLIENT_SECRET: self._preview_secret,
            SecretKey.WEBHOOK_SECRET: self._webhook_secret,
            SecretKey.VALID_ACCESS_TOKEN: self._valid_token,
            SecretKey.EXPIRED_ACCESS_TOKEN: self._expired_token,
            SecretKey.REVOKED_ACCESS_TOKEN: self._revoked_token,
        }

    # -- state shared by the request threads ------------------------------------------------

    def _log_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def _note_error(self) -> None:
        with self._lock:
            self._errors += 1

    def _new_state(self) -> str:
        if "authorize-static-state" in self._fault_set:
            return self._static_state
        if "authorize-weak-state" in self._fault_set:
            return rnd.token_hex(8)
        return _b64url(rnd.token_bytes(32))  # 256 bits, 43 characters

    def _remember_login(self, state: str, pending: _PendingLogin) -> None:
        with self._lock:
            self._pending[state] = pending
            while len(self._pending) > STORE_SIZE:
                self._pending.popitem(last=False)

    def _take_login(self, state: str) -> _PendingLogin | None:
        with self._lock:
            return self._pending.pop(state, None)

    def _new_session(self) -> str:
        session = _b64url(rnd.token_bytes(32))
        with self._lock:
            self._sessions[session] = _DEMO_SUBJECT
            while len(self._sessions) > STORE_SIZE:
                self._sessions.popitem(last=False)
        return session

    def _session_subject(self, session: str) -> str | None:
        if not session:
            return None
        with self._lock:
            return self._sessions.get(session)

    def _first_delivery(self, message_id: str, body: bytes) -> bool:
        """Record a webhook-id; False when it was seen before (a retry: do not reprocess)."""
        with self._lock:
            if message_id in self._seen:
                return False
            self._seen[message_id] = hashlib.sha256(body).hexdigest()
            while len(self._seen) > STORE_SIZE:
                self._seen.popitem(last=False)
            self._processed.append(message_id)
            del self._processed[:-STORE_SIZE]
            return True

    def _cors_allow(self, origin: str) -> str | None:
        """The Access-Control-Allow-Origin value for `origin`, or None to send none."""
        faults = self._fault_set
        if "cors-wildcard-credentials" in faults:
            return "*"
        allowed = self.base_url
        if origin == allowed or "cors-reflect-origin" in faults:
            return origin
        if origin == "null":
            return "null" if "cors-null-origin" in faults else None
        try:
            parts, mine = urlsplit(origin), urlsplit(allowed)
            same_port = parts.port == mine.port
        except ValueError:
            return None
        host, my_host = parts.hostname or "", mine.hostname or ""
        if parts.scheme != mine.scheme or not same_port or not host:
            return None
        if "cors-suffix-match" in faults and host.endswith(my_host):
            return origin
        # Only "<host>." counts, so that this fault does not also pass the underscore variant.
        if "cors-prefix-match" in faults and host.startswith(my_host + "."):
            return origin
        return None

    # -- access tokens (HS256 JWTs signed by the demo) --------------------------------------

    def _make_token(self, iat: int, exp: int, *, jti: str | None = None) -> str:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"sub": _DEMO_SUBJECT, "iat": iat, "exp": exp, "jti": jti or rnd.token_hex(8)}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._jwt_key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def _check_token(self, token: str) -> dict[str, Any] | None:
        """The token's claims if it is genuine, unexpired and not revoked; else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(_b64url_decode(parts[0]))
            signature = _b64url_decode(parts[2])
            expected = hmac.new(
                self._jwt_key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256
            ).digest()
            # Check the algorithm too: "alg": "none" must never pass.
            if not isinstance(header, dict) or header.get("alg") != "HS256":
                return None
            if not hmac.compare_digest(signature, expected):
                return None
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, UnicodeError):
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            return None
        if claims["exp"] <= time.time() and "token-accepts-expired" not in self._fault_set:
            return None
        if claims.get("jti") in self._revoked and "token-accepts-revoked" not in self._fault_set:
            return None
        return claims

    # -- webhook verification ---------------------------------------------------------------

    def _verify_webhook(self, body: bytes, headers: dict[str, str]) -> None:
        """Return when the delivery is genuine; _Rejected (→ 400) when it is not."""
        faults = self._fault_set
        if "webhook-accepts-bad-signature" in faults:
            self._check_webhook_shape(headers)
            return
        if "webhook-accepts-stale" in faults:
            self._verify_ignoring_time(body, headers)
            return
        # Each signature of the rotation list on its own: the library gives up on the whole
        # header when one entry is malformed, but a valid signature next to junk must pass.
        entries = headers.get("webhook-signature", "").split(" ")
        if "webhook-no-rotation" in faults:
            entries = entries[:1]
        malformed: list[Exception] = []
        for entry in entries:
            try:
                self._webhook.verify(body, {**headers, "webhook-signature": entry})
                return
            except WebhookVerificationError:
                continue
            except ValueError as exc:  # binascii.Error, JSON and UTF-8 errors included
                malformed.append(exc)
        if malformed and "webhook-500-on-malformed" in faults:
            # The faulty app catches only the library's own error; the rest escapes as a 500.
            raise malformed[0]
        raise _Rejected("webhook verification failed")

    @staticmethod
    def _required_headers(headers: dict[str, str]) -> tuple[str, int, list[str]]:
        msg_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        if not (msg_id and timestamp and signature):
            raise _Rejected("missing webhook headers")
        try:
            seconds = int(timestamp)
        except ValueError:
            raise _Rejected("malformed webhook-timestamp") from None
        return msg_id, seconds, signature.split(" ")

    def _check_webhook_shape(self, headers: dict[str, str]) -> None:
        """webhook-accepts-bad-signature: headers, timestamp and format checked, value not."""
        _, seconds, entries = self._required_headers(headers)
        if abs(time.time() - seconds) > WEBHOOK_TOLERANCE:
            raise _Rejected("webhook timestamp outside the tolerance")
        for entry in entries:
            version, sep, value = entry.partition(",")
            if version != "v1" or not sep:
                raise _Rejected("malformed webhook-signature")
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error:
                raise _Rejected("malformed webhook-signature") from None

    def _verify_ignoring_time(self, body: bytes, headers: dict[str, str]) -> None:
        """webhook-accepts-stale: the signature is checked, the timestamp's age is not."""
        msg_id, seconds, entries = self._required_headers(headers)
        try:
            when = datetime.fromtimestamp(seconds, UTC)
            expected = str(self._webhook.sign(msg_id, when, body.decode("utf-8")))
        except (ValueError, OverflowError, OSError):
            raise _Rejected("malformed webhook delivery") from None
        for entry in entries:
            if hmac.compare_digest(entry.encode(), expected.encode()):
                return
        raise _Rejected("no matching webhook signature")

    # -- DNS --------------------------------------------------------------------------------

    def _serve_dns(self) -> None:
        sock = self._dns
        assert sock is not None
        while not self._stopping.is_set():
            try:
                data, address = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = self._dns_answer(data)
            except Exception:
                continue  # a malformed query gets no answer, as from a real server
            try:
                sock.sendto(reply, address)
            except OSError:
                return

    def _dns_answer(self, data: bytes) -> bytes:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            if question.name != _LOCALHOST:
                response.set_rcode(dns.rcode.NXDOMAIN)
                continue
            wants_txt = question.rdtype in (dns.rdatatype.TXT, dns.rdatatype.ANY)
            if (
                wants_txt
                and question.rdclass == dns.rdataclass.IN
                and "domain-token-missing" not in self._fault_set
            ):
                record = f'"onyx-domain-verification={self.verification_token}"'
                rrset = dns.rrset.from_text(question.name, 60, "IN", "TXT", record)
                response.answer.append(rrset)
        wire: bytes = response.to_wire()
        return wire
