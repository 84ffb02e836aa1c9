"""Identity documents: no passport or ID card machine-readable zone in logs or support evidence.

The checklist asks that identity documents stay inside the verification flows Onyx approved.
What a machine can check is the way they most often escape those flows: a scan or an OCR
result copied into an application log or a support ticket. The probe scans the profile's
`log_paths` and `evidence_dir` with the scanner's `identity-document-mrz` rule: the two or
three machine-readable lines of a passport, ID card or visa (ICAO 9303 TD1, TD2, TD3), whose
check digits must all hold, so a chance match is rare. ICAO's specimen documents (issuing
state Utopia, `UTO`) are documented examples: counted, never a finding. A person still
attests that the verification flow is the one Onyx approved.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes.secret_hygiene import (
    SCAN_DEADLINE,
    in_thread,
    nothing_to_scan,
    profile_allowlist,
    scan_problems,
    scan_summary,
    scan_targets,
    scanned,
)
from onyx_wizard.profile import Profile
from onyx_wizard.scan import Progress, default_rules, scan_paths

PROBE_ID = "identity-documents"
RULE = "identity-document-mrz"


def run_identity_documents(
    profile: Profile,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ProbeResult:
    """The whole check, blocking (a thread runs it for the probe; tests call it directly)."""
    paths = scan_targets(profile)
    if not paths:
        return nothing_to_scan(PROBE_ID)
    rules = [rule for rule in default_rules() if rule.id == RULE]
    report = scan_paths(
        paths,
        allowlist=profile_allowlist(profile),
        progress=progress,
        cancel=cancel,
        rules=rules,
    )
    findings = Findings(PROBE_ID)
    scan_summary(findings, report)
    documents = report.findings
    if documents:
        files = Counter(finding.path for finding in documents)
        first = documents[0]
        findings.fail(
            "IDENTITY_DOCUMENT_FOUND",
            f"{len(documents)} passport or ID card machine-readable zone"
            f"{'' if len(documents) == 1 else 's'} in {len(files)} "
            f"file{'' if len(files) == 1 else 's'}, first in {first.path} line {first.line}",
        )
    scan_problems(findings, report)
    return findings.result(
        "NO_IDENTITY_DOCUMENT",
        f"no passport or ID card machine-readable zone found ({scanned(report)} scanned)",
    )


@probe(PROBE_ID, title="Identity documents", deadline=SCAN_DEADLINE)
async def identity_documents(ctx: ProbeContext) -> ProbeResult:
    """Scan log_paths and evidence_dir for passport and ID card machine-readable zones."""
    return await in_thread(ctx, PROBE_ID, functools.partial(run_identity_documents, ctx.profile))
