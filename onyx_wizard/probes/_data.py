"""The probes' data files: sample webhook events, reason codes, and the words and lists probes
match against."""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


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


@cache
def hsts_preloaded_tlds() -> frozenset[str]:
    """Top-level domains whose every host is HSTS-preloaded in browsers."""
    data = tomllib.loads(_read("hsts-preloaded-tlds.toml"))
    return frozenset(str(tld).lower() for tld in data["tlds"])


@cache
def privacy_keywords() -> dict[str, dict[str, Any]]:
    """Data-handling keywords of privacy notices, by language, then topic (plus `compound`)."""
    data: dict[str, dict[str, Any]] = tomllib.loads(_read("privacy-keywords.toml"))
    return data
