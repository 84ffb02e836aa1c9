"""One loader for every TOML file the tool reads into a model: session, profile, key index.

Errors name the file, the line and the field (see `errors.DataFileError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from onyx_wizard.errors import DataFileError, Problem
from onyx_wizard.tomlfile import dotted, locate, read_toml

M = TypeVar("M", bound=BaseModel)


def load_toml_model(
    path: Path,
    model: type[M],
    *,
    table: str | None = None,
    error: type[DataFileError] = DataFileError,
    missing: str = "no such file",
) -> M:
    """Read `path` (or its `[table]`) into `model`; `error` names the file, line and field."""
    text, data = read_toml(path, error=error, missing=missing)
    return model_from_toml(text, data, path, model, table=table, error=error)


def model_from_toml(
    text: str,
    data: dict[str, Any],
    source: Path | str,
    model: type[M],
    *,
    table: str | None = None,
    error: type[DataFileError] = DataFileError,
) -> M:
    """Validate parsed TOML (`text` is only for finding lines) into `model`."""
    prefix: tuple[str, ...] = ()
    if table is not None:
        data = data.get(table)  # type: ignore[assignment]
        if not isinstance(data, dict):
            raise error(source, f"no [{table}] table")
        prefix = (table,)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first, *more = problems_of(exc, text, prefix)
        raise error(source, first.message, first.line, first.field, more) from None


def problems_of(
    exc: ValidationError, text: str | None = None, prefix: tuple[str, ...] = ()
) -> list[Problem]:
    """Each validation error as a Problem naming its field (and line, given the TOML text)."""
    found = []
    for issue in exc.errors():
        loc = (*prefix, *issue["loc"])
        line = locate(text, loc) if text is not None else None
        message = issue["msg"].removeprefix("Value error, ")
        found.append(Problem(message, dotted(loc), line))
    return found
