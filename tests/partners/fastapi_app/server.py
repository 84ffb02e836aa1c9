"""Serves the FastAPI corpus app with uvicorn over TLS, switching cases on the harness's word.

`CorpusDispatcher` is the top-level ASGI app: it answers `POST /__corpus/case` itself and hands
every other request to the current case's app (a fresh `create_app(case)` per switch).
"""

from __future__ import annotations

import hmac
import os
import signal
import ssl
import sys
from collections.abc import Callable, Mapping

import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.partners.fastapi_app.app import Settings, create_app, known_cases

HOST = "127.0.0.1"
CONTROL_PATH = "/__corpus/case"
TLS_MIN_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1": ssl.TLSVersion.TLSv1}


class CorpusDispatcher:
    """Sends each request to the current case's app; the control endpoint switches cases."""

    def __init__(self, case: str, control_token: str, settings: Settings) -> None:
        self.cases = known_cases()
        self.control_token = control_token
        self.settings = settings
        self.case = case
        self.app: ASGIApp = create_app(case, settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CONTROL_PATH:
            response = await self.control(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def control(self, request: Request) -> Response:
        if request.method != "POST":
            return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "POST"})
        sent = request.headers.get("x-corpus-control", "").encode()
        if not self.control_token or not hmac.compare_digest(sent, self.control_token.encode()):
            return PlainTextResponse("Forbidden", 403)
        case = (await request.body()).decode("utf-8", "replace").strip()
        if case not in self.cases:
            return PlainTextResponse(f"unknown case {case!r}", 404)
        self.app = create_app(case, self.settings)
        self.case = case
        return Response(status_code=204)


def tls_context_factory(
    min_version: str,
) -> Callable[[uvicorn.Config, Callable[[], ssl.SSLContext]], ssl.SSLContext]:
    """uvicorn's context with the protocol floor of TLS_MIN_VERSION. uvicorn itself only takes
    ssl_version and ssl_ciphers, which cannot open the door to TLS 1.0/1.1 on OpenSSL 3."""
    if min_version not in TLS_MIN_VERSIONS:
        raise ValueError(f"TLS_MIN_VERSION must be one of {', '.join(TLS_MIN_VERSIONS)}")

    def factory(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        context = default()
        context.minimum_version = TLS_MIN_VERSIONS[min_version]
        if min_version == "TLSv1":
            # The tls-legacy-accepted fault: TLS 1.0/1.1 need SHA-1 and the old suites, which
            # OpenSSL only allows at security level 0.
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        return context

    return factory


def serve(env: Mapping[str, str] = os.environ) -> None:
    """Serve the dispatcher on 127.0.0.1:PORT over TLS until SIGTERM or SIGINT."""
    dispatcher = CorpusDispatcher(
        env.get("CORPUS_CASE", "correct") or "correct",
        env.get("CORPUS_CONTROL_TOKEN", ""),
        Settings.from_env(env),
    )
    config = uvicorn.Config(
        dispatcher,
        host=HOST,
        port=int(env["PORT"]),
        ssl_certfile=env["TLS_CERT"],
        ssl_keyfile=env["TLS_KEY"],
        ssl_context_factory=tls_context_factory(env.get("TLS_MIN_VERSION", "TLSv1.2")),
        log_level="warning",
        access_log=False,
        lifespan="off",  # the case apps are swapped at run time; none needs start-up work
        timeout_graceful_shutdown=1,  # the harness allows 5 s before SIGKILL
    )
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal again for the
    # previous handler; this one turns it into a clean exit status 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    uvicorn.Server(config).run()
