"""The launch checklist's model: frozen dataclasses, checked by hand as they are built.

The checklist is packaged data read on every start, so its model is plain Python: building it
takes about a millisecond and loads no validation library, which lets a resumed item be drawn
before anything else is imported. `Checklist.from_data` checks every field as strictly as a
schema would (unknown keys, types, lengths, id shapes, ranges, the rules between fields) and
raises `ChecklistError` naming the item and the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_ITEM_ID = re.compile(rf"^{_SLUG}\.{_SLUG}$")
_SECTION_ID = re.compile(rf"^{_SLUG}$")

FEATURES = ("sign-in", "messaging", "events", "partner-connectivity")
# Onyx's own approval: its items are only ever attested (never waived or set aside).
LAUNCH_APPROVAL_SECTION = "launch-approval"

_T = TypeVar("_T")


class ChecklistError(ValueError):
    """Checklist data that does not describe a valid checklist; the message names where."""


class Method(StrEnum):
    """How an item is satisfied."""

    PROBE = "probe"
    ATTEST = "attest"
    PROBE_ATTEST = "probe+attest"

    @property
    def needs_probe(self) -> bool:
        return self is not Method.ATTEST

    @property
    def needs_attestation(self) -> bool:
        return self is not Method.PROBE


class EvidenceKind(StrEnum):
    """What an attestation's evidence reference may be."""

    REFERENCE = "reference"
    LINK = "link"
    FILE = "file"


@dataclass(frozen=True)
class Evidence:
    """What an attestation of the item must carry."""

    description: str
    kinds: tuple[EvidenceKind, ...] = (EvidenceKind.REFERENCE, EvidenceKind.LINK, EvidenceKind.FILE)
    required: bool = True


@dataclass(frozen=True)
class AppliesWhen:
    """When an item applies to an integration; empty means always."""

    features: tuple[str, ...] = ()

    def matches(self, features: list[str] | tuple[str, ...]) -> bool:
        """Whether an integration with these features gets the item."""
        return not self.features or bool(set(self.features) & set(features))

    def describe(self) -> str:
        if not self.features:
            return "always"
        return "when the integration uses " + " or ".join(self.features)


