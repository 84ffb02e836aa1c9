"""The `onyx-wizard` command: subcommands, exit codes, and the door to the TUI.

Exit codes: 0 success, 1 a check or gate failed, 2 usage or configuration error,
3 environment error (no keyring, missing secret). Imports are deferred into each command so
that `--help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onyx_wizard.gate import Verdict
    from onyx_wizard.session import OpenSession

from onyx_wizard.errors import CommandError, ExitCode, OnyxError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_ENV = (
    ExitCode.OK,
    ExitCode.FAIL,
    ExitCode.USAGE,
    ExitCode.ENVIRONMENT,
)
__all__ = ["CommandError", "main"]


def _print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))


# --- commands --------------------------------------------------------------------------------


def cmd_checklist(args: argparse.Namespace) -> int:
    from onyx_wizard.checklist import load_checklist

    checklist = load_checklist()
    if args.format == "json":
        _print_json(
            [
                {
                    "id": item.id,
                    "section": checklist.section_of(item.id).title,
                    "title": item.title,
                    "method": item.method.value,
                    "probes": list(item.probes),
                    "required": item.required,
                    "applies_when": list(item.applies_when.features),
                    "valid_days": item.valid_days,
                    "evidence": item.evidence.description,
                }
                for item in checklist.items
            ]
        )
        return EXIT_OK
    print(f"{checklist.title} (version {checklist.version}, {len(checklist.items)} items)")
    for section in checklist.sections:
        print(f"\n{section.title}")
        for item in section.items:
            flags = item.method.value
            if item.applies_when.features:
                flags += f"; {item.applies_when.describe()}"
            print(f"  • {item.title}  [{flags}]")
            print(f"    {item.id}")
    return EXIT_OK


def _open(name: str) -> OpenSession:
    from onyx_wizard.session import open_session

    return open_session(name)


def cmd_new(args: argparse.Namespace) -> int:
    from onyx_wizard.profile import load_profile
    from onyx_wizard.session import new_session

    profile = load_profile(args.profile) if args.profile else None
    opened = new_session(args.name, profile=profile)
    print(f"Created session {opened.name} at {opened.path}")
    if args.no_open:
        return EXIT_OK
    return _run_tui(session=opened.name, screen="profile")


def cmd_resume(args: argparse.Namespace) -> int:
    from onyx_wizard.session import list_sessions

    name = args.name
    if name is None:
        everything = list_sessions()
        readable = [listing.session for listing in everything if listing.session is not None]
        if not readable:
            if everything:
                raise CommandError(f"no readable session to resume: {everything[0].error}")
            raise CommandError("no sessions yet: start one with `onyx-wizard new NAME`")
        name = readable[0].name
    _open(name)  # fail here, on the command line, if the file is broken
    return _run_tui(session=name, screen="resume")


def cmd_sessions(args: argparse.Namespace) -> int:
    from onyx_wizard.progress import session_rows

    rows = session_rows()
    if not rows:
        print("No sessions yet. Start one with: onyx-wizard new NAME")
        return EXIT_OK
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
    return EXIT_OK


def status_json(opened: OpenSession, verdict: Verdict) -> dict[str, Any]:
    """The `status --json` document."""
    return {
        "schema": "onyx-wizard/status/v1",
        "session": opened.name,
        "app_name": opened.session.profile.app_name,
        "environment": opened.session.profile.environment.value,
        "checklist_version": opened.checklist.version,
        "ready": verdict.ready,
        "verdict": verdict.summary,
        "sections": [
            {
                "id": s.section_id,
                "title": s.title,
                "done": s.done,
                "total": s.total,
                "blocking": s.blocking,
            }
            for s in verdict.sections
        ],
        "blockers": [
            {"id": b.item_id, "title": b.title, "status": b.status.value, "reason": b.reason}
            for b in verdict.blockers
        ],
        "items": [
            {
                "id": item_id,
                "status": state.status.value,
                "applicable": state.applicable,
                "done": state.done,
                "reason": state.reason,
            }
            for item_id, state in verdict.states.items()
        ],
    }


def cmd_status(args: argparse.Namespace) -> int:
    from onyx_wizard.gate import evaluate

    opened = _open(args.name)
    verdict = evaluate(opened.session, opened.checklist)
    if args.json:
        _print_json(status_json(opened, verdict))
        return EXIT_OK
    profile = opened.session.profile
    print(f"Session {opened.name}: {profile.app_name or '(no app name)'} ({profile.environment})")
    print(f"Launch gate: {'✓ READY' if verdict.ready else '✗ NOT READY'} — {verdict.summary}\n")
    width = max(len(s.title) for s in verdict.sections)
    for s in verdict.sections:
        bar_len = 20
        filled = round(bar_len * s.done / s.total) if s.total else bar_len
        bar = "█" * filled + "░" * (bar_len - filled)
        note = f"  {s.blocking} blocking" if s.blocking else ""
        print(f"  {s.title.ljust(width)}  {bar}  {s.done:>2}/{s.total}{note}")
    if verdict.blockers:
        print("\nBlocking items:")
        for b in verdict.blockers:
            print(f"  ✗ {b.item_id}  [{b.status}]  {b.reason}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio

    from onyx_wizard import check
    from onyx_wizard.checklist import load_checklist
    from onyx_wizard.gate import evaluate
    from onyx_wizard.probes import ProbeResult
    from onyx_wizard.profile import load_profile
    from onyx_wizard.report import check as report
    from onyx_wizard.secrets import load_secrets
    from onyx_wizard.session import Session

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

    if args.profile is not None:
        checklist = load_checklist()
        profile = load_profile(args.profile)
        probe_ids, item_ids = check.select(checklist, profile, args.only or ())
        announce(len(probe_ids))
        loaded = load_secrets(None, profile.environment.value)
        check_run = asyncio.run(
            check.run_check(probe_ids, profile, loaded.values, on_result=progress)
        )
        blank = Session.blank("profile", checklist.version, profile)
        verdict = check.verdict_with(blank, checklist, check_run)
    else:
        opened = _open(args.name)
        checklist, profile = opened.checklist, opened.session.profile
        session_run = check.SessionRun(opened, args.only or ())
        item_ids = session_run.item_ids
        announce(len(session_run.probe_ids))
        check_run = asyncio.run(session_run.run(on_result=progress))
        loaded = session_run.secrets
        verdict = evaluate(opened.session, checklist)
    doc = check.document(checklist, profile, check_run, verdict, item_ids)
    render = {"json": report.as_json, "junit": report.as_junit, "text": report.as_text}[args.format]
    output = render(doc)
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(output, encoding="utf-8")
        summary = report.as_text(doc).rstrip().splitlines()[-1]
        print(f"{summary}\nwrote {args.format} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    code = check_run.exit_code
    if code == EXIT_ENV:
        missing = [r.probe_id for r in check_run.results if r.reason_code == "SECRET_MISSING"]
        why = f" ({loaded.keyring_problem})" if loaded.keyring_problem else ""
        print(
            f"onyx-wizard: skipped for a missing secret: {', '.join(missing)}{why}", file=sys.stderr
        )
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from onyx_wizard.demo import FAULTS, DemoDeployment

    if args.list_faults:
        width = max(len(name) for name in FAULTS)
        for name, fault in FAULTS.items():
            verdict = f"{fault.outcome} {fault.reason_code}"
            print(f"{name.ljust(width)}  {fault.description}  [{fault.probe}: {verdict}]")
        return EXIT_OK
    try:
        deployment = DemoDeployment(args.fault or (), latency_ms=args.latency)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    with deployment:
        if args.serve:
            return _serve_demo(deployment)
        return _demo_wizard(deployment)


def _serve_demo(deployment: Any) -> int:
    import shlex
    import shutil
    import signal
    import tempfile
    import threading
    from pathlib import Path

    from onyx_wizard.demo import write_profile

    folder = Path(tempfile.mkdtemp(prefix="onyx-wizard-demo-"))
    profile_path = folder / "profile.toml"
    write_profile(deployment, profile_path)
    faults = ", ".join(deployment.faults) or "none"
    print(f"Demo partner app at {deployment.base_url} (faults: {faults})")
    print(f"Profile: {profile_path}")
    print("Its secrets (demo values, in memory only; export them where you run `check`):")
    for key, value in deployment.secrets().items():
        print(f"  export {key.env_var}={shlex.quote(value)}")
    print(f"Then: onyx-wizard check --profile {profile_path}")
    print("Ctrl-C stops the demo.", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM ends the demo as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return EXIT_OK


def _demo_wizard(deployment: Any) -> int:
    import os
    import shutil
    import tempfile

    from onyx_wizard.session import new_session

    # The demo keeps its session in a folder of its own (removed at exit) so it never touches
    # the operator's sessions, and its secrets only in this process's environment.
    home = tempfile.mkdtemp(prefix="onyx-wizard-demo-")
    os.environ["ONYX_WIZARD_HOME"] = home
    for key, value in deployment.secrets().items():
        os.environ[key.env_var] = value
    try:
        new_session("demo", profile=deployment.profile())
        faults = ", ".join(deployment.faults) or "none"
        notice = (
            f"The sample partner app is serving at {deployment.base_url} (faults: {faults}). "
            "Press r to run every probe against it, ? for the keys."
        )
        return _run_tui(session="demo", screen="overview", notice=notice)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def cmd_scan(args: argparse.Namespace) -> int:
    from onyx_wizard.scan import AllowlistError, load_allowlist, scan_paths

    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        raise CommandError(f"no such file or folder: {', '.join(missing)}")
    allowlist = None
    if args.allowlist is not None:
        try:
            allowlist = load_allowlist(args.allowlist)
        except AllowlistError as exc:
            raise CommandError(str(exc)) from None
    secrets: dict[str, str] = {}
    keyring_problem = ""
    if args.session:
        from onyx_wizard.secrets import load_secrets

        opened = _open(args.session)
        loaded = load_secrets(opened.name, opened.session.profile.environment.value)
        secrets = {key.value: value for key, value in loaded.values.items()}
        keyring_problem = loaded.keyring_problem
        if keyring_problem:
            print(f"onyx-wizard: warning: secrets not all read: {keyring_problem}", file=sys.stderr)
        elif not secrets:
            note = f"session {opened.name} holds no secrets; searching for patterns only"
            print(f"onyx-wizard: {note}", file=sys.stderr)
    progress = _scan_progress() if sys.stderr.isatty() else None
    report = scan_paths(args.paths, secrets=secrets, allowlist=allowlist, progress=progress)
    if progress is not None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.format == "json":
        _print_json(report.to_json())
    else:
        sys.stdout.write(report.to_text())
    if report.findings or report.errors:
        return EXIT_FAIL
    return EXIT_ENV if keyring_problem else EXIT_OK


def _scan_progress() -> Callable[[int, int], None]:
    """A one-line progress display on stderr, redrawn at most ten times a second."""
    import time

    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        share = f"{100 * done // total}%" if total else ""
        line = f"scanning… {share} ({done / 1e6:.0f} of {total / 1e6:.0f} MB)"
        print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    return show


def _store(name: str) -> Any:
    from onyx_wizard.secrets import SecretStore

    opened = _open(name)
    return SecretStore(opened.name, opened.session.profile.environment.value)


def cmd_secrets(args: argparse.Namespace) -> int:
    from onyx_wizard.secrets import parse_key

    store = _store(args.name)
    if args.action == "list":
        states = store.states()  # fails with the keyring's message before anything is printed
        print(f"Secrets of session {store.session} ({store.environment}); values are never shown.")
        for state in states:
            mark = f"✓ set ({state.source})" if state.source else "✗ not set"
            print(f"  {state.key.value.ljust(22)} {mark.ljust(38)} {state.key.label}")
        return EXIT_OK
    if not args.key:
        raise CommandError(f"secrets {args.action} needs a KEY")
    try:
        key = parse_key(args.key)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.action == "delete":
        removed = store.delete(key)
        print(f"{'Deleted' if removed else 'Nothing to delete for'} {key.value} of {store.session}")
        return EXIT_OK
    value = _read_secret(key.label)
    store.set(key, value)
    print(f"Stored {key.value} for {store.session} in the OS keyring ({len(value)} characters).")
    return EXIT_OK


def _read_secret(label: str) -> str:
    """Read a secret from a masked prompt on a terminal, else one line of stdin."""
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{label}: ")
    else:
        value = sys.stdin.readline()
    value = value.strip("\r\n")
    if not value:
        raise CommandError("no secret given (nothing was read)")
    return value


def cmd_keys(args: argparse.Namespace) -> int:
    from onyx_wizard.attestation import NoSigningKey, SigningKeyError, SigningKeyExists, keys

    try:
        if args.action == "list":
            listed = keys.list_keys()
            if not listed:
                print("No signing keys yet. Make one with: onyx-wizard keys generate")
                return EXIT_OK
            width = max(len(info.name) for info in listed)
            for info in listed:
                made = f"  created {info.created_at:%Y-%m-%d}" if info.created_at else ""
                print(f"{info.name.ljust(width)}  {info.key_id}{made}")
            return EXIT_OK
        if args.action == "generate":
            info = keys.generate(args.name, replace=args.replace)
            print(f"Generated Ed25519 signing key {info.name!r}, key id {info.key_id}")
            print(
                f"The private key is in the OS keyring ({keys.KEYRING_PREFIX}{info.name}); "
                f"share the public key: onyx-wizard keys public --name {info.name}"
            )
            return EXIT_OK
        public_key = keys.public_key(args.name)
    except SigningKeyExists as exc:
        raise CommandError(str(exc), EXIT_FAIL) from None
    except NoSigningKey as exc:
        raise CommandError(str(exc), EXIT_ENV) from None
    except SigningKeyError as exc:
        raise CommandError(str(exc)) from None
    pem, kid = keys.public_key_pem(public_key), keys.key_id(public_key)
    if args.output:
        from onyx_wizard.files import write_atomic

        write_atomic(args.output, pem.encode("ascii"), mode=0o644)
        print(f"Wrote the public key of {args.name!r} to {args.output}\nkey id: {kid}")
    else:
        # PEM readers skip text after the END line, so `> key.pem` still gives a usable file.
        print(pem + f"key id: {kid}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from onyx_wizard.attestation import AttestationError, NoSigningKey, NotReady, export_session

    opened = _open(args.name)
    try:
        result = export_session(opened, args.output, args.markdown, args.draft, args.key)
    except NotReady as exc:
        raise CommandError(
            f"{exc}\nResolve them, or export a draft with --draft.", EXIT_FAIL
        ) from None
    except NoSigningKey as exc:
        raise CommandError(str(exc), EXIT_ENV) from None
    except AttestationError as exc:
        raise CommandError(str(exc), EXIT_FAIL) from None
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename or args.output}: {exc.strerror}") from None
    kind = "Draft attestation" if result.draft else "Signed attestation"
    print(f"{kind} of {opened.name}: {result.verdict.summary}")
    print(f"  envelope:  {result.envelope_path}")
    if result.markdown_path is not None:
        print(f"  summary:   {result.markdown_path}")
    print(f"  signed by: key {result.key_name!r}, key id {result.key_id}")
    print(f"  statement: sha256 {result.statement_digest}")
    print(f"  evidence:  {len(result.evidence)} file(s) referenced by digest")
    return EXIT_OK


def cmd_countersign(args: argparse.Namespace) -> int:
    from onyx_wizard.attestation import AttestationError, NoSigningKey, countersign

    try:
        result = countersign(args.file, args.key, args.markdown)
    except NoSigningKey as exc:
        raise CommandError(str(exc), EXIT_ENV) from None
    except AttestationError as exc:
        raise CommandError(str(exc), EXIT_FAIL) from None
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename or args.file}: {exc.strerror}") from None
    print(f"Countersigned {args.file} with key {result.key_name!r}, key id {result.key_id}")
    print(f"It now carries {len(result.keyids)} signatures, key ids:")
    for kid in result.keyids:
        print(f"  {kid}")
    if args.markdown:
        print(f"Summary rewritten: {args.markdown}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from onyx_wizard.attestation import SigningKeyError, verify_file
    from onyx_wizard.attestation.statement import rfc3339

    try:
        result = verify_file(args.file, args.key, args.threshold, args.evidence_dir)
    except (SigningKeyError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    if not result.ok or result.predicate is None:
        raise CommandError(f"not verified: {result.reason}", EXIT_FAIL)
    p = result.predicate
    print(
        f"✓ Verified {args.file}: signed by {len(result.signers)} trusted key(s), "
        f"{args.threshold} required"
    )
    for kid in result.signers:
        print(f"  signer key id {kid}")
    state = "READY" if p.verdict.ready else "NOT READY"
    print(f"Verdict:   {state} — {p.verdict.summary}" + (" (DRAFT)" if p.draft else ""))
    print(f"App:       {p.app_name} ({p.environment}), session {p.session}")
    print(
        f"Generated: {rfc3339(p.generated_at)} by {p.generator.name} {p.generator.version}, "
        f"checklist {p.checklist_version}"
    )
    print(f"Statement: sha256 {result.statement_digest}")
    if args.evidence_dir is None:
        print("Evidence:  files not checked (pass --evidence-dir DIR to check their digests)")
    else:
        print(f"Evidence:  {len(result.evidence_checked)} file(s) match in {args.evidence_dir}")
    for blocker in p.verdict.blockers:
        print(f"  ✗ blocking: {blocker.id} [{blocker.status}] {blocker.reason}")
    counts: dict[str, int] = {}
    for item in p.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"Items ({len(p.items)}): {summary}")
    for item in p.items:
        who = f"  {item.by}, {rfc3339(item.at)}" if item.by and item.at else ""
        print(f"  {item.status:<14} {item.id}{who}")
    return EXIT_OK


def _run_tui(session: str | None = None, screen: str = "sessions", notice: str = "") -> int:
    from onyx_wizard.tui.app import WizardApp

    app = WizardApp(session=session, start=screen, notice=notice)
    app.run()
    return app.return_code or EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    return _run_tui()


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onyx-wizard",
        description="Walk through Onyx's Production Launch Checklist: probes for what a machine "
        "can check, attestations for the rest. With no command, opens the wizard.",
    )
    from onyx_wizard import __version__

    parser.add_argument("--version", action="version", version=f"onyx-wizard {__version__}")
    parser.set_defaults(func=cmd_tui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("checklist", help="print the launch checklist")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_checklist)

    p = sub.add_parser("new", help="start a session and open the wizard on its profile")
    p.add_argument("name", help="session name (letters, digits, . _ -)")
    p.add_argument("--profile", type=_path, help="fill the profile from a profile.toml")
    p.add_argument("--no-open", action="store_true", help="create the session only")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("resume", help="reopen a session where you left off")
    p.add_argument("name", nargs="?", help="session name (default: the most recently saved)")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("sessions", help="list sessions")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("status", help="progress, launch-gate verdict and blockers of a session")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "check",
        help="run the probes headless (CI): exit 0 pass, 1 fail/error, 2 usage, 3 environment",
    )
    p.add_argument("name", nargs="?", help="session name (results are saved into it)")
    p.add_argument("--profile", type=_path, help="a profile.toml instead of a session")
    p.add_argument(
        "--only",
        action="append",
        metavar="ITEM_OR_PROBE",
        help="run only this item's probes, or this probe (repeatable)",
    )
    p.add_argument("--format", choices=("text", "json", "junit"), default="text")
    p.add_argument("--output", "-o", type=_path, help="write the report here instead of stdout")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "demo", help="the wizard against the built-in sample partner app (HTTPS on 127.0.0.1)"
    )
    p.add_argument(
        "--fault",
        action="append",
        metavar="NAME",
        help="break one behaviour of the sample app (repeatable; see --list-faults)",
    )
    p.add_argument(
        "--serve",
        action="store_true",
        help="only serve: print a profile.toml path and the secrets' variables",
    )
    p.add_argument("--list-faults", action="store_true", help="name every fault, one line each")
    p.add_argument(
        "--latency",
        type=float,
        default=0,
        metavar="MS",
        help="delay every answer, like a deployment across a network (default 0)",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "scan",
        help="find secrets, tokens and personal data in files: exit 0 clean, 1 found, 2 usage",
        description="Scan files and folders (recursively; gzip read transparently, binaries "
        "skipped) for secret and token shapes, personal data and, with --session, the exact "
        "values of that session's secrets. Findings name rule, file, line and column and a "
        "salted hash of the value, never the value. Exit 0 clean, 1 something found (or a file "
        "could not be read), 2 usage, 3 the keyring could not be read for --session.",
    )
    p.add_argument("paths", nargs="+", type=_path, metavar="PATH", help="a file or folder")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--session", metavar="NAME", help="also look for this session's secret values (keyring)"
    )
    p.add_argument(
        "--allowlist",
        type=_path,
        metavar="FILE",
        help="TOML file of known false positives: [[allow]] rule, path (glob), reason",
    )
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("secrets", help="manage a session's credentials in the OS keyring")
    p.add_argument("action", choices=("list", "set", "delete"))
    p.add_argument("name", help="session name")
    p.add_argument("key", nargs="?", help="secret name, e.g. webhook_secret")
    p.set_defaults(func=cmd_secrets)

    p = sub.add_parser("keys", help="Ed25519 signing keys (private keys stay in the OS keyring)")
    p.add_argument("action", choices=("generate", "public", "list"))
    p.add_argument("--name", default="default", help="key name (default: default)")
    p.add_argument(
        "--replace", action="store_true", help="generate: replace an existing key of that name"
    )
    p.add_argument("--output", "-o", type=_path, help="public: write the PEM to this file")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser(
        "export", help="sign the session's launch readiness (DSSE + in-toto; exit 1 if not ready)"
    )
    p.add_argument("name", help="session name")
    p.add_argument("--output", "-o", type=_path, required=True, help="the signed envelope (JSON)")
    p.add_argument("--markdown", type=_path, help="also write a Markdown summary here")
    p.add_argument("--draft", action="store_true", help="export even when not ready, as a draft")
    p.add_argument("--key", default="default", help="signing key name (default: default)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("countersign", help="add your signature to an exported attestation")
    p.add_argument("file", type=_path, help="the envelope exported by `onyx-wizard export`")
    p.add_argument("--key", default="default", help="signing key name (default: default)")
    p.add_argument("--markdown", type=_path, help="rewrite this Markdown summary with the signers")
    p.set_defaults(func=cmd_countersign)

    p = sub.add_parser(
        "verify", help="check an attestation offline against trusted public keys (exit 0 or 1)"
    )
    p.add_argument("file", type=_path, help="the envelope (JSON)")
    p.add_argument(
        "--key",
        action="append",
        type=_path,
        required=True,
        metavar="PUBKEY.pem",
        help="a trusted public key (repeatable)",
    )
    p.add_argument(
        "--threshold", type=int, default=1, help="distinct trusted keys that must have signed"
    )
    p.add_argument("--evidence-dir", type=_path, help="check each evidence file's sha256 here")
    p.set_defaults(func=cmd_verify)
    return parser


def _path(text: str) -> Any:
    from pathlib import Path

    return Path(text).expanduser()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except OnyxError as exc:
        print(f"onyx-wizard: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("onyx-wizard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); silence the flush at exit too.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
