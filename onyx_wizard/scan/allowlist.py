"""Allowlists: known false positives, each suppressed with a stated reason and counted.

An allowlist is a TOML file of entries::

    [[allow]]
    rule = "email"                 # a rule id, or a glob over rule ids ("known-secret*", "*")
    path = "fixtures/**"           # a glob over the finding's path
    reason = "synthetic addresses in test fixtures"

`path` matches the whole path or any tail of it that starts at a folder boundary, so
`fixtures/*.log` matches `/srv/app/fixtures/a.log`. `*` also crosses `/`. Every entry needs a
reason: the scan report lists each entry with the number of findings it suppressed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from onyx_wizard.scan.report import Finding, Suppression


class AllowlistError(ValueError):
    """An allowlist that does not load; the message names the file and the entry."""


@dataclass(frozen=True)
class AllowEntry:
    rule: str
    path: str
    reason: str

    def matches(self, finding: Finding) -> bool:
        if not fnmatchcase(finding.rule, self.rule):
            return False
        path = finding.path.replace("\\", "/")
        parts = path.split("/")
        return any(fnmatchcase("/".join(parts[i:]), self.path) for i in range(len(parts)))


@dataclass(frozen=True)
class Allowlist:
    """The entries of one allowlist file, in file order (the first that matches counts)."""

    entries: tuple[AllowEntry, ...]
    source: str = ""

    def apply(self, findings: list[Finding]) -> tuple[list[Finding], list[Suppression]]:
        """The findings left, and each entry with how many it suppressed (zero included)."""
        counts = [0] * len(self.entries)
        kept: list[Finding] = []
        for finding in findings:
            for index, entry in enumerate(self.entries):
                if entry.matches(finding):
                    counts[index] += 1
                    break
            else:
                kept.append(finding)
        used = [
            Suppression(entry.rule, entry.path, entry.reason, count)
            for entry, count in zip(self.entries, counts, strict=True)
        ]
        return kept, used


def _entry(item: Any, index: int, source: str) -> AllowEntry:
    where = f"{source}: [[allow]] #{index + 1}"
    if not isinstance(item, dict):
        raise AllowlistError(f"{where} is not a table")
    unknown = set(item) - {"rule", "path", "reason"}
    if unknown:
        raise AllowlistError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    values = {}
    for name in ("rule", "path", "reason"):
        value = item.get(name)
        if not isinstance(value, str) or not value.strip():
            raise AllowlistError(f"{where}: {name!r} must be a non-empty string")
        values[name] = value.strip()
    return AllowEntry(values["rule"], values["path"], values["reason"])


def parse_allowlist(text: str, source: str = "allowlist") -> Allowlist:
    """An allowlist from TOML text; AllowlistError names what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AllowlistError(f"{source}: not valid TOML: {exc}") from None
    unknown = set(data) - {"allow"}
    if unknown:
        raise AllowlistError(f"{source}: unknown table {sorted(unknown)[0]!r} (expected [[allow]])")
    items = data.get("allow", [])
    if not isinstance(items, list):
        raise AllowlistError(f"{source}: 'allow' must be an array of tables ([[allow]])")
    return Allowlist(tuple(_entry(item, i, source) for i, item in enumerate(items)), source)


def load_allowlist(path: Path) -> Allowlist:
    """Read an allowlist file; AllowlistError names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AllowlistError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AllowlistError(f"{path}: not UTF-8 text") from None
    return parse_allowlist(text, str(path))
