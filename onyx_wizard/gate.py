"""The launch gate: each item's effective status, the blockers, and the verdict.

The rules, as DESIGN.md defines them: the integration is ready when every applicable required
item is passed or attested and fresh, or waived and unexpired; no probe of a `probe+attest` item
failed since its attestation; and both Launch Approval items are attested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from onyx_wizard.checklist import FEATURES, LAUNCH_APPROVAL_SECTION, Checklist, Item, Method
from onyx_wizard.profile import Profile
from onyx_wizard.session import ItemRecord, ProbeRecord, RecordedStatus, Session, now

# The blocker of a profile that declares no feature (it names no checklist item).
NO_FEATURES = "profile.features"


class Status(StrEnum):
    """An item's status as the operator sees it (recorded status plus derived `stale`)."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"
    ATTESTED = "attested"
    WAIVED = "waived"
    NOT_APPLICABLE = "not-applicable"
    STALE = "stale"


@dataclass(frozen=True)
class ItemState:
    """An item's effective status, whether it is done, and if not, why it blocks."""

    item: Item
    status: Status
    done: bool
    applicable: bool
    reason: str = ""
    # A short phrase shown in place of the status word where the word alone would mislead,
    # e.g. "probe passed · attestation needed" on an item that still blocks.
    label: str = ""

    @property
    def blocking(self) -> bool:
        return self.applicable and self.item.required and not self.done


@dataclass(frozen=True)
class Blocker:
    item_id: str
    title: str
    status: Status
    reason: str


@dataclass(frozen=True)
class SectionProgress:
    """A section's progress over its applicable items; `not_applicable` counts the rest."""

    section_id: str
    title: str
    done: int
    total: int
    blocking: int
    not_applicable: int = 0

    @property
    def complete(self) -> bool:
        """Every applicable item is done (a section with none applicable is not complete)."""
        return self.total > 0 and self.done == self.total and not self.blocking


@dataclass(frozen=True)
class Verdict:
    """The launch gate's answer for a session at one moment."""

    ready: bool
    states: dict[str, ItemState]
    blockers: list[Blocker]
    sections: list[SectionProgress]

    @property
    def summary(self) -> str:
        if self.ready:
            return "Ready for launch"
        n = len(self.blockers)
        return f"Not ready: {n} blocking item{'s' if n != 1 else ''}"


def _fresh(at: datetime | None, item: Item, when: datetime) -> bool:
    return at is not None and when - at <= timedelta(days=item.valid_days)


def _probe_summary(
    item: Item, probes: Mapping[str, ProbeRecord]
) -> tuple[str, datetime | None, list[str]]:
    """('none'|'partial'|'passed'|'failed', time of the oldest pass, failing probe ids)."""
    # A skipped probe (missing secret or profile field) has not run: it neither passes nor fails.
    results = [
        None if r is None or not r.outcome.ran else r
        for r in (probes.get(pid) for pid in item.probes)
    ]
    failing = [pid for pid, r in zip(item.probes, results, strict=True) if r and not r.outcome.ok]
    if failing:
        return "failed", None, failing
    done = [r for r in results if r is not None]
    if not done:
        return "none", None, []
    if len(done) < len(results):
        return "partial", None, []
    return "passed", min(r.at for r in done), []


