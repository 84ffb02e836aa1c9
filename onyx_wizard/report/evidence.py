"""Probe evidence as lines a person reads (the TUI's evidence panels, the text report)."""

from __future__ import annotations

from typing import Any

_OUTCOME_ICON = {"pass": "✓", "warn": "!", "fail": "✗", "error": "✗"}


def describe(entry: dict[str, Any]) -> list[str]:
    """One evidence entry (an HTTP exchange, a check's verdict, or facts) as short lines."""
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
        icon = _OUTCOME_ICON.get(str(entry.get("outcome")), "·")
        code = f" [{entry['reason_code']}]" if entry.get("reason_code") else ""
        return [f"{icon} {entry['check']}{code}"]
    return ["· " + ", ".join(f"{k}: {v}" for k, v in entry.items())]


def describe_all(evidence: list[dict[str, Any]]) -> list[str]:
    return [line for entry in evidence for line in describe(entry)]
