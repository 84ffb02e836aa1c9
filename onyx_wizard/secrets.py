"""Credentials in the OS keyring (service `onyx-wizard`), never in a file.

The keyring user name is `<session>/<environment>/<key>`. In CI a secret may instead come from an
environment variable `ONYX_WIZARD_<KEY>`; it then wins over the keyring, and output names it.
Where no keyring backend is usable, `KeyringUnavailable` says so and names the fix; nothing ever
falls back to a clear-text file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from onyx_wizard.errors import ExitCode, OnyxError

SERVICE = "onyx-wizard"
# No real credential is this short; a shorter value is a placeholder or was cut off (and
# redacting it everywhere it occurs would garble every message).
MIN_LENGTH = 8
# Moves every keyring entry under another service name (the demo uses one of its own, emptied
# when it ends, so nothing it stores outlives it).
SERVICE_VARIABLE = "ONYX_WIZARD_KEYRING_SERVICE"


def service() -> str:
    """The keyring service this process stores its entries under."""
    return os.environ.get(SERVICE_VARIABLE) or SERVICE


class SecretKey(StrEnum):
    """The secrets a session may hold, with what each is for."""

    CLIENT_SECRET = "client_secret"
    PREVIEW_CLIENT_SECRET = "preview_client_secret"
    WEBHOOK_SECRET = "webhook_secret"
    VALID_ACCESS_TOKEN = "valid_access_token"
    EXPIRED_ACCESS_TOKEN = "expired_access_token"
    REVOKED_ACCESS_TOKEN = "revoked_access_token"
    REVOCATION_ACCESS_TOKEN = "revocation_access_token"

    @property
    def env_var(self) -> str:
        return f"ONYX_WIZARD_{self.value.upper()}"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    SecretKey.CLIENT_SECRET: "Production OAuth client secret",
    SecretKey.PREVIEW_CLIENT_SECRET: "Preview OAuth client secret",
    SecretKey.WEBHOOK_SECRET: "Webhook signing secret (whsec_…)",
    SecretKey.VALID_ACCESS_TOKEN: "A valid access token (for comparison)",
    SecretKey.EXPIRED_ACCESS_TOKEN: "An expired access token",
    SecretKey.REVOKED_ACCESS_TOKEN: "A revoked access token",
    SecretKey.REVOCATION_ACCESS_TOKEN: "A token of the test user the revocation probe revokes",
}

FIX = (
    "Install and unlock a Secret Service provider (e.g. gnome-keyring or KeePassXC) "
    "in this desktop session, or in CI set the ONYX_WIZARD_<KEY> environment variables "
    "(e.g. ONYX_WIZARD_WEBHOOK_SECRET)."
)


class KeyringUnavailable(OnyxError):
    """No usable keyring backend; the message names the fix that works for what was asked."""

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, detail: str, fix: str = FIX) -> None:
        self.detail = detail
        super().__init__(f"No usable OS keyring: {detail}. {fix}")


def parse_key(text: str) -> SecretKey:
    """The SecretKey named by `text`; ValueError listing the valid names otherwise."""
    try:
        return SecretKey(text.strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(key.value for key in SecretKey)
        raise ValueError(f"unknown secret {text!r}; choose one of: {names}") from None


def _backend() -> Any:
    """The keyring backend, or KeyringUnavailable when there is none worth using."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError as exc:  # pragma: no cover - keyring is a dependency
        raise KeyringUnavailable(f"the keyring package is missing ({exc})") from None
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a forced backend that cannot start raises its own errors
        raise KeyringUnavailable(f"{type(exc).__name__}: {exc}") from None
    if isinstance(backend, fail.Keyring):
        raise KeyringUnavailable("no keyring backend was found")
    name = type(backend).__module__
    if name.startswith(("keyrings.alt", "keyring.backends.null")) or "PlaintextKeyring" in repr(
        backend
    ):
        raise KeyringUnavailable(
            f"the only backend is {type(backend).__name__}, which is not secure"
        )
    try:
        priority = float(backend.priority)
    except Exception as exc:
        raise KeyringUnavailable(f"{type(backend).__name__} is not usable ({exc})") from None
    if priority <= 0:
        raise KeyringUnavailable(f"{type(backend).__name__} is not usable here")
    return backend


