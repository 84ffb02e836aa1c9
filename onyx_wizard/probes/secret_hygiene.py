"""Secret hygiene: no known secret, secret or token shape, or personal data in logs and evidence.

The probe scans the profile's `log_paths` and `evidence_dir` with the session's secret values
from the keyring as known secrets (the strongest evidence of a leak). A session file and
exports may rightly hold names and e-mail addresses (who attested), so `hygiene_report` scans
those for secrets and tokens only; the probe cannot know the session's file, so its callers
pass it (`artifacts`) — the same function runs from the TUI with a progress bar and a cancel.
Evidence holds counts per file and rule with salted hashes and line numbers, never a value.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, Outcome, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.profile import Profile
from onyx_wizard.scan import (
    SECRETS_ONLY,
    Allowlist,
    Category,
    Progress,
    ScanReport,
    load_allowlist,
    new_salt,
    scan_paths,
)
from onyx_wizard.secrets import SecretKey

PROBE_ID = "secret-hygiene"
# Line numbers and hashes kept per file and rule: enough to find the places, not a dump.
SAMPLE = 5


def scan_targets(profile: Profile) -> list[str]:
    """The files and folders the profile asks to scan: `log_paths`, then `evidence_dir`."""
    paths = list(profile.log_paths)
    if profile.evidence_dir:
        paths.append(profile.evidence_dir)
    return [os.path.expanduser(p) for p in paths]


def known_secrets(secrets: Mapping[SecretKey, str]) -> dict[str, str]:
    """The session's secret values, named by key (findings say which one leaked)."""
    return {key.value: value for key, value in secrets.items() if value}


