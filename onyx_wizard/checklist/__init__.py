"""The launch checklist as data: the packaged TOML file, its model, the scope catalogue."""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from onyx_wizard.checklist._model import (
    FEATURES,
    LAUNCH_APPROVAL_SECTION,
    AppliesWhen,
    Checklist,
    ChecklistError,
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
    "ChecklistError",
    "Evidence",
    "EvidenceKind",
    "Item",
    "Method",
    "ScopeCatalogue",
    "Section",
    "compile_checklist",
    "load_checklist",
    "scope_catalogue",
]

_DATA_FILE = "launch-checklist.toml"
# The same data as JSON, made from the TOML by scripts/compile_checklist.py: tomllib (pure
# Python) takes about 7 ms to parse the checklist, json about 0.5 ms, and validating it takes
# 0.3 ms. The copy names the digest of the TOML it was made from and is read only while that
# digest matches, so an edited TOML is never hidden by a stale copy.
_COMPILED_FILE = "launch-checklist.json"


@cache
def load_checklist() -> Checklist:
    """The packaged checklist, parsed and validated once per process."""
    folder = resources.files(__package__)
    text = folder.joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return Checklist.from_data(checklist_data(text, folder.joinpath(_COMPILED_FILE)))


def checklist_data(text: str, compiled: Traversable) -> dict[str, Any]:
    """The checklist TOML `text` as data: from its JSON copy `compiled` when that was made
    from this very text, else parsed."""
    try:
        copy = json.loads(compiled.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        copy = None
    if isinstance(copy, dict) and copy.get("toml_sha256") == _digest(text):
        data: dict[str, Any] = copy["checklist"]
        return data
    return tomllib.loads(text)


def compile_checklist(text: str) -> str:
    """The JSON copy of the checklist TOML `text` (what launch-checklist.json holds)."""
    copy = {
        "made_from": f"{_DATA_FILE} by scripts/compile_checklist.py: edit the TOML, not this",
        "toml_sha256": _digest(text),
        "checklist": tomllib.loads(text),
    }
    return json.dumps(copy, ensure_ascii=False, indent=1) + "\n"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
