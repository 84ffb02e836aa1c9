"""Catalogue version: the Partner Connectivity catalogue in use is the one Onyx approved."""

from __future__ import annotations

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, Outcome, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "catalogue-version"


@probe(PROBE_ID, title="Partner Connectivity catalogue version is approved")
async def catalogue_version(ctx: ProbeContext) -> ProbeResult:
    """Compare the catalogue version with the approved one from the profile; no request."""
    if "partner-connectivity" not in ctx.profile.features:
        # The checklist item applies only with the feature; without it there is nothing to judge.
        return ProbeResult(
            PROBE_ID,
            Outcome.SKIPPED,
            "CATALOGUE_NOT_USED",
            "the profile does not declare the partner-connectivity feature",
        )
    findings = Findings(PROBE_ID)
    versions = ctx.profile.partner_connectivity
    current = versions.catalogue_version.strip()
    approved = versions.approved_catalogue_version.strip()
    empty = [
        name
        for name, value in (
            ("catalogue_version", current),
            ("approved_catalogue_version", approved),
        )
        if not value
    ]
    findings.record({"catalogue_version": current, "approved_catalogue_version": approved})
    if empty:
        findings.fail(
            "CATALOGUE_VERSION_MISSING",
            f"the profile's partner_connectivity {' and '.join(empty)} "
            f"{'is' if len(empty) == 1 else 'are'} empty",
        )
    elif current != approved:
        findings.fail(
            "CATALOGUE_NOT_APPROVED",
            f"the catalogue version {current} is not the approved version {approved}",
        )
    return findings.result(
        "CATALOGUE_APPROVED",
        f"the catalogue version {current} is the approved one; a person confirms the approval",
    )
