"""Probes register themselves by id, with the secrets and profile fields they need."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import ProbeResult
from onyx_wizard.secrets import SecretKey

ProbeFunc = Callable[[ProbeContext], Awaitable[ProbeResult]]


@dataclass(frozen=True)
class ProbeSpec:
    """A registered probe."""

    id: str
    title: str
    func: ProbeFunc
    needs_secrets: tuple[SecretKey, ...] = ()
    needs_profile: tuple[str, ...] = ()
    deadline: float | None = None  # seconds; None: the run's default


PROBES: dict[str, ProbeSpec] = {}


def probe(
    probe_id: str,
    *,
    title: str,
    secrets: tuple[SecretKey, ...] = (),
    profile: tuple[str, ...] = (),
    deadline: float | None = None,
) -> Callable[[ProbeFunc], ProbeFunc]:
    """Register an async probe under `probe_id` (`deadline` overrides the run's default)."""

    def register(func: ProbeFunc) -> ProbeFunc:
        if probe_id in PROBES:
            raise ValueError(f"probe {probe_id!r} is registered twice")
        PROBES[probe_id] = ProbeSpec(probe_id, title, func, secrets, profile, deadline)
        return func

    return register
