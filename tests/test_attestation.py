"""The signed attestation without a keyring: PAE, envelopes, the statement, verify and tampering,
and the key index (keys.toml), which holds only public data.

Keys here are made in memory and handed to `export_session`; the keyring path is covered by
test_attestation_cli.py. `verify` runs as a real process: it needs only public key files.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onyx_wizard import paths
from onyx_wizard.attestation import (
    IN_TOTO_PAYLOAD_TYPE,
    PREDICATE_TYPE,
    Envelope,
    EvidenceFileError,
    KeyIndexError,
    NotReady,
    SigningKeyError,
    export_session,
    key_id,
    pae,
    parse_envelope,
    verify_envelope,
)
from onyx_wizard.attestation.dsse import b64decode
from onyx_wizard.attestation.keys import list_keys, public_key_pem
from onyx_wizard.attestation.statement import profile_checklist_digest
from onyx_wizard.errors import DataFileError
from onyx_wizard.session import new_session

if TYPE_CHECKING:
    from conftest import CliResult, ReadySession

from conftest import NOT_APPLICABLE_ITEM, WAIVED_ITEM, full_profile

Run = Callable[..., "CliResult"]


# --- PAE and base64, from the DSSE spec ----------------------------------------------------


def test_pae_reproduces_the_spec_vector() -> None:
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_lengths_are_byte_lengths_not_characters() -> None:
    # "tÿpe" is 4 characters but 5 UTF-8 bytes; "☃" is 1 character but 3 bytes.
    assert pae("tÿpe", "☃".encode()) == b"DSSEv1 5 t\xc3\xbfpe 3 \xe2\x98\x83"
    assert pae("", b"") == b"DSSEv1 0  0 "


@pytest.mark.parametrize(
    "encode",
    [
        base64.b64encode,
        base64.urlsafe_b64encode,
        lambda b: base64.b64encode(b).rstrip(b"="),
        lambda b: base64.urlsafe_b64encode(b).rstrip(b"="),
    ],
    ids=["standard", "url-safe", "standard-unpadded", "url-safe-unpadded"],
)
def test_base64_standard_or_url_safe_padded_or_not(encode: Callable[[bytes], bytes]) -> None:
    data = bytes([0xFB, 0xFF, 0xBF, 0x00, 0x3E])  # encodes to characters that differ: + / vs - _
    assert b64decode(encode(data).decode()) == data


@pytest.mark.parametrize("text", ["abc!", "a", "====", "ab=c"])
def test_base64_junk_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        b64decode(text)


# --- an exported envelope, signed with keys made here ----------------------------------------


@dataclass
class Signed:
    """An exported attestation, its signers' public key files and an untrusted key."""

    ready: ReadySession
    path: Path
    operator: Ed25519PrivateKey
    reviewer: Ed25519PrivateKey
    operator_pem: Path
    reviewer_pem: Path
    stranger: Ed25519PrivateKey


def write_public(key: Ed25519PrivateKey, path: Path) -> Path:
    path.write_text(public_key_pem(key.public_key()))
    return path


@pytest.fixture
def signed(ready: ReadySession, tmp_path: Path) -> Signed:
    operator, reviewer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    out = tmp_path / "out" / "acme.attestation.json"
    export_session(ready.opened, out, private_key=operator)
    # The reviewer's signature, added the way `countersign` adds it (same PAE bytes).
    out.write_bytes(parse_envelope(out.read_bytes()).signed_by(reviewer).to_json())
    return Signed(
        ready,
        out,
        operator,
        reviewer,
        write_public(operator, tmp_path / "operator.pub.pem"),
        write_public(reviewer, tmp_path / "reviewer.pub.pem"),
        Ed25519PrivateKey.generate(),
    )


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def spec_pae(payload_type: bytes, body: bytes) -> bytes:
    """PAE written again from the DSSE protocol text, independent of the product's code."""
    return b" ".join(
        [b"DSSEv1", str(len(payload_type)).encode(), payload_type, str(len(body)).encode(), body]
    )


