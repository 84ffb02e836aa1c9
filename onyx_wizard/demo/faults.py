"""The demo app's named faults, read from `faults.toml` (data, not code)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal, cast

FaultKind = Literal["server", "profile", "secrets", "files"]
_KINDS = ("server", "profile", "secrets", "files")
FaultOutcome = Literal["fail", "warn"]


@dataclass(frozen=True)
class Fault:
    """One named fault: what it breaks, and which probe must catch it with which reason code
    and outcome ("fail", or "warn" for a lapse the probe only warns about)."""

    name: str
    description: str
    kind: FaultKind
    probe: str
    reason_code: str
    outcome: FaultOutcome = "fail"
    # Other probes the fault may change too, because they rely on what it breaks (a webhook
    # receiver that answers only after 12 s slows every probe that delivers an event).
    also: tuple[str, ...] = ()


@cache
def load_faults() -> Mapping[str, Fault]:
    """Every named fault, in the order of `faults.toml`."""
    text = resources.files(__package__).joinpath("faults.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["faults"]
    faults: dict[str, Fault] = {}
    for name, entry in table.items():
        kind = entry["kind"]
        if kind not in _KINDS:
            raise ValueError(f"faults.toml: fault {name!r} has unknown kind {kind!r}")
        outcome = entry.get("outcome", "fail")
        if outcome not in ("fail", "warn"):
            raise ValueError(f"faults.toml: fault {name!r} has unknown outcome {outcome!r}")
        faults[name] = Fault(
            name=name,
            description=entry["description"],
            kind=cast(FaultKind, kind),
            probe=entry["probe"],
            reason_code=entry["reason_code"],
            outcome=cast(FaultOutcome, outcome),
            also=tuple(entry.get("also", ())),
        )
    return MappingProxyType(faults)


def check_fault_names(names: list[str]) -> frozenset[str]:
    """The names as a set; ValueError naming the valid faults when any is unknown."""
    known = load_faults()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"unknown fault {', '.join(map(repr, unknown))}; valid faults: {', '.join(known)}"
        )
    return frozenset(names)
