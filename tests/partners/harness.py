"""Runs the probes against the corpus partner apps (see README.md beside this file).

`PartnerApp` starts one stack's app as a real process on 127.0.0.1 behind TLS with a throwaway
CA, switches it between the cases of `cases.toml`, and builds the profile and secrets a partner
would give the wizard. `run_case` runs every applicable probe against one case; `judge` says
whether the outcome is what the case expects.

By hand:

    .venv/bin/python -m tests.partners.harness STACK [CASE ...]
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import dns.message
import dns.rcode
import httpx

from onyx_wizard import check
from onyx_wizard.checklist import load_checklist, scope_catalogue
from onyx_wizard.demo.certs import make_certificates
from onyx_wizard.probes import Outcome, ProbeResult
from onyx_wizard.profile import Profile
from onyx_wizard.secrets import SecretKey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
HOST = "127.0.0.1"
STACKS: dict[str, list[str]] = {
    "fastapi": [sys.executable, "-m", "tests.partners.fastapi_app"],
    "flask": [sys.executable, "-m", "tests.partners.flask_app"],
    "express": ["node", str(HERE / "express_app" / "app.js")],
}
AUTHORIZE_URL = "https://auth.onyx.example/oauth/authorize"  # never contacted
FEATURES = ("sign-in", "messaging", "events")
CLIENT_ID = "acme-corpus-prod"
PREVIEW_CLIENT_ID = "acme-corpus-preview"
ISSUER = "https://auth.onyx.example"
SUBJECT = "usr_corpus_1"
START_TIMEOUT = 30.0
CERTS = {
    # (lifetime, time left)
    "short-lived": (timedelta(hours=160), timedelta(days=6)),
    "expiring": (timedelta(days=90), timedelta(days=3)),
}


# --- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One corpus case: `correct`, a valid variation, or a fault with the result it must give."""

    name: str
    kind: str  # "correct" | "valid" | "fault"
    what: str = ""
    probe: str = ""
    reason_code: str = ""
    profile: Mapping[str, Any] = field(default_factory=dict)
    restart: Mapping[str, str] = field(default_factory=dict)


CORRECT = Case("correct", "correct", "the app as the README describes it")


def load_cases() -> list[Case]:
    """`correct`, then every valid variation and fault of cases.toml, in file order."""
    data = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))
    cases = [CORRECT]
    for kind in ("valid", "fault"):
        for name, entry in data.get(kind, {}).items():
            cases.append(
                Case(
                    name,
                    kind,
                    entry.get("what", ""),
                    entry.get("probe", ""),
                    entry.get("reason_code", ""),
                    entry.get("profile", {}),
                    entry.get("restart", {}),
                )
            )
    return cases


# --- tokens and secrets ---------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256_jwt(key: str, claims: Mapping[str, Any]) -> str:
    """An HS256 JWT over `claims`, as Onyx would issue an access token."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(dict(claims)).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


@dataclass(frozen=True)
class Credentials:
    """What the app is started with and the wizard is given: keys, tokens, tokens' ids."""

    jwt_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    webhook_secret: str = field(
        default_factory=lambda: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    )
    verify_token: str = field(default_factory=lambda: f"onyx-verify-{secrets.token_hex(16)}")
    revoked_jti: str = field(default_factory=lambda: secrets.token_hex(8))
    control_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def token(self, *, expires_in: int, jti: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": SUBJECT,
            "iat": now - 60,
            "exp": now + expires_in,
            "jti": jti or secrets.token_hex(8),
        }
        return hs256_jwt(self.jwt_key, claims)

    def secrets(self) -> dict[SecretKey, str]:
        return {
            SecretKey.CLIENT_SECRET: secrets.token_urlsafe(32),
            SecretKey.PREVIEW_CLIENT_SECRET: secrets.token_urlsafe(32),
            SecretKey.WEBHOOK_SECRET: self.webhook_secret,
            SecretKey.VALID_ACCESS_TOKEN: self.token(expires_in=3600),
            SecretKey.EXPIRED_ACCESS_TOKEN: self.token(expires_in=-3600),
            SecretKey.REVOKED_ACCESS_TOKEN: self.token(expires_in=3600, jti=self.revoked_jti),
        }


# --- a name server that knows nothing -------------------------------------------------------


