"""What an export wrote and what a verification found, as lines a person reads.

`export_summary` is shown by `onyx-wizard export` and by the wizard's review screen alike.
"""

from __future__ import annotations

from pathlib import Path

from onyx_wizard.attestation import ExportResult, Verification
from onyx_wizard.attestation.statement import rfc3339


def export_summary(name: str, result: ExportResult) -> list[str]:
    """What was exported, where, signed by which key."""
    kind = "Draft attestation" if result.draft else "Signed attestation"
    lines = [f"{kind} of {name}: {result.verdict.summary}", f"  envelope:  {result.envelope_path}"]
    if result.markdown_path is not None:
        lines.append(f"  summary:   {result.markdown_path}")
    lines.append(f"  signed by: key {result.key_name!r}, key id {result.key_id}")
    lines.append(f"  statement: sha256 {result.statement_digest}")
    lines.append(f"  evidence:  {len(result.evidence)} file(s) referenced by digest")
    return lines


def verify_summary(
    path: Path, result: Verification, threshold: int, evidence_dir: Path | None
) -> list[str]:
    """A verified attestation: its signers, verdict, provenance, evidence and items."""
    p = result.predicate
    if p is None:
        return [f"not verified: {result.reason}"]
    lines = [
        f"✓ Verified {path}: signed by {len(result.signers)} trusted key(s), {threshold} required"
    ]
    lines += [f"  signer key id {kid}" for kid in result.signers]
    state = "READY" if p.verdict.ready else "NOT READY"
    lines.append(f"Verdict:   {state} — {p.verdict.summary}" + (" (DRAFT)" if p.draft else ""))
    lines.append(f"App:       {p.app_name} ({p.environment}), session {p.session}")
    lines.append(
        f"Generated: {rfc3339(p.generated_at)} by {p.generator.name} {p.generator.version}, "
        f"checklist {p.checklist_version}"
    )
    lines.append(f"Statement: sha256 {result.statement_digest}")
    if evidence_dir is None:
        lines.append(
            "Evidence:  files not checked (pass --evidence-dir DIR to check their digests)"
        )
    else:
        lines.append(f"Evidence:  {len(result.evidence_checked)} file(s) match in {evidence_dir}")
    lines += [
        f"  ✗ blocking: {blocker.id} [{blocker.status}] {blocker.reason}"
        for blocker in p.verdict.blockers
    ]
    counts: dict[str, int] = {}
    for item in p.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines.append(f"Items ({len(p.items)}): {summary}")
    for item in p.items:
        who = f"  {item.by}, {rfc3339(item.at)}" if item.by and item.at else ""
        lines.append(f"  {item.status:<14} {item.id}{who}")
    return lines
