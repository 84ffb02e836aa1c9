"""The `onyx-wizard` argument parser. Each command names the module and function that run it
(`set_defaults(command="module:function")`), imported only when that command runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from onyx_wizard import __version__


def path(text: str) -> Path:
    """A path argument, with `~` expanded (argparse reports a bad one as a usage error)."""
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a path cannot hold a NUL character")
    try:
        return Path(text).expanduser()
    except RuntimeError:  # `~name` for a user that does not exist
        raise argparse.ArgumentTypeError(f"{text!r}: no such user's home folder") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onyx-wizard",
        description="Walk through Onyx's Production Launch Checklist: probes for what a machine "
        "can check, attestations for the rest. With no command, opens the wizard.",
    )
    parser.add_argument("--version", action="version", version=f"onyx-wizard {__version__}")
    parser.set_defaults(command="wizard:tui")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("checklist", help="print the launch checklist")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(command="sessions:checklist")

    p = sub.add_parser("new", help="start a session and open the wizard on its profile")
    p.add_argument("name", help="session name (letters, digits, . _ -)")
    p.add_argument("--profile", type=path, help="fill the profile from a profile.toml")
    p.add_argument("--no-open", action="store_true", help="create the session only")
    p.set_defaults(command="sessions:new")

    p = sub.add_parser("resume", help="reopen a session where you left off")
    p.add_argument("name", nargs="?", help="session name (default: the most recently saved)")
    p.set_defaults(command="sessions:resume")

    p = sub.add_parser("sessions", help="list sessions")
    p.set_defaults(command="sessions:sessions")

    p = sub.add_parser(
        "status",
        help="progress, launch-gate verdict and blockers of a session",
        description="Show a session's progress per section, the launch-gate verdict and every "
        "blocking item. Exit 0 whatever the verdict (1 with --require-ready when not ready), "
        "2 when the session cannot be read.",
    )
    p.add_argument("name", help="session name (see `onyx-wizard sessions`)")
    p.add_argument("--json", action="store_true", help="machine-readable output (status/v1)")
    p.add_argument(
        "--require-ready",
        action="store_true",
        help="exit 1 when the launch gate is not ready (for CI)",
    )
    p.set_defaults(command="sessions:status")

    p = sub.add_parser(
        "check",
        help="run the probes headless (CI): exit 0 pass, 1 fail/error, 2 usage, 3 environment",
    )
    p.add_argument("name", nargs="?", help="session name (results are saved into it)")
    p.add_argument("--profile", type=path, help="a profile.toml instead of a session")
    p.add_argument(
        "--only",
        action="append",
        metavar="ITEM_OR_PROBE",
        help="run only this item's probes, or this probe (repeatable)",
    )
    p.add_argument("--format", choices=("text", "json", "junit"), default="text")
    p.add_argument("--output", "-o", type=path, help="write the report here instead of stdout")
    p.set_defaults(command="checking:check")

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
    p.set_defaults(command="demo:demo")

    p = sub.add_parser(
        "scan",
        help="find secrets, tokens and personal data in files: exit 0 clean, 1 found, 2 usage",
        description="Scan files and folders (recursively; gzip read transparently, binaries "
        "skipped) for secret and token shapes, personal data and, with --session, the exact "
        "values of that session's secrets. Findings name rule, file, line and column and a "
        "salted hash of the value, never the value. Exit 0 clean, 1 something found (or a file "
        "could not be read), 2 usage, 3 the keyring could not be read for --session.",
    )
    p.add_argument("paths", nargs="+", type=path, metavar="PATH", help="a file or folder")
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="sarif: SARIF 2.1.0, as GitHub code scanning reads it",
    )
    p.add_argument(
        "--session", metavar="NAME", help="also look for this session's secret values (keyring)"
    )
    p.add_argument(
        "--allowlist",
        type=path,
        metavar="FILE",
        help="TOML file of known false positives: [[allow]] rule, path (glob), reason",
    )
    p.set_defaults(command="scanning:scan")

    p = sub.add_parser("secrets", help="manage a session's credentials in the OS keyring")
    p.add_argument("action", choices=("list", "set", "delete"))
    p.add_argument("name", help="session name")
    p.add_argument("key", nargs="?", help="secret name, e.g. webhook_secret")
    p.set_defaults(command="credentials:secrets")

    p = sub.add_parser("keys", help="Ed25519 signing keys (private keys stay in the OS keyring)")
    p.add_argument("action", choices=("generate", "public", "list"))
    p.add_argument("--name", default="default", help="key name (default: default)")
    p.add_argument(
        "--replace", action="store_true", help="generate: replace an existing key of that name"
    )
    p.add_argument("--output", "-o", type=path, help="public: write the PEM to this file")
    p.set_defaults(command="credentials:keys")

    p = sub.add_parser(
        "export", help="sign the session's launch readiness (DSSE + in-toto; exit 1 if not ready)"
    )
    p.add_argument("name", help="session name")
    p.add_argument("--output", "-o", type=path, required=True, help="the signed envelope (JSON)")
    p.add_argument("--markdown", type=path, help="also write a Markdown summary here")
    p.add_argument("--draft", action="store_true", help="export even when not ready, as a draft")
    p.add_argument("--key", default="default", help="signing key name (default: default)")
    p.set_defaults(command="attestations:export")

    p = sub.add_parser("countersign", help="add your signature to an exported attestation")
    p.add_argument("file", type=path, help="the envelope exported by `onyx-wizard export`")
    p.add_argument("--key", default="default", help="signing key name (default: default)")
    p.add_argument("--markdown", type=path, help="rewrite this Markdown summary with the signers")
    p.set_defaults(command="attestations:countersign")

    p = sub.add_parser(
        "verify",
        help="check an attestation offline against trusted public keys (exit 0 or 1)",
    )
    p.add_argument("file", type=path, help="the envelope (JSON)")
    p.add_argument(
        "--key",
        action="append",
        type=path,
        required=True,
        metavar="PUBKEY.pem",
        help="a trusted public key (repeatable)",
    )
    p.add_argument(
        "--threshold", type=int, default=1, help="distinct trusted keys that must have signed"
    )
    p.add_argument("--evidence-dir", type=path, help="check each evidence file's sha256 here")
    p.add_argument(
        "--require-ready",
        action="store_true",
        help="exit 1 when the verified attestation's verdict is not ready, or is a draft",
    )
    p.add_argument(
        "--html", type=path, metavar="FILE",
        help="also write the approver's report: one self-contained HTML page",
    )  # fmt: skip
    p.set_defaults(command="attestations:verify")
    _decisions(sub)

    p = sub.add_parser(
        "drift",
        help="what changed since a signed attestation: exit 0 nothing regressed, 1 regressed",
        description="Verify the attestation, run its probes again now, re-digest its evidence "
        "files, and list what changed since it was signed: probe outcomes, evidence files "
        "changed or missing, attestations and waivers expired or expiring, a new checklist. "
        "Exit 0 nothing regressed, 1 something did (or the file does not verify), 2 usage, "
        "3 a probe could not run (a missing secret).",
    )
    p.add_argument("file", type=path, help="the signed attestation (JSON)")
    p.add_argument(
        "--key",
        action="append",
        type=path,
        required=True,
        metavar="PUBKEY.pem",
        help="a trusted public key (repeatable)",
    )
    p.add_argument("--session", metavar="NAME", help="run the probes with this session")
    p.add_argument("--profile", type=path, help="or with this profile.toml")
    p.add_argument("--evidence-dir", type=path, help="where the evidence files are")
    p.add_argument(
        "--within",
        type=int,
        default=14,
        metavar="DAYS",
        help="report what expires within this many days (default 14)",
    )
    p.add_argument("--format", choices=("text", "json", "junit"), default="text")
    p.add_argument("--output", "-o", type=path, help="write the report here instead of stdout")
    p.add_argument(
        "--html", type=path, metavar="FILE",
        help="also write the approver's report of the attestation, with this drift",
    )  # fmt: skip
    p.set_defaults(command="drifting:drift")
    return parser


def _decisions(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """attest, waive, na, clear: what the item screen's a, w, x and c do, headless."""
    by = "who decides (default: the OS user)"
    p = sub.add_parser(
        "attest",
        help="attest an item with evidence, or apply a reviewed file of decisions (--from)",
        description="Record that a person confirms an item, with the evidence it asks for "
        "(the same rules, redaction and history as the wizard). With --from FILE, apply a "
        "reviewed TOML file of [[attest]], [[waive]] and [[not_applicable]] entries: it is "
        "checked whole before anything changes, and entries already recorded are left alone.",
    )
    p.add_argument("name", help="session name")
    p.add_argument("item", nargs="?", help="checklist item id (see `onyx-wizard checklist`)")
    p.add_argument("--by", help=by)
    p.add_argument("--note", help="what was checked, and how")
    p.add_argument(
        "--evidence",
        action="append",
        metavar="REF",
        help="a link, a ticket reference or a file path (repeatable)",
    )
    p.add_argument("--from", dest="from_file", type=path, metavar="FILE", help="decisions file")
    p.set_defaults(command="deciding:attest")

    p = sub.add_parser("waive", help="waive an item until a date, with reason and approver")
    p.add_argument("name", help="session name")
    p.add_argument("item", help="checklist item id")
    p.add_argument("--reason", required=True, help="why it cannot be met before launch")
    p.add_argument("--approver", required=True, help="who at Onyx approved the waiver")
    p.add_argument("--expires", required=True, metavar="DATE", help="e.g. 2027-01-31")
    p.add_argument("--by", help=by)
    p.set_defaults(command="deciding:waive")

    p = sub.add_parser(
        "na", help="mark an item not applicable (optional items, or features not declared)"
    )
    p.add_argument("name", help="session name")
    p.add_argument("item", help="checklist item id")
    p.add_argument("--reason", required=True, help="why it does not apply")
    p.add_argument("--by", help=by)
    p.set_defaults(command="deciding:not_applicable")

    p = sub.add_parser("clear", help="undo the decision on an item (history keeps it)")
    p.add_argument("name", help="session name")
    p.add_argument("item", help="checklist item id")
    p.add_argument("--by", help=by)
    p.set_defaults(command="deciding:clear")
