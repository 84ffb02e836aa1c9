"""What the demo's request threads share: its faults, identity, secrets, tokens and stores."""

from __future__ import annotations

import base64
import hashlib
import secrets as rnd
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from standardwebhooks.webhooks import Webhook

from onyx_wizard.demo.faults import check_fault_names, load_faults
from onyx_wizard.demo.tokens import SUBJECT, AccessTokens, b64url

REQUEST_LOG_SIZE = 1000
STORE_SIZE = 10_000  # bound on pending logins, sessions and seen webhook ids
_V = TypeVar("_V")


class RequestRecord(NamedTuple):
    """One answered request: method, path (query left out: it may hold codes), status."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class PendingLogin:
    """A sign-in started at the login URL and not yet back at the callback."""

    verifier: str
    next_path: str | None


@dataclass(frozen=True)
class DemoSecrets:
    """The demo's credentials; they live only in memory."""

    client_secret: str
    preview_secret: str
    webhook_secret: str

    @classmethod
    def generate(cls, *, shared: bool) -> DemoSecrets:
        """Fresh random secrets; `shared` gives preview the production client secret."""
        client = rnd.token_urlsafe(32)
        return cls(
            client_secret=client,
            preview_secret=client if shared else rnd.token_urlsafe(32),
            webhook_secret="whsec_" + base64.b64encode(rnd.token_bytes(32)).decode("ascii"),
        )


def _trim(store: OrderedDict[str, _V]) -> None:
    while len(store) > STORE_SIZE:
        store.popitem(last=False)


@dataclass(eq=False)
class DemoState:
    """The faults in force, the demo's identity, secrets and tokens, and its bounded stores.

    Every fault check goes through `has_fault`, which rejects a name `faults.toml` does not
    define, so a misspelt fault fails loudly instead of silently never firing.
    """

    faults: tuple[str, ...] = ()
    latency: float = 0.0  # seconds added before every answer, as across a network
    client_id: str = "acme-demo-prod"
    preview_client_id: str = "acme-demo-preview"
    verification_token: str = field(default_factory=lambda: f"onyx-verify-{rnd.token_hex(16)}")
    tokens: AccessTokens = field(default_factory=AccessTokens)
    # Set when the deployment stops: wakes latency and slow-webhook waits, ends the DNS loop.
    stopping: threading.Event = field(default_factory=threading.Event)
    secrets: DemoSecrets = field(init=False)
    webhook: Webhook = field(init=False)
    static_state: str = field(init=False)  # what authorize-static-state sends every time
    pending_revocations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_fault_names(list(self.faults))
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        self.secrets = DemoSecrets.generate(shared=self.has_fault("credentials-shared"))
        self.webhook = Webhook(self.secrets.webhook_secret)
        self.static_state = b64url(rnd.token_bytes(32))
        self._lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._errors = 0
        self._pending: OrderedDict[str, PendingLogin] = OrderedDict()
        self._sessions: OrderedDict[str, str] = OrderedDict()
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._processed: list[str] = []

    def has_fault(self, name: str) -> bool:
        """Whether fault `name` is in force; ValueError when `faults.toml` has no such fault."""
        if name not in load_faults():
            check_fault_names([name])  # raises, naming the valid faults
        return name in self.faults

    # -- the request log --------------------------------------------------------------------

    def log_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def note_error(self) -> None:
        """Count a failed handshake or a dropped connection."""
        with self._lock:
            self._errors += 1

    def requests(self) -> list[RequestRecord]:
        """The most recent answered requests (a bounded log), oldest first."""
        with self._lock:
            return list(self._log)

    # -- sign-ins and sessions --------------------------------------------------------------

    def remember_login(self, state: str, pending: PendingLogin) -> None:
        with self._lock:
            self._pending[state] = pending
            _trim(self._pending)

    def take_login(self, state: str) -> PendingLogin | None:
        with self._lock:
            return self._pending.pop(state, None)

    def new_session(self) -> str:
        session = b64url(rnd.token_bytes(32))
        with self._lock:
            self._sessions[session] = SUBJECT
            _trim(self._sessions)
        return session

    def session_subject(self, session: str) -> str | None:
        if not session:
            return None
        with self._lock:
            return self._sessions.get(session)

    # -- webhook idempotency ----------------------------------------------------------------

    def revoke_user(self, user: str) -> None:
        """End `user`'s access: their tokens stop working and their sessions end."""
        with self._lock:
            self.tokens.revoke_user(user)
            for session in [s for s, owner in self._sessions.items() if owner == user]:
                del self._sessions[session]

    def revoke_after_restart(self, user: str) -> None:
        """The faulty app queues the revocation for its next start (which never comes)."""
        with self._lock:
            self.pending_revocations.append(user)

    def first_delivery(self, message_id: str, body: bytes) -> bool:
        """Record a webhook-id; False when it was seen before (a retry: do not reprocess)."""
        with self._lock:
            if message_id in self._seen:
                return False
            self._seen[message_id] = hashlib.sha256(body).hexdigest()
            _trim(self._seen)
            self._processed.append(message_id)
            del self._processed[:-STORE_SIZE]
            return True

    def processed_webhooks(self) -> list[str]:
        """The webhook-ids processed (first deliveries only), in order."""
        with self._lock:
            return list(self._processed)
