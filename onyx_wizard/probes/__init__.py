"""Automated probes against the live deployment (no Textual).

Each probe module registers its probes with `@probe`; the runner runs the selected ones
concurrently. Importing this package loads every probe module in it.
"""

from __future__ import annotations

import importlib
import pkgutil

from onyx_wizard.probes._context import ProbeContext, ProbeSettings, ProbeSetupError, Response
from onyx_wizard.probes._model import Findings, Outcome, ProbeResult, body_digest
from onyx_wizard.probes._registry import PROBES, ProbeSpec, probe
from onyx_wizard.probes._runner import known_probes, run_one, run_probes

__all__ = [
    "PROBES",
    "Findings",
    "Outcome",
    "ProbeContext",
    "ProbeResult",
    "ProbeSettings",
    "ProbeSetupError",
    "ProbeSpec",
    "Response",
    "body_digest",
    "known_probes",
    "probe",
    "run_one",
    "run_probes",
]

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
