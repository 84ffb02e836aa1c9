"""Verify a signed attestation offline, in the in-toto validation model's order.

Signatures by trusted keys → payloadType → `_type` → subject digests → predicateType →
predicate. After the signatures hold, only the verified payload bytes are read: nothing is
taken from the envelope's JSON again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from onyx_wizard.attestation._errors import EnvelopeError
from onyx_wizard.attestation.dsse import IN_TOTO_PAYLOAD_TYPE, parse_envelope
from onyx_wizard.attestation.export import statement_digest
from onyx_wizard.attestation.keys import key_id, read_public_key
from onyx_wizard.attestation.statement import (
    PREDICATE_TYPE,
    PROFILE_SUBJECT,
    STATEMENT_TYPE,
    LaunchReadiness,
    Statement,
    Subject,
    VerdictEntry,
    file_sha256,
)


@dataclass(frozen=True)
class Verification:
    """The answer of `verify`: ok, or the one reason it is not; what was verified, if ok."""

    ok: bool
    reason: str = ""
    signers: list[str] = field(default_factory=list)
    statement_digest: str = ""
    predicate: LaunchReadiness | None = None
    evidence_checked: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> VerdictEntry | None:
        return self.predicate.verdict if self.predicate else None


def _failed(reason: str, signers: Sequence[str] = ()) -> Verification:
    return Verification(False, reason, list(signers))


def check_threshold(trusted: Sequence[Ed25519PublicKey], threshold: int) -> None:
    """ValueError when the threshold can never be met with these keys (a usage error)."""
    if threshold < 1:
        raise ValueError(f"the threshold must be at least 1, not {threshold}")
    distinct = len({key_id(k) for k in trusted})
    if threshold > distinct:
        raise ValueError(
            f"threshold {threshold} needs at least {threshold} distinct trusted keys; "
            f"{distinct} given"
        )


def verify_envelope(
    data: bytes,
    trusted: Sequence[Ed25519PublicKey],
    threshold: int = 1,
    evidence_dir: Path | None = None,
) -> Verification:
    """Check an envelope's bytes against trusted public keys and an optional evidence folder."""
    check_threshold(trusted, threshold)
    try:
        envelope = parse_envelope(data)
    except EnvelopeError as exc:
        return _failed(str(exc))
    signers = envelope.valid_signers(trusted)
    if len(signers) < threshold:
        n = len(envelope.signatures)
        return _failed(
            f"signature check failed: {len(signers)} of {threshold} required trusted keys "
            f"signed (the envelope carries {n} signature{'s' if n != 1 else ''})",
            signers,
        )
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        return _failed(
            f"payloadType is {envelope.payload_type!r}, expected {IN_TOTO_PAYLOAD_TYPE}", signers
        )
    payload = envelope.payload  # the exact bytes the signatures were checked over
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _failed(f"payload is not JSON ({exc})", signers)
    kind = document.get("_type") if isinstance(document, dict) else None
    if kind != STATEMENT_TYPE:
        return _failed(f"_type is {kind!r}, expected {STATEMENT_TYPE}", signers)
    try:
        statement = Statement.model_validate(document)
    except ValidationError as exc:
        return _failed(f"statement is malformed: {_first_error(exc)}", signers)
    checked: list[str] = []
    if evidence_dir is not None:
        for subject in statement.subject:
            if subject.name == PROFILE_SUBJECT:
                continue
            problem = _check_evidence(subject, evidence_dir)
            if problem:
                return _failed(problem, signers)
            checked.append(subject.name)
    if statement.predicate_type != PREDICATE_TYPE:
        return _failed(
            f"predicateType is {statement.predicate_type!r}, expected {PREDICATE_TYPE}", signers
        )
    try:
        predicate = LaunchReadiness.model_validate(statement.predicate)
    except ValidationError as exc:
        return _failed(f"predicate is malformed: {_first_error(exc)}", signers)
    return Verification(True, "", signers, statement_digest(payload), predicate, checked)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


@dataclass(frozen=True)
class EvidenceCheck:
    """How an evidence file compares with its signed digest: `state` is "ok", "outside" (the
    name leaves the evidence folder), "missing", "unreadable" or "changed"."""

    state: str
    path: Path
    detail: str = ""


def check_evidence_file(name: str, expected: str, folder: Path | None) -> EvidenceCheck:
    """The file `name` (resolved in `folder` when relative) against its signed sha256."""
    path = Path(name)
    if not path.is_absolute():
        if folder is None:
            return EvidenceCheck("unreadable", path, "no evidence folder given")
        path = Path(os.path.normpath(folder / path))
        if not path.is_relative_to(os.path.normpath(folder)):
            return EvidenceCheck("outside", path)
    try:
        actual = file_sha256(path)
    except FileNotFoundError:
        return EvidenceCheck("missing", path)
    except OSError as exc:
        return EvidenceCheck("unreadable", path, str(exc.strerror or exc))
    return EvidenceCheck("ok" if actual == expected else "changed", path)


def _check_evidence(subject: Subject, folder: Path) -> str:
    """'' when the subject's file is in `folder` with the signed digest; else what is wrong."""
    name = subject.name
    expected = subject.digest.get("sha256")
    if expected is None:
        return f"evidence file {name}: the statement gives no sha256 digest"
    found = check_evidence_file(name, expected, folder)
    return {
        "ok": "",
        "outside": f"evidence file {name}: outside the evidence folder",
        "missing": f"evidence file {name}: not found (looked at {found.path})",
        "unreadable": f"evidence file {name}: cannot be read ({found.detail})",
        "changed": f"evidence file {name}: sha256 mismatch",
    }[found.state]


def verify_file(
    path: Path,
    key_paths: Sequence[Path],
    threshold: int = 1,
    evidence_dir: Path | None = None,
) -> Verification:
    """`verify_envelope` on a file, with trusted keys from PEM files.

    SigningKeyError for a key file that is not an Ed25519 public key, OSError for an envelope
    that cannot be read, ValueError for a threshold that can never be met.
    """
    trusted = [read_public_key(p) for p in key_paths]
    return verify_envelope(path.read_bytes(), trusted, threshold, evidence_dir)
