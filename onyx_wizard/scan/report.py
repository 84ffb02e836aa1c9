"""What a scan found, and its text and JSON (`onyx-wizard/scan/v1`) forms.

Nothing here ever holds a matched value: a finding carries a short salted hash of it, enough
to tell two findings of the same value apart and nothing more.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from onyx_wizard.scan.rules import Category

SCHEMA = "onyx-wizard/scan/v1"


@dataclass(frozen=True, order=True)
class Finding:
    """One sensitive value: where it is, which rule found it, and a salted hash of it."""

    path: str
    line: int  # 1-based
    column: int  # 1-based, in bytes from the start of the line (as ripgrep counts)
    rule: str
    category: Category
    value_hash: str  # first 12 hex digits of HMAC-SHA256(salt, value); the salt is never shown

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "category": self.category.value,
            "hash": self.value_hash,
        }


@dataclass(frozen=True)
class Suppression:
    """An allowlist entry and how many findings it suppressed in this scan."""

    rule: str
    path: str
    reason: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "path": self.path, "reason": self.reason, "count": self.count}


@dataclass(frozen=True)
class ScanError:
    """A path that could not be scanned, and why (one line, never a traceback)."""

    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "error": self.message}


@dataclass
class ScanReport:
    """Everything one scan saw."""

    paths: list[str]
    files: int = 0
    bytes: int = 0
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppression] = field(default_factory=list)
    skipped_binary: list[str] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    duration_ms: int = 0

    @property
    def clean(self) -> bool:
        """No finding, nothing unreadable, and the scan ran to the end."""
        return not self.findings and not self.errors and not self.cancelled

    def by_category(self) -> Counter[Category]:
        return Counter(f.category for f in self.findings)

    def by_rule(self) -> Counter[str]:
        return Counter(f.rule for f in self.findings)

    def by_file(self) -> dict[str, list[Finding]]:
        """Findings grouped by file, files in the order first found."""
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.path, []).append(finding)
        return grouped

    def to_json(self) -> dict[str, Any]:
        """The `onyx-wizard/scan/v1` document."""
        return {
            "schema": SCHEMA,
            "paths": self.paths,
            "clean": self.clean,
            "cancelled": self.cancelled,
            "duration_ms": self.duration_ms,
            "files_scanned": self.files,
            "bytes_scanned": self.bytes,
            "counts": {
                "findings": len(self.findings),
                "by_category": dict(sorted(self.by_category().items())),
                "by_rule": dict(sorted(self.by_rule().items())),
                "suppressed": sum(s.count for s in self.suppressed),
            },
            "findings": [f.to_json() for f in self.findings],
            "suppressed": [s.to_json() for s in self.suppressed],
            "skipped_binary": self.skipped_binary,
            "errors": [e.to_json() for e in self.errors],
            "notes": self.notes,
        }

    def to_text(self) -> str:
        """Findings grouped by file, one line each (`line:col  rule  category  hash`)."""
        out: list[str] = []
        for path, findings in self.by_file().items():
            out.append(path)
            width = max(len(f"{f.line}:{f.column}") for f in findings)
            rule_width = max(len(f.rule) for f in findings)
            for f in findings:
                place = f"{f.line}:{f.column}".ljust(width)
                out.append(
                    f"  {place}  {f.rule.ljust(rule_width)}  {f.category:<12}  {f.value_hash}"
                )
            out.append("")
        for error in self.errors:
            out.append(f"could not scan {error.path}: {error.message}")
        for s in self.suppressed:
            out.append(
                f"allowlist: {s.count} finding(s) of {s.rule} in {s.path} suppressed ({s.reason})"
            )
        if self.skipped_binary:
            out.append(f"skipped {len(self.skipped_binary)} binary file(s)")
        out.extend(self.notes)
        out.append(self.summary())
        return "\n".join(out) + "\n"

    def summary(self) -> str:
        """One line: what was found, in how much, in how long."""
        megabytes = self.bytes / 1e6
        seconds = self.duration_ms / 1000
        scanned = f"{self.files} file(s), {megabytes:.1f} MB scanned in {seconds:.2f} s"
        if self.cancelled:
            return f"scan cancelled after {scanned}"
        if not self.findings:
            verdict = "no sensitive data found"
        else:
            counts = ", ".join(f"{n} {c}" for c, n in sorted(self.by_category().items()))
            files = len(self.by_file())
            verdict = f"{len(self.findings)} finding(s) in {files} file(s): {counts}"
        if self.errors:
            verdict += f"; {len(self.errors)} path(s) could not be read"
        return f"{verdict} ({scanned})"
