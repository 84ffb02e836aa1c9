"""`onyx-wizard drift`: a signed, ready attestation of the sample app, then the app changes
(a deploy with a fault, an evidence file edited): drift names what regressed and exits 1; with
no change it exits 0."""

from __future__ import annotations

import asyncio
import json
import secrets as pysecrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import onyx_cli

from onyx_wizard import check
from onyx_wizard.attestation import export_session, keys
from onyx_wizard.checklist import EvidenceKind, load_checklist
from onyx_wizard.demo import DemoDeployment
from onyx_wizard.drift import ProbeNow, compare
from onyx_wizard.gate import evaluate
from onyx_wizard.outcome import Outcome
from onyx_wizard.session import new_session


class Signed:
    def __init__(self, deployment: DemoDeployment, envelope: Path, pem: Path, proof: Path):
        self.deployment, self.envelope, self.pem, self.proof = deployment, envelope, pem, proof
        self.env = {k.env_var: v for k, v in deployment.secrets().items()}

    def drift(self, *more: str) -> tuple[int, str]:
        done = onyx_cli(
            "drift", str(self.envelope), "--key", str(self.pem), "--session", "launch", *more,
            env=self.env,
        )  # fmt: skip
        return done.returncode, done.stdout + done.stderr


@pytest.fixture
def signed(tmp_path: Path, real_keyring: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Signed]:
    key = f"drift-{pysecrets.token_hex(4)}"
    with DemoDeployment() as deployment:
        for k, v in deployment.secrets().items():
            monkeypatch.setenv(k.env_var, v)
        opened = new_session("launch", profile=deployment.profile())
        opened.text_filter = str
        asyncio.run(check.SessionRun(opened).run())
        proof = Path(opened.session.profile.evidence_dir) / "drill-notes.txt"
        proof.write_text("support drill on 2026-11-30: answered in 9 minutes\n")
        for item in opened.checklist.items:
            if not item.method.needs_attestation:
                continue
            file = EvidenceKind.FILE in item.evidence.kinds
            ref = str(proof) if file else f"https://portal.onyx.example/{item.id}"
            opened.attest(item.id, "Dana Reyes", note="checked", evidence=[ref])
        verdict = evaluate(opened.session, opened.checklist)
        assert verdict.ready, [b.item_id for b in verdict.blockers]
        try:
            keys.generate(key)
            envelope = tmp_path / "launch.attestation.json"
            export_session(opened, envelope, key_name=key)
            pem = tmp_path / "key.pem"
            pem.write_text(keys.public_pem(key))
            yield Signed(deployment, envelope, pem, proof)
        finally:
            keys.delete(key)


def test_drift_is_quiet_when_nothing_changed_and_names_what_regressed(signed: Signed) -> None:
    code, said = signed.drift()
    assert code == 0, said
    assert "nothing regressed" in said

    # An evidence file edited after signing.
    signed.proof.write_text("support drill notes, rewritten later\n")
    code, said = signed.drift("--format", "json")
    assert code == 1
    doc = json.loads(said[: said.rindex("}") + 1])
    assert doc["schema"] == "onyx-wizard/drift/v1" and doc["regressed"]
    assert any(
        c["kind"] == "evidence" and "changed since it was signed" in c["detail"]
        for c in doc["changes"]
    )
    signed.proof.write_text("support drill on 2026-11-30: answered in 9 minutes\n")

    # A deploy that lets the null origin through: the probe regressed, the item is named.
    signed.deployment.redeploy(["cors-null-origin"])
    code, said = signed.drift()
    assert code == 1, said
    assert "app-identity.allowed-origins" in said and "CORS_NULL_ORIGIN_ALLOWED" in said
    assert "regressed since it was signed" in said

    code, said = signed.drift("--format", "junit")
    assert code == 1 and "<failure" in said and "allowed-origins" in said


def test_a_tampered_attestation_gives_no_drift(signed: Signed) -> None:
    data = json.loads(signed.envelope.read_text())
    sig = data["signatures"][0]["sig"]
    # Another first base64 character: never the signature itself (1 in 64 start with "A").
    data["signatures"][0]["sig"] = ("B" if sig.startswith("A") else "A") + sig[1:]
    signed.envelope.write_text(json.dumps(data))
    code, said = signed.drift()
    assert code == 1 and "not verified" in said


def test_expiry_is_reported_before_and_after_it_happens() -> None:
    """compare() on a signed predicate with its clock moved: expiring, then expired."""
    from onyx_wizard.attestation.statement import LaunchReadiness

    checklist = load_checklist()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    item = checklist.item("app-identity.app-name-approved")
    signed = LaunchReadiness.model_validate(
        {
            "checklistVersion": checklist.version, "environment": "production",
            "appName": "Acme", "session": "acme", "generatedAt": at,
            "generator": {"name": "onyx-wizard", "version": "test"},
            "verdict": {"ready": True, "summary": "Ready for launch", "blockers": []},
            "draft": False,
            "items": [{
                "id": item.id, "section": "App Identity", "title": item.title,
                "status": "attested", "method": "attest", "by": "Dana", "at": at, "note": "",
                "reasonCodes": [], "probes": [{"id": "tls", "outcome": "pass",
                "reasonCode": "TLS_OK", "at": at}], "waiver": None,
                "notApplicableReason": None, "evidence": [],
            }],
        }
    )  # fmt: skip
    ends = at + timedelta(days=item.valid_days)
    soon = compare(signed, checklist, {}, None, ends - timedelta(days=3))
    assert [c.kind for c in soon] == ["expiring"] and not soon[0].regression
    late = compare(signed, checklist, {}, None, ends + timedelta(days=1))
    assert [c.kind for c in late] == ["expired"] and late[0].regression
    broken = {"tls": ProbeNow(Outcome.FAIL, "TLS_EXPIRED")}
    worse = compare(signed, checklist, broken, None, at)
    assert [(c.kind, c.regression) for c in worse] == [("probe", True)]
