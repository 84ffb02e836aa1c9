"""What can go wrong with keys, export and countersigning, each with a message for the user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from onyx_wizard.errors import DataFileError, ExitCode, OnyxError

if TYPE_CHECKING:
    from onyx_wizard.gate import Blocker


class AttestationError(OnyxError):
    """An attestation operation that cannot be done; the message says why."""

    exit_code = ExitCode.FAIL


class SigningKeyError(AttestationError):
    """A key name that is not valid, or a key that cannot be used."""

    exit_code = ExitCode.USAGE


class KeyIndexError(DataFileError, SigningKeyError):
    """A key index (keys.toml) that does not parse or validate; it names file, line and field.

    A configuration problem (exit 2), and the index is left as it is: nothing rewrites it.
    """

    exit_code = ExitCode.USAGE


class NoSigningKey(SigningKeyError):
    """No private key of that name in the OS keyring."""

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, name: str) -> None:
        self.name = name
        hint = "onyx-wizard keys generate" + ("" if name == "default" else f" --name {name}")
        super().__init__(f"no signing key named {name!r} in the OS keyring: run `{hint}`")


class SigningKeyExists(SigningKeyError):
    """`generate` would replace a key that is already there."""

    exit_code = ExitCode.FAIL

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"a signing key named {name!r} already exists; a new one would not verify what "
            "the old one signed (use --replace to replace it anyway)"
        )


class EnvelopeError(AttestationError):
    """A file that is not a well-formed DSSE envelope."""


class NotReady(AttestationError):
    """Export of a session the launch gate does not pass, without asking for a draft."""

    def __init__(self, session: str, blockers: Sequence[Blocker]) -> None:
        self.blockers = list(blockers)
        n = len(self.blockers)
        lines = [f"  ✗ {b.item_id}  [{b.status}]  {b.reason}" for b in self.blockers]
        super().__init__(
            f"session {session} is not ready for launch ({n} blocking item"
            f"{'s' if n != 1 else ''}):\n" + "\n".join(lines)
        )


class EvidenceFileError(AttestationError):
    """An evidence file an attestation references that cannot be read."""


class AlreadySigned(AttestationError):
    """A countersignature by a key that already signed the envelope."""
