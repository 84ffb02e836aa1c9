"""Serve the Flask corpus app over TLS on 127.0.0.1:PORT with Werkzeug's server.

    PORT=8443 TLS_CERT=cert.pem TLS_KEY=key.pem ... python -m tests.partners.flask_app

The settings are the README's environment variables. Werkzeug logs only errors (no request
lines, no banner); SIGTERM stops the server cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import ssl
import warnings
from types import FrameType
from typing import Any

from werkzeug.serving import WSGIRequestHandler, run_simple

from tests.partners.flask_app.app import CorpusDispatcher, Settings

HOST = "127.0.0.1"


class LazyHandshakeContext(ssl.SSLContext):
    """Leaves the TLS handshake to the connection's own thread.

    Werkzeug wraps the listening socket, so by default every handshake runs inside accept() on
    the one serving thread, and a client that connects and says nothing stalls the whole
    server. Production servers handshake per connection; so does this.
    """

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        kwargs["do_handshake_on_connect"] = False
        return super().wrap_socket(*args, **kwargs)


class Handler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as production servers speak (Werkzeug defaults to 1.0)."""

    protocol_version = "HTTP/1.1"

    def handle(self) -> None:
        try:
            self.connection.do_handshake()
        except (ssl.SSLError, OSError):
            # A client that offers no TLS we accept (the TLS probe tries 1.0 and 1.1): nothing
            # to answer, and nothing worth a log line.
            return
        super().handle()


def tls_context(cert: str, key: str, min_version: str) -> ssl.SSLContext:
    """A server context for the certificate; TLS 1.2 and up unless `min_version` is TLSv1."""
    context = LazyHandshakeContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if min_version == "TLSv1":
        # The tls-legacy-accepted fault: TLS 1.0 and 1.1 too. OpenSSL 3 refuses their SHA-1
        # signatures above security level 0; Python warns that the version is deprecated,
        # which is the point here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    elif min_version == "TLSv1.2":
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    else:
        raise SystemExit(f"TLS_MIN_VERSION must be TLSv1.2 or TLSv1, not {min_version!r}")
    return context


def _stop(signum: int, frame: FrameType | None) -> None:
    # Unwinds serve_forever, whose `finally` closes the listening socket; then exit 0.
    raise SystemExit(0)


def main() -> None:
    settings = Settings.from_env()
    context = tls_context(
        os.environ["TLS_CERT"], os.environ["TLS_KEY"], os.environ.get("TLS_MIN_VERSION", "TLSv1.2")
    )
    app = CorpusDispatcher(os.environ.get("CORPUS_CASE", "correct"), settings)
    # Werkzeug logs its banner and every request at INFO; keep errors only.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, _stop)
    run_simple(
        HOST,
        int(os.environ["PORT"]),
        app,
        ssl_context=context,
        threaded=True,
        request_handler=Handler,
    )


if __name__ == "__main__":
    main()
