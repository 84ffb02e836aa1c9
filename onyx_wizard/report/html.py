"""The approver's report: one self-contained HTML page of a *verified* attestation.

No script, no font, no image, no request of any kind: inline CSS only, readable printed and on
a phone. The verdict comes first, then who signed, then each section's items with status, who
and when, waivers with their expiry, probe outcomes with reason codes and evidence digests,
and the drift since signing when one was run. Every string from the attestation is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from onyx_wizard.attestation import Verification
from onyx_wizard.attestation.statement import ItemEntry, rfc3339

_CSS = """
:root { color-scheme: light; --ok: #1a7f37; --bad: #b42318; --warn: #9a6700; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  max-width: 60rem; padding: 1rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem;
  border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
.verdict { font-size: 1.3rem; font-weight: 700; padding: .75rem 1rem; border-radius: .5rem;
  margin: .75rem 0; border: 2px solid; }
.verdict.ready { color: var(--ok); border-color: var(--ok); }
.verdict.not-ready { color: var(--bad); border-color: var(--bad); }
.muted { color: var(--muted); } code { font: 12px/1.3 ui-monospace, monospace;
  overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; margin: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .4rem;
  border-bottom: 1px solid #eaeef2; overflow-wrap: anywhere; }
th { font-weight: 600; font-size: .85rem; color: var(--muted); }
.status { white-space: nowrap; font-weight: 600; }
.s-attested, .s-passed { color: var(--ok); } .s-waived { color: var(--warn); }
.s-failed, .s-stale, .s-pending { color: var(--bad); } .s-not-applicable { color: var(--muted); }
.detail { font-size: .9rem; } ul { margin: .25rem 0; padding-left: 1.2rem; }
.regressed { color: var(--bad); font-weight: 600; } .changed { color: var(--warn); }
@media (max-width: 40rem) {
  thead { display: none; } tr { display: block; border-bottom: 1px solid #d0d7de;
    padding: .4rem 0; } td { display: block; border: 0; padding: .1rem 0; }
}
@media print { body { max-width: none; font-size: 11pt; } .verdict { border-width: 1px; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""

_ICON = {
    "attested": "✓",
    "passed": "✓",
    "waived": "≈",
    "not-applicable": "–",
    "failed": "✗",
    "stale": "⟳",
    "pending": "○",
}


def approver_report(
    verification: Verification,
    source: str,
    threshold: int,
    evidence_checked: bool,
    drift: dict[str, Any] | None = None,
) -> str:
    """The page, as text; `verification` must be ok (a refused file gets no report)."""
    p = verification.predicate
    if not verification.ok or p is None:
        raise ValueError("only a verified attestation gets a report")
    ready = p.verdict.ready and not p.draft
    verdict = (
        "READY for launch"
        if ready
        else ("DRAFT — not a sign-off" if p.draft else "NOT READY for launch")
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing may be fetched: no script, no remote style, image, font or frame.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>Launch readiness: {escape(p.app_name)} ({escape(p.environment)})</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Launch readiness: {escape(p.app_name)}</h1>",
        f'<p class="muted">{escape(p.environment)} · session <code>{escape(p.session)}</code>'
        f" · checklist {escape(p.checklist_version)} · generated {rfc3339(p.generated_at)}"
        f" by {escape(p.generator.name)} {escape(p.generator.version)}</p>",
        f'<div class="verdict {"ready" if ready else "not-ready"}">'
        f"{'✓' if ready else '✗'} {escape(verdict)}</div>",
        f"<p>{escape(p.verdict.summary)}</p>",
    ]
    if p.verdict.blockers:
        parts.append("<h2>Blocking items</h2><ul>")
        parts += [
            f'<li><strong>{escape(b.title)}</strong> <span class="muted">[{escape(b.status)}]'
            f"</span> — {escape(b.reason)} <code>{escape(b.id)}</code></li>"
            for b in p.verdict.blockers
        ]
        parts.append("</ul>")
    parts.append("<h2>Signatures (verified)</h2><ul>")
    parts += [f"<li>key id <code>{escape(kid)}</code></li>" for kid in verification.signers]
    parts.append(
        f'</ul><p class="muted">{len(verification.signers)} trusted signature(s), '
        f"{threshold} required · file <code>{escape(source)}</code> · statement sha256 "
        f"<code>{escape(verification.statement_digest)}</code> · evidence files "
        f"{'checked against their digests' if evidence_checked else 'not checked here'}</p>"
    )
    if drift is not None:
        parts += _drift(drift)
    sections: dict[str, list[ItemEntry]] = {}
    for item in p.items:
        sections.setdefault(item.section, []).append(item)
    for title, items in sections.items():
        parts.append(f"<h2>{escape(title)}</h2>")
        parts.append(
            "<table><thead><tr><th>Status</th><th>Item</th><th>Who, when</th>"
            "<th>Details</th></tr></thead><tbody>"
        )
        parts += [_row(item) for item in items]
        parts.append("</tbody></table>")
    parts.append(
        '<p class="muted">Generated by onyx-wizard verify from the signed file. '
        "Check the file, not this page: <code>onyx-wizard verify FILE --key SIGNER.pem</code>"
        "</p></body></html>"
    )
    return "\n".join(parts) + "\n"


def _row(item: ItemEntry) -> str:
    icon = _ICON.get(item.status, "·")
    who = escape(item.by or "") + (f"<br>{rfc3339(item.at)}" if item.at else "")
    details: list[str] = []
    if item.waiver is not None:
        w = item.waiver
        details.append(
            f"Waived until <strong>{w.expires.isoformat()}</strong>, approved by "
            f"{escape(w.approver)}: {escape(w.reason)}"
        )
    if item.not_applicable_reason:
        details.append(f"Not applicable: {escape(item.not_applicable_reason)}")
    if item.note:
        details.append(f"Note: {escape(item.note)}")
    for probe in item.probes:
        details.append(
            f"Probe <code>{escape(probe.id)}</code>: {escape(probe.outcome)} "
            f"<code>{escape(probe.reason_code)}</code> ({rfc3339(probe.at)})"
        )
    for ref in item.evidence:
        digest = f" sha256 <code>{escape(ref.sha256)}</code>" if ref.sha256 else ""
        details.append(f"Evidence ({escape(ref.kind)}): <code>{escape(ref.ref)}</code>{digest}")
    body = "<br>".join(details)
    return (
        f'<tr><td class="status s-{escape(item.status)}">{icon} {escape(item.status)}</td>'
        f'<td>{escape(item.title)}<br><code class="muted">{escape(item.id)}</code></td>'
        f'<td class="detail">{who}</td><td class="detail">{body}</td></tr>'
    )


def _drift(doc: dict[str, Any]) -> Sequence[str]:
    parts = [f"<h2>Drift since signing (checked {escape(doc['checked_at'])})</h2>"]
    if not doc["changes"]:
        parts.append("<p>Nothing changed.</p>")
        return parts
    parts.append("<ul>")
    for change in doc["changes"]:
        css = "regressed" if change["regression"] else "changed"
        where = f"<code>{escape(change['item'])}</code>: " if change["item"] else ""
        parts.append(
            f'<li class="{css}">{escape(change["kind"])} — {where}{escape(change["detail"])}</li>'
        )
    parts.append("</ul>")
    return parts
