"""The identity-documents probe: passport and ID card machine-readable zones in logs and evidence.

Real files on disk, the real scanner and the real probe runner; the MRZ lines are made up here
with their ICAO 9303 check digits computed, so a wrong digit is a deliberate near miss.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from onyx_wizard.checklist import load_checklist
from onyx_wizard.probes import Outcome, run_probes
from onyx_wizard.probes.identity_documents import run_identity_documents
from onyx_wizard.profile import Profile

_WEIGHTS = (7, 3, 1)


def _digit(field: str) -> str:
    """ICAO 9303 check digit: digits as is, A=10 … Z=35, < as 0, weighted 7, 3, 1."""
    total = 0
    for index, char in enumerate(field):
        value = int(char) if char.isdigit() else 0 if char == "<" else ord(char) - 55
        total += value * _WEIGHTS[index % 3]
    return str(total % 10)


def passport(state: str = "NLD", number: str = "NX4K8P2L7") -> str:
    """A TD3 (passport) machine-readable zone: two lines of 44 characters."""
    name = f"P<{state}VAN<DER<BERG<<ANNA<MARIA".ljust(44, "<")
    birth, expiry, personal = "880214", "310617", "<" * 14
    data = (
        number
        + _digit(number)
        + state
        + birth
        + _digit(birth)
        + "F"
        + expiry
        + _digit(expiry)
        + personal
        + "<"
    )
    composite = number + _digit(number) + birth + _digit(birth) + expiry + _digit(expiry)
    data += _digit(composite + personal + "<")
    return f"{name}\n{data}"


def id_card() -> str:
    """A TD1 (ID card) machine-readable zone: three lines of 30 characters."""
    number, birth, expiry = "L898902C3", "740812", "330415"
    first = f"I<DEU{number}{_digit(number)}".ljust(30, "<")
    second = f"{birth}{_digit(birth)}M{expiry}{_digit(expiry)}DEU".ljust(29, "<")
    upper = first[5:30] + second[0:7] + second[8:15] + second[18:29]
    second += _digit(upper)
    third = "MUSTERMANN<<ERIKA".ljust(30, "<")
    return f"{first}\n{second}\n{third}"


def _run(tmp_path: Path, text: str, name: str = "app.log") -> tuple[Outcome, str, list]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_identity_documents(Profile(log_paths=[str(tmp_path)]))
    return result.outcome, result.reason_code, result.evidence


def test_a_passport_in_a_log_fails_with_where_and_no_value(tmp_path: Path) -> None:
    mrz = passport()
    outcome, code, evidence = _run(tmp_path, f"INFO ocr done\nDEBUG ocr text:\n{mrz}\nINFO ok\n")
    assert (outcome, code) == (Outcome.FAIL, "IDENTITY_DOCUMENT_FOUND")
    [found] = [e for e in evidence if e.get("check") == "sensitive data"]
    assert found["rule"] == "identity-document-mrz" and found["lines"] == [3]
    dumped = json.dumps(evidence)
    assert "NX4K8P2L7" not in dumped and "VAN<DER<BERG" not in dumped  # hashes, never values


def test_a_passport_in_a_json_log_line_is_found(tmp_path: Path) -> None:
    record = json.dumps({"msg": "document scanned", "mrz": passport()})  # the \n is escaped
    assert _run(tmp_path, record + "\n")[:2] == (Outcome.FAIL, "IDENTITY_DOCUMENT_FOUND")


def test_an_id_card_in_support_evidence_fails(tmp_path: Path) -> None:
    (tmp_path / "ticket.txt").write_text(f"customer ID card:\n{id_card()}\n", encoding="utf-8")
    result = run_identity_documents(Profile(evidence_dir=str(tmp_path)))
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "IDENTITY_DOCUMENT_FOUND")


def test_a_wrong_check_digit_or_an_icao_specimen_is_not_a_document(tmp_path: Path) -> None:
    mrz = passport()
    broken = mrz[:-1] + str((int(mrz[-1]) + 1) % 10)  # the composite check digit is wrong
    outcome, code, evidence = _run(tmp_path, f"{broken}\n{passport(state='UTO')}\n")
    assert (outcome, code) == (Outcome.PASS, "NO_IDENTITY_DOCUMENT")
    [summary] = [e for e in evidence if e.get("check") == "scan summary"]
    assert summary["examples"] == 1  # the specimen, counted as an example


def test_nothing_to_scan_is_skipped_not_passed() -> None:
    result = run_identity_documents(Profile())
    assert (result.outcome, result.reason_code) == (Outcome.SKIPPED, "NO_SCAN_PATHS")


def test_the_probe_runs_through_the_runner_and_secret_hygiene_sees_the_same(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.log").write_text(f"{passport()}\n", encoding="utf-8")
    profile = Profile(log_paths=[str(tmp_path)])
    results = asyncio.run(run_probes(["identity-documents", "secret-hygiene"], profile, {}))
    by_id = {result.probe_id: result for result in results}
    assert by_id["identity-documents"].reason_code == "IDENTITY_DOCUMENT_FOUND"
    assert by_id["secret-hygiene"].reason_code == "PII_FOUND"
    assert "identity-document-mrz" in by_id["secret-hygiene"].message


def test_the_checklist_item_is_probed_and_attested_and_needs_something_to_scan() -> None:
    item = load_checklist().item("privacy-and-security.identity-documents-in-approved-flows")
    assert item.method.value == "probe+attest" and list(item.probes) == ["identity-documents"]
    assert set(item.needs_profile_any) == {"log_paths", "evidence_dir"}
