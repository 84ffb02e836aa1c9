"""The scope catalogue: which OAuth scopes each feature needs, which are messaging scopes."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ScopeCatalogue:
    """Which scopes each feature needs, and which scopes are messaging scopes."""

    features: dict[str, tuple[str, ...]]
    messaging: frozenset[str]

    def needed(self, features: Iterable[str]) -> list[str]:
        """The scopes the declared features need, in catalogue order, without repeats."""
        out: dict[str, None] = {}
        for feature in features:
            for scope in self.features.get(feature, ()):
                out.setdefault(scope, None)
        return list(out)


@cache
def scope_catalogue() -> ScopeCatalogue:
    """The packaged catalogue (`checklist/scopes.toml`), read once per process."""
    text = resources.files(__package__).joinpath("scopes.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return ScopeCatalogue(
        {name: tuple(spec["scopes"]) for name, spec in data["features"].items()},
        frozenset(data["messaging_scopes"]),
    )
