"""What a probe returns, and a small builder that probes use to assemble it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from onyx_wizard.outcome import Outcome as Outcome

_RANK = {Outcome.PASS: 0, Outcome.WARN: 1, Outcome.SKIPPED: 2, Outcome.FAIL: 3, Outcome.ERROR: 4}


@dataclass
class ProbeResult:
    """One probe's result: outcome, a stable reason code, a sentence, and redacted evidence."""

    probe_id: str
    outcome: Outcome
    reason_code: str
    message: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.probe_id,
            "outcome": self.outcome.value,
            "reason_code": self.reason_code,
            "message": self.message,
            "duration_ms": self.duration_ms,
            "evidence": self.evidence,
        }


def body_digest(body: bytes) -> str:
    """The evidence form of a response body: its sha256, never its content."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


class Findings:
    """Collects what a probe saw: each check's verdict, and the evidence behind it.

    The first failure (or, without failures, the first warning) gives the result its reason
    code and message, so the most important finding leads.
    """

    def __init__(self, probe_id: str) -> None:
        self.probe_id = probe_id
        self.evidence: list[dict[str, Any]] = []
        self._verdicts: list[tuple[Outcome, str, str]] = []

    def record(self, item: dict[str, Any]) -> None:
        """Add one piece of evidence (already redacted)."""
        self.evidence.append(item)

    def passed(self, check: str) -> None:
        self.evidence.append({"check": check, "outcome": "pass"})

    def warn(self, code: str, message: str) -> None:
        self._verdicts.append((Outcome.WARN, code, message))
        self.evidence.append({"check": message, "outcome": "warn", "reason_code": code})

    def fail(self, code: str, message: str) -> None:
        self._verdicts.append((Outcome.FAIL, code, message))
        self.evidence.append({"check": message, "outcome": "fail", "reason_code": code})

    def error(self, code: str, message: str) -> None:
        self._verdicts.append((Outcome.ERROR, code, message))
        self.evidence.append({"check": message, "outcome": "error", "reason_code": code})

    @property
    def failed(self) -> bool:
        return any(o in (Outcome.FAIL, Outcome.ERROR) for o, _, _ in self._verdicts)

    def problems(self) -> list[str]:
        """The messages of every failure and error so far, in the order found."""
        return [m for o, _, m in self._verdicts if o in (Outcome.FAIL, Outcome.ERROR)]

    def result(self, pass_code: str, pass_message: str) -> ProbeResult:
        """The result: the worst verdict seen, or a pass with the given code and message."""
        if not self._verdicts:
            return ProbeResult(self.probe_id, Outcome.PASS, pass_code, pass_message, self.evidence)
        worst = max(_RANK[o] for o, _, _ in self._verdicts)
        outcome, code, message = next(v for v in self._verdicts if _RANK[v[0]] == worst)
        others = sum(1 for v in self._verdicts if _RANK[v[0]] >= _RANK[Outcome.FAIL]) - 1
        if outcome in (Outcome.FAIL, Outcome.ERROR) and others > 0:
            message += f" (and {others} more problem{'s' if others > 1 else ''})"
        return ProbeResult(self.probe_id, outcome, code, message, self.evidence)
