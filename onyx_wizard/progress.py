"""One line per session for lists (the `sessions` command and the wizard's first screen)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onyx_wizard.checklist import load_checklist
from onyx_wizard.gate import evaluate
from onyx_wizard.session import list_sessions


@dataclass(frozen=True)
class SessionRow:
    """A session as a list shows it; `error` is set (and the rest empty) when it cannot load."""

    name: str
    path: Path
    app_name: str
    environment: str
    done: int
    total: int
    ready: bool
    saved: str
    error: str = ""

    @property
    def progress(self) -> str:
        if self.error:
            return ""
        return f"{self.done}/{self.total}" + ("  ✓ ready" if self.ready else "")


def session_rows(folder: Path | None = None) -> list[SessionRow]:
    """Every session in the folder, most recently saved first, with its progress."""
    checklist = load_checklist()
    rows = []
    for listing in list_sessions(folder):
        saved = listing.modified.astimezone().strftime("%Y-%m-%d %H:%M")
        session = listing.session
        if session is None:
            rows.append(
                SessionRow(
                    listing.path.stem, listing.path, "", "", 0, 0, False, saved, listing.error
                )
            )
            continue
        try:
            verdict = evaluate(session, checklist)
        except Exception as exc:  # one session that cannot be judged must not hide the others
            error = f"{listing.path}: cannot be evaluated ({type(exc).__name__}: {exc})"
            rows.append(
                SessionRow(listing.path.stem, listing.path, "", "", 0, 0, False, saved, error)
            )
            continue
        rows.append(
            SessionRow(
                name=session.name,
                path=listing.path,
                app_name=session.profile.app_name or "(no app name)",
                environment=session.profile.environment.value,
                done=sum(s.done for s in verdict.sections),
                total=sum(s.total for s in verdict.sections),
                ready=verdict.ready,
                saved=saved,
            )
        )
    return rows
