"""DSSE v1: pre-authentication encoding, the JSON envelope, and pure Ed25519 over it.

Follows secure-systems-lab/dsse (protocol.md, envelope.md v1.0.2). Signatures cover
`PAE(payloadType, payload)`, never the envelope's JSON, so re-serialising an envelope
(e.g. when a countersignature is added) cannot break the signatures already in it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onyx_wizard.attestation._errors import EnvelopeError
from onyx_wizard.attestation.keys import key_id

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
_B64_CHARS = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")


def pae(payload_type: str, payload: bytes) -> bytes:
    """`"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, each LEN the byte length in ASCII."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def b64encode(data: bytes) -> str:
    """Standard, padded base64 (what this tool writes)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode standard or URL-safe base64, padded or not (DSSE verifiers must take both)."""
    if not _B64_CHARS.match(text) or len(text.rstrip("=")) % 4 == 1:
        raise ValueError("not base64")
    unpadded = text.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope; `keyid` is a hint for finding the key, nothing more."""

    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope, its payload already decoded to bytes."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...] = field(default_factory=tuple)

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)

    def signed_by(self, private_key: Ed25519PrivateKey) -> Envelope:
        """A copy with one more signature, by `private_key`, over the same PAE bytes."""
        sig = Signature(key_id(private_key.public_key()), private_key.sign(self.pae()))
        return Envelope(self.payload_type, self.payload, (*self.signatures, sig))

    def valid_signers(self, trusted: Sequence[Ed25519PublicKey]) -> list[str]:
        """Key ids of the DISTINCT trusted keys that made a valid signature.

        Every trusted key is tried against every signature: a `keyid` is attacker-controlled,
        so it may only ever save work, never decide.
        """
        message = self.pae()
        signers: dict[str, None] = {}
        for public_key in trusted:
            kid = key_id(public_key)
            if kid in signers:
                continue  # the same key given twice counts once
            for signature in self.signatures:
                try:
                    public_key.verify(signature.sig, message)
                except InvalidSignature:
                    continue
                signers[kid] = None
                break
        return list(signers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": b64encode(self.payload),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": s.keyid, "sig": b64encode(s.sig)} for s in self.signatures],
        }

    def to_json(self) -> bytes:
        """The envelope as the JSON file this tool writes (UTF-8, ending in a new line)."""
        return (json.dumps(self.to_dict(), indent=2) + "\n").encode("utf-8")


def parse_envelope(data: bytes) -> Envelope:
    """Read a DSSE envelope from JSON bytes; EnvelopeError names what is malformed."""
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise EnvelopeError("malformed envelope: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise EnvelopeError(f"malformed envelope: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise EnvelopeError("malformed envelope: not a JSON object")
    payload_type = _string(doc, "payloadType", "")
    payload = _decoded(_string(doc, "payload", ""), "payload")
    raw_signatures = doc.get("signatures")
    if not isinstance(raw_signatures, list):
        raise EnvelopeError("malformed envelope: 'signatures' is missing or not a list")
    signatures = []
    for index, entry in enumerate(raw_signatures):
        where = f"signatures[{index}]"
        if not isinstance(entry, dict):
            raise EnvelopeError(f"malformed envelope: {where} is not an object")
        keyid = entry.get("keyid", "")  # optional in DSSE
        if not isinstance(keyid, str):
            raise EnvelopeError(f"malformed envelope: {where}.keyid is not a string")
        sig = _decoded(_string(entry, "sig", f"{where}."), f"{where}.sig")
        signatures.append(Signature(keyid, sig))
    return Envelope(payload_type, payload, tuple(signatures))


def _string(obj: dict[str, Any], name: str, prefix: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        state = "missing" if value is None else "not a string"
        raise EnvelopeError(f"malformed envelope: '{prefix}{name}' is {state}")
    return value


def _decoded(text: str, where: str) -> bytes:
    try:
        return b64decode(text)
    except ValueError:
        raise EnvelopeError(f"malformed envelope: {where} is not base64") from None
