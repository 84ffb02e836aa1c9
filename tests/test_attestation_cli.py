"""Keys in the real OS keyring, export → countersign → verify through the command line.

Under scripts/test a throwaway gnome-keyring runs; the keyring outlives each test, so every test
uses key names of its own and removes them afterwards.
"""

from __future__ import annotations

import base64
import json
import secrets as pysecrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from onyx_wizard import paths
from onyx_wizard.attestation import keys, parse_envelope
from onyx_wizard.secrets import SERVICE_VARIABLE, SecretKey, SecretStore
from onyx_wizard.session import new_session

if TYPE_CHECKING:
    from conftest import CliResult, ReadySession

from conftest import full_profile

Run = Callable[..., "CliResult"]


@pytest.fixture
def key_names(real_keyring: None) -> Iterator[Callable[[str], str]]:
    """Unique key names for this test; their keyring entries are deleted at the end."""
    made: list[str] = []

    def name(role: str) -> str:
        made.append(f"{role}-{pysecrets.token_hex(4)}")
        return made[-1]

    yield name
    for made_name in made:
        keys.delete(made_name)


def generate(run: Run, name: str) -> str:
    done = run("keys", "generate", "--name", name)
    assert done.code == 0, done.err
    return done.out.split("key id ")[1].split()[0]


def public_file(run: Run, name: str, folder: Path) -> Path:
    path = folder / f"{name}.pub.pem"
    done = run("keys", "public", "--name", name, "-o", str(path))
    assert done.code == 0, done.err
    return path


def test_keys_generate_public_and_list(
    key_names: Callable[[str], str], run_cli_subprocess: Run, tmp_path: Path
) -> None:
    empty = run_cli_subprocess("keys", "list")
    assert empty.code == 0 and "No signing keys yet" in empty.out
    name = key_names("operator")
    kid = generate(run_cli_subprocess, name)
    assert len(kid) == 64

    shown = run_cli_subprocess("keys", "public", "--name", name)
    assert shown.code == 0, shown.err
    # Not a terminal: stdout is the PEM alone (so `> key.pem` is a clean file), the key id
    # goes to stderr for the person.
    assert shown.out.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert shown.out.endswith("-----END PUBLIC KEY-----\n")
    assert shown.err.strip() == f"key id: {kid}"
    # The printed text, saved as is, is a usable key file whose raw key hashes to the key id.
    public = serialization.load_pem_public_key(shown.out.encode())
    assert isinstance(public, Ed25519PublicKey)
    assert keys.key_id(public) == kid

    listed = run_cli_subprocess("keys", "list")
    assert listed.code == 0
    (row,) = listed.out.splitlines()
    assert row.split()[:2] == [name, kid]

    refused = run_cli_subprocess("keys", "generate", "--name", name)
    assert refused.code == 1 and "already exists" in refused.err
    assert keys.key_id(keys.public_key(name)) == kid  # untouched
    again = run_cli_subprocess("keys", "generate", "--name", name, "--replace")
    assert again.code == 0, again.err
    assert keys.key_id(keys.public_key(name)) not in (kid, "")

    index = paths.data_dir() / "keys.toml"
    assert index.stat().st_mode & 0o777 == 0o600
    assert "PRIVATE" not in index.read_text()


def test_a_missing_key_names_the_fix(
    key_names: Callable[[str], str], run_cli_subprocess: Run
) -> None:
    name = key_names("nobody")
    done = run_cli_subprocess("keys", "public", "--name", name)
    assert done.code == 3
    assert f"run `onyx-wizard keys generate --name {name}`" in done.err


