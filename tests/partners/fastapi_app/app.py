"""Acme Messenger on FastAPI: the corpus partner app, one case at a time.

`create_app(case)` builds a fresh app as a FastAPI developer would: Starlette's SessionMiddleware
and CORSMiddleware, PyJWT, the standardwebhooks library, RedirectResponse. A case other than
`correct` changes one thing, written as the natural bug or variation its `what` in cases.toml
describes; every `case == "…"` test below marks the one place a case differs.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures' annotations at
# run time, and those of the routes below name dependencies local to create_app.

import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import tomllib
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlencode, urlsplit

import itsdangerous
import jwt
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import Session, SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CASES_FILE = Path(__file__).resolve().parent.parent / "cases.toml"
ISSUER = "https://auth.onyx.example"
HSTS = "max-age=31536000; includeSubDomains"
SUBJECT = "usr_corpus_1"  # who any authorization code signs in (the token endpoint stand-in)
SESSION_COOKIE = "session"  # Starlette's default name
SESSION_MAX_AGE = 14 * 24 * 3600  # Starlette's default, spelled out for the hand-decoding fault
NEXT_PARAMS = ("next", "url", "redirect", "return_to", "continue")
WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def known_cases() -> frozenset[str]:
    """`correct` and every case of cases.toml."""
    data = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))
    return frozenset({"correct", *data.get("valid", {}), *data.get("fault", {})})


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """The start-up settings of the README's contract (TLS and port are the server's)."""

    authorize_url: str
    client_id: str
    redirect_uri: str
    allowed_origins: tuple[str, ...]
    jwt_key: str
    revoked_jtis: frozenset[str]
    webhook_secret: str
    verify_token: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Self:
        return cls(
            authorize_url=env["ONYX_AUTHORIZE_URL"],
            client_id=env["CLIENT_ID"],
            redirect_uri=env["REDIRECT_URI"],
            allowed_origins=_split(env.get("ALLOWED_ORIGINS", "")),
            jwt_key=env["JWT_KEY"],
            revoked_jtis=frozenset(_split(env.get("REVOKED_JTIS", ""))),
            webhook_secret=env["WEBHOOK_SECRET"],
            verify_token=env["VERIFY_TOKEN"],
        )


# --- small helpers --------------------------------------------------------------------------


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of `verifier`."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_local_path(value: str) -> bool:
    """A same-site path such as "/inbox": never "//host", "/\\host", a URL or control chars."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def is_local_path_naive(value: str) -> bool:
    """The open-redirect-backslash fault's check: browsers read "/\\evil.example" as
    "//evil.example", which this lets through."""
    return value.startswith("/") and not value.startswith("//")


def page(title: str, body: str, *, status_code: int = 200, lang: str = "en") -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n",
        status_code=status_code,
    )


PRIVACY_EN = """<h1>Acme Messenger privacy notice</h1>
<p>Acme Messenger lets you sign in with {partner} and send messages through {partner}. This
notice explains how we handle the personal data we receive from {partner}.</p>
<h2>What data we receive</h2>
<p>Your {partner} account identifier, your display name, and the delivery status of the
messages you send. We use this data only to run the service you asked for.</p>
<h2>How long we keep it</h2>
<p>We retain message delivery records for 30 days and account data while your account is
active.</p>
<h2>How it is deleted</h2>
<p>When you disconnect {partner} or close your account we delete your data within 30 days. You
can ask us to delete it at any time: privacy@acme.example.</p>
<h2>Sharing</h2>
<p>We do not sell your data and we do not share it with third parties, except the processors
that host the service under contract.</p>
"""