class EmptyNameServer:
    """A UDP name server on loopback answering NXDOMAIN, so DNS look-ups never leave the host.

    The domain-verification probe then falls back to the well-known file, which the apps serve.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((HOST, 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{HOST}:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = dns.message.make_response(dns.message.from_wire(data))
            except Exception:
                continue
            reply.set_rcode(dns.rcode.NXDOMAIN)
            self._sock.sendto(reply.to_wire(), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self._sock.close()


# --- one running app ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class AppFailed(RuntimeError):
    """The app did not start, or refused a case switch; the message carries its output."""


class PartnerApp:
    """One stack's app running as a real process; a context manager."""

    def __init__(
        self,
        stack: str,
        *,
        credentials: Credentials | None = None,
        cert: str = "",
        tls_min_version: str = "TLSv1.2",
        case: str = "correct",
    ) -> None:
        if stack not in STACKS:
            raise ValueError(f"unknown stack {stack!r}; choose from {', '.join(STACKS)}")
        self.stack = stack
        self.credentials = credentials or Credentials()
        self.port = free_port()
        self.case = case
        self._folder = Path(tempfile.mkdtemp(prefix=f"onyx-corpus-{stack}-"))
        self._log = self._folder / "app.log"
        validity = CERTS[cert] if cert else None
        self.certs = make_certificates(self._folder, validity=validity)
        self._env = {
            **os.environ,
            "PORT": str(self.port),
            "TLS_CERT": str(self.certs.cert_path),
            "TLS_KEY": str(self.certs.key_path),
            "TLS_MIN_VERSION": tls_min_version,
            "CORPUS_CASE": case,
            "CORPUS_CONTROL_TOKEN": self.credentials.control_token,
            "ONYX_AUTHORIZE_URL": AUTHORIZE_URL,
            "CLIENT_ID": CLIENT_ID,
            "REDIRECT_URI": f"{self.base}/onyx/callback",
            "ALLOWED_ORIGINS": ",".join(self.origins),
            "JWT_KEY": self.credentials.jwt_key,
            "REVOKED_JTIS": self.credentials.revoked_jti,
            "WEBHOOK_SECRET": self.credentials.webhook_secret,
            "VERIFY_TOKEN": self.credentials.verify_token,
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def origins(self) -> list[str]:
        return [f"https://app.localhost:{self.port}", f"https://admin.localhost:{self.port}"]

    def _trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certs.ca_path))

    def output(self) -> str:
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def start(self) -> PartnerApp:
        command = STACKS[self.stack]
        if self.stack == "express" and not (HERE / "express_app" / "node_modules").is_dir():
            raise AppFailed(
                "the Express app's packages are not installed: "
                "npm ci --prefix tests/partners/express_app"
            )
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(verify=self._trust(), timeout=2, trust_env=False) as client:
            while True:
                if self._proc.poll() is not None:
                    raise AppFailed(f"{self.stack} app exited:\n{self.output()}")
                try:
                    client.get(f"{self.base}/")
                    return self
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise AppFailed(
                            f"{self.stack} app did not answer in {START_TIMEOUT:g} s:\n"
                            f"{self.output()}"
                        ) from None
                    time.sleep(0.1)

    def switch(self, case: str) -> None:
        """Serve `case` from now on (a fresh app instance)."""
        with httpx.Client(verify=self._trust(), timeout=10, trust_env=False) as client:
            response = client.post(
                f"{self.base}/__corpus/case",
                content=case.encode(),
                headers={
                    "x-corpus-control": self.credentials.control_token,
                    "content-type": "text/plain",
                },
            )
        if response.status_code != 204:
            raise AppFailed(
                f"{self.stack} app answered {response.status_code} to the switch to {case!r}"
            )
        self.case = case

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> PartnerApp:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def profile(self, case: Case, nameserver: str) -> Profile:
        """The profile a partner running this app would fill in, with the case's overrides."""
        fields: dict[str, Any] = {
            "app_name": f"Acme Messenger ({self.stack})",
            "production_domain": f"localhost:{self.port}",
            "allowed_origins": self.origins,
            "redirect_uris": [f"{self.base}/onyx/callback"],
            "login_url": f"{self.base}/login/onyx",
            "protected_url": f"{self.base}/api/v1/me",
            "webhook_url": f"{self.base}/onyx/events",
            "webhook_events": ["message.delivered", "message.blocked", "access.revoked"],
            "privacy_notice_url": f"{self.base}/privacy",
            "features": list(FEATURES),
            "requested_scopes": list(scope_catalogue().needed(FEATURES)),
            "onyx_authorize_url": AUTHORIZE_URL,
            "client_id": CLIENT_ID,
            "preview_client_id": PREVIEW_CLIENT_ID,
            "domain_verification_token": self.credentials.verify_token,
            "ca_bundle": str(self.certs.ca_path),
            "dns_nameserver": nameserver,
        }
        values = {"origin1": self.origins[0], "origin2": self.origins[1], "port": self.port}
        for name, value in case.profile.items():
            if isinstance(value, list):
                fields[name] = [str(v).format(**values) for v in value]
            else:
                fields[name] = str(value).format(**values) if isinstance(value, str) else value
        return Profile.model_validate(fields)


