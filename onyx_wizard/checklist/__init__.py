"""The launch checklist as data: the packaged TOML file, its pydantic model, scope catalogue."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from onyx_wizard.checklist._model import (
    FEATURES,
    LAUNCH_APPROVAL_SECTION,
    AppliesWhen,
    Checklist,
    Evidence,
    EvidenceKind,
    Item,
    Method,
    Section,
)
from onyx_wizard.checklist._scopes import ScopeCatalogue, scope_catalogue

__all__ = [
    "FEATURES",
    "LAUNCH_APPROVAL_SECTION",
    "AppliesWhen",
    "Checklist",
    "Evidence",
    "EvidenceKind",
    "Item",
    "Method",
    "ScopeCatalogue",
    "Section",
    "load_checklist",
    "scope_catalogue",
]

_DATA_FILE = "launch-checklist.toml"


@cache
def load_checklist() -> Checklist:
    """The packaged checklist, parsed and validated once per process."""
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return Checklist.model_validate(tomllib.loads(text))
