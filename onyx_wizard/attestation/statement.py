"""The in-toto Statement v1 this tool signs, and its launch-readiness predicate.

The predicate's models serve both ways: export dumps them (lowerCamelCase, RFC 3339 `Z` times)
and verify parses the verified payload back into them. Unknown fields are ignored, as in-toto
asks of consumers, so a later minor addition does not break an older verifier.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from onyx_wizard import __version__
from onyx_wizard.attestation._errors import EvidenceFileError
from onyx_wizard.checklist import Checklist, EvidenceKind
from onyx_wizard.gate import Status, Verdict
from onyx_wizard.profile import Profile
from onyx_wizard.session import RecordedStatus, Session, evidence_kind

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
# An identifier owned by this project, never fetched; the major version changes only when a
# field is removed or changes meaning.
PREDICATE_TYPE = "https://onyx-wizard.dev/attestation/launch-readiness/v1"
PROFILE_SUBJECT = "onyx-wizard:profile+checklist"
GENERATOR = "onyx-wizard"


def rfc3339(value: datetime) -> str:
    """UTC, to the second, with a `Z`: the one time format of the predicate."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[datetime, PlainSerializer(rfc3339, return_type=str)]


class _Camel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class Generator(_Camel):
    name: str
    version: str


class BlockerEntry(_Camel):
    id: str
    title: str
    status: str
    reason: str


class VerdictEntry(_Camel):
    ready: bool
    summary: str
    blockers: list[BlockerEntry]


class ProbeEntry(_Camel):
    id: str
    outcome: str
    reason_code: str
    at: Timestamp


class WaiverEntry(_Camel):
    reason: str
    approver: str
    expires: date


class EvidenceEntry(_Camel):
    """One evidence reference; files carry the sha256 of their bytes and their subject name."""

    ref: str
    kind: str
    sha256: str | None = None
    subject: str | None = None

    @model_serializer(mode="wrap")
    def _only_files_carry_digests(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None or k in ("ref", "kind")}


class ItemEntry(_Camel):
    id: str
    section: str
    title: str
    status: str
    method: str
    by: str | None
    at: Timestamp | None
    note: str
    reason_codes: list[str]
    probes: list[ProbeEntry]
    waiver: WaiverEntry | None
    not_applicable_reason: str | None
    evidence: list[EvidenceEntry]


class LaunchReadiness(_Camel):
    """The predicate: the launch gate's verdict and every item as the session recorded it."""

    checklist_version: str
    environment: str
    app_name: str
    session: str
    generated_at: Timestamp
    generator: Generator
    verdict: VerdictEntry
    items: list[ItemEntry]
    draft: bool


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    digest: dict[str, str] = Field(min_length=1)

    @field_validator("digest")
    @classmethod
    def _lowercase_hex(cls, value: dict[str, str]) -> dict[str, str]:
        sha = value.get("sha256")
        if sha is not None and (len(sha) != 64 or sha.strip("0123456789abcdef")):
            raise ValueError("sha256 is not 64 lowercase hex digits")
        return value


class Statement(BaseModel):
    """An in-toto Statement v1; the predicate stays a plain dict until its type is checked."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")

    type: str = Field(alias="_type")
    subject: list[Subject] = Field(min_length=1)
    predicate_type: str = Field(alias="predicateType")
    predicate: dict[str, Any]

    def to_payload(self) -> bytes:
        """The DSSE payload: compact UTF-8 JSON, fields in the spec's order."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same data always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def profile_checklist_digest(profile: Profile, checklist: Checklist) -> str:
    """sha256 of the canonical JSON of the profile and the checklist's version, ids and titles."""
    document = {
        "profile": profile.to_toml_dict(),
        "checklist": {
            "version": checklist.version,
            "items": [{"id": item.id, "title": item.title} for item in checklist.items],
        },
    }
    return hashlib.sha256(canonical_json(document)).hexdigest()


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence file an attestation references: where it is and what its bytes hash to."""

    ref: str
    path: Path
    name: str
    sha256: str


def evidence_base(profile: Profile, cwd: Path | None = None) -> Path:
    """Where relative evidence references point: the profile's evidence_dir, else the cwd."""
    cwd = cwd or Path.cwd()
    if not profile.evidence_dir.strip():
        return cwd
    return cwd / Path(profile.evidence_dir.strip()).expanduser()


def _normal(path: Path) -> Path:
    # normpath, not resolve(): a symlink inside the evidence folder keeps its name there.
    return Path(os.path.normpath(path))