def test_round_trip_export_countersign_verify_with_threshold_2(
    ready: ReadySession,
    key_names: Callable[[str], str],
    run_cli_subprocess: Run,
    tmp_path: Path,
) -> None:
    operator, reviewer = key_names("operator"), key_names("reviewer")
    operator_id, reviewer_id = (
        generate(run_cli_subprocess, operator),
        generate(run_cli_subprocess, reviewer),
    )
    out, md = tmp_path / "out" / "acme.json", tmp_path / "out" / "acme.md"

    exported = run_cli_subprocess(
        "export", "acme", "-o", str(out), "--markdown", str(md), "--key", operator
    )
    assert exported.code == 0, exported.err
    assert str(out) in exported.out and str(md) in exported.out
    assert operator_id in exported.out
    assert "Ready for launch" in exported.out
    before = parse_envelope(out.read_bytes())
    assert [s.keyid for s in before.signatures] == [operator_id]

    countersigned = run_cli_subprocess(
        "countersign", str(out), "--key", reviewer, "--markdown", str(md)
    )
    assert countersigned.code == 0, countersigned.err
    assert reviewer_id in countersigned.out
    after = parse_envelope(out.read_bytes())
    assert after.payload == before.payload and after.payload_type == before.payload_type
    assert after.signatures[0] == before.signatures[0]
    assert [s.keyid for s in after.signatures] == [operator_id, reviewer_id]
    assert operator_id in md.read_text() and reviewer_id in md.read_text()

    verified = run_cli_subprocess(
        "verify",
        str(out),
        "--key",
        str(public_file(run_cli_subprocess, operator, tmp_path)),
        "--key",
        str(public_file(run_cli_subprocess, reviewer, tmp_path)),
        "--threshold",
        "2",
        "--evidence-dir",
        str(ready.evidence_dir),
    )
    assert verified.code == 0, verified.err
    assert "Verdict:   READY" in verified.out
    assert operator_id in verified.out and reviewer_id in verified.out
    assert "Items (46):" in verified.out


def test_not_ready_export_exits_1_naming_blockers_and_draft_succeeds(
    key_names: Callable[[str], str], run_cli_subprocess: Run, tmp_path: Path
) -> None:
    name = key_names("operator")
    generate(run_cli_subprocess, name)
    new_session("early", profile=full_profile(tmp_path))
    out = tmp_path / "early.json"
    refused = run_cli_subprocess("export", "early", "-o", str(out), "--key", name)
    assert refused.code == 1
    assert "not ready for launch" in refused.err
    assert "launch-approval.final-approval-recorded" in refused.err
    assert "app-identity.app-name-approved" in refused.err
    assert "--draft" in refused.err
    assert not out.exists()

    draft = run_cli_subprocess("export", "early", "-o", str(out), "--key", name, "--draft")
    assert draft.code == 0, draft.err
    assert draft.out.startswith("Draft attestation of early: Not ready: ")
    predicate = json.loads(parse_envelope(out.read_bytes()).payload)["predicate"]
    assert predicate["draft"] is True and predicate["verdict"]["ready"] is False

    verified = run_cli_subprocess(
        "verify", str(out), "--key", str(public_file(run_cli_subprocess, name, tmp_path))
    )
    assert verified.code == 0, verified.err
    assert "NOT READY" in verified.out and "(DRAFT)" in verified.out


def test_export_without_a_key_says_to_generate_one(
    ready: ReadySession, key_names: Callable[[str], str], run_cli_subprocess: Run, tmp_path: Path
) -> None:
    out = tmp_path / "a.json"
    done = run_cli_subprocess("export", "acme", "-o", str(out), "--key", key_names("none"))
    assert done.code == 3
    assert "onyx-wizard keys generate" in done.err
    assert not out.exists()


def test_countersigning_twice_with_one_key_is_refused(
    ready: ReadySession, key_names: Callable[[str], str], run_cli_subprocess: Run, tmp_path: Path
) -> None:
    operator, reviewer = key_names("operator"), key_names("reviewer")
    generate(run_cli_subprocess, operator)
    generate(run_cli_subprocess, reviewer)
    out = tmp_path / "a.json"
    assert run_cli_subprocess("export", "acme", "-o", str(out), "--key", operator).code == 0
    assert run_cli_subprocess("countersign", str(out), "--key", reviewer).code == 0
    signed_twice = out.read_bytes()
    for again in (reviewer, operator):
        done = run_cli_subprocess("countersign", str(out), "--key", again)
        assert done.code == 1
        assert f"already signed by key {again}" in done.err
        assert out.read_bytes() == signed_twice


