"""The probes' data files: the scope catalogue, sample webhook events, reason codes."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ScopeCatalogue:
    """Which scopes each feature needs, and which scopes are messaging scopes."""

    features: dict[str, tuple[str, ...]]
    messaging: frozenset[str]

    def needed(self, features: list[str]) -> list[str]:
        """The scopes the declared features need, in catalogue order, without repeats."""
        out: dict[str, None] = {}
        for feature in features:
            for scope in self.features.get(feature, ()):
                out.setdefault(scope, None)
        return list(out)


@cache
def scope_catalogue() -> ScopeCatalogue:
    data = tomllib.loads(_read("scopes.toml"))
    return ScopeCatalogue(
        {name: tuple(spec["scopes"]) for name, spec in data["features"].items()},
        frozenset(data["messaging_scopes"]),
    )


@cache
def webhook_samples() -> dict[str, dict[str, Any]]:
    """A sample payload for each known event type."""
    samples: dict[str, dict[str, Any]] = json.loads(_read("webhook-events.json"))
    return samples


@cache
def reason_codes() -> dict[str, str]:
    """Every reason code a probe may return, with its one-line meaning."""
    data = tomllib.loads(_read("reason-codes.toml"))
    return {code: entry["meaning"] for code, entry in data.items()}
