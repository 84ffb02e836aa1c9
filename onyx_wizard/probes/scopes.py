"""Scope review: the requested scopes are exactly those the declared features need."""

from __future__ import annotations

from onyx_wizard.checklist import scope_catalogue
from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "scope-review"


@probe(
    PROBE_ID,
    title="Requested scopes match the declared features",
    profile=("requested_scopes", "features"),
)
async def scope_review(ctx: ProbeContext) -> ProbeResult:
    """Compare the requested scopes with the catalogue's scopes for the features; no request."""
    findings = Findings(PROBE_ID)
    requested = list(ctx.profile.requested_scopes)
    needed = scope_catalogue().needed(ctx.profile.features)
    extra = [scope for scope in requested if scope not in needed]
    missing = [scope for scope in needed if scope not in requested]
    findings.record({"requested": requested, "needed": needed})
    if extra:
        # Least privilege: a scope no declared feature needs is a fail, not a style issue.
        findings.fail(
            "SCOPE_NOT_NEEDED",
            f"no declared feature needs the requested scope(s) {', '.join(extra)}",
        )
    if missing:
        findings.warn(
            "SCOPE_MISSING",
            f"the declared features need the scope(s) {', '.join(missing)}, which are not "
            "requested",
        )
    return findings.result(
        "SCOPES_OK", f"the {len(requested)} requested scopes are exactly those the features need"
    )
