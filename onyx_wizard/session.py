"""Progress state: what was decided about each item, probe results, and who changed what.

A session is a TOML file written atomically on every change (mode 0600 in a 0700 folder). It
never holds a secret. A file that does not parse or validate is never overwritten: loading it
raises `SessionFileError`, which names the file, line and field.
"""

from __future__ import annotations

import contextlib
import getpass
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import tomli_w
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from onyx_wizard import paths
from onyx_wizard.checklist import (
    LAUNCH_APPROVAL_SECTION,
    Checklist,
    EvidenceKind,
    Item,
    load_checklist,
)
from onyx_wizard.errors import DataFileError, OnyxError
from onyx_wizard.files import FileLock, LockBusy, remove_stale_temps, write_atomic
from onyx_wizard.outcome import Outcome
from onyx_wizard.profile import Profile
from onyx_wizard.tomlfile import read_toml
from onyx_wizard.tomlmodel import model_from_toml

SCHEMA_VERSION = 1
_NAME = paths.SESSION_NAME


def now() -> datetime:
    """The current time in UTC, to the second (what the session records)."""
    return datetime.now(UTC).replace(microsecond=0)


def default_operator() -> str:
    """The operator's name when nobody typed one: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


class RecordedStatus(StrEnum):
    """What was last recorded for an item (the launch gate derives `stale` from it)."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"
    ATTESTED = "attested"
    WAIVED = "waived"
    NOT_APPLICABLE = "not-applicable"


def _kind(value: object) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text"}.get(
        type(value), type(value).__name__
    )


def _stamp(value: object) -> datetime:
    """A moment: a TOML date-time with its offset (a bare date or local time is ambiguous)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a date-time needs its offset, e.g. 2026-12-03T10:00:00Z")
        return value
    if isinstance(value, date):
        raise ValueError(
            f"{value.isoformat()} is a date; a date-time with its offset belongs here, "
            f"e.g. {value.isoformat()}T10:00:00Z"
        )
    raise ValueError(f"expected a date-time such as 2026-12-03T10:00:00Z, not {_kind(value)}")


def _day(value: object) -> date:
    """A calendar day: a TOML date (2027-01-31)."""
    if isinstance(value, datetime):
        raise ValueError(f"expected a date such as {value.date().isoformat()}, not a date-time")
    if isinstance(value, date):
        return value
    raise ValueError(f"expected a date such as 2027-01-31, not {_kind(value)}")


def _whole_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number such as 1, not {_kind(value)}")
    return value


Stamp = Annotated[datetime, BeforeValidator(_stamp)]
Day = Annotated[date, BeforeValidator(_day)]


class Waiver(BaseModel):
    """Why an item is waived, who approved it, and until when."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: Day


class ItemRecord(BaseModel):
    """The decision recorded for one item."""

    model_config = ConfigDict(extra="forbid")

    status: RecordedStatus = RecordedStatus.PENDING
    by: str = ""
    at: Stamp | None = None
    note: str = ""
    evidence: list[str] = Field(default_factory=list)
    reason: str = ""
    waiver: Waiver | None = None


class ProbeRecord(BaseModel):
    """The last result of one probe, with its redacted evidence."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason_code: str
    message: str
    at: Stamp
    duration_ms: int = 0
    evidence: list[dict[str, Any]] = Field(default_factory=list)


class HistoryEntry(BaseModel):
    """One change: who, when, what. Never changed once written (its TOML is kept, see below)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Stamp
    by: str
    action: str
    item: str = ""
    detail: str = ""

    def to_toml(self) -> str:
        """The entry as a `[[history]]` table, made once per entry (see `_HISTORY_TOML`)."""
        text = _HISTORY_TOML.get(self)
        if text is None:
            text = "[[history]]\n" + tomli_w.dumps(_plain(self.model_dump(mode="python")))
            _HISTORY_TOML[self] = text
        return text


# A long history is most of a session file, and writing it again on every save would make each
# change slower than the last: each entry's TOML is kept while the entry lives (entries are
# frozen, so equal entries share it).
_HISTORY_TOML: weakref.WeakKeyDictionary[HistoryEntry, str] = weakref.WeakKeyDictionary()


