"""The sample partner app: a real HTTPS server on 127.0.0.1 with named faults.

`DemoDeployment` runs "Acme Messenger (demo)": a login that starts an Onyx sign-in, the OAuth
callback, a protected API with CORS, a Standard Webhooks receiver with an idempotency store, a
privacy notice, the domain verification file, and a UDP DNS server answering the verification
TXT record. By default every behaviour is correct; each named fault (see `faults.toml`) breaks
exactly one, so the matching probe fails and every other probe still passes.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from onyx_wizard.checklist import scope_catalogue
from onyx_wizard.demo.certs import DemoCertificates, make_certificates
from onyx_wizard.demo.dns import DnsServer
from onyx_wizard.demo.faults import check_fault_names
from onyx_wizard.demo.http import HOST, DemoHttpServer, DemoUrls
from onyx_wizard.demo.planted import plant_logs_and_evidence
from onyx_wizard.demo.routes import ROUTES
from onyx_wizard.demo.state import DemoState, RequestRecord
from onyx_wizard.demo.tokens import REVOCABLE_SUBJECT
from onyx_wizard.profile import Environment, PartnerConnectivity, Profile
from onyx_wizard.secrets import SecretKey

# The demo uses every feature, so every checklist item applies to it.
FEATURES = ("sign-in", "messaging", "events", "partner-connectivity")


class DemoDeployment:
    """The sample partner app on loopback; a context manager that starts and stops it.

    `DemoDeployment(["cors-reflect-origin"])` breaks one behaviour; unknown fault names raise
    ValueError listing the valid ones. Secrets exist only in this object's memory.
    """

    def __init__(self, faults: Iterable[str] = (), latency_ms: float = 0) -> None:
        # What the request threads share; it checks the fault names and the latency.
        self.state = DemoState(faults=tuple(dict.fromkeys(faults)), latency=latency_ms / 1000)
        self.latency = self.state.latency  # seconds added before every answer
        self.client_id = self.state.client_id
        self.preview_client_id = self.state.preview_client_id
        self.verification_token = self.state.verification_token
        self._started = False
        self._http: DemoHttpServer | None = None
        self._dns: DnsServer | None = None
        self._threads: list[threading.Thread] = []
        self._folder: Path | None = None
        self._certs: DemoCertificates | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> DemoDeployment:
        """Make the certificates and start the HTTPS and DNS servers; returns self."""
        if self._started:
            raise RuntimeError("this demo deployment was already started")
        self._started = True
        state = self.state
        try:
            self._folder = Path(tempfile.mkdtemp(prefix="onyx-demo-"))
            self._certs = make_certificates(self._folder, expiring=state.has_fault("tls-expiring"))
            plant_logs_and_evidence(self._folder, state)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(self._certs.cert_path, self._certs.key_path)
            http = self._http = DemoHttpServer(state, context, ROUTES)
            dns = self._dns = DnsServer(state, HOST)
            self._threads = [
                threading.Thread(
                    target=lambda: http.serve_forever(poll_interval=0.05),
                    name="onyx-demo-https",
                    daemon=True,
                ),
                threading.Thread(target=dns.serve, name="onyx-demo-dns", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both servers, wake any slow request, and remove the certificate folder."""
        self.state.stopping.set()
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
        return self.state.faults

    def redeploy(self, faults: Iterable[str]) -> None:
        """Serve with these faults from now on, on the same address: a deploy that changed
        the app's behaviour (faults fixed at start, such as certificates and credentials,
        keep their start-up value)."""
        names = tuple(dict.fromkeys(faults))
        check_fault_names(list(names))
        self.state.faults = names

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
        return self._dns.port

    @property
    def base_url(self) -> str:
        return self._urls().base

    @property
    def redirect_uri(self) -> str:
        return self._urls().redirect_uri

    @property
    def authorize_url(self) -> str:
        return self._urls().authorize_url

    @property
    def ca_path(self) -> Path:
        """The throwaway CA certificate (the profile's `ca_bundle`)."""
        return self.certificates.ca_path

    @property
    def certificates(self) -> DemoCertificates:
        if self._certs is None:
            raise RuntimeError("the demo deployment is not started")
        return self._certs

    @property
    def requests(self) -> list[RequestRecord]:
        """The most recent answered requests (a bounded log), oldest first."""
        return self.state.requests()

    @property
    def processed_webhooks(self) -> list[str]:
        """The webhook-ids processed (first deliveries only), in order."""
        return self.state.processed_webhooks()

    def profile(self) -> Profile:
        """The profile of this deployment, with any profile fault applied."""
        state, urls, port = self.state, self._urls(), self.port
        redirect_uris = [urls.redirect_uri]
        if state.has_fault("redirect-uri-not-https"):
            redirect_uris.append(f"http://localhost:{port}/onyx/alt-callback")
        if state.has_fault("redirect-uri-wildcard"):
            redirect_uris.append(f"https://*.localhost:{port}/onyx/callback")
        # Exactly what the declared features need, per the probes' scope catalogue.
        scopes = scope_catalogue().needed(FEATURES)
        if state.has_fault("scope-not-needed"):
            scopes.append("contacts:read")
        catalogue = "2026.11" if state.has_fault("catalogue-unapproved") else "2026.10"
        return Profile(
            app_name="Acme Messenger (demo)",
            app_description="The onyx-wizard sample partner app, served on loopback.",
            environment=Environment.PRODUCTION,
            production_domain=f"localhost:{port}",
            allowed_origins=[urls.base],
            redirect_uris=redirect_uris,
            login_url=f"{urls.base}/login/onyx",
            protected_url=f"{urls.base}/api/v1/me",
            revocation_test_user=REVOCABLE_SUBJECT,
            webhook_url=f"{urls.base}/onyx/events",
            webhook_events=["message.delivered", "message.blocked", "access.revoked"],
            privacy_notice_url=f"{urls.base}/privacy",
            features=list(FEATURES),
            requested_scopes=scopes,
            onyx_authorize_url=urls.authorize_url,
            client_id=state.client_id,
            preview_client_id=state.preview_client_id,
            domain_verification_token=state.verification_token,
            ca_bundle=str(self.ca_path),
            dns_nameserver=f"{HOST}:{self.dns_port}",
            log_paths=[str(self._data_folder() / "logs")],
            evidence_dir=str(self._data_folder() / "evidence"),
            partner_connectivity=PartnerConnectivity(
                catalogue_version=catalogue, approved_catalogue_version="2026.10"
            ),
        )

    def secrets(self) -> dict[SecretKey, str]:
        """The demo's secrets (memory only), with the secrets fault applied."""
        secrets, tokens = self.state.secrets, self.state.tokens
        return {
            SecretKey.CLIENT_SECRET: secrets.client_secret,
            SecretKey.PREVIEW_CLIENT_SECRET: secrets.preview_secret,
            SecretKey.WEBHOOK_SECRET: secrets.webhook_secret,
            SecretKey.VALID_ACCESS_TOKEN: tokens.valid,
            SecretKey.EXPIRED_ACCESS_TOKEN: tokens.expired,
            SecretKey.REVOKED_ACCESS_TOKEN: tokens.revoked,
            SecretKey.REVOCATION_ACCESS_TOKEN: tokens.revocable,
        }

    def _urls(self) -> DemoUrls:
        if self._http is None:
            raise RuntimeError("the demo deployment is not started")
        return self._http.urls

    def _data_folder(self) -> Path:
        if self._folder is None:
            raise RuntimeError("start the demo deployment first")
        return self._folder
