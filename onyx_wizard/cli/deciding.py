"""People's decisions from the command line: `attest`, `waive`, `na`, `clear`, and
`attest --from FILE` for a reviewed file of them. The same core calls, rules, redaction and
history as the wizard's item screen."""

from __future__ import annotations

import argparse
from datetime import date

from onyx_wizard.decisions import apply_decisions
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.session import default_operator, open_session


def _by(args: argparse.Namespace) -> str:
    return (args.by or "").strip() or default_operator()


def attest(args: argparse.Namespace) -> int:
    opened = open_session(args.name)
    if args.from_file is not None:
        if args.item is not None:
            raise CommandError("attest --from FILE takes no ITEM: the file names its items")
        applied = apply_decisions(opened, args.from_file)
        changed = sum(entry.changed for entry in applied)
        print(f"{args.from_file}: {changed} change(s), {len(applied) - changed} already so")
        for entry in applied:
            print(entry)
        return ExitCode.OK
    if args.item is None:
        raise CommandError("attest needs an ITEM (or --from FILE)")
    opened.attest(args.item, _by(args), args.note or "", args.evidence or [])
    print(f"Attested {args.item} in session {opened.name}.")
    return ExitCode.OK


def waive(args: argparse.Namespace) -> int:
    try:
        expires = date.fromisoformat(args.expires)
    except ValueError:
        raise CommandError(f"--expires {args.expires!r}: give a date such as 2027-01-31") from None
    opened = open_session(args.name)
    opened.waive(args.item, _by(args), args.reason, args.approver, expires)
    print(f"Waived {args.item} until {expires} (approved by {args.approver.strip()}).")
    return ExitCode.OK


def not_applicable(args: argparse.Namespace) -> int:
    opened = open_session(args.name)
    opened.mark_not_applicable(args.item, _by(args), args.reason)
    print(f"Marked {args.item} not applicable in session {opened.name}.")
    return ExitCode.OK


def clear(args: argparse.Namespace) -> int:
    opened = open_session(args.name)
    if opened.session.record(args.item).status.value == "pending":
        opened.clear(args.item, _by(args))  # checks the item id; nothing to undo
        print(f"Nothing recorded for {args.item}; nothing cleared.")
        return ExitCode.OK
    opened.clear(args.item, _by(args))
    print(f"Cleared {args.item}; the session's history keeps what it said.")
    return ExitCode.OK