PRIVACY_DE = """<h1>Datenschutzhinweise von Acme Messenger</h1>
<p>Mit Acme Messenger melden Sie sich über Onyx an und versenden Nachrichten über Onyx. Diese
Hinweise erklären, wie wir die personenbezogenen Daten verarbeiten, die wir von Onyx erhalten.</p>
<h2>Welche personenbezogenen Daten wir erhalten</h2>
<p>Ihre Onyx-Kontokennung, Ihren Anzeigenamen und den Zustellstatus der Nachrichten, die Sie
versenden.</p>
<h2>Speicherdauer</h2>
<p>Zustelldaten speichern wir 30 Tage, Kontodaten so lange, wie Ihr Konto besteht.</p>
<h2>Löschung</h2>
<p>Wenn Sie die Verbindung zu Onyx trennen oder Ihr Konto schließen, löschen wir Ihre Daten
innerhalb von 30 Tagen. Sie können die Löschung jederzeit verlangen: privacy@acme.example.</p>
<h2>Weitergabe</h2>
<p>Wir verkaufen Ihre Daten nicht und geben sie nicht an Dritte weiter, außer an
Auftragsverarbeiter, die den Dienst vertraglich gebunden betreiben.</p>
"""


# --- middleware -----------------------------------------------------------------------------


class HSTSMiddleware:
    """Adds Strict-Transport-Security to every answer that passes through the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_hsts)


class FlagStrippingSessionMiddleware(SessionMiddleware):
    """SessionMiddleware without one cookie attribute (cookie-not-httponly, cookie-no-samesite).

    Starlette always writes HttpOnly and SameSite and has no setting to leave them out, so an
    app that wants that (a script reading the session cookie, an old embedding workaround)
    edits the middleware's `security_flags` string.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str,
        *,
        strip: str,
        https_only: bool,
        same_site: Literal["lax", "strict", "none"],
    ) -> None:
        super().__init__(app, secret_key, https_only=https_only, same_site=same_site)
        flags = self.security_flags.split("; ")
        self.security_flags = "; ".join(flag for flag in flags if not flag.startswith(strip))


