"""Export a session as a signed attestation, and countersign one.

`export_session` is the one function the CLI and the TUI's review screen both call.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from onyx_wizard.attestation._errors import (
    AlreadySigned,
    AttestationError,
    EnvelopeError,
    NotReady,
)
from onyx_wizard.attestation.dsse import IN_TOTO_PAYLOAD_TYPE, Envelope, parse_envelope
from onyx_wizard.attestation.keys import DEFAULT_KEY, key_id, load_private_key
from onyx_wizard.attestation.markdown import render_markdown
from onyx_wizard.attestation.statement import (
    PREDICATE_TYPE,
    EvidenceFile,
    LaunchReadiness,
    Statement,
    build_statement,
)
from onyx_wizard.files import write_atomic
from onyx_wizard.gate import Verdict, evaluate
from onyx_wizard.session import OpenSession, now

# Exported files are meant to be handed on; only the tool's own data is kept private.
_SHARED_MODE = 0o644


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote, with which key, and the verdict it carries."""

    envelope_path: Path
    markdown_path: Path | None
    key_name: str
    key_id: str
    verdict: Verdict
    draft: bool
    statement_digest: str
    evidence: list[EvidenceFile]

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.envelope_path, self.markdown_path) if p is not None]


def statement_digest(payload: bytes) -> str:
    """sha256 of the DSSE payload: names one statement, whatever signatures it gathers."""
    return hashlib.sha256(payload).hexdigest()


def export_session(
    opened: OpenSession,
    out_path: Path,
    markdown_path: Path | None = None,
    draft: bool = False,
    key_name: str = DEFAULT_KEY,
    when: datetime | None = None,
    private_key: Ed25519PrivateKey | None = None,
) -> ExportResult:
    """Sign the session's launch-readiness statement with a keyring key and write the files.

    `private_key`, when given, is used instead of the keyring's key (embedding, tests). Raises
    NotReady (not ready and not a draft), EvidenceFileError (a referenced file is missing),
    NoSigningKey, or KeyringUnavailable; nothing is written when any is raised.
    """
    if markdown_path is not None and markdown_path.absolute() == out_path.absolute():
        raise AttestationError("the envelope and the Markdown summary need different files")
    when = when or now()
    verdict = evaluate(opened.session, opened.checklist, when)
    if not verdict.ready and not draft:
        raise NotReady(opened.name, verdict.blockers)
    statement, files = build_statement(
        opened.session, opened.checklist, verdict, generated_at=when, draft=draft
    )
    private_key = private_key or load_private_key(key_name)
    payload = statement.to_payload()
    envelope = Envelope(IN_TOTO_PAYLOAD_TYPE, payload).signed_by(private_key)
    kid = key_id(private_key.public_key())
    write_atomic(out_path, envelope.to_json(), mode=_SHARED_MODE)
    digest = statement_digest(payload)
    if markdown_path is not None:
        predicate = LaunchReadiness.model_validate(statement.predicate)
        text = render_markdown(predicate, [kid], digest)
        write_atomic(markdown_path, text.encode("utf-8"), mode=_SHARED_MODE)
    result = ExportResult(out_path, markdown_path, key_name, kid, verdict, draft, digest, files)
    opened.record_export(result.paths, kid, draft)
    return result


@dataclass(frozen=True)
class CountersignResult:
    """The key that countersigned and the key ids the envelope now carries (as hints)."""

    key_name: str
    key_id: str
    keyids: list[str]


def read_attestation(envelope: Envelope) -> LaunchReadiness:
    """The launch-readiness predicate of an envelope this tool made (signatures NOT checked)."""
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise AttestationError(
            f"payloadType is {envelope.payload_type!r}, expected {IN_TOTO_PAYLOAD_TYPE}"
        )
    try:
        statement = Statement.model_validate_json(envelope.payload)
        if statement.predicate_type != PREDICATE_TYPE:
            raise AttestationError(
                f"predicateType is {statement.predicate_type!r}, expected {PREDICATE_TYPE}"
            )
        return LaunchReadiness.model_validate(statement.predicate)
    except ValidationError as exc:
        raise AttestationError(f"the payload is not a launch-readiness statement: {exc}") from None


def countersign(
    envelope_path: Path, key_name: str = DEFAULT_KEY, markdown_path: Path | None = None
) -> CountersignResult:
    """Add a signature by another key over the same PAE bytes; the payload stays as it is.

    Refuses (AlreadySigned) when the key already signed it, by keyid or by a valid signature.
    """
    try:
        data = envelope_path.read_bytes()
    except OSError as exc:
        raise AttestationError(f"cannot read {envelope_path}: {exc.strerror or exc}") from None
    try:
        envelope = parse_envelope(data)
    except EnvelopeError as exc:
        raise EnvelopeError(f"{envelope_path}: {exc}") from None
    # A reviewer's key signs launch-readiness statements only, never arbitrary payloads.
    predicate = read_attestation(envelope)
    private_key = load_private_key(key_name)
    public_key = private_key.public_key()
    kid = key_id(public_key)
    if any(s.keyid == kid for s in envelope.signatures) or envelope.valid_signers([public_key]):
        raise AlreadySigned(f"{envelope_path} is already signed by key {key_name} ({kid})")
    signed = envelope.signed_by(private_key)
    mode = stat.S_IMODE(envelope_path.stat().st_mode)
    write_atomic(envelope_path, signed.to_json(), mode=mode)
    keyids = [s.keyid for s in signed.signatures]
    if markdown_path is not None:
        text = render_markdown(predicate, keyids, statement_digest(signed.payload))
        write_atomic(markdown_path, text.encode("utf-8"), mode=_SHARED_MODE)
    return CountersignResult(key_name, kid, keyids)