def hygiene_report(
    paths: Iterable[str | os.PathLike[str]],
    secrets: Mapping[SecretKey, str],
    *,
    artifacts: Iterable[str | os.PathLike[str]] = (),
    allowlist: Allowlist | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ScanReport:
    """One scan report for logs and evidence (everything) and artifacts (secrets only).

    Artifacts are the session file and exports: they may name people, never hold a secret.
    One salt for both, so a value found in both has the same hash.
    """
    known = known_secrets(secrets)
    salt = new_salt()
    paths, artifacts = list(paths), list(artifacts)
    report = scan_paths(paths, known, allowlist, progress=progress, cancel=cancel, salt=salt)
    if artifacts and not report.cancelled:
        extra = scan_paths(artifacts, known, cancel=cancel, salt=salt, categories=SECRETS_ONLY)
        report.paths += extra.paths
        report.files += extra.files
        report.bytes += extra.bytes
        report.findings += extra.findings
        report.skipped_binary += extra.skipped_binary
        report.errors += extra.errors
        report.cancelled = extra.cancelled
        report.duration_ms += extra.duration_ms
    return report


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counts(rules: Counter[str]) -> str:
    return ", ".join(f"{rule} ×{n}" for rule, n in rules.most_common())


def scan_summary(findings: Findings, report: ScanReport) -> None:
    """Record what was scanned, then each file's findings by rule (lines and hashes, no value)."""
    summary: dict[str, Any] = {
        "check": "scan summary",
        "paths": report.paths,
        "files_scanned": report.files,
        "bytes_scanned": report.bytes,
        "skipped_binary": len(report.skipped_binary),
        "by_rule": dict(sorted(report.by_rule().items())),
    }
    if report.examples:
        summary["examples"] = len(report.examples)  # placeholders and documented examples
    if report.errors:
        summary["unreadable"] = [e.to_json() for e in report.errors]
    if report.suppressed:
        summary["allowlisted"] = [s.to_json() for s in report.suppressed]
    findings.record(summary)
    for path, found in report.by_file().items():
        by_rule: dict[str, list[Any]] = {}
        for finding in found:
            by_rule.setdefault(finding.rule, []).append(finding)
        for rule, items in by_rule.items():
            findings.record(
                {
                    "check": "sensitive data",
                    "path": path,
                    "rule": rule,
                    "category": items[0].category.value,
                    "count": len(items),
                    "lines": [f.line for f in items[:SAMPLE]],
                    "hashes": list(dict.fromkeys(f.value_hash for f in items))[:SAMPLE],
                }
            )


def scanned(report: ScanReport) -> str:
    """How much was scanned, for a verdict's message."""
    return f"{_plural(report.files, 'file')}, {report.bytes / 1e6:.1f} MB"


def hygiene_result(report: ScanReport) -> ProbeResult:
    """The probe's verdict on a scan: leaked secret values first, then shapes, then PII."""
    findings = Findings(PROBE_ID)
    scan_summary(findings, report)
    _verdicts(findings, report)
    scan_problems(findings, report)
    return findings.result(
        "SCAN_CLEAN", f"no secret, token or personal data found ({scanned(report)} scanned)"
    )


def _verdicts(findings: Findings, report: ScanReport) -> None:
    groups: dict[Category, list[Any]] = {}
    for finding in report.findings:
        groups.setdefault(finding.category, []).append(finding)
    leaked = groups.get(Category.KNOWN_SECRET, [])
    if leaked:
        names = sorted({f.rule.partition(":")[2] or "a secret" for f in leaked})
        first = leaked[0]
        findings.fail(
            "SECRET_VALUE_LEAKED",
            f"the value of {', '.join(names)} appears {_plural(len(leaked), 'time')}, first in "
            f"{first.path} line {first.line}",
        )
    shapes = groups.get(Category.SECRET, []) + groups.get(Category.TOKEN, [])
    if shapes:
        files = len({f.path for f in shapes})
        findings.fail(
            "SECRET_PATTERN_FOUND",
            f"{_plural(len(shapes), 'secret or token value')} in {_plural(files, 'file')} "
            f"({_counts(Counter(f.rule for f in shapes))})",
        )
    personal = groups.get(Category.PII, [])
    if personal:
        files = len({f.path for f in personal})
        findings.fail(
            "PII_FOUND",
            f"{_plural(len(personal), 'personal data value')} in {_plural(files, 'file')} "
            f"({_counts(Counter(f.rule for f in personal))})",
        )


def scan_problems(findings: Findings, report: ScanReport) -> None:
    """A cancelled scan, or paths that could not be read, said as the scan's own outcome."""
    if report.cancelled:
        findings.error("SCAN_CANCELLED", "the scan was cancelled before it finished")
    elif report.errors and not report.files:
        first = report.errors[0]
        findings.error(
            "SCAN_PATH_UNREADABLE",
            f"nothing could be scanned: {first.path}: {first.message}"
            + (f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""),
        )
    elif report.errors:
        findings.warn(
            "SCAN_INCOMPLETE",
            f"{_plural(len(report.errors), 'path')} could not be read, e.g. "
            f"{report.errors[0].path}: {report.errors[0].message}",
        )
    elif not report.files:
        findings.warn("SCAN_INCOMPLETE", "the paths to scan hold no text files")


def nothing_to_scan(probe_id: str) -> ProbeResult:
    """Skipped: the profile names no logs and no evidence folder."""
    # The session file and exports alone are not the partner's logs or evidence: passing on
    # them would say "nothing found" about files nobody named.
    return ProbeResult(
        probe_id,
        Outcome.SKIPPED,
        "NO_SCAN_PATHS",
        "nothing to scan: set log_paths (log files or folders) or evidence_dir in the profile",
    )


def profile_allowlist(profile: Profile) -> Allowlist | None:
    """The profile's scan allowlist (`scan_allowlist`), if it names one."""
    if not profile.scan_allowlist:
        return None
    return load_allowlist(Path(profile.scan_allowlist).expanduser())


def run_hygiene(
    profile: Profile,
    secrets: Mapping[SecretKey, str],
    *,
    artifacts: Iterable[str | os.PathLike[str]] = (),
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ProbeResult:
    """The whole check, blocking: for the TUI's worker (progress, cancel) and for tests."""
    paths = scan_targets(profile)
    artifacts = [Path(p) for p in artifacts]
    if not paths:
        return nothing_to_scan(PROBE_ID)
    allowlist = profile_allowlist(profile)
    report = hygiene_report(
        paths, secrets, artifacts=artifacts, allowlist=allowlist, progress=progress, cancel=cancel
    )
    return hygiene_result(report)


# A partner's whole log folder can be gigabytes: at ~100 MB/s that needs more than the
# 30 s the network probes get.
SCAN_DEADLINE = 600.0


async def in_thread(
    ctx: ProbeContext, probe_id: str, scan: Callable[..., ProbeResult]
) -> ProbeResult:
    """Run a blocking scan `scan(progress=, cancel=)` in a thread, with the run's progress and
    cancel: the scan is file I/O and matching, and the other probes keep running meanwhile."""
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if ctx.cancelled.is_set():
            cancel.set()  # the whole run was cancelled
        ctx.report_progress(probe_id, done / total if total else 1.0)

    try:
        return await asyncio.to_thread(scan, progress=progress, cancel=cancel)
    except asyncio.CancelledError:
        cancel.set()  # the deadline passed or the run was cancelled: stop the thread too
        raise


@probe(PROBE_ID, title="Secret hygiene", deadline=SCAN_DEADLINE)
async def secret_hygiene(ctx: ProbeContext) -> ProbeResult:
    """Scan log_paths and evidence_dir, and the session file and exports (`scan_artifacts`)."""
    scan = functools.partial(run_hygiene, ctx.profile, ctx.secrets, artifacts=ctx.scan_artifacts)
    return await in_thread(ctx, PROBE_ID, scan)
