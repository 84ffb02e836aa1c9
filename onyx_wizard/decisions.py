"""A reviewed file of people's decisions (attestations, waivers, not-applicable marks), applied
to a session in one go: `onyx-wizard attest NAME --from decisions.toml`.

The file lives in the partner's repository and is reviewed in pull requests. It is validated
whole — shape, then every rule the wizard applies — before anything changes; applying it again
changes nothing (an entry that matches what is recorded is left alone).

    [[attest]]
    item = "app-identity.app-name-approved"
    by = "Dana Reyes"
    note = "Approved in the partner portal"
    evidence = ["https://portal.onyx.example/apps/acme/approval"]

    [[waive]]
    item = "support-readiness.refund-credit-rules-match-agreement"
    by = "Dana Reyes"
    reason = "Refund page goes live with the launch"
    approver = "Sam Ortiz (Onyx)"
    expires = 2027-01-31

    [[not_applicable]]
    item = "partner-connectivity.catalogue-version-approved"
    by = "Dana Reyes"
    reason = "No catalogue is offered"
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onyx_wizard.errors import DataFileError
from onyx_wizard.session import Day, EvidenceError, OpenSession, RecordedStatus
from onyx_wizard.tomlfile import locate, read_toml
from onyx_wizard.tomlmodel import model_from_toml


class DecisionsError(DataFileError):
    """A decisions file that does not parse, validate or follow the rules; nothing changed."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1)
    by: str = Field(min_length=1)


class Attest(_Entry):
    note: str = ""
    evidence: list[str] = Field(default_factory=list)


class Waive(_Entry):
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: Day


class NotApplicable(_Entry):
    reason: str = Field(min_length=1)


class Decisions(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    attest: list[Attest] = Field(default_factory=list)
    waive: list[Waive] = Field(default_factory=list)
    not_applicable: list[NotApplicable] = Field(default_factory=list)


Kind = Literal["attest", "waive", "not_applicable"]


@dataclass(frozen=True)
class Applied:
    """What one entry did: `changed` False when the session already said the same."""

    kind: Kind
    item: str
    changed: bool
    was: str

    def __str__(self) -> str:
        verb = {"attest": "attested", "waive": "waived", "not_applicable": "not applicable"}
        if not self.changed:
            return f"  = {self.item}: already {verb[self.kind]}"
        return f"  ✓ {self.item}: {verb[self.kind]} (was {self.was})"


def load_decisions(path: Path) -> tuple[str, Decisions]:
    """The file's text and its decisions; DecisionsError names the line and field."""
    text, data = read_toml(path, error=DecisionsError)
    decisions = model_from_toml(text, data, path, Decisions, error=DecisionsError)
    if not (decisions.attest or decisions.waive or decisions.not_applicable):
        raise DecisionsError(path, "no decisions: add [[attest]], [[waive]] or [[not_applicable]]")
    return text, decisions


def apply_decisions(opened: OpenSession, path: Path) -> list[Applied]:
    """Apply the file's decisions to the session: all of them, saved once, or none."""
    text, decisions = load_decisions(path)
    applied: list[Applied] = []
    entries: list[tuple[Kind, int, Attest | Waive | NotApplicable]] = [
        *(("attest", i, e) for i, e in enumerate(decisions.attest)),
        *(("waive", i, e) for i, e in enumerate(decisions.waive)),
        *(("not_applicable", i, e) for i, e in enumerate(decisions.not_applicable)),
    ]
    seen: dict[str, tuple[Kind, int]] = {}
    for kind, index, entry in entries:
        if entry.item in seen:
            first = seen[entry.item]
            raise DecisionsError(
                path,
                f"{entry.item} is decided twice (also in {first[0]}[{first[1]}])",
                locate(text, (kind, index)),
                f"{kind}.{index}.item",
            )
        seen[entry.item] = (kind, index)
    with opened.batch():
        for kind, index, entry in entries:
            try:
                applied.append(_apply(opened, kind, entry))
            except EvidenceError as exc:
                raise DecisionsError(
                    path, str(exc), locate(text, (kind, index)), f"{kind}.{index}"
                ) from None
            except Exception as exc:  # e.g. an unknown item id (a SessionError)
                raise DecisionsError(
                    path, str(exc), locate(text, (kind, index)), f"{kind}.{index}.item"
                ) from None
    return applied


def _apply(opened: OpenSession, kind: Kind, entry: Attest | Waive | NotApplicable) -> Applied:
    record = opened.session.record(entry.item)
    was = record.status.value
    if isinstance(entry, Attest):
        same = (
            record.status is RecordedStatus.ATTESTED
            and record.by == entry.by.strip()
            and record.note == opened.clean_text(entry.note.strip())
            and record.evidence
            == [opened.clean_text(r.strip()) for r in entry.evidence if r.strip()]
        )
        if not same:
            opened.attest(entry.item, entry.by, entry.note, entry.evidence)
    elif isinstance(entry, Waive):
        waiver = record.waiver
        same = (
            record.status is RecordedStatus.WAIVED
            and waiver is not None
            and (waiver.reason, waiver.approver, waiver.expires)
            == (opened.clean_text(entry.reason.strip()), entry.approver.strip(), entry.expires)
        )
        if not same:
            opened.waive(entry.item, entry.by, entry.reason, entry.approver, entry.expires)
    else:
        same = record.status is RecordedStatus.NOT_APPLICABLE and record.reason == (
            opened.clean_text(entry.reason.strip())
        )
        if not same:
            opened.mark_not_applicable(entry.item, entry.by, entry.reason)
    return Applied(kind, entry.item, not same, was)