@dataclass(frozen=True)
class Item:
    """One checklist item: the source text and how it is satisfied."""

    id: str
    title: str
    guidance: str
    method: Method
    evidence: Evidence
    probes: tuple[str, ...] = ()
    required: bool = True
    applies_when: AppliesWhen = AppliesWhen()
    valid_days: int = 90
    # Profile fields of which at least one must be set for the item's probes to have anything
    # of this item's to check (e.g. log_paths for "logs avoid sensitive data").
    needs_profile_any: tuple[str, ...] = ()

    @property
    def section_id(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Section:
    """One of the checklist's sections, its source intro and its items in order."""

    id: str
    title: str
    items: tuple[Item, ...]
    intro: str = ""


@dataclass(frozen=True)
class Checklist:
    """The whole launch checklist."""

    version: str
    title: str
    sections: tuple[Section, ...]
    source: str = ""
    _by_id: dict[str, Item] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for item in self.items:
            self._by_id.setdefault(item.id, item)

    @classmethod
    def from_data(cls, data: object) -> Checklist:
        """The checklist described by `data` (the TOML's tables); ChecklistError otherwise."""
        return _checklist(data)

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError when there is none."""
        return self._by_id[item_id]

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def section_of(self, item_id: str) -> Section:
        return self.section(item_id.split(".", 1)[0])


# --- building from data, checking every field ------------------------------------------------


class _Table:
    """One table of the data, read field by field; errors name where it is."""

    def __init__(self, data: object, where: str, fields: Mapping[str, bool]) -> None:
        if not isinstance(data, dict):
            raise ChecklistError(f"{where}: expected a table, got {_kind(data)}")
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ChecklistError(f"{where}: unknown field(s) {unknown}")
        missing = [name for name, needed in fields.items() if needed and name not in data]
        if missing:
            raise ChecklistError(f"{where}: missing field(s) {missing}")
        self.data = data
        self.where = where

    def at(self, name: str) -> str:
        return f"{self.where}.{name}"

    def get(self, name: str, kind: type[_T], default: _T) -> _T:
        value = self.data.get(name, default)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ChecklistError(f"{self.at(name)}: expected {kind.__name__}, got {_kind(value)}")
        return value

    def text(
        self, name: str, default: str | None = None, *, pattern: re.Pattern[str] | None = None
    ) -> str:
        value = self.get(name, str, default if default is not None else "")
        if default is None and not value:
            raise ChecklistError(f"{self.at(name)}: must not be empty")
        if pattern is not None and not pattern.match(value):
            raise ChecklistError(f"{self.at(name)}: {value!r} does not match {pattern.pattern}")
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        values = self.get(name, list, [])
        for value in values:
            if not isinstance(value, str):
                raise ChecklistError(f"{self.at(name)}: expected text, got {_kind(value)}")
        return tuple(values)

    def choice(self, name: str, kind: Callable[[str], _T], value: object) -> _T:
        try:
            return kind(value)  # type: ignore[arg-type]
        except ValueError:
            raise ChecklistError(f"{self.at(name)}: unknown value {value!r}") from None


def _kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}
    return names.get(type(value), "a table" if isinstance(value, dict) else type(value).__name__)


def _checklist(data: object) -> Checklist:
    table = _Table(
        data, "checklist", {"version": True, "title": True, "source": False, "sections": True}
    )
    raw = table.get("sections", list, [])
    if not raw:
        raise ChecklistError("checklist.sections: at least one section is needed")
    sections = tuple(_section(entry, f"sections[{n}]") for n, entry in enumerate(raw))
    seen: set[str] = set()
    for section in sections:
        for item in section.items:
            if item.id in seen:
                raise ChecklistError(f"duplicate item id {item.id}")
            seen.add(item.id)
    return Checklist(
        version=table.text("version"),
        title=table.text("title"),
        sections=sections,
        source=table.text("source", ""),
    )


def _section(data: object, where: str) -> Section:
    table = _Table(data, where, {"id": True, "title": True, "intro": False, "items": True})
    section_id = table.text("id", pattern=_SECTION_ID)
    raw = table.get("items", list, [])
    if not raw:
        raise ChecklistError(f"section {section_id}: at least one item is needed")
    items = tuple(_item(entry, f"{where}.items[{n}]") for n, entry in enumerate(raw))
    for item in items:
        if item.section_id != section_id:
            raise ChecklistError(f"item {item.id} is not in section {section_id}")
    return Section(
        id=section_id, title=table.text("title"), items=items, intro=table.text("intro", "")
    )


_ITEM_FIELDS = {
    "id": True,
    "title": True,
    "guidance": True,
    "method": True,
    "evidence": True,
    "probes": False,
    "required": False,
    "applies_when": False,
    "valid_days": False,
    "needs_profile_any": False,
}


def _item(data: object, where: str) -> Item:
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        where = f"{where} ({data['id']})"  # named before its fields are checked
    table = _Table(data, where, _ITEM_FIELDS)
    item_id = table.text("id", pattern=_ITEM_ID)
    table.where = f"item {item_id}"  # errors from here on name the item
    method = table.choice("method", Method, table.data["method"])
    probes = table.texts("probes")
    if method.needs_probe and not probes:
        raise ChecklistError(f"item {item_id}: method {method} needs at least one probe")
    if not method.needs_probe and probes:
        raise ChecklistError(f"item {item_id}: method attest takes no probes")
    valid_days = table.get("valid_days", int, 90)
    if not 1 <= valid_days <= 3650:
        raise ChecklistError(f"{table.at('valid_days')}: {valid_days} is not within 1..3650")
    return Item(
        id=item_id,
        title=table.text("title"),
        guidance=table.text("guidance"),
        method=method,
        evidence=_evidence(table.data["evidence"], table.at("evidence")),
        probes=probes,
        required=table.get("required", bool, True),
        applies_when=_applies_when(table.data.get("applies_when", {}), table.at("applies_when")),
        valid_days=valid_days,
        needs_profile_any=table.texts("needs_profile_any"),
    )


def _evidence(data: object, where: str) -> Evidence:
    table = _Table(data, where, {"description": True, "kinds": False, "required": False})
    kinds = Evidence.kinds
    if "kinds" in table.data:
        kinds = tuple(table.choice("kinds", EvidenceKind, k) for k in table.texts("kinds"))
    return Evidence(
        description=table.text("description"),
        kinds=kinds,
        required=table.get("required", bool, True),
    )


def _applies_when(data: object, where: str) -> AppliesWhen:
    table = _Table(data, where, {"features": False})
    features = table.texts("features")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ChecklistError(f"{where}: unknown feature(s) {unknown}; known: {list(FEATURES)}")
    return AppliesWhen(features)
