"""The sensitive-data scanner: secrets, tokens and personal data in logs and evidence (no Textual).

`scan_paths` walks files and folders (gzip read transparently, binaries skipped) and reports
each finding by rule, file, line and column with a short salted hash of the value — never the
value. `redact` replaces what the same rules find with `[REDACTED:<rule>]`. Known secret values
(a session's client secret, webhook secret, tokens) are the strongest evidence of a leak and get
their own category, `known-secret`.
"""

from __future__ import annotations

import functools
import os
import secrets as _random
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from onyx_wizard.scan.allowlist import (
    Allowlist,
    AllowlistError,
    load_allowlist,
    parse_allowlist,
)
from onyx_wizard.scan.engine import KNOWN_SECRET, Matcher
from onyx_wizard.scan.files import Progress, scan_files, value_hash
from onyx_wizard.scan.report import SCHEMA, Finding, ScanError, ScanReport, Suppression
from onyx_wizard.scan.rules import Category, Rule, RuleError, default_rules, parse_rules

__all__ = [
    "KNOWN_SECRET",
    "SCHEMA",
    "SECRETS_ONLY",
    "Allowlist",
    "AllowlistError",
    "Category",
    "Finding",
    "Progress",
    "Rule",
    "RuleError",
    "ScanError",
    "ScanReport",
    "Secrets",
    "Suppression",
    "default_rules",
    "load_allowlist",
    "new_salt",
    "parse_allowlist",
    "parse_rules",
    "redact",
    "redact_data",
    "scan_paths",
    "scan_text",
]

# Known secret values: a mapping names each (`known-secret:<name>` findings); a plain iterable
# gives `known-secret` findings.
Secrets = Mapping[str, str] | Iterable[str]

# Everything but personal data: for files that may rightly hold names and e-mail addresses
# (a session file records who attested), where only a secret would be a leak.
SECRETS_ONLY = frozenset({Category.KNOWN_SECRET, Category.SECRET, Category.TOKEN})


def new_salt() -> bytes:
    """A fresh random salt for value hashes.

    The salt is never written out: with it, a short value (an SSN, a phone number) could be
    recovered from its hash by trying every candidate.
    """
    return _random.token_bytes(16)


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    secrets: Secrets = (),
    allowlist: Allowlist | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    *,
    categories: Iterable[Category] | None = None,
    salt: bytes | None = None,
    rules: Sequence[Rule] | None = None,
) -> ScanReport:
    """Scan files and folders for known secret values, secret and token shapes, and PII.

    `progress(bytes_done, bytes_total)` is called as files are read (bytes on disk);
    setting `cancel` stops the scan between chunks, and the report says it was cancelled.
    Unreadable paths become report errors, never exceptions. `categories` limits what is
    looked for; `salt` makes hashes comparable between scans (default: a fresh one).
    """
    matcher = Matcher(default_rules() if rules is None else rules, secrets, categories)
    report = scan_files(paths, matcher, salt=salt or new_salt(), progress=progress, cancel=cancel)
    if allowlist is not None:
        found = report.findings
        report.findings, report.suppressed = allowlist.apply(found)
        kept = set(map(id, report.findings))
        report.allowed = [finding for finding in found if id(finding) not in kept]
    return report


def scan_text(
    text: str,
    secrets: Secrets = (),
    *,
    name: str = "<text>",
    categories: Iterable[Category] | None = None,
    salt: bytes | None = None,
) -> list[Finding]:
    """The findings in a piece of text (probe evidence, a note), as if it were a file `name`.

    Placeholders and documented examples are left out (a scan of files lists them apart).
    """
    data = text.encode("utf-8", "surrogatepass")
    salt = salt or new_salt()
    findings = []
    for hit in Matcher(default_rules(), secrets, categories).hits(data):
        if hit.example:
            continue  # a placeholder or documented example: not a finding
        line_start = data.rfind(b"\n", 0, hit.start) + 1
        findings.append(
            Finding(
                name,
                data.count(b"\n", 0, hit.start) + 1,
                hit.start - line_start + 1,
                hit.rule,
                hit.category,
                value_hash(salt, data[hit.start : hit.end]),
            )
        )
    return findings


@functools.cache
def _plain_matcher() -> Matcher:
    """The default rules with no known secrets: one matcher, built once, shared by threads."""
    return Matcher(default_rules())


def redact(
    text: str, secrets: Secrets = (), *, categories: Iterable[Category] | None = None
) -> str:
    """`text` with every value the rules (or a known secret) match replaced by [REDACTED:<rule>].

    Only the value is replaced, so `password=hunter22!` becomes
    `password=[REDACTED:password-assignment]` and the context stays readable.
    """
    if not text:
        return text
    data = text.encode("utf-8", "surrogatepass")
    if not secrets and categories is None:
        matcher = _plain_matcher()  # most calls: probe evidence, a header at a time
    else:
        matcher = Matcher(default_rules(), secrets, categories)
    hits = matcher.hits(data)
    if not hits:
        return text
    pieces: list[bytes] = []
    at = 0
    for hit in hits:
        pieces += [data[at : hit.start], f"[REDACTED:{hit.rule}]".encode()]
        at = hit.end
    pieces.append(data[at:])
    return b"".join(pieces).decode("utf-8", "surrogatepass")


def redact_data(data: Any, secrets: Secrets = ()) -> Any:
    """A copy of JSON-like data (dicts, lists, strings) with every string passed through `redact`.

    For probe evidence and notes on their way into a session file or an export. Keys are kept
    as they are; only values are redacted.
    """
    if isinstance(data, str):
        return redact(data, secrets)
    if isinstance(data, Mapping):
        return {key: redact_data(value, secrets) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(item, secrets) for item in data]
    return data
