"""What changed since an attestation was signed: probe outcomes now against then, evidence
files changed or gone, attestations and waivers expired (or about to), a new checklist.

The signed attestation is verified first (only a verified predicate is compared); the probes
are run again by the caller and handed in as results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from onyx_wizard.attestation.statement import LaunchReadiness
from onyx_wizard.attestation.verify import check_evidence_file
from onyx_wizard.checklist import Checklist
from onyx_wizard.outcome import Outcome

DRIFT_SCHEMA = "onyx-wizard/drift/v1"

Kind = Literal["probe", "evidence", "expired", "expiring", "checklist"]


@dataclass(frozen=True)
class Change:
    """One difference; `regression` when it takes readiness away (exit 1)."""

    kind: Kind
    item_id: str
    detail: str
    regression: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "item": self.item_id,
            "detail": self.detail,
            "regression": self.regression,
        }


@dataclass(frozen=True)
class ProbeNow:
    """A probe's outcome now (what `check` produced)."""

    outcome: Outcome
    reason_code: str


def compare(
    signed: LaunchReadiness,
    checklist: Checklist,
    probes_now: Mapping[str, ProbeNow],
    evidence_dir: Path | None,
    now: datetime,
    within_days: int = 14,
) -> list[Change]:
    """Every change since `signed`, item by item, in the checklist's order."""
    changes: list[Change] = []
    if signed.checklist_version != checklist.version:
        changes.append(
            Change(
                "checklist",
                "",
                f"signed against checklist {signed.checklist_version}, now {checklist.version}: "
                "review the items again",
                True,
            )
        )
    known = {item.id: item for item in checklist.items}
    soon = timedelta(days=within_days)
    for entry in signed.items:
        for probe in entry.probes:
            current = probes_now.get(probe.id)
            if current is None or not current.outcome.ran:
                continue  # not run now (the caller reports skipped probes)
            then_ok = Outcome(probe.outcome).ok
            if then_ok and not current.outcome.ok:
                detail = f"{probe.id}: {probe.outcome} → {current.outcome} {current.reason_code}"
                changes.append(Change("probe", entry.id, detail, True))
            elif not then_ok and current.outcome.ok:
                detail = f"{probe.id}: {probe.outcome} → {current.outcome} (fixed since)"
                changes.append(Change("probe", entry.id, detail, False))
        for ref in entry.evidence:
            if ref.kind != "file" or ref.sha256 is None or ref.subject is None:
                continue
            problem = _evidence_problem(ref.subject, ref.sha256, evidence_dir)
            if problem:
                changes.append(Change("evidence", entry.id, problem, True))
        item = known.get(entry.id)
        if entry.status == "attested" and entry.at is not None and item is not None:
            ends = entry.at + timedelta(days=item.valid_days)
            changes += _expiry(entry.id, "attestation", ends, now, soon)
        if entry.status == "waived" and entry.waiver is not None:
            ends = datetime.combine(entry.waiver.expires, datetime.min.time(), tzinfo=now.tzinfo)
            changes += _expiry(entry.id, "waiver", ends + timedelta(days=1), now, soon)
    return changes


def since_export(
    envelope: bytes,
    checklist: Checklist,
    probes_now: Mapping[str, ProbeNow],
    evidence_dir: Path | None,
    now: datetime,
    within_days: int = 14,
) -> tuple[LaunchReadiness, list[Change]]:
    """The changes since one of this session's own exports (its signatures are not checked:
    it is the operator's own file; `drift` verifies against trusted keys)."""
    from onyx_wizard.attestation import parse_envelope
    from onyx_wizard.attestation.export import read_attestation

    signed = read_attestation(parse_envelope(envelope))
    return signed, compare(signed, checklist, probes_now, evidence_dir, now, within_days)


def _expiry(
    item_id: str, what: str, ends: datetime, now: datetime, soon: timedelta
) -> list[Change]:
    day = ends.date().isoformat()
    if ends <= now:
        return [Change("expired", item_id, f"the {what} expired on {day}", True)]
    if ends - now <= soon:
        left = (ends - now).days
        return [Change("expiring", item_id, f"the {what} expires on {day} ({left} days)", False)]
    return []


def _evidence_problem(subject: str, expected: str, folder: Path | None) -> str:
    found = check_evidence_file(subject, expected, folder)
    return {
        "ok": "",
        "outside": f"{subject}: outside the evidence folder",
        "missing": f"{subject}: missing (looked at {found.path})",
        "unreadable": f"{subject}: cannot be checked ({found.detail})",
        "changed": f"{subject}: changed since it was signed (sha256 differs)",
    }[found.state]


def document(
    signed: LaunchReadiness, changes: Sequence[Change], skipped: Sequence[str], now: datetime
) -> dict[str, Any]:
    """The `onyx-wizard/drift/v1` JSON document."""
    return {
        "schema": DRIFT_SCHEMA,
        "session": signed.session,
        "app_name": signed.app_name,
        "signed_at": signed.generated_at.isoformat().replace("+00:00", "Z"),
        "checked_at": now.isoformat().replace("+00:00", "Z"),
        "regressed": any(change.regression for change in changes),
        "changes": [change.to_json() for change in changes],
        "not_rechecked": list(skipped),
    }


def as_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def as_text(doc: dict[str, Any]) -> str:
    lines = [
        f"Drift of {doc['app_name']} (session {doc['session']}) since {doc['signed_at']}:",
    ]
    if not doc["changes"]:
        lines.append("  nothing changed")
    for change in doc["changes"]:
        mark = "✗" if change["regression"] else "!"
        where = f"{change['item']}: " if change["item"] else ""
        lines.append(f"  {mark} {change['kind']:<9} {where}{change['detail']}")
    if doc["not_rechecked"]:
        lines.append(f"  – not re-checked (skipped now): {', '.join(doc['not_rechecked'])}")
    verdict = "✗ regressed since it was signed" if doc["regressed"] else "✓ nothing regressed"
    lines.append(verdict)
    return "\n".join(lines) + "\n"


def as_junit(doc: dict[str, Any]) -> str:
    """One testcase per change (a failure when it regressed), or one passing case."""
    import xml.etree.ElementTree as ET

    changes = doc["changes"]
    failures = sum(change["regression"] for change in changes)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        {"name": "onyx-wizard drift", "tests": str(max(len(changes), 1)),
         "failures": str(failures), "errors": "0", "skipped": "0"},
    )  # fmt: skip
    if not changes:
        ET.SubElement(suite, "testcase", {"classname": "drift", "name": "nothing changed"})
    for change in changes:
        name = f"{change['kind']}: {change['item'] or 'checklist'}"
        case = ET.SubElement(suite, "testcase", {"classname": "drift", "name": name})
        if change["regression"]:
            failure = ET.SubElement(case, "failure", {"message": change["detail"]})
            failure.text = change["detail"]
        else:
            ET.SubElement(case, "system-out").text = change["detail"]
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
