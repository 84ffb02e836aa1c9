"""Probe evidence as lines a person reads (the TUI's evidence panels, the text report)."""

from __future__ import annotations

from typing import Any

from onyx_wizard.report.looks import outcome_icon


def describe(entry: dict[str, Any]) -> list[str]:
    """One evidence entry (an HTTP exchange, a scan, a check's verdict, facts) as short lines."""
    if entry.get("check") == "scan summary":
        lines = [
            f"scanned {entry.get('files_scanned', 0)} file(s), "
            f"{entry.get('bytes_scanned', 0) / 1e6:.1f} MB"
            + (f", {entry['skipped_binary']} binary skipped" if entry.get("skipped_binary") else "")
        ]
        lines += [f"    {path}" for path in entry.get("paths", [])]
        for item in entry.get("allowlisted", []):
            lines.append(f"    allowlisted: {item}")
        for item in entry.get("unreadable", []):
            lines.append(f"    unreadable: {item}")
        return lines
    if entry.get("check") == "sensitive data":
        where = ", ".join(str(n) for n in entry.get("lines", []))
        hashes = ", ".join(entry.get("hashes", []))
        return [
            f"    ✗ {entry.get('rule')} ({entry.get('category')}) ×{entry.get('count')}"
            f" — line {where}; value hash {hashes}"
        ]
    if "method" in entry and "url" in entry:
        status = entry.get("status", "—")
        lines = [f"{entry['method']} {entry['url']} → {status}"]
        for name, value in (entry.get("sent") or {}).items():
            lines.append(f"    > {name}: {value}")
        for name, value in (entry.get("headers") or {}).items():
            values = value if isinstance(value, list) else [value]
            lines += [f"    < {name}: {v}" for v in values]
        if entry.get("body"):
            lines.append(f"    body {entry['body']}")
        if entry.get("note"):
            lines.append(f"    ({entry['note']})")
        return lines
    if "check" in entry:
        icon = outcome_icon(str(entry.get("outcome")))
        code = f" [{entry['reason_code']}]" if entry.get("reason_code") else ""
        return [f"{icon} {entry['check']}{code}"]
    return ["· " + ", ".join(f"{k}: {v}" for k, v in entry.items())]


def describe_all(evidence: list[dict[str, Any]]) -> list[str]:
    """Every entry as lines; a scan's findings are grouped under the file they are in."""
    lines: list[str] = []
    current_file = None
    for entry in evidence:
        if entry.get("check") == "sensitive data":
            if entry.get("path") != current_file:
                current_file = entry.get("path")
                lines.append(f"{current_file}:")
        else:
            current_file = None
        lines += describe(entry)
    return lines
