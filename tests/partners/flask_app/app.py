"""Acme Messenger on Flask: the corpus partner app, one fresh app per case.

`create_app(case)` builds the app as a Flask developer would: Flask's signed `session`,
Flask-CORS on `/api/*`, `flask.redirect`, Jinja templates, Authlib's `joserfc` for the access
tokens and `standardwebhooks` for the webhook receiver. Every case of ../cases.toml is a small,
named deviation in the one place that handles its behaviour; the contract is ../README.md.
`CorpusDispatcher` is the WSGI app the server runs: it hands each request to the current case's
app and switches cases on `POST /__corpus/case`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    Request,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SessionInterface, SessionMixin
from flask_cors import CORS
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug import wrappers
from werkzeug.datastructures import CallbackDict
from werkzeug.debug import DebuggedApplication

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from flask.typing import ResponseReturnValue

CASES = frozenset(
    {
        "correct",
        # valid variations
        "login-307",
        "login-308",
        "login-303",
        "login-post-form",
        "login-hop",
        "uuid-state",
        "static-single-origin",
        "xsrf-cookie",
        "session-samesite-none",
        "privacy-trailing-slash",
        "privacy-german",
        "short-lived-cert",
        "invalid-token-variants",
        "callback-error-redirect",
        "webhook-429-once",
        "origin-regex",
        # faults
        "authorize-no-pkce",
        "authorize-static-state",
        "authorize-weak-state",
        "authorize-extra-scope",
        "callback-ignores-state",
        "callback-state-optional",
        "callback-500-on-error",
        "callback-debug-trace",
        "open-redirect-next",
        "open-redirect-backslash",
        "open-redirect-meta-refresh",
        "cors-reflect-origin",
        "cors-actual-reflects",
        "cors-unescaped-regex",
        "cors-null-origin",
        "cookie-not-secure",
        "cookie-not-httponly",
        "cookie-no-samesite",
        "session-fixation",
        "session-forged-500",
        "token-unverified-decode",
        "token-ignores-exp",
        "token-accepts-revoked",
        "token-in-query",
        "webhook-no-verify",
        "webhook-reserialized-body",
        "webhook-not-idempotent",
        "webhook-500-on-bad-signature",
        "privacy-no-onyx",
        "privacy-http-redirect",
        "no-hsts",
        "tls-legacy-accepted",
        "tls-expiring",
        "domain-token-missing",
    }
)

ISSUER = "https://auth.onyx.example"
HSTS = "max-age=31536000; includeSubDomains"
SCOPE = "openid profile"
# The return-to parameters partners accept (the open-redirect faults read them all).
NEXT_PARAMS = ("next", "url", "redirect", "return_to", "continue")
CONTROL_PATH = "/__corpus/case"
WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_REQUIRED_ENV = (
    "ONYX_AUTHORIZE_URL",
    "CLIENT_ID",
    "REDIRECT_URI",
    "ALLOWED_ORIGINS",
    "JWT_KEY",
    "WEBHOOK_SECRET",
    "VERIFY_TOKEN",
)


class UnknownCase(LookupError):
    """A case name that is not in cases.toml."""


@dataclass(frozen=True)
class Settings:
    """The start-up settings of the README's contract (all but PORT and TLS)."""

    authorize_url: str
    client_id: str
    redirect_uri: str
    allowed_origins: tuple[str, ...]
    jwt_key: str
    revoked_jtis: frozenset[str]
    webhook_secret: str
    verify_token: str
    control_token: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        missing = [name for name in _REQUIRED_ENV if not environ.get(name)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")

        def items(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in environ.get(name, "").split(",") if v.strip())

        return cls(
            authorize_url=environ["ONYX_AUTHORIZE_URL"],
            client_id=environ["CLIENT_ID"],
            redirect_uri=environ["REDIRECT_URI"],
            allowed_origins=items("ALLOWED_ORIGINS"),
            jwt_key=environ["JWT_KEY"],
            revoked_jtis=frozenset(items("REVOKED_JTIS")),
            webhook_secret=environ["WEBHOOK_SECRET"],
            verify_token=environ["VERIFY_TOKEN"],
            control_token=environ.get("CORPUS_CONTROL_TOKEN", ""),
        )


def create_app(case: str = "correct", settings: Settings | None = None) -> Flask:
    """The app factory: a fresh Flask app (new secret key, empty stores) serving `case`."""
    if case not in CASES:
        raise UnknownCase(case)
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    # A new key per instance: no session cookie of an earlier case (or a forged one) is valid.
    app.config["SECRET_KEY"] = secrets.token_bytes(32)
    _configure_sessions(app, case)
    _configure_cors(app, case, settings)
    _configure_hsts(app, case)
    _add_pages(app, case, settings)
    _add_sign_in(app, case, settings)
    _add_api(app, case, settings)
    _add_webhooks(app, case, settings)
    if case == "callback-debug-trace":
        # Debug mode left on in production, as `app.run(debug=True)` has it: exceptions leave
        # Flask and Werkzeug's debugger answers with its traceback page. (evalex=False: the
        # page without the interactive console, which is no part of this fault.)
        app.debug = True
        app.wsgi_app = DebuggedApplication(app.wsgi_app, evalex=False)  # type: ignore[method-assign]
    return app


# --- sessions -------------------------------------------------------------------------------


def _configure_sessions(app: Flask, case: str) -> None:
    """Flask's signed cookie session, with the cookie attributes the README asks for."""
    cookie = {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
    if case == "cookie-not-secure":
        del cookie["SESSION_COOKIE_SECURE"]  # never set: Flask's default is False
    elif case == "cookie-not-httponly":
        cookie["SESSION_COOKIE_HTTPONLY"] = False  # "so the front end can read it"
    elif case == "cookie-no-samesite":
        del cookie["SESSION_COOKIE_SAMESITE"]  # never set: Flask's default is None
    elif case == "session-samesite-none":
        cookie["SESSION_COOKIE_SAMESITE"] = "None"  # embedded cross-site; Secure stays on
    app.config.update(cookie)
    if case == "session-fixation":
        app.session_interface = AdoptingSessionInterface()


class ServerSideSession(CallbackDict[str, Any], SessionMixin):
    """A session dict kept on the server under `sid`; `modified` as Flask's own session has it."""

    def __init__(self, sid: str, initial: Mapping[str, Any] | None = None) -> None:
        def on_update(self: ServerSideSession) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.modified = False


class AdoptingSessionInterface(SessionInterface):
    """A hand-rolled server-side session store (the session-fixation fault).

    The cookie holds a session id; the data lives in memory. The bug: an id the app never issued
    is adopted instead of replaced, so a session id planted in the browser before sign-in is the
    one the sign-in start stores its state under, and the one it sets back.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> ServerSideSession:
        sid = request.cookies.get(self.get_cookie_name(app)) or secrets.token_urlsafe(32)
        with self._lock:
            data = dict(self._sessions.get(sid, {}))  # unknown id: a new session under it
        return ServerSideSession(sid, data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSideSession) or not session.modified:
            return
        with self._lock:
            self._sessions[session.sid] = dict(session)
        response.set_cookie(
            self.get_cookie_name(app),
            session.sid,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )


# --- CORS and HSTS --------------------------------------------------------------------------


def origin_regex(origins: Iterable[str], *, escape_dots: bool = True) -> str:
    """One anchored pattern for origins that differ only in their first label, written the way
    partners write it by hand: `^https://(app|admin)\\.localhost:8443$`. With `escape_dots`
    False the dots are left bare (the cors-unescaped-regex fault)."""
    parts = [urlsplit(origin) for origin in origins]
    first = parts[0]
    labels, parents = zip(*(p.netloc.split(".", 1) for p in parts), strict=True)
    if len(set(parents)) != 1 or {p.scheme for p in parts} != {first.scheme}:
        raise ValueError("the allowed origins must differ only in their first label")
    dot, parent = (r"\.", re.escape(parents[0])) if escape_dots else (".", parents[0])
    alternatives = "|".join(re.escape(label) if escape_dots else label for label in labels)
    return f"^{first.scheme}://({alternatives}){dot}{parent}$"


def _configure_cors(app: Flask, case: str, settings: Settings) -> None:
    """Flask-CORS on /api/*: each allowed origin echoed with credentials and Vary: Origin."""
    if case == "static-single-origin":
        # No Flask-CORS: one static header for the one front end, on every answer. Nothing
        # depends on the request's Origin, so there is nothing for Vary to name.
        origin = settings.allowed_origins[0]

        @app.after_request
        def static_cors(response: Response) -> Response:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST"
                response.headers["Access-Control-Allow-Headers"] = "authorization, content-type"
            return response

        return

    origins: str | list[str] = list(settings.allowed_origins)
    if case == "cors-reflect-origin":
        # "*" with supports_credentials: Flask-CORS cannot send "*" with credentials, so it
        # echoes whatever Origin arrives.
        origins = "*"
    elif case == "origin-regex":
        origins = [origin_regex(settings.allowed_origins)]
    elif case == "cors-unescaped-regex":
        origins = [origin_regex(settings.allowed_origins, escape_dots=False)]
    elif case == "cors-null-origin":
        origins = [*settings.allowed_origins, "null"]  # left over from testing from file://
    CORS(
        app,
        resources={r"/api/*": {"origins": origins}},
        supports_credentials=True,
        allow_headers=["authorization", "content-type"],
        methods=["GET", "POST"],
    )

    if case == "cors-actual-reflects":
        # A hand-written hook "for the SPA's credentialed fetches": Flask-CORS still answers the
        # preflights, but every actual API answer now copies the request's Origin.
        @app.after_request
        def reflect_origin(response: Response) -> Response:
            origin = request.headers.get("Origin")
            if origin and request.path.startswith("/api/") and request.method != "OPTIONS":
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Access-Control-Allow-Credentials"] = "true"
                response.vary.add("Origin")
            return response


def _configure_hsts(app: Flask, case: str) -> None:
    if case == "no-hsts":
        return  # the header is simply never added

    @app.after_request
    def strict_transport_security(response: Response) -> Response:
        response.headers["Strict-Transport-Security"] = HSTS
        return response


# --- pages ----------------------------------------------------------------------------------


def _add_pages(app: Flask, case: str, settings: Settings) -> None:
    """Home, the privacy notice and the domain verification file."""

    @app.get("/")
    def home() -> ResponseReturnValue:
        return render_template(
            "home.html", user=session.get("user"), failed=request.args.get("signin") == "failed"
        )

    def privacy_notice() -> ResponseReturnValue:
        if case == "privacy-german":
            return render_template("privacy_de.html")
        # privacy-no-onyx: the notice never names Onyx, otherwise it is complete.
        partner = "our messaging partner" if case == "privacy-no-onyx" else "Onyx"
        return render_template("privacy.html", partner=partner)

    if case == "privacy-trailing-slash":
        # The notice lives at /privacy/; Werkzeug's strict_slashes answers /privacy with a 308
        # to it.
        app.add_url_rule("/privacy/", "privacy", privacy_notice)
    elif case == "privacy-http-redirect":
        # A "canonical URL" redirect written with the wrong scheme: a plain-http hop.
        @app.get("/privacy")
        def privacy() -> ResponseReturnValue:
            return redirect(url_for("privacy", _external=True, _scheme="http"), 301)
    else:
        app.add_url_rule("/privacy", "privacy", privacy_notice)

    if case != "domain-token-missing":  # the fault: the file was never deployed, so 404

        @app.get("/.well-known/onyx-domain-verification.txt")
        def domain_verification() -> ResponseReturnValue:
            return Response(settings.verify_token, mimetype="text/plain")


# --- sign-in: login start and callback ------------------------------------------------------


def is_local_path(value: str) -> bool:
    """A path on this host: '/…', never '//…' or '/\\…', which browsers read as another host."""
    return value.startswith("/") and not value.startswith(("//", "/\\"))


def is_local_path_naive(value: str) -> bool:
    """The open-redirect-backslash fault's check: it forgets that browsers read '\\' as '/'."""
    return value.startswith("/") and not value.startswith("//")


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of `verifier` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time equality of two non-empty strings (bytes, so any text is safe to compare)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def exchange_code(code: str, verifier: str | None) -> str:
    """A local stand-in for Onyx's token endpoint: any non-empty code is usr_corpus_1's."""
    return "usr_corpus_1"


class SignInError(Exception):
    """A failed callback (callback-debug-trace raises it; the debugger shows the trace)."""


def _add_sign_in(app: Flask, case: str, settings: Settings) -> None:
    """GET /login/onyx starts sign-in; GET /onyx/callback finishes it."""
    is_local = is_local_path_naive if case == "open-redirect-backslash" else is_local_path
    redirect_code = {"login-303": 303, "login-307": 307, "login-308": 308}.get(case, 302)
    static_state = secrets.token_urlsafe(32)  # authorize-static-state: configured once

    def new_state() -> str:
        if case == "authorize-static-state":
            return static_state
        if case == "authorize-weak-state":
            return secrets.token_hex(4)  # 32 bits
        if case == "uuid-state":
            return str(uuid.uuid4())
        return secrets.token_urlsafe(32)  # 256 bits

    def remember_next(value: str | None) -> None:
        if value and is_local(value):
            session["next"] = value

    def start_sign_in() -> wrappers.Response:
        """Keep state and the PKCE verifier in the session and send the browser to Onyx."""
        state = new_state()
        verifier = secrets.token_urlsafe(64)
        session["state"] = state
        session["code_verifier"] = verifier
        params = {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": settings.redirect_uri,
            "scope": "openid profile contacts:read" if case == "authorize-extra-scope" else SCOPE,
            "state": state,
        }
        if case != "authorize-no-pkce":
            params["code_challenge"] = s256(verifier)
            params["code_challenge_method"] = "S256"
        response = redirect(f"{settings.authorize_url}?{urlencode(params)}", redirect_code)
        if case == "xsrf-cookie":
            # Angular/Laravel style: a token for scripts to read and echo, so not HttpOnly.
            response.set_cookie(
                "XSRF-TOKEN", secrets.token_urlsafe(32), secure=True, samesite="Lax", path="/"
            )
        return response

    if case == "login-post-form":
        # Sign-in starts by POST only, from a form carrying a CSRF token kept in the session
        # (the field named as Flask-WTF names it).
        @app.get("/login/onyx")
        def login_form() -> ResponseReturnValue:
            token = session.setdefault("csrf_token", secrets.token_urlsafe(32))
            next_value = request.args.get("next", "")
            return render_template(
                "login_form.html", csrf_token=token, next=next_value if is_local(next_value) else ""
            )

        @app.post("/login/onyx")
        def login() -> ResponseReturnValue:
            if not same_secret(request.form.get("csrf_token"), session.get("csrf_token")):
                abort(403)
            remember_next(request.form.get("next"))
            return start_sign_in()

    elif case == "login-hop":
        # /login/onyx is a friendly alias of the provider-generic start route.
        @app.get("/login/onyx")
        def login() -> ResponseReturnValue:
            remember_next(request.args.get("next"))
            return redirect(url_for("auth_start", provider="onyx"))

        @app.get("/auth/onyx/start")
        def auth_start() -> ResponseReturnValue:
            if request.args.get("provider") != "onyx":
                abort(404)
            return start_sign_in()

    else:

        @app.get("/login/onyx")
        def login() -> ResponseReturnValue:
            remember_next(request.args.get("next"))
            return start_sign_in()

    def sign_in_failed(declined: bool) -> ResponseReturnValue:
        """The answer to a declined sign-in (200) or a bad or missing state (400)."""
        if case == "callback-debug-trace":
            raise SignInError("access denied" if declined else "state mismatch")
        if case == "callback-error-redirect":
            return redirect(url_for("home", signin="failed"))
        if case == "open-redirect-next":
            for name in NEXT_PARAMS:
                if name in request.args:
                    return redirect(request.args[name])  # unchecked
        if case == "open-redirect-backslash":
            # A local next (query or the one the login kept) is honoured, by the naive check.
            # Werkzeug writes the Location percent-encoded ("/\evil" → "/%5Cevil"), so browsers
            # stay on this host; what remains is the foreign value sent back unchecked.
            target = request.args.get("next") or session.get("next")
            if target and is_local(target):
                return redirect(target)
        refresh = None
        if case == "open-redirect-meta-refresh":
            refresh = request.args.get("next") or request.args.get("return_to")  # unchecked
        page = render_template("signin_failed.html", declined=declined, refresh=refresh)
        return page, 200 if declined else 400

    @app.get("/onyx/callback")
    def onyx_callback() -> ResponseReturnValue:
        if case == "callback-500-on-error":
            # The code is read first and used as if always there. (request.args["code"] would
            # be Flask's 400 Bad Request; .get() then .strip() on None is the 500.)
            code = request.args.get("code").strip()  # type: ignore[union-attr]
        else:
            code = request.args.get("code", "")
        if "error" in request.args:
            return sign_in_failed(declined=True)
        state = request.args.get("state")
        if case == "callback-ignores-state":
            state_ok = True
        elif case == "callback-state-optional":
            state_ok = state is None or same_secret(state, session.get("state"))
        else:
            state_ok = same_secret(state, session.get("state"))
        if not state_ok or not code:
            return sign_in_failed(declined=False)
        user = exchange_code(code, session.get("code_verifier"))
        next_path = session.get("next", "/")
        # A new session for the signed-in user: nothing from before sign-in carries over, and
        # the signed cookie gets a new value (Flask's way of regenerating the session).
        session.clear()
        session["user"] = user
        return redirect(next_path)


# --- the protected API ----------------------------------------------------------------------


def _add_api(app: Flask, case: str, settings: Settings) -> None:
    """GET /api/v1/me: a verified Bearer JWT or a signed-in session."""
    key = OctKey.import_key(settings.jwt_key)
    iss: jwt.ClaimsOption = {"essential": True, "value": ISSUER}
    aud: jwt.ClaimsOption = {"essential": True, "value": settings.client_id}
    present: jwt.ClaimsOption = {"essential": True}
    registry: jwt.BaseClaimsRegistry
    if case == "token-ignores-exp":
        # The base registry checks the listed values but knows nothing of time claims.
        registry = jwt.BaseClaimsRegistry(iss=iss, aud=aud, sub=present, jti=present)
    else:
        registry = jwt.JWTClaimsRegistry(iss=iss, aud=aud, sub=present, exp=present, jti=present)

    def verified_claims(token: str) -> dict[str, Any] | None:
        try:
            if case == "token-unverified-decode":
                # "Just read the claims": the payload of the compact JWS, signature unchecked.
                claims = json.loads(jws.extract_compact(token.encode()).payload)
            else:
                claims = jwt.decode(token, key, algorithms=["HS256"]).claims
            if not isinstance(claims, dict):
                return None
            registry.validate(claims)
        except (JoseError, ValueError):
            return None
        if case != "token-accepts-revoked" and claims["jti"] in settings.revoked_jtis:
            return None
        return claims

    def bearer_token() -> str | None:
        auth = request.authorization
        if auth is not None and auth.type == "bearer":
            return auth.token or ""  # "" (a Bearer credential that is no token) is rejected
        if case == "token-in-query":
            return request.args.get("access_token")
        return None

    def unauthorized(challenge: str, body: dict[str, str], mimetype: str) -> Response:
        response = Response(json.dumps(body), 401, mimetype=mimetype)
        response.headers["WWW-Authenticate"] = challenge
        return response

    def invalid_token() -> Response:
        if case == "invalid-token-variants":
            description = "The access token is invalid or expired"
            return unauthorized(
                f'Bearer realm="acme", error="invalid_token", error_description="{description}"',
                {"type": "about:blank", "title": "Unauthorized", "status": "401"}
                | {"detail": description},
                "application/problem+json",
            )
        return unauthorized(
            'Bearer error="invalid_token"', {"error": "invalid_token"}, "application/json"
        )

    @app.get("/api/v1/me")
    def me() -> ResponseReturnValue:
        token = bearer_token()
        if token is not None:
            claims = verified_claims(token)
            if claims is None:
                return invalid_token()
            return jsonify(sub=claims["sub"])
        if case == "session-forged-500" and app.config["SESSION_COOKIE_NAME"] in request.cookies:
            # "A session cookie means a signed-in user": a forged cookie (which Flask drops as an
            # empty session) has no user, and the KeyError is a 500.
            return jsonify(sub=session["user"])
        user = session.get("user")
        if user:
            return jsonify(sub=user)
        return unauthorized('Bearer realm="acme"', {"error": "unauthorized"}, "application/json")


# --- the webhook receiver -------------------------------------------------------------------


def _add_webhooks(app: Flask, case: str, settings: Settings) -> None:
    """POST /onyx/events: Standard Webhooks, verified over the raw body, each id once."""
    webhook = Webhook(settings.webhook_secret)
    lock = threading.Lock()
    processed: dict[str, str] = {}  # webhook-id → event type
    rate_limit_pending = case == "webhook-429-once"  # the very first delivery gets a 429

    def verify() -> Any:
        if case == "webhook-no-verify":
            # Only the headers' presence is checked; the signature never is.
            if not all(request.headers.get(name) for name in WEBHOOK_HEADERS):
                abort(400)
            return request.get_json()
        body: bytes | str = request.get_data()  # the raw bytes the signature covers
        if case == "webhook-reserialized-body":
            body = json.dumps(request.get_json(), separators=(",", ":"))
        if case == "webhook-500-on-bad-signature":
            return webhook.verify(body, dict(request.headers))  # its error escapes: a 500
        try:
            return webhook.verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError):
            # ValueError: standardwebhooks 1.1 parses the signature header itself and raises it
            # for a malformed one (and for a body that is not UTF-8); 1.3 raises only its own error.
            abort(400)

    @app.post("/onyx/events")
    def onyx_events() -> ResponseReturnValue:
        nonlocal rate_limit_pending
        with lock:
            limited, rate_limit_pending = rate_limit_pending, False
        if limited:
            return "", 429, {"Retry-After": "1"}
        event = verify()
        msg_id = request.headers["webhook-id"]
        with lock:
            seen = msg_id in processed
            if not seen:
                processed[msg_id] = str(event.get("type", "")) if isinstance(event, dict) else ""
        if seen:
            if case == "webhook-not-idempotent":
                abort(409)
            return "", 204  # a redelivery: acknowledged, not processed twice
        return "", 204


# --- the server's WSGI app: case switching --------------------------------------------------


class CorpusDispatcher:
    """Hands each request to the current case's app; `POST /__corpus/case` switches cases.

    The switch needs the header x-corpus-control equal to CORPUS_CONTROL_TOKEN (else 403) and
    the case name as the body (unknown: 404); it answers 204 and builds a fresh app.
    """

    def __init__(self, case: str, settings: Settings) -> None:
        self.settings = settings
        self.case = case
        self.app = create_app(case, settings)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self.control(wrappers.Request(environ))(environ, start_response)
        # Read once: a switch mid-request leaves this request with the app it started on.
        app = self.app
        return app(environ, start_response)

    def control(self, request: wrappers.Request) -> wrappers.Response:
        if request.method != "POST":
            return wrappers.Response(status=405, headers={"Allow": "POST"})
        if not same_secret(request.headers.get("x-corpus-control"), self.settings.control_token):
            return wrappers.Response("bad control token\n", 403, mimetype="text/plain")
        name = request.get_data(as_text=True).strip()
        try:
            app = create_app(name, self.settings)
        except UnknownCase:
            return wrappers.Response(f"unknown case {name!r}\n", 404, mimetype="text/plain")
        self.case, self.app = name, app
        return wrappers.Response(status=204)
