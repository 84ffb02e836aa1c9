"""Signed attestation summaries: an in-toto Statement v1 in a DSSE envelope, Ed25519-signed.

Keys live in the OS keyring (`keys`), `export_session` signs a session's launch-readiness
statement, `countersign` adds a reviewer's signature, `verify_file` checks one offline.
docs/attestation.md describes the format.
"""

from __future__ import annotations

from onyx_wizard.attestation._errors import (
    AlreadySigned,
    AttestationError,
    EnvelopeError,
    EvidenceFileError,
    KeyIndexError,
    NoSigningKey,
    NotReady,
    SigningKeyError,
    SigningKeyExists,
)
from onyx_wizard.attestation.dsse import IN_TOTO_PAYLOAD_TYPE, Envelope, pae, parse_envelope
from onyx_wizard.attestation.export import (
    CountersignResult,
    ExportResult,
    countersign,
    export_session,
)
from onyx_wizard.attestation.keys import DEFAULT_KEY, KeyInfo, has_key, key_id
from onyx_wizard.attestation.statement import PREDICATE_TYPE, STATEMENT_TYPE, LaunchReadiness
from onyx_wizard.attestation.verify import Verification, verify_envelope, verify_file

__all__ = [
    "DEFAULT_KEY",
    "IN_TOTO_PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "AlreadySigned",
    "AttestationError",
    "CountersignResult",
    "Envelope",
    "EnvelopeError",
    "EvidenceFileError",
    "ExportResult",
    "KeyIndexError",
    "KeyInfo",
    "LaunchReadiness",
    "NoSigningKey",
    "NotReady",
    "SigningKeyError",
    "SigningKeyExists",
    "Verification",
    "countersign",
    "export_session",
    "has_key",
    "key_id",
    "pae",
    "parse_envelope",
    "verify_envelope",
    "verify_file",
]
