"""Where a session was left, read without checking the rest of the file.

Resuming draws the item the operator was on before the session is validated, which loads the
validation library and is the slowest part of a start. This reads only the file's `cursor`;
nothing read here is shown as recorded. The session is opened and checked right after, and
what it holds wins (a file that does not validate is never shown).
"""

from __future__ import annotations

from pathlib import Path

from onyx_wizard import paths
from onyx_wizard.errors import DataFileError
from onyx_wizard.tomlfile import read_toml


def left_at(name_or_path: str | Path) -> str | None:
    """The item id a session was left on, or None when the file does not say (or not read)."""
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and not name_or_path.endswith(".toml"):
        if not paths.SESSION_NAME.match(name_or_path):
            return None
        path = paths.session_path(name_or_path)
    try:
        _, data = read_toml(path)
    except DataFileError:
        return None
    cursor = data.get("cursor")
    return cursor if isinstance(cursor, str) and cursor else None
