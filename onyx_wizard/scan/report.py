"""What a scan found, and its text and JSON (`onyx-wizard/scan/v1`) forms.

Nothing here ever holds a matched value: a finding carries a short salted hash of it, enough
to tell two findings of the same value apart and nothing more.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

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
    reason: str = ""  # for a suppressed example: why the value is not a real one

    def to_json(self) -> dict[str, Any]:
        data = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "category": self.category.value,
            "hash": self.value_hash,
        }
        if self.reason:
            data["reason"] = self.reason
        return data


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
    # Placeholders and documented examples (`AKIAIOSFODNN7EXAMPLE`, `ghp_xxxx…`): matched, not
    # findings, listed so that nothing is hidden.
    examples: list[Finding] = field(default_factory=list)
    # Findings an allowlist entry suppressed (counted per entry in `suppressed`).
    allowed: list[Finding] = field(default_factory=list)
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
                "examples": len(self.examples),
            },
            "findings": [f.to_json() for f in self.findings],
            "suppressed": [s.to_json() for s in self.suppressed],
            "examples": [f.to_json() for f in self.examples],
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
        for f in self.examples:
            out.append(
                f"not a finding: {f.path}:{f.line}:{f.column}  {f.rule}  {f.value_hash}  {f.reason}"
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


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"known-secret": "error", "secret": "error", "token": "error", "pii": "warning"}


def _sarif_result(
    finding: Finding, rules: dict[str, int], suppression: dict[str, str] | None
) -> dict[str, Any]:
    """One SARIF result: where, which rule, the hash as the fingerprint; never the value."""
    rule_index = rules.setdefault(finding.rule, len(rules))
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(finding.category.value, "warning"),
        "message": {
            "text": f"{finding.category.value} matched by {finding.rule} (value not shown)"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.path)},
                    "region": {"startLine": finding.line, "startColumn": finding.column},
                }
            }
        ],
        "partialFingerprints": {"valueHash/v1": finding.value_hash},
    }
    if suppression is not None:
        result["suppressions"] = [suppression]
    return result


def _uri(path: str) -> str:
    return quote(PurePath(path).as_posix(), safe="/:")


def to_sarif(report: ScanReport, titles: dict[str, str], version: str) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (GitHub code scanning and CI dashboards read it).

    Findings are results; allowlisted findings and placeholders or documented examples are
    results with a `suppressions` entry saying why, so nothing matched is hidden.
    """
    rules: dict[str, int] = {}
    results = [_sarif_result(f, rules, None) for f in report.findings]
    for finding in report.allowed:
        reason = next(
            (s.reason for s in report.suppressed if fnmatchcase(finding.rule, s.rule)), ""
        )
        suppression = {"kind": "external", "justification": reason or "allowlist"}
        results.append(_sarif_result(finding, rules, suppression))
    for finding in report.examples:
        suppression = {"kind": "inSource", "justification": finding.reason}
        results.append(_sarif_result(finding, rules, suppression))
    driver_rules = [
        {"id": rule, "shortDescription": {"text": titles.get(rule, rule) or rule}}
        for rule in sorted(rules, key=rules.__getitem__)
    ]
    notifications = [
        {"level": "error", "message": {"text": f"could not scan {e.path}: {e.message}"}}
        for e in report.errors
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "onyx-wizard scan",
                        "version": version,
                        "rules": driver_rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not report.errors and not report.cancelled,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
