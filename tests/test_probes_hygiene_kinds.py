"""The secret-hygiene probe behind four checklist items sees every kind the scanner knows.

Each case is a line a real app could write to its log (or a support engineer paste into a
ticket) in a form the first scanner missed: camelCase keys in JSON logs, operators other than
`=`, vendors' newer token formats. The probe runs through the runner on real files; the gate
then keeps the four items open.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from onyx_wizard.probes import Outcome, run_probes
from onyx_wizard.profile import Profile

# Made-up values in the vendors' formats (random characters, never real credentials).
CASES = [
    (
        "camelCase secret in a JSON log",
        json.dumps({"msg": "oauth config", "clientSecret": "Qm7#vX2pL9$kR4tW8zN1"}),
        "SECRET_PATTERN_FOUND",
        "secret-assignment",
    ),
    (
        "Go := assignment",
        'dbPassword := "Tr0ub4dor&3xQ"',
        "SECRET_PATTERN_FOUND",
        "password-assignment",
    ),
    (
        "Azure storage connection string",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        "To/vGZd9/fk2HAej+7IZL71SI0MfVzEwRz1+0PWG68uqJmK5ku1JOdTcIsJm118qDeClDpjJBFhybMIIs4jmuQ==",
        "SECRET_PATTERN_FOUND",
        "azure-storage-key",
    ),
    (
        "Anthropic API key",
        "ANTHROPIC_API_KEY=sk-ant-api03-"
        "COexAvsLCQ9rsQSaRNpaAxiL53qyArvg042XLgIQgD5nfYxbxbULQSw5083bQOjEexkDGuEQPMdobYzB1oPIShdeDPzYPAA",
        "SECRET_PATTERN_FOUND",
        "anthropic-api-key",
    ),
    (
        "curl with a user and password",
        "+ curl -s -u deploy:NaRcK64*q https://ci.acme.test/api/builds",
        "SECRET_PATTERN_FOUND",
        "curl-user-password",
    ),
    (
        "a passport's machine-readable zone",
        "P<NLDVAN<DER<BERG<<ANNA<MARIA<<<<<<<<<<<<<<<\nNX4K8P2L77NLD8802141F3106176<<<<<<<<<<<<<<<6",
        "PII_FOUND",
        "identity-document-mrz",
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "rule"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_secret_hygiene_fails_on_the_kind(tmp_path: Path, text: str, code: str, rule: str) -> None:
    (tmp_path / "app.log").write_text(f"INFO started\n{text}\nINFO ok\n", encoding="utf-8")
    profile = Profile(log_paths=[str(tmp_path)], evidence_dir=str(tmp_path))
    [result] = asyncio.run(run_probes(["secret-hygiene"], profile, {}))
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, code)
    [summary] = [e for e in result.evidence if e.get("check") == "scan summary"]
    assert rule in summary["by_rule"]
    dumped = json.dumps(result.evidence)
    for piece in ("Qm7#vX2p", "Tr0ub4dor", "fk2HAej", "COexAvsL", "NaRcK64", "NX4K8P2L7"):
        assert piece not in dumped  # hashes, lines and counts, never a value


def test_a_documented_example_is_counted_not_failed(tmp_path: Path) -> None:
    (tmp_path / "README.log").write_text(
        "example: aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", encoding="utf-8"
    )
    [result] = asyncio.run(run_probes(["secret-hygiene"], Profile(log_paths=[str(tmp_path)]), {}))
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "SCAN_CLEAN")
    [summary] = [e for e in result.evidence if e.get("check") == "scan summary"]
    assert summary["examples"] == 1