class AdoptingSessionMiddleware:
    """A hand-rolled server-side session store (session-fixation): the cookie holds a session
    id, the data stays in memory. Its bug: an id the store never issued is not replaced but
    adopted, so an attacker's planted id becomes the victim's session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.sessions: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The correct store would issue a fresh id unless `session_id in self.sessions`.
        session_id = HTTPConnection(scope).cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(32)
        session = Session(self.sessions.get(session_id, {}))
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                self.sessions[session_id] = dict(session)
                MutableHeaders(scope=message).append(
                    "Set-Cookie",
                    f"{SESSION_COOKIE}={session_id}; path=/; Max-Age={SESSION_MAX_AGE}; "
                    "httponly; samesite=lax; secure",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def add_session_middleware(app: FastAPI, case: str, secret_key: str) -> None:
    """The signed-cookie session of the sign-in flow (state, PKCE verifier, next, user)."""
    if case == "session-fixation":
        app.add_middleware(AdoptingSessionMiddleware)
        return
    options: dict[str, Any] = {"secret_key": secret_key, "https_only": True, "same_site": "lax"}
    if case == "session-samesite-none":
        options["same_site"] = "none"  # the app is embedded cross-site
    if case == "cookie-not-secure":
        options["https_only"] = False  # Starlette's default
    if case == "cookie-not-httponly":
        app.add_middleware(FlagStrippingSessionMiddleware, strip="httponly", **options)
    elif case == "cookie-no-samesite":
        app.add_middleware(FlagStrippingSessionMiddleware, strip="samesite", **options)
    else:
        app.add_middleware(SessionMiddleware, **options)


def origins_regex(origins: tuple[str, ...], *, escape: bool = True) -> str:
    """One anchored regular expression matching exactly `origins`; with escape=False the dots
    stay unescaped (cors-unescaped-regex), so "." matches any character."""
    quoted = [re.escape(origin) if escape else origin for origin in origins]
    return "^(?:" + "|".join(quoted) + ")$"


def add_cors(app: FastAPI, case: str, origins: tuple[str, ...]) -> None:
    """CORS for the browser front ends at `origins` (the API is called with credentials)."""
    if case == "static-single-origin":
        add_static_cors(app, origins[0])
        return
    if case == "cors-actual-reflects":
        # Added before CORSMiddleware, so it sits inside it: preflights never reach it.
        add_reflecting_hook(app)
    options: dict[str, Any] = {
        "allow_origins": list(origins),
        "allow_credentials": True,
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["authorization", "content-type"],
    }
    if case == "origin-regex":
        options.update(allow_origins=[], allow_origin_regex=origins_regex(origins))
    if case == "cors-reflect-origin":
        options.update(allow_origins=[], allow_origin_regex=".*")  # "any front end may call us"
    if case == "cors-unescaped-regex":
        options.update(allow_origins=[], allow_origin_regex=origins_regex(origins, escape=False))
    if case == "cors-null-origin":
        options["allow_origins"] = [*origins, "null"]  # left over from testing a file:// page
    app.add_middleware(CORSMiddleware, **options)


def add_static_cors(app: FastAPI, origin: str) -> None:
    """static-single-origin: one front end, so every answer carries the same fixed headers."""
    fixed = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}

    @app.middleware("http")
    async def static_cors(request: Request, call_next: Any) -> Response:
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            response: Response = Response(status_code=status.HTTP_204_NO_CONTENT)
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "authorization, content-type"
            response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = await call_next(request)
        response.headers.update(fixed)
        return response


def add_reflecting_hook(app: FastAPI) -> None:
    """cors-actual-reflects: an after-request hook "fixing" CORS for the API by hand."""

    @app.middleware("http")
    async def allow_api_callers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        origin = request.headers.get("origin")
        if origin and request.url.path.startswith("/api/"):
            response.headers["Access-Control-Allow-Origin"] = origin  # whatever it is
            response.headers["Access-Control-Allow-Credentials"] = "true"
        return response


# --- the app --------------------------------------------------------------------------------


class SignInFailed(Exception):
    """The callback cannot sign the browser in: declined (200 page) or a bad request (400)."""

    def __init__(self, status_code: int, message: str, stored_next: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.stored_next = stored_next  # the login's local next (open-redirect-backslash)


class InvalidToken(Exception):
    """A bearer token that is malformed, forged, expired, for another audience or revoked."""


def create_app(case: str = "correct", settings: Settings | None = None) -> FastAPI:
    """A fresh Acme Messenger app serving `case` (see cases.toml), with its own state."""
    if case not in known_cases():
        raise ValueError(f"unknown case {case!r}")
    settings = settings or Settings.from_env()
    app = FastAPI(title="Acme Messenger", docs_url=None, redoc_url=None, openapi_url=None)
    session_secret = secrets.token_urlsafe(32)
    static_state = secrets.token_urlsafe(32)  # authorize-static-state: "configured once"
    webhook = Webhook(settings.webhook_secret)
    processed_webhooks: set[str] = set()
    webhook_deliveries = 0

    # Middleware: the last added is the outermost, so HSTS covers CORS preflight answers too.
    add_session_middleware(app, case, session_secret)
    add_cors(app, case, settings.allowed_origins)
    if case != "no-hsts":
        app.add_middleware(HSTSMiddleware)

    # -- pages ------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        return page(
            "Acme Messenger",
            "<h1>Acme Messenger</h1>\n"
            '<p><a href="/login/onyx">Sign in with Onyx</a> · <a href="/privacy">Privacy</a></p>',
        )

    async def privacy_notice() -> HTMLResponse:
        if case == "privacy-german":
            return page("Datenschutzhinweise", PRIVACY_DE, lang="de")
        partner = "our messaging partner" if case == "privacy-no-onyx" else "Onyx"
        return page("Privacy notice", PRIVACY_EN.format(partner=partner))

    if case == "privacy-trailing-slash":
        # Only /privacy/ exists; Starlette's redirect_slashes answers /privacy with a 307.
        app.get("/privacy/", response_class=HTMLResponse)(privacy_notice)
    elif case == "privacy-http-redirect":

        @app.get("/privacy")
        async def privacy_canonical(request: Request) -> RedirectResponse:
            # A "canonical URL" redirect written with a hard-coded http:// scheme.
            return RedirectResponse(
                f"http://{request.url.netloc}/privacy",
                status_code=status.HTTP_301_MOVED_PERMANENTLY,
            )
    else:
        app.get("/privacy", response_class=HTMLResponse)(privacy_notice)

    if case != "domain-token-missing":

        @app.get("/.well-known/onyx-domain-verification.txt")
        async def domain_verification() -> Response:
            return Response(settings.verify_token, media_type="text/plain")

    # -- starting sign-in -------------------------------------------------------------------

    def new_state() -> str:
        if case == "authorize-static-state":
            return static_state
        if case == "authorize-weak-state":
            return secrets.token_hex(4)  # 32 bits
        if case == "uuid-state":
            return str(uuid.uuid4())
        return secrets.token_urlsafe(32)  # 256 bits

    def local_next(value: str | None) -> str | None:
        """`value` if it is a path on this site; anything else is ignored, never echoed."""
        check = is_local_path_naive if case == "open-redirect-backslash" else is_local_path
        return value if value and check(value) else None

    def start_sign_in(request: Request, next_path: str | None, status_code: int) -> Response:
        """Keep state, PKCE verifier and next in the session; send the browser to Onyx."""
        state = new_state()
        params = {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": settings.redirect_uri,
            "scope": "openid profile",
            "state": state,
        }
        verifier = None
        if case != "authorize-no-pkce":
            verifier = secrets.token_urlsafe(48)
            params["code_challenge"] = s256(verifier)
            params["code_challenge_method"] = "S256"
        if case == "authorize-extra-scope":
            params["scope"] = "openid profile contacts:read"
        request.session["oauth"] = {"state": state, "verifier": verifier, "next": next_path}
        response = RedirectResponse(
            f"{settings.authorize_url}?{urlencode(params)}", status_code=status_code
        )
        if case == "xsrf-cookie":
            # Read by the front end's scripts (Angular's convention), so not HttpOnly.
            response.set_cookie(
                "XSRF-TOKEN", secrets.token_urlsafe(32), secure=True, samesite="lax", path="/"
            )
        return response

    login_status = {
        "login-308": status.HTTP_308_PERMANENT_REDIRECT,
        "login-303": status.HTTP_303_SEE_OTHER,
    }.get(case, status.HTTP_307_TEMPORARY_REDIRECT)  # 307: RedirectResponse's default

    def login_form(request: Request, next_path: str | None) -> HTMLResponse:
        """login-post-form: a button that POSTs the sign-in start (as django-allauth and Auth.js
        do), with a CSRF token kept in the session."""
        token = request.session.setdefault("csrf_token", secrets.token_urlsafe(32))
        hidden_next = ""
        if next_path:
            hidden_next = f'<input type="hidden" name="next" value="{html.escape(next_path)}">\n'
        return page(
            "Sign in",
            '<h1>Sign in to Acme Messenger</h1>\n<form method="post" action="/login/onyx">\n'
            f'<input type="hidden" name="csrf_token" value="{html.escape(token)}">\n'
            f'{hidden_next}<button type="submit">Sign in with Onyx</button>\n</form>',
        )

    @app.get("/login/onyx")
    async def login(
        request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
    ) -> Response:
        if case == "login-post-form":
            return login_form(request, local_next(next_path))
        if case == "login-hop":
            # A generic auth blueprint: /login/onyx only names the provider.
            query = {"provider": "onyx"}
            if target := local_next(next_path):
                query["next"] = target
            return RedirectResponse(
                f"/auth/onyx/start?{urlencode(query)}", status_code=status.HTTP_302_FOUND
            )
        return start_sign_in(request, local_next(next_path), login_status)

    if case == "login-post-form":

        @app.post("/login/onyx")
        async def login_post(
            request: Request,
            csrf_token: Annotated[str, Form()] = "",
            next_path: Annotated[str | None, Form(alias="next")] = None,
        ) -> Response:
            expected = request.session.get("csrf_token", "")
            if not (
                csrf_token
                and expected
                and hmac.compare_digest(csrf_token.encode(), expected.encode())
            ):
                return page("Forbidden", "<p>The form has expired.</p>", status_code=403)
            return start_sign_in(request, local_next(next_path), status.HTTP_303_SEE_OTHER)

    if case == "login-hop":

        @app.get("/auth/onyx/start")
        async def login_hop(
            request: Request,
            provider: str = "",
            next_path: Annotated[str | None, Query(alias="next")] = None,
        ) -> Response:
            if provider != "onyx":
                raise HTTPException(status.HTTP_404_NOT_FOUND)
            return start_sign_in(request, local_next(next_path), status.HTTP_302_FOUND)

    # -- the callback -----------------------------------------------------------------------

    def check_state(received: str | None, expected: str | None) -> None:
        if case == "callback-ignores-state":
            return
        if case == "callback-state-optional" and received is None:
            return  # "no state, nothing to compare"
        if not (received and expected) or not hmac.compare_digest(
            received.encode(), expected.encode()
        ):
            raise SignInFailed(status.HTTP_400_BAD_REQUEST, "The sign-in could not be verified.")

    def exchange_code(code: str, verifier: str | None) -> str:
        """A local stand-in for Onyx's token endpoint: any non-empty code is usr_corpus_1."""
        return SUBJECT

    @app.get("/onyx/callback")
    async def callback(
        request: Request,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Response:
        if case == "callback-500-on-error":
            code = request.query_params["code"]  # a KeyError when Onyx sends error=… instead
        pending = request.session.pop("oauth", None) or {}  # a state is good for one try
        if error:
            raise SignInFailed(status.HTTP_200_OK, "You declined the sign-in.", pending.get("next"))
        if not code:
            raise SignInFailed(status.HTTP_400_BAD_REQUEST, "The sign-in could not be completed.")
        check_state(state, pending.get("state"))
        user = exchange_code(code, pending.get("verifier"))
        # A new session for the signed-in user: a signed-cookie session has no server-side id,
        # so clearing and refilling it issues a new cookie value (Starlette's regeneration).
        request.session.clear()
        request.session["user"] = user
        return RedirectResponse(pending.get("next") or "/", status_code=status.HTTP_302_FOUND)

    def next_param(request: Request, names: tuple[str, ...] = NEXT_PARAMS) -> str | None:
        return next((request.query_params[n] for n in names if n in request.query_params), None)

    @app.exception_handler(SignInFailed)
    async def sign_in_failed(request: Request, exc: SignInFailed) -> Response:
        """Every failed callback ends here: no sign-in, a calm answer."""
        if case == "callback-error-redirect":
            return RedirectResponse("/?signin=failed", status_code=status.HTTP_302_FOUND)
        if case == "callback-debug-trace":
            # A debugging aid left on in production: the formatted traceback goes out as JSON.
            trace = "".join(traceback.format_exception(exc))
            return JSONResponse(
                {"detail": exc.message, "traceback": trace},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        if case == "open-redirect-next" and (target := next_param(request)):
            return RedirectResponse(target, status_code=status.HTTP_302_FOUND)  # unchecked
        if case == "open-redirect-backslash":
            target = local_next(next_param(request)) or exc.stored_next
            if target:
                # A hand-set Location: RedirectResponse would percent-encode the backslash.
                return Response(status_code=status.HTTP_302_FOUND, headers={"Location": target})
        head = ""
        declined = exc.status_code == status.HTTP_200_OK
        target = next_param(request, ("next", "return_to"))
        if case == "open-redirect-meta-refresh" and declined and target:
            # The decline page "takes you back" where the next/return_to parameter says.
            head = f'<meta http-equiv="refresh" content="0;url={html.escape(target)}">\n'
        title = "Sign-in cancelled" if declined else "Sign-in failed"
        body = f'{head}<h1>{title}</h1>\n<p>{html.escape(exc.message)}</p>\n<a href="/">Home</a>'
        return page(title, body, status_code=exc.status_code)

    # -- the API ----------------------------------------------------------------------------

    bearer = HTTPBearer(auto_error=False)
    signer = itsdangerous.TimestampSigner(session_secret)

    def verify_token(token: str) -> str:
        """The token's subject if Onyx issued it, for us, unexpired and not revoked."""
        try:
            if case == "token-unverified-decode":
                claims = jwt.decode(
                    token,
                    options={"verify_signature": False, "verify_exp": True, "require": ["exp"]},
                )
            else:
                claims = jwt.decode(
                    token,
                    settings.jwt_key,
                    algorithms=["HS256"],
                    audience=settings.client_id,
                    issuer=ISSUER,
                    options={
                        "require": ["exp", "iss", "aud", "sub", "jti"],
                        "verify_exp": case != "token-ignores-exp",
                    },
                )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(str(exc)) from exc
        if case != "token-accepts-revoked" and claims.get("jti") in settings.revoked_jtis:
            raise InvalidToken("revoked")
        return str(claims["sub"])

    def session_user(request: Request) -> str | None:
        if case == "session-forged-500":
            # The API reads the user straight from the session cookie with the session's own
            # signer (lifted from SessionMiddleware) and never expected a bad signature:
            # itsdangerous.BadSignature escapes as a 500.
            raw = request.cookies.get(SESSION_COOKIE)
            if raw is None:
                return None
            data = json.loads(base64.b64decode(signer.unsign(raw, max_age=SESSION_MAX_AGE)))
            return str(data["user"]) if "user" in data else None
        return request.session.get("user")

    async def current_user(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        token = credentials.credentials if credentials else None
        if token is None and case == "token-in-query":
            token = request.query_params.get("access_token")  # "for links from e-mails"
        if token is not None:
            return verify_token(token)
        if user := session_user(request):
            return user
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Not authenticated",
            headers={"WWW-Authenticate": 'Bearer realm="acme"'},
        )

    @app.exception_handler(InvalidToken)
    async def invalid_token(request: Request, exc: InvalidToken) -> Response:
        if case == "invalid-token-variants":
            description = "The access token is invalid or expired"
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Unauthorized",
                    "status": 401,
                    "detail": description,
                },
                status_code=status.HTTP_401_UNAUTHORIZED,
                media_type="application/problem+json",
                headers={
                    "WWW-Authenticate": (
                        f'Bearer realm="acme", error="invalid_token", '
                        f'error_description="{description}"'
                    )
                },
            )
        return JSONResponse(
            {"detail": "Invalid token"},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    @app.get("/api/v1/me")
    async def me(user: Annotated[str, Depends(current_user)]) -> dict[str, str]:
        return {"sub": user}

    # -- webhooks ---------------------------------------------------------------------------

    async def verified_event(request: Request) -> Any:
        """The event if the delivery is genuine. The library raises WebhookVerificationError,
        or ValueError for a body that is not JSON (and, in standardwebhooks 1.1, for a malformed
        signature header or a body that is not UTF-8)."""
        body = await request.body()  # the raw bytes: what the signature covers
        headers = dict(request.headers)
        if case == "webhook-no-verify":
            if not all(headers.get(name) for name in WEBHOOK_HEADERS):
                raise WebhookVerificationError("Missing required headers")
            return json.loads(body)  # "we'll add the signature check later"
        if case == "webhook-reserialized-body":
            body = json.dumps(await request.json(), separators=(",", ":")).encode()
        return webhook.verify(body, headers)

    @app.post("/onyx/events")
    async def onyx_events(request: Request) -> Response:
        nonlocal webhook_deliveries
        webhook_deliveries += 1
        if case == "webhook-429-once" and webhook_deliveries == 1:
            return JSONResponse(
                {"detail": "Too many requests"},
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": "1"},
            )
        if case == "webhook-500-on-bad-signature":
            event = await verified_event(request)  # nothing catches the library's error
        else:
            try:
                event = await verified_event(request)
            except (WebhookVerificationError, ValueError):
                return JSONResponse(
                    {"detail": "Invalid webhook"}, status_code=status.HTTP_400_BAD_REQUEST
                )
        message_id = request.headers["webhook-id"]
        if message_id in processed_webhooks:
            if case == "webhook-not-idempotent":
                return JSONResponse(
                    {"detail": "Duplicate webhook-id"}, status_code=status.HTTP_409_CONFLICT
                )
            return Response(status_code=status.HTTP_204_NO_CONTENT)  # done before: not again
        processed_webhooks.add(message_id)
        handle_event(event)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    def handle_event(event: Any) -> None:
        """Where a real app would act on message.delivered and the like."""

    return app