def item_state(
    item: Item,
    record: ItemRecord,
    probes: Mapping[str, ProbeRecord],
    profile: Profile,
    when: datetime,
) -> ItemState:
    """The effective status of one item, by the launch gate's rules."""
    if not item.applies_when.matches(profile.features):
        features = " or ".join(item.applies_when.features)
        why = f"not applicable ({features} not declared)"
        if record.status is RecordedStatus.NOT_APPLICABLE and record.reason:
            why += f"; {record.reason}"
        return ItemState(item, Status.NOT_APPLICABLE, False, False, why)
    status = record.status
    if status is RecordedStatus.NOT_APPLICABLE:
        return ItemState(item, Status.NOT_APPLICABLE, True, True, record.reason)
    if status is RecordedStatus.WAIVED and record.waiver is not None:
        if record.waiver.expires < when.date():
            return ItemState(
                item, Status.FAILED, False, True, f"waiver expired on {record.waiver.expires}"
            )
        return ItemState(item, Status.WAIVED, True, True, f"waived until {record.waiver.expires}")

    unset = [name for name in item.needs_profile_any if not getattr(profile, name, None)]
    if item.needs_profile_any and len(unset) == len(item.needs_profile_any):
        return ItemState(
            item,
            Status.PENDING,
            False,
            True,
            f"set {' or '.join(unset)} in the profile: its probe has nothing of this item's "
            "to check",
        )
    probe_state, passed_at, failing = _probe_summary(item, probes)
    if item.method is Method.PROBE:
        if probe_state == "failed":
            return ItemState(item, Status.FAILED, False, True, _failing(failing, probes))
        if probe_state == "passed":
            if _fresh(passed_at, item, when):
                return ItemState(item, Status.PASSED, True, True)
            return ItemState(
                item, Status.STALE, False, True, f"probe result older than {item.valid_days} days"
            )
        return ItemState(item, Status.PENDING, False, True, _not_run(item, probe_state, probes))

    attested = status is RecordedStatus.ATTESTED
    if item.method is Method.PROBE_ATTEST:
        if probe_state == "failed":
            after = attested and any(
                record.at is not None and probes[pid].at > record.at for pid in failing
            )
            if after:
                return ItemState(
                    item,
                    Status.STALE,
                    False,
                    True,
                    "a probe failed after the attestation: " + _failing(failing, probes),
                )
            return ItemState(item, Status.FAILED, False, True, _failing(failing, probes))
        if probe_state != "passed":
            label = "attested · probe not passed yet" if attested else ""
            return ItemState(
                item, Status.PENDING, False, True, _not_run(item, probe_state, probes), label
            )
        if not _fresh(passed_at, item, when):
            return ItemState(
                item, Status.STALE, False, True, f"probe result older than {item.valid_days} days"
            )
        if not attested:
            return ItemState(
                item,
                Status.PENDING,
                False,
                True,
                "the probe passed; a person must attest the rest",
                "probe passed · attestation needed",
            )
    if not attested:
        return ItemState(item, Status.PENDING, False, True, "not attested yet")
    if not _fresh(record.at, item, when):
        return ItemState(
            item, Status.STALE, False, True, f"attestation older than {item.valid_days} days"
        )
    return ItemState(item, Status.ATTESTED, True, True)


def _not_run(item: Item, probe_state: str, probes: Mapping[str, ProbeRecord]) -> str:
    skipped = [
        f"{pid} skipped: {probes[pid].message}"
        for pid in item.probes
        if pid in probes and not probes[pid].outcome.ran
    ]
    if skipped:
        return "; ".join(skipped)
    noun = "probe has" if len(item.probes) == 1 else "probes have"
    if probe_state == "partial":
        return f"not every {noun.split()[0]} has run yet"
    return f"{noun} not run yet"


def _failing(failing: list[str], probes: Mapping[str, ProbeRecord]) -> str:
    return "; ".join(f"{pid}: {probes[pid].reason_code}" for pid in failing)


def evaluate(session: Session, checklist: Checklist, when: datetime | None = None) -> Verdict:
    """Run the launch gate over every item of the checklist."""
    when = when or now()
    states: dict[str, ItemState] = {}
    blockers: list[Blocker] = []
    sections: list[SectionProgress] = []
    if not session.profile.features:
        blockers.append(
            Blocker(
                NO_FEATURES,
                "Declare the features this integration uses",
                Status.PENDING,
                "the profile declares no feature: declare the features this integration uses "
                f"({', '.join(FEATURES)}) so the items that apply to it are checked",
            )
        )
    for section in checklist.sections:
        done = blocking = not_applicable = 0
        for item in section.items:
            state = item_state(item, session.record(item.id), session.probes, session.profile, when)
            approval = section.id == LAUNCH_APPROVAL_SECTION
            if approval and state.done and state.status is not Status.ATTESTED:
                # Onyx's approval cannot be waived or set aside: only an attestation counts.
                state = ItemState(
                    item, state.status, False, True, "Launch Approval items must be attested"
                )
            states[item.id] = state
            if not state.applicable:
                not_applicable += 1
                continue
            done += state.done
            if state.blocking:
                blocking += 1
                blockers.append(Blocker(item.id, item.title, state.status, state.reason))
        total = len(section.items) - not_applicable
        sections.append(
            SectionProgress(section.id, section.title, done, total, blocking, not_applicable)
        )
    return Verdict(ready=not blockers, states=states, blockers=blockers, sections=sections)