def test_an_independent_from_spec_verifier_accepts_the_export(signed: Signed) -> None:
    envelope = json.loads(signed.path.read_text())
    assert set(envelope) == {"payload", "payloadType", "signatures"}
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    body = base64.b64decode(envelope["payload"], validate=True)
    message = spec_pae(envelope["payloadType"].encode(), body)
    verified = set()
    for private in (signed.operator, signed.reviewer):
        public = Ed25519PublicKey.from_public_bytes(raw_public(private.public_key()))
        kid = hashlib.sha256(raw_public(public)).hexdigest()
        (entry,) = [s for s in envelope["signatures"] if s["keyid"] == kid]
        public.verify(base64.b64decode(entry["sig"], validate=True), message)  # raises if bad
        verified.add(kid)
    assert len(verified) == 2

    statement = json.loads(body)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://onyx-wizard.dev/attestation/launch-readiness/v1"
    digests = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    for path in (signed.ready.consent_png, signed.ready.drill_log):
        name = path.relative_to(signed.ready.evidence_dir).as_posix()
        assert digests[name] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_securesystemslib_verifies_the_export(signed: Signed) -> None:
    from securesystemslib.dsse import Envelope as SslibEnvelope
    from securesystemslib.signer import SSlibKey

    envelope = SslibEnvelope.from_dict(json.loads(signed.path.read_text()))
    keys = [
        SSlibKey(
            keyid=key_id(private.public_key()),
            keytype="ed25519",
            scheme="ed25519",
            keyval={"public": raw_public(private.public_key()).hex()},
        )
        for private in (signed.operator, signed.reviewer)
    ]
    accepted = envelope.verify(keys, threshold=2)
    assert set(accepted) == {key_id(p.public_key()) for p in (signed.operator, signed.reviewer)}


def payload_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(parse_envelope(path.read_bytes()).payload)
    return data


