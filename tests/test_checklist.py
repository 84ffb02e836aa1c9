"""The packaged checklist is the source document, verbatim, as data that validates."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import onyx_wizard.checklist
from onyx_wizard.checklist import (
    Checklist,
    ChecklistError,
    Method,
    checklist_data,
    compile_checklist,
    load_checklist,
)

if TYPE_CHECKING:
    from conftest import CliResult

REFERENCE = Path(__file__).parent / "data" / "onyx-production-launch-checklist.txt"

SECTION_TITLES = [
    "App Identity",
    "Consent And Scopes",
    "Sign-In Flow",
    "Messaging And Events",
    "Partner Connectivity",
    "Support Readiness",
    "Privacy And Security",
    "Launch Approval",
]

ID_SHAPE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$")


def reference_sections() -> list[tuple[str, list[str]]]:
    """(section title, item lines) from the source document, in order.

    Items are the bullet lines; Launch Approval has no bullets, its items are the sentences
    after its heading.
    """
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    sections: list[tuple[str, list[str]]] = []
    in_approval = False
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if raw.startswith("  • "):
            sections[-1][1].append(raw.removeprefix("  • "))
            continue
        if line == "Launch Approval":
            sections.append((line, []))
            in_approval = True
            continue
        if in_approval:
            sections[-1][1].append(line)
            continue
        following = next((n.strip() for n in lines[index + 1 :] if n.strip()), "")
        if following.lower().endswith("confirm:"):
            sections.append((line, []))
    return sections


def reference_titles() -> list[str]:
    return [title for _, items in reference_sections() for title in items]


def test_reference_parser_sees_the_whole_document() -> None:
    # Guards the helper itself: a parser that found nothing would make the other tests vacuous.
    sections = reference_sections()
    assert [title for title, _ in sections] == SECTION_TITLES
    assert [len(items) for _, items in sections] == [7, 7, 5, 7, 7, 5, 6, 2]
    assert sections[-1][1] == [
        "Onyx can require final approval before production traffic starts.",
        "Do not launch a gated capability until Onyx confirms that it is enabled for the "
        "partner, market, and environment.",
    ]


def test_46_items_with_the_reference_titles_verbatim_and_in_order() -> None:
    checklist = load_checklist()
    assert len(checklist.items) == 46
    assert [item.title for item in checklist.items] == reference_titles()


def test_eight_sections_in_order_each_holding_its_reference_items() -> None:
    checklist = load_checklist()
    assert [section.title for section in checklist.sections] == SECTION_TITLES
    for section, (title, items) in zip(checklist.sections, reference_sections(), strict=True):
        assert section.title == title
        assert [item.title for item in section.items] == items
    assert len(checklist.section("launch-approval").items) == 2


def test_ids_are_unique_and_section_slug_shaped() -> None:
    checklist = load_checklist()
    ids = [item.id for item in checklist.items]
    assert len(set(ids)) == len(ids)
    for section in checklist.sections:
        for item in section.items:
            assert ID_SHAPE.match(item.id), item.id
            assert item.id.split(".")[0] == section.id
            assert checklist.item(item.id) is item
            assert checklist.section_of(item.id) is section


def test_probe_items_name_probes_and_attest_items_none() -> None:
    checklist = load_checklist()
    methods = {item.method for item in checklist.items}
    assert methods == {Method.PROBE, Method.ATTEST, Method.PROBE_ATTEST}
    for item in checklist.items:
        if item.method is Method.ATTEST:
            assert item.probes == (), item.id
        else:
            assert item.probes, item.id
            assert all(probe.strip() for probe in item.probes), item.id
        assert item.guidance.strip(), item.id
        assert item.evidence.description.strip(), item.id
        assert 1 <= item.valid_days <= 3650


def test_partner_connectivity_items_apply_only_when_the_feature_is_used() -> None:
    section = load_checklist().section("partner-connectivity")
    for item in section.items:
        assert item.applies_when.features == ("partner-connectivity",), item.id


def test_launch_approval_items_are_required_attestations() -> None:
    for item in load_checklist().section("launch-approval").items:
        assert item.method is Method.ATTEST
        assert item.required
        assert item.applies_when.features == ()


def test_checklist_json_from_the_command(run_cli_subprocess: Callable[..., CliResult]) -> None:
    result = run_cli_subprocess("checklist", "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert isinstance(rows, list)
    assert len(rows) == 46
    for row in rows:
        assert {"id", "section", "title", "method", "required"} <= row.keys()
        assert ID_SHAPE.match(row["id"])
        assert row["method"] in {"probe", "attest", "probe+attest"}
        assert isinstance(row["required"], bool)
    assert [row["title"] for row in rows] == reference_titles()
    sections_in_order = list(dict.fromkeys(row["section"] for row in rows))
    assert sections_in_order == SECTION_TITLES


def test_checklist_text_from_the_command(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("checklist")
    assert result.code == 0
    out = result.out
    assert "46 items" in out.splitlines()[0]
    positions = [out.index(f"\n{title}\n") for title in SECTION_TITLES]
    assert positions == sorted(positions)
    for item in load_checklist().items:
        assert f"  • {item.title}  [" in out
        assert item.id in out


# --- the JSON copy the wizard reads (faster than parsing the TOML) ---------------------------

PACKAGED = Path(onyx_wizard.checklist.__file__).parent


def test_the_json_copy_is_made_from_the_packaged_toml() -> None:
    text = (PACKAGED / "launch-checklist.toml").read_text(encoding="utf-8")
    copied = (PACKAGED / "launch-checklist.json").read_text(encoding="utf-8")
    assert copied == compile_checklist(text), "run scripts/compile_checklist.py after editing"
    # What the wizard loads is the TOML, validated in full.
    assert load_checklist() == Checklist.from_data(tomllib.loads(text))


def test_the_json_copy_is_read_only_while_it_was_made_from_the_same_toml(tmp_path: Path) -> None:
    text = (PACKAGED / "launch-checklist.toml").read_text(encoding="utf-8")
    compiled = tmp_path / "copy.json"
    digest = json.loads(compile_checklist(text))["toml_sha256"]
    compiled.write_text(json.dumps({"toml_sha256": digest, "checklist": {"marker": 1}}))
    assert checklist_data(text, compiled) == {"marker": 1}  # the copy is what is read
    edited = text.replace('title = "Production Launch Checklist"', 'title = "Edited"', 1)
    assert edited != text
    assert checklist_data(edited, compiled) == tomllib.loads(edited)  # stale: the TOML is read
    compiled.write_text("{not json")
    assert checklist_data(text, compiled) == tomllib.loads(text)
    assert checklist_data(text, tmp_path / "missing.json") == tomllib.loads(text)


# --- the model rejects a bad checklist, naming the item at fault ----------------------------


def _checklist_data() -> dict[str, Any]:
    """The packaged checklist's data, as its TOML holds it (a fresh copy to spoil)."""
    folder = Path(onyx_wizard.checklist.__file__).parent
    return tomllib.loads((folder / "launch-checklist.toml").read_text(encoding="utf-8"))


