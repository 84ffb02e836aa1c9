"""Signed attestations: `export` a session's, `countersign` one, `verify` one offline."""

from __future__ import annotations

import argparse
import sys

from onyx_wizard.attestation import NotReady, export_session, verify_file
from onyx_wizard.attestation import countersign as add_signature
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.files import write_atomic
from onyx_wizard.report.attestation import export_summary, verify_summary
from onyx_wizard.report.html import approver_report
from onyx_wizard.session import open_session


def export(args: argparse.Namespace) -> int:
    opened = open_session(args.name)
    try:
        result = export_session(opened, args.output, args.markdown, args.draft, args.key)
    except NotReady as exc:
        hint = f"{exc}\nResolve them, or export a draft with --draft."
        raise CommandError(hint, exc.exit_code) from None
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename or args.output}: {exc.strerror}") from None
    print("\n".join(export_summary(opened.name, result)))
    return ExitCode.OK


def countersign(args: argparse.Namespace) -> int:
    try:
        result = add_signature(args.file, args.key, args.markdown)
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename or args.file}: {exc.strerror}") from None
    print(f"Countersigned {args.file} with key {result.key_name!r}, key id {result.key_id}")
    print(f"It now carries {len(result.keyids)} signatures, key ids:")
    for kid in result.keyids:
        print(f"  {kid}")
    if args.markdown:
        print(f"Summary rewritten: {args.markdown}")
    return ExitCode.OK


def verify(args: argparse.Namespace) -> int:
    try:
        result = verify_file(args.file, args.key, args.threshold, args.evidence_dir)
    except ValueError as exc:  # a threshold these keys can never meet
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    if not result.ok or result.predicate is None:
        raise CommandError(f"not verified: {result.reason}", ExitCode.FAIL)
    print("\n".join(verify_summary(args.file, result, args.threshold, args.evidence_dir)))
    if args.html is not None:
        page = approver_report(
            result, str(args.file), args.threshold, args.evidence_dir is not None
        )
        write_atomic(args.html, page.encode("utf-8"), mode=0o644)
        print(f"Report:    {args.html}")
    if args.require_ready and (not result.predicate.verdict.ready or result.predicate.draft):
        print("onyx-wizard: verified, but the attestation is not ready for launch", file=sys.stderr)
        return ExitCode.FAIL
    return ExitCode.OK
