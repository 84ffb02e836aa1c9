"""`onyx-wizard status`: the session's progress and launch-gate verdict, as text and as JSON."""

from __future__ import annotations

from typing import Any

from onyx_wizard.gate import Verdict
from onyx_wizard.report.looks import section_counts, verdict_line
from onyx_wizard.session import OpenSession

STATUS_SCHEMA = "onyx-wizard/status/v1"


def status_json(opened: OpenSession, verdict: Verdict) -> dict[str, Any]:
    """The `onyx-wizard/status/v1` document."""
    return {
        "schema": STATUS_SCHEMA,
        "session": opened.name,
        "app_name": opened.session.profile.app_name,
        "environment": opened.session.profile.environment.value,
        "checklist_version": opened.checklist.version,
        "ready": verdict.ready,
        "verdict": verdict.summary,
        "sections": [
            {
                "id": s.section_id,
                "title": s.title,
                "done": s.done,
                "total": s.total,
                "blocking": s.blocking,
            }
            for s in verdict.sections
        ],
        "blockers": [
            {"id": b.item_id, "title": b.title, "status": b.status.value, "reason": b.reason}
            for b in verdict.blockers
        ],
        "items": [
            {
                "id": item_id,
                "status": state.status.value,
                "applicable": state.applicable,
                "done": state.done,
                "reason": state.reason,
            }
            for item_id, state in verdict.states.items()
        ],
    }


def status_text(opened: OpenSession, verdict: Verdict) -> str:
    """The verdict, one bar per section, then the blocking items."""
    profile = opened.session.profile
    lines = [
        f"Session {opened.name}: {profile.app_name or '(no app name)'} ({profile.environment})",
        f"Launch gate: {verdict_line(verdict)}",
        "",
    ]
    width = max(len(s.title) for s in verdict.sections)
    for s in verdict.sections:
        bar_len = 20
        filled = round(bar_len * s.done / s.total) if s.total else 0
        bar = "█" * filled + "░" * (bar_len - filled)
        lines.append(f"  {s.title.ljust(width)}  {bar}  {section_counts(s)}")
    if verdict.blockers:
        lines += ["", "Blocking items:"]
        for b in verdict.blockers:
            state = verdict.states.get(b.item_id)
            shown = state.label if state is not None and state.label else b.status.value
            lines.append(f"  ✗ {b.item_id}  [{shown}]  {b.reason}")
    return "\n".join(lines) + "\n"
