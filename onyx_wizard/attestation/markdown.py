"""The attestation as Markdown, for people: the verdict first, then every item, then signers.

It is a courtesy copy: what Onyx trusts is the signed envelope, which `verify` checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from onyx_wizard.attestation.statement import ItemEntry, LaunchReadiness, rfc3339

_MARK = {
    "passed": "✅",
    "attested": "✅",
    "waived": "⚠️",
    "not-applicable": "➖",
    "pending": "❌",
    "failed": "❌",
    "stale": "❌",
}
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _text(value: str) -> str:
    """Operator-typed text, escaped so it reads as typed and cannot inject links or HTML."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def render_markdown(
    predicate: LaunchReadiness, signers: Sequence[str], statement_digest: str
) -> str:
    """The summary of one attestation; `signers` are key ids, `statement_digest` the payload's."""
    p = predicate
    ready = p.verdict.ready
    lines = [
        f"# Launch readiness: {_text(p.app_name or '(no app name)')} ({p.environment})",
        "",
        f"**{'✅ READY' if ready else '❌ NOT READY'} — {_text(p.verdict.summary)}**"
        + (" · **DRAFT**" if p.draft else ""),
        "",
        f"Session `{p.session}` · checklist {p.checklist_version} · generated "
        f"{rfc3339(p.generated_at)} by {p.generator.name} {p.generator.version}",
    ]
    if p.verdict.blockers:
        lines += ["", "## Blocking items", ""]
        lines += [
            f"- **{_text(b.title)}** (`{b.id}`) — {b.status}: {_text(b.reason)}"
            for b in p.verdict.blockers
        ]
    section = ""
    for item in p.items:
        if item.section != section:
            section = item.section
            lines += ["", f"## {_text(section)}", ""]
        lines += _item_lines(item)
    lines += [
        "",
        "## Signatures",
        "",
        f"Statement digest (sha256 of the DSSE payload): `{statement_digest}`",
        "",
        *[f"- key id `{kid}`" for kid in signers],
        "",
        "Check the signed file, not this summary: "
        "`onyx-wizard verify FILE --key SIGNER.pub.pem` (see docs/attestation.md).",
        "",
    ]
    return "\n".join(lines)


def _item_lines(item: ItemEntry) -> list[str]:
    who = ""
    if item.by:
        who = f" — {_text(item.by)}"
        if item.at is not None:
            who += f", {rfc3339(item.at)}"
    lines = [f"- {_MARK.get(item.status, '•')} **{_text(item.title)}** — {item.status}{who}"]
    if item.waiver is not None:
        w = item.waiver
        lines.append(
            f"  - Waived until {w.expires.isoformat()}, approved by {_text(w.approver)}: "
            f"{_text(w.reason)}"
        )
    if item.not_applicable_reason:
        lines.append(f"  - Not applicable: {_text(item.not_applicable_reason)}")
    if item.note:
        lines.append(f"  - Note: {_text(item.note)}")
    if item.reason_codes:
        lines.append("  - Probe results: " + ", ".join(f"`{code}`" for code in item.reason_codes))
    for evidence in item.evidence:
        if evidence.sha256:
            name = evidence.subject or evidence.ref
            lines.append(f"  - Evidence file: {_text(name)} (sha256 `{evidence.sha256}`)")
        else:
            lines.append(f"  - Evidence: {_text(evidence.ref)}")
    return lines