def test_the_statement_carries_the_verdict_and_every_item(signed: Signed) -> None:
    statement = payload_of(signed.path)
    opened = signed.ready.opened
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    assert subjects == {
        "onyx-wizard:profile+checklist": profile_checklist_digest(
            opened.session.profile, opened.checklist
        ),
        "screenshots/consent.png": hashlib.sha256(
            signed.ready.consent_png.read_bytes()
        ).hexdigest(),
        "logs/support-drill.txt": hashlib.sha256(signed.ready.drill_log.read_bytes()).hexdigest(),
    }
    p = statement["predicate"]
    assert p["checklistVersion"] == opened.checklist.version
    assert (p["environment"], p["appName"], p["session"]) == (
        "production",
        "Acme Messenger",
        "acme",
    )
    assert p["generator"] == {"name": "onyx-wizard", "version": "0.1.0"}
    assert p["verdict"] == {"ready": True, "summary": "Ready for launch", "blockers": []}
    assert p["draft"] is False
    generated = datetime.strptime(p["generatedAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - generated).total_seconds()) < 120
    items = {item["id"]: item for item in p["items"]}
    assert list(items) == [item.id for item in opened.checklist.items]

    approval = items["launch-approval.final-approval-recorded"]
    assert approval["status"] == "attested" and approval["by"] == "alice"
    assert approval["at"].endswith("Z") and approval["waiver"] is None
    assert approval["evidence"] == [
        {"ref": "https://portal.onyx.example/tickets/launch-approval.final-approval-recorded",
         "kind": "link"}
    ]  # fmt: skip
    cors = items["app-identity.allowed-origins"]
    assert cors["status"] == "passed" and cors["method"] == "probe"
    assert cors["reasonCodes"] == ["OK"]
    assert [(pr["id"], pr["outcome"]) for pr in cors["probes"]] == [("cors-preflight", "pass")]
    waived = items[WAIVED_ITEM]
    assert waived["status"] == "waived"
    assert waived["waiver"] == {
        "reason": "support page goes live at launch",
        "approver": "carol",
        "expires": "2099-01-01",
    }
    assert items[NOT_APPLICABLE_ITEM]["notApplicableReason"] == (
        "not applicable (partner-connectivity not declared); no catalogue is offered"
    )
    by_feature = items["partner-connectivity.order-creation-tested"]
    assert by_feature["status"] == "not-applicable"
    assert "partner-connectivity" in by_feature["notApplicableReason"]
    files = [e for item in p["items"] for e in item["evidence"] if e["kind"] == "file"]
    assert {e["subject"] for e in files} == {"screenshots/consent.png", "logs/support-drill.txt"}
    # A bare relative path is a file like ./…: resolved in evidence_dir, digested the same.
    assert {"screenshots/consent.png", "./screenshots/consent.png"} <= {e["ref"] for e in files}
    assert all(e["sha256"] == subjects[e["subject"]] for e in files)


def test_a_missing_evidence_file_stops_the_export_and_is_named(
    ready: ReadySession, tmp_path: Path
) -> None:
    ready.consent_png.unlink()
    out = tmp_path / "a.json"
    with pytest.raises(EvidenceFileError, match=r"\./screenshots/consent\.png"):
        export_session(ready.opened, out, private_key=Ed25519PrivateKey.generate())
    assert not out.exists()


def test_not_ready_refuses_without_draft_and_says_so_with_draft(tmp_path: Path) -> None:
    opened = new_session("early", profile=full_profile(tmp_path))
    key = Ed25519PrivateKey.generate()
    with pytest.raises(NotReady) as caught:
        export_session(opened, tmp_path / "a.json", private_key=key)
    assert "launch-approval.final-approval-recorded" in str(caught.value)
    assert len(caught.value.blockers) > 10
    assert not (tmp_path / "a.json").exists()

    result = export_session(opened, tmp_path / "a.json", tmp_path / "a.md", True, private_key=key)
    p = payload_of(result.envelope_path)["predicate"]
    assert p["draft"] is True and p["verdict"]["ready"] is False
    assert len(p["verdict"]["blockers"]) == len(caught.value.blockers)
    markdown = (tmp_path / "a.md").read_text()
    assert markdown.index("NOT READY") < markdown.index("## App Identity")
    assert "DRAFT" in markdown.splitlines()[2]


def test_markdown_summary_reads_verdict_first_then_sections_then_signers(
    ready: ReadySession, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    ready.opened.attest(
        "app-identity.app-name-approved",
        "alice <b>",
        note="see [this](https://evil.example) | *now*",
        evidence=["https://portal.onyx.example/approved"],
    )
    result = export_session(ready.opened, tmp_path / "a.json", tmp_path / "a.md", private_key=key)
    text = (tmp_path / "a.md").read_text()
    assert text.splitlines()[2] == "**✅ READY — Ready for launch**"
    order = [text.index(f"## {s.title}") for s in ready.opened.checklist.sections]
    assert order == sorted(order)
    assert text.index("## Signatures") > order[-1]
    assert result.key_id in text and result.statement_digest in text
    assert "approved by carol" in text and "no catalogue is offered" in text
    # Typed text cannot become a link or HTML in the summary.
    assert "[this](https://evil.example)" not in text and "<b>" not in text
    assert (
        result.statement_digest
        == hashlib.sha256(parse_envelope(result.envelope_path.read_bytes()).payload).hexdigest()
    )


# --- verify, through the command line -------------------------------------------------------


def verify(run: Run, signed: Signed, *extra: str, path: Path | None = None) -> CliResult:
    return run(
        "verify",
        str(path or signed.path),
        "--key",
        str(signed.operator_pem),
        "--key",
        str(signed.reviewer_pem),
        "--threshold",
        "2",
        *extra,
    )


def test_verify_with_both_keys_and_threshold_2_prints_the_summary(
    signed: Signed, run_cli_subprocess: Run
) -> None:
    done = verify(run_cli_subprocess, signed, "--evidence-dir", str(signed.ready.evidence_dir))
    assert done.code == 0, done.err
    assert "✓ Verified" in done.out
    assert "Verdict:   READY — Ready for launch" in done.out
    for private in (signed.operator, signed.reviewer):
        assert key_id(private.public_key()) in done.out
    assert "2 file(s) match" in done.out
    assert "launch-approval.final-approval-recorded  alice, " in done.out
    assert done.err == ""


def flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def rewrite(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _flip_payload(s: Signed) -> str:
    def change(doc: dict[str, Any]) -> None:
        doc["payload"] = base64.b64encode(flip(base64.b64decode(doc["payload"]), 40)).decode()

    rewrite(s.path, change)
    return "signature check failed: 0 of 2 required trusted keys signed"


def _flip_signature(s: Signed) -> str:
    def change(doc: dict[str, Any]) -> None:
        sig = doc["signatures"][1]
        sig["sig"] = base64.b64encode(flip(base64.b64decode(sig["sig"]), 7)).decode()

    rewrite(s.path, change)
    return "signature check failed: 1 of 2 required trusted keys signed"


def _flip_payload_type(s: Signed) -> str:
    def change(doc: dict[str, Any]) -> None:
        doc["payloadType"] = flip(doc["payloadType"].encode(), 3).decode()

    rewrite(s.path, change)
    return "signature check failed: 0 of 2 required trusted keys signed"


def _swap_in_another_key(s: Signed) -> str:
    envelope = parse_envelope(s.path.read_bytes())
    theirs = envelope.signed_by(s.stranger).signatures[-1]

    def change(doc: dict[str, Any]) -> None:
        # The stranger's signature, under the reviewer's keyid: a keyid must decide nothing.
        doc["signatures"][1]["sig"] = base64.b64encode(theirs.sig).decode()

    rewrite(s.path, change)
    return "signature check failed: 1 of 2 required trusted keys signed"


def _drop_a_signature(s: Signed) -> str:
    rewrite(s.path, lambda doc: doc["signatures"].pop())
    return "signature check failed: 1 of 2 required trusted keys signed (the envelope carries 1"


def _duplicate_one_signature(s: Signed) -> str:
    def change(doc: dict[str, Any]) -> None:
        doc["signatures"][1] = dict(doc["signatures"][0])  # one signer, counted twice?

    rewrite(s.path, change)
    return "signature check failed: 1 of 2 required trusted keys signed"


def _change_an_evidence_file(s: Signed) -> str:
    s.ready.consent_png.write_bytes(flip(s.ready.consent_png.read_bytes(), 20))
    return "evidence file screenshots/consent.png: sha256 mismatch"


def _remove_an_evidence_file(s: Signed) -> str:
    s.ready.drill_log.unlink()
    return "evidence file logs/support-drill.txt: not found"


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_payload,
        _flip_signature,
        _flip_payload_type,
        _swap_in_another_key,
        _drop_a_signature,
        _duplicate_one_signature,
        _change_an_evidence_file,
        _remove_an_evidence_file,
    ],
    ids=lambda f: f.__name__.strip("_").replace("_", "-"),
)
def test_tampering_makes_verify_exit_1_naming_what_failed(
    signed: Signed, run_cli_subprocess: Run, tamper: Callable[[Signed], str]
) -> None:
    evidence = ("--evidence-dir", str(signed.ready.evidence_dir))
    assert verify(run_cli_subprocess, signed, *evidence).code == 0  # it held before
    reason = tamper(signed)
    done = verify(run_cli_subprocess, signed, *evidence)
    assert done.code == 1, done.out + done.err
    assert done.out == ""
    (line,) = done.err.strip().splitlines()
    assert line.startswith("onyx-wizard: not verified: ")
    assert reason in line


def test_url_safe_unpadded_base64_verifies(signed: Signed, run_cli_subprocess: Run) -> None:
    def url_safe(doc: dict[str, Any]) -> None:
        def recode(text: str) -> str:
            return base64.urlsafe_b64encode(base64.b64decode(text)).decode().rstrip("=")

        doc["payload"] = recode(doc["payload"])
        for sig in doc["signatures"]:
            sig["sig"] = recode(sig["sig"])

    rewrite(signed.path, url_safe)
    done = verify(run_cli_subprocess, signed)
    assert done.code == 0, done.err


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"payloadType": "x", "signatures": []}', b'{"payload": "%%"}'],
    ids=["not-json", "not-object", "no-payload", "bad-base64"],
)
def test_a_malformed_envelope_exits_1_with_one_line(
    signed: Signed, run_cli_subprocess: Run, content: bytes
) -> None:
    signed.path.write_bytes(content)
    done = verify(run_cli_subprocess, signed)
    assert done.code == 1
    (line,) = done.err.strip().splitlines()
    assert "not verified: malformed envelope: " in line


