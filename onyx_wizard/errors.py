"""Every error this tool reports to a person derives from `OnyxError`, which carries its exit code.

The hierarchy (modules raise these; the CLI's `main` has one `except OnyxError`)::

    OnyxError                        exit 2 unless a subclass says otherwise
    ├── CommandError                 a command-line problem; its code is given where raised
    ├── DataFileError                a file or value that does not parse or validate (names
    │   │                            file, line and field)
    │   ├── ProfileError             profile.toml, or a profile field typed in the wizard
    │   ├── SessionFileError         a session file (also a SessionError)
    │   ├── AllowlistError           a scan allowlist (also a ValueError)
    │   └── KeyIndexError            the signing-key index, keys.toml (also a SigningKeyError)
    ├── SessionError                 a session operation that cannot be done
    │   └── EvidenceError            an attestation, waiver or N/A mark that lacks what it needs
    ├── KeyringUnavailable           exit 3: no usable OS keyring
    ├── SelectionError               `check --only` names no item or probe (also a ValueError)
    ├── ProbeSetupError              the probes cannot start (e.g. an unreadable CA bundle)
    ├── RuleError                    a scan rule that does not load (also a ValueError)
    └── AttestationError             exit 1: export, countersign or verify refused
        ├── SigningKeyError          exit 2: a bad key name or key
        │   ├── NoSigningKey         exit 3: no private key of that name in the keyring
        │   └── SigningKeyExists     exit 1: generate would replace a key
        ├── EnvelopeError, NotReady, EvidenceFileError, AlreadySigned

Each class is defined beside the code that raises it and importable from there; this module
holds the base, the exit codes and the errors with no better home. It imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """The process exit codes the README documents."""

    OK = 0
    FAIL = 1  # a probe, check or verification failed
    USAGE = 2  # usage or configuration error
    ENVIRONMENT = 3  # no usable keyring, a missing secret or signing key


class OnyxError(Exception):
    """An error with a message for the user (one or a few lines) and the exit code it means."""

    exit_code: int = ExitCode.USAGE


class CommandError(OnyxError):
    """A command-line problem to print on one line, with its exit code."""

    def __init__(self, message: str, code: int = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.exit_code = code

    @property
    def code(self) -> int:
        return self.exit_code


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file: what, in which field, on which line."""

    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        where += [f"field {self.field}"] if self.field else []
        return ": ".join([*where, self.message])


class DataFileError(OnyxError):
    """A file (or typed value) that does not parse or validate; it is left untouched.

    `path` is the file (or what was typed into), `line`, `field` and `detail` describe the first
    problem, `issues` every problem, `problems` each as `field: message`.
    """

    def __init__(
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        field: str = "",
        more: Sequence[Problem] = (),
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.detail = message
        self.issues = (Problem(message, field, line), *more)
        super().__init__(f"{path}: " + "; ".join(str(issue) for issue in self.issues))

    @property
    def source(self) -> str:
        return str(self.path)

    @property
    def problems(self) -> list[str]:
        return [f"{i.field}: {i.message}" if i.field else i.message for i in self.issues]