class Session(BaseModel):
    """Everything the wizard knows about one integration's launch readiness."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    schema_version: Annotated[int, BeforeValidator(_whole_number)]
    name: str
    created_at: Stamp
    updated_at: Stamp
    checklist_version: str
    operator: str = ""
    cursor: str = ""
    profile: Profile = Field(default_factory=Profile)
    items: dict[str, ItemRecord] = Field(default_factory=dict)
    probes: dict[str, ProbeRecord] = Field(default_factory=dict)
    exports: list[str] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"schema {value} was written by a newer onyx-wizard (this one reads "
                f"{SCHEMA_VERSION}); upgrade onyx-wizard"
            )
        if value < 1:
            raise ValueError(f"schema {value} is not a valid schema version")
        return value

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        check_name(value)
        return value

    @classmethod
    def blank(cls, name: str, checklist_version: str, profile: Profile | None = None) -> Session:
        """A session with nothing recorded yet (saved by `new_session`, or kept in memory)."""
        stamp = now()
        return cls(
            schema_version=SCHEMA_VERSION,
            name=name,
            created_at=stamp,
            updated_at=stamp,
            checklist_version=checklist_version,
            profile=profile or Profile(),
        )

    def record(self, item_id: str) -> ItemRecord:
        """The record of an item (a pending one if nothing was recorded yet)."""
        return self.items.get(item_id) or ItemRecord()


def check_name(name: str) -> None:
    """Session names become file names: letters, digits, `.`, `_`, `-`, at most 64."""
    if not _NAME.match(name):
        raise ValueError(
            f"{name!r} is not a valid session name: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )


def _checked_name(name: str) -> None:
    try:
        check_name(name)
    except ValueError as exc:
        raise SessionError(str(exc)) from None


class SessionError(OnyxError):
    """A session operation that cannot be done, with a message for the user."""


class SessionFileError(DataFileError, SessionError):
    """A session file that does not parse or validate; it is left untouched."""


class EvidenceError(SessionError):
    """An attestation, waiver or not-applicable mark that lacks what it needs."""


# A reference that ends like a file name (`consent.png`, `drills/2026-05.log`).
_FILE_NAME = re.compile(r"^[^#?]*[^\s/#?\\]\.[A-Za-z][A-Za-z0-9]{0,7}$")


def evidence_kind(reference: str) -> EvidenceKind:
    """Classify an evidence reference: a URL is a link, a path is a file, else a reference.

    A path is absolute (`/…`, `C:\\…`), starts with `./`, `../` or `~/`, or is a relative path
    ending in a file name with an extension (`screenshots/consent.png`, `drill.log`). A relative
    path is resolved against the profile's evidence_dir (else the current folder) wherever it
    is used: the wizard, the command line and the export digest the same file. Anything else
    (`ONYX-1234`, `PR #42`, `acme/launch#7`) is a reference.
    """
    ref = reference.strip()
    if re.match(r"^https?://", ref):
        return EvidenceKind.LINK
    if ref.startswith(("/", "./", "../", "~/")) or re.match(r"^[A-Za-z]:\\", ref):
        return EvidenceKind.FILE
    if _FILE_NAME.match(ref) and not re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.IGNORECASE):
        return EvidenceKind.FILE
    return EvidenceKind.REFERENCE


# --- loading and saving -------------------------------------------------------------------


def load_session(path: Path) -> Session:
    """Read and validate a session file; SessionFileError says exactly what is wrong.

    The file's name is the session's name: a file copied to `renamed.toml` is the session
    `renamed` (its `name` field is corrected in memory, and on the next save).
    """
    text, data = read_toml(path, error=SessionFileError, missing="no such session file")
    if "schema_version" not in data:
        raise SessionFileError(path, "missing schema_version: not an onyx-wizard session file")
    session = model_from_toml(text, data, path, Session, error=SessionFileError)
    if path.suffix == ".toml" and session.name != path.stem and _NAME.match(path.stem):
        object.__setattr__(session, "name", path.stem)
    return session


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _remove_orphans(path: Path) -> None:
    """Remove the temporary files a writer killed mid-save left beside the session.

    Only while nobody saves it: a save holds the save lock, so with the lock every temp file
    of the session's pattern is an orphan.
    """
    lock = FileLock(lock_path(path, "save"))
    try:
        lock.acquire(timeout=0)
    except (LockBusy, OSError):
        return  # someone is saving (or the folder is not ours to lock): leave it be
    try:
        remove_stale_temps(path, older_than=0)
    finally:
        lock.release()


def lock_path(path: Path, kind: str) -> Path:
    """The side file of a session's `kind` lock ("save" or "open"), beside it, hidden."""
    return path.with_name(f".{path.name}.{kind}-lock")