def _rejection(data: dict[str, Any]) -> str:
    with pytest.raises(ChecklistError) as info:
        Checklist.from_data(data)
    return str(info.value)


def test_the_packaged_data_round_trips_through_the_model() -> None:
    assert Checklist.from_data(_checklist_data()) == load_checklist()


def test_probe_item_without_probes_is_rejected_naming_it() -> None:
    data = _checklist_data()
    item = data["sections"][0]["items"][3]
    assert item["method"] == "probe"
    item["probes"] = []
    message = _rejection(data)
    assert item["id"] in message
    assert "probe" in message


def test_attest_item_with_probes_is_rejected_naming_it() -> None:
    data = _checklist_data()
    item = data["sections"][0]["items"][0]
    assert item["method"] == "attest"
    item["probes"] = ["tls"]
    assert item["id"] in _rejection(data)


def test_duplicate_item_id_is_rejected_naming_it() -> None:
    data = _checklist_data()
    items = data["sections"][0]["items"]
    items[1]["id"] = items[0]["id"]
    message = _rejection(data)
    assert "duplicate" in message
    assert items[0]["id"] in message


def test_unknown_feature_is_rejected_naming_the_item_and_feature() -> None:
    data = _checklist_data()
    item = data["sections"][2]["items"][0]
    item["applies_when"] = {"features": ["teleportation"]}
    message = _rejection(data)
    assert item["id"] in message
    assert "teleportation" in message


def test_item_in_the_wrong_section_is_rejected_naming_it() -> None:
    data = _checklist_data()
    data["sections"][1]["items"][0]["id"] = "app-identity.stray-item"
    message = _rejection(data)
    assert "app-identity.stray-item" in message


@pytest.mark.parametrize("bad_id", ["AppIdentity.name", "app-identity", "app_identity.name", ""])
def test_badly_shaped_id_is_rejected(bad_id: str) -> None:
    data = _checklist_data()
    data["sections"][0]["items"][0]["id"] = bad_id
    _rejection(data)


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("valid_days", "90", "expected int"),
        ("valid_days", True, "expected int"),
        ("valid_days", 0, "not within 1..3650"),
        ("valid_days", 3651, "not within 1..3650"),
        ("title", "", "must not be empty"),
        ("method", "vibes", "unknown value 'vibes'"),
        ("required", "yes", "expected bool"),
        ("probes", "tls", "expected list"),
        ("needs_profile_any", [3], "expected text"),
        ("evidence", {"description": "x", "kinds": ["fax"]}, "unknown value 'fax'"),
        ("evidence", {"kinds": ["link"]}, "missing field(s) ['description']"),
        ("colour", "blue", "unknown field(s) ['colour']"),
    ],
)
def test_a_bad_field_is_rejected_naming_the_item_and_field(
    field: str, value: object, said: str
) -> None:
    data = _checklist_data()
    item = data["sections"][0]["items"][0]
    item[field] = value
    message = _rejection(data)
    assert item["id"] in message
    assert said in message


def test_a_missing_or_mistyped_table_is_rejected() -> None:
    data = _checklist_data()
    del data["sections"][0]["items"][0]["guidance"]
    assert "missing field(s) ['guidance']" in _rejection(data)
    data = _checklist_data()
    data["sections"][2]["items"] = []
    assert "at least one item" in _rejection(data)
    data = _checklist_data()
    data["sections"] = "all of them"
    assert "expected list" in _rejection(data)
    assert "expected a table" in _rejection({**_checklist_data(), "sections": [3]})