def _call(operation: str, func: Any, *args: str) -> Any:
    from keyring.errors import KeyringError

    try:
        return func(*args)
    except KeyringError as exc:
        raise KeyringUnavailable(f"{operation} failed ({exc or type(exc).__name__})") from None
    except Exception as exc:  # D-Bus and backend errors do not share a base class
        raise KeyringUnavailable(f"{operation} failed ({type(exc).__name__}: {exc})") from None


def read_keyring(user: str) -> str | None:
    """The value stored under `user` for this tool's service, or None when there is none."""
    value: str | None = _call("reading a secret", _backend().get_password, service(), user)
    return value


def write_keyring(user: str, value: str) -> None:
    """Store `value` under `user` for this tool's service (the keyring, nowhere else)."""
    _call("storing a secret", _backend().set_password, service(), user, value)


def delete_keyring(user: str) -> bool:
    """Remove what is stored under `user`; False when nothing was."""
    if read_keyring(user) is None:
        return False
    _call("deleting a secret", _backend().delete_password, service(), user)
    return True


@dataclass(frozen=True)
class SecretState:
    """Whether a secret is set, and where it would come from (never its value)."""

    key: SecretKey
    source: str  # "keyring", "env ONYX_WIZARD_…", or "" when unset


class SecretStore:
    """The secrets of one session and environment."""

    def __init__(self, session: str, environment: str) -> None:
        self.session = session
        self.environment = environment

    def username(self, key: SecretKey) -> str:
        return f"{self.session}/{self.environment}/{key.value}"

    def get(self, key: SecretKey) -> str | None:
        """The value from `ONYX_WIZARD_<KEY>` if set, else from the keyring, else None."""
        env = os.environ.get(key.env_var)
        if env:
            return env
        return read_keyring(self.username(key))

    def source(self, key: SecretKey) -> str:
        """Where `get` would find the secret, or '' when nowhere."""
        if os.environ.get(key.env_var):
            return f"env {key.env_var}"
        return "keyring" if self.get(key) is not None else ""

    def set(self, key: SecretKey, value: str) -> None:
        """Store a secret in the keyring (never anywhere else)."""
        if not value:
            raise ValueError("an empty secret cannot be stored; use delete to remove one")
        if len(value) < MIN_LENGTH:
            raise ValueError(
                f"{len(value)} characters is too short for a real {key.value} (at least "
                f"{MIN_LENGTH}): was it cut off, or a placeholder?"
            )
        write_keyring(self.username(key), value)

    def delete(self, key: SecretKey) -> bool:
        """Remove a secret from the keyring; False when it was not there."""
        return delete_keyring(self.username(key))

    def states(self) -> list[SecretState]:
        """Which secrets are set and where, for every known key."""
        return [SecretState(key, self.source(key)) for key in SecretKey]

    def values(self) -> list[str]:
        """Every secret value this session holds (for the scanner and leak checks)."""
        found = [self.get(key) for key in SecretKey]
        return [value for value in found if value]


@dataclass(frozen=True)
class LoadedSecrets:
    """The secrets found for a run, and why the keyring could not be read (if it could not)."""

    values: dict[SecretKey, str]
    keyring_problem: str = ""

    @property
    def too_short(self) -> list[SecretKey]:
        """Secrets shorter than any real one (a placeholder, or a value cut off)."""
        return [key for key, value in self.values.items() if len(value) < MIN_LENGTH]


def load_secrets(session: str | None, environment: str) -> LoadedSecrets:
    """Every secret available from `ONYX_WIZARD_<KEY>` variables or the keyring.

    With no session (a bare profile file) only the variables are read.

    A keyring that cannot be used is not an error here: the probes that need a missing secret
    are skipped, and `keyring_problem` says why the keyring gave nothing.
    """
    store = SecretStore(session or "", environment)
    values: dict[SecretKey, str] = {}
    problem = "" if session else "no session: secrets come from ONYX_WIZARD_<KEY> variables only"
    for key in SecretKey:
        env = os.environ.get(key.env_var)
        if env:
            values[key] = env
            continue
        if problem:
            continue  # the keyring already failed (or there is no session to look under)
        try:
            value = store.get(key)
        except KeyringUnavailable as exc:
            problem = str(exc)
            continue
        if value:
            values[key] = value
    return LoadedSecrets(values, problem)
