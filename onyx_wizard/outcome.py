"""A probe's outcome: the one type the probes return, the session stores and the gate reads."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """A probe's verdict. `error`: could not decide; `skipped`: not run, with why."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def ok(self) -> bool:
        """A pass, or a pass with a warning: the probe found nothing that blocks launch."""
        return self in (Outcome.PASS, Outcome.WARN)

    @property
    def ran(self) -> bool:
        """The probe ran and decided something (a skipped probe neither passes nor fails)."""
        return self is not Outcome.SKIPPED
