"""Commands about sessions: checklist, new, resume, sessions and status."""

from __future__ import annotations

import argparse
import sys

from onyx_wizard.checklist import load_checklist
from onyx_wizard.cli._shared import print_json, run_tui
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.gate import evaluate
from onyx_wizard.profile import load_profile
from onyx_wizard.progress import session_rows
from onyx_wizard.report.status import status_json, status_text
from onyx_wizard.session import list_sessions, new_session, open_session


def checklist(args: argparse.Namespace) -> int:
    loaded = load_checklist()
    if args.format == "json":
        print_json(
            [
                {
                    "id": item.id,
                    "section": loaded.section_of(item.id).title,
                    "title": item.title,
                    "method": item.method.value,
                    "probes": list(item.probes),
                    "required": item.required,
                    "applies_when": list(item.applies_when.features),
                    "valid_days": item.valid_days,
                    "evidence": item.evidence.description,
                }
                for item in loaded.items
            ]
        )
        return ExitCode.OK
    print(f"{loaded.title} (version {loaded.version}, {len(loaded.items)} items)")
    for section in loaded.sections:
        print(f"\n{section.title}")
        for item in section.items:
            flags = item.method.value
            if item.applies_when.features:
                flags += f"; {item.applies_when.describe()}"
            print(f"  • {item.title}  [{flags}]")
            print(f"    {item.id}")
    return ExitCode.OK


def new(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile) if args.profile else None
    opened = new_session(args.name, profile=profile)
    print(f"Created session {opened.name} at {opened.path}")
    if args.no_open:
        return ExitCode.OK
    return run_tui(session=opened.name, screen="profile")


def resume(args: argparse.Namespace) -> int:
    name = args.name
    if name is None:
        everything = list_sessions()
        readable = [listing.session for listing in everything if listing.session is not None]
        if not readable:
            if everything:
                raise CommandError(f"no readable session to resume: {everything[0].error}")
            raise CommandError("no sessions yet: start one with `onyx-wizard new NAME`")
        name = readable[0].name
    open_session(name)  # fail here, on the command line, if the file is broken
    return run_tui(session=name, screen="resume")


def sessions(args: argparse.Namespace) -> int:
    rows = session_rows()
    if not rows:
        print("No sessions yet. Start one with: onyx-wizard new NAME")
        return ExitCode.OK
    table = [("NAME", "APP", "ENVIRONMENT", "PROGRESS", "LAST SAVED")]
    for row in rows:
        app = "⚠ unreadable file" if row.error else row.app_name
        table.append((row.name, app, row.environment, row.progress, row.saved))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    for row in rows:
        if row.error:
            print(f"warning: {row.error}", file=sys.stderr)
    return ExitCode.OK


def status(args: argparse.Namespace) -> int:
    opened = open_session(args.name)
    verdict = evaluate(opened.session, opened.checklist)
    if args.json:
        print_json(status_json(opened, verdict))
    else:
        sys.stdout.write(status_text(opened, verdict))
    if args.require_ready and not verdict.ready:
        return ExitCode.FAIL
    return ExitCode.OK