def test_keyring_unavailable_exits_3(
    ready: ReadySession, run_cli_subprocess: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real keyring needed: the point is what happens without one.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for args in (("keys", "generate"), ("export", "acme", "-o", "x.json")):
        done = run_cli_subprocess(*args)
        assert done.code == 3, done.err
        (line,) = done.err.strip().splitlines()
        assert "No usable OS keyring" in line


def test_signing_keys_without_a_keyring_exit_3_naming_the_fix_for_keys(
    run_cli_subprocess: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for args in (("keys", "list"), ("keys", "generate"), ("keys", "public")):
        done = run_cli_subprocess(*args)
        assert done.code == 3, (args, done.out, done.err)
        assert "No signing keys yet" not in done.out
        (line,) = done.err.strip().splitlines()
        assert "Signing keys live only in the OS keyring" in line
        # The environment variables stand in for a session's secrets, never for signing keys.
        assert "ONYX_WIZARD_" not in line


def test_the_index_and_the_keyring_agree_about_the_default_key(
    real_keyring: None, run_cli_subprocess: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A keyring service of this test's own: `default` here is no other test's key.
    monkeypatch.setenv(SERVICE_VARIABLE, f"onyx-wizard-test-{pysecrets.token_hex(4)}")
    try:
        made = run_cli_subprocess("keys", "generate")
        assert made.code == 0, made.err
        (home / "keys.toml").unlink()  # an index lost (or another data folder)
        listed = run_cli_subprocess("keys", "list")
        assert listed.code == 0, listed.err
        assert listed.out.startswith("default  ")
        again = run_cli_subprocess("keys", "generate")
        assert again.code == 1 and "already exists" in again.err
    finally:
        keys.delete("default")


def test_verify_require_ready_exits_1_for_a_draft(
    run_cli_subprocess: Run, key_names: Callable[[str], str], tmp_path: Path
) -> None:
    new_session("early")
    name = key_names("operator")
    generate(run_cli_subprocess, name)
    pem = public_file(run_cli_subprocess, name, tmp_path)
    out = tmp_path / "draft.json"
    done = run_cli_subprocess("export", "early", "-o", str(out), "--draft", "--key", name)
    assert done.code == 0, done.err
    assert run_cli_subprocess("verify", str(out), "--key", str(pem)).code == 0
    strict = run_cli_subprocess("verify", str(out), "--key", str(pem), "--require-ready")
    assert strict.code == 1
    assert "not ready" in strict.err


def every_file_under(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


def test_no_private_key_or_secret_in_anything_written(
    ready: ReadySession, key_names: Callable[[str], str], run_cli_subprocess: Run, tmp_path: Path
) -> None:
    store = SecretStore("acme", "production")
    planted = {key: f"{key.value}-{pysecrets.token_urlsafe(24)}" for key in SecretKey}
    for key, value in planted.items():
        store.set(key, value)
    try:
        operator, reviewer = key_names("operator"), key_names("reviewer")
        generate(run_cli_subprocess, operator)
        generate(run_cli_subprocess, reviewer)
        out_dir = tmp_path / "export"
        out, md = out_dir / "a.json", out_dir / "a.md"
        assert (
            run_cli_subprocess(
                "export", "acme", "-o", str(out), "--markdown", str(md), "--key", operator
            ).code
            == 0
        )
        assert run_cli_subprocess("countersign", str(out), "--key", reviewer).code == 0
        public_file(run_cli_subprocess, operator, out_dir)

        forbidden = list(planted.values())
        for name in (operator, reviewer):
            private = keys.load_private_key(name)
            pem = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            raw = private.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            body = "".join(pem.strip().splitlines()[1:-1])
            forbidden += [pem, body, raw.hex(), base64.b64encode(raw).decode()]
            forbidden += [base64.urlsafe_b64encode(raw).decode().rstrip("=")]

        written = every_file_under(paths.data_dir(), out_dir)
        assert out in written and md in written and paths.data_dir() / "keys.toml" in written
        texts = {path: path.read_bytes().decode("utf-8", "replace") for path in written}
        texts[Path("payload of a.json")] = parse_envelope(out.read_bytes()).payload.decode()
        for path, text in texts.items():
            for value in forbidden:
                assert value not in text, f"{path} holds a secret"
            assert "PRIVATE KEY" not in text, path
    finally:
        for key in SecretKey:
            store.delete(key)
