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

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from onyx_wizard.errors import DataFileError, Problem
from onyx_wizard.scan.report import Finding, Suppression
from onyx_wizard.tomlfile import dotted, locate, parse_toml, read_toml

_FIELDS = ("rule", "path", "reason")


class AllowlistError(DataFileError, ValueError):
    """An allowlist that does not load; the message names the file, the line and the field."""


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


def _allowlist(text: str, data: dict[str, Any], source: Path | str) -> Allowlist:
    # Checked by hand, not with a pydantic model: pydantic would double the scanner's import
    # time, and the scanner loads without it (tested). Every problem is reported, not the first.
    problems: list[Problem] = []

    def problem(message: str, *loc: int | str) -> None:
        problems.append(Problem(message, dotted(loc), locate(text, loc)))

    for table in sorted(set(data) - {"allow"}):
        problem("unknown table (the entries are [[allow]] tables)", table)
    items = data.get("allow", [])
    if not isinstance(items, list):
        problem("must be an array of tables ([[allow]])", "allow")
        items = []
    entries = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problem("must be a table ([[allow]])", "allow", index)
            continue
        values = {}
        for name in _FIELDS:
            value = item.get(name)
            if name not in item:
                problem(
                    "missing (every entry needs a rule, a path and a reason)", "allow", index, name
                )
            elif not isinstance(value, str) or not value.strip():
                problem("must be a non-empty string", "allow", index, name)
            else:
                values[name] = value.strip()
        for name in sorted(set(item) - set(_FIELDS)):
            problem("unknown field (an entry has rule, path and reason)", "allow", index, name)
        if len(values) == len(_FIELDS):
            entries.append(AllowEntry(values["rule"], values["path"], values["reason"]))
    if problems:
        first, *more = problems
        raise AllowlistError(source, first.message, first.line, first.field, more)
    return Allowlist(tuple(entries), str(source))


def parse_allowlist(text: str, source: str = "allowlist") -> Allowlist:
    """An allowlist from TOML text; AllowlistError names the line and field at fault."""
    return _allowlist(text, parse_toml(text, source, error=AllowlistError), source)


def load_allowlist(path: Path) -> Allowlist:
    """Read an allowlist file; AllowlistError names the file, line and field at fault."""
    text, data = read_toml(path, error=AllowlistError, missing="no such allowlist file")
    return _allowlist(text, data, path)
