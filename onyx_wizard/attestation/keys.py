"""Ed25519 signing keys: the private key lives only in the OS keyring, never in a file.

Keyring entry: service `onyx-wizard` (or `$ONYX_WIZARD_KEYRING_SERVICE`), user name
`signing-key/<name>`, value the private key as unencrypted PKCS#8 PEM text (the keyring is what
protects it). The keyring cannot list its
entries, so `<data dir>/keys.toml` indexes the key names with their key ids and creation times:
public data only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import tomli_w
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Strict

from onyx_wizard import paths
from onyx_wizard.attestation._errors import (
    KeyIndexError,
    NoSigningKey,
    SigningKeyError,
    SigningKeyExists,
)
from onyx_wizard.files import write_atomic
from onyx_wizard.secrets import (
    KeyringUnavailable,
    delete_keyring,
    read_keyring,
    write_keyring,
)
from onyx_wizard.session import now
from onyx_wizard.tomlmodel import load_toml_model

DEFAULT_KEY = "default"
KEYRING_PREFIX = "signing-key/"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_INDEX_HEADER = (
    "# onyx-wizard signing keys: names and key ids only (public data).\n"
    "# The private keys are in the OS keyring (service onyx-wizard, user signing-key/<name>).\n\n"
)


# Signing keys have no environment-variable stand-in (unlike a session's secrets).
KEYRING_FIX = (
    "Signing keys live only in the OS keyring: install and unlock a Secret Service provider "
    "(e.g. gnome-keyring or KeePassXC) in this desktop session; in CI, start one with "
    "`dbus-run-session` and an unlocked gnome-keyring."
)


@dataclass(frozen=True)
class KeyInfo:
    """A signing key as the index knows it: its name, key id and when it was made.

    `in_keyring` is False for an index entry whose private key is no longer in the keyring.
    """

    name: str
    key_id: str
    created_at: datetime | None = None
    in_keyring: bool = True


def _read(user: str) -> str | None:
    try:
        return read_keyring(user)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(exc.detail, KEYRING_FIX) from None


def _write(user: str, value: str) -> None:
    try:
        write_keyring(user, value)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(exc.detail, KEYRING_FIX) from None


def _delete(user: str) -> bool:
    try:
        return delete_keyring(user)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(exc.detail, KEYRING_FIX) from None


def check_key_name(name: str) -> None:
    """Key names: letters, digits, `.`, `_`, `-`, at most 64 (they become keyring user names)."""
    if not _NAME.match(name):
        raise SigningKeyError(
            f"{name!r} is not a valid key name: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )


def key_id(public_key: Ed25519PublicKey) -> str:
    """Hex sha256 of the raw 32-byte public key: the `keyid` hint in signatures."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as SubjectPublicKeyInfo PEM, what `verify --key` reads."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def read_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file; SigningKeyError names the file when it is not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read public key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise SigningKeyError(f"{path} is not a public key in PEM form") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} is a {type(key).__name__}, not an Ed25519 public key")
    return key


def _user(name: str) -> str:
    check_key_name(name)
    return KEYRING_PREFIX + name


def has_key(name: str = DEFAULT_KEY) -> bool:
    """Whether the OS keyring holds a private key of that name (KeyringUnavailable if none)."""
    return _read(_user(name)) is not None


def load_private_key(name: str = DEFAULT_KEY) -> Ed25519PrivateKey:
    """The private key from the OS keyring; NoSigningKey when there is none of that name."""
    text = _read(_user(name))
    if text is None:
        raise NoSigningKey(name)
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SigningKeyError(
            f"the keyring entry {KEYRING_PREFIX}{name} is not a PEM private key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the keyring entry {KEYRING_PREFIX}{name} is not an Ed25519 key")
    return key


def public_key(name: str = DEFAULT_KEY) -> Ed25519PublicKey:
    """The public half of the named key (derived from the private key in the keyring)."""
    return load_private_key(name).public_key()


def public_pem(name: str = DEFAULT_KEY) -> str:
    """The named key's public key as PEM, what a verifier is given."""
    return public_key_pem(public_key(name))


def generate(name: str = DEFAULT_KEY, replace: bool = False) -> KeyInfo:
    """Make an Ed25519 key pair, store the private key in the keyring and index the key id."""
    user = _user(name)
    index = _read_index()  # a broken index stops us before the keyring is touched
    if not replace and _read(user) is not None:
        if name not in index:  # known to the keyring, not to the index: index it now
            index[name] = KeyInfo(name, key_id(public_key(name)))
            _write_index(index)
        raise SigningKeyExists(name)
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    _write(user, pem)
    info = KeyInfo(name, key_id(private_key.public_key()), now())
    index[name] = info
    _write_index(index)
    return info


def delete(name: str) -> bool:
    """Remove a key from the keyring and the index; False when the keyring had none."""
    user = _user(name)
    index = _read_index()  # as in generate: a broken index stops us before the keyring
    removed = _delete(user)
    if index.pop(name, None) is not None:
        _write_index(index)
    return removed


def list_keys() -> list[KeyInfo]:
    """The signing keys, by name: the index checked against the keyring.

    Each index entry says whether its private key is still in the keyring. A `default` key
    in the keyring that the index lacks (an index deleted or from another data folder) is
    added to the index, so the two never disagree about it. KeyringUnavailable (exit 3) when
    there is no keyring to check against.
    """
    index = _read_index()
    listed = [
        KeyInfo(info.name, info.key_id, info.created_at, _read(_user(info.name)) is not None)
        for info in index.values()
    ]
    if DEFAULT_KEY not in index and _read(_user(DEFAULT_KEY)) is not None:
        info = KeyInfo(DEFAULT_KEY, key_id(public_key(DEFAULT_KEY)))
        index[DEFAULT_KEY] = info
        _write_index(index)
        listed.append(info)
    return sorted(listed, key=lambda info: info.name)


def index_path() -> Path:
    return paths.data_dir() / "keys.toml"


class KeyEntry(BaseModel):
    """One `[keys.<name>]` table of the index."""

    # Fields a newer version adds are ignored, so an older one still reads its index.
    model_config = ConfigDict(extra="ignore")

    key_id: str
    # Strict: a TOML date-time only (lax mode would read a number as seconds since 1970).
    created_at: Annotated[datetime, Strict()] | None = None


class KeyIndex(BaseModel):
    """The index file, keys.toml: key names with their key ids and creation times."""

    model_config = ConfigDict(extra="ignore")

    keys: dict[str, KeyEntry] = {}


def _read_index() -> dict[str, KeyInfo]:
    """The index; none yet is an empty one. A broken one raises KeyIndexError (and is kept)."""
    path = index_path()
    if not path.exists():
        return {}
    index = load_toml_model(path, KeyIndex, error=KeyIndexError)
    return {
        name: KeyInfo(name, entry.key_id, entry.created_at) for name, entry in index.keys.items()
    }


def _write_index(index: dict[str, KeyInfo]) -> None:
    table: dict[str, dict[str, object]] = {}
    for name in sorted(index):
        info = index[name]
        entry: dict[str, object] = {"key_id": info.key_id}
        if info.created_at is not None:
            entry["created_at"] = info.created_at
        table[name] = entry
    text = _INDEX_HEADER + tomli_w.dumps({"keys": table})
    write_atomic(index_path(), text.encode("utf-8"), mode=0o600, private_folder=True)