def test_verify_usage_errors_exit_2(signed: Signed, run_cli_subprocess: Run) -> None:
    too_many = verify(run_cli_subprocess, signed, "--threshold", "3")
    assert too_many.code == 2 and "threshold 3 needs at least 3" in too_many.err
    signed.reviewer_pem.write_text("not a key")
    bad_key = verify(run_cli_subprocess, signed)
    assert bad_key.code == 2 and str(signed.reviewer_pem) in bad_key.err


def sign_statement(statement: object, key: Ed25519PrivateKey, payload_type: str) -> bytes:
    payload = json.dumps(statement).encode()
    return Envelope(payload_type, payload).signed_by(key).to_json()


@pytest.mark.parametrize(
    ("payload_type", "change", "reason"),
    [
        ("text/plain", {}, "payloadType is 'text/plain', expected application/vnd.in-toto+json"),
        (IN_TOTO_PAYLOAD_TYPE, {"_type": "https://in-toto.io/Statement/v0.1"},
         "_type is 'https://in-toto.io/Statement/v0.1', expected https://in-toto.io/Statement/v1"),
        (IN_TOTO_PAYLOAD_TYPE, {"predicateType": "https://slsa.dev/provenance/v1"},
         "predicateType is 'https://slsa.dev/provenance/v1', expected " + PREDICATE_TYPE),
        (IN_TOTO_PAYLOAD_TYPE, {"predicate": {"draft": True}},
         "predicate is malformed: checklistVersion: Field required"),
    ],
    ids=["payload-type", "statement-type", "predicate-type", "predicate"],
)  # fmt: skip
def test_a_trusted_signature_over_the_wrong_content_is_still_refused(
    signed: Signed, payload_type: str, change: dict[str, Any], reason: str
) -> None:
    statement = {**payload_of(signed.path), **change}
    data = sign_statement(statement, signed.operator, payload_type)
    result = verify_envelope(data, [signed.operator.public_key()])
    assert not result.ok
    assert result.reason == reason