def locate_evidence(ref: str, base: Path) -> tuple[Path, str]:
    """The file a reference names and its subject name (relative to `base` when inside it)."""
    path = _normal(base / Path(ref.strip()).expanduser())
    try:
        return path, path.relative_to(_normal(base)).as_posix()
    except ValueError:
        return path, path.as_posix()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collect_evidence(session: Session, base: Path) -> dict[str, EvidenceFile]:
    """Every file an item's record references, hashed; EvidenceFileError names a missing one."""
    found: dict[str, EvidenceFile] = {}
    for item_id, record in session.items.items():
        for ref in record.evidence:
            if evidence_kind(ref) is not EvidenceKind.FILE or ref in found:
                continue
            path, name = locate_evidence(ref, base)
            try:
                digest = file_sha256(path)
            except FileNotFoundError:
                raise EvidenceFileError(
                    f"evidence file {ref} of {item_id} does not exist (looked at {path})"
                ) from None
            except IsADirectoryError:
                raise EvidenceFileError(
                    f"evidence {ref} of {item_id} is a folder; reference the files in it"
                ) from None
            except OSError as exc:
                raise EvidenceFileError(
                    f"evidence file {ref} of {item_id} cannot be read ({exc.strerror or exc})"
                ) from None
            found[ref] = EvidenceFile(ref, path, name, digest)
    return found


def build_statement(
    session: Session,
    checklist: Checklist,
    verdict: Verdict,
    *,
    generated_at: datetime,
    draft: bool,
    cwd: Path | None = None,
) -> tuple[Statement, list[EvidenceFile]]:
    """The Statement for a session at one moment, and the evidence files it names."""
    files = collect_evidence(session, evidence_base(session.profile, cwd))
    predicate = LaunchReadiness(
        checklist_version=checklist.version,
        environment=session.profile.environment.value,
        app_name=session.profile.app_name,
        session=session.name,
        generated_at=generated_at,
        generator=Generator(name=GENERATOR, version=__version__),
        verdict=VerdictEntry(
            ready=verdict.ready,
            summary=verdict.summary,
            blockers=[
                BlockerEntry(id=b.item_id, title=b.title, status=b.status.value, reason=b.reason)
                for b in verdict.blockers
            ],
        ),
        items=list(_items(session, checklist, verdict, files)),
        draft=draft,
    )
    subjects = [
        Subject(
            name=PROFILE_SUBJECT,
            digest={"sha256": profile_checklist_digest(session.profile, checklist)},
        )
    ]
    by_name = {f.name: f for f in files.values()}  # two references to one file: one subject
    subjects += [Subject(name=n, digest={"sha256": by_name[n].sha256}) for n in sorted(by_name)]
    statement = Statement(
        type=STATEMENT_TYPE,
        subject=subjects,
        predicate_type=PREDICATE_TYPE,
        predicate=predicate.model_dump(mode="json", by_alias=True),
    )
    return statement, list(files.values())


def _items(
    session: Session, checklist: Checklist, verdict: Verdict, files: dict[str, EvidenceFile]
) -> Iterable[ItemEntry]:
    # People's words pass through the scanner's rules once more before they are signed: a
    # session written before redaction existed, or edited by hand, must not leak through.
    from onyx_wizard.scan import redact

    for section in checklist.sections:
        for item in section.items:
            record = session.record(item.id)
            state = verdict.states[item.id]
            probes = [(pid, session.probes[pid]) for pid in item.probes if pid in session.probes]
            waiver = record.waiver if record.status is RecordedStatus.WAIVED else None
            yield ItemEntry(
                id=item.id,
                section=section.title,
                title=item.title,
                status=state.status.value,
                method=item.method.value,
                by=record.by or None,
                at=record.at,
                note=redact(record.note),
                reason_codes=[r.reason_code for _, r in probes],
                probes=[
                    ProbeEntry(id=pid, outcome=r.outcome.value, reason_code=r.reason_code, at=r.at)
                    for pid, r in probes
                ],
                waiver=(
                    WaiverEntry(
                        reason=redact(waiver.reason),
                        approver=waiver.approver,
                        expires=waiver.expires,
                    )
                    if waiver is not None
                    else None
                ),
                not_applicable_reason=(
                    redact(state.reason) if state.status is Status.NOT_APPLICABLE else None
                ),
                evidence=[_evidence_entry(ref, files) for ref in record.evidence],
            )


def _evidence_entry(ref: str, files: dict[str, EvidenceFile]) -> EvidenceEntry:
    found = files.get(ref)
    if found is None:
        return EvidenceEntry(ref=ref, kind=evidence_kind(ref).value)
    return EvidenceEntry(ref=ref, kind="file", sha256=found.sha256, subject=found.name)
