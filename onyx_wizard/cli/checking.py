"""`onyx-wizard check`: the probes, headless, for CI; results saved into a session if named."""

from __future__ import annotations

import argparse
import asyncio
import sys

from onyx_wizard import check as checks
from onyx_wizard.checklist import load_checklist
from onyx_wizard.errors import CommandError, ExitCode, OnyxError
from onyx_wizard.files import write_atomic
from onyx_wizard.gate import evaluate
from onyx_wizard.probes import ProbeResult
from onyx_wizard.profile import load_profile
from onyx_wizard.report import check as report
from onyx_wizard.secrets import load_secrets
from onyx_wizard.session import Session, open_session


def check(args: argparse.Namespace) -> int:
    if (args.name is None) == (args.profile is None):
        raise CommandError("check needs a session NAME or --profile FILE (one of them)")
    live = sys.stderr.isatty()

    def progress(result: ProbeResult) -> None:
        if live:
            print(
                f"  {result.outcome.value:<7} {result.probe_id} ({result.duration_ms} ms)",
                file=sys.stderr,
            )

    def announce(count: int) -> None:
        if not count:
            raise CommandError("no probe applies to this profile (check its features)")
        if live:
            print(f"Running {count} probe(s)…", file=sys.stderr)

    session_run: checks.SessionRun | None = None
    if args.profile is not None:
        checklist = load_checklist()
        profile = load_profile(args.profile)
        probe_ids, item_ids = checks.select(checklist, profile, args.only or ())
        announce(len(probe_ids))
        loaded = load_secrets(None, profile.environment.value)
        check_run = asyncio.run(
            checks.run_check(probe_ids, profile, loaded.values, on_result=progress)
        )
        blank = Session.blank("profile", checklist.version, profile)
        verdict = checks.verdict_with(blank, checklist, check_run)
    else:
        opened = open_session(args.name)
        checklist, profile = opened.checklist, opened.session.profile
        session_run = checks.SessionRun(opened, args.only or ())
        item_ids = session_run.item_ids
        announce(len(session_run.probe_ids))
        check_run = asyncio.run(session_run.run(on_result=progress))
        loaded = session_run.secrets
        verdict = evaluate(opened.session, checklist)
    for key in loaded.too_short:
        print(
            f"onyx-wizard: warning: {key.value} is shorter than any real secret; check "
            f"{key.env_var} or the keyring",
            file=sys.stderr,
        )
    doc = checks.document(checklist, profile, check_run, verdict, item_ids)
    render = {"json": report.as_json, "junit": report.as_junit, "text": report.as_text}[args.format]
    output = render(doc)
    if args.output:
        try:
            write_atomic(args.output, output.encode("utf-8"), mode=0o644)
        except OSError as exc:
            sys.stdout.write(output)  # the run is not lost: the report goes to stdout instead
            raise CommandError(
                f"cannot write {args.output}: {exc.strerror or exc}; the report went to stdout"
            ) from None
        summary = report.as_text(doc).rstrip().splitlines()[-1]
        print(f"{summary}\nwrote {args.format} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    if session_run is not None and session_run.save_error is not None:
        error = session_run.save_error
        detail = error.strerror if isinstance(error, OSError) and error.strerror else error
        print(
            f"onyx-wizard: the report above is complete, but the results were not saved into "
            f"session {args.name!r}: {detail}",
            file=sys.stderr,
        )
        return error.exit_code if isinstance(error, OnyxError) else ExitCode.ENVIRONMENT
    code = check_run.exit_code
    if code == ExitCode.ENVIRONMENT:
        missing = [r.probe_id for r in check_run.results if r.reason_code == "SECRET_MISSING"]
        why = f" ({loaded.keyring_problem})" if loaded.keyring_problem else ""
        if missing:
            print(
                f"onyx-wizard: skipped for a missing secret: {', '.join(missing)}{why}",
                file=sys.stderr,
            )
        else:
            print("onyx-wizard: no probe ran, so nothing was tested:", file=sys.stderr)
            for r in check_run.results:
                print(f"  {r.probe_id}: {r.message}", file=sys.stderr)
    return code
