"""`onyx-wizard drift`: what changed since a signed attestation (a nightly CI job)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from onyx_wizard import check as checks
from onyx_wizard import drift as drifts
from onyx_wizard.attestation import verify_file
from onyx_wizard.checklist import load_checklist
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.files import write_atomic
from onyx_wizard.profile import load_profile
from onyx_wizard.report.html import approver_report
from onyx_wizard.secrets import load_secrets
from onyx_wizard.session import now, open_session


def drift(args: argparse.Namespace) -> int:
    if (args.session is None) == (args.profile is None):
        raise CommandError("drift needs --session NAME or --profile FILE (one of them)")
    try:
        verified = verify_file(args.file, args.key, 1, None)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    if not verified.ok or verified.predicate is None:
        raise CommandError(f"not verified: {verified.reason}", ExitCode.FAIL)
    signed = verified.predicate
    checklist = load_checklist()
    probe_ids = sorted({probe.id for item in signed.items for probe in item.probes})
    if args.session is not None:
        opened = open_session(args.session)
        profile = opened.session.profile
        session_run = checks.SessionRun(opened, probe_ids)
        check_run = asyncio.run(session_run.run())
    else:
        profile = load_profile(args.profile)
        loaded = load_secrets(None, profile.environment.value)
        check_run = asyncio.run(checks.run_check(probe_ids, profile, loaded.values))
    evidence_dir = args.evidence_dir
    if evidence_dir is None and profile.evidence_dir.strip():
        # As the export resolved it: the profile's folder (relative to where this runs).
        evidence_dir = Path(profile.evidence_dir.strip()).expanduser().absolute()
    results = {r.probe_id: drifts.ProbeNow(r.outcome, r.reason_code) for r in check_run.results}
    skipped = [r.probe_id for r in check_run.results if not r.outcome.ran]
    # As for `check`: a probe skipped for a missing secret is the environment's fault (exit 3);
    # others (e.g. access-revocation after its token was revoked) are listed, not failed.
    missing = [r.probe_id for r in check_run.results if r.reason_code == "SECRET_MISSING"]
    when = now()
    changes = drifts.compare(signed, checklist, results, evidence_dir, when, args.within)
    doc = drifts.document(signed, changes, skipped, when)
    render = {"text": drifts.as_text, "json": drifts.as_json, "junit": drifts.as_junit}
    output = render[args.format](doc)
    if args.output:
        write_atomic(args.output, output.encode("utf-8"), mode=0o644)
        print(f"wrote {args.format} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    if args.html is not None:
        page = approver_report(verified, str(args.file), 1, evidence_dir is not None, doc)
        write_atomic(args.html, page.encode("utf-8"), mode=0o644)
        print(f"wrote the approver's report to {args.html}", file=sys.stderr)
    if doc["regressed"]:
        return ExitCode.FAIL
    if missing:
        print(
            f"onyx-wizard: not re-checked for a missing secret: {', '.join(missing)}",
            file=sys.stderr,
        )
        return ExitCode.ENVIRONMENT
    return ExitCode.OK
