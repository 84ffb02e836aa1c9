"""Pydantic models of the packaged launch checklist."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_ITEM_ID = re.compile(rf"^{_SLUG}\.{_SLUG}$")
_SECTION_ID = re.compile(rf"^{_SLUG}$")

FEATURES = ("sign-in", "messaging", "events", "partner-connectivity")
# Onyx's own approval: its items are only ever attested (never waived or set aside).
LAUNCH_APPROVAL_SECTION = "launch-approval"


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


class Evidence(BaseModel):
    """What an attestation of the item must carry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)
    kinds: tuple[EvidenceKind, ...] = (EvidenceKind.REFERENCE, EvidenceKind.LINK, EvidenceKind.FILE)
    required: bool = True


class AppliesWhen(BaseModel):
    """When an item applies to an integration; empty means always."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: tuple[str, ...] = ()

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in value if f not in FEATURES]
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}; known: {list(FEATURES)}")
        return value

    def matches(self, features: list[str] | tuple[str, ...]) -> bool:
        """Whether an integration with these features gets the item."""
        return not self.features or bool(set(self.features) & set(features))

    def describe(self) -> str:
        if not self.features:
            return "always"
        return "when the integration uses " + " or ".join(self.features)


class Item(BaseModel):
    """One checklist item: the source text and how it is satisfied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=_ITEM_ID.pattern)]
    title: str = Field(min_length=1)
    guidance: str = Field(min_length=1)
    method: Method
    probes: tuple[str, ...] = ()
    required: bool = True
    applies_when: AppliesWhen = AppliesWhen()
    evidence: Evidence
    valid_days: int = Field(default=90, ge=1, le=3650)
    # Profile fields of which at least one must be set for the item's probes to have anything
    # of this item's to check (e.g. log_paths for "logs avoid sensitive data").
    needs_profile_any: tuple[str, ...] = ()

    @field_validator("applies_when", mode="wrap")
    @classmethod
    def _name_item_in_applies_when(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> AppliesWhen:
        # The error's location is only an index; say which item it is.
        try:
            result: AppliesWhen = handler(value)
        except ValidationError as exc:
            problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            raise ValueError(f"item {info.data.get('id', '?')}: {problems}") from None
        return result

    @model_validator(mode="after")
    def _probes_match_method(self) -> Item:
        if self.method.needs_probe and not self.probes:
            raise ValueError(f"item {self.id}: method {self.method} needs at least one probe")
        if not self.method.needs_probe and self.probes:
            raise ValueError(f"item {self.id}: method attest takes no probes")
        return self

    @property
    def section_id(self) -> str:
        return self.id.split(".", 1)[0]


class Section(BaseModel):
    """One of the checklist's sections, its source intro and its items in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=_SECTION_ID.pattern)]
    title: str = Field(min_length=1)
    intro: str = ""
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _items_belong(self) -> Section:
        for item in self.items:
            if item.section_id != self.id:
                raise ValueError(f"item {item.id} is not in section {self.id}")
        return self


class Checklist(BaseModel):
    """The whole launch checklist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    source: str = ""
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Checklist:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"duplicate item id {item.id}")
            seen.add(item.id)
        return self

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError when there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def section_of(self, item_id: str) -> Section:
        return self.section(item_id.split(".", 1)[0])