# --- running and judging --------------------------------------------------------------------


def run_probes(profile: Profile, secrets_: dict[SecretKey, str]) -> dict[str, ProbeResult]:
    """Every probe the checklist applies to this profile, as `onyx-wizard check` runs them."""
    probe_ids, _ = check.select(load_checklist(), profile)
    run = asyncio.run(check.run_check(probe_ids, profile, secrets_))
    return {result.probe_id: result for result in run.results}


@dataclass(frozen=True)
class Verdict:
    """Whether a case came out as it must, and what differed."""

    ok: bool
    problems: tuple[str, ...]


def _line(result: ProbeResult) -> str:
    return f"{result.probe_id}: {result.outcome.value} {result.reason_code} ({result.message})"


def judge(
    case: Case, results: Mapping[str, ProbeResult], baseline: Mapping[str, ProbeResult]
) -> Verdict:
    """`correct`: every probe passes (or is skipped for want of input); a valid variation: as
    `correct`; a fault: its probe fails with its reason code and every other as `correct`."""
    problems: list[str] = []
    for probe_id, result in results.items():
        if case.kind == "fault" and probe_id == case.probe:
            if (result.outcome, result.reason_code) != (Outcome.FAIL, case.reason_code):
                problems.append(f"expected fail {case.reason_code}; got {_line(result)}")
            continue
        if case.kind == "correct":
            if result.outcome not in (Outcome.PASS, Outcome.SKIPPED):
                problems.append(_line(result))
            continue
        base = baseline.get(probe_id)
        if base is None or result.outcome != base.outcome:
            was = base.outcome.value if base else "absent"
            problems.append(f"{_line(result)}; correct app: {was}")
    if case.kind == "fault" and case.probe not in results:
        problems.append(f"the probe {case.probe} did not run")
    return Verdict(not problems, tuple(problems))


@dataclass
class CaseRun:
    """One case's results and verdict."""

    stack: str
    case: Case
    results: dict[str, ProbeResult]
    verdict: Verdict
    seconds: float


@contextmanager
def nameserver() -> Iterator[str]:
    server = EmptyNameServer()
    try:
        yield server.address
    finally:
        server.close()


def run_stack(stack: str, names: list[str] | None = None) -> Iterator[CaseRun]:
    """Start the stack's app once, run `correct` and then each case (restarting only where a
    case needs other start-up settings), yielding each case's run as it finishes."""
    cases = load_cases()
    if names:
        unknown = set(names) - {case.name for case in cases}
        if unknown:
            raise ValueError(f"unknown case(s): {', '.join(sorted(unknown))}")
        cases = [case for case in cases if case.name in names or case is CORRECT]
    credentials = Credentials()
    with nameserver() as dns_address:
        baseline: dict[str, ProbeResult] = {}
        with PartnerApp(stack, credentials=credentials) as app:
            for case in cases:
                if case.restart:
                    continue
                yield _one(app, case, dns_address, baseline)
        for case in cases:
            if not case.restart:
                continue
            with PartnerApp(
                stack,
                credentials=credentials,
                cert=case.restart.get("cert", ""),
                tls_min_version=case.restart.get("tls_min_version", "TLSv1.2"),
                case=case.name,
            ) as app:
                yield _one(app, case, dns_address, baseline)


def _one(
    app: PartnerApp, case: Case, dns_address: str, baseline: dict[str, ProbeResult]
) -> CaseRun:
    start = time.perf_counter()
    if app.case != case.name:
        app.switch(case.name)
    results = run_probes(app.profile(case, dns_address), app.credentials.secrets())
    if case is CORRECT:
        baseline.update(results)
    verdict = judge(case, results, baseline)
    return CaseRun(app.stack, case, results, verdict, time.perf_counter() - start)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in STACKS:
        print(f"usage: python -m tests.partners.harness ({'|'.join(STACKS)}) [CASE ...]")
        return 2
    stack, names = argv[0], argv[1:]
    bad = 0
    for run in run_stack(stack, names or None):
        mark = "ok " if run.verdict.ok else "BAD"
        expect = f" → {run.case.probe} {run.case.reason_code}" if run.case.kind == "fault" else ""
        print(f"{mark} {run.case.kind:7} {run.case.name}{expect} ({run.seconds:.1f} s)")
        for problem in run.verdict.problems:
            print(f"      {problem}")
        if names:
            for result in run.results.values():
                print(f"      · {_line(result)}")
        bad += not run.verdict.ok
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