def test_a_trusted_key_given_twice_counts_once(signed: Signed) -> None:
    data = signed.path.read_bytes()
    key = signed.operator.public_key()
    result = verify_envelope(data, [key, key], 1)
    assert result.ok and result.signers == [key_id(key)]
    with pytest.raises(ValueError, match="distinct"):
        verify_envelope(data, [key, key], 2)


# --- the key index: read without the keyring, and a broken one is named, never rewritten -------

KID = "ab" * 32


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # A wrong type on line 4 of the second key's table.
        (f'[keys.operator]\nkey_id = "{KID}"\n[keys.reviewer]\nkey_id = 42\n',
         "line 4: field keys.reviewer.key_id: Input should be a valid string"),
        (f'[keys.operator]\nkey_id = "{KID}"\ncreated_at = "last tuesday"\n',
         "line 3: field keys.operator.created_at: Input should be a valid datetime"),
        ("[keys.operator]\ncreated_at = 2026-01-02T03:04:05Z\n",
         "line 1: field keys.operator.key_id: Field required"),
        ('keys = "operator"\n', "line 1: field keys: Input should be a valid dictionary"),
        ("[keys.operator\n", "line 1: not valid TOML"),
    ],
    ids=["wrong-type", "bad-date", "missing-key-id", "not-a-table", "not-toml"],
)  # fmt: skip
def test_a_broken_key_index_names_file_line_and_field(run_cli: Run, text: str, where: str) -> None:
    index = paths.data_dir() / "keys.toml"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(text)
    with pytest.raises(KeyIndexError) as caught:
        list_keys()
    error = caught.value
    assert isinstance(error, DataFileError) and isinstance(error, SigningKeyError)
    assert error.path == index and error.exit_code == 2
    for args in (["keys", "list"], ["keys", "generate", "--name", "new"]):
        done = run_cli(*args)
        assert done.code == 2
        assert done.err.startswith(f"onyx-wizard: {index}: {where}")
        assert "Traceback" not in done.err
    assert index.read_text() == text  # generate stopped before touching keyring or index


def test_the_key_index_reads_what_a_newer_version_may_add(run_cli: Run, real_keyring: None) -> None:
    index = paths.data_dir() / "keys.toml"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(
        f'[keys.operator]\nkey_id = "{KID}"\ncreated_at = 2026-01-02T03:04:05Z\n'
        f'[keys.reviewer]\nkey_id = "{KID}"\nalgorithm = "ed25519"\n'
        '[trust]\nroots = ["operator"]\n'
    )
    # Neither private key is in the keyring: the list says so rather than hide the entries.
    assert [(k.name, k.created_at, k.in_keyring) for k in list_keys()] == [
        ("operator", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), False),
        ("reviewer", None, False),
    ]
    done = run_cli("keys", "list")
    assert done.code == 0
    gone = "  ✗ private key missing from the keyring"
    assert done.out.splitlines() == [
        f"operator  {KID}  created 2026-01-02{gone}",
        f"reviewer  {KID}{gone}",
    ]
