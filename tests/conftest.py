"""Shared fixtures: every test gets its own data folder, and two ways to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onyx_wizard import cli


@dataclass(frozen=True)
class CliResult:
    """What one run of `onyx-wizard` produced."""

    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ONYX_WIZARD_HOME, so no test reads or writes the user's own sessions."""
    folder = tmp_path / "onyx-home"
    folder.mkdir()
    monkeypatch.setenv("ONYX_WIZARD_HOME", str(folder))
    return folder


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `onyx_wizard.cli.main` in this process; a SystemExit (argparse) counts as its code."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        try:
            code = cli.main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def run_cli_subprocess(home: Path) -> Callable[..., CliResult]:
    """Run `python -m onyx_wizard.cli` as a real process against the test's data folder."""

    def run(*args: str, timeout: float = 60) -> CliResult:
        env = {**os.environ, "ONYX_WIZARD_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
        proc = subprocess.run(
            [sys.executable, "-m", "onyx_wizard.cli", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@dataclass
class RouteServer:
    """A real HTTPS server on 127.0.0.1 answering from a table of routes, for probe tests."""

    port: int
    ca_path: Path
    routes: dict[str, tuple[int, str, str]]  # path -> (status, body, Location)
    seen: list[tuple[str, str]]  # (path, Cookie header) of every request

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"


@pytest.fixture
def route_server(tmp_path: Path) -> Iterator[RouteServer]:
    """Serve `routes` over TLS with a throwaway CA (the demo's certificate maker)."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from onyx_wizard.demo.certs import make_certificates

    (tmp_path / "certs").mkdir(mode=0o700)
    certs = make_certificates(tmp_path / "certs")
    state = RouteServer(0, certs.ca_path, {}, [])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.partition("?")[0]
            state.seen.append((path, self.headers.get("cookie", "")))
            status, body, location = state.routes.get(path, (404, "", ""))
            data = body.encode()
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_path, certs.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