def _plain(value: Any) -> Any:
    """Drop None values (TOML has no null) all the way down."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dumps_session(session: Session) -> str:
    """The session as TOML text, `schema_version` first and the history last."""
    data = _plain(session.model_dump(mode="python", exclude={"history"}))
    data["profile"] = _plain(session.profile.to_toml_dict())
    ordered = {"schema_version": data.pop("schema_version"), **data}
    history = "\n".join(entry.to_toml() for entry in session.history)
    return tomli_w.dumps(ordered) + ("\n" + history if history else "")


def save_session(session: Session, path: Path) -> None:
    """Write the session atomically (mode 0600 in a 0700 folder); see `files.write_atomic`."""
    write_atomic(path, dumps_session(session).encode("utf-8"), mode=0o600, private_folder=True)


# --- the open session: every change goes through here and is saved at once ----------------


# How long a change waits for another process's save of the same session to finish.
SAVE_LOCK_TIMEOUT = 10.0

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _merged(
    method: Callable[Concatenate[OpenSession, _P], _R],
) -> Callable[Concatenate[OpenSession, _P], _R]:
    """A change made on the newest file: under the session's save lock, re-read the file if
    another process saved it since, then change and save. Two processes changing one session
    (the wizard and `check NAME`, say) never lose each other's changes."""

    def change(self: OpenSession, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self.read_only:
            raise SessionError(f"this session is open read-only: {self.read_only}")
        with self._save_lock():
            self._catch_up()
            return method(self, *args, **kwargs)

    change.__name__, change.__qualname__ = method.__name__, method.__qualname__
    change.__doc__ = method.__doc__
    return change


@dataclass
class OpenSession:
    """A loaded session bound to its file; each change is recorded in history and saved.

    Every change is merged: made under a lock on the newest file (see `_merged`).
    """

    path: Path
    session: Session
    checklist: Checklist
    # What people type (notes, reasons, evidence references) passes through this before it
    # is stored. None: the scanner's redaction, with this session's secret values (read from
    # the keyring when the first note is saved, not when the session opens).
    text_filter: Callable[[str], str] | None = None
    _known_secrets: list[str] | None = field(default=None, init=False, repr=False)
    # The file as this object last read or wrote it; another signature means another process
    # saved it since.
    _signature: tuple[int, int, int] | None = field(default=None, init=False, repr=False)
    # A change kept in memory that could not be saved (e.g. a full disk); the next save
    # writes it, and no re-read may drop it.
    unsaved: bool = field(default=False, init=False)
    # Why this session may not be changed here ("" when it may): e.g. another wizard has it open.
    read_only: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self._signature = _signature(self.path)

    _lock_depth: int = field(default=0, init=False, repr=False)

    @contextlib.contextmanager
    def _save_lock(self) -> Iterator[None]:
        """Hold the session's save lock (re-entrant within this object)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        lock = FileLock(lock_path(self.path, "save"))
        try:
            lock.acquire(timeout=SAVE_LOCK_TIMEOUT)
        except LockBusy as exc:
            raise SessionError(
                f"session {self.name!r} is busy: {exc.holder or 'another process'} has been "
                f"saving it for over {SAVE_LOCK_TIMEOUT:g} s; try again"
            ) from None
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            lock.release()

    def _catch_up(self) -> None:
        """Re-read the file if another process saved it since this object last did."""
        if self.unsaved or _signature(self.path) == self._signature:
            return
        fresh = load_session(self.path)
        for name in Session.model_fields:
            object.__setattr__(self.session, name, getattr(fresh, name))
        self._signature = _signature(self.path)

    def clean_text(self, text: str) -> str:
        """`text` as it may be stored: secret values, token shapes and personal data replaced."""
        if self.text_filter is not None:
            return self.text_filter(text)
        from onyx_wizard.scan import redact
        from onyx_wizard.secrets import load_secrets

        if self._known_secrets is None:
            loaded = load_secrets(self.name, self.session.profile.environment.value)
            self._known_secrets = list(loaded.values.values())
        return redact(text, self._known_secrets)

    @property
    def name(self) -> str:
        return self.session.name

    def _change(self, by: str, action: str, item: str = "", detail: str = "") -> None:
        stamp = now()
        by = by.strip() or default_operator()  # the same name the item record carries
        self.session.history.append(
            HistoryEntry(at=stamp, by=by, action=action, item=item, detail=detail)
        )
        self.session.updated_at = stamp
        self.save()

    _deferred: bool = field(default=False, init=False, repr=False)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several changes on the newest file, saved once; if one fails, none is kept."""
        with self._save_lock():
            self._catch_up()
            before = self.session.model_copy(deep=True)
            self._deferred = True
            try:
                yield
            except BaseException:
                for name in Session.model_fields:
                    object.__setattr__(self.session, name, getattr(before, name))
                raise
            finally:
                self._deferred = False
            self.save()

    def save(self) -> None:
        if self._deferred:
            return  # a batch saves once, at its end
        try:
            with self._save_lock():
                save_session(self.session, self.path)
        except BaseException:
            self.unsaved = True
            raise
        self.unsaved = False
        self._signature = _signature(self.path)

    @_merged
    def retry_save(self) -> None:
        """Write what is in memory (after a save failed, e.g. on a full disk)."""
        if self.unsaved:
            self.save()

    def _item(self, item_id: str) -> Item:
        try:
            return self.checklist.item(item_id)
        except KeyError:
            raise SessionError(f"no checklist item {item_id!r}") from None

    @_merged
    def update_profile(self, profile: Profile, by: str = "") -> list[str]:
        """Replace the profile; returns the names of the fields that changed."""
        before = self.session.profile.model_dump()
        after = profile.model_dump()
        changed = [name for name in after if before.get(name) != after[name]]
        if not changed:
            return []
        self.session.profile = profile
        self._change(by, "profile-updated", detail="changed " + ", ".join(changed))
        return changed

    @_merged
    def set_operator(self, name: str) -> None:
        name = name.strip()
        if name and name != self.session.operator:
            self.session.operator = name
            self.save()

    @_merged
    def set_cursor(self, item_id: str) -> None:
        """Remember where the operator is, so `resume` returns there."""
        self._item(item_id)
        if self.session.cursor != item_id:
            self.session.cursor = item_id
            self.session.updated_at = now()
            self.save()

    @_merged
    def attest(self, item_id: str, by: str, note: str = "", evidence: Iterable[str] = ()) -> None:
        """Record that a person confirms the item, with the evidence it asks for."""
        item = self._item(item_id)
        if not item.method.needs_attestation:
            raise EvidenceError(f"{item.title!r} is proven by its probe; it cannot be attested")
        by = by.strip()
        if not by:
            raise EvidenceError("an attestation needs the name of the person attesting")
        refs = [ref.strip() for ref in evidence if ref.strip()]
        if item.evidence.required and not refs:
            raise EvidenceError(f"evidence is required: {item.evidence.description}")
        wrong = [ref for ref in refs if evidence_kind(ref) not in item.evidence.kinds]
        if wrong:
            kinds = ", ".join(kind.value for kind in item.evidence.kinds)
            raise EvidenceError(
                f"{wrong[0]!r} is a {evidence_kind(wrong[0])}; this item takes: {kinds}"
            )
        self.session.items[item_id] = ItemRecord(
            status=RecordedStatus.ATTESTED,
            by=by,
            at=now(),
            note=self.clean_text(note.strip()),
            evidence=[self.clean_text(ref) for ref in refs],
        )
        self._change(by, "attested", item_id, f"{len(refs)} evidence reference(s)")

    def refuses_waiver(self, item_id: str) -> str:
        """Why the item cannot be waived, or "" when it can."""
        item = self._item(item_id)
        if item.section_id == LAUNCH_APPROVAL_SECTION:
            return (
                "Launch Approval items cannot be waived: Onyx's approval must be recorded "
                "as an attestation"
            )
        return ""

    def refuses_not_applicable(self, item_id: str) -> str:
        """Why the item cannot be marked not applicable, or "" when it can.

        Not applicable is for optional items and items whose `applies_when` does not hold; a
        required item that applies can only be waived, which needs an approver and an expiry.
        """
        item = self._item(item_id)
        if item.section_id == LAUNCH_APPROVAL_SECTION:
            return "Launch Approval items cannot be set aside: Onyx's approval must be attested"
        if not item.required or not item.applies_when.matches(self.session.profile.features):
            return ""
        scope = (
            "every integration"
            if not item.applies_when.features
            else "the features this profile declares"
        )
        return (
            f"this item is required for {scope}, so it cannot be marked not applicable; if it "
            "cannot be met before launch, record a waiver (reason, approver, expiry) instead"
        )

    @_merged
    def waive(self, item_id: str, by: str, reason: str, approver: str, expires: date) -> None:
        """Waive an item until `expires`, with the reason and who approved it."""
        refused = self.refuses_waiver(item_id)
        if refused:
            raise EvidenceError(refused)
        if not by.strip():
            raise EvidenceError("a waiver needs the name of the person recording it")
        if not reason.strip():
            raise EvidenceError("a waiver needs a reason")
        if not approver.strip():
            raise EvidenceError("a waiver needs the name of its approver")
        if expires <= now().date():
            raise EvidenceError(f"the waiver's expiry {expires.isoformat()} is not in the future")
        waiver = Waiver(
            reason=self.clean_text(reason.strip()), approver=approver.strip(), expires=expires
        )
        previous = self.session.record(item_id)
        self.session.items[item_id] = ItemRecord(
            status=RecordedStatus.WAIVED,
            by=by.strip(),
            at=now(),
            note=previous.note,
            evidence=previous.evidence,
            waiver=waiver,
        )
        self._change(by, "waived", item_id, f"approved by {waiver.approver} until {expires}")

    @_merged
    def mark_not_applicable(self, item_id: str, by: str, reason: str) -> None:
        """Mark an item as not applying to this integration, with the reason."""
        refused = self.refuses_not_applicable(item_id)
        if refused:
            raise EvidenceError(refused)
        if not by.strip():
            raise EvidenceError("marking an item not applicable needs your name")
        if not reason.strip():
            raise EvidenceError("say why the item does not apply")
        self.session.items[item_id] = ItemRecord(
            status=RecordedStatus.NOT_APPLICABLE,
            by=by.strip(),
            at=now(),
            reason=self.clean_text(reason.strip()),
        )
        self._change(by, "not-applicable", item_id, self.session.items[item_id].reason)

    @_merged
    def clear(self, item_id: str, by: str) -> None:
        """Undo the decision on an item: it is pending again (history keeps the old one)."""
        self._item(item_id)
        previous = self.session.items.pop(item_id, None)
        if previous is None or previous.status is RecordedStatus.PENDING:
            return
        self._change(by, "cleared", item_id, describe_record(previous))

    @_merged
    def record_export(self, paths: Sequence[Path], key_id: str, draft: bool, by: str = "") -> None:
        """Note an export in history: where the files went and which key signed them."""
        kind = "draft" if draft else "final"
        where = ", ".join(str(p) for p in paths)
        for path in paths:
            if str(path.absolute()) not in self.session.exports:
                self.session.exports.append(str(path.absolute()))
        self._change(by, "exported", detail=f"{kind}: {where} (key id {key_id[:16]}…)")

    @_merged
    def record_probe_results(self, results: dict[str, ProbeRecord], by: str = "") -> None:
        """Store probe results and what they mean for probe items (one save, one history entry)."""
        apply_probe_results(self.session, self.checklist, results)
        counts: dict[str, int] = {}
        for record in results.values():
            counts[record.outcome.value] = counts.get(record.outcome.value, 0) + 1
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        self._change(by, "probes-run", detail=f"{len(results)} probe(s): {summary}")


def describe_record(record: ItemRecord) -> str:
    """A record in one line, for the history of a change that removes it."""
    parts = [f"was {record.status.value}"]
    if record.by:
        stamp = f" on {record.at.isoformat(timespec='seconds')}" if record.at else ""
        parts[0] += f" by {record.by}{stamp}"
    if record.note:
        parts.append(f"note: {record.note}")
    if record.evidence:
        parts.append("evidence: " + ", ".join(record.evidence))
    if record.reason:
        parts.append(f"reason: {record.reason}")
    if record.waiver is not None:
        w = record.waiver
        parts.append(f"waiver: {w.reason} (approved by {w.approver}, expires {w.expires})")
    return "; ".join(parts)


def apply_probe_results(
    session: Session, checklist: Checklist, results: dict[str, ProbeRecord]
) -> None:
    """Put probe results into a session (in memory).

    A `skipped` result never replaces an earlier real result: a run without the secrets must
    not erase what a run with them found. Items proven by probes alone get the status their
    probes give them, unless a person waived them or set them aside.
    """
    for probe_id, record in results.items():
        previous = session.probes.get(probe_id)
        if not record.outcome.ran and previous is not None and previous.outcome.ran:
            continue
        session.probes[probe_id] = record
    for item in checklist.items:
        if item.method.needs_attestation or not set(item.probes) & set(results):
            continue
        if session.record(item.id).status in (RecordedStatus.WAIVED, RecordedStatus.NOT_APPLICABLE):
            continue
        outcomes = [session.probes.get(pid) for pid in item.probes]
        ran = [r for r in outcomes if r is not None and r.outcome.ran]
        if any(not r.outcome.ok for r in ran):
            status = RecordedStatus.FAILED
        elif ran and len(ran) == len(outcomes):
            status = RecordedStatus.PASSED
        else:
            status = RecordedStatus.PENDING
        session.items[item.id] = ItemRecord(status=status, by="probe", at=now())


def new_session(name: str, path: Path | None = None, profile: Profile | None = None) -> OpenSession:
    """Create a session file; refuses to replace an existing one."""
    _checked_name(name)
    path = path or paths.session_path(name)
    if path.exists():
        raise SessionError(f"a session named {name!r} already exists ({path})")
    checklist = load_checklist()
    session = Session.blank(name, checklist.version, profile)
    session.operator = operator = default_operator()
    session.history.append(HistoryEntry(at=session.created_at, by=operator, action="created"))
    opened = OpenSession(path=path, session=session, checklist=checklist)
    opened.save()
    return opened


def open_session(name_or_path: str | Path) -> OpenSession:
    """Load a session by name (from the sessions folder) or by file path."""
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and not name_or_path.endswith(".toml"):
        _checked_name(name_or_path)
        path = paths.session_path(name_or_path)
        if not path.exists():
            raise SessionError(f"no session named {name_or_path!r} (looked in {path.parent})")
    _remove_orphans(path)
    return OpenSession(path=path, session=load_session(path), checklist=load_checklist())


@dataclass(frozen=True)
class SessionListing:
    """One row of the sessions list: a loaded session or the error that stops it loading."""

    path: Path
    session: Session | None
    error: str = ""

    @property
    def modified(self) -> datetime:
        if self.session is not None:
            return self.session.updated_at
        return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)


def list_sessions(folder: Path | None = None) -> list[SessionListing]:
    """Every session file in the folder, most recently saved first."""
    folder = folder or paths.sessions_dir()
    listings = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            listings.append(SessionListing(path, load_session(path)))
        except SessionFileError as exc:
            listings.append(SessionListing(path, None, str(exc)))
    return sorted(listings, key=lambda listing: listing.modified, reverse=True)
