"""Credentials in the OS keyring: a session's secrets (`secrets`) and signing keys (`keys`)."""

from __future__ import annotations

import argparse
import getpass
import sys

from onyx_wizard.attestation import keys as signing_keys
from onyx_wizard.errors import CommandError, ExitCode
from onyx_wizard.files import write_atomic
from onyx_wizard.secrets import SecretStore, parse_key
from onyx_wizard.session import open_session


def secrets(args: argparse.Namespace) -> int:
    opened = open_session(args.name)
    store = SecretStore(opened.name, opened.session.profile.environment.value)
    if args.action == "list":
        states = store.states()  # fails with the keyring's message before anything is printed
        print(f"Secrets of session {store.session} ({store.environment}); values are never shown.")
        for state in states:
            mark = f"✓ set ({state.source})" if state.source else "✗ not set"
            print(f"  {state.key.value.ljust(22)} {mark.ljust(38)} {state.key.label}")
        return ExitCode.OK
    if not args.key:
        raise CommandError(f"secrets {args.action} needs a KEY")
    try:
        key = parse_key(args.key)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.action == "delete":
        removed = store.delete(key)
        print(f"{'Deleted' if removed else 'Nothing to delete for'} {key.value} of {store.session}")
        return ExitCode.OK
    value = _read_secret(key.label)
    try:
        store.set(key, value)
    except ValueError as exc:  # too short to be real
        raise CommandError(str(exc)) from None
    print(f"Stored {key.value} for {store.session} in the OS keyring ({len(value)} characters).")
    return ExitCode.OK


def _read_secret(label: str) -> str:
    """Read a secret from a masked prompt on a terminal, else one line of stdin."""
    value = getpass.getpass(f"{label}: ") if sys.stdin.isatty() else sys.stdin.readline()
    value = value.strip("\r\n")
    if not value:
        raise CommandError("no secret given (nothing was read)")
    return value


def keys(args: argparse.Namespace) -> int:
    if args.action == "list":
        listed = signing_keys.list_keys()
        if not listed:
            print("No signing keys yet. Make one with: onyx-wizard keys generate")
            return ExitCode.OK
        width = max(len(info.name) for info in listed)
        for info in listed:
            made = f"  created {info.created_at:%Y-%m-%d}" if info.created_at else ""
            gone = "" if info.in_keyring else "  ✗ private key missing from the keyring"
            print(f"{info.name.ljust(width)}  {info.key_id}{made}{gone}")
        return ExitCode.OK
    if args.action == "generate":
        info = signing_keys.generate(args.name, replace=args.replace)
        print(f"Generated Ed25519 signing key {info.name!r}, key id {info.key_id}")
        print(
            f"The private key is in the OS keyring ({signing_keys.KEYRING_PREFIX}{info.name}); "
            f"share the public key: onyx-wizard keys public --name {info.name}"
        )
        return ExitCode.OK
    public_key = signing_keys.public_key(args.name)
    pem, kid = signing_keys.public_key_pem(public_key), signing_keys.key_id(public_key)
    if args.output:
        write_atomic(args.output, pem.encode("ascii"), mode=0o644)
        print(f"Wrote the public key of {args.name!r} to {args.output}\nkey id: {kid}")
    elif sys.stdout.isatty():
        print(pem + f"key id: {kid}")
    else:
        # Redirected (`> key.pem`, a pipe): the PEM alone on stdout, the key id for the person.
        sys.stdout.write(pem)
        print(f"key id: {kid}", file=sys.stderr)
    return ExitCode.OK
